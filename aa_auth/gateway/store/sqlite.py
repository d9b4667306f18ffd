"""The store on SQLite in WAL mode: one process (SPEC 14's default `--db sqlite:///gateway.db`).

Every write is one `BEGIN IMMEDIATE` transaction: it takes the database's write lock up front, so
a reservation's reads and its insert see no other writer in between (the check-and-add of
base.py). `synchronous=FULL` makes a commit durable before the gateway answers `accepted`.
uint256 values are stored as decimal text: SQLite integers stop at 2**63-1.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from aa_auth.errors import InvalidInput, Reason
from aa_auth.gateway.errors import ReservationConflict
from aa_auth.gateway.store.base import Holds, Reservation, Status, StoredOrder
from aa_auth.gateway.store.sql import ORDER_COLUMNS as _ORDER_COLUMNS
from aa_auth.gateway.store.sql import SqlStore
from aa_auth.gateway.store.sql import row_order as _row_order

__all__ = ["SqliteStore"]

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS orders (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    digest BLOB NOT NULL UNIQUE,
    account TEXT NOT NULL, signer TEXT NOT NULL, nonce TEXT NOT NULL,
    venue TEXT NOT NULL, market TEXT NOT NULL, is_buy INTEGER NOT NULL, size TEXT NOT NULL, price TEXT NOT NULL,
    deadline TEXT NOT NULL, signature BLOB NOT NULL,
    status TEXT NOT NULL, reason INTEGER, tx_hash BLOB, block_number INTEGER,
    windowed INTEGER NOT NULL, charge TEXT NOT NULL, accepted_at REAL NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS orders_live_nonce ON orders (account, signer, nonce) WHERE status != 'rejected';
CREATE INDEX IF NOT EXISTS orders_by_status ON orders (status, seq);
CREATE INDEX IF NOT EXISTS orders_by_tx ON orders (tx_hash);
CREATE TABLE IF NOT EXISTS holds (
    account TEXT NOT NULL, signer TEXT NOT NULL, orders INTEGER NOT NULL, notional TEXT NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0,  -- revoked through the gateway (POST /v1/revocations)
    PRIMARY KEY (account, signer)
);
CREATE TABLE IF NOT EXISTS accounts (account TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS batches (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, tx_hash BLOB NOT NULL UNIQUE,
    state TEXT NOT NULL  -- sent, final, or dropped (its orders went back to accepted)
);
CREATE TABLE IF NOT EXISTS order_batches (digest BLOB NOT NULL, tx_hash BLOB NOT NULL, PRIMARY KEY (digest, tx_hash));
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    digest BLOB NOT NULL, account TEXT NOT NULL, signer TEXT NOT NULL, status TEXT NOT NULL,
    reason INTEGER, tx_hash BLOB, block_number INTEGER
);
CREATE INDEX IF NOT EXISTS events_by_account ON events (account, id);
"""
def _log(db: sqlite3.Connection, order: StoredOrder | sqlite3.Row, status: Status, reason: Reason | None,
         tx_hash: bytes | None, block_number: int | None) -> None:
    get: Callable[[str], Any] = (lambda name: getattr(order, name)) if isinstance(order, StoredOrder) else order.__getitem__
    db.execute("INSERT INTO events (digest, account, signer, status, reason, tx_hash, block_number) VALUES (?,?,?,?,?,?,?)",
               (get("digest"), get("account"), get("signer"), status.value, None if reason is None else int(reason),
                tx_hash, block_number))


def _add_hold(db: sqlite3.Connection, account: str, signer: str, orders: int, notional: int) -> None:
    row = db.execute("SELECT orders, notional FROM holds WHERE account = ? AND signer = ?", (account, signer)).fetchone()
    if row is None:
        db.execute("INSERT INTO holds (account, signer, orders, notional) VALUES (?,?,?,?)", (account, signer, orders, str(notional)))
    else:
        db.execute("UPDATE holds SET orders = ?, notional = ? WHERE account = ? AND signer = ?",
                   (row[0] + orders, str(int(row[1]) + notional), account, signer))


def _settled_at(db: sqlite3.Connection, block_number: int) -> None:
    """Raise the block through which settlements released holds (Reservation.settled_block)."""
    db.execute("INSERT INTO meta (name, value) VALUES ('settledBlock', ?) ON CONFLICT (name) DO UPDATE "
               "SET value = max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))", (str(block_number),))


