"""Every table prints a size, price or notional one way: the raw integer, then the human amount."""

from __future__ import annotations

from aa_auth.chain.logs import Event
from aa_auth.ops import render
from aa_auth.ops.audit import AccountReport, CloneCheck
from aa_auth.ops.markets import Market, MarketList
from aa_auth.ops.views import order_lines, report_text, scope_json, scope_lines
from aa_auth.protocol.orders import Order
from aa_auth.protocol.scope import Scope, market_limit, scope
from aa_auth.protocol.values import ANY_MARKET, UINT256_MAX

E = 10**18
ETH = Market(1, "ETH-USD", 18)
BTC = Market(2, "BTC/USD", 8)
MARKETS = MarketList([ETH, BTC])
VENUE = "0x" + "ab" * 20


def test_decimal_is_exact_never_truncated() -> None:
    assert render.decimal(15 * 10**17, 18) == "1.5"
    assert render.decimal(10**18 + 1, 18) == "1.000000000000000001"  # the old units() printed '1'
    assert render.decimal(123_456_789 * 10**18, 18) == "123,456,789"
    assert render.decimal(5, 0) == "5" and render.decimal(1, 8) == "0.00000001"


def test_size_shows_base_units_and_whole_base_units_when_the_market_is_listed() -> None:
    assert render.size(2 * E, ETH) == "2,000,000,000,000,000,000 (2 ETH)"
    assert render.size(150_000_000, BTC) == "150,000,000 (1.5 BTC)"  # BTC's 8 decimals, not 18
    assert render.size(2 * E, None) == "2,000,000,000,000,000,000"  # decimals unknown: raw only
    assert render.size(0, ETH) == "0"
    assert render.size(UINT256_MAX, ETH, cap=True) == "unlimited"
    assert render.size(UINT256_MAX, None).startswith("115,792,089")  # an order's size is never 'unlimited'
    assert render.size(2**32 - 1, None) == "4,294,967,295"  # the old units() called this 'unlimited'


def test_price_and_notional_are_quote_units_with_18_decimals() -> None:
    assert render.price(200025 * 10**16) == "2,000,250,000,000,000,000,000 (2,000.25)"
    assert render.notional(1_000_000 * E) == "1,000,000,000,000,000,000,000,000 (1,000,000)"
    assert render.notional(UINT256_MAX, cap=True) == "unlimited" and render.price(0) == "0"


def test_markets_and_counts() -> None:
    assert render.market(1, MARKETS) == "1 (ETH-USD)" and render.market(7, MARKETS) == "7"
    assert render.market(1) == "1" and render.market(ANY_MARKET, MARKETS) == "ANY_MARKET"
    assert [render.count(n, "event") for n in (0, 1, 2, 1000)] == ["0 events", "1 event", "2 events", "1,000 events"]
    assert render.count(1, "entry", "entries") == "1 entry" and render.count(3, "entry", "entries") == "3 entries"


def _scope() -> Scope:
    return scope(valid_until=4_000_000_000, venues=[VENUE], window_seconds=60, max_notional_per_window=100_000 * E,
                 markets=[market_limit(1, max_order_size=2 * E, min_price=1500 * E, max_price=2500 * E),
                          market_limit(9, max_order_size=5)])


def test_the_scope_table_puts_the_human_amount_beside_every_raw_one() -> None:
    lines = dict(scope_lines(_scope(), MARKETS))
    markets = [value for name, value in scope_lines(_scope(), MARKETS) if name == "market"]
    assert markets == [
        "1 (ETH-USD): size <= 2,000,000,000,000,000,000 (2 ETH), price in [1,500,000,000,000,000,000,000 (1,500), "
        "2,500,000,000,000,000,000,000 (2,500)]",
        "9: size <= 5, price in [0, unlimited]",  # not listed: its size stays raw; a price is always known
    ]
    assert lines["notional/window"] == "100,000,000,000,000,000,000,000 (100,000)"
    plain = [value for name, value in scope_lines(_scope()) if name == "market"]
    assert str(plain[0]).startswith("1: size <= 2,000,000,000,000,000,000, price in [1,500,000,000,000,000,000,000 (1,500)")


def test_scope_json_keeps_raw_strings_and_adds_symbol_and_decimals_beside() -> None:
    listed = scope_json(_scope(), MARKETS)
    assert listed["markets"][0] == {"market": "1", "maxOrderSize": str(2 * E), "minPrice": str(1500 * E),
                                    "maxPrice": str(2500 * E), "symbol": "ETH-USD", "baseDecimals": 18}
    assert "symbol" not in listed["markets"][1]
    bare = scope_json(_scope())
    assert bare["markets"][0] == {k: v for k, v in listed["markets"][0].items() if k not in ("symbol", "baseDecimals")}
    assert bare["maxNotionalPerWindow"] == listed["maxNotionalPerWindow"] == str(100_000 * E)


def test_order_lines_show_the_notional_the_account_will_charge() -> None:
    order = Order(VENUE, 2, True, 150_000_000, 60_000 * E, 7, 4_000_000_000)
    lines = dict(order_lines(order, MARKETS))
    assert lines["market"] == "2 (BTC/USD)" and lines["side"] == "buy"
    assert lines["size"] == "150,000,000 (1.5 BTC)"
    assert lines["price"] == "60,000,000,000,000,000,000,000 (60,000)"
    # size * price / 1e18 = 1.5e8 * 6e22 / 1e18 = 9e12 raw: 0.000009 whole quote units.
    assert lines["notional"] == "9,000,000,000,000 (0.000009)"
    huge = dict(order_lines(Order(VENUE, 1, False, UINT256_MAX, UINT256_MAX, 0, 1)))
    assert huge["notional"] == "over 2**256-1 (NotionalCapExceeded)" and huge["market"] == "1"


def _report(events: int) -> AccountReport:
    address = "0x" + "11" * 20
    clone = CloneCheck(None, None, None, False, False, False, None, None, ("not a clone",))
    history = tuple(Event(i, 0, "0x" + "22" * 32, address, "Frozen", {"by": address}) for i in range(events))
    return AccountReport(1, 1, 0, 0, address, "0x", address, address, False, address, 0, "clone", clone, None, (), (), None,
                         None, history, ())


def test_history_counts_are_pluralised() -> None:
    assert "History (1 event)\n" in report_text(_report(1))  # was 'History (1 events)'
    assert "History (2 events)\n" in report_text(_report(2)) and "History (0 events)\n" in report_text(_report(0))
