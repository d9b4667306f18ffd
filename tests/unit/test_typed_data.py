"""SPEC sections 2, 3 and 7: type strings, typehashes, domain and digests, against eth-account."""

from __future__ import annotations

import json
from typing import Any

import pytest
from eth_abi.abi import encode
from eth_account.messages import encode_typed_data
from eth_hash.auto import keccak

from aa_auth.errors import InvalidInput
from aa_auth.protocol.orders import Order
from aa_auth.protocol.scope import CallPermission, MarketLimit, Scope
from aa_auth.protocol.typed_data import (
    AA_AUTH_MESSAGE_TYPEHASH,
    CALL_PERMISSION_TYPEHASH,
    DOMAIN_TYPEHASH,
    MARKET_LIMIT_TYPEHASH,
    ORDER_TYPEHASH,
    REVOKE_SESSION_TYPEHASH,
    SCOPE_TYPEHASH,
    SESSION_GRANT_TYPEHASH,
    TYPES,
    aa_auth_message_digest,
    domain_separator,
    encode_type,
    full_message,
    hash_order,
    hash_scope,
    order_digest,
    revoke_session_digest,
    session_grant_digest,
    typed_data_hash,
)
from aa_auth.protocol.values import ANY_MARKET, UINT32_MAX, UINT48_MAX, UINT256_MAX

CHAIN_ID = 31337
ACCOUNT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
OTHER_ACCOUNT = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"
VENUE = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0"
VENUE_2 = "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9"
KEY = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
MAX_ADDRESS = "0xFFfFfFffFFfffFFfFFfFFFFFffFFFffffFfFFFfF"

# SPEC section 2 and 3, copied literally.
SPEC_DOMAIN = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
SPEC_ORDER = "Order(address venue,uint256 market,bool isBuy,uint256 size,uint256 price,uint256 nonce,uint256 deadline)"
SPEC_SESSION_GRANT = "SessionGrant(address key,Scope scope,uint256 nonce,uint256 deadline)"
SPEC_SCOPE = "Scope(uint48 validAfter,uint48 validUntil,address[] venues,MarketLimit[] markets,uint256 maxNotionalPerWindow,uint32 maxOrdersPerWindow,uint32 windowSeconds,uint256 maxGasFee,CallPermission[] calls)"
SPEC_MARKET_LIMIT = "MarketLimit(uint256 market,uint256 maxOrderSize,uint256 minPrice,uint256 maxPrice)"
SPEC_CALL_PERMISSION = "CallPermission(address target,bytes4 selector,uint256 maxValue)"
SPEC_REVOKE_SESSION = "RevokeSession(address key)"
SPEC_AA_AUTH_MESSAGE = "AAAuthMessage(bytes32 hash)"


def eth_account_digest(message: dict[str, Any]) -> bytes:
    signable = encode_typed_data(full_message=message)
    return keccak(b"\x19" + signable.version + signable.header + signable.body)


def eth_account_struct_hash(message: dict[str, Any]) -> bytes:
    return bytes(encode_typed_data(full_message=message).body)


def make_scope(
    venues: tuple[str, ...] = (VENUE,),
    markets: tuple[MarketLimit, ...] = (MarketLimit(7, 10**20, 10**18, 5 * 10**21),),
    calls: tuple[CallPermission, ...] = (),
    **fields: int,
) -> Scope:
    values = {
        "valid_after": 1_000,
        "valid_until": 2_000_000_000,
        "max_notional_per_window": 10**24,
        "max_orders_per_window": 100,
        "window_seconds": 3600,
        "max_gas_fee": 10**16,
    } | fields
    return Scope(venues=venues, markets=markets, calls=calls, **values)


