"""What a session key can still cost its owner: the worst case its scope allows from a given time.

Notional is the SPEC's `size * price / 1e18` (rounded down). `None` means unbounded: the scope sets
no cap below the uint256 range, so only the account's funds limit the loss. The figures follow the
on-chain checks exactly: an order past a market entry's size or price band, or past what is left of
the window's notional cap, is refused, so every bound is the tightest of those caps.
"""

from __future__ import annotations

from dataclasses import dataclass

from aa_auth.protocol.scope import MarketLimit, Scope
from aa_auth.protocol.values import UINT256_MAX
from aa_auth.protocol.verify import KeyStatus, SessionState, key_status, window_index, window_usage

__all__ = ["Exposure", "exposure"]

Bound = int | None  # None: unbounded

_ONE = 10**18


@dataclass(frozen=True)
class Exposure:
    """Worst-case notional a key can still trade, and the gas fees it can still charge, at one time."""

    largest_order: Bound  # one order
    per_window: Bound  # one full window
    current_window_left: Bound  # what is left of the window now open (a whole window before validAfter)
    windows_left: int  # windows the key can still act in, the current one included
    rest_of_life: Bound  # current_window_left + per_window for every later window until validUntil
    gas_fee_left: Bound  # wei of user-operation gas fees still in the lifetime budget


_NONE_LEFT = Exposure(0, 0, 0, 0, 0, 0)


def exposure(session: SessionState, now: int) -> Exposure:
    """The worst case of `session` from time `now`; all zero once it is revoked or expired."""
    status = key_status(session, now)
    scope = session.scope
    if status in (KeyStatus.REVOKED, KeyStatus.EXPIRED) or scope is None:
        return _NONE_LEFT
    window_cap = _cap(scope.max_notional_per_window)
    largest = _min(_largest_entry(scope), window_cap)
    per_window = _min(window_cap, _times(largest, scope.max_orders_per_window))
    last = window_index(scope, scope.valid_until)
    if status is KeyStatus.NOT_YET_VALID:
        current, current_left = 0, per_window
    else:
        current, orders, spent = window_usage(session, scope, now)
        notional_left = None if window_cap is None else max(0, window_cap - spent)
        current_left = _min(notional_left, _times(largest, max(0, scope.max_orders_per_window - orders)))
    later = last - current
    rest = _plus(current_left, _times(per_window, later))
    gas_left = _cap(scope.max_gas_fee)
    return Exposure(largest, per_window, current_left, later + 1, rest,
                    None if gas_left is None else max(0, gas_left - session.gas_fee_spent))


def _largest_entry(scope: Scope) -> Bound:
    """The largest notional one order may carry under any market entry (ANY_MARKET is one entry too)."""
    if not scope.venues or scope.max_orders_per_window == 0:
        return 0  # no order can settle at all
    largest: Bound = 0
    for entry in scope.markets:
        value = _entry_notional(entry)
        largest = None if largest is None or value is None else max(largest, value)
    return largest


def _entry_notional(entry: MarketLimit) -> Bound:
    if entry.min_price > entry.max_price or entry.max_order_size == 0 or entry.max_price == 0:
        return 0  # an empty band, or only orders of notional 0
    if entry.max_order_size == UINT256_MAX or entry.max_price == UINT256_MAX:
        return None
    value = entry.max_order_size * entry.max_price // _ONE
    return None if value >= UINT256_MAX else value  # past uint256 only the type itself bounds it


def _cap(value: int) -> Bound:
    """A uint256 cap: its maximum is the SPEC's 'unlimited'."""
    return None if value == UINT256_MAX else value


def _min(a: Bound, b: Bound) -> Bound:
    if a is None:
        return b
    return a if b is None else min(a, b)


def _times(a: Bound, count: int) -> Bound:
    """`a` taken `count` times; nothing taken no times is nothing, however large `a` is."""
    if count == 0:
        return 0
    return None if a is None else a * count


def _plus(a: Bound, b: Bound) -> Bound:
    return None if a is None or b is None else a + b
