"""ReferenceVenue (SPEC section 9): fills, positions, events, and reason 255 for every other failure."""

from __future__ import annotations

from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from aa_auth.errors import ContractRevert, Reason, TransactionError
from aa_auth.protocol.orders import SignedOrder
from aa_auth.protocol.scope import ANY_MARKET, market_limit
from aa_auth.protocol.typed_data import order_digest
from tests.integration.conftest import MARKET, OTHER_VENUE, Desk, E


def test_fills_book_positions_and_rejections_do_not(desk: Desk, bot: LocalAccount) -> None:
    desk.grant(bot, max_orders_per_window=10)
    outcomes = desk.settle(
        desk.sign(bot, size=3 * E),
        desk.sign(bot, is_buy=False, size=E),
        desk.sign(bot, size=11 * E),  # over the size cap
    ).outcomes
    assert [o.reason for o in outcomes] == [Reason.AUTHORIZED, Reason.AUTHORIZED, Reason.ORDER_TOO_LARGE]
    assert outcomes[0].signer == bot.address
    assert desk.venue.position(desk.account.address, MARKET) == 2 * E


def test_venue_digest_equals_the_accounts_and_pythons(desk: Desk, bot: LocalAccount) -> None:
    desk.grant(bot)
    signed = desk.sign(bot)
    (outcome,) = desk.settle(signed).outcomes
    assert outcome.digest == signed.digest == desk.account.order_digest(signed.order)
    assert outcome.digest == order_digest(desk.chain.chain_id, desk.account.address, signed.order)


def test_order_naming_another_venue_is_255_and_consumes_nothing(desk: Desk, bot: LocalAccount) -> None:
    desk.grant(bot, venues=[desk.stack.venue, OTHER_VENUE])
    signed = desk.sign(bot, venue=OTHER_VENUE)
    (outcome,) = desk.settle(signed).outcomes
    assert outcome.reason is Reason.VENUE_CALL_FAILED  # the account answered CallerNotVenue
    assert desk.account.nonce_bitmap(bot.address, 0) == 0


def test_order_for_a_venue_outside_scope_is_refused_by_that_venue(desk: Desk, bot: LocalAccount) -> None:
    desk.grant(bot, venues=[OTHER_VENUE])
    (outcome,) = desk.settle(desk.sign(bot)).outcomes
    assert outcome.reason is Reason.VENUE_NOT_ALLOWED


def test_consume_order_from_anyone_but_the_venue_reverts(desk: Desk, bot: LocalAccount) -> None:
    desk.grant(bot)
    signed = desk.sign(bot)
    consume = desk.account.contract.functions.consumeOrder(signed.order.as_abi(), signed.signature)
    with pytest.raises(ContractRevert, match="CallerNotVenue"):
        desk.chain.send(consume, desk.relayer)
    assert desk.account.nonce_bitmap(bot.address, 0) == 0


def _retargeted(desk: Desk, signed: SignedOrder, account: str) -> SignedOrder:
    """`signed`'s order and signature sent for `account`, with the digest that claims (else Venue.settle refuses it)."""
    digest = order_digest(desk.chain.chain_id, account, signed.order)
    return SignedOrder(account, signed.order, signed.signature, digest, signed.signer)


def test_account_without_code_is_255(desk: Desk, bot: LocalAccount) -> None:
    eoa = _retargeted(desk, desk.sign(bot), bot.address)
    assert desk.settle(eoa).outcomes[0].reason is Reason.VENUE_CALL_FAILED


def test_fill_that_does_not_fit_the_position_is_255_and_consumes_nothing(desk: Desk, bot: LocalAccount) -> None:
    desk.grant(bot, markets=[market_limit(ANY_MARKET)], max_notional_per_window=2**256 - 1)
    too_big = desk.sign(bot, size=2**255, price=0)
    assert desk.settle(too_big).outcomes[0].reason is Reason.VENUE_CALL_FAILED
    assert desk.account.nonce_bitmap(bot.address, 0) == 0
    # Up to int256's maximum, then one more overflows the position.
    assert desk.settle(desk.sign(bot, size=2**255 - 1, price=0)).outcomes[0].settled
    assert desk.settle(desk.sign(bot, size=1, price=0)).outcomes[0].reason is Reason.VENUE_CALL_FAILED


def test_one_bad_order_never_reverts_the_batch(desk: Desk, bot: LocalAccount) -> None:
    desk.grant(bot, max_orders_per_window=10)
    good, replay = desk.sign(bot), desk.sign(bot)
    bad_sig = desk.sign(bot)
    bad_sig = SignedOrder(bad_sig.account, bad_sig.order, bad_sig.signature[:64] + b"\x00", bad_sig.digest, bad_sig.signer)
    outcomes = desk.settle(good, bad_sig, good, replay).outcomes
    assert [o.reason for o in outcomes] == [
        Reason.AUTHORIZED, Reason.BAD_SIGNATURE, Reason.NONCE_ALREADY_USED, Reason.AUTHORIZED,
    ]


HOSTILE_MODES = ["RevertWithOtherError", "RevertWithReasonZero", "ReturnNothing", "ReturnDirtyAddress",
                 "HugeReturnData", "ReenterVenue", "BurnAllGas"]


def _hostile(desk: Desk, bot: LocalAccount, test_artifacts: dict[str, Any], mode: str) -> SignedOrder:
    hostile, _ = desk.chain.deploy_artifact(test_artifacts["HostileAccount"], desk.relayer, HOSTILE_MODES.index(mode))
    return _retargeted(desk, desk.sign(bot), hostile)


@pytest.mark.parametrize("mode", HOSTILE_MODES)
def test_hostile_account_is_255_without_booking_a_fill(
    desk: Desk, bot: LocalAccount, test_artifacts: dict[str, Any], mode: str
) -> None:
    order = _hostile(desk, bot, test_artifacts, mode)
    assert desk.settle(order).outcomes[0].reason is Reason.VENUE_CALL_FAILED
    assert desk.venue.position(order.account, MARKET) == 0


def test_gas_burning_account_cannot_starve_the_rest_of_the_batch(
    desk: Desk, bot: LocalAccount, test_artifacts: dict[str, Any]
) -> None:
    desk.grant(bot, max_orders_per_window=10)
    burners = [_hostile(desk, bot, test_artifacts, "BurnAllGas") for _ in range(3)]
    honest = [desk.sign(bot) for _ in range(3)]
    settlement = desk.settle(*burners, *honest)
    assert [o.reason for o in settlement.outcomes] == [Reason.VENUE_CALL_FAILED] * 3 + [Reason.AUTHORIZED] * 3
    # Each burner costs at most the cap, not the batch's whole budget.
    assert settlement.gas_used < 3 * 500_000 + 400_000


def test_a_call_starved_by_the_transactions_gas_reverts_the_batch(desk: Desk, bot: LocalAccount) -> None:
    """A consumeOrder that failed with less than the cap to spend says nothing about the order: the batch
    reverts with ConsumeGasShort instead of reporting an honest order as 255, so gas estimation (the
    smallest limit that does not revert) cannot settle on a limit that fails honest orders."""
    desk.grant(bot)
    signed = desk.sign(bot)
    settle = desk.venue.contract.functions.settle([signed.as_abi()])
    with pytest.raises(TransactionError) as starved:
        desk.chain.call(settle, **{"from": desk.relayer.address, "gas": 90_000})
    # The embedded chain reports the revert data only in its message.
    assert repr(keccak(text="ConsumeGasShort()")[:4]) in str(starved.value)
    assert desk.settle(signed).outcomes[0].settled