EMPTY_SCOPE = make_scope(venues=(), markets=(), calls=())
RICH_SCOPE = make_scope(
    venues=(VENUE, VENUE_2, MAX_ADDRESS),
    markets=(
        MarketLimit(1, 5 * 10**18, 0, 10**22),
        MarketLimit(2, 1, 1, 1),
        MarketLimit(ANY_MARKET, UINT256_MAX, 0, UINT256_MAX),
    ),
    calls=(
        CallPermission(VENUE, bytes.fromhex("a9059cbb"), 0),
        CallPermission(VENUE, bytes.fromhex("00000000"), 10**18),
        CallPermission(VENUE_2, bytes.fromhex("ffffffff"), UINT256_MAX),
    ),
)
MAX_SCOPE = make_scope(
    venues=(MAX_ADDRESS,),
    markets=(MarketLimit(UINT256_MAX, UINT256_MAX, UINT256_MAX, UINT256_MAX),),
    calls=(CallPermission(MAX_ADDRESS, b"\xff" * 4, UINT256_MAX),),
    valid_after=UINT48_MAX,
    valid_until=UINT48_MAX,
    max_notional_per_window=UINT256_MAX,
    max_orders_per_window=UINT32_MAX,
    window_seconds=UINT32_MAX,
    max_gas_fee=UINT256_MAX,
)
SCOPES = pytest.mark.parametrize("scope", [EMPTY_SCOPE, RICH_SCOPE, MAX_SCOPE], ids=["empty", "rich", "max"])

ORDERS = pytest.mark.parametrize(
    "order",
    [
        Order(VENUE, 7, True, 10**18, 3000 * 10**18, 42, 1_700_000_000),
        Order("0x0000000000000000000000000000000000000000", 0, False, 0, 0, 0, 0),
        Order(MAX_ADDRESS, UINT256_MAX, True, UINT256_MAX, UINT256_MAX, UINT256_MAX, UINT256_MAX),
    ],
    ids=["typical", "zeros", "max"],
)


def test_type_strings_are_the_spec_text() -> None:
    assert encode_type("Order") == SPEC_ORDER
    assert encode_type("MarketLimit") == SPEC_MARKET_LIMIT
    assert encode_type("CallPermission") == SPEC_CALL_PERMISSION
    assert encode_type("RevokeSession") == SPEC_REVOKE_SESSION
    assert encode_type("AAAuthMessage") == SPEC_AA_AUTH_MESSAGE
    # encodeType appends referenced types sorted by name.
    assert encode_type("Scope") == SPEC_SCOPE + SPEC_CALL_PERMISSION + SPEC_MARKET_LIMIT
    assert encode_type("SessionGrant") == SPEC_SESSION_GRANT + SPEC_CALL_PERMISSION + SPEC_MARKET_LIMIT + SPEC_SCOPE


def test_typehash_constants_are_keccak_of_the_spec_type_strings() -> None:
    scope_string = SPEC_SCOPE + SPEC_CALL_PERMISSION + SPEC_MARKET_LIMIT
    expected = {
        DOMAIN_TYPEHASH: SPEC_DOMAIN,
        ORDER_TYPEHASH: SPEC_ORDER,
        SESSION_GRANT_TYPEHASH: SPEC_SESSION_GRANT + SPEC_CALL_PERMISSION + SPEC_MARKET_LIMIT + SPEC_SCOPE,
        SCOPE_TYPEHASH: scope_string,
        MARKET_LIMIT_TYPEHASH: SPEC_MARKET_LIMIT,
        CALL_PERMISSION_TYPEHASH: SPEC_CALL_PERMISSION,
        REVOKE_SESSION_TYPEHASH: SPEC_REVOKE_SESSION,
        AA_AUTH_MESSAGE_TYPEHASH: SPEC_AA_AUTH_MESSAGE,
    }
    for constant, type_string in expected.items():
        assert constant == keccak(type_string.encode()), type_string


def test_types_hold_exactly_the_spec_structs() -> None:
    assert set(TYPES) == {"Order", "SessionGrant", "Scope", "MarketLimit", "CallPermission", "RevokeSession", "AAAuthMessage"}


def test_domain_separator_equals_eth_account_domain_hash() -> None:
    for chain_id, account in [(1, ACCOUNT), (CHAIN_ID, OTHER_ACCOUNT), (UINT256_MAX, MAX_ADDRESS)]:
        message = full_message("RevokeSession", {"key": KEY}, chain_id, account)
        assert domain_separator(chain_id, account) == bytes(encode_typed_data(full_message=message).header)


def test_domain_separator_accepts_lowercase_account_as_the_same_domain() -> None:
    assert domain_separator(CHAIN_ID, ACCOUNT.lower()) == domain_separator(CHAIN_ID, ACCOUNT)


def test_domain_binds_chain_and_account() -> None:
    order = Order(VENUE, 7, True, 1, 1, 0, 1)
    digest = order_digest(CHAIN_ID, ACCOUNT, order)
    assert order_digest(CHAIN_ID, OTHER_ACCOUNT, order) != digest
    assert order_digest(CHAIN_ID + 1, ACCOUNT, order) != digest


