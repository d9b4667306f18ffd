"""The off-chain decision of SPEC section 5: the same reason code `isOrderAuthorized` returns.

`decide` is a pure function of an account's state; `Verifier` keeps a working copy of that state
and applies what `consumeOrder` writes, so a bot can pre-check a stream of orders without the chain.
`key_status` is the one answer to "can this key act now, and if not why" that every view prints.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import IntEnum, StrEnum
from typing import Iterable, Mapping

from aa_auth.errors import InvalidInput, Reason
from aa_auth.protocol.orders import Order
from aa_auth.protocol.scope import Scope
from aa_auth.protocol.signatures import recover_signer
from aa_auth.protocol.typed_data import order_digest
from aa_auth.protocol.values import UINT256_MAX, check_address, check_uint

__all__ = [
    "AccountState",
    "Decision",
    "KeyStatus",
    "SessionState",
    "SessionStatus",
    "Verifier",
    "decide",
    "decide_recovered",
    "key_status",
    "notional",
    "window_bounds",
    "window_index",
    "window_usage",
]

_ONE = 10**18


class SessionStatus(IntEnum):
    """`getSession`'s status (SPEC section 7)."""

    NONE = 0
    ACTIVE = 1
    REVOKED = 2

    def __str__(self) -> str:
        return f"{type(self).__name__}.{self.name}"  # IntEnum's own str() is the bare number


class KeyStatus(StrEnum):
    """A granted key's status at a given time: `getSession`'s status read against the scope's validity.

    The values are the names SPEC section 14.2 gives the gateway's account view.
    """

    ACTIVE = "active"
    NOT_YET_VALID = "notYetValid"
    EXPIRED = "expired"
    REVOKED = "revoked"


@dataclass(frozen=True)
class SessionState:
    """One key as `getSession` returns it; the counts belong to window `window_index`."""

    status: SessionStatus
    scope: Scope | None
    window_index: int
    window_orders: int
    window_notional: int
    gas_fee_spent: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", SessionStatus(self.status))  # getSession's raw uint8 is welcome
        # getSession returns a zero scope (validUntil 0, which Scope refuses) only for unknown keys.
        if self.status is SessionStatus.ACTIVE and self.scope is None:
            raise InvalidInput("an ACTIVE session needs its scope; pass Scope.from_abi(getSession(key)[1])")


@dataclass(frozen=True)
class AccountState:
    """What the decision reads from an account at block time `timestamp`.

    `sessions` maps checksummed keys to their state (a signer absent from it is unknown);
    `nonce_words` maps (checksummed signer, word) to that word's bitmap (absent means 0).
    """

    chain_id: int
    account: str
    owner: str
    frozen: bool
    timestamp: int
    sessions: Mapping[str, SessionState]
    nonce_words: Mapping[tuple[str, int], int]

    def __post_init__(self) -> None:
        check_uint("chain_id", self.chain_id)
        check_uint("timestamp", self.timestamp)
        object.__setattr__(self, "account", check_address("account", self.account))
        object.__setattr__(self, "owner", check_address("owner", self.owner))
        # Recovered signers are checksummed: any other spelling would silently miss its entry.
        for key in {*self.sessions, *(signer for signer, _ in self.nonce_words)}:
            if check_address("signer", key) != key:
                raise InvalidInput(f"state keys must be checksummed addresses: use to_checksum_address({key!r})")


@dataclass(frozen=True)
class Decision:
    """The reason code, the recovered signer (None for BadSignature) and the order's digest."""

    reason: Reason
    signer: str | None
    digest: bytes

    @property
    def ok(self) -> bool:
        return self.reason is Reason.AUTHORIZED


def key_status(session: SessionState, now: int) -> KeyStatus:
    """The key's status at time `now`: revoked wins, then validity (both bounds inclusive, as on chain)."""
    if session.status is SessionStatus.NONE:
        raise InvalidInput("the key was never granted on this account, so it has no status")
    if session.status is SessionStatus.REVOKED:
        return KeyStatus.REVOKED
    scope = session.scope
    assert scope is not None  # SessionState refuses an ACTIVE session without one
    if now < scope.valid_after:
        return KeyStatus.NOT_YET_VALID
    if now > scope.valid_until:
        return KeyStatus.EXPIRED
    return KeyStatus.ACTIVE


def window_index(scope: Scope, timestamp: int) -> int:
    """Index k of the window [validAfter + k*w, validAfter + (k+1)*w) holding `timestamp`; 0 when w = 0."""
    if timestamp < scope.valid_after:
        raise InvalidInput(f"timestamp {timestamp} is before the session's valid_after {scope.valid_after}")
    if scope.window_seconds == 0:
        return 0
    return (timestamp - scope.valid_after) // scope.window_seconds


def window_bounds(scope: Scope, index: int) -> tuple[int, int]:
    """First and last second of window `index`, both inclusive like validAfter and validUntil, and
    never past validUntil; with w = 0 the one window is the whole validity."""
    if scope.window_seconds == 0:
        return scope.valid_after, scope.valid_until
    start = scope.valid_after + index * scope.window_seconds
    return start, min(start + scope.window_seconds - 1, scope.valid_until)


def notional(size: int, price: int) -> int | None:
    """size * price / 1e18 rounded down, or None when it does not fit in uint256 (reason 14)."""
    value = size * price // _ONE
    return value if value <= UINT256_MAX else None


