"""SPEC 14.2: every status move, idempotency and the holds, through real HTTP and real anvil."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from aa_auth.protocol.scope import market_limit
from aa_auth.protocol.signer import OrderSigner
from tests.gateway.harness import MARKET, E, Venue, wire

pytestmark = pytest.mark.anvil

HELD = {"batch_wait": 3_600.0, "batch_max": 10_000}  # nothing settles unless a test makes it


def test_an_order_moves_accepted_submitted_settled(gw: Venue) -> None:
    bot = gw.grant()
    gw.followed()
    signed = gw.sign(bot)
    (result,) = gw.post(signed)
    assert result == {"digest": "0x" + signed.digest.hex(), "status": "accepted", "reason": "Authorized", "code": 0}
    settled = gw.wait_status(signed.digest, "settled")
    receipt = gw.chain.w3.eth.get_transaction_receipt(settled["txHash"])
    assert receipt["blockNumber"] == settled["blockNumber"] and receipt["status"] == 1
    assert (settled["signer"], settled["account"], settled["reason"], settled["code"]) == (bot.address, gw.account.address,
                                                                                         "Authorized", 0)
    assert settled["order"] == {"venue": gw.stack.venue, "market": "1", "isBuy": True, "size": str(E), "price": str(100 * E),
                                "nonce": "0", "deadline": str(signed.order.deadline)}
    assert gw.account.nonce_bitmap(bot.address, 0) == 1


def test_a_held_order_whose_deadline_passes_is_rejected_by_the_recheck_before_its_batch(open_venue: Callable[..., Venue]) -> None:
    gw = open_venue(batch_wait=2.0)
    bot = gw.grant()
    gw.followed()
    signed = gw.sign(bot, deadline=gw.now() + 30)
    assert gw.post(signed)[0]["status"] == "accepted"
    gw.chain.travel_to(gw.now() + 60)  # a block past the deadline, with no account event for the follower to act on
    rejected = gw.wait_status(signed.digest, "rejected")
    assert (rejected["reason"], rejected["code"], rejected["txHash"]) == ("OrderExpired", 11, None)
    assert gw.account.nonce_bitmap(bot.address, 0) == 0


def test_orders_refused_on_chain_are_rejected_with_the_venues_reason_255_included(gw: Venue) -> None:
    bot = gw.grant(markets=[market_limit(MARKET)])
    gw.followed()
    latest = gw.chain.w3.eth.get_block("latest")
    # Valid at the latest block, so intake and the re-check accept it; expired in the settle block.
    late = gw.sign(bot, deadline=latest["timestamp"])
    overflow = gw.sign(bot, size=2**255, price=E)  # the venue's int256 position cannot take it: reason 255
    gw.chain.pin_next_block(latest["timestamp"] + 30)
    assert [r["status"] for r in gw.post(late, overflow)] == ["accepted", "accepted"]
    expired = gw.wait_status(late.digest, "rejected")
    failed = gw.wait_status(overflow.digest, "rejected")
    assert (expired["reason"], expired["code"]) == ("OrderExpired", 11)
    assert (failed["reason"], failed["code"]) == ("VenueCallFailed", 255)
    assert expired["txHash"] == failed["txHash"] is not None and failed["blockNumber"] is not None
    assert gw.account.nonce_bitmap(bot.address, 0) == 0  # neither consumed anything


def test_reposting_is_idempotent_and_rejected_orders_are_not_stored(open_venue: Callable[..., Venue]) -> None:
    gw = open_venue(batch_wait=0.5)
    bot = gw.grant()
    gw.followed()
    signed = gw.sign(bot)
    too_large = gw.sign(bot, size=11 * E)
    first, twice, refused = gw.post(signed, signed, too_large)
    assert first == twice == {"digest": "0x" + signed.digest.hex(), "status": "accepted", "reason": "Authorized", "code": 0}
    assert (refused["status"], refused["reason"], refused["code"]) == ("rejected", "OrderTooLarge", 9)
    assert gw.http.get(f"/v1/orders/0x{too_large.digest.hex()}").status_code == 404
    gw.wait_status(signed.digest, "settled")
    (again,) = gw.post(signed)
    assert (again["status"], again["reason"], again["code"]) == ("settled", "Authorized", 0)
    assert gw.account.nonce_bitmap(bot.address, 0) == 1  # settled once


def test_the_same_order_signed_by_a_second_key_is_refused_as_a_duplicate_digest(open_venue: Callable[..., Venue]) -> None:
    gw = open_venue(**HELD)
    bot, other = gw.grant(), gw.grant()
    gw.followed()
    first = gw.sign(bot)
    second = OrderSigner(other.key, gw.chain.chain_id, gw.account.address).sign(first.order)
    assert second.digest == first.digest  # the digest covers the order and the account, not the signer
    broken = {**wire(first), "signature": "0x" + bytes(65).hex()}
    held, duplicate, unsigned = gw.post(first, second, broken)
    assert held["status"] == "accepted"
    assert (duplicate["status"], duplicate["reason"], duplicate["code"]) == ("rejected", "DuplicateDigest", None)
    assert (unsigned["status"], unsigned["reason"], unsigned["code"]) == ("rejected", "BadSignature", 1)
    assert gw.status(first.digest)["signer"] == bot.address


def _at_once(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run work(0..count-1) in threads released together."""
    start = threading.Barrier(count)

    def run(i: int) -> Any:
        start.wait(timeout=30)
        return work(i)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count), timeout=120))


def test_the_same_nonce_posted_at_once_from_threads_is_accepted_exactly_once(open_venue: Callable[..., Venue]) -> None:
    gw = open_venue(**HELD)
    bot = gw.grant()
    gw.followed()
    rivals = [gw.sign(bot, nonce=7, size=E + i) for i in range(8)]  # eight different orders, one nonce
    results = _at_once(len(rivals), lambda i: gw.post(rivals[i])[0])
    assert Counter((r["status"], r["reason"]) for r in results) == {("accepted", "Authorized"): 1,
                                                                    ("rejected", "NonceAlreadyUsed"): 7}
    (winner,) = [r["digest"] for r in results if r["status"] == "accepted"]
    assert gw.status(winner)["order"]["nonce"] == "7"


@pytest.mark.parametrize("cap", ["orders", "notional"])
def test_window_holds_under_concurrent_posts_accept_exactly_the_cap_and_all_of_it_settles(
        open_venue: Callable[..., Venue], cap: str) -> None:
    gw = open_venue(batch_wait=0.3, batch_max=3)
    limits = {"max_orders_per_window": 5} if cap == "orders" else {"max_notional_per_window": 500 * E}
    bot = gw.grant(**limits)  # a lifetime window; each order's notional is 100
    gw.followed()
    clients, each = 4, 6
    batches = [[gw.sign(bot) for _ in range(each)] for _ in range(clients)]
    results = [r for rs in _at_once(clients, lambda i: gw.post(*batches[i])) for r in rs]
    refusal = "RateLimited" if cap == "orders" else "NotionalCapExceeded"
    assert Counter((r["status"], r["reason"]) for r in results) == {("accepted", "Authorized"): 5,
                                                                    ("rejected", refusal): clients * each - 5}
    for r in results:
        if r["status"] == "accepted":
            gw.wait_status(r["digest"], "settled")
    session = gw.account.session(bot.address)
    assert (session.window_orders, session.window_notional) == (5, 500 * E)
    more = gw.post(gw.sign(bot))[0]
    assert (more["status"], more["reason"]) == ("rejected", refusal)
