"""Intake: decide each posted order as the chain would at the followed block, counting what the
gateway already holds, and hold the accepted ones (SPEC 14.2).

The rule is `aa_auth.protocol.verify.decide`, the one implementation of SPEC section 5; the
gateway only changes its input: the followed state with the key's held orders added to its
current window, the nonces held orders reserve marked used, and a key revoked through the gateway
marked revoked. Everything held will settle in the current window or a later one, so counting it
against the current window keeps every held order settleable. The reads of holds and the insert
happen in one store transaction (see aa_auth.gateway.store.base).
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from aa_auth.errors import Reason
from aa_auth.gateway.errors import NotAnAccount, ReservationConflict, StateUnavailable
from aa_auth.gateway.follower import Follower, Snapshot
from aa_auth.gateway.limits import Buckets
from aa_auth.gateway.metrics import Metrics
from aa_auth.gateway.settings import Settings
from aa_auth.gateway.store.base import Holds, Reservation, Status, Store, StoredOrder
from aa_auth.gateway.wire import IncomingOrder
from aa_auth.protocol.signatures import recover_signer
from aa_auth.protocol.typed_data import order_digest
from aa_auth.protocol.verify import AccountState, SessionStatus, Verifier, notional, window_usage

__all__ = ["Intake", "Result", "held_state"]

# Gateway reasons of SPEC 14.2 (code null): not section 5 reasons, so no Reason member.
WRONG_VENUE, NOT_AN_ACCOUNT, THROTTLED, STATE_UNAVAILABLE = "WrongVenue", "NotAnAccount", "Throttled", "StateUnavailable"
# The digest does not cover the signer: two keys of one account signing the very same order share it. The
# gateway keys orders by digest (GET /v1/orders/{digest}), so it holds the first and refuses the second.
DUPLICATE_DIGEST = "DuplicateDigest"
LABELS = {reason: reason.label for reason in Reason}  # Reason.label builds the name on every call


@dataclass(frozen=True)
class Result:
    """One RESULT of POST /v1/orders: `code` is None for a gateway reason."""

    digest: bytes
    status: Status
    reason: str
    code: int | None

    @classmethod
    def of(cls, digest: bytes, status: Status, reason: Reason | None) -> Result:
        shown = Reason.AUTHORIZED if reason is None else reason
        return cls(digest, status, LABELS[shown], int(shown))

    @classmethod
    def refused(cls, digest: bytes, gateway_reason: str) -> Result:
        return cls(digest, Status.REJECTED, gateway_reason, None)


def held_state(snapshot: Snapshot, signer: str, holds: Holds, held_nonces: Iterable[int]) -> AccountState:
    """The account state `decide` reads for `signer`'s orders: the followed state plus the gateway's holds."""
    session = snapshot.session
    if session is not None and signer != snapshot.owner:
        scope = session.scope
        if holds.revoked:
            session = replace(session, status=SessionStatus.REVOKED)
        elif session.status is SessionStatus.ACTIVE and scope is not None and snapshot.timestamp >= scope.valid_after:
            current, orders, spent = window_usage(session, scope, snapshot.timestamp)
            session = replace(session, window_index=current, window_orders=orders + holds.orders,
                              window_notional=spent + holds.notional)
    words = dict(snapshot.words)
    for nonce in held_nonces:
        words[nonce >> 8] = words.get(nonce >> 8, 0) | 1 << (nonce & 255)
    return AccountState(
        chain_id=snapshot.chain_id, account=snapshot.account, owner=snapshot.owner, frozen=snapshot.frozen,
        timestamp=snapshot.timestamp, sessions={} if session is None else {signer: session},
        nonce_words={(signer, word): bits for word, bits in words.items()},
    )


@dataclass(frozen=True)
class _Candidate:
    index: int
    incoming: IncomingOrder
    digest: bytes
    signer: str | None  # None: the signature recovers to no one (reason 1)


_NO_HOLDS = Holds(0, 0, False)
_ATTEMPTS = 3  # reservation transactions per request before ReservationConflict (503) reaches the client


class Intake:
    def __init__(self, settings: Settings, store: Store, follower: Follower, metrics: Metrics) -> None:
        self.settings, self.store, self.follower, self.metrics = settings, store, follower, metrics
        self.signers = Buckets(settings.signer_rate, settings.signer_burst)

    def post(self, orders: Sequence[IncomingOrder]) -> list[Result]:
        """The results of SPEC 14.2 in request order; accepted orders are durably stored on return."""
        started = time.perf_counter()
        results: list[Result | None] = [None] * len(orders)
        candidates: list[_Candidate] = []
        for index, incoming in enumerate(orders):
            digest = order_digest(self.follower.chain_id, incoming.account, incoming.order)
            refused = self._screen(incoming, digest)
            if refused is not None:
                results[index] = refused
                continue
            signer = recover_signer(digest, incoming.signature)
            if signer is not None and self.signers.take(signer) > 0:
                results[index] = Result.refused(digest, THROTTLED)
                continue
            candidates.append(_Candidate(index, incoming, digest, signer))
        groups: dict[tuple[str, str | None], list[_Candidate]] = defaultdict(list)
        for candidate in candidates:
            groups[(candidate.incoming.account, candidate.signer)].append(candidate)
        self._prefetch(groups, results)
        final = self._hold(groups, results)
        for (status, reason), count in Counter((r.status.value, r.reason) for r in final).items():
            self.metrics.count(status, reason, count)
        self.metrics.intake_seconds.observe(time.perf_counter() - started)
        return final

    def _hold(self, groups: dict[tuple[str, str | None], list[_Candidate]], results: list[Result | None]) -> list[Result]:
        """Decide and hold every group in one store transaction, in request order. Several keys' hold rows are
        locked first in one order (sorted), so two requests never wait on each other's; when another process won
        a race on a digest or a nonce (ReservationConflict: nothing was stored), the request is decided again and
        sees what that one held."""
        decided = list(results)
        keys = sorted((account, key) for account, key in groups if key is not None)
        for attempt in range(_ATTEMPTS):
            results = list(decided)
            now = time.time()
            try:
                with self.store.reserve() as reservation:
                    for locked in keys if len(keys) > 1 else ():
                        reservation.holds(*locked)
                    for (account, signer), group in groups.items():
                        self._reserve(reservation, account, signer, [c for c in group if results[c.index] is None],
                                      results, now)
                break
            except ReservationConflict:
                if attempt == _ATTEMPTS - 1:
                    raise
        return [r for r in results if r is not None]

    def _screen(self, incoming: IncomingOrder, digest: bytes) -> Result | None:
        """The gateway's own refusals, before any signature work."""
        if incoming.order.venue != self.settings.venue:
            return Result.refused(digest, WRONG_VENUE)
        try:
            self.follower.admit(incoming.account)
        except NotAnAccount:
            return Result.refused(digest, NOT_AN_ACCOUNT)
        except StateUnavailable:
            return Result.refused(digest, STATE_UNAVAILABLE)
        if self.follower.degraded:
            return Result.refused(digest, STATE_UNAVAILABLE)
        return None

    def _prefetch(self, groups: dict[tuple[str, str | None], list[_Candidate]], results: list[Result | None]) -> None:
        """Read the signers' nonce words before the store's transaction, so node calls do not hold its lock."""
        for (account, signer), group in groups.items():
            try:
                self.follower.snapshot(account, signer, {c.incoming.order.nonce >> 8 for c in group})
            except StateUnavailable:
                for candidate in group:
                    results[candidate.index] = Result.refused(candidate.digest, STATE_UNAVAILABLE)

    @staticmethod
    def _known(stored: StoredOrder, signer: str | None) -> Result:
        """An order whose digest the gateway has: posting it again is idempotent (its current status)."""
        if signer == stored.signer:
            return Result.of(stored.digest, stored.status, stored.reason)
        if signer is None:  # recover_signer's None is SPEC reason 1
            return Result.of(stored.digest, Status.REJECTED, Reason.BAD_SIGNATURE)
        return Result.refused(stored.digest, DUPLICATE_DIGEST)

    def _reserve(self, reservation: Reservation, account: str, signer: str | None, group: list[_Candidate],
                 results: list[Result | None], now: float) -> None:
        """Decide and hold one signer's orders on one account, in request order, each seeing the ones before."""
        if not group:
            return
        # The holds first (that locks the key's row), then the followed state: a settlement that released
        # holds has committed before this transaction, and the follower had read its block by then.
        holds = _NO_HOLDS if signer is None else reservation.holds(account, signer)
        try:
            self.follower.catch_up(reservation.settled_block())
            snapshot = self.follower.snapshot(account, signer, {c.incoming.order.nonce >> 8 for c in group})
        except StateUnavailable:
            for candidate in group:
                results[candidate.index] = Result.refused(candidate.digest, STATE_UNAVAILABLE)
            return
        nonces = {c.incoming.order.nonce for c in group}
        held = set() if signer is None else reservation.nonces_held(account, signer, nonces)
        # A held order is a consumption the chain has not seen yet: the Verifier's working copy adds each
        # accepted order to the window and marks its nonce, as consumeOrder will.
        verifier = Verifier(held_state(snapshot, signer or snapshot.owner, holds, held))
        known = reservation.existing([c.digest for c in group])
        accepted: list[StoredOrder] = []
        for candidate in group:
            stored = known.get(candidate.digest)
            if stored is not None:  # posted before, or earlier in this request
                results[candidate.index] = self._known(stored, signer)
                continue
            decision = verifier.consume_recovered(candidate.incoming.order, candidate.digest, signer)
            results[candidate.index] = Result.of(candidate.digest, Status.ACCEPTED if decision.ok else Status.REJECTED,
                                                 decision.reason)
            if decision.ok and decision.signer is not None:
                known[candidate.digest] = self._accepted(candidate, decision.signer, snapshot.owner, now)
                accepted.append(known[candidate.digest])
        reservation.hold(accepted)

    @staticmethod
    def _accepted(candidate: _Candidate, signer: str, owner: str, now: float) -> StoredOrder:
        order, windowed = candidate.incoming.order, signer != owner
        charge = notional(order.size, order.price) if windowed else 0
        assert charge is not None  # check 14 passed
        return StoredOrder(candidate.digest, candidate.incoming.account, signer, order, candidate.incoming.signature,
                           Status.ACCEPTED, Reason.AUTHORIZED, None, None, windowed, charge, now)
