"""The SPEC's EIP-712 types (sections 2, 3 and 7) and the digests signed under an account's domain.

`TYPES` is the one source of truth: the type strings, and so the typehashes, are derived from it
by EIP-712 `encodeType`, and `full_message` hands the same definitions to eth-account, ethers.js,
viem or MetaMask. The hashing itself is written out by hand (32-byte words and keccak) because it
is on a bot's hot path; the tests hold it equal to eth-account's generic encoder.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Final

from aa_auth.errors import InvalidInput
from aa_auth.protocol.keccak import keccak
from aa_auth.protocol.orders import Order
from aa_auth.protocol.scope import CallPermission, MarketLimit, Scope
from aa_auth.protocol.values import check_address, check_bytes, check_uint

__all__ = [
    "AA_AUTH_MESSAGE_TYPEHASH",
    "CALL_PERMISSION_TYPEHASH",
    "DOMAIN_NAME",
    "DOMAIN_TYPEHASH",
    "DOMAIN_VERSION",
    "EIP712_DOMAIN_TYPE",
    "MARKET_LIMIT_TYPEHASH",
    "ORDER_TYPEHASH",
    "REVOKE_SESSION_TYPEHASH",
    "SCOPE_TYPEHASH",
    "SESSION_GRANT_TYPEHASH",
    "TYPES",
    "aa_auth_message_digest",
    "domain_separator",
    "encode_type",
    "full_message",
    "hash_order",
    "hash_scope",
    "order_digest",
    "revoke_session_digest",
    "session_grant_digest",
    "typed_data_hash",
]

DOMAIN_NAME: Final = "AA Auth Account"
DOMAIN_VERSION: Final = "1"


def _struct(*fields: str) -> list[dict[str, str]]:
    """eth-account's field list from "type name" pairs, in declaration order."""
    return [{"name": name, "type": type_} for type_, name in (field.split(" ") for field in fields)]


EIP712_DOMAIN_TYPE: Final = _struct(
    "string name", "string version", "uint256 chainId", "address verifyingContract"
)

TYPES: Final = {
    "Order": _struct(
        "address venue",
        "uint256 market",
        "bool isBuy",
        "uint256 size",
        "uint256 price",
        "uint256 nonce",
        "uint256 deadline",
    ),
    "SessionGrant": _struct("address key", "Scope scope", "uint256 nonce", "uint256 deadline"),
    "Scope": _struct(
        "uint48 validAfter",
        "uint48 validUntil",
        "address[] venues",
        "MarketLimit[] markets",
        "uint256 maxNotionalPerWindow",
        "uint32 maxOrdersPerWindow",
        "uint32 windowSeconds",
        "uint256 maxGasFee",
        "CallPermission[] calls",
    ),
    "MarketLimit": _struct("uint256 market", "uint256 maxOrderSize", "uint256 minPrice", "uint256 maxPrice"),
    "CallPermission": _struct("address target", "bytes4 selector", "uint256 maxValue"),
    "RevokeSession": _struct("address key"),
    "AAAuthMessage": _struct("bytes32 hash"),
}


def _referenced(type_name: str, found: set[str]) -> set[str]:
    """Struct types `type_name` reaches through its fields, arrays included (no SPEC type is recursive)."""
    for field in TYPES[type_name]:
        child = field["type"].removesuffix("[]")
        if child in TYPES and child not in found:
            found.add(child)
            _referenced(child, found)
    return found


def _dependencies(primary_type: str) -> list[str]:
    """The primary type, then the types it references sorted by name: EIP-712's encodeType order."""
    return [primary_type, *sorted(_referenced(primary_type, set()))]


def _encode_struct(name: str, fields: list[dict[str, str]]) -> str:
    members = ",".join(field["type"] + " " + field["name"] for field in fields)
    return f"{name}({members})"


