"""The market list: which market id is which symbol, and how many decimals its base asset has.

What every number is (SPEC section 3): an order's size is in its market's base units, whose
decimals only a market list can tell; price is quote per base with 18 decimals; notional is
`size * price / 1e18` rounded down, in quote units with 18 decimals. The chain knows only the raw
integers. A market list is a small JSON file the user gives (`--markets FILE` or $AA_AUTH_MARKETS):

    {"markets": [{"id": "1", "symbol": "ETH-USD", "baseDecimals": 18}]}
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from aa_auth.errors import InvalidInput
from aa_auth.protocol.values import ANY_MARKET, UINT256_MAX

QUOTE_DECIMALS = 18  # price and notional: quote units with 18 decimals, whatever the market
MAX_DECIMALS = 77  # 10**78 > 2**256: one whole base unit must fit in a uint256
ENV_VAR = "AA_AUTH_MARKETS"

# A letter first, so a symbol is never read as a market id (1, 0x1f); no ',' or '=' (the --market syntax).
_SYMBOL = re.compile(r"^[A-Za-z][A-Za-z0-9._/-]{0,31}$")
_RESERVED = {"any", "max"}  # keywords of the market and number syntax
_FIELDS = ("id", "symbol", "baseDecimals")


@dataclass(frozen=True)
class Market:
    id: int
    symbol: str
    base_decimals: int

    @property
    def base(self) -> str:
        """The base asset's name: the symbol up to its first '-' or '/' (ETH of ETH-USD)."""
        return re.split(r"[-/]", self.symbol, maxsplit=1)[0]


class MarketList:
    """Markets by id and by symbol (case-insensitive); ids and symbols are unique."""

    def __init__(self, markets: Iterable[Market]) -> None:
        self.markets = tuple(markets)
        self._by_id: dict[int, Market] = {}
        self._by_symbol: dict[str, Market] = {}
        for m in self.markets:
            if m.id in self._by_id:
                raise InvalidInput(f"market id {m.id} is listed twice")
            if m.symbol.lower() in self._by_symbol:
                raise InvalidInput(f"market symbol {m.symbol} is listed twice")
            self._by_id[m.id] = m
            self._by_symbol[m.symbol.lower()] = m

    def __iter__(self) -> Iterator[Market]:
        return iter(self.markets)

    def __len__(self) -> int:
        return len(self.markets)

    def by_id(self, market_id: int) -> Market | None:
        return self._by_id.get(market_id)

    def by_symbol(self, symbol: str) -> Market:
        found = self._by_symbol.get(symbol.lower())
        if found is None:
            known = ", ".join(m.symbol for m in self.markets)
            raise InvalidInput(f"market {symbol!r} is not in the market list (it has {known})")
        return found

    def to_json(self) -> dict[str, Any]:
        """The market list file's format (from_json's inverse)."""
        return {"markets": [{"id": str(m.id), "symbol": m.symbol, "baseDecimals": m.base_decimals} for m in self.markets]}

    @classmethod
    def from_json(cls, data: object) -> MarketList:
        if not isinstance(data, dict) or set(data) != {"markets"}:
            raise InvalidInput('must be a JSON object with one field, "markets"')
        entries = data["markets"]
        if not isinstance(entries, list) or not entries:
            raise InvalidInput('"markets" must be a non-empty list of {"id", "symbol", "baseDecimals"}')
        return cls(_market(i, entry) for i, entry in enumerate(entries))


def listed(markets: MarketList | None, market_id: int) -> Market | None:
    """The market list's entry for `market_id`, when there is a list and it has one."""
    return None if markets is None else markets.by_id(market_id)


def _market(index: int, entry: object) -> Market:
    where = f"markets[{index}]"
    if not isinstance(entry, dict) or set(entry) != set(_FIELDS):
        got = sorted(entry) if isinstance(entry, dict) else type(entry).__name__
        raise InvalidInput(f"{where} must have exactly the fields id, symbol, baseDecimals, got {got}")
    raw_id, symbol, decimals = entry["id"], entry["symbol"], entry["baseDecimals"]
    # Like the SPEC's JSON (section 14.1): a uint256 is a decimal string, a JSON integer is accepted.
    if isinstance(raw_id, str) and raw_id.isascii() and raw_id.isdigit():
        raw_id = int(raw_id)
    if isinstance(raw_id, bool) or not isinstance(raw_id, int) or not 0 <= raw_id < ANY_MARKET:
        raise InvalidInput(f"{where}.id must be a market id (a decimal string below 2**256-1, ANY_MARKET), got {raw_id!r}")
    if not isinstance(symbol, str) or not _SYMBOL.match(symbol) or symbol.lower() in _RESERVED:
        raise InvalidInput(f"{where}.symbol must be 1-32 letters, digits, '.', '_', '-' or '/' starting with a letter "
                           f"(not 'any' or 'max'), got {symbol!r}")
    if isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= MAX_DECIMALS:
        raise InvalidInput(f"{where}.baseDecimals must be a whole number from 0 to {MAX_DECIMALS}, got {decimals!r}")
    return Market(raw_id, symbol, decimals)


def load_markets(path: Path) -> MarketList:
    """Read and check a market list file; every problem is one InvalidInput naming the file and the fix."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(f"market list {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"market list {path} cannot be read: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"market list {path} is not JSON: {exc}") from None
    try:
        return MarketList.from_json(data)
    except InvalidInput as exc:
        raise InvalidInput(f"market list {path}: {exc}") from None


def scaled(amount: Decimal, decimals: int, what: str) -> int:
    """`amount` whole units as an integer of 10**-decimals units, exactly (integer arithmetic, no
    rounding context); refuses what does not convert exactly or does not fit in a uint256."""
    sign, digits, exponent = amount.as_tuple()
    if not isinstance(exponent, int) or (sign and any(digits)):  # NaN, infinity, negative
        raise InvalidInput(f"{what}: {amount} is not a non-negative number")
    shown = f"{amount:f}" if abs(exponent) < 100 else str(amount)  # as typed (0.0000001, not 1E-7) unless huge
    shift = exponent + decimals
    if shift < 0 and any(digits[shift:]):
        raise InvalidInput(f"{what}: {shown} has more than {decimals} decimals, so it does not convert exactly")
    kept, zeros = int("".join(map(str, digits[:shift] if shift < 0 else digits)) or "0"), max(shift, 0)
    # Refused by length before multiplying, so 1e999999 costs nothing.
    if kept and (len(str(kept)) + zeros > 78 or kept * 10**zeros > UINT256_MAX):
        raise InvalidInput(f"{what}: {shown} is more than 2**256-1 units of 10**-{decimals}")
    raw: int = kept * 10**zeros
    return raw
