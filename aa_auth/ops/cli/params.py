"""Command-line value types: exact integers and amounts, durations, addresses, markets, calls.

Numbers: a whole number (1000, 1_000, 0x3e8, exact scientific 1.5e18, max) is always the raw
integer the chain holds. A number with a decimal point and no exponent (1.5, 2000.25, 2.0) is a
human amount: a price or notional in whole quote units (18 decimals, SPEC section 3), a size in
whole base units of its market (the market list's baseDecimals). It is converted exactly or
refused, and only amounts take one; a nonce, time or id with a decimal point is an error.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypeVar

import click
from eth_utils.crypto import keccak

from aa_auth.errors import AAAuthError
from aa_auth.ops.markets import ENV_VAR, QUOTE_DECIMALS, Market, MarketList, listed, load_markets, scaled
from aa_auth.protocol.scope import CallPermission, MarketLimit, market_limit
from aa_auth.protocol.values import ANY_MARKET, UINT256_MAX, check_address, check_bytes

F = TypeVar("F", bound=Callable[..., Any])
_DURATION = re.compile(r"^(\d+)([smhdw]?)$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}
_MARKETS_KEY = "aa_auth.markets"  # ctx.meta entry: the --markets list, loaded before any other option

# One wording for every amount's help (see the module docstring for the rule).
SIZE_HELP = ("Size in the market's base units: a whole number is raw (1500000000000000000, 1.5e18); with a "
             "decimal point it is whole base units (1.5), converted with the market's baseDecimals (--markets).")
PRICE_HELP = ("Price, quote per base with 18 decimals: a whole number is raw (2000250000000000000000, "
              "2000.25e18); with a decimal point it is whole quote units (2000.25).")
NOTIONAL_HELP = ("Notional per window, quote with 18 decimals (notional = size * price / 1e18, rounded down): "
                 "a whole number is raw (100000e18); with a decimal point it is whole quote units (100000.0). "
                 "Default: unlimited.")
MARKETS_HELP = ("Market list: a JSON file of {id, symbol, baseDecimals} ($AA_AUTH_MARKETS). Lets markets be named "
                "by symbol and sizes be given with a decimal point, and shows sizes in whole base units.")


def parse_number(text: str, what: str = "value") -> int | Decimal:
    """A raw integer, or the human amount (a Decimal) of a number with a decimal point and no exponent."""
    raw = text.strip().replace("_", "").lower()
    if raw == "max":
        return UINT256_MAX
    try:
        if raw.startswith("0x"):
            value: int | Decimal = int(raw, 16)
        elif "e" in raw:
            exact = Decimal(raw)
            if exact != exact.to_integral_value():
                raise click.BadParameter(f"{what} {text!r} is not a whole raw number: an exponent means raw units "
                                         "(1.5e18); write a human amount with a decimal point and no exponent (1.5)")
            value = int(exact) if exact.adjusted() < 78 else UINT256_MAX + 1  # 1e999999999: no 10**999999999
        elif "." in raw:
            value = Decimal(raw)
        else:
            value = int(raw, 10)
    except (ValueError, InvalidOperation):
        raise click.BadParameter(f"{what} must be a number (e.g. 1000, 1e18, 0x10, max; 1.5 for an amount), got {text!r}") from None
    if value < 0 or value > UINT256_MAX:
        raise click.BadParameter(f"{what} must be between 0 and 2**256-1, got {text!r}")
    return value


def parse_uint(text: str, what: str = "value") -> int:
    """A raw non-negative integer; a human amount (decimal point) is refused."""
    value = parse_number(text, what)
    if isinstance(value, Decimal):
        raise click.BadParameter(f"{what} must be a whole number (e.g. 1000, 1e18, 0x10, max), got {text!r}")
    return value


def to_raw(value: int | Decimal, decimals: int, what: str) -> int:
    """A parsed number as the raw integer: a human amount scaled by 10**decimals, exactly or refused."""
    if isinstance(value, int):
        return value
    try:
        return scaled(value, decimals, what)
    except AAAuthError as exc:
        raise click.BadParameter(str(exc)) from None


def size_units(value: int | Decimal, known: Market | None, what: str = "size") -> int:
    """A size in base units; a human size needs its market's base decimals from the market list."""
    if known is not None:
        return to_raw(value, known.base_decimals, f"{what} of {known.symbol}")
    if isinstance(value, Decimal):
        raise click.BadParameter(
            f"{what} {value} has a decimal point (whole base units), but its market's base decimals are unknown: "
            f"list the market in a market list (--markets FILE or ${ENV_VAR}), or give base units as a whole number")
    return value


