"""The settler: batches of accepted orders through `ReferenceVenue.settle`, and each order's fate.

A batch goes out when `--batch-max` orders wait or the oldest has waited `--batch-wait` seconds.
Just before sending, every order of the batch is decided again at the node's latest block, in
batch order, as `consumeOrder` will see them (verify.Verifier); those that now fail are rejected
with their reason. The transaction's hash is stored, and its orders marked
submitted, before it is sent, so a gateway killed at any point finds it again on restart. One
batch is in flight at a time. It is final when its block is `--confirmations` deep, still
canonical, and the follower has read that block (so releasing the holds never undercounts a
window); then each order is settled or rejected from the venue's events. A transaction the node
no longer knows (dropped, reorged out, or never sent because the gateway died first), or one that
reverted as a whole, returns its orders to accepted, to be re-checked and sent again; an order
whose nonce is then found used is looked up in its earlier transactions, in case one of them was
mined after all, so it is reported settled, never rejected for its own settlement.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict

from web3.exceptions import TransactionNotFound
from web3.types import TxReceipt

from aa_auth.chain.blocks import at_block
from aa_auth.chain.connection import Chain
from aa_auth.contracts.account import SmartAccount
from aa_auth.contracts.venue import Venue
from aa_auth.errors import AAAuthError, Reason
from aa_auth.gateway.follower import NODE_ERRORS, Follower
from aa_auth.gateway.metrics import Metrics
from aa_auth.gateway.operator import Operator
from aa_auth.gateway.settings import Settings
from aa_auth.gateway.store.base import SentBatch, Store, StoredOrder
from aa_auth.protocol.verify import Verifier

__all__ = ["Settler"]

log = logging.getLogger("aa_auth.gateway")
_IDLE = 0.05  # seconds between looks when there is nothing to do


class Settler:
    def __init__(self, chain: Chain, settings: Settings, store: Store, follower: Follower, operator: Operator,
                 metrics: Metrics) -> None:
        self.chain, self.settings, self.store, self.follower = chain, settings, store, follower
        self.operator, self.metrics = operator, metrics
        self.venue = Venue(chain, settings.venue)

    def run(self, stop: threading.Event, lost: threading.Event | None = None, drain_seconds: float = 30.0) -> None:
        """Work until `stop` is set, then finish the batch in flight for at most `drain_seconds`, unless the
        lead was `lost` (the new leader follows that batch up from its recorded hash)."""
        while not stop.is_set():
            if not self._step(sending=True):
                stop.wait(_IDLE)
        deadline = time.monotonic() + drain_seconds
        while not (lost is not None and lost.is_set()) and self._in_flight() and time.monotonic() < deadline:
            if not self._step(sending=False):
                time.sleep(_IDLE)

    def _in_flight(self) -> bool:
        """A batch is sent and not final (False when the database cannot say: the next start follows it up)."""
        try:
            return bool(self.store.sent())
        except NODE_ERRORS as exc:
            log.warning("settler: %s: %s", exc.__class__.__name__, exc)
            return False

    def _step(self, sending: bool) -> bool:
        """One unit of work; False when there was nothing to do."""
        try:
            sent = self.store.sent()
            if sent:
                return self._follow_up(sent[0])
            return sending and self._send_batch()
        except NODE_ERRORS as exc:
            log.warning("settler: %s: %s", exc.__class__.__name__, exc)
            return False

    # ------------------------------------------------------------ sending

    def _due(self) -> list[StoredOrder]:
        """The next batch when one is due (read only then: loading orders every look would cost the intake)."""
        count, oldest = self.store.waiting(self.settings.batch_max)
        if oldest is None or self.follower.degraded:
            return []
        if count < self.settings.batch_max and time.time() - oldest < self.settings.batch_wait:
            return []
        return self.store.accepted(self.settings.batch_max)

    def _send_batch(self) -> bool:
        batch = self._due()
        if not batch:
            return False
        keep, reasons = self._recheck(batch)
        moved = self.store.reject(reasons)
        self.metrics.rejected({d: reasons[d] for d in moved})
        if not keep:
            return True
        digests = [o.digest for o in keep]
        data = self.venue.contract.encode_abi("settle", args=[[(o.account, o.order.as_abi(), o.signature) for o in keep]])
        tx_hash = self.operator.send(self.settings.venue, data, lambda h: self.store.submit(digests, h))
        if tx_hash is not None:
            self.metrics.batches.inc()
            self.metrics.count("submitted", Reason.AUTHORIZED.label, len(keep))
            log.info("settler: sent %d orders in %s", len(keep), "0x" + tx_hash.hex())
        return True

    def _recheck(self, batch: list[StoredOrder]) -> tuple[list[StoredOrder], dict[bytes, Reason]]:
        """Decide the batch again at the latest block, in order, each seeing the ones before it consumed."""
        latest = self.chain.w3.eth.get_block("latest")
        view = at_block(self.chain, int(latest["number"]))
        by_account: dict[str, list[StoredOrder]] = defaultdict(list)
        for order in batch:
            by_account[order.account].append(order)
        verifiers = {}
        for account, orders in by_account.items():
            signers = {o.signer for o in orders}
            words = {(o.signer, o.order.nonce >> 8) for o in orders}
            verifiers[account] = Verifier(SmartAccount(view, account).state(signers, words, int(latest["timestamp"])))
        keep, reasons = [], {}
        for order in batch:
            decision = verifiers[order.account].consume(order.order, order.signature)
            if decision.ok:
                keep.append(order)
            elif decision.reason is Reason.NONCE_ALREADY_USED and (earlier := self._settled_before(order)) is not None:
                if self.store.settle_late(order.digest, *earlier):  # its own dropped transaction was mined elsewhere
                    self.metrics.count("settled", Reason.AUTHORIZED.label)
            else:
                reasons[order.digest] = decision.reason
        return keep, reasons

    # ------------------------------------------------------------ following up

    def _follow_up(self, batch: SentBatch) -> bool:
        w3 = self.chain.w3
        try:
            receipt: TxReceipt | None = w3.eth.get_transaction_receipt(batch.tx_hash)  # type: ignore[arg-type]
        except TransactionNotFound:
            receipt = None
        if receipt is None:
            return self._unmined(batch)
        if receipt["status"] != 1:
            log.warning("settler: %s reverted as a whole; its orders return to accepted", "0x" + batch.tx_hash.hex())
            self.store.requeue(batch.tx_hash)
            return True
        try:
            final = self.operator.tx.final(receipt, "settle")
        except (AAAuthError, TransactionNotFound):
            return False  # reorganised away: the next look sees the new receipt, or none
        block = int(receipt["blockNumber"])
        if not final or self.follower.head < block:
            return False
        outcomes = {o.digest: o.reason for o in self.venue.outcomes(receipt)}
        self.store.resolve(batch.tx_hash, block, outcomes)
        self.metrics.settle_gas.inc(int(receipt["gasUsed"]))
        for reason in outcomes.values():
            self.metrics.count("settled" if reason is Reason.AUTHORIZED else "rejected", reason.label)
        return True

    def _unmined(self, batch: SentBatch) -> bool:
        """Not mined: still pending (wait), or unknown to the node: dropped, reorged out, or never sent
        because the gateway died first. Its orders return to accepted, to be re-checked and sent again."""
        try:
            self.chain.w3.eth.get_transaction(batch.tx_hash)  # type: ignore[arg-type]
            return False
        except TransactionNotFound:
            pass
        log.warning("settler: %s is unknown to the node; its orders return to accepted", "0x" + batch.tx_hash.hex())
        moved = self.store.requeue(batch.tx_hash)
        self.metrics.count("accepted", Reason.AUTHORIZED.label, len(moved))
        return True

    def _settled_before(self, order: StoredOrder) -> tuple[bytes, int] | None:
        """(tx hash, block) of a dropped transaction of this order that was mined after all and settled it."""
        for tx_hash in self.store.dropped_batches(order.digest):
            try:
                receipt = self.chain.w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
            except TransactionNotFound:
                continue
            if receipt["status"] == 1 and any(o.digest == order.digest and o.settled for o in self.venue.outcomes(receipt)):
                return tx_hash, int(receipt["blockNumber"])
        return None
