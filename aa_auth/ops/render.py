"""Human and machine output: deterministic JSON, plain-text tables, readable amounts and times.

JSON conventions: sorted keys, checksummed addresses, 0x hex for bytes, uint256 quantities as
decimal strings (JavaScript readers lose precision past 2**53), small counts and times as numbers.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

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
    return "unlimited" if value == unlimited else f"{value:,}"


def market(value: int) -> str:
    return "ANY_MARKET" if value == ANY_MARKET else str(value)


def units(value: int, decimals: int = 18) -> str:
    """An 18-decimal fixed-point amount as a short decimal string; the type maximum reads 'unlimited'."""
    if value in (2**256 - 1, 2**32 - 1):
        return "unlimited"
    whole, frac = divmod(value, 10**decimals)
    text = f"{whole:,}"
    if frac:
        text += "." + str(frac).rjust(decimals, "0").rstrip("0")[:6]
    return text


def short(address: str) -> str:
    return f"{address[:6]}…{address[-4:]}"
