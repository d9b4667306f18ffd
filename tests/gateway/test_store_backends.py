"""The store's contract, run against SQLite and a real PostgreSQL server (SPEC 14.6), without a node.

Each PostgreSQL test gets a fresh database on one server per module. Two store objects on one
database stand for two gateway processes: they share nothing but the database.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest

from aa_auth.errors import InvalidInput, Reason
from aa_auth.gateway.errors import ReservationConflict, StoreUnavailable
from aa_auth.gateway.store import open_store
from aa_auth.gateway.store.base import Status, Store, StoredOrder
from aa_auth.gateway.store.postgres import EVENTS_LOCK, MIGRATION_LOCK, MIGRATIONS, PostgresStore
from aa_auth.protocol.orders import Order
from tests.postgres import Server, create_database, postgres_server

VENUE, ACCOUNT, SIGNER = "0x" + "11" * 20, "0x" + "22" * 20, "0x" + "33" * 20
_databases = itertools.count()

Opener = Callable[..., Store]


def _order(nonce: int, size: int = 1, signer: str = SIGNER) -> StoredOrder:
    order = Order(VENUE, 1, True, size, 10**18, nonce, 2**40)
    digest = bytes([nonce % 256, size % 256, nonce // 256 % 256]) + bytes.fromhex(signer[2:])[:29]
    return StoredOrder(digest, ACCOUNT, signer, order, b"\x01" * 65, Status.ACCEPTED, Reason.AUTHORIZED, None, None, True,
                       size, time.time())


@pytest.fixture(scope="module")
def pg() -> Iterator[Server]:
    with postgres_server() as server:
        yield server


def fresh_database(server: Server) -> str:
    return create_database(server, f"store_{next(_databases)}")


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    """Opens stores on one database of the backend (each call: another process's store on it)."""
    url = f"sqlite:///{tmp_path / 'g.db'}" if request.param == "sqlite" else fresh_database(request.getfixturevalue("pg"))
    opened: list[Store] = []

    def opener(chain_id: int = 1, venue: str = VENUE) -> Store:
        opened.append(open_store(url, chain_id, venue))
        return opened[-1]

    yield opener
    for store in opened:
        store.close()


def test_a_database_is_bound_to_its_chain_and_venue(backend: Opener) -> None:
    backend(1, VENUE).close()
    with pytest.raises(InvalidInput, match="made for chainId 1, not 5"):
        backend(5, VENUE)
    with pytest.raises(InvalidInput, match="made for venue"):
        backend(1, "0x" + "44" * 20)


def test_the_unique_index_backs_the_nonce_reservation_and_a_rejection_frees_it(backend: Opener) -> None:
    store = backend()
    with store.reserve() as reservation:
        reservation.hold([_order(7)])
    with pytest.raises(ReservationConflict), store.reserve() as reservation:
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


def test_submit_is_all_or_nothing_and_requeue_returns_orders_to_accepted(backend: Opener) -> None:
    store = backend()
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
        assert reservation.settled_block() == 9


def test_resolve_settles_rejects_and_requeues_and_releases_the_holds(backend: Opener) -> None:
    store = backend()
    orders = [_order(n, size=10 + n) for n in range(3)]
    with store.reserve() as reservation:
        reservation.hold(orders)
    assert store.submit([o.digest for o in orders], b"\xbb" * 32)
    store.resolve(b"\xbb" * 32, 42, {orders[0].digest: Reason.AUTHORIZED, orders[1].digest: Reason.ORDER_EXPIRED})
    got = [store.order(o.digest) for o in orders]
    assert [(g.status, g.reason, g.block_number) for g in got if g] == [
        (Status.SETTLED, Reason.AUTHORIZED, 42), (Status.REJECTED, Reason.ORDER_EXPIRED, 42), (Status.ACCEPTED, Reason.AUTHORIZED, None)]
    assert store.held_totals(ACCOUNT)[SIGNER].orders == 1 and store.held_totals(ACCOUNT)[SIGNER].notional == 12
    assert store.sent() == []
    with store.reserve() as reservation:
        assert reservation.settled_block() == 42
    statuses = [(e.digest, e.status) for e in store.events_after(0, 100)]
    assert statuses[-3:] == [(orders[0].digest, Status.SETTLED), (orders[1].digest, Status.REJECTED),
                             (orders[2].digest, Status.ACCEPTED)]


def test_a_revocation_rejects_the_keys_accepted_orders_and_marks_it(backend: Opener) -> None:
    store = backend()
    with store.reserve() as reservation:
        reservation.hold([_order(1), _order(2)])
    assert sorted(store.revoke(ACCOUNT, SIGNER)) == sorted([_order(1).digest, _order(2).digest])
    assert store.revoked(ACCOUNT) == frozenset({SIGNER}) and store.held_totals(ACCOUNT)[SIGNER].revoked
    assert store.held_totals(ACCOUNT)[SIGNER].orders == 0
    store.serve(ACCOUNT)
    store.serve(ACCOUNT)
    assert store.served() == [ACCOUNT]


def _check_and_hold(store: Store, order: StoredOrder, cap: int) -> bool:
    """What the intake does under the key's lock: read holds and nonces, decide, hold."""
    try:
        with store.reserve() as reservation:
            holds = reservation.holds(order.account, order.signer)
            if holds.orders >= cap or reservation.nonces_held(order.account, order.signer, [order.order.nonce]):
                return False
            reservation.hold([order])
            return True
    except ReservationConflict:
        return False


def test_two_processes_racing_one_nonce_hold_exactly_one(backend: Opener) -> None:
    stores = [backend(), backend()]
    for round_ in range(10):
        rivals = [_order(round_, size=1 + side) for side in range(2)]  # one nonce, two different orders
        with ThreadPoolExecutor(2) as pool:
            won = list(pool.map(lambda i: _check_and_hold(stores[i], rivals[i], cap=1_000), range(2)))
        assert won.count(True) == 1, (round_, won)
    with stores[0].reserve() as reservation:
        assert reservation.holds(ACCOUNT, SIGNER).orders == 10


def test_processes_racing_a_window_cap_hold_exactly_the_cap(backend: Opener) -> None:
    stores = [backend() for _ in range(3)]
    cap, sent = 7, 30
    with ThreadPoolExecutor(6) as pool:
        won = list(pool.map(lambda n: _check_and_hold(stores[n % 3], _order(n), cap), range(sent)))
    assert won.count(True) == cap
    assert stores[1].held_totals(ACCOUNT)[SIGNER].orders == cap


def test_only_one_store_leads_until_its_connection_dies(pg: Server) -> None:
    url = fresh_database(pg)
    first, second = PostgresStore(url, 1, VENUE), PostgresStore(url, 1, VENUE)
    try:
        assert first.leads() and first.leads() and not second.leads()
        with psycopg.connect(url, autocommit=True) as admin:  # the leader's session dies (as when its process is killed)
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND objid = %s",
                          (0x6161_0003,))
        assert not first.leads()  # it notices at its next look
        assert second.leads() and not first.leads()
    finally:
        first.close()
        second.close()


