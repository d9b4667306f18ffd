"""The embedded chain keeps the wall clock's time, as a node does, so wall-clock deadlines work unchanged.

These tests use their own chain: the shared test chain is moved a day ahead for exact block times.
"""

from __future__ import annotations

import time
import types
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from eth_account.signers.local import LocalAccount

from aa_auth.chain import embedded
from aa_auth.chain.connection import Chain
from aa_auth.contracts.account import SessionStatus, SmartAccount
from aa_auth.contracts.stack import Stack, create_account, deploy_stack
from aa_auth.contracts.venue import Venue
from aa_auth.errors import InvalidInput, Reason
from aa_auth.protocol.orders import Order
from aa_auth.protocol.scope import market_limit, scope
from aa_auth.protocol.signer import OrderSigner
from tests.conftest import funded_key, named_key


@dataclass
class Fresh:
    chain: Chain
    stack: Stack
    account: SmartAccount
    owner: LocalAccount


@pytest.fixture(scope="module")
def fresh_world() -> Fresh:
    chain = Chain.create_embedded()
    owner = funded_key(chain, "clock owner")
    stack = deploy_stack(chain, owner)
    account, _ = create_account(chain, stack, owner, owner.address)
    return Fresh(chain, stack, account, owner)


@pytest.fixture
def fresh(fresh_world: Fresh) -> Iterator[Fresh]:
    snapshot = fresh_world.chain.snapshot()
    yield fresh_world
    fresh_world.chain.revert(snapshot)


def _clock_at(monkeypatch: pytest.MonkeyPatch, now: int) -> None:
    """The wall clock as the embedded chain's backend reads it."""
    monkeypatch.setattr(embedded, "time", types.SimpleNamespace(time=lambda: now + 0.5))


def _mine_one(chain: Chain) -> int:
    chain.fund(named_key("clock payee").address, 1)
    return chain.timestamp()


def test_a_new_embedded_chain_is_at_the_wall_clock() -> None:
    assert abs(Chain.create_embedded().timestamp() - time.time()) <= 2


def test_a_bot_written_with_wall_clock_times_trades_on_the_embedded_chain(fresh: Fresh) -> None:
    bot = named_key("clock bot")
    granted = scope(valid_for=3_600, venues=[fresh.stack.venue], markets=[market_limit(1)])
    fresh.account.grant(fresh.owner, bot.address, granted)
    assert fresh.account.session(bot.address).status is SessionStatus.ACTIVE
    signer = OrderSigner(bot.key, fresh.chain.chain_id, fresh.account.address)
    by_ttl = signer.sign(Order(fresh.stack.venue, 1, True, 10, 100, 0, ttl=600))
    by_clock = signer.sign(Order(fresh.stack.venue, 1, True, 10, 100, 1, int(time.time()) + 600))
    assert fresh.account.is_order_authorized(by_ttl.order, by_ttl.signature).reason is Reason.AUTHORIZED
    outcomes = Venue(fresh.chain, fresh.stack.venue).settle(fresh.owner, [by_ttl, by_clock]).outcomes
    assert [o.reason for o in outcomes] == [Reason.AUTHORIZED, Reason.AUTHORIZED]


def test_a_transaction_after_an_idle_hour_lands_at_the_clock(fresh: Fresh, monkeypatch: pytest.MonkeyPatch) -> None:
    later = fresh.chain.timestamp() + 3_600
    _clock_at(monkeypatch, later)
    assert _mine_one(fresh.chain) == later


def test_blocks_are_still_one_second_apart_at_least(fresh: Fresh, monkeypatch: pytest.MonkeyPatch) -> None:
    _clock_at(monkeypatch, fresh.chain.timestamp())  # the clock stands still: a burst runs ahead of it
    first = _mine_one(fresh.chain)
    assert [_mine_one(fresh.chain) for _ in range(3)] == [first + 1, first + 2, first + 3]


def test_a_pinned_time_is_kept_when_the_clock_is_later(fresh: Fresh, monkeypatch: pytest.MonkeyPatch) -> None:
    start = fresh.chain.timestamp()
    _clock_at(monkeypatch, start + 3_600)
    fresh.chain.pin_next_block(start + 10)
    assert _mine_one(fresh.chain) == start + 10
    fresh.chain.travel_to(start + 20)
    assert fresh.chain.timestamp() == start + 20
    assert _mine_one(fresh.chain) == start + 21  # travel_to: the next transaction lands one second later
    assert _mine_one(fresh.chain) == start + 3_600  # then the chain follows the clock again


@pytest.mark.parametrize("move", ["travel_to", "pin_next_block"])
def test_time_cannot_move_back(fresh: Fresh, move: str) -> None:
    latest, block = fresh.chain.timestamp(), fresh.chain.w3.eth.block_number
    with pytest.raises(InvalidInput, match=f"cannot move the chain's time to {latest - 10}: block times only move forward"):
        getattr(fresh.chain, move)(latest - 10)
    assert fresh.chain.w3.eth.block_number == block