def given_markets(ctx: click.Context | None) -> MarketList | None:
    found: MarketList | None = None if ctx is None else ctx.meta.get(_MARKETS_KEY)
    return found


def resolve_market(text: str, markets: MarketList | None) -> tuple[int, Market | None]:
    """A market id, 'any' (ANY_MARKET) or a symbol of the market list; with its listed market, if any.
    A symbol starts with a letter, so it is never mistaken for an id."""
    head = text.strip()
    if head.lower() == "any":
        return ANY_MARKET, None
    if head[:1].isalpha() and head.lower() != "max":
        if markets is None:
            raise click.BadParameter(f"market {head!r} is a symbol: give a market list (--markets FILE or ${ENV_VAR}) "
                                     "to name markets by symbol, or give the market id")
        try:
            known = markets.by_symbol(head)
        except AAAuthError as exc:
            raise click.BadParameter(str(exc)) from None
        return known.id, known
    market_id = parse_uint(head, "market")
    return market_id, listed(markets, market_id)


def _load_markets(ctx: click.Context, param: click.Parameter, value: Path | None) -> MarketList | None:
    markets = None if value is None else load_markets(value)
    ctx.meta[_MARKETS_KEY] = markets
    return markets


def markets_option(f: F) -> F:
    """--markets FILE (else $AA_AUTH_MARKETS), eager: loaded before the options that read it."""
    return click.option("--markets", type=click.Path(path_type=Path, dir_okay=False), envvar=ENV_VAR, is_eager=True,
                        callback=_load_markets, help=MARKETS_HELP)(f)


class UintType(click.ParamType[int]):
    name = "UINT"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        return value if isinstance(value, int) else parse_uint(str(value), param.name if param and param.name else "value")


class QuoteType(click.ParamType[int]):
    """A price or a notional: quote units with 18 decimals, so a human amount always converts."""

    name = "AMOUNT"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        what = param.name.replace("_", "-") if param and param.name else "amount"
        return to_raw(parse_number(str(value), what), QUOTE_DECIMALS, what)


class SizeType(click.ParamType[int | Decimal]):
    """A size: raw, or a human amount the command converts with size_units once it knows the market."""

    name = "SIZE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int | Decimal:
        return value if isinstance(value, (int, Decimal)) else parse_number(str(value), "size")


class MarketIdType(click.ParamType[tuple[int, Market | None]]):
    """A market id or a symbol of the market list, as (id, its listed market or None)."""

    name = "MARKET"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> tuple[int, Market | None]:
        return value if isinstance(value, tuple) else resolve_market(str(value), given_markets(ctx))


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
    """`ID|SYMBOL|any[,max-size=SIZE][,min-price=PRICE][,max-price=PRICE]`: a scope's market entry."""

    name = "MARKET"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> MarketLimit:
        if isinstance(value, MarketLimit):
            return value
        head, *options = [part.strip() for part in str(value).split(",")]
        market, known = resolve_market(head, given_markets(ctx))
        limits: dict[str, int] = {}
        for option in options:
            name, sep, number = option.partition("=")
            key = name.strip().replace("-", "_")
            if not sep or key not in ("max_size", "min_price", "max_price"):
                self.fail(f"market option {option!r}: use max-size=N, min-price=N or max-price=N", param, ctx)
            parsed = parse_number(number, name.strip())
            if key == "max_size":
                limits["max_order_size"] = size_units(parsed, known, "max-size")
            else:
                limits[key] = to_raw(parsed, QUOTE_DECIMALS, name.strip())
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
MARKET_ID = MarketIdType()
SIZE = SizeType()
QUOTE = QuoteType()
CALL = CallType()
