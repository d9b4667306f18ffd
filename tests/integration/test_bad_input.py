"""Bad input is refused in Python, before any transaction is sent, with a message that says what to fix."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from eth_account.signers.local import LocalAccount

from aa_auth.errors import DomainMismatch, InsufficientFunds, InvalidInput, Reason
from aa_auth.protocol.orders import Order, SignedOrder
from aa_auth.protocol.scope import market_limit, scope
from aa_auth.protocol.signer import OrderSigner
from tests.conftest import named_key
from tests.integration.conftest import Desk, E

VENUE = "0x" + "ab" * 20


def _sent_nothing(desk: Desk, action: Callable[[], object], match: str) -> None:
    nonces = {a.address: desk.chain.w3.eth.get_transaction_count(a.address) for a in (desk.owner, desk.relayer)}
    block = desk.chain.w3.eth.block_number
    with pytest.raises(InvalidInput, match=match):
        action()
    assert desk.chain.w3.eth.block_number == block
    assert nonces == {a: desk.chain.w3.eth.get_transaction_count(a) for a in nonces}


@pytest.mark.parametrize(
    ("bad_key", "match"),
    [("0x1234", "20-byte hex address"), ("not an address", "20-byte hex address"),
     ("0x" + "aB" * 20, "checksum"), (42, "20-byte hex address")],
)
def test_malformed_key_address(desk: Desk, bad_key: object, match: str) -> None:
    _sent_nothing(desk, lambda: desk.account.grant(desk.owner, bad_key, desk.default_scope()), match)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        ({"venues": []}, "venues is empty"),
        ({"markets": []}, "markets is empty"),
        ({"markets": [market_limit(1), market_limit(1, max_order_size=5)]}, "duplicate market"),
        ({"valid_after": 200, "valid_until": 100}, "valid_after"),
        ({"valid_until": 0}, "valid_until must be > 0"),
        ({"valid_until": 2**48}, "uint48"),
        ({"max_orders_per_window": -1}, "negative"),
        ({"max_orders_per_window": 2**32}, "uint32"),
        ({"max_notional_per_window": 2**256}, "uint256"),
        ({"venues": ["0xnope"]}, "20-byte hex address"),
    ],
)
def test_bad_scope_is_refused_before_sending(desk: Desk, bot: LocalAccount, fields: dict, match: str) -> None:  # type: ignore[type-arg]
    base: dict = dict(valid_until=desk.now() + 100, venues=[VENUE], markets=[market_limit(1)])  # type: ignore[type-arg]
    base.update(fields)
    _sent_nothing(desk, lambda: desk.account.grant(desk.owner, bot.address, scope(**base)), match)


@pytest.mark.parametrize(
    ("fields", "match"),
    [({"size": -1}, "negative"), ({"price": 2**256}, "uint256"), ({"nonce": "7"}, "integer"),
     ({"is_buy": 1}, "bool"), ({"venue": "0x00"}, "20-byte hex address")],
)
def test_bad_order_fields_are_refused(fields: dict, match: str) -> None:  # type: ignore[type-arg]
    base: dict = dict(venue=VENUE, market=1, is_buy=True, size=E, price=E, nonce=0, deadline=1)  # type: ignore[type-arg]
    base.update(fields)
    with pytest.raises(InvalidInput, match=match):
        Order(**base)


@pytest.mark.parametrize("length", [0, 64, 66])
def test_wrong_length_grant_signature_is_refused_before_sending(desk: Desk, bot: LocalAccount, length: int) -> None:
    action = lambda: desk.account.grant_with_sig(desk.relayer, bot.address, desk.default_scope(), desk.now() + 9, b"\1" * length)  # noqa: E731
    _sent_nothing(desk, action, "exactly 65 bytes")


def test_wrong_length_revoke_signature_is_refused_before_sending(desk: Desk, bot: LocalAccount) -> None:
    desk.grant(bot)
    _sent_nothing(desk, lambda: desk.account.revoke_with_sig(desk.relayer, bot.address, b"\1" * 64), "exactly 65 bytes")


def test_revoking_an_unknown_key_is_refused_before_sending(desk: Desk, bot: LocalAccount) -> None:
    _sent_nothing(desk, lambda: desk.account.revoke(desk.owner, bot.address), "not an active session key")


def test_settling_an_order_with_a_short_signature_is_refused_before_sending(desk: Desk, bot: LocalAccount) -> None:
    signed = desk.sign(bot)
    short = SignedOrder(signed.account, signed.order, signed.signature[:64], signed.digest, signed.signer)
    _sent_nothing(desk, lambda: desk.venue.settle(desk.relayer, [short]), "65 bytes")


def test_an_unfunded_sender_is_told_to_fund_it_and_nothing_is_sent(desk: Desk, bot: LocalAccount) -> None:
    desk.grant(bot)
    poor = named_key("unfunded relayer")
    block = desk.chain.w3.eth.block_number
    with pytest.raises(InsufficientFunds, match=f"{poor.address} cannot pay for this transaction .*its balance is 0\\): send it ETH"):
        desk.venue.settle(poor, [desk.sign(bot)])
    with pytest.raises(InsufficientFunds, match=f"{poor.address} cannot pay"):
        desk.chain.deploy("ReferenceVenue", poor)
    assert desk.chain.w3.eth.block_number == block and desk.chain.w3.eth.get_transaction_count(poor.address) == 0


@pytest.mark.parametrize("domain", ["chain", "account"])
def test_an_order_signed_for_another_chain_or_account_is_named_before_sending(desk: Desk, bot: LocalAccount, domain: str) -> None:
    desk.grant(bot)
    chain_id, account = desk.chain.chain_id, desk.account.address
    if domain == "chain":
        chain_id = 1
    else:
        account = desk.stack.factory  # any other address: the domain binds the account's
    elsewhere = OrderSigner(bot.key, chain_id, account).sign(desk.order(bot))
    # What a caller holding the order for this account builds; the chain would say UnknownSigner.
    misdirected = SignedOrder(desk.account.address, elsewhere.order, elsewhere.signature, elsewhere.digest, elsewhere.signer)
    assert desk.reason(misdirected) is Reason.UNKNOWN_SIGNER
    match = f"order {elsewhere.order.nonce}: signed for another chain or account .* on chain {desk.chain.chain_id}"
    with pytest.raises(DomainMismatch, match=match):
        desk.venue.settle(desk.relayer, [desk.sign(bot), misdirected])
    _sent_nothing(desk, lambda: desk.venue.settle(desk.relayer, [misdirected]), "signed for another chain or account")


def test_a_hex_signature_settles_like_bytes(desk: Desk, bot: LocalAccount) -> None:
    desk.grant(bot)
    signed = desk.sign(bot)
    as_hex = SignedOrder(signed.account, signed.order, "0x" + signed.signature.hex(), signed.digest, signed.signer)  # type: ignore[arg-type]
    assert desk.settle(as_hex).outcomes[0].settled
