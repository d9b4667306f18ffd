"""Command-line value types: exact integers, durations, addresses, market entries and call permissions."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

import click
from eth_utils.crypto import keccak

from aa_auth.errors import AAAuthError
from aa_auth.protocol.scope import CallPermission, MarketLimit, market_limit
from aa_auth.protocol.values import ANY_MARKET, UINT256_MAX, check_address, check_bytes

_DURATION = re.compile(r"^(\d+)([smhdw]?)$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}


def parse_uint(text: str, what: str = "value") -> int:
    """A non-negative integer: decimal (underscores allowed), 0x-hex, 'max', or exact scientific (1.5e18)."""
    raw = text.strip().replace("_", "").lower()
    if raw == "max":
        return UINT256_MAX
    try:
        if raw.startswith("0x"):
            value = int(raw, 16)
        elif "e" in raw or "." in raw:
            exact = Decimal(raw)
            if exact != exact.to_integral_value():
                raise ValueError
            value = int(exact)
        else:
            value = int(raw, 10)
    except (ValueError, InvalidOperation):
        raise click.BadParameter(f"{what} must be a whole number (e.g. 1000, 1e18, 0x10, max), got {text!r}") from None
    if value < 0 or value > UINT256_MAX:
        raise click.BadParameter(f"{what} must be between 0 and 2**256-1, got {text!r}")
    return value


class UintType(click.ParamType[int]):
    name = "UINT"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        return value if isinstance(value, int) else parse_uint(str(value), param.name if param and param.name else "value")


class DurationType(click.ParamType[int]):
    """Seconds, or a number with s/m/h/d/w."""

    name = "DURATION"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        match = _DURATION.match(str(value).strip())
        if not match:
            self.fail(f"{value!r} is not a duration: use seconds or a number with s, m, h, d or w (e.g. 30d)", param, ctx)
        return int(match.group(1)) * _UNITS[match.group(2)]


class AddressType(click.ParamType[str]):
    name = "ADDRESS"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        try:
            return check_address(param.name if param and param.name else "address", value)
        except AAAuthError as exc:
            self.fail(str(exc), param, ctx)


class MarketType(click.ParamType[MarketLimit]):
    """`ID[,max-size=N][,min-price=N][,max-price=N]`; ID is a number or 'any' (ANY_MARKET)."""

    name = "MARKET"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> MarketLimit:
        if isinstance(value, MarketLimit):
            return value
        head, *options = [part.strip() for part in str(value).split(",")]
        market = ANY_MARKET if head.lower() == "any" else parse_uint(head, "market")
        limits: dict[str, int] = {}
        for option in options:
            name, sep, number = option.partition("=")
            key = name.strip().replace("-", "_")
            if not sep or key not in ("max_size", "min_price", "max_price"):
                self.fail(f"market option {option!r}: use max-size=N, min-price=N or max-price=N", param, ctx)
            limits["max_order_size" if key == "max_size" else key] = parse_uint(number, name.strip())
        return market_limit(market, **limits)


class CallType(click.ParamType[CallPermission]):
    """`TARGET:SELECTOR[:MAX_VALUE]`; SELECTOR is 0x + 8 hex digits, 'transfer' (empty calldata)
    or a function signature such as `approve(address,uint256)`."""

    name = "CALL"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> CallPermission:
        if isinstance(value, CallPermission):
            return value
        parts = str(value).split(":")  # a function signature has no colon
        if len(parts) not in (2, 3):
            self.fail(f"{value!r}: use TARGET:SELECTOR or TARGET:SELECTOR:MAX_VALUE", param, ctx)
        target, selector_text = parts[0], parts[1].strip()
        if selector_text.lower() == "transfer":
            selector = bytes(4)
        elif "(" in selector_text:
            selector = keccak(text=selector_text.replace(" ", ""))[:4]
        else:
            try:
                selector = check_bytes("selector", selector_text, 4)
            except AAAuthError as exc:
                self.fail(str(exc), param, ctx)
        max_value = parse_uint(parts[2], "max value") if len(parts) == 3 else 0
        try:
            return CallPermission(check_address("call target", target.strip()), selector, max_value)
        except AAAuthError as exc:
            self.fail(str(exc), param, ctx)


class SaltType(click.ParamType[bytes]):
    """A CREATE2 salt: 0x + 64 hex digits, or a number (left-padded to 32 bytes)."""

    name = "SALT"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> bytes:
        if isinstance(value, bytes):
            return value
        text = str(value).strip()
        if text.startswith("0x") and len(text) == 66:
            try:
                return check_bytes("salt", text, 32)
            except AAAuthError as exc:
                self.fail(str(exc), param, ctx)
        return parse_uint(text, "salt").to_bytes(32, "big")


UINT = UintType()
SALT = SaltType()
DURATION = DurationType()
ADDRESS = AddressType()
MARKET = MarketType()
CALL = CallType()
