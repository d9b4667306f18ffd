"""The store's constraints and the token buckets, without a node."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from aa_auth.errors import InvalidInput, Reason
from aa_auth.gateway.limits import Buckets
from aa_auth.gateway.store.base import Status, StoredOrder
from aa_auth.gateway.store.sqlite import SqliteStore
from aa_auth.protocol.orders import Order

VENUE, ACCOUNT, SIGNER = "0x" + "11" * 20, "0x" + "22" * 20, "0x" + "33" * 20


def _order(nonce: int, size: int = 1) -> StoredOrder:
    order = Order(VENUE, 1, True, size, 10**18, nonce, 2**40)
    digest = bytes([nonce % 256, size % 256]) + bytes(30)
    return StoredOrder(digest, ACCOUNT, SIGNER, order, b"\x01" * 65, Status.ACCEPTED, Reason.AUTHORIZED, None, None, True,
                       size, time.time())


def test_a_database_is_bound_to_its_chain_and_venue(tmp_path: Path) -> None:
    SqliteStore(tmp_path / "g.db", 1, VENUE).close()
    with pytest.raises(InvalidInput, match="made for chainId 1, not 5"):
        SqliteStore(tmp_path / "g.db", 5, VENUE)
    with pytest.raises(InvalidInput, match="made for venue"):
        SqliteStore(tmp_path / "g.db", 1, "0x" + "44" * 20)


def test_the_unique_index_backs_the_nonce_reservation_and_a_rejection_frees_it(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "g.db", 1, VENUE)
    with store.reserve() as reservation:
        reservation.hold([_order(7)])
    with pytest.raises(sqlite3.IntegrityError), store.reserve() as reservation:
        reservation.hold([_order(7, size=2)])  # another live order with the same (account, signer, nonce)
    assert store.waiting(10)[0] == 1  # the failed transaction left nothing behind
    with store.reserve() as reservation:
        assert reservation.nonces_held(ACCOUNT, SIGNER, [7, 8]) == {7}
        assert reservation.holds(ACCOUNT, SIGNER).orders == 1
    assert store.reject({_order(7).digest: Reason.SESSION_REVOKED}) == [_order(7).digest]
    with store.reserve() as reservation:
        assert reservation.nonces_held(ACCOUNT, SIGNER, [7]) == set()
        assert reservation.holds(ACCOUNT, SIGNER).orders == 0
        reservation.hold([_order(7, size=2)])
    assert [e.status for e in store.events_after(0, 10)] == [Status.ACCEPTED, Status.REJECTED, Status.ACCEPTED]


def test_submit_is_all_or_nothing_and_requeue_returns_orders_to_accepted(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "g.db", 1, VENUE)
    first, second = _order(1), _order(2)
    with store.reserve() as reservation:
        reservation.hold([first, second])
    store.reject({second.digest: Reason.ORDER_EXPIRED})
    assert store.submit([first.digest, second.digest], b"\xaa" * 32) is False  # one is no longer accepted
    assert store.order(first.digest).status is Status.ACCEPTED  # type: ignore[union-attr]
    assert store.submit([first.digest], b"\xaa" * 32) is True
    assert [b.digests for b in store.sent()] == [(first.digest,)]
    assert store.requeue(b"\xaa" * 32) == [first.digest]
    assert store.order(first.digest).status is Status.ACCEPTED and store.sent() == []  # type: ignore[union-attr]
    assert store.dropped_batches(first.digest) == [b"\xaa" * 32]
    assert store.settle_late(first.digest, b"\xaa" * 32, 9) is True
    assert store.order(first.digest).status is Status.SETTLED  # type: ignore[union-attr]
    with store.reserve() as reservation:
        assert reservation.holds(ACCOUNT, SIGNER).orders == 0  # settled and rejected orders hold nothing


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
