"""Rows to records, the same for every backend: both drivers give rows that index by column name."""

from __future__ import annotations

from typing import Any, Protocol

from aa_auth.errors import Reason
from aa_auth.gateway.store.base import Event, Status, StoredOrder
from aa_auth.protocol.orders import Order

__all__ = ["ORDER_COLUMNS", "Row", "row_event", "row_order"]

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