def _move(db: sqlite3.Connection, row: sqlite3.Row, status: Status, reason: Reason | None, tx_hash: bytes | None,
          block_number: int | None) -> None:
    """Change one order's status, log it, and release its hold when it stops being held."""
    db.execute("UPDATE orders SET status = ?, reason = ?, tx_hash = ?, block_number = ? WHERE digest = ?",
               (status.value, None if reason is None else int(reason), tx_hash, block_number, row["digest"]))
    if Status(row["status"]).held and not status.held and row["windowed"]:
        _add_hold(db, row["account"], row["signer"], -1, -int(row["charge"]))
    _log(db, row, status, reason, tx_hash, block_number)


class _SqliteReservation(Reservation):
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def existing(self, digests: Sequence[bytes]) -> dict[bytes, StoredOrder]:
        marks = ",".join("?" * len(digests))
        rows = self._db.execute(f"SELECT {_ORDER_COLUMNS} FROM orders WHERE digest IN ({marks})", list(digests)).fetchall()
        return {row["digest"]: _row_order(row) for row in rows}

    def holds(self, account: str, signer: str) -> Holds:
        query = "SELECT orders, notional, revoked FROM holds WHERE account = ? AND signer = ?"
        row = self._db.execute(query, (account, signer)).fetchone()
        return Holds(0, 0, False) if row is None else Holds(row[0], int(row[1]), bool(row[2]))

    def nonces_held(self, account: str, signer: str, nonces: Iterable[int]) -> set[int]:
        wanted = [str(n) for n in set(nonces)]
        query = (f"SELECT nonce FROM orders WHERE account = ? AND signer = ? AND status != 'rejected' "
                 f"AND nonce IN ({','.join('?' * len(wanted))})")
        return {int(r[0]) for r in self._db.execute(query, [account, signer, *wanted])}

    def settled_block(self) -> int:
        row = self._db.execute("SELECT value FROM meta WHERE name = 'settledBlock'").fetchone()
        return 0 if row is None else int(row[0])

    def hold(self, orders: Sequence[StoredOrder]) -> None:
        if not orders:
            return
        self._db.executemany(
            f"INSERT INTO orders ({_ORDER_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [(order.digest, order.account, order.signer, str(o.nonce), o.venue, str(o.market), int(o.is_buy), str(o.size),
              str(o.price), str(o.deadline), order.signature, Status.ACCEPTED.value, int(Reason.AUTHORIZED), None, None,
              int(order.windowed), str(order.charge), order.accepted_at) for order in orders for o in (order.order,)],
        )
        windowed = [order for order in orders if order.windowed]
        if windowed:
            _add_hold(self._db, windowed[0].account, windowed[0].signer, len(windowed), sum(o.charge for o in windowed))
        self._db.executemany("INSERT INTO events (digest, account, signer, status, reason) VALUES (?,?,?,?,?)",
                             [(o.digest, o.account, o.signer, Status.ACCEPTED.value, int(Reason.AUTHORIZED)) for o in orders])