@ORDERS
def test_order_digest_equals_eth_account(order: Order) -> None:
    message = full_message("Order", order.to_message(), CHAIN_ID, ACCOUNT)
    assert order_digest(CHAIN_ID, ACCOUNT, order) == eth_account_digest(message)
    assert hash_order(order) == eth_account_struct_hash(message)


def test_order_digest_changes_with_every_field() -> None:
    base = Order(VENUE, 7, True, 10, 20, 30, 40)
    variants = [
        Order(VENUE_2, 7, True, 10, 20, 30, 40),
        Order(VENUE, 8, True, 10, 20, 30, 40),
        Order(VENUE, 7, False, 10, 20, 30, 40),
        Order(VENUE, 7, True, 11, 20, 30, 40),
        Order(VENUE, 7, True, 10, 21, 30, 40),
        Order(VENUE, 7, True, 10, 20, 31, 40),
        Order(VENUE, 7, True, 10, 20, 30, 41),
    ]
    hashes = {hash_order(order) for order in [base, *variants]}
    assert len(hashes) == 1 + len(variants)


@SCOPES
def test_scope_hash_equals_eth_account_hash_struct(scope: Scope) -> None:
    message = full_message("Scope", scope.to_message(), CHAIN_ID, ACCOUNT)
    assert hash_scope(scope) == eth_account_struct_hash(message)


def test_empty_arrays_hash_as_keccak_of_nothing() -> None:
    empty = keccak(b"")
    expected = keccak(
        SCOPE_TYPEHASH
        + encode(["uint48", "uint48"], [EMPTY_SCOPE.valid_after, EMPTY_SCOPE.valid_until])
        + empty
        + empty
        + encode(
            ["uint256", "uint32", "uint32", "uint256"],
            [
                EMPTY_SCOPE.max_notional_per_window,
                EMPTY_SCOPE.max_orders_per_window,
                EMPTY_SCOPE.window_seconds,
                EMPTY_SCOPE.max_gas_fee,
            ],
        )
        + empty
    )
    assert hash_scope(EMPTY_SCOPE) == expected


def test_scope_hash_depends_on_array_order() -> None:
    swapped = make_scope(venues=(VENUE_2, VENUE, MAX_ADDRESS), markets=RICH_SCOPE.markets, calls=RICH_SCOPE.calls)
    assert hash_scope(swapped) != hash_scope(RICH_SCOPE)


@SCOPES
@pytest.mark.parametrize("nonce, deadline", [(0, 0), (5, 1_800_000_000), (UINT256_MAX, UINT256_MAX)])
def test_session_grant_digest_equals_eth_account(scope: Scope, nonce: int, deadline: int) -> None:
    message = full_message(
        "SessionGrant",
        {"key": KEY, "scope": scope.to_message(), "nonce": nonce, "deadline": deadline},
        CHAIN_ID,
        ACCOUNT,
    )
    assert session_grant_digest(CHAIN_ID, ACCOUNT, KEY, scope, nonce, deadline) == eth_account_digest(message)


@pytest.mark.parametrize("key", [KEY, MAX_ADDRESS, "0x0000000000000000000000000000000000000000"])
def test_revoke_session_digest_equals_eth_account(key: str) -> None:
    message = full_message("RevokeSession", {"key": key}, CHAIN_ID, ACCOUNT)
    assert revoke_session_digest(CHAIN_ID, ACCOUNT, key) == eth_account_digest(message)


@pytest.mark.parametrize("hash32", [bytes(32), b"\xff" * 32, keccak(b"some off-chain message")])
def test_aa_auth_message_digest_equals_eth_account(hash32: bytes) -> None:
    message = full_message("AAAuthMessage", {"hash": hash32}, CHAIN_ID, ACCOUNT)
    assert aa_auth_message_digest(CHAIN_ID, ACCOUNT, hash32) == eth_account_digest(message)


def test_aa_auth_message_digest_is_the_spec_section_7_formula() -> None:
    hash32 = keccak(b"payload")
    struct_hash = keccak(encode(["bytes32", "bytes32"], [keccak(b"AAAuthMessage(bytes32 hash)"), hash32]))
    expected = keccak(b"\x19\x01" + domain_separator(CHAIN_ID, ACCOUNT) + struct_hash)
    assert aa_auth_message_digest(CHAIN_ID, ACCOUNT, hash32) == expected
    assert typed_data_hash(domain_separator(CHAIN_ID, ACCOUNT), struct_hash) == expected


