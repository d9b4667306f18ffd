"""The store on PostgreSQL (psycopg 3 and its pool): any number of gateway processes (SPEC 14.6).

- Migrations run on start under a transaction-scoped advisory lock, so processes starting at
  once apply each version exactly once, in order; `schema_migrations` records them.
- A reservation locks the key's hold row (`SELECT ... FOR UPDATE`, inserting it first), inserts
  the orders (the partial unique index on (account, signer, nonce) among live orders backs the
  nonce reservation across processes) and adds them to the hold row, all in one transaction.
  A transaction that touches several keys' rows takes them in one order (sorted), so two never
  wait on each other; PostgreSQL still breaks any lock cycle, and a unique index refusal maps to
  ReservationConflict: the intake decides the request again and sees what the other process held.
- The event log is appended last in each transaction, under an advisory lock held to the commit:
  ids then increase in commit order (a sequence alone hands them out at insert time, and an SSE
  reader could pass an id whose transaction commits later). The same transaction NOTIFYs, and
  each process LISTENs, so event streams on every replica wake on every replica's writes.
- Leadership (follow the chain for everyone, settle) is `pg_try_advisory_lock` on a dedicated
  connection kept for as long as the process leads: when that process dies its session ends and
  the server releases the lock.
- Any error reaching the server is StoreUnavailable (503, SPEC 14.1's body): the transaction is
  undone, so nothing is half-stored, and the pool reconnects once the server is back.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.rows import DictRow, dict_row
from psycopg_pool import ConnectionPool

from aa_auth.errors import InvalidInput, Reason
from aa_auth.gateway.errors import ReservationConflict, StoreUnavailable
from aa_auth.gateway.store.base import Holds, Reservation, Status, StoredOrder
from aa_auth.gateway.store.sql import ORDER_COLUMNS, SqlStore, row_order

__all__ = ["PostgresStore"]

log = logging.getLogger("aa_auth.gateway")

# Advisory lock keys (any 64-bit values; one database serves one gateway).
MIGRATION_LOCK, EVENTS_LOCK, LEADER_LOCK = 0x6161_0001, 0x6161_0002, 0x6161_0003
CHANNEL = "aa_auth_events"
_U256 = "NUMERIC(78, 0)"

MIGRATIONS: tuple[str, ...] = (
    f"""
    CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE orders (
        seq BIGSERIAL PRIMARY KEY,
        digest BYTEA NOT NULL UNIQUE,
        account TEXT NOT NULL, signer TEXT NOT NULL, nonce {_U256} NOT NULL,
        venue TEXT NOT NULL, market {_U256} NOT NULL, is_buy BOOLEAN NOT NULL, size {_U256} NOT NULL,
        price {_U256} NOT NULL, deadline {_U256} NOT NULL, signature BYTEA NOT NULL,
        status TEXT NOT NULL, reason INTEGER, tx_hash BYTEA, block_number BIGINT,
        windowed BOOLEAN NOT NULL, charge {_U256} NOT NULL, accepted_at DOUBLE PRECISION NOT NULL
    );
    CREATE UNIQUE INDEX orders_live_nonce ON orders (account, signer, nonce) WHERE status <> 'rejected';
    CREATE INDEX orders_accepted ON orders (seq) WHERE status = 'accepted';
    CREATE INDEX orders_accepted_by_account ON orders (account, seq) WHERE status = 'accepted';
    CREATE INDEX orders_by_tx ON orders (tx_hash);
    CREATE TABLE holds (
        account TEXT NOT NULL, signer TEXT NOT NULL, orders BIGINT NOT NULL, notional {_U256} NOT NULL,
        revoked BOOLEAN NOT NULL DEFAULT false,
        PRIMARY KEY (account, signer)
    );
    CREATE TABLE accounts (account TEXT PRIMARY KEY);
    CREATE TABLE batches (seq BIGSERIAL PRIMARY KEY, tx_hash BYTEA NOT NULL UNIQUE, state TEXT NOT NULL);
    CREATE TABLE order_batches (digest BYTEA NOT NULL, tx_hash BYTEA NOT NULL, PRIMARY KEY (digest, tx_hash));
    CREATE TABLE events (
        id BIGSERIAL PRIMARY KEY,
        digest BYTEA NOT NULL, account TEXT NOT NULL, signer TEXT NOT NULL, status TEXT NOT NULL,
        reason INTEGER, tx_hash BYTEA, block_number BIGINT
    );
    CREATE INDEX events_by_account ON events (account, id);
    """,
)

_MOVED = "digest, account, signer, windowed, charge, status, reason, tx_hash, block_number"
_CONFLICTS = (psycopg.errors.UniqueViolation, psycopg.errors.TransactionRollback)


def migrate(conn: psycopg.Connection[Any]) -> list[int]:
    """Apply the versions not yet applied, under the migration lock; returns those this call applied."""
    applied: list[int] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations "
                     "(version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())")
        done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations").fetchall()}
        for version, script in enumerate(MIGRATIONS, start=1):
            if version not in done:
                conn.execute(script)  # our own DDL, several statements (no parameters: one simple query)
                conn.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (version,))
                applied.append(version)
    return applied


class _Tx:
    """One write transaction: the hold changes and the event log are written last (see the module doc)."""

    def __init__(self, conn: psycopg.Connection[DictRow]) -> None:
        self.conn = conn
        self.deltas: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
        self.events: list[tuple[Any, ...]] = []
        self.settled = 0

    def rows(self, query: str, args: Sequence[Any] | Mapping[str, Any] = ()) -> list[DictRow]:
        return self.conn.execute(query, args).fetchall()

    def moved(self, rows: Iterable[DictRow]) -> list[bytes]:
        """Log orders an UPDATE ... RETURNING moved (from a held status), releasing holds they no longer take."""
        digests = []
        for row in rows:
            status = Status(row["status"])
            if not status.held and row["windowed"]:
                delta = self.deltas[(row["account"], row["signer"])]
                delta[0] -= 1
                delta[1] -= int(row["charge"])
            self.log(row["digest"], row["account"], row["signer"], status, row["reason"], row["tx_hash"], row["block_number"])
            digests.append(bytes(row["digest"]))
        return digests

    def log(self, digest: bytes, account: str, signer: str, status: Status, reason: int | None, tx_hash: bytes | None,
            block_number: int | None) -> None:
        self.events.append((digest, account, signer, status.value, reason, tx_hash, block_number))

    def finish(self) -> None:
        cur = self.conn.cursor()
        changes = [(a, s, n, v) for (a, s), (n, v) in sorted(self.deltas.items()) if n or v]
        if changes:
            cur.executemany("INSERT INTO holds (account, signer, orders, notional) VALUES (%s, %s, %s, %s) "
                            "ON CONFLICT (account, signer) DO UPDATE SET orders = holds.orders + EXCLUDED.orders, "
                            "notional = holds.notional + EXCLUDED.notional", changes)
        if self.settled:
            cur.execute("INSERT INTO meta (name, value) VALUES ('settledBlock', %s) ON CONFLICT (name) DO UPDATE "
                        "SET value = GREATEST(meta.value::bigint, EXCLUDED.value::bigint)::text", (str(self.settled),))
        if self.events:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (EVENTS_LOCK,))
            cur.executemany("INSERT INTO events (digest, account, signer, status, reason, tx_hash, block_number) "
                            "VALUES (%s, %s, %s, %s, %s, %s, %s)", self.events)
            cur.execute("SELECT pg_notify(%s, '')", (CHANNEL,))


class _PostgresReservation(Reservation):
    def __init__(self, tx: _Tx) -> None:
        self._tx = tx

    def existing(self, digests: Sequence[bytes]) -> dict[bytes, StoredOrder]:
        rows = self._tx.rows(f"SELECT {ORDER_COLUMNS} FROM orders WHERE digest = ANY(%s)", (list(digests),))
        return {bytes(row["digest"]): row_order(row) for row in rows}

    def holds(self, account: str, signer: str) -> Holds:
        self._tx.conn.execute("INSERT INTO holds (account, signer, orders, notional) VALUES (%s, %s, 0, 0) "
                              "ON CONFLICT (account, signer) DO NOTHING", (account, signer))
        row = self._tx.rows("SELECT orders, notional, revoked FROM holds WHERE account = %s AND signer = %s FOR UPDATE",
                            (account, signer))[0]
        return Holds(int(row["orders"]), int(row["notional"]), bool(row["revoked"]))

    def nonces_held(self, account: str, signer: str, nonces: Iterable[int]) -> set[int]:
        rows = self._tx.rows("SELECT nonce FROM orders WHERE account = %s AND signer = %s AND status <> 'rejected' "
                             "AND nonce = ANY(%s::numeric[])", (account, signer, [str(n) for n in set(nonces)]))
        return {int(row["nonce"]) for row in rows}

    def settled_block(self) -> int:
        rows = self._tx.rows("SELECT value FROM meta WHERE name = 'settledBlock'")
        return int(rows[0]["value"]) if rows else 0

    def hold(self, orders: Sequence[StoredOrder]) -> None:
        if not orders:
            return
        self._tx.conn.cursor().executemany(
            f"INSERT INTO orders ({ORDER_COLUMNS}) VALUES ({', '.join(['%s'] * 18)})",
            [(order.digest, order.account, order.signer, o.nonce, o.venue, o.market, o.is_buy, o.size, o.price,
              o.deadline, order.signature, Status.ACCEPTED.value, int(Reason.AUTHORIZED), None, None, order.windowed,
              order.charge, order.accepted_at) for order in orders for o in (order.order,)])
        for order in orders:
            if order.windowed:
                delta = self._tx.deltas[(order.account, order.signer)]
                delta[0] += 1
                delta[1] += order.charge
            self._tx.log(order.digest, order.account, order.signer, Status.ACCEPTED, int(Reason.AUTHORIZED), None, None)


class PostgresStore(SqlStore):
    """The store in the PostgreSQL database at `url`, bound to one chain and venue."""

    _mark = "%s"

    def __init__(self, url: str, chain_id: int, venue: str, pool_size: int = 8, timeout: float = 3.0) -> None:
        self.url = url
        self.listeners = []
        self._timeout = timeout
        self._closed = threading.Event()
        self._leader: psycopg.Connection[Any] | None = None  # the session that holds (or tries for) the lead
        self._leading = False
        self._leader_lock = threading.Lock()
        try:
            with psycopg.connect(url, autocommit=True, connect_timeout=int(timeout)) as conn:
                migrate(conn)
        except psycopg.Error as exc:
            raise InvalidInput(f"cannot open the database {_safe(url)}: {exc.__class__.__name__}: {exc}") from None
        # check: a connection broken by a server restart is replaced before use, not handed to a request.
        self._pool: ConnectionPool[psycopg.Connection[DictRow]] = ConnectionPool(
            url, min_size=2, max_size=pool_size, timeout=timeout, open=True, name="aa-auth-gateway",
            kwargs={"autocommit": True, "row_factory": dict_row, "connect_timeout": int(timeout)},
            check=ConnectionPool.check_connection)
        try:
            self._write(lambda tx: self._bind(tx, {"chainId": str(chain_id), "venue": venue}))
        except BaseException:
            self._pool.close()
            raise
        self._listener = threading.Thread(target=self._listen, name="gateway-store-listen", daemon=True)
        self._listener.start()

    @staticmethod
    def _bind(tx: _Tx, identity: dict[str, str]) -> None:
        for name, value in identity.items():
            tx.conn.execute("INSERT INTO meta (name, value) VALUES (%s, %s) ON CONFLICT (name) DO NOTHING", (name, value))
            stored = tx.rows("SELECT value FROM meta WHERE name = %s", (name,))[0]["value"]
            if stored != value:
                raise InvalidInput(f"the database was made for {name} {stored}, not {value}: use another --db")

    # ------------------------------------------------------------ plumbing

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except _CONFLICTS as exc:
            raise ReservationConflict(f"a concurrent reservation won: {exc.__class__.__name__}") from None
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:  # the pool's PoolTimeout is one too
            raise StoreUnavailable(f"the database is unavailable: {exc.__class__.__name__}: {exc}") from None

    @contextmanager
    def _transaction(self) -> Iterator[_Tx]:
        with self._errors(), self._pool.connection() as conn, conn.transaction():
            tx = _Tx(conn)
            yield tx
            tx.finish()
        self._notify()

    def _write(self, work: Any) -> Any:
        with self._transaction() as tx:
            return work(tx)

    def _read(self, query: str, args: Sequence[Any] = ()) -> list[DictRow]:
        with self._errors(), self._pool.connection() as conn:
            return conn.execute(query, args).fetchall()

    def _listen(self) -> None:
        """Wake this process's event streams on every commit that logged events, whichever process made it."""
        while not self._closed.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True, connect_timeout=int(self._timeout)) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self._notify()  # whatever committed while not listening
                    while not self._closed.is_set():
                        for _ in conn.notifies(timeout=1.0, stop_after=1):
                            self._notify()
            except psycopg.Error:
                self._closed.wait(1.0)

    # ------------------------------------------------------------ the interface

    @contextmanager
    def reserve(self) -> Iterator[Reservation]:
        with self._transaction() as tx:
            yield _PostgresReservation(tx)

    def waiting(self, limit: int) -> tuple[int, float | None]:
        rows = self._read("SELECT count(*) AS n, min(accepted_at) AS oldest FROM "
                          "(SELECT accepted_at FROM orders WHERE status = 'accepted' ORDER BY seq LIMIT %s) AS w", (limit,))
        oldest = rows[0]["oldest"]
        return int(rows[0]["n"]), None if oldest is None else float(oldest)

    def reject(self, reasons: Mapping[bytes, Reason]) -> list[bytes]:
        if not reasons:
            return []
        query = (f"UPDATE orders o SET status = 'rejected', reason = v.reason FROM unnest(%s::bytea[], %s::int[]) "
                 f"AS v(digest, reason) WHERE o.digest = v.digest AND o.status = 'accepted' RETURNING {_o(_MOVED)}")
        return self._write(lambda tx: tx.moved(tx.rows(query, (list(reasons), [int(r) for r in reasons.values()]))))  # type: ignore[no-any-return]

    def submit(self, digests: Sequence[bytes], tx_hash: bytes) -> bool:
        with self._transaction() as tx:
            rows = tx.rows(f"UPDATE orders SET status = 'submitted', reason = 0, tx_hash = %s WHERE digest = ANY(%s) "
                           f"AND status = 'accepted' RETURNING {_MOVED}", (tx_hash, list(digests)))
            if len(rows) != len(set(digests)):
                raise psycopg.Rollback()  # one is no longer accepted: change nothing
            tx.conn.execute("INSERT INTO batches (tx_hash, state) VALUES (%s, 'sent')", (tx_hash,))
            tx.conn.execute("INSERT INTO order_batches (digest, tx_hash) SELECT d, %s FROM unnest(%s::bytea[]) AS d",
                            (tx_hash, [bytes(r["digest"]) for r in rows]))
            tx.moved(rows)
            return True
        return False

    @staticmethod
    def _requeue(tx: _Tx, tx_hash: bytes, state: str) -> list[bytes]:
        """The batch's orders still submitted return to accepted; the batch is marked `state`."""
        tx.conn.execute("UPDATE batches SET state = %s WHERE tx_hash = %s", (state, tx_hash))
        return tx.moved(tx.rows(f"UPDATE orders SET status = 'accepted', reason = 0, tx_hash = NULL, block_number = NULL "
                                f"WHERE tx_hash = %s AND status = 'submitted' RETURNING {_MOVED}", (tx_hash,)))

    def resolve(self, tx_hash: bytes, block_number: int, outcomes: Mapping[bytes, Reason]) -> None:
        def work(tx: _Tx) -> None:
            statuses = [(Status.SETTLED if r is Reason.AUTHORIZED else Status.REJECTED).value for r in outcomes.values()]
            tx.moved(tx.rows(
                f"UPDATE orders o SET status = v.status, reason = v.reason, block_number = %(block)s "
                f"FROM unnest(%(digests)s::bytea[], %(statuses)s::text[], %(reasons)s::int[]) AS v(digest, status, reason) "
                f"WHERE o.digest = v.digest AND o.tx_hash = %(tx)s AND o.status = 'submitted' RETURNING {_o(_MOVED)}",
                {"block": block_number, "digests": list(outcomes), "statuses": statuses,
                 "reasons": [int(r) for r in outcomes.values()], "tx": tx_hash}))
            self._requeue(tx, tx_hash, "final")
            tx.settled = block_number
        self._write(work)

    def requeue(self, tx_hash: bytes) -> list[bytes]:
        return self._write(lambda tx: self._requeue(tx, tx_hash, "dropped"))  # type: ignore[no-any-return]

    def settle_late(self, digest: bytes, tx_hash: bytes, block_number: int) -> bool:
        def work(tx: _Tx) -> bool:
            moved = tx.moved(tx.rows(f"UPDATE orders SET status = 'settled', reason = 0, tx_hash = %s, block_number = %s "
                                     f"WHERE digest = %s AND status = 'accepted' RETURNING {_MOVED}",
                                     (tx_hash, block_number, digest)))
            tx.settled = block_number if moved else 0
            return bool(moved)
        return self._write(work)  # type: ignore[no-any-return]

    def revoke(self, account: str, key: str) -> list[bytes]:
        def work(tx: _Tx) -> list[bytes]:
            # The hold row first, as a reservation takes it: the two never interleave.
            tx.conn.execute("INSERT INTO holds (account, signer, orders, notional, revoked) VALUES (%s, %s, 0, 0, true) "
                            "ON CONFLICT (account, signer) DO UPDATE SET revoked = true", (account, key))
            return tx.moved(tx.rows(f"UPDATE orders SET status = 'rejected', reason = %s WHERE account = %s AND signer = %s "
                                    f"AND status = 'accepted' RETURNING {_MOVED}", (int(Reason.SESSION_REVOKED), account, key)))
        return self._write(work)  # type: ignore[no-any-return]

    def serve(self, account: str) -> None:
        self._read("INSERT INTO accounts (account) VALUES (%s) ON CONFLICT DO NOTHING RETURNING account", (account,))

    def leads(self) -> bool:
        with self._leader_lock:
            try:
                if self._leader is None:
                    self._leader = psycopg.connect(self.url, autocommit=True, connect_timeout=int(self._timeout),
                                                   keepalives=1, keepalives_idle=5, keepalives_interval=1, keepalives_count=3)
                if self._leading:
                    self._leader.execute("SELECT 1")  # the session lives, and the lock with it
                else:
                    row = self._leader.execute("SELECT pg_try_advisory_lock(%s)", (LEADER_LOCK,)).fetchone()
                    self._leading = bool(row and row[0])
            except psycopg.Error:
                if self._leading:  # the session is gone, and the server released the lock with it
                    log.warning("store: the leader's connection is lost; this process no longer leads")
                self._leading = False
                if self._leader is not None:
                    self._leader.close()
                    self._leader = None
            return self._leading

    def close(self) -> None:
        self._closed.set()
        with self._leader_lock:
            if self._leader is not None:
                self._leader.close()
                self._leader = None
        self._pool.close()
        self._listener.join(timeout=5)


def _o(columns: str) -> str:
    """The RETURNING list qualified with the updated table's alias (an UPDATE ... FROM also sees v's columns)."""
    return ", ".join(f"o.{c.strip()}" for c in columns.split(","))


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    scheme, _, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    return f"{scheme}://{credentials.split(':')[0]}@{host}" if at else url
