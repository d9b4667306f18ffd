"""Scope, MarketLimit and CallPermission of SPEC sections 3-4: defaults, grant rules, and input checks."""

from __future__ import annotations

from typing import Any

import pytest

from aa_auth.errors import InvalidInput
from aa_auth.protocol.scope import CallPermission, MarketLimit, Scope, market_limit, scope
from aa_auth.protocol.values import ANY_MARKET, UINT32_MAX, UINT48_MAX, UINT256_MAX

VENUE = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0"
VENUE_2 = "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9"
TRANSFER = bytes.fromhex("a9059cbb")


def build(**overrides: Any) -> Scope:
    arguments: dict[str, Any] = {"valid_until": 2_000_000_000, "venues": [VENUE], "markets": [market_limit(7)]}
    return scope(**(arguments | overrides))


def test_limits_left_out_are_the_type_maximum_and_budgets_default_to_none() -> None:
    built = build()
    assert built.valid_after == 0
    assert built.max_notional_per_window == UINT256_MAX
    assert built.max_orders_per_window == UINT32_MAX
    assert built.window_seconds == 0  # one window for the whole session
    assert built.max_gas_fee == 0  # default deny: no user operations
    assert built.calls == ()


def test_market_limit_defaults_to_the_widest_band() -> None:
    assert market_limit(7) == MarketLimit(7, UINT256_MAX, 0, UINT256_MAX)
    assert market_limit(7, max_order_size=5, min_price=1, max_price=9) == MarketLimit(7, 5, 1, 9)


def test_builder_keeps_every_given_field() -> None:
    call = CallPermission(VENUE, TRANSFER, 10)
    built = build(
        valid_after=5,
        venues=[VENUE, VENUE_2],
        markets=[market_limit(1), market_limit(ANY_MARKET)],
        max_notional_per_window=11,
        max_orders_per_window=12,
        window_seconds=13,
        max_gas_fee=14,
        calls=[call],
    )
    assert built.as_abi() == (
        5,
        2_000_000_000,
        [VENUE, VENUE_2],
        [(1, UINT256_MAX, 0, UINT256_MAX), (ANY_MARKET, UINT256_MAX, 0, UINT256_MAX)],
        11,
        12,
        13,
        14,
        [(VENUE, TRANSFER, 10)],
    )


def test_empty_venues_are_refused() -> None:
    with pytest.raises(InvalidInput, match="venues is empty"):
        build(venues=[])


def test_empty_markets_are_refused() -> None:
    with pytest.raises(InvalidInput, match="markets is empty"):
        build(markets=[])


def test_duplicate_markets_are_refused() -> None:
    with pytest.raises(InvalidInput, match="duplicate market entries"):
        build(markets=[market_limit(7), market_limit(7, max_order_size=1)])


def test_duplicate_calls_are_refused_even_when_spelled_differently() -> None:
    with pytest.raises(InvalidInput, match="duplicate \\(target, selector\\)"):
        build(calls=[CallPermission(VENUE, TRANSFER, 0), CallPermission(VENUE.lower(), "0xa9059cbb", 5)])  # type: ignore[arg-type]


def test_same_target_with_another_selector_is_not_a_duplicate() -> None:
    calls = [CallPermission(VENUE, TRANSFER, 0), CallPermission(VENUE, bytes(4), 0)]
    assert build(calls=calls).calls == tuple(calls)


def test_valid_after_later_than_valid_until_is_refused() -> None:
    with pytest.raises(InvalidInput, match="valid_after \\(101\\) must be <= valid_until \\(100\\)"):
        build(valid_after=101, valid_until=100)


def test_valid_after_equal_to_valid_until_is_one_second_of_validity() -> None:
    assert build(valid_after=100, valid_until=100).valid_after == 100


def test_valid_until_zero_is_refused() -> None:
    with pytest.raises(InvalidInput, match="valid_until must be > 0"):
        build(valid_until=0)


def test_uint48_bounds_of_validity() -> None:
    assert build(valid_until=UINT48_MAX).valid_until == UINT48_MAX
    with pytest.raises(InvalidInput, match="valid_until does not fit in uint48"):
        build(valid_until=UINT48_MAX + 1)
    with pytest.raises(InvalidInput, match="valid_after does not fit in uint48"):
        build(valid_after=UINT48_MAX + 1)


@pytest.mark.parametrize(
    "field, value, fragment",
    [
        ("max_notional_per_window", -1, "max_notional_per_window must not be negative"),
        ("max_notional_per_window", 2**256, "max_notional_per_window does not fit in uint256"),
        ("max_orders_per_window", UINT32_MAX + 1, "max_orders_per_window does not fit in uint32"),
        ("window_seconds", UINT32_MAX + 1, "window_seconds does not fit in uint32"),
        ("window_seconds", -1, "window_seconds must not be negative"),
        ("max_gas_fee", -1, "max_gas_fee must not be negative"),
        ("max_gas_fee", 1.5, "max_gas_fee must be an integer"),
        ("valid_after", True, "valid_after must be an integer"),
    ],
)
def test_negative_oversized_or_non_integer_fields_are_refused(field: str, value: Any, fragment: str) -> None:
    with pytest.raises(InvalidInput, match=fragment):
        build(**{field: value})


def test_uint32_maxima_are_accepted() -> None:
    built = build(max_orders_per_window=UINT32_MAX, window_seconds=UINT32_MAX)
    assert (built.max_orders_per_window, built.window_seconds) == (UINT32_MAX, UINT32_MAX)


