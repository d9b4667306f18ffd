"""The store interface: what the gateway persists, and the one transaction that reserves orders.

Nonce reservations and window holds must be atomic across concurrent requests (and, with
PostgreSQL in SPEC 14.6, across processes). So a reservation is one database transaction:
`Reservation.holds` locks the key's hold row (SQLite: the write lock `BEGIN IMMEDIATE` took;
PostgreSQL: `SELECT ... FOR UPDATE` on that row), the caller decides with what it read, and
`Reservation.hold` inserts the order (a unique index on (account, signer, nonce) among live orders
backs the nonce reservation) and adds it to the hold row before the same transaction commits.
Never count-then-insert across two transactions.

The event log must be appended in commit order across processes too: PostgreSQL's sequences hand
out ids at insert time, so its store appends the log last, under a transaction-scoped advisory
lock, just before the commit.

Every status change appends to the event log in the transaction that makes it, so the log ids
(SSE `id:`) increase in commit order and a reconnecting client misses nothing.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from enum import StrEnum

from aa_auth.errors import Reason
from aa_auth.protocol.orders import Order

__all__ = ["Event", "Holds", "Reservation", "SentBatch", "Status", "Store", "StoredOrder"]


class Status(StrEnum):
    """SPEC 14.2's statuses; `accepted` and `submitted` orders are held (they reserve nonce and window)."""

    ACCEPTED = "accepted"
    SUBMITTED = "submitted"
    SETTLED = "settled"
    REJECTED = "rejected"

    @property
    def held(self) -> bool:
        return self in (Status.ACCEPTED, Status.SUBMITTED)


@dataclass(frozen=True)
class StoredOrder:
    digest: bytes
    account: str
    signer: str
    order: Order
    signature: bytes
    status: Status
    reason: Reason | None  # the rejection's reason; Authorized while held or settled
    tx_hash: bytes | None
    block_number: int | None
    windowed: bool  # the order counts against its key's window (False for the owner's: no window limits them)
    charge: int  # the notional it holds in that window
    accepted_at: float  # unix time it was stored


@dataclass(frozen=True)
class Holds:
    """What a key's held orders reserve in its current window, and whether the gateway revoked the key."""

    orders: int
    notional: int
    revoked: bool


@dataclass(frozen=True)
class Event:
    """One status change, as SSE sends it."""

    id: int
    digest: bytes
    account: str
    signer: str
    status: Status
    reason: Reason | None
    tx_hash: bytes | None
    block_number: int | None


@dataclass(frozen=True)
class SentBatch:
    """A settle transaction whose hash was recorded before it was sent, and its submitted orders."""

    tx_hash: bytes
    digests: tuple[bytes, ...]


class Reservation(ABC):
    """One open transaction that decides and holds orders; it commits when the `with` block ends.
    Each call takes a whole group (one signer's orders on one account): a few statements per request."""

    @abstractmethod
    def existing(self, digests: Sequence[bytes]) -> dict[bytes, StoredOrder]:
        """The stored orders among these digests, whatever their status."""

    @abstractmethod
    def holds(self, account: str, signer: str) -> Holds:
        """The key's holds and gateway revocation, locked until the transaction ends (a revocation takes
        the same lock, so it never interleaves with a reservation of that key)."""

    @abstractmethod
    def nonces_held(self, account: str, signer: str, nonces: Iterable[int]) -> set[int]:
        """Those of `nonces` that a live (not rejected) order of the signer reserves."""

    @abstractmethod
    def hold(self, orders: Sequence[StoredOrder]) -> None:
        """Insert accepted orders of one signer on one account and add their charges to the key's holds.
        A unique index that refuses one (another process held the same digest or nonce first) raises
        ReservationConflict, and the whole transaction is undone."""

    @abstractmethod
    def settled_block(self) -> int:
        """The newest block whose settlement released holds (0: none). A decision must read a followed state
        at least that new, or the released orders would count neither as held nor in the chain's window."""


class Store(ABC):
    """Orders, holds, gateway-side revocations, sent batches and the event log of one gateway."""

    @abstractmethod
    def reserve(self) -> AbstractContextManager[Reservation]:
        """A reservation transaction (see the module docstring)."""

    @abstractmethod
    def order(self, digest: bytes) -> StoredOrder | None: ...

    @abstractmethod
    def accepted(self, limit: int, account: str | None = None) -> list[StoredOrder]:
        """Accepted orders, oldest first (all of one account when `account` is given)."""

    @abstractmethod
    def waiting(self, limit: int) -> tuple[int, float | None]:
        """How many orders are accepted (counted up to `limit`), and when the oldest was (None: none)."""

    @abstractmethod
    def reject(self, reasons: Mapping[bytes, Reason]) -> list[bytes]:
        """Move accepted orders to rejected with their reasons, releasing their holds; returns the moved digests
        (an order that is no longer accepted, e.g. already submitted, is left alone)."""

    @abstractmethod
    def submit(self, digests: Sequence[bytes], tx_hash: bytes) -> bool:
        """Record the batch's transaction and move all its orders from accepted to submitted, or change
        nothing and return False when one of them is no longer accepted."""

    @abstractmethod
    def sent(self) -> list[SentBatch]:
        """Batches whose transaction is recorded and not yet final or dropped, oldest first."""

    @abstractmethod
    def resolve(self, tx_hash: bytes, block_number: int, outcomes: Mapping[bytes, Reason]) -> None:
        """The batch's transaction is final: each order settled (Authorized) or rejected with its reason.
        An order of the batch missing from `outcomes` returns to accepted."""

    @abstractmethod
    def requeue(self, tx_hash: bytes) -> list[bytes]:
        """The batch's transaction was dropped or reorged out: its submitted orders return to accepted."""

    @abstractmethod
    def dropped_batches(self, digest: bytes) -> list[bytes]:
        """Hashes of the dropped transactions the order was in (one of them may still have been mined)."""

    @abstractmethod
    def settle_late(self, digest: bytes, tx_hash: bytes, block_number: int) -> bool:
        """An accepted order turned out settled by an earlier transaction of its own: mark it settled."""

    @abstractmethod
    def revoke(self, account: str, key: str) -> list[bytes]:
        """Refuse the key from now on and reject its accepted orders (SessionRevoked), in one transaction."""

    @abstractmethod
    def revoked(self, account: str) -> frozenset[str]:
        """Keys revoked at the gateway on this account."""

    @abstractmethod
    def serve(self, account: str) -> None:
        """Remember a genuine account, so a restarted gateway follows it again."""

    @abstractmethod
    def served(self) -> list[str]: ...

    @abstractmethod
    def held_totals(self, account: str) -> dict[str, Holds]:
        """Each key's holds on the account (for /v1/accounts)."""

    @abstractmethod
    def events_after(self, last_id: int, limit: int, account: str | None = None, signer: str | None = None) -> list[Event]:
        """Events with id > last_id in id order, optionally of one account and/or signer."""

    def leads(self) -> bool:
        """Whether this process follows the chain for everyone and settles (SPEC 14.6), taking the lead when
        free. A store only one process can open (SQLite) always leads."""
        return True

    @abstractmethod
    def close(self) -> None: ...

    # Change notification, so the event stream wakes without polling in the process that wrote.
    listeners: list[Callable[[], None]]

    def _notify(self) -> None:
        for listener in list(self.listeners):
            listener()