def test_full_message_lists_only_the_types_the_primary_type_uses() -> None:
    order = full_message("Order", Order(VENUE, 1, True, 1, 1, 1, 1).to_message(), CHAIN_ID, ACCOUNT)
    assert set(order["types"]) == {"EIP712Domain", "Order"}
    grant = full_message("SessionGrant", {}, CHAIN_ID, ACCOUNT)
    assert set(grant["types"]) == {"EIP712Domain", "SessionGrant", "Scope", "MarketLimit", "CallPermission"}


def test_full_message_domain_is_the_accounts() -> None:
    message = full_message("RevokeSession", {"key": KEY}, CHAIN_ID, ACCOUNT.lower())
    assert message["primaryType"] == "RevokeSession"
    assert message["domain"] == {
        "name": "AA Auth Account",
        "version": "1",
        "chainId": CHAIN_ID,
        "verifyingContract": ACCOUNT,
    }
    assert message["types"]["EIP712Domain"] == [
        {"name": "name", "type": "string"},
        {"name": "version", "type": "string"},
        {"name": "chainId", "type": "uint256"},
        {"name": "verifyingContract", "type": "address"},
    ]


def test_full_message_is_json_serializable_with_hex_selectors() -> None:
    message = full_message(
        "SessionGrant", {"key": KEY, "scope": RICH_SCOPE.to_message(), "nonce": 0, "deadline": 1}, CHAIN_ID, ACCOUNT
    )
    assert message["message"]["scope"]["calls"][0]["selector"] == "0xa9059cbb"
    assert json.loads(json.dumps(message)) == message


def test_editing_a_full_message_leaves_types_untouched() -> None:
    message = full_message("Order", {}, CHAIN_ID, ACCOUNT)
    message["types"]["Order"][0]["type"] = "uint8"
    message["types"]["Order"].pop()
    assert encode_type("Order") == SPEC_ORDER
    assert full_message("Order", {}, CHAIN_ID, ACCOUNT)["types"]["Order"] == TYPES["Order"]


@pytest.mark.parametrize(
    "chain_id, account, fragment",
    [
        (0, ACCOUNT, "chain_id must be positive"),
        (-1, ACCOUNT, "chain_id must not be negative"),
        ("1", ACCOUNT, "chain_id must be an integer"),
        (True, ACCOUNT, "chain_id must be an integer"),
        (2**256, ACCOUNT, "chain_id does not fit in uint256"),
        (CHAIN_ID, "0x1234", "account must be a 0x-prefixed 20-byte hex address"),
        (CHAIN_ID, ACCOUNT.replace("F", "f", 1), "wrong EIP-55 checksum"),
    ],
)
def test_bad_domain_inputs_raise_invalid_input_saying_what_to_fix(chain_id: Any, account: Any, fragment: str) -> None:
    with pytest.raises(InvalidInput, match=fragment):
        domain_separator(chain_id, account)
    with pytest.raises(InvalidInput, match=fragment):
        full_message("Order", {}, chain_id, account)


def test_a_cached_chain_id_1_does_not_let_true_through() -> None:
    domain_separator(1, ACCOUNT)
    with pytest.raises(InvalidInput, match="chain_id must be an integer"):
        domain_separator(True, ACCOUNT)


def test_bad_message_inputs_raise_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="key must be a 0x-prefixed 20-byte hex address"):
        revoke_session_digest(CHAIN_ID, ACCOUNT, "not an address")
    with pytest.raises(InvalidInput, match="nonce must not be negative"):
        session_grant_digest(CHAIN_ID, ACCOUNT, KEY, RICH_SCOPE, -1, 0)
    with pytest.raises(InvalidInput, match="deadline does not fit in uint256"):
        session_grant_digest(CHAIN_ID, ACCOUNT, KEY, RICH_SCOPE, 0, 2**256)
    with pytest.raises(InvalidInput, match="hash32 must be exactly 32 bytes, got 31"):
        aa_auth_message_digest(CHAIN_ID, ACCOUNT, bytes(31))


def test_unknown_type_names_list_the_spec_types() -> None:
    with pytest.raises(InvalidInput, match="the SPEC's types are"):
        encode_type("Permit")
    with pytest.raises(InvalidInput, match="unknown primary type 'EIP712Domain'"):
        full_message("EIP712Domain", {}, CHAIN_ID, ACCOUNT)
