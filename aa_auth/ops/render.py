"""Human and machine output: deterministic JSON, plain-text tables, readable amounts and times.

Amounts in tables: see size, price and notional below (one form everywhere); docs/operations.md, Units.

JSON conventions: sorted keys, checksummed addresses, 0x hex for bytes, uint256 quantities as
decimal strings (JavaScript readers lose precision past 2**53), small counts and times as numbers.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from aa_auth.ops.markets import QUOTE_DECIMALS, Market, MarketList, listed
from aa_auth.protocol.values import ANY_MARKET, UINT256_MAX

ETHER = 10**18


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Left-aligned columns separated by two spaces, a rule under the headers; an empty table says so."""
    if not rows:
        return "(none)"
    cells = [[str(h) for h in headers], *[["" if c is None else str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def dumps(data: Any) -> str:
    """JSON with sorted keys and a stable layout: the same input always prints the same bytes."""
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=True)


def fields(pairs: Sequence[tuple[str, object]]) -> str:
    """`name  value` lines with the names aligned."""
    width = max(len(name) for name, _ in pairs)
    return "\n".join(f"{name.ljust(width)}  {value}" for name, value in pairs)


def eth(wei: int | None) -> str:
    if wei is None:
        return "-"
    return f"{wei / ETHER:.6f} ETH"


def gwei(wei: int | None) -> str:
    return "-" if wei is None else f"{wei / 10**9:.3f} gwei"


def when(timestamp: int) -> str:
    """A unix time as ISO-8601 UTC (the uint48 maximum is shown as 'forever')."""
    if timestamp >= 2**48 - 1:
        return "forever"
    try:
        return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (OverflowError, OSError, ValueError):
        return str(timestamp)


def amount(value: int, unlimited: int = UINT256_MAX) -> str:
    """A plain quantity (a count, wei) with thousands separators; the type's maximum reads 'unlimited'."""
    return "unlimited" if value == unlimited else f"{value:,}"


def count(n: int, noun: str, plural: str | None = None) -> str:
    """'1 event', '2 events', '0 events'."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def decimal(raw: int, decimals: int) -> str:
    """`raw` units of 10**-decimals as an exact decimal number: 1500000000000000000, 18 -> '1.5'."""
    whole, frac = divmod(raw, 10**decimals)
    return f"{whole:,}" + (("." + str(frac).rjust(decimals, "0").rstrip("0")) if frac else "")


# Every table prints a size, price or notional the same way: the raw integer the chain holds, and
# beside it, in parentheses, the human amount when its decimals are known. A zero needs no second
# form; a cap at the uint256 maximum reads 'unlimited'.
def _beside(raw: int, human: str | None, cap: bool) -> str:
    if cap and raw == UINT256_MAX:
        return "unlimited"
    return f"{raw:,}" if human is None or raw == 0 else f"{raw:,} ({human})"


def size(raw: int, known: Market | None, *, cap: bool = False) -> str:
    """An order size in base units; the human amount in the base asset when the market is listed."""
    return _beside(raw, None if known is None else f"{decimal(raw, known.base_decimals)} {known.base}", cap)


def price(raw: int, *, cap: bool = False) -> str:
    """A price: quote per base with 18 decimals (SPEC 3), so its human form is always known."""
    return _beside(raw, decimal(raw, QUOTE_DECIMALS), cap)


def notional(raw: int, *, cap: bool = False) -> str:
    """A notional (size * price / 1e18, rounded down): quote units with 18 decimals, like a price."""
    return _beside(raw, decimal(raw, QUOTE_DECIMALS), cap)


def market(value: int, markets: MarketList | None = None) -> str:
    """A market id, with its symbol beside it when the market list has it."""
    if value == ANY_MARKET:
        return "ANY_MARKET"
    known = listed(markets, value)
    return str(value) if known is None else f"{value} ({known.symbol})"