class SqliteStore(SqlStore):
    """The store in the SQLite file `path`, bound to one chain and venue (a database never mixes two)."""

    def __init__(self, path: Path, chain_id: int, venue: str) -> None:
        self.path = path
        self.listeners = []
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        db = self._db()
        db.executescript(_SCHEMA)
        self._write(lambda w: self._bind(w, {"chainId": str(chain_id), "venue": venue}))

    @staticmethod
    def _bind(db: sqlite3.Connection, identity: dict[str, str]) -> None:
        for name, value in identity.items():
            row = db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
            if row is None:
                db.execute("INSERT INTO meta (name, value) VALUES (?, ?)", (name, value))
            elif row[0] != value:
                raise InvalidInput(f"the database was made for {name} {row[0]}, not {value}: use another --db")

    def _db(self) -> sqlite3.Connection:
        """This thread's connection (sqlite3 connections must not be shared between threads)."""
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            try:
                db = sqlite3.connect(self.path, isolation_level=None, timeout=30.0, check_same_thread=False)
            except sqlite3.Error as exc:
                raise InvalidInput(f"cannot open the database {self.path}: {exc}") from None
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = FULL")
            self._local.db = db
            with self._lock:
                self._connections.append(db)
        return db

    def _write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        with self._transaction() as db:
            return work(db)

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        self._notify()

    @contextmanager
    def reserve(self) -> Iterator[Reservation]:
        try:
            with self._transaction() as db:
                yield _SqliteReservation(db)
        except sqlite3.IntegrityError as exc:  # one writer at a time: only a caller holding one digest twice
            raise ReservationConflict(f"a unique index refused the reservation: {exc}") from None

    def _read(self, query: str, args: Sequence[Any] = ()) -> list[sqlite3.Row]:
        return self._db().execute(query, args).fetchall()

    def waiting(self, limit: int) -> tuple[int, float | None]:
        oldest = self._read("SELECT accepted_at FROM orders WHERE status = 'accepted' ORDER BY seq LIMIT 1")
        if not oldest:
            return 0, None
        count = self._read("SELECT count(*) FROM (SELECT 1 FROM orders WHERE status = 'accepted' LIMIT ?)", (limit,))
        return int(count[0][0]), float(oldest[0][0])

    def reject(self, reasons: Mapping[bytes, Reason]) -> list[bytes]:
        def work(db: sqlite3.Connection) -> list[bytes]:
            moved = []
            for digest, reason in reasons.items():
                row = db.execute("SELECT * FROM orders WHERE digest = ? AND status = 'accepted'", (digest,)).fetchone()
                if row is not None:
                    _move(db, row, Status.REJECTED, reason, None, None)
                    moved.append(digest)
            return moved
        return self._write(work) if reasons else []

    def submit(self, digests: Sequence[bytes], tx_hash: bytes) -> bool:
        def work(db: sqlite3.Connection) -> bool:
            marks = ",".join("?" * len(digests))
            rows = db.execute(f"SELECT * FROM orders WHERE status = 'accepted' AND digest IN ({marks})", list(digests)).fetchall()
            if len(rows) != len(set(digests)):
                return False
            db.execute("INSERT INTO batches (tx_hash, state) VALUES (?, 'sent')", (tx_hash,))
            for row in rows:
                db.execute("INSERT INTO order_batches (digest, tx_hash) VALUES (?, ?)", (row["digest"], tx_hash))
                _move(db, row, Status.SUBMITTED, Reason.AUTHORIZED, tx_hash, None)
            return True
        return self._write(work)

    def _finish(self, db: sqlite3.Connection, tx_hash: bytes, state: str,
                outcome: Callable[[sqlite3.Row], tuple[Status, Reason, int | None]]) -> list[bytes]:
        rows = db.execute("SELECT * FROM orders WHERE tx_hash = ? AND status = 'submitted'", (tx_hash,)).fetchall()
        for row in rows:
            status, reason, block = outcome(row)
            _move(db, row, status, reason, tx_hash if status is not Status.ACCEPTED else None, block)
        db.execute("UPDATE batches SET state = ? WHERE tx_hash = ?", (state, tx_hash))
        return [row["digest"] for row in rows]

    def resolve(self, tx_hash: bytes, block_number: int, outcomes: Mapping[bytes, Reason]) -> None:
        def outcome(row: sqlite3.Row) -> tuple[Status, Reason, int | None]:
            reason = outcomes.get(row["digest"])
            if reason is None:
                return Status.ACCEPTED, Reason.AUTHORIZED, None
            return (Status.SETTLED if reason is Reason.AUTHORIZED else Status.REJECTED), reason, block_number
        def work(db: sqlite3.Connection) -> None:
            self._finish(db, tx_hash, "final", outcome)
            _settled_at(db, block_number)
        self._write(work)

    def requeue(self, tx_hash: bytes) -> list[bytes]:
        return self._write(lambda db: self._finish(db, tx_hash, "dropped", lambda _: (Status.ACCEPTED, Reason.AUTHORIZED, None)))

    def settle_late(self, digest: bytes, tx_hash: bytes, block_number: int) -> bool:
        def work(db: sqlite3.Connection) -> bool:
            row = db.execute("SELECT * FROM orders WHERE digest = ? AND status = 'accepted'", (digest,)).fetchone()
            if row is not None:
                _move(db, row, Status.SETTLED, Reason.AUTHORIZED, tx_hash, block_number)
                _settled_at(db, block_number)
            return row is not None
        return self._write(work)

    def revoke(self, account: str, key: str) -> list[bytes]:
        def work(db: sqlite3.Connection) -> list[bytes]:
            _add_hold(db, account, key, 0, 0)
            db.execute("UPDATE holds SET revoked = 1 WHERE account = ? AND signer = ?", (account, key))
            rows = db.execute("SELECT * FROM orders WHERE account = ? AND signer = ? AND status = 'accepted'", (account, key)).fetchall()
            for row in rows:
                _move(db, row, Status.REJECTED, Reason.SESSION_REVOKED, None, None)
            return [row["digest"] for row in rows]
        return self._write(work)

    def serve(self, account: str) -> None:
        self._write(lambda db: db.execute("INSERT OR IGNORE INTO accounts (account) VALUES (?)", (account,)))

    def close(self) -> None:
        with self._lock:
            for db in self._connections:
                db.close()
            self._connections.clear()
        self._local = threading.local()
