"""Plain-text tables and number formatting for human output."""

from __future__ import annotations

from collections.abc import Sequence

UNIT = 10**18


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Left-aligned columns separated by two spaces, with a rule under the headers."""
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


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
