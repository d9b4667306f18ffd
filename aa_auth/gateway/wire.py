"""SPEC 14.1 on the wire: request bodies decoded by msgspec against typed records, then checked
field by field, so a 400 names the exact field (`orders[3].order.size`) and says what to fix.

uint256 quantities are decimal strings or JSON integers; msgspec already refuses floats,
exponents (JSON numbers with `e` are floats), negatives and anything not matching the patterns
below, and `_uint` refuses what does not fit the field's type. Addresses must be checksummed or
all lower case. The records double as the OpenAPI request schemas (aa_auth.gateway.openapi).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import msgspec

from aa_auth.errors import AAAuthError
from aa_auth.gateway.errors import InvalidRequest
from aa_auth.protocol.orders import Order
from aa_auth.protocol.values import check_address

__all__ = ["GrantRequest", "IncomingOrder", "OrdersRequest", "RevocationRequest", "decode", "encode",
           "parse_grant", "parse_orders", "parse_revocation", "parse_scope", "uint_text"]

_DECIMAL = "^(0|[1-9][0-9]{0,77})$"
_ADDRESS = "^0x[0-9a-fA-F]{40}$"
_HEX = "^0x([0-9a-fA-F]{2})*$"
_SELECTOR = "^0x[0-9a-fA-F]{8}$"
_EXPLAINED = {  # what msgspec says, in the words a client needs
    "`int` >= 0": "a non-negative integer",
    "`int | str`": "a decimal string or a JSON integer (no floats)",
}
_DECIMAL_TEXT = "a decimal string without sign, exponent or leading zeros, or a JSON integer"


def _documented(pattern: str) -> msgspec.Meta:
    """The pattern goes into the JSON schema (OpenAPI) only; this module checks it by hand, several times faster
    than msgspec's regular expressions on the hot path, and says what is wrong in words."""
    return msgspec.Meta(extra_json_schema={"pattern": pattern})


Uint = Annotated[int, msgspec.Meta(ge=0)] | Annotated[str, _documented(_DECIMAL)]
Address = Annotated[str, _documented(_ADDRESS)]
HexBytes = Annotated[str, _documented(_HEX)]


class _Record(msgspec.Struct, forbid_unknown_fields=True):
    pass


class OrderBody(_Record, rename="camel"):
    venue: Address
    market: Uint
    is_buy: bool
    size: Uint
    price: Uint
    nonce: Uint
    deadline: Uint


class SignedOrderBody(_Record):
    account: Address
    order: OrderBody
    signature: HexBytes


class OrdersRequest(_Record):
    orders: list[SignedOrderBody]


class MarketLimitBody(_Record, rename="camel"):
    market: Uint
    max_order_size: Uint
    min_price: Uint
    max_price: Uint


class CallPermissionBody(_Record, rename="camel"):
    target: Address
    selector: Annotated[str, _documented(_SELECTOR)]
    max_value: Uint


class ScopeBody(_Record, rename="camel"):
    valid_after: Uint
    valid_until: Uint
    venues: list[Address]
    markets: list[MarketLimitBody]
    max_notional_per_window: Uint
    max_orders_per_window: Uint
    window_seconds: Uint
    max_gas_fee: Uint
    calls: list[CallPermissionBody]


class GrantBody(_Record):
    account: Address
    key: Address
    scope: ScopeBody
    deadline: Uint
    signature: HexBytes


class RevocationBody(_Record):
    account: Address
    key: Address
    signature: HexBytes


@dataclass(frozen=True, slots=True)
class IncomingOrder:
    account: str
    order: Order
    signature: bytes


@dataclass(frozen=True)
class GrantRequest:
    """A grant as `grantSessionWithSig` takes it; `scope` is the ABI tuple, not yet checked by the
    grant rules (the chain's simulation names the rule a bad scope breaks)."""

    account: str
    key: str
    scope: tuple[Any, ...]
    venues: tuple[str, ...]
    deadline: int
    signature: bytes


@dataclass(frozen=True)
class RevocationRequest:
    account: str
    key: str
    signature: bytes


T = TypeVar("T")


def decode(body: bytes, record: type[T]) -> T:
    """`body` as `record`, or InvalidRequest naming the first field that does not fit."""
    try:
        return msgspec.json.decode(body, type=record)
    except msgspec.ValidationError as exc:
        text, _, where = str(exc).partition(" - at `$")
        for quoted, meaning in _EXPLAINED.items():
            text = text.replace(quoted, meaning)
        raise InvalidRequest(f"{where.rstrip('`').lstrip('.') or 'body'}: {text}") from None
    except msgspec.DecodeError as exc:
        raise InvalidRequest(f"body: not valid JSON ({exc})") from None


def encode(data: Any) -> bytes:
    return msgspec.json.encode(data)