def encode_type(primary_type: str) -> str:
    """EIP-712 encodeType of a SPEC type, e.g. 'SessionGrant(...)CallPermission(...)MarketLimit(...)Scope(...)'."""
    if primary_type not in TYPES:
        raise InvalidInput(f"unknown type {primary_type!r}; the SPEC's types are {sorted(TYPES)}")
    return "".join(_encode_struct(name, TYPES[name]) for name in _dependencies(primary_type))


def _typehash(type_string: str) -> bytes:
    return keccak(type_string.encode())


DOMAIN_TYPEHASH: Final = _typehash(_encode_struct("EIP712Domain", EIP712_DOMAIN_TYPE))
ORDER_TYPEHASH: Final = _typehash(encode_type("Order"))
SESSION_GRANT_TYPEHASH: Final = _typehash(encode_type("SessionGrant"))
SCOPE_TYPEHASH: Final = _typehash(encode_type("Scope"))
MARKET_LIMIT_TYPEHASH: Final = _typehash(encode_type("MarketLimit"))
CALL_PERMISSION_TYPEHASH: Final = _typehash(encode_type("CallPermission"))
REVOKE_SESSION_TYPEHASH: Final = _typehash(encode_type("RevokeSession"))
AA_AUTH_MESSAGE_TYPEHASH: Final = _typehash(encode_type("AAAuthMessage"))

_PAD12: Final = bytes(12)
# An address word is 12 zero bytes then the 20 address bytes; the Order's typehash and the first
# 12 bytes of its venue word are fixed, so hashing an order is one keccak over 256 bytes.
_ORDER_PREFIX: Final = ORDER_TYPEHASH + _PAD12
_SELECTOR_PAD: Final = bytes(28)  # bytes4 is left-aligned in its word


def _word(value: int) -> bytes:
    return value.to_bytes(32, "big")


def _address_word(address: str) -> bytes:
    """`address` must already be checksummed hex (records and check_address guarantee it)."""
    return _PAD12 + bytes.fromhex(address[2:])


def _check_domain(chain_id: object, account: object) -> tuple[int, str]:
    chain_id = check_uint("chain_id", chain_id)
    if chain_id == 0:
        raise InvalidInput("chain_id must be positive: the id of the chain the account lives on (e.g. 1, 31337)")
    return chain_id, check_address("account", account)


@lru_cache(maxsize=1024, typed=True)  # typed: True must not hit the entry cached for chain id 1
def domain_separator(chain_id: int, account: str) -> bytes:
    """hashStruct(EIP712Domain) of the account (SPEC section 2); cached per (chain_id, account)."""
    chain_id, account = _check_domain(chain_id, account)
    return keccak(
        DOMAIN_TYPEHASH
        + keccak(DOMAIN_NAME.encode())
        + keccak(DOMAIN_VERSION.encode())
        + _word(chain_id)
        + _address_word(account)
    )


def typed_data_hash(domain: bytes, struct_hash: bytes) -> bytes:
    """keccak256("\\x19\\x01" || domainSeparator || hashStruct(message)): what a key signs."""
    return keccak(b"\x19\x01" + domain + struct_hash)


def hash_order(order: Order) -> bytes:
    """hashStruct(Order)."""
    return keccak(
        b"".join(
            (
                _ORDER_PREFIX,
                bytes.fromhex(order.venue[2:]),
                order.market.to_bytes(32, "big"),
                order.is_buy.to_bytes(32, "big"),
                order.size.to_bytes(32, "big"),
                order.price.to_bytes(32, "big"),
                order.nonce.to_bytes(32, "big"),
                order.deadline.to_bytes(32, "big"),
            )
        )
    )


def _hash_market_limit(limit: MarketLimit) -> bytes:
    return keccak(
        MARKET_LIMIT_TYPEHASH
        + _word(limit.market)
        + _word(limit.max_order_size)
        + _word(limit.min_price)
        + _word(limit.max_price)
    )


def _hash_call_permission(call: CallPermission) -> bytes:
    return keccak(CALL_PERMISSION_TYPEHASH + _address_word(call.target) + call.selector + _SELECTOR_PAD + _word(call.max_value))


