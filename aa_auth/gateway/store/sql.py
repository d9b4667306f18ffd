"""What the SQL stores share: rows to records (both drivers give rows that index by column name) and the
reads that are the same query on SQLite and PostgreSQL, written with `?` for the driver's placeholder."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Any, Protocol

from aa_auth.errors import Reason
from aa_auth.gateway.store.base import Event, Holds, SentBatch, Status, Store, StoredOrder
from aa_auth.protocol.orders import Order

__all__ = ["ORDER_COLUMNS", "Row", "SqlStore", "row_event", "row_order"]

ORDER_COLUMNS = ("digest, account, signer, nonce, venue, market, is_buy, size, price, deadline, signature, status, "
                 "reason, tx_hash, block_number, windowed, charge, accepted_at")


class Row(Protocol):
    """A result row by column name: sqlite3.Row, or psycopg's dict_row."""

    def __getitem__(self, key: str, /) -> Any: ...


def _reason(value: Any) -> Reason | None:
    return None if value is None else Reason(value)


def _bytes(value: Any) -> bytes | None:
    return None if value is None else bytes(value)  # PostgreSQL's bytea comes back as memoryview-like bytes


def row_order(row: Row) -> StoredOrder:
    order = Order(row["venue"], int(row["market"]), bool(row["is_buy"]), int(row["size"]), int(row["price"]),
                  int(row["nonce"]), int(row["deadline"]))
    return StoredOrder(
        digest=bytes(row["digest"]), account=row["account"], signer=row["signer"], order=order,
        signature=bytes(row["signature"]), status=Status(row["status"]), reason=_reason(row["reason"]),
        tx_hash=_bytes(row["tx_hash"]), block_number=row["block_number"], windowed=bool(row["windowed"]),
        charge=int(row["charge"]), accepted_at=float(row["accepted_at"]),
    )


def row_event(row: Row) -> Event:
    return Event(row["id"], bytes(row["digest"]), row["account"], row["signer"], Status(row["status"]),
                 _reason(row["reason"]), _bytes(row["tx_hash"]), row["block_number"])



class SqlStore(Store):
    """The reads of a SQL store; a subclass gives `_read` and its placeholder `_mark`."""

    _mark = "?"

    @abstractmethod
    def _read(self, query: str, args: Sequence[Any] = ()) -> Sequence[Row]: ...

    def _select(self, query: str, args: Sequence[Any] = ()) -> Sequence[Row]:
        return self._read(query.replace("?", self._mark), args)

    def order(self, digest: bytes) -> StoredOrder | None:
        rows = self._select(f"SELECT {ORDER_COLUMNS} FROM orders WHERE digest = ?", (digest,))
        return row_order(rows[0]) if rows else None

    def accepted(self, limit: int, account: str | None = None) -> list[StoredOrder]:
        where, args = ("status = 'accepted' AND account = ?", [account]) if account else ("status = 'accepted'", [])
        rows = self._select(f"SELECT {ORDER_COLUMNS} FROM orders WHERE {where} ORDER BY seq LIMIT ?", [*args, limit])
        return [row_order(r) for r in rows]

    def sent(self) -> list[SentBatch]:
        batches = self._select("SELECT tx_hash FROM batches WHERE state = 'sent' ORDER BY seq")
        return [SentBatch(bytes(b["tx_hash"]), tuple(bytes(r["digest"]) for r in self._select(
            "SELECT digest FROM orders WHERE tx_hash = ? AND status = 'submitted' ORDER BY seq", (b["tx_hash"],))))
            for b in batches]

    def dropped_batches(self, digest: bytes) -> list[bytes]:
        rows = self._select("SELECT b.tx_hash FROM order_batches o JOIN batches b ON b.tx_hash = o.tx_hash "
                            "WHERE o.digest = ? AND b.state = 'dropped' ORDER BY b.seq", (digest,))
        return [bytes(r["tx_hash"]) for r in rows]

    def revoked(self, account: str) -> frozenset[str]:
        return frozenset(r["signer"] for r in self._select("SELECT signer FROM holds WHERE account = ? AND revoked", (account,)))

    def served(self) -> list[str]:
        return [r["account"] for r in self._select("SELECT account FROM accounts ORDER BY account")]

    def held_totals(self, account: str) -> dict[str, Holds]:
        rows = self._select("SELECT signer, orders, notional, revoked FROM holds WHERE account = ?", (account,))
        return {r["signer"]: Holds(int(r["orders"]), int(r["notional"]), bool(r["revoked"])) for r in rows}

    def events_after(self, last_id: int, limit: int, account: str | None = None, signer: str | None = None) -> list[Event]:
        where, args = ["id > ?"], [last_id]  # type: tuple[list[str], list[Any]]
        for column, value in (("account", account), ("signer", signer)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        rows = self._select(f"SELECT * FROM events WHERE {' AND '.join(where)} ORDER BY id LIMIT ?", [*args, limit])
        return [row_event(r) for r in rows]
