"""Fixtures for the pure-Python tests."""

from __future__ import annotations

import types

import pytest

from aa_auth.protocol import values

FROZEN_NOW = 1_800_000_000


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> int:
    """The wall clock that `ttl=` and `valid_for=` read, stopped at FROZEN_NOW + 0.9 s (they count whole seconds)."""
    monkeypatch.setattr(values, "time", types.SimpleNamespace(time=lambda: FROZEN_NOW + 0.9))
    return FROZEN_NOW