def decide(state: AccountState, order: Order, signature: bytes) -> Decision:
    """The reason `isOrderAuthorized(order, signature)` returns on the account `state` describes."""
    digest = order_digest(state.chain_id, state.account, order)
    return decide_recovered(state, order, digest, recover_signer(digest, signature))


def decide_recovered(state: AccountState, order: Order, digest: bytes, signer: str | None) -> Decision:
    """`decide` for a caller that already holds `digest` (the order's, on the state's chain and account) and
    `signer = recover_signer(digest, signature)` (None: reason 1), so the signature is not recovered twice."""
    if signer is None:
        return Decision(Reason.BAD_SIGNATURE, None, digest)
    return Decision(_reason(state, signer, order), signer, digest)


def _reason(state: AccountState, signer: str, order: Order) -> Reason:
    """Checks 2 to 14 in SPEC order, the first failure wins; the owner skips 2-10 and 13-14."""
    if signer == state.owner:
        return _deadline_and_nonce(state, signer, order)
    session = state.sessions.get(signer)
    if session is None or session.status is SessionStatus.NONE:
        return Reason.UNKNOWN_SIGNER
    now = state.timestamp
    status = key_status(session, now)
    if status is KeyStatus.REVOKED:
        return Reason.SESSION_REVOKED
    if state.frozen:  # checked between revocation and validity, as the SPEC orders them
        return Reason.ACCOUNT_FROZEN
    if status is KeyStatus.NOT_YET_VALID:
        return Reason.SESSION_NOT_YET_VALID
    if status is KeyStatus.EXPIRED:
        return Reason.SESSION_EXPIRED
    scope = session.scope
    assert scope is not None  # an active key has its scope
    if order.venue not in scope.venues:
        return Reason.VENUE_NOT_ALLOWED
    limit = scope.market_limit(order.market)
    if limit is None:
        return Reason.MARKET_NOT_ALLOWED
    if order.size > limit.max_order_size:
        return Reason.ORDER_TOO_LARGE
    if not limit.min_price <= order.price <= limit.max_price:
        return Reason.PRICE_OUT_OF_BAND
    reason = _deadline_and_nonce(state, signer, order)
    if reason is not Reason.AUTHORIZED:
        return reason
    _, orders, spent = window_usage(session, scope, now)
    if orders + 1 > scope.max_orders_per_window:
        return Reason.RATE_LIMITED
    value = notional(order.size, order.price)
    # The cap is at most 2**256-1, so a total past the cap covers a total past uint256 too.
    if value is None or spent + value > scope.max_notional_per_window:
        return Reason.NOTIONAL_CAP_EXCEEDED
    return Reason.AUTHORIZED


def _deadline_and_nonce(state: AccountState, signer: str, order: Order) -> Reason:
    """Checks 11 and 12, the only ones the owner's orders face."""
    if state.timestamp > order.deadline:
        return Reason.ORDER_EXPIRED
    if state.nonce_words.get((signer, order.nonce >> 8), 0) >> (order.nonce & 255) & 1:
        return Reason.NONCE_ALREADY_USED
    return Reason.AUTHORIZED


def window_usage(session: SessionState, scope: Scope, now: int) -> tuple[int, int, int]:
    """(current window, orders, notional already charged in it); a stored older window counts zero."""
    current = window_index(scope, now)
    if session.window_index == current:
        return current, session.window_orders, session.window_notional
    return current, 0, 0


class Verifier:
    """A working copy of an account's state that `consume` advances as `consumeOrder` would."""

    def __init__(self, state: AccountState) -> None:
        self._sessions = dict(state.sessions)
        self._nonce_words = dict(state.nonce_words)
        self._state = replace(state, sessions=self._sessions, nonce_words=self._nonce_words)

    @property
    def state(self) -> AccountState:
        """The current working state (its mappings change with each `consume`)."""
        return self._state

    def set_time(self, timestamp: int) -> None:
        """Decide from now on as at block time `timestamp`."""
        self._state = replace(self._state, timestamp=timestamp)

    def check(self, order: Order, signature: bytes) -> Decision:
        """What `isOrderAuthorized` would return now; changes nothing."""
        return decide(self._state, order, signature)

    def check_many(self, pairs: Iterable[tuple[Order, bytes]]) -> list[Decision]:
        """`check` for each (order, signature), all against the same state."""
        state = self._state
        return [decide(state, order, signature) for order, signature in pairs]

    def consume(self, order: Order, signature: bytes) -> Decision:
        """`check`, and when authorized record what `consumeOrder` writes: the nonce bit and,
        for a session key, the window's count and notional (restarting them in a new window)."""
        return self._record(order, decide(self._state, order, signature))

    def consume_recovered(self, order: Order, digest: bytes, signer: str | None) -> Decision:
        """`consume` with the digest and signer already recovered (see `decide_recovered`)."""
        return self._record(order, decide_recovered(self._state, order, digest, signer))

    def _record(self, order: Order, decision: Decision) -> Decision:
        signer = decision.signer
        if decision.reason is not Reason.AUTHORIZED or signer is None:
            return decision
        word = (signer, order.nonce >> 8)
        self._nonce_words[word] = self._nonce_words.get(word, 0) | 1 << (order.nonce & 255)
        if signer != self._state.owner:
            session = self._sessions[signer]
            assert session.scope is not None  # authorized, so active
            current, orders, spent = window_usage(session, session.scope, self._state.timestamp)
            value = notional(order.size, order.price)
            assert value is not None  # check 14 passed
            self._sessions[signer] = replace(
                session, window_index=current, window_orders=orders + 1, window_notional=spent + value
            )
        return decision
