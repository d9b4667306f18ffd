"""The market list (aa_auth.ops.markets): loading, lookups, clear errors, and exact unit conversion."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from aa_auth.errors import AAAuthError, InvalidInput
from aa_auth.ops.markets import Market, MarketList, load_markets, scaled
from aa_auth.protocol.values import ANY_MARKET, UINT256_MAX

LIST = {"markets": [{"id": "1", "symbol": "ETH-USD", "baseDecimals": 18}, {"id": 2, "symbol": "BTC/USD", "baseDecimals": 8},
                    {"id": "3", "symbol": "LOTS", "baseDecimals": 0}]}


def _write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "markets.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def test_a_list_loads_and_finds_markets_by_id_and_by_symbol(tmp_path: Path) -> None:
    markets = load_markets(_write(tmp_path, LIST))
    assert list(markets) == [Market(1, "ETH-USD", 18), Market(2, "BTC/USD", 8), Market(3, "LOTS", 0)]
    assert markets.by_id(2) == Market(2, "BTC/USD", 8) and markets.by_id(4) is None
    assert markets.by_symbol("eth-usd") is markets.by_symbol("ETH-USD")  # symbols are case-insensitive
    assert [m.base for m in markets] == ["ETH", "BTC", "LOTS"]
    assert MarketList.from_json(markets.to_json()).markets == markets.markets  # to_json writes the file format


def test_an_unknown_symbol_names_the_listed_ones() -> None:
    with pytest.raises(InvalidInput, match=r"market 'SOL-USD' is not in the market list \(it has ETH-USD, BTC/USD, LOTS\)"):
        MarketList.from_json(LIST).by_symbol("SOL-USD")


def _entry(**change: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": "1", "symbol": "ETH-USD", "baseDecimals": 18}
    entry.update(change)
    return {k: v for k, v in entry.items() if v is not None}


@pytest.mark.parametrize(("data", "message"), [
    ([], 'must be a JSON object with one field, "markets"'),
    ({"markets": [], "extra": 1}, 'must be a JSON object with one field, "markets"'),
    ({"markets": []}, '"markets" must be a non-empty list'),
    ({"markets": {"1": "ETH-USD"}}, '"markets" must be a non-empty list'),
    ({"markets": ["ETH-USD"]}, r"markets\[0\] must have exactly the fields id, symbol, baseDecimals, got str"),
    ({"markets": [_entry(decimals=18, baseDecimals=None)]}, r"markets\[0\] must have exactly the fields .*got \['decimals', 'id', 'symbol'\]"),
    ({"markets": [_entry(quote="USD")]}, r"markets\[0\] must have exactly the fields"),
    ({"markets": [_entry(id="0x1")]}, r"markets\[0\]\.id must be a market id"),
    ({"markets": [_entry(id=-1)]}, r"markets\[0\]\.id must be a market id"),
    ({"markets": [_entry(id=1.0)]}, r"markets\[0\]\.id must be a market id"),
    ({"markets": [_entry(id=True)]}, r"markets\[0\]\.id must be a market id"),
    ({"markets": [_entry(id=str(ANY_MARKET))]}, r"markets\[0\]\.id must be a market id .*ANY_MARKET"),
    ({"markets": [_entry(symbol="1INCH")]}, r"markets\[0\]\.symbol must be .*starting with a letter"),
    ({"markets": [_entry(symbol="any")]}, r"markets\[0\]\.symbol must be .*not 'any' or 'max'"),
    ({"markets": [_entry(symbol="MAX")]}, r"markets\[0\]\.symbol must be .*not 'any' or 'max'"),
    ({"markets": [_entry(symbol="ETH,USD")]}, r"markets\[0\]\.symbol must be"),
    ({"markets": [_entry(symbol="")]}, r"markets\[0\]\.symbol must be"),
    ({"markets": [_entry(baseDecimals="18")]}, r"markets\[0\]\.baseDecimals must be a whole number from 0 to 77, got '18'"),
    ({"markets": [_entry(baseDecimals=78)]}, r"markets\[0\]\.baseDecimals must be a whole number from 0 to 77, got 78"),
    ({"markets": [_entry(baseDecimals=False)]}, r"markets\[0\]\.baseDecimals must be a whole number"),
    ({"markets": [_entry(), _entry(symbol="ETH-EUR")]}, "market id 1 is listed twice"),
    ({"markets": [_entry(), _entry(id="2", symbol="eth-usd")]}, "market symbol eth-usd is listed twice"),
])
def test_a_bad_list_is_refused_naming_the_file_and_the_field(tmp_path: Path, data: Any, message: str) -> None:
    path = _write(tmp_path, data)
    with pytest.raises(InvalidInput, match=f"^market list {path}: .*{message}"):
        load_markets(path)


def test_a_missing_unreadable_or_non_json_file_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=f"^market list {tmp_path / 'nope.json'} does not exist$"):
        load_markets(tmp_path / "nope.json")
    with pytest.raises(InvalidInput, match=f"^market list {tmp_path} cannot be read"):
        load_markets(tmp_path)
    with pytest.raises(InvalidInput, match=r"is not JSON: Expecting ',' delimiter: line 1 column 16"):
        load_markets(_write(tmp_path, '{"markets": [1 2]}'))
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe")
    with pytest.raises(InvalidInput, match="cannot be read"):
        load_markets(binary)
    assert issubclass(InvalidInput, AAAuthError)


@pytest.mark.parametrize(("amount", "decimals", "raw"), [
    ("1.5", 18, 15 * 10**17), ("2000.25", 18, 200025 * 10**16), ("0.00000001", 8, 1), ("7", 0, 7), ("12.30", 1, 123),
    ("0", 18, 0), ("0e-99", 18, 0), ("1e59", 18, 10**77),
    ("115792089237316195423570985008687907853269984665640564039457.584007913129639935", 18, UINT256_MAX),
])
def test_scaled_converts_exactly(amount: str, decimals: int, raw: int) -> None:
    assert scaled(Decimal(amount), decimals, "size") == raw


@pytest.mark.parametrize(("amount", "decimals", "message"), [
    ("1.0000000000000000001", 18, "size: 1.0000000000000000001 has more than 18 decimals, so it does not convert exactly"),
    ("0.5", 0, "size: 0.5 has more than 0 decimals"),
    ("1e-999999999", 18, "has more than 18 decimals"),
    ("-1", 18, "size: -1 is not a non-negative number"),
    ("NaN", 18, "is not a non-negative number"),
    ("115792089237316195423570985008687907853269984665640564039457.584007913129639936", 18, "is more than 2\\*\\*256-1 units of 10\\*\\*-18"),
    ("1e999999999", 18, "is more than 2\\*\\*256-1"),
])
def test_scaled_refuses_what_does_not_convert_exactly(amount: str, decimals: int, message: str) -> None:
    started = time.perf_counter()
    with pytest.raises(InvalidInput, match=message):
        scaled(Decimal(amount), decimals, "size")
    assert time.perf_counter() - started < 0.5  # a huge exponent is refused without computing 10**exponent