def uint_text(value: int) -> str:
    """uint256 values leave as decimal strings: JavaScript's numbers lose precision past 2**53."""
    return str(value)


def _uint(path: str, value: int | str, bits: int = 256) -> int:
    if isinstance(value, str):
        if not (value.isascii() and value.isdigit()) or len(value) > 78 or (len(value) > 1 and value[0] == "0"):
            raise InvalidRequest(f"{path}: expected {_DECIMAL_TEXT}, got {value!r}")
    number = int(value)
    if number >> bits:
        raise InvalidRequest(f"{path}: does not fit in uint{bits} (at most 2**{bits}-1), got {value}")
    return number


def _bytes(path: str, text: str, length: int | None = None) -> bytes:
    try:
        if not text.startswith("0x"):
            raise ValueError
        raw = bytes.fromhex(text[2:])
    except ValueError:
        raise InvalidRequest(f"{path}: expected 0x-prefixed hex bytes, got {text[:80]!r}") from None
    if length is not None and len(raw) != length:
        raise InvalidRequest(f"{path}: expected {length} bytes, got {len(raw)}")
    return raw


def _address(path: str, text: str) -> str:
    try:
        return check_address("address", text)
    except AAAuthError as exc:
        raise InvalidRequest(f"{path}: {str(exc).removeprefix('address ')}") from None


def _order(path: str, body: OrderBody) -> Order:
    return Order(
        venue=_address(f"{path}.venue", body.venue),
        market=_uint(f"{path}.market", body.market),
        is_buy=body.is_buy,
        size=_uint(f"{path}.size", body.size),
        price=_uint(f"{path}.price", body.price),
        nonce=_uint(f"{path}.nonce", body.nonce),
        deadline=_uint(f"{path}.deadline", body.deadline),
    )


def parse_orders(body: bytes, max_orders: int) -> list[IncomingOrder]:
    """`{"orders": [SIGNED_ORDER, ...]}` with 1 to `max_orders` entries; nothing of a bad request is kept."""
    request = decode(body, OrdersRequest)
    if not 1 <= len(request.orders) <= max_orders:
        raise InvalidRequest(f"orders: send 1 to {max_orders} orders per request, got {len(request.orders)}")
    return [
        IncomingOrder(_address(f"orders[{i}].account", signed.account), _order(f"orders[{i}].order", signed.order),
                      _bytes(f"orders[{i}].signature", signed.signature))
        for i, signed in enumerate(request.orders)
    ]


def _scope(at: str, s: ScopeBody) -> tuple[Any, ...]:
    """A scope as the ABI tuple `grantSessionWithSig` takes; `at` prefixes the field paths."""
    markets = [(_uint(f"{at}markets[{i}].market", m.market), _uint(f"{at}markets[{i}].maxOrderSize", m.max_order_size),
                _uint(f"{at}markets[{i}].minPrice", m.min_price), _uint(f"{at}markets[{i}].maxPrice", m.max_price))
               for i, m in enumerate(s.markets)]
    calls = [(_address(f"{at}calls[{i}].target", c.target), _bytes(f"{at}calls[{i}].selector", c.selector, 4),
              _uint(f"{at}calls[{i}].maxValue", c.max_value)) for i, c in enumerate(s.calls)]
    return (_uint(f"{at}validAfter", s.valid_after, 48), _uint(f"{at}validUntil", s.valid_until, 48),
            [_address(f"{at}venues[{i}]", v) for i, v in enumerate(s.venues)], markets,
            _uint(f"{at}maxNotionalPerWindow", s.max_notional_per_window),
            _uint(f"{at}maxOrdersPerWindow", s.max_orders_per_window, 32),
            _uint(f"{at}windowSeconds", s.window_seconds, 32), _uint(f"{at}maxGasFee", s.max_gas_fee), calls)


def parse_scope(body: bytes) -> tuple[Any, ...]:
    """A scope in SPEC 14.1's JSON (section 3's Scope with its field names) as its ABI tuple."""
    return _scope("", decode(body, ScopeBody))


def parse_grant(body: bytes) -> GrantRequest:
    grant = decode(body, GrantBody)
    scope = _scope("scope.", grant.scope)
    return GrantRequest(_address("account", grant.account), _address("key", grant.key), scope, tuple(scope[2]),
                        _uint("deadline", grant.deadline), _bytes("signature", grant.signature))


def parse_revocation(body: bytes) -> RevocationRequest:
    revocation = decode(body, RevocationBody)
    return RevocationRequest(_address("account", revocation.account), _address("key", revocation.key),
                             _bytes("signature", revocation.signature))


def is_digest(text: str) -> bool:
    return re.fullmatch("0x[0-9a-fA-F]{64}", text) is not None