def test_migrations_run_once_when_processes_start_at_once(pg: Server) -> None:
    url = fresh_database(pg)
    with ThreadPoolExecutor(5) as pool:
        stores = list(pool.map(lambda _: PostgresStore(url, 1, VENUE), range(5)))
    for store in stores:
        store.close()
    with psycopg.connect(url) as conn:
        versions = [r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()]
    assert versions == list(range(1, len(MIGRATIONS) + 1))


def test_a_store_waits_for_a_migration_in_progress(pg: Server) -> None:
    url = fresh_database(pg)
    opened: list[PostgresStore] = []
    with psycopg.connect(url) as other:  # another process is migrating: it holds the lock in its transaction
        other.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        starter = threading.Thread(target=lambda: opened.append(PostgresStore(url, 1, VENUE)))
        starter.start()
        time.sleep(1.0)
        assert not opened and starter.is_alive()  # waiting, not failing on a half-made schema
        other.rollback()
    starter.join(timeout=30)
    assert opened
    opened[0].close()


def test_event_ids_follow_commit_order_across_processes(pg: Server) -> None:
    url = fresh_database(pg)
    early, late = PostgresStore(url, 1, VENUE), PostgresStore(url, 1, VENUE)
    try:
        held = threading.Event()
        release = threading.Event()

        def slow() -> None:
            with early.reserve() as reservation:  # inserts first, commits last
                reservation.holds(ACCOUNT, SIGNER)
                reservation.hold([_order(1)])
                held.set()
                release.wait(10)

        worker = threading.Thread(target=slow)
        worker.start()
        assert held.wait(10)
        other = "0x" + "44" * 20
        with late.reserve() as reservation:
            reservation.holds(ACCOUNT, other)
            reservation.hold([_order(2, signer=other)])
        seen = late.events_after(0, 10)
        assert [e.digest for e in seen] == [_order(2, signer=other).digest]
        release.set()
        worker.join(10)
        # A reader that had passed the first committed id still gets the later commit.
        assert [e.digest for e in late.events_after(seen[-1].id, 10)] == [_order(1).digest]
    finally:
        early.close()
        late.close()


