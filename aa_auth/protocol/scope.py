"""Scope, MarketLimit and CallPermission of SPEC section 3/4, validated on construction.

Python uses snake_case attributes; `as_abi()` gives the ABI tuple in the SPEC's field order and
`to_message()` the EIP-712 message with the SPEC's field names, so both paths share one record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from aa_auth.errors import InvalidInput
from aa_auth.protocol.values import (
    ANY_MARKET,
    UINT32_MAX,
    UINT256_MAX,
    absolute_or_relative,
    check_address,
    check_bytes,
    check_uint,
)

__all__ = ["ANY_MARKET", "CallPermission", "MarketLimit", "Scope", "market_limit", "scope"]


@dataclass(frozen=True)
class MarketLimit:
    market: int
    max_order_size: int
    min_price: int
    max_price: int

    def __post_init__(self) -> None:
        for name in ("market", "max_order_size", "min_price", "max_price"):
            check_uint(name, getattr(self, name))

    def as_abi(self) -> tuple[int, int, int, int]:
        return (self.market, self.max_order_size, self.min_price, self.max_price)

    def to_message(self) -> dict[str, Any]:
        return {
            "market": self.market,
            "maxOrderSize": self.max_order_size,
            "minPrice": self.min_price,
            "maxPrice": self.max_price,
        }


@dataclass(frozen=True)
class CallPermission:
    target: str
    selector: bytes
    max_value: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "target", check_address("call target", self.target))
        object.__setattr__(self, "selector", check_bytes("call selector", self.selector, 4))
        check_uint("call max_value", self.max_value)

    def as_abi(self) -> tuple[str, bytes, int]:
        return (self.target, self.selector, self.max_value)

    def to_message(self) -> dict[str, Any]:
        return {"target": self.target, "selector": self.selector, "maxValue": self.max_value}


@dataclass(frozen=True)
class Scope:
    valid_after: int
    valid_until: int
    venues: tuple[str, ...]
    markets: tuple[MarketLimit, ...]
    max_notional_per_window: int
    max_orders_per_window: int
    window_seconds: int
    max_gas_fee: int
    calls: tuple[CallPermission, ...]

    def __post_init__(self) -> None:
        check_uint("valid_after", self.valid_after, 48)
        check_uint("valid_until", self.valid_until, 48)
        if self.valid_until == 0:
            raise InvalidInput("valid_until must be > 0 (the EntryPoint reads 0 as 'forever')")
        if self.valid_after > self.valid_until:
            raise InvalidInput(f"valid_after ({self.valid_after}) must be <= valid_until ({self.valid_until})")
        object.__setattr__(self, "venues", tuple(check_address("venue", v) for v in self.venues))
        object.__setattr__(self, "markets", tuple(self.markets))
        object.__setattr__(self, "calls", tuple(self.calls))
        if any(not isinstance(m, MarketLimit) for m in self.markets):
            raise InvalidInput("markets must be MarketLimit records")
        if any(not isinstance(c, CallPermission) for c in self.calls):
            raise InvalidInput("calls must be CallPermission records")
        seen_markets = [m.market for m in self.markets]
        if len(set(seen_markets)) != len(seen_markets):
            raise InvalidInput(f"duplicate market entries in scope: {sorted(seen_markets)}")
        seen_calls = [(c.target, c.selector) for c in self.calls]
        if len(set(seen_calls)) != len(seen_calls):
            raise InvalidInput("duplicate (target, selector) entries in scope calls")
        check_uint("max_notional_per_window", self.max_notional_per_window)
        check_uint("max_orders_per_window", self.max_orders_per_window, 32)
        check_uint("window_seconds", self.window_seconds, 32)
        check_uint("max_gas_fee", self.max_gas_fee)

    def as_abi(self) -> tuple[Any, ...]:
        return (
            self.valid_after,
            self.valid_until,
            list(self.venues),
            [m.as_abi() for m in self.markets],
            self.max_notional_per_window,
            self.max_orders_per_window,
            self.window_seconds,
            self.max_gas_fee,
            [c.as_abi() for c in self.calls],
        )

    @classmethod
    def from_abi(cls, value: Sequence[Any]) -> Scope:
        """Build a Scope from the tuple web3 decodes (e.g. getSession's scope)."""
        va, vu, venues, markets, notional, orders, window, gas, calls = value
        return cls(
            valid_after=va,
            valid_until=vu,
            venues=tuple(venues),
            markets=tuple(MarketLimit(*m) for m in markets),
            max_notional_per_window=notional,
            max_orders_per_window=orders,
            window_seconds=window,
            max_gas_fee=gas,
            calls=tuple(CallPermission(c[0], bytes(c[1]), c[2]) for c in calls),
        )

    def to_message(self) -> dict[str, Any]:
        return {
            "validAfter": self.valid_after,
            "validUntil": self.valid_until,
            "venues": list(self.venues),
            "markets": [m.to_message() for m in self.markets],
            "maxNotionalPerWindow": self.max_notional_per_window,
            "maxOrdersPerWindow": self.max_orders_per_window,
            "windowSeconds": self.window_seconds,
            "maxGasFee": self.max_gas_fee,
            "calls": [c.to_message() for c in self.calls],
        }

    def market_limit(self, market: int) -> MarketLimit | None:
        """The entry that applies to `market` (its own, else ANY_MARKET), or None (SPEC section 4)."""
        fallback = None
        for m in self.markets:
            if m.market == market:
                return m
            if m.market == ANY_MARKET:
                fallback = m
        return fallback


def market_limit(
    market: int,
    *,
    max_order_size: int = UINT256_MAX,
    min_price: int = 0,
    max_price: int = UINT256_MAX,
) -> MarketLimit:
    """A market entry; a limit left out is the type's maximum (the widest band for prices)."""
    return MarketLimit(market, max_order_size, min_price, max_price)


def scope(
    *,
    venues: Sequence[str],
    markets: Sequence[MarketLimit],
    valid_until: int | None = None,
    valid_for: int | None = None,
    valid_after: int = 0,
    max_notional_per_window: int = UINT256_MAX,
    max_orders_per_window: int = UINT32_MAX,
    window_seconds: int = 0,
    max_gas_fee: int = 0,
    calls: Sequence[CallPermission] = (),
) -> Scope:
    """Build a Scope with safe defaults.

    Expiry, venues and markets must be given: they are what a grant is about, and an empty venue
    or market list would allow nothing, so it is refused here rather than granted uselessly.
    The expiry is `valid_until` (unix seconds) or `valid_for` (seconds from the wall clock, not
    from `valid_after`), exactly one of them.
    Caps left out are the type's maximum; gas budget and calls default to none (default deny).
    """
    expiry = absolute_or_relative("a scope", ("valid_until", valid_until), ("valid_for", valid_for))
    if not venues:
        raise InvalidInput("venues is empty: a session with no venue can never trade; list at least one venue")
    if not markets:
        raise InvalidInput("markets is empty: list at least one MarketLimit (or ANY_MARKET)")
    return Scope(
        valid_after=valid_after,
        valid_until=expiry,
        venues=tuple(venues),
        markets=tuple(markets),
        max_notional_per_window=max_notional_per_window,
        max_orders_per_window=max_orders_per_window,
        window_seconds=window_seconds,
        max_gas_fee=max_gas_fee,
        calls=tuple(calls),
    )

