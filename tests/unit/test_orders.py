"""Order records, SignedOrder and OrderSigner: signatures byte-identical to eth-account's typed-data signer."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from eth_account import Account
from eth_hash.auto import keccak
from eth_utils.address import to_checksum_address
from hypothesis import given, settings
from hypothesis import strategies as st

from aa_auth.errors import InvalidInput
from aa_auth.protocol.orders import Order, SignedOrder
from aa_auth.protocol.signatures import recover_signer
from aa_auth.protocol.signer import OrderSigner
from aa_auth.protocol.typed_data import full_message, order_digest
from aa_auth.protocol.values import UINT256_MAX

CHAIN_ID = 31337
ACCOUNT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
VENUE = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0"
KEY = keccak(b"aa-auth orders test key")
ADDRESS = Account.from_key(KEY).address
ORDER = Order(VENUE, 7, True, 2 * 10**18, 3000 * 10**18, 42, 1_700_000_000)

uint256 = st.one_of(st.sampled_from([0, 1, 2**255, UINT256_MAX]), st.integers(0, UINT256_MAX))
addresses = st.binary(min_size=20, max_size=20).map(to_checksum_address)
orders = st.builds(Order, addresses, uint256, st.booleans(), uint256, uint256, uint256, uint256)


def eth_account_signature(order: Order, chain_id: int = CHAIN_ID, account: str = ACCOUNT) -> bytes:
    message = full_message("Order", order.to_message(), chain_id, account)
    return bytes(Account.sign_typed_data(KEY, full_message=message).signature)


def test_signed_order_equals_eth_account_sign_typed_data() -> None:
    signed = OrderSigner(KEY, CHAIN_ID, ACCOUNT).sign(ORDER)
    assert signed.signature == eth_account_signature(ORDER)
    assert signed.digest == order_digest(CHAIN_ID, ACCOUNT, ORDER)
    assert (signed.account, signed.order, signed.signer) == (ACCOUNT, ORDER, ADDRESS)


@settings(derandomize=True, max_examples=150, deadline=None)
@given(order=orders)
def test_any_order_signs_like_eth_account(order: Order) -> None:
    assert OrderSigner(KEY, CHAIN_ID, ACCOUNT).sign(order).signature == eth_account_signature(order)


def test_signature_recovers_to_the_signer() -> None:
    signed = OrderSigner(KEY, CHAIN_ID, ACCOUNT).sign(ORDER)
    assert recover_signer(signed.digest, signed.signature) == signed.signer == ADDRESS


def test_signer_binds_its_chain_and_account() -> None:
    other_account = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"
    signed = OrderSigner(KEY, 1, other_account).sign(ORDER)
    assert signed.signature == eth_account_signature(ORDER, 1, other_account)
    assert signed.signature != OrderSigner(KEY, CHAIN_ID, ACCOUNT).sign(ORDER).signature


def test_sign_many_signs_each_order_in_order() -> None:
    signer = OrderSigner(KEY, CHAIN_ID, ACCOUNT)
    batch = [Order(VENUE, 7, nonce % 2 == 0, 10, 20, nonce, 99) for nonce in range(5)]
    signed = signer.sign_many(iter(batch))
    assert [s.order for s in signed] == batch
    assert signed == [signer.sign(order) for order in batch]
    assert signer.sign_many([]) == []


def test_signed_order_as_abi_is_the_spec_tuple() -> None:
    signed = OrderSigner(KEY, CHAIN_ID, ACCOUNT).sign(ORDER)
    assert signed.as_abi() == (ACCOUNT, (VENUE, 7, True, 2 * 10**18, 3000 * 10**18, 42, 1_700_000_000), signed.signature)


def test_signed_order_is_frozen() -> None:
    signed = OrderSigner(KEY, CHAIN_ID, ACCOUNT).sign(ORDER)
    with pytest.raises(AttributeError):
        signed.signer = "0x0000000000000000000000000000000000000000"  # type: ignore[misc]
    assert isinstance(signed, SignedOrder)


def test_signer_accepts_hex_key_and_lowercase_account() -> None:
    signer = OrderSigner("0x" + KEY.hex(), CHAIN_ID, ACCOUNT.lower())
    assert (signer.address, signer.account, signer.chain_id) == (ADDRESS, ACCOUNT, CHAIN_ID)
    assert signer.sign(ORDER).signature == eth_account_signature(ORDER)


def test_signer_repr_never_shows_the_key() -> None:
    text = repr(OrderSigner(KEY, CHAIN_ID, ACCOUNT))
    assert ADDRESS in text and KEY.hex() not in text


@pytest.mark.parametrize(
    "key, chain_id, account, fragment",
    [
        (KEY[:31], CHAIN_ID, ACCOUNT, "private_key must be 32 bytes"),
        (bytes(32), CHAIN_ID, ACCOUNT, "private_key is not a secp256k1 scalar"),
        (KEY, 0, ACCOUNT, "chain_id must be positive"),
        (KEY, -5, ACCOUNT, "chain_id must not be negative"),
        (KEY, "31337", ACCOUNT, "chain_id must be an integer"),
        (KEY, True, ACCOUNT, "chain_id must be an integer"),
        (KEY, CHAIN_ID, "0x1234", "account must be a 0x-prefixed 20-byte hex address"),
        (KEY, CHAIN_ID, ACCOUNT.replace("F", "f", 1), "account has a wrong EIP-55 checksum"),
    ],
)
def test_bad_signer_inputs_raise_invalid_input_saying_what_to_fix(
    key: Any, chain_id: Any, account: Any, fragment: str
) -> None:
    with pytest.raises(InvalidInput, match=fragment):
        OrderSigner(key, chain_id, account)


def test_signing_something_that_is_not_an_order_raises() -> None:
    with pytest.raises(InvalidInput, match="sign\\(\\) takes an Order record, got dict"):
        OrderSigner(KEY, CHAIN_ID, ACCOUNT).sign(ORDER.to_message())  # type: ignore[arg-type]


def test_order_normalizes_venue_to_checksum() -> None:
    assert Order(VENUE.lower(), 1, True, 1, 1, 1, 1).venue == VENUE


def test_order_abi_round_trip() -> None:
    assert Order.from_abi(ORDER.as_abi()) == ORDER


@pytest.mark.parametrize(
    "fields, fragment",
    [
        ({"venue": "0xdead"}, "order venue must be a 0x-prefixed 20-byte hex address"),
        ({"is_buy": 1}, "is_buy must be a bool"),
        ({"size": -1}, "order size must not be negative"),
        ({"price": 2**256}, "order price does not fit in uint256"),
        ({"nonce": 1.0}, "order nonce must be an integer"),
    ],
)
def test_bad_order_fields_raise_invalid_input(fields: dict[str, Any], fragment: str) -> None:
    values: dict[str, Any] = {
        "venue": VENUE,
        "market": 1,
        "is_buy": True,
        "size": 1,
        "price": 1,
        "nonce": 1,
        "deadline": 1,
    } | fields
    with pytest.raises(InvalidInput, match=fragment):
        Order(**values)


# ---------------------------------------------------------------- relative deadlines (ttl=)

def test_ttl_is_seconds_from_the_wall_clock(frozen_clock: int) -> None:
    order = Order(VENUE, 7, True, 1, 2, 3, ttl=600)
    assert order.deadline == frozen_clock + 600 and isinstance(order.deadline, int)


def test_an_order_built_with_ttl_is_the_same_record_as_one_with_its_deadline(frozen_clock: int) -> None:
    by_ttl = Order(VENUE, 7, True, 1, 2, 3, ttl=60)
    by_deadline = Order(VENUE, 7, True, 1, 2, 3, frozen_clock + 60)
    assert by_ttl == by_deadline and hash(by_ttl) == hash(by_deadline) and repr(by_ttl) == repr(by_deadline)
    assert "ttl" not in {f.name for f in dataclasses.fields(Order)}
    assert Order.from_abi(by_ttl.as_abi()) == by_ttl and by_ttl.to_message()["deadline"] == frozen_clock + 60
    assert dataclasses.replace(by_ttl, size=5).deadline == frozen_clock + 60


def test_deadline_by_keyword_still_works() -> None:
    assert Order(VENUE, 7, True, 1, 2, 3, deadline=99) == Order(VENUE, 7, True, 1, 2, 3, 99)


@pytest.mark.parametrize(
    "when, fragment",
    [
        ({}, "exactly one of deadline \\(unix seconds\\) and ttl"),
        ({"deadline": 99, "ttl": 60}, "exactly one of deadline"),
        ({"ttl": 0}, "ttl must be at least 1 second"),
        ({"ttl": -1}, "ttl must not be negative"),
        ({"ttl": 1.5}, "ttl must be an integer"),
        ({"ttl": True}, "ttl must be an integer"),
        ({"ttl": 2**256 - 1}, "order deadline does not fit in uint256"),
    ],
)
def test_bad_deadline_or_ttl_raises_invalid_input(frozen_clock: int, when: dict[str, Any], fragment: str) -> None:
    with pytest.raises(InvalidInput, match=fragment):
        Order(VENUE, 7, True, 1, 2, 3, **when)


def test_ttl_is_keyword_only() -> None:
    with pytest.raises(TypeError):
        Order(VENUE, 7, True, 1, 2, 3, None, 60)  # type: ignore[misc]


# ---------------------------------------------------------------- SignedOrder checks its parts

def test_signed_order_takes_a_hex_signature_and_digest_as_bytes() -> None:
    signed = OrderSigner(KEY, CHAIN_ID, ACCOUNT).sign(ORDER)
    from_hex = SignedOrder(ACCOUNT.lower(), ORDER, "0x" + signed.signature.hex(), "0x" + signed.digest.hex(), signed.signer)
    assert from_hex == signed
    assert isinstance(from_hex.signature, bytes) and len(from_hex.signature) == 65


@pytest.mark.parametrize(
    "change, fragment",
    [
        ({"signature": 12345}, "signed order signature must be bytes or 0x-hex, got int"),
        ({"signature": "0xnothex"}, "signed order signature must be hex"),
        ({"digest": bytes(31)}, "signed order digest must be exactly 32 bytes, got 31"),
        ({"account": "0x1234"}, "signed order account must be a 0x-prefixed 20-byte hex address"),
        ({"order": ORDER.as_abi()}, "order must be an Order record, got tuple"),
    ],
)
def test_signed_order_refuses_malformed_parts_at_construction(change: dict[str, Any], fragment: str) -> None:
    signed = OrderSigner(KEY, CHAIN_ID, ACCOUNT).sign(ORDER)
    parts = {"account": signed.account, "order": signed.order, "signature": signed.signature,
             "digest": signed.digest, "signer": signed.signer} | change
    with pytest.raises(InvalidInput, match=fragment):
        SignedOrder(**parts)
