"""The worst case a key can cost its owner (aa_auth.ops.exposure), at its edges."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from aa_auth.ops.exposure import Exposure, exposure
from aa_auth.protocol.scope import MarketLimit, market_limit, scope
from aa_auth.protocol.values import ANY_MARKET, UINT32_MAX, UINT256_MAX
from aa_auth.protocol.verify import SessionState, SessionStatus

E = 10**18
VENUE = "0x" + "0e" * 20
AFTER = 10_000
HOUR = 3_600
NONE_LEFT = Exposure(0, 0, 0, 0, 0, 0)


def _session(status: SessionStatus = SessionStatus.ACTIVE, window: tuple[int, int, int] = (0, 0, 0),
             gas_spent: int = 0, **overrides: Any) -> SessionState:
    """A key with 10 orders of at most 2 x 3 = 6 E per hourly window, 50 E per window, for 10 hours."""
    fields: dict[str, Any] = {
        "valid_after": AFTER, "valid_until": AFTER + 10 * HOUR - 1, "venues": [VENUE],
        "markets": [market_limit(1, max_order_size=2 * E, min_price=E, max_price=3 * E)],
        "max_notional_per_window": 50 * E, "max_orders_per_window": 10, "window_seconds": HOUR,
        "max_gas_fee": 10**15,
    }
    fields.update(overrides)
    index, orders, notional = window
    return SessionState(status, scope(**fields), index, orders, notional, gas_spent)


def test_a_fresh_key_in_its_first_window() -> None:
    # per window min(50, 10 * 6) = 50; windows 0..9; nothing used yet.
    assert exposure(_session(), AFTER) == Exposure(6 * E, 50 * E, 50 * E, 10, 500 * E, 10**15)


def test_the_current_window_partly_used_counts_only_what_is_left() -> None:
    # window 3 holds 8 orders and 40 E: min(50 - 40, 2 orders x 6) = 10 left, then windows 4..9 in full.
    now = AFTER + 3 * HOUR + 5
    assert exposure(_session(window=(3, 8, 40 * E), gas_spent=4 * 10**14), now) == Exposure(
        6 * E, 50 * E, 10 * E, 7, 10 * E + 6 * 50 * E, 6 * 10**14)


def test_the_order_count_binds_when_it_is_tighter_than_the_notional_cap() -> None:
    session = _session(window=(3, 9, 6 * E))
    assert exposure(session, AFTER + 3 * HOUR).current_window_left == 6 * E  # one order left, of at most 6 E


def test_a_stored_older_window_counts_nothing() -> None:
    # getSession still holds window 1's counters; window 5 is open and unused.
    assert exposure(_session(window=(1, 10, 50 * E)), AFTER + 5 * HOUR).current_window_left == 50 * E


def test_window_zero_is_one_window_for_the_whole_life() -> None:
    used = _session(window=(0, 4, 20 * E), window_seconds=0)
    assert exposure(used, AFTER + 5 * HOUR) == Exposure(6 * E, 50 * E, 30 * E, 1, 30 * E, 10**15)


def test_the_last_window_counts_in_full_even_when_cut_short_by_valid_until() -> None:
    # validUntil one second into window 10: window 10 still allows a whole window's orders.
    session = _session(valid_until=AFTER + 10 * HOUR)
    assert exposure(session, AFTER).windows_left == 11 and exposure(session, AFTER).rest_of_life == 550 * E


def test_not_yet_valid_counts_every_window_of_its_life() -> None:
    assert exposure(_session(), AFTER - 1) == Exposure(6 * E, 50 * E, 50 * E, 10, 500 * E, 10**15)


@pytest.mark.parametrize("status, now", [(SessionStatus.REVOKED, AFTER), (SessionStatus.ACTIVE, AFTER + 10 * HOUR)])
def test_revoked_or_expired_costs_nothing(status: SessionStatus, now: int) -> None:
    assert exposure(_session(status), now) == NONE_LEFT


def test_the_window_cap_bounds_a_single_order_too() -> None:
    # a 2 x 3 = 6 E order is refused past a 4 E window cap (reason 14)
    assert exposure(_session(max_notional_per_window=4 * E), AFTER).largest_order == 4 * E


@pytest.mark.parametrize("overrides", [
    {"max_notional_per_window": 0},
    {"max_orders_per_window": 0},
    {"markets": [market_limit(1, max_order_size=0)]},
    {"markets": ()},  # the chain accepts empty lists (the scope() builder refuses them)
    {"venues": ()},
    {"markets": [MarketLimit(1, 2 * E, 3 * E, 2 * E)]},  # an empty price band
])
def test_a_zero_cap_or_nothing_allowed_costs_nothing(overrides: dict[str, Any]) -> None:
    session = _session()
    assert session.scope is not None
    got = exposure(replace(session, scope=replace(session.scope, **overrides)), AFTER)
    assert (got.largest_order, got.per_window, got.current_window_left, got.rest_of_life) == (0, 0, 0, 0)


def test_zero_orders_bound_even_unbounded_orders() -> None:
    got = exposure(_session(markets=[market_limit(ANY_MARKET)], max_notional_per_window=UINT256_MAX,
                            max_orders_per_window=0), AFTER)
    assert (got.largest_order, got.per_window, got.current_window_left, got.rest_of_life) == (0, 0, 0, 0)


def test_unlimited_caps_are_unbounded() -> None:
    got = exposure(_session(markets=[market_limit(1)], max_notional_per_window=UINT256_MAX,
                            max_orders_per_window=UINT32_MAX, max_gas_fee=UINT256_MAX), AFTER)
    assert got == Exposure(None, None, None, 10, None, None)


def test_an_unlimited_size_is_still_bounded_by_the_window_cap() -> None:
    got = exposure(_session(markets=[market_limit(1, max_price=3 * E)]), AFTER)
    assert (got.largest_order, got.per_window, got.rest_of_life) == (50 * E, 50 * E, 500 * E)


def test_an_order_count_bounds_the_window_when_the_notional_cap_is_unlimited() -> None:
    got = exposure(_session(max_notional_per_window=UINT256_MAX), AFTER)
    assert (got.largest_order, got.per_window, got.rest_of_life) == (6 * E, 60 * E, 600 * E)


def test_any_market_is_an_entry_like_the_others() -> None:
    # ANY_MARKET covers every market without its own entry: its bound counts beside market 1's.
    wide = [market_limit(1, max_order_size=2 * E, max_price=3 * E), market_limit(ANY_MARKET, max_order_size=E, max_price=9 * E)]
    assert exposure(_session(markets=wide), AFTER).largest_order == 9 * E
    unbounded = [market_limit(1, max_order_size=2 * E, max_price=3 * E), market_limit(ANY_MARKET)]
    assert exposure(_session(markets=unbounded, max_notional_per_window=UINT256_MAX), AFTER).largest_order is None


def test_an_entry_past_uint256_is_unbounded() -> None:
    huge = [market_limit(1, max_order_size=2**200, max_price=2**120)]  # 2**320 / 1e18 > 2**256
    assert exposure(_session(markets=huge, max_notional_per_window=UINT256_MAX), AFTER).largest_order is None
    assert exposure(_session(markets=huge), AFTER).largest_order == 50 * E


def test_gas_fee_left_is_the_unspent_budget() -> None:
    assert exposure(_session(gas_spent=10**15), AFTER).gas_fee_left == 0
    assert exposure(_session(max_gas_fee=0), AFTER).gas_fee_left == 0