def test_an_event_writer_waits_for_one_still_committing(pg: Server) -> None:
    """A transaction that has appended events but not committed yet holds the log's lock: another's events wait
    for its commit, so no reader can pass an id whose transaction commits later."""
    url = fresh_database(pg)
    store = PostgresStore(url, 1, VENUE)
    try:
        with psycopg.connect(url) as other:
            other.execute("SELECT pg_advisory_xact_lock(%s)", (EVENTS_LOCK,))
            other.execute("INSERT INTO events (digest, account, signer, status) VALUES (%s, %s, %s, 'accepted')",
                          (b"\x99" * 32, ACCOUNT, SIGNER))
            done = threading.Event()

            def write() -> None:
                with store.reserve() as reservation:
                    reservation.hold([_order(4)])
                done.set()
            writer = threading.Thread(target=write)
            writer.start()
            assert not done.wait(1.0)  # waiting for the other's commit
            assert store.events_after(0, 10) == []
            other.commit()
            writer.join(10)
        ids = [(e.digest, e.id) for e in store.events_after(0, 10)]
        assert [d for d, _ in ids] == [b"\x99" * 32, _order(4).digest] and ids[0][1] < ids[1][1]
    finally:
        store.close()


def test_another_process_write_wakes_the_listeners(pg: Server) -> None:
    url = fresh_database(pg)
    writer, reader = PostgresStore(url, 1, VENUE), PostgresStore(url, 1, VENUE)
    try:
        woke = threading.Event()
        time.sleep(0.5)  # the reader's LISTEN is in place
        reader.listeners.append(woke.set)
        with writer.reserve() as reservation:
            reservation.hold([_order(3)])
        assert woke.wait(5)
    finally:
        writer.close()
        reader.close()


def test_a_database_outage_is_store_unavailable_and_the_store_recovers(pg: Server) -> None:
    url = fresh_database(pg)
    store = PostgresStore(url, 1, VENUE, timeout=1.0)
    try:
        with store.reserve() as reservation:
            reservation.hold([_order(5)])
        pg.stop()
        try:
            with pytest.raises(StoreUnavailable, match="the database is unavailable"):
                store.order(_order(5).digest)
            with pytest.raises(StoreUnavailable), store.reserve() as reservation:
                reservation.hold([_order(6)])
        finally:
            pg.start()
        deadline = time.monotonic() + 20
        while True:
            try:
                found = store.order(_order(5).digest)
                break
            except StoreUnavailable:
                assert time.monotonic() < deadline, "the store did not reconnect"
                time.sleep(0.2)
        assert found is not None and found.status is Status.ACCEPTED
        assert store.order(_order(6).digest) is None  # refused during the outage: nothing half-stored
    finally:
        store.close()


def test_an_unreachable_database_is_a_clear_error() -> None:
    with pytest.raises(InvalidInput, match="cannot open the database postgresql://nobody@127.0.0.1:9/x"):
        PostgresStore("postgresql://nobody:secret@127.0.0.1:9/x", 1, VENUE)