def hash_scope(scope: Scope) -> bytes:
    """hashStruct(Scope): the `scopeHash` of SessionGranted (SPEC section 10).

    Arrays hash as keccak of their elements' words concatenated: padded addresses for `venues`,
    hashStructs for `markets` and `calls` (keccak of nothing for an empty list).
    """
    return keccak(
        b"".join(
            (
                SCOPE_TYPEHASH,
                _word(scope.valid_after),
                _word(scope.valid_until),
                keccak(b"".join(map(_address_word, scope.venues))),
                keccak(b"".join(map(_hash_market_limit, scope.markets))),
                _word(scope.max_notional_per_window),
                _word(scope.max_orders_per_window),
                _word(scope.window_seconds),
                _word(scope.max_gas_fee),
                keccak(b"".join(map(_hash_call_permission, scope.calls))),
            )
        )
    )


def order_digest(chain_id: int, account: str, order: Order) -> bytes:
    """The digest a key signs for `order` on `account` (what the account's `orderDigest` returns)."""
    return typed_data_hash(domain_separator(chain_id, account), hash_order(order))


def session_grant_digest(chain_id: int, account: str, key: str, scope: Scope, nonce: int, deadline: int) -> bytes:
    """The digest the owner signs for `grantSessionWithSig`; `nonce` is the account's `grantNonce()`."""
    struct_hash = keccak(
        SESSION_GRANT_TYPEHASH
        + _address_word(check_address("key", key))
        + hash_scope(scope)
        + _word(check_uint("nonce", nonce))
        + _word(check_uint("deadline", deadline))
    )
    return typed_data_hash(domain_separator(chain_id, account), struct_hash)


def revoke_session_digest(chain_id: int, account: str, key: str) -> bytes:
    """The digest a session key signs to revoke itself (`revokeSessionWithSig`)."""
    struct_hash = keccak(REVOKE_SESSION_TYPEHASH + _address_word(check_address("key", key)))
    return typed_data_hash(domain_separator(chain_id, account), struct_hash)


def aa_auth_message_digest(chain_id: int, account: str, hash32: bytes) -> bytes:
    """ERC-1271 replay-safe hash of SPEC section 7: the owner signs this, not `hash32` itself."""
    struct_hash = keccak(AA_AUTH_MESSAGE_TYPEHASH + check_bytes("hash32", hash32, 32))
    return typed_data_hash(domain_separator(chain_id, account), struct_hash)


def _json_value(value: Any) -> Any:
    """Message values as JSON clients take them: bytes become 0x-hex; ints and bools stay exact."""
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    if isinstance(value, dict):
        return {key: _json_value(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_value(item) for item in value]
    return value


def full_message(primary_type: str, message: dict[str, Any], chain_id: int, account: str) -> dict[str, Any]:
    """Typed data in the eth_signTypedData_v4 shape (eth-account's `full_message`, ethers, MetaMask).

    `types` holds EIP712Domain, the primary type and only the types it references, since ethers
    refuses unused types. `message` is a record's `to_message()`. uint values stay Python ints,
    exact at any size: a JavaScript reader needs a BigInt-aware JSON parser or decimal strings.
    """
    if primary_type not in TYPES:
        raise InvalidInput(f"unknown primary type {primary_type!r}; the SPEC's types are {sorted(TYPES)}")
    chain_id, account = _check_domain(chain_id, account)
    types = {"EIP712Domain": EIP712_DOMAIN_TYPE, **{name: TYPES[name] for name in _dependencies(primary_type)}}
    return {
        # Fresh lists and dicts: a caller editing the result must not edit TYPES.
        "types": {name: [dict(field) for field in fields] for name, fields in types.items()},
        "primaryType": primary_type,
        "domain": {
            "name": DOMAIN_NAME,
            "version": DOMAIN_VERSION,
            "chainId": chain_id,
            "verifyingContract": account,
        },
        "message": _json_value(message),
    }
