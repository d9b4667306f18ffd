"""The token buckets, without a node (the store's contract is test_store_backends.py)."""

from __future__ import annotations

import pytest

from aa_auth.gateway.limits import Buckets


def test_a_token_bucket_refills_at_its_rate_up_to_its_burst() -> None:
    now = [100.0]
    buckets = Buckets(rate=2.0, burst=3, clock=lambda: now[0])
    assert [buckets.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("a") == pytest.approx(0.5)  # empty: one token comes back in 1/rate seconds
    assert buckets.take("b") == 0.0  # buckets are per key
    now[0] += 0.5
    assert buckets.take("a") == 0.0 and buckets.take("a") > 0
    now[0] += 100
    assert [buckets.take("a") for _ in range(4)][-1] > 0  # refilled to the burst, never beyond