@pytest.mark.parametrize(
    "arguments, fragment",
    [
        ({"market": -1}, "market must not be negative"),
        ({"max_order_size": 2**256}, "max_order_size does not fit in uint256"),
        ({"min_price": "1"}, "min_price must be an integer"),
    ],
)
def test_bad_market_limit_fields_are_refused(arguments: dict[str, Any], fragment: str) -> None:
    values = {"market": 1, "max_order_size": 1, "min_price": 1, "max_price": 1} | arguments
    with pytest.raises(InvalidInput, match=fragment):
        MarketLimit(**values)


@pytest.mark.parametrize(
    "venue, fragment",
    [
        ("0x1234", "venue must be a 0x-prefixed 20-byte hex address"),
        ("not an address", "venue must be a 0x-prefixed 20-byte hex address"),
        (VENUE.replace("f", "F", 1), "venue has a wrong EIP-55 checksum"),
    ],
)
def test_bad_venue_addresses_are_refused(venue: str, fragment: str) -> None:
    with pytest.raises(InvalidInput, match=fragment):
        build(venues=[venue])


def test_venues_are_checksummed() -> None:
    assert build(venues=[VENUE.lower(), bytes.fromhex(VENUE_2[2:])]).venues == (VENUE, VENUE_2)


@pytest.mark.parametrize(
    "target, selector, max_value, fragment",
    [
        ("0xdead", TRANSFER, 0, "call target must be a 0x-prefixed 20-byte hex address"),
        (VENUE, bytes(3), 0, "call selector must be exactly 4 bytes, got 3"),
        (VENUE, "0xa9059cbb00", 0, "call selector must be exactly 4 bytes, got 5"),
        (VENUE, "0xzzzzzzzz", 0, "call selector must be hex"),
        (VENUE, TRANSFER, -1, "call max_value must not be negative"),
    ],
)
def test_bad_call_permissions_are_refused(target: str, selector: Any, max_value: int, fragment: str) -> None:
    with pytest.raises(InvalidInput, match=fragment):
        CallPermission(target, selector, max_value)


def test_call_selector_accepts_hex() -> None:
    assert CallPermission(VENUE, "0xa9059cbb", 0).selector == TRANSFER  # type: ignore[arg-type]


def test_records_of_the_wrong_kind_are_refused() -> None:
    with pytest.raises(InvalidInput, match="markets must be MarketLimit records"):
        build(markets=[(7, 1, 1, 1)])
    with pytest.raises(InvalidInput, match="calls must be CallPermission records"):
        build(calls=[(VENUE, TRANSFER, 0)])


def test_market_limit_lookup_prefers_the_markets_own_entry_then_any_market() -> None:
    own, fallback = market_limit(7, max_order_size=1), market_limit(ANY_MARKET, max_order_size=2)
    built = build(markets=[fallback, own])
    assert built.market_limit(7) is own
    assert built.market_limit(8) is fallback
    assert build(markets=[own]).market_limit(8) is None


def test_abi_round_trip() -> None:
    built = build(
        venues=[VENUE, VENUE_2],
        markets=[market_limit(1, max_order_size=3), market_limit(ANY_MARKET)],
        calls=[CallPermission(VENUE, TRANSFER, 9)],
        max_gas_fee=10**15,
    )
    assert Scope.from_abi(built.as_abi()) == built


def test_to_message_uses_the_spec_field_names() -> None:
    message = build(calls=[CallPermission(VENUE, TRANSFER, 9)]).to_message()
    assert list(message) == [
        "validAfter",
        "validUntil",
        "venues",
        "markets",
        "maxNotionalPerWindow",
        "maxOrdersPerWindow",
        "windowSeconds",
        "maxGasFee",
        "calls",
    ]
    assert list(message["markets"][0]) == ["market", "maxOrderSize", "minPrice", "maxPrice"]
    assert message["calls"] == [{"target": VENUE, "selector": TRANSFER, "maxValue": 9}]


# ---------------------------------------------------------------- relative expiry (valid_for=)

def test_valid_for_is_seconds_from_the_wall_clock(frozen_clock: int) -> None:
    built = scope(valid_for=3_600, venues=[VENUE], markets=[market_limit(7)])
    assert built.valid_until == frozen_clock + 3_600
    assert built == build(valid_until=frozen_clock + 3_600)


def test_valid_for_counts_from_now_not_from_valid_after(frozen_clock: int) -> None:
    later = frozen_clock + 100
    assert scope(valid_after=later, valid_for=200, venues=[VENUE], markets=[market_limit(7)]).valid_until == frozen_clock + 200


@pytest.mark.parametrize(
    "when, fragment",
    [
        ({}, "exactly one of valid_until \\(unix seconds\\) and valid_for"),
        ({"valid_until": 2_000_000_000, "valid_for": 60}, "exactly one of valid_until"),
        ({"valid_for": 0}, "valid_for must be at least 1 second"),
        ({"valid_for": -5}, "valid_for must not be negative"),
        ({"valid_for": "1h"}, "valid_for must be an integer"),
        ({"valid_for": 2**48}, "valid_until does not fit in uint48"),
    ],
)
def test_bad_expiry_is_refused(frozen_clock: int, when: dict[str, Any], fragment: str) -> None:
    with pytest.raises(InvalidInput, match=fragment):
        scope(venues=[VENUE], markets=[market_limit(7)], **when)
