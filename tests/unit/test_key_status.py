"""`key_status`: the one status every view prints; window bounds; enums that print by name."""

from __future__ import annotations

from typing import Any

import pytest

from aa_auth.errors import InvalidInput, Reason
from aa_auth.protocol.scope import market_limit, scope
from aa_auth.protocol.verify import KeyStatus, SessionState, SessionStatus, key_status, window_bounds

VENUE = "0x" + "0e" * 20
AFTER, UNTIL = 1_000, 2_000


def _session(status: SessionStatus = SessionStatus.ACTIVE, **overrides: Any) -> SessionState:
    fields: dict[str, Any] = {"valid_after": AFTER, "valid_until": UNTIL, "venues": [VENUE], "markets": [market_limit(1)]}
    fields.update(overrides)
    return SessionState(status, scope(**fields), 0, 0, 0, 0)


@pytest.mark.parametrize(("now", "expected"), [
    (AFTER - 1, KeyStatus.NOT_YET_VALID),
    (AFTER, KeyStatus.ACTIVE),  # both bounds are inclusive, as the chain decides them
    (UNTIL, KeyStatus.ACTIVE),
    (UNTIL + 1, KeyStatus.EXPIRED),
])
def test_an_active_session_reads_its_validity_inclusively(now: int, expected: KeyStatus) -> None:
    assert key_status(_session(), now) is expected


@pytest.mark.parametrize("now", [AFTER - 1, AFTER, UNTIL + 1])
def test_revoked_wins_over_time(now: int) -> None:
    assert key_status(_session(SessionStatus.REVOKED), now) is KeyStatus.REVOKED


def test_a_key_never_granted_has_no_status() -> None:
    with pytest.raises(InvalidInput, match="never granted"):
        key_status(SessionState(SessionStatus.NONE, None, 0, 0, 0, 0), AFTER)


def test_status_values_are_the_gateway_names_of_spec_14_2() -> None:
    assert [s.value for s in KeyStatus] == ["active", "notYetValid", "expired", "revoked"]
    assert str(KeyStatus.NOT_YET_VALID) == "notYetValid"


def test_raw_statuses_and_reasons_print_by_name() -> None:
    assert str(SessionStatus.ACTIVE) == "SessionStatus.ACTIVE" and f"{SessionStatus.REVOKED}" == "SessionStatus.REVOKED"
    assert str(Reason.NONCE_ALREADY_USED) == "Reason.NONCE_ALREADY_USED" and f"{Reason.AUTHORIZED}" == "Reason.AUTHORIZED"
    assert int(Reason.NONCE_ALREADY_USED) == 12 and Reason.NONCE_ALREADY_USED == 12  # still the numbers underneath


def test_window_bounds_are_inclusive_and_end_with_the_session() -> None:
    hourly = _session(window_seconds=300).scope
    assert hourly is not None
    assert window_bounds(hourly, 0) == (AFTER, AFTER + 299)
    assert window_bounds(hourly, 2) == (AFTER + 600, AFTER + 899)
    assert window_bounds(hourly, 3) == (AFTER + 900, UNTIL)  # cut at validUntil, not AFTER + 1199
    lifetime = _session(window_seconds=0).scope
    assert lifetime is not None and window_bounds(lifetime, 0) == (AFTER, UNTIL)
