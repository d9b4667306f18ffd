"""Differential, stateful property test: a model of the SPEC beside the chain and the off-chain Verifier.

Hypothesis drives random sequences of owner actions (grant, revoke, rotate, revoke-all, freeze,
unfreeze, invalidate nonces), signed grants and self-revocations, time travel across validity and
window boundaries, order signing (valid, tampered, wrong key, wrong account, wrong chain, owner) and
venue settlements, on ONE deployed stack; every example starts from the same clean snapshot.

`Model` is SPEC sections 3-6, 9 and 10 written out a second time: it is updated only from what each
step does, as the SPEC says, and never from a chain read, so it predicts rather than copies. It
shares no decision code with aa_auth: digests and scope hashes come from eth-account's generic
EIP-712 encoder and signers from eth-keys. After every step the chain's `isOrderAuthorized`, the
Verifier built from `SmartAccount.state()` and the model agree on a sample of pending orders; after
every transaction the emitted events are exactly the model's; after every settlement the outcomes,
positions, window counters, statuses and nonce words are the model's.

A failing run prints the shortest failing program and a blob: put `@reproduce_failure(...)` on
`DifferentialMachine` to replay it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import pytest
from eth_account.messages import encode_typed_data
from eth_keys.datatypes import Signature
from eth_keys.exceptions import BadSignature
from eth_utils.abi import event_abi_to_log_topic
from eth_utils.crypto import keccak
from eth_utils.exceptions import ValidationError
from hexbytes import HexBytes
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from aa_auth.contracts.venue import Outcome, Venue
from aa_auth.errors import ContractRevert, InvalidInput, Reason
from aa_auth.protocol.orders import Order, SignedOrder
from aa_auth.protocol.scope import CallPermission, MarketLimit, Scope
from aa_auth.protocol.signatures import SigningKey
from aa_auth.protocol.signer import OrderSigner
from aa_auth.protocol.typed_data import revoke_session_digest
from aa_auth.protocol.verify import SessionState, SessionStatus, Verifier
from tests.property.conftest import PROPERTY_SETTINGS, World

E = 10**18
UINT256_MAX = 2**256 - 1
UINT48_MAX = 2**48 - 1
UINT32_MAX = 2**32 - 1
ANY_MARKET = UINT256_MAX
INT256_MAX = 2**255 - 1
INT256_MIN = -(2**255)
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
ZERO_ADDRESS = "0x" + "00" * 20
FAKE_VENUE = "0x" + "ee" * 20  # no code: a venue a scope may list but that never settles anything
PENDING_CAP = 16  # orders kept for settling, replaying and sampling
SAMPLE = 2  # pending orders decided on-chain, off-chain and by the model after every step

# ---------------------------------------------------------------------------- the model's crypto

_DOMAIN_TYPE = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]


def _fields(*pairs: str) -> list[dict[str, str]]:
    return [{"type": t, "name": n} for t, n in (p.split() for p in pairs)]


# SPEC section 3, copied from the SPEC rather than imported from aa_auth.protocol.typed_data.
_TYPES = {
    "Order": _fields("address venue", "uint256 market", "bool isBuy", "uint256 size", "uint256 price",
                     "uint256 nonce", "uint256 deadline"),
    "Scope": _fields("uint48 validAfter", "uint48 validUntil", "address[] venues", "MarketLimit[] markets",
                     "uint256 maxNotionalPerWindow", "uint32 maxOrdersPerWindow", "uint32 windowSeconds",
                     "uint256 maxGasFee", "CallPermission[] calls"),
    "MarketLimit": _fields("uint256 market", "uint256 maxOrderSize", "uint256 minPrice", "uint256 maxPrice"),
    "CallPermission": _fields("address target", "bytes4 selector", "uint256 maxValue"),
}


def _hash_typed(chain_id: int, account: str, primary: str, message: dict[str, Any]) -> tuple[bytes, bytes]:
    """(EIP-712 digest, hashStruct(message)) by eth-account's generic encoder."""
    types = {"EIP712Domain": _DOMAIN_TYPE, primary: _TYPES[primary]}
    if primary == "Scope":
        types |= {"MarketLimit": _TYPES["MarketLimit"], "CallPermission": _TYPES["CallPermission"]}
    signable = encode_typed_data(full_message={
        "types": types,
        "primaryType": primary,
        "domain": {"name": "AA Auth Account", "version": "1", "chainId": chain_id, "verifyingContract": account},
        "message": message,
    })
    return keccak(b"\x19\x01" + signable.header + signable.body), bytes(signable.body)


def model_order_digest(chain_id: int, account: str, order: Order) -> bytes:
    message = {"venue": order.venue, "market": order.market, "isBuy": order.is_buy, "size": order.size,
               "price": order.price, "nonce": order.nonce, "deadline": order.deadline}
    return _hash_typed(chain_id, account, "Order", message)[0]


def model_scope_hash(scope: Scope) -> bytes:
    message = {
        "validAfter": scope.valid_after, "validUntil": scope.valid_until, "venues": list(scope.venues),
        "markets": [{"market": m.market, "maxOrderSize": m.max_order_size, "minPrice": m.min_price,
                     "maxPrice": m.max_price} for m in scope.markets],
        "maxNotionalPerWindow": scope.max_notional_per_window, "maxOrdersPerWindow": scope.max_orders_per_window,
        "windowSeconds": scope.window_seconds, "maxGasFee": scope.max_gas_fee,
        "calls": [{"target": c.target, "selector": c.selector, "maxValue": c.max_value} for c in scope.calls],
    }
    return _hash_typed(1, ZERO_ADDRESS, "Scope", message)[1]  # hashStruct does not depend on the domain


def model_recover(digest: bytes, signature: bytes) -> str | None:
    """SPEC reason 1: None unless 65 bytes, v 27/28, 0 < r, 0 < s <= n/2 and recovery succeeds."""
    if len(signature) != 65:
        return None
    r, s, v = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:64], "big"), signature[64]
    if v not in (27, 28) or not 0 < r < SECP256K1_N or not 0 < s <= SECP256K1_N // 2:
        return None
    try:
        public_key = Signature(vrs=(v - 27, r, s)).recover_public_key_from_msg_hash(digest)
    except (BadSignature, ValidationError):
        return None
    return str(public_key.to_checksum_address())


# ---------------------------------------------------------------------------- the model

Event = tuple[str, str, dict[str, Any]]  # (emitting contract: "account" | "venue", event name, args)


def event(source: str, name: str, **args: Any) -> Event:
    return (source, name, args)


@dataclass
class ModelSession:
    scope: Scope
    epoch: int  # the account's revoke-all epoch when granted; an older one means swept
    revoked: bool = False
    window_index: int = 0
    window_orders: int = 0
    window_notional: int = 0


@dataclass
class Model:
    """One account as SPEC sections 4-7, 9 and 10 describe it, with the venue's positions."""

    chain_id: int
    account: str
    owner: str
    venue: str
    now: int  # the latest block's timestamp: what eth_call decides at
    frozen: bool = False
    epoch: int = 0
    grant_nonce: int = 0
    sessions: dict[str, ModelSession] = field(default_factory=dict)  # every key ever granted
    key_order: list[str] = field(default_factory=list)  # sessionKeys()
    nonce_words: dict[tuple[str, int], int] = field(default_factory=dict)
    positions: dict[int, int] = field(default_factory=dict)

    # ------------------------------------------------------------ reads

    def status(self, key: str) -> SessionStatus:
        session = self.sessions.get(key)
        if session is None:
            return SessionStatus.NONE
        if session.revoked or session.epoch != self.epoch:
            return SessionStatus.REVOKED
        return SessionStatus.ACTIVE

    def session_state(self, key: str) -> SessionState:
        """What getSession(key) must return."""
        session = self.sessions.get(key)
        if session is None:
            return SessionState(SessionStatus.NONE, None, 0, 0, 0, 0)
        return SessionState(self.status(key), session.scope, session.window_index, session.window_orders,
                            session.window_notional, 0)

    def nonce_word(self, signer: str, word: int) -> int:
        return self.nonce_words.get((signer, word), 0)

    def grant_refusal(self, key: str, scope: Scope | None = None) -> str | None:
        """Why the grant rules of SPEC section 4 refuse `key` as a new key, or why Python refuses a
        new `scope` that is expired on arrival (README "Decisions"), or None."""
        if scope is not None and scope.valid_until <= self.now:
            return "validUntil is not after the latest block's time"
        if key == ZERO_ADDRESS:
            return "the zero address"
        if key == self.owner:
            return "the owner"
        if key == self.account:
            return "the account itself"
        if key in self.sessions:
            return "granted before (a key is granted at most once, ever)"
        return None

    # ------------------------------------------------------------ SPEC section 5

    def reason(self, order: Order, signer: str | None, at: int) -> Reason:
        """The first failing check of SPEC section 5 at block time `at`."""
        if signer is None:
            return Reason.BAD_SIGNATURE
        if signer == self.owner:
            return self._deadline_and_nonce(order, signer, at)
        session = self.sessions.get(signer)
        if session is None:
            return Reason.UNKNOWN_SIGNER
        if self.status(signer) is SessionStatus.REVOKED:
            return Reason.SESSION_REVOKED
        if self.frozen:
            return Reason.ACCOUNT_FROZEN
        scope = session.scope
        if at < scope.valid_after:
            return Reason.SESSION_NOT_YET_VALID
        if at > scope.valid_until:
            return Reason.SESSION_EXPIRED
        if order.venue not in scope.venues:
            return Reason.VENUE_NOT_ALLOWED
        own = [m for m in scope.markets if m.market == order.market]
        fallback = [m for m in scope.markets if m.market == ANY_MARKET]
        entries = own or fallback
        if not entries:
            return Reason.MARKET_NOT_ALLOWED
        (entry,) = entries  # the grant rules allow one entry per market
        if order.size > entry.max_order_size:
            return Reason.ORDER_TOO_LARGE
        if order.price < entry.min_price or order.price > entry.max_price:
            return Reason.PRICE_OUT_OF_BAND
        reason = self._deadline_and_nonce(order, signer, at)
        if reason is not Reason.AUTHORIZED:
            return reason
        orders, notional = self._window_usage(session, at)
        if orders + 1 > scope.max_orders_per_window:
            return Reason.RATE_LIMITED
        value = order.size * order.price // E
        if value > UINT256_MAX or notional + value > scope.max_notional_per_window:
            return Reason.NOTIONAL_CAP_EXCEEDED
        return Reason.AUTHORIZED

    def _deadline_and_nonce(self, order: Order, signer: str, at: int) -> Reason:
        if at > order.deadline:
            return Reason.ORDER_EXPIRED
        if self.nonce_word(signer, order.nonce // 256) >> (order.nonce % 256) & 1:
            return Reason.NONCE_ALREADY_USED
        return Reason.AUTHORIZED

    @staticmethod
    def _window(scope: Scope, at: int) -> int:
        """k of the window [validAfter + k*w, validAfter + (k+1)*w) holding `at`; 0 for w = 0."""
        return 0 if scope.window_seconds == 0 else (at - scope.valid_after) // scope.window_seconds

    def _window_usage(self, session: ModelSession, at: int) -> tuple[int, int]:
        if session.window_index == self._window(session.scope, at):
            return session.window_orders, session.window_notional
        return 0, 0

    def _consume(self, order: Order, signer: str, at: int) -> None:
        """What consumeOrder writes: the nonce bit and, for a session key, the window's charge."""
        word = (signer, order.nonce // 256)
        self.nonce_words[word] = self.nonce_words.get(word, 0) | 1 << (order.nonce % 256)
        if signer != self.owner:
            session = self.sessions[signer]
            orders, notional = self._window_usage(session, at)
            session.window_index = self._window(session.scope, at)
            session.window_orders = orders + 1
            session.window_notional = notional + order.size * order.price // E

    # ------------------------------------------------------------ SPEC section 9

    def settle(self, batch: Sequence[Pending], at: int) -> tuple[list[Outcome], list[Event], list[bool]]:
        """The venue settling `batch` in one block at time `at`: outcomes, events, and for each order
        whether the account was asked at all (False: reason 255 before or instead of consumeOrder)."""
        outcomes, events, asked = [], [], []
        for pending in batch:
            order, signer = pending.order, pending.signer
            position = self.positions.get(order.market, 0)
            after = position + order.size if order.is_buy else position - order.size
            if not INT256_MIN <= after <= INT256_MAX or order.size > INT256_MAX:
                reason, was_asked = Reason.VENUE_CALL_FAILED, False  # the fill cannot be booked
            elif order.venue != self.venue:
                reason, was_asked = Reason.VENUE_CALL_FAILED, False  # consumeOrder: CallerNotVenue()
            else:
                reason, was_asked = self.reason(order, signer, at), True
            asked.append(was_asked)
            if reason is not Reason.AUTHORIZED:
                outcomes.append(Outcome(pending.digest, reason, None))
                events.append(event("venue", "OrderRejected", account=self.account, digest=pending.digest,
                                    reason=int(reason)))
                continue
            assert signer is not None
            self._consume(order, signer, at)
            self.positions[order.market] = after
            outcomes.append(Outcome(pending.digest, Reason.AUTHORIZED, signer))
            events.append(event("account", "OrderConsumed", signer=signer, venue=order.venue, nonce=order.nonce,
                                digest=pending.digest))
            events.append(event("venue", "OrderSettled", account=self.account, digest=pending.digest, signer=signer,
                                market=order.market, isBuy=order.is_buy, size=order.size, price=order.price))
        return outcomes, events, asked

    # ------------------------------------------------------------ SPEC sections 4, 6, 7 and 10

    def grant(self, key: str, scope: Scope) -> list[Event]:
        self.sessions[key] = ModelSession(scope, self.epoch)
        self.key_order.append(key)
        return [event("account", "SessionGranted", key=key, scopeHash=model_scope_hash(scope),
                      validAfter=scope.valid_after, validUntil=scope.valid_until)]

    def signed_grant(self, key: str, scope: Scope) -> list[Event]:
        self.grant_nonce += 1
        return self.grant(key, scope)

    def revoke(self, key: str, by: str) -> list[Event]:
        self.sessions[key].revoked = True
        return [event("account", "SessionRevoked", key=key, by=by)]

    def rotate(self, old: str, new: str) -> list[Event]:
        """newKey takes oldKey's scope with fresh counters; revoked, granted, rotated, in that order."""
        events = self.revoke(old, self.owner) + self.grant(new, self.sessions[old].scope)
        return events + [event("account", "SessionRotated", oldKey=old, newKey=new)]

    def revoke_all(self) -> list[Event]:
        self.epoch += 1
        return [event("account", "AllSessionsRevoked", epoch=self.epoch)]

    def freeze(self) -> list[Event]:
        self.frozen = True
        return [event("account", "Frozen", by=self.owner)]

    def unfreeze(self) -> list[Event]:
        self.frozen = False
        return [event("account", "Unfrozen")]

    def invalidate(self, signer: str, word: int, mask: int) -> list[Event]:
        self.nonce_words[(signer, word)] = self.nonce_word(signer, word) | mask
        return [event("account", "NoncesInvalidated", signer=signer, word=word, mask=mask)]


# ---------------------------------------------------------------------------- what hypothesis draws

# Symbolic names, resolved against the World when a step runs, so the printed program reads well.
BOTS = ("bot0", "bot1", "bot2", "bot3", "bot4", "bot5")
# Grant and rotation targets: "new" is the first bot never granted (so most grants go through); a bot
# may have been granted before, and the owner, the account and the zero address never qualify.
NEW_KEYS = ("new", "new", "new", "new") + BOTS + ("owner", "account", "zero")
ORDER_SIGNERS = BOTS + ("owner", "stranger", "active")  # "stranger" is never granted
GRANT_VIAS = ("grantSession", "signed", "grantSession", "signed", "signed, deadline = block time",
              "signed, deadline passed", "signed, grant nonce - 1", "signed, grant nonce + 1", "signed by a session key")
NONCES = (0, 1, 2, 255, 256, 257, UINT256_MAX)  # words 0, 1 and 2**248-1; they collide on purpose
NONCE_WORDS = (0, 0, 1, UINT256_MAX >> 8)


@dataclass(frozen=True)
class ScopeDraft:
    """A scope relative to the granting block's time."""

    after: int | None  # validAfter - grant time; None: validAfter = 0
    until: int | None  # validUntil - grant time, at least validAfter; None: 2**48 - 1
    venues: tuple[str, ...]  # "venue" (the ReferenceVenue) or "fake"
    markets: tuple[tuple[int, int, int, int], ...]  # (market, maxOrderSize, minPrice, maxPrice)
    max_notional: int
    max_orders: int
    window: int
    call: bool  # one CallPermission, which only changes the scope hash here

    def build(self, at: int, venue: str) -> Scope:
        valid_after = 0 if self.after is None else max(0, at + self.after)
        valid_until = UINT48_MAX if self.until is None else max(valid_after, at + self.until, 1)
        return Scope(
            valid_after=valid_after,
            valid_until=valid_until,
            venues=tuple(venue if v == "venue" else FAKE_VENUE for v in self.venues),
            markets=tuple(MarketLimit(*m) for m in self.markets),
            max_notional_per_window=self.max_notional,
            max_orders_per_window=self.max_orders,
            window_seconds=self.window,
            max_gas_fee=0,
            calls=(CallPermission(FAKE_VENUE, b"\x12\x34\x56\x78", E),) if self.call else (),
        )


@dataclass(frozen=True)
class OrderDraft:
    venue: str  # "venue" or "fake"
    market: int
    is_buy: bool
    size: int
    price: int
    nonce: int | None  # None: the signer's next unused nonce
    deadline: int  # seconds after the latest block's time

    def build(self, now: int, venue: str, fresh_nonce: int) -> Order:
        return Order(venue if self.venue == "venue" else FAKE_VENUE, self.market, self.is_buy, self.size, self.price,
                     fresh_nonce if self.nonce is None else self.nonce, max(0, now + self.deadline))


def _typical_with_edges(
    typical: dict[str, Any], edges: dict[str, st.SearchStrategy[Any]], counts: Sequence[int]
) -> Any:
    """The typical record with some fields (how many: drawn from `counts`) replaced by edge values;
    it shrinks to the typical record.

    A few edges at a time keep most records useful (a scope that allows the typical order, an order a
    typical scope allows), so counters fill up and caps are reached, while every edge value is still
    drawn often."""

    @st.composite
    def draw(draw: st.DrawFn) -> dict[str, Any]:
        fields = dict(typical)
        count = draw(st.sampled_from(counts))
        for name in draw(st.lists(st.sampled_from(sorted(edges)), min_size=count, max_size=count, unique=True)):
            fields[name] = draw(edges[name])
        return fields

    return draw()


_BANDS = [(100 * E, 200 * E), (0, UINT256_MAX), (150 * E, 150 * E), (0, 0), (200 * E, 100 * E), (151 * E, 200 * E)]
_market_entries = st.builds(
    lambda market, size, band: (market, size, *band),
    st.sampled_from([1, ANY_MARKET, 2]),
    st.sampled_from([10 * E, UINT256_MAX, E, 0, 1, INT256_MAX]),
    st.sampled_from(_BANDS),
)
# Two typical orders fill a window: the second reaches both caps exactly, a third is rate limited.
# The typical notional, (1e18 + 1) * (150e18 + 1) / 1e18 = 150e18 + 151 + 1e-18, has a fraction that
# rounding down drops; any other rounding would refuse the second order. The window is short, so
# steps (a transaction is one second) roll it over.
TYPICAL_SIZE, TYPICAL_PRICE = E + 1, 150 * E + 1
TYPICAL_NOTIONAL = TYPICAL_SIZE * TYPICAL_PRICE // E
# Market 1 has its own entry; any other market falls back to ANY_MARKET's, which refuses the typical
# size (it allows 1e18 at any price), so using the fallback for market 1 would refuse typical orders.
TYPICAL_SCOPE = dict(after=-60, until=3_600, venues=("venue",),
                     markets=((1, 10 * E, 100 * E, 200 * E), (ANY_MARKET, E, 0, UINT256_MAX)),
                     max_notional=2 * TYPICAL_NOTIONAL, max_orders=2, window=10, call=False)
_SCOPE_EDGES: dict[str, st.SearchStrategy[Any]] = {
    "after": st.sampled_from([-100_000, -1, 0, 1, 2, 30, None]),
    "until": st.sampled_from([-1, 0, 1, 2, 3, 5, 60, 61, None]),
    "venues": st.sampled_from([("venue", "fake"), ("fake", "venue"), ("fake",), ()]),
    "markets": st.lists(_market_entries, max_size=3, unique_by=lambda m: m[0]).map(tuple),
    "max_notional": st.sampled_from([TYPICAL_NOTIONAL, 3 * TYPICAL_NOTIONAL, UINT256_MAX, 0, 1]),
    "max_orders": st.sampled_from([3, 1, UINT32_MAX, 0]),
    "window": st.sampled_from([0, 1, 2, 5, 60]),
    "call": st.just(True),
}

scope_drafts = _typical_with_edges(TYPICAL_SCOPE, _SCOPE_EDGES, (0, 1, 2, 3)).map(lambda f: ScopeDraft(**f))
# Each example's first session: at most one edge, so that most examples have a key that can trade.
first_scope_drafts = _typical_with_edges(TYPICAL_SCOPE, _SCOPE_EDGES, (0, 0, 1)).map(lambda f: ScopeDraft(**f))

TYPICAL_ORDER = dict(venue="venue", market=1, size=TYPICAL_SIZE, price=TYPICAL_PRICE, nonce=None, deadline=600)
order_drafts = st.builds(
    lambda fields, is_buy: OrderDraft(is_buy=is_buy, **fields),
    _typical_with_edges(
        TYPICAL_ORDER,
        {
            "venue": st.just("fake"),
            "market": st.sampled_from([2, 7, ANY_MARKET]),
            # size 1 has a notional of 0 once rounded down: it still fits a cap that is exactly full
            "size": st.sampled_from([1, 0, E, 2 * E, 10 * E, 10 * E + 1, INT256_MAX, 2**255, UINT256_MAX]),
            "price": st.sampled_from([100 * E, 200 * E, 100 * E - 1, 200 * E + 1, 0, 1, UINT256_MAX]),
            "nonce": st.sampled_from(NONCES),
            "deadline": st.sampled_from([0, 1, 2, -1, 60]),
        },
        (0, 0, 1, 2),
    ),
    st.booleans(),
)

# How an order reaches the pending pool: signed as it should be, or for another domain, or damaged.
TAMPERS = ("order changed", "flip byte", "v 0/1", "v 29/30", "high s", "zero", "64 bytes", "66 bytes")


@dataclass(frozen=True)
class OrderSpec:
    """Who signs which order for which domain, and how it is damaged before it is submitted."""

    signer: str  # "active" (the `which`-th active session key), "owner", "bot" (bot`which`) or "stranger"
    which: int
    domain: str  # "ours", "other account" or "other chain"
    how: str  # "none" or one of TAMPERS
    position: int  # the byte a "flip byte" tampering flips
    draft: OrderDraft


order_specs = st.builds(
    lambda fields, which, position, draft: OrderSpec(which=which, position=position, draft=draft, **fields),
    _typical_with_edges(
        dict(signer="active", domain="ours", how="none"),
        {
            "signer": st.sampled_from(["owner", "owner", "bot", "stranger"]),
            "domain": st.sampled_from(["other account", "other chain"]),
            "how": st.sampled_from(TAMPERS),
        },
        (0, 0, 1),
    ),
    st.sampled_from([0, 0, 0, 1, 2, 3]),  # mostly the first active key, so its window fills up
    st.integers(0, 63),
    order_drafts,
)


def tamper(kind: str, order: Order, signature: bytes, position: int) -> tuple[Order, bytes]:
    """The order and signature as submitted after `kind` of tampering with a good pair."""
    r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
    if kind == "order changed":  # signed one order, submitted another
        return replace(order, size=order.size ^ 1), signature
    if kind == "flip byte":  # a bit of r or s
        flipped = bytearray(signature)
        flipped[position % 64] ^= 1 << (position % 8)
        return order, bytes(flipped)
    if kind == "v 0/1":
        return order, signature[:64] + bytes([v - 27])
    if kind == "v 29/30":
        return order, signature[:64] + bytes([v + 2])
    if kind == "high s":  # the malleable twin: same signer to a permissive recoverer
        return order, r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])
    if kind == "zero":
        return order, bytes(65)
    if kind == "64 bytes":
        return order, signature[:64]
    if kind == "66 bytes":
        return order, signature + b"\x00"
    return order, signature


@dataclass(frozen=True)
class Pending:
    """A submitted (order, signature) with what the model derived from it once, at signing time."""

    label: str
    order: Order
    signature: bytes
    digest: bytes  # the model's EIP-712 digest under the tested account's domain
    signer: str | None  # the model's recovered signer; None is reason 1


# ---------------------------------------------------------------------------- the state machine


class DifferentialMachine(RuleBasedStateMachine):
    """Chain, Verifier and Model side by side; `world` is set by the test before hypothesis runs."""

    world: ClassVar[World]
    seen: ClassVar[Counter[str]] = Counter()  # what the run reached, over all examples

    def __init__(self) -> None:
        super().__init__()
        w = self.world
        w.chain.revert(w.base_snapshot)  # every example starts from the same clean state
        assert (w.chain.timestamp(), w.chain.w3.eth.block_number) == (w.base_time, w.base_block)
        self.chain, self.account = w.chain, w.account
        self.venue = Venue(w.chain, w.stack.venue)
        self.model = Model(w.chain.chain_id, w.account.address, w.owner.address, w.stack.venue, w.base_time)
        self.pending: list[Pending] = []
        self.next_nonce: Counter[str] = Counter()  # per signer: the next nonce a typical order uses
        self.steps = 0
        self.filled = False
        self.seen["examples"] += 1
        self.topics = {
            source: {event_abi_to_log_topic(e): e["name"] for e in contract.abi if e["type"] == "event"}
            for source, contract in (("account", self.account.contract), ("venue", self.venue.contract))
        }

    # ------------------------------------------------------------ helpers

    def _key(self, name: str, which: int = 0) -> Any:
        """A LocalAccount; "active" is the `which`-th active session key (bot0 when none is active),
        "bot" is bot`which`, whatever its status."""
        if name == "active":
            active = [k for k in self.model.key_order if self.model.status(k) is SessionStatus.ACTIVE]
            by_address: dict[str, Any] = {key.address: key for key in self.world.keys.values()}
            return by_address[active[which % len(active)]] if active else self.world.keys["bot0"]
        if name == "bot":
            return self.world.keys[BOTS[which % len(BOTS)]]
        return self.world.owner if name == "owner" else self.world.keys[name]

    def _address(self, name: str) -> str:
        if name == "new":
            fresh = [bot for bot in BOTS if self.world.keys[bot].address not in self.model.sessions]
            name = fresh[0] if fresh else BOTS[0]
        if name == "account":
            return self.account.address
        if name == "zero":
            return ZERO_ADDRESS
        return str(self._key(name).address)

    def _logs(self, receipt: Any) -> list[Event]:
        """Every log of the receipt, decoded; a log from any other contract fails the test."""
        sources = {self.account.address: "account", self.venue.address: "venue"}
        contracts = {"account": self.account.contract, "venue": self.venue.contract}
        decoded = []
        for log in receipt["logs"]:
            source = sources.get(log["address"])
            assert source is not None, f"unexpected log from {log['address']}"
            name = self.topics[source][bytes(log["topics"][0])]
            args = getattr(contracts[source].events, name)().process_log(log)["args"]
            decoded.append(event(source, name, **{k: bytes(v) if isinstance(v, bytes) else v for k, v in args.items()}))
        return decoded

    def _transact(
        self,
        send: Callable[[], Any],
        apply: Callable[[], list[Event]],
        *,
        refusal: str | None = None,
        reverts: frozenset[str] = frozenset(),
    ) -> None:
        """Send an admin action the model has judged: refused in Python (InvalidInput, nothing sent),
        reverted on-chain with one of `reverts` (nothing mined), or mined with exactly `apply()`'s events."""
        block = self.chain.w3.eth.block_number
        self.seen["admin " + ("refused in Python" if refusal else "reverted" if reverts else "mined")] += 1
        if refusal is not None:
            with pytest.raises(InvalidInput):
                send()
            assert self.chain.w3.eth.block_number == block, f"sent although refused ({refusal})"
            return
        if reverts:
            with pytest.raises(ContractRevert) as raised:
                send()
            assert raised.value.error_name in reverts, f"{raised.value}, model expects one of {sorted(reverts)}"
            assert self.chain.w3.eth.block_number == block
            return
        receipt = send()
        self.model.now += 1  # a transaction lands in the next block, one second after the latest
        expected = apply()
        assert receipt["blockNumber"] == block + 1 and self.chain.timestamp() == self.model.now
        assert self._logs(receipt) == expected

    def _travel(self, to: int) -> None:
        self.chain.travel_to(to)
        self.model.now = to
        assert self.chain.timestamp() == to

    def _check_sessions(self, keys: Iterable[str]) -> None:
        for key in keys:
            assert self.account.session(key) == self.model.session_state(key), f"getSession({key})"

    def _check_nonce_words(self, words: Iterable[tuple[str, int]]) -> None:
        for signer, word in words:
            expected = self.model.nonce_word(signer, word)
            assert self.account.nonce_bitmap(signer, word) == expected, f"nonceBitmap({signer}, {word})"

    def _verifier(self, batch: Sequence[Pending]) -> Verifier:
        """The off-chain Verifier, from the chain state of the batch's signers and nonce words."""
        signers = [p.signer for p in batch if p.signer is not None]
        words = [(p.signer, p.order.nonce >> 8) for p in batch if p.signer is not None]
        return Verifier(self.account.state(signers, words))

    # ------------------------------------------------------------ session admin

    @initialize(draft=first_scope_drafts, via=st.sampled_from(["grantSession", "signed"]))
    def first_session(self, draft: ScopeDraft, via: str) -> None:
        """Most examples are about a live session, so each starts by granting a key."""
        self.grant("new", draft, via)

    @rule(name=st.sampled_from(NEW_KEYS), draft=scope_drafts, via=st.sampled_from(GRANT_VIAS))
    def grant(self, name: str, draft: ScopeDraft, via: str) -> None:
        """grantSession by the owner, or grantSessionWithSig relaying an owner's SessionGrant signature
        (or one that must revert: expired, for a used or future grant nonce, or by a session key)."""
        key = self._address(name)
        at = self.model.now + 1  # the transaction's block
        scope = draft.build(at, self.model.venue)
        if via == "grantSession":
            self._transact(lambda: self.account.grant(self.world.owner, key, scope),
                           lambda: self.model.grant(key, scope), refusal=self.model.grant_refusal(key, scope))
        else:
            nonce = self.model.grant_nonce
            if via == "signed, grant nonce + 1" or (via == "signed, grant nonce - 1" and nonce == 0):
                nonce += 1
            elif via == "signed, grant nonce - 1":
                nonce -= 1
            deadline = at + {"signed, deadline passed": -1, "signed, deadline = block time": 0}.get(via, 100)
            signer = self.world.keys["bot0"] if via == "signed by a session key" else self.world.owner
            reverts = set()
            if at > deadline:
                reverts.add("GrantExpired")
            if signer is not self.world.owner or nonce != self.model.grant_nonce:
                reverts.add("InvalidSignature")
            self._transact(  # signing is inside: sign_grant refuses an expired scope as grant_with_sig does
                lambda: self.account.grant_with_sig(self.world.relayer, key, scope, deadline,
                                                    self.account.sign_grant(signer.key, key, scope, deadline, nonce=nonce)),
                lambda: self.model.signed_grant(key, scope),
                refusal=self.model.grant_refusal(key, scope),
                reverts=frozenset(reverts),
            )
            assert self.account.grant_nonce() == self.model.grant_nonce
        self._check_sessions([key] if key in self.model.sessions else [])

    @rule(
        name=st.sampled_from(("stranger",) + BOTS),
        how=st.sampled_from(["by the owner", "self-signed", "signed by another key", "signed by the owner",
                             "self-signed for another account"]),
    )
    def revoke(self, name: str, how: str) -> None:
        """revokeSession by the owner, or revokeSessionWithSig relaying the key's own signature (or a
        signature that is not the key's own for this account, which must revert)."""
        key = self._key(name)
        status = self.model.status(key.address)
        refusal = None if status is SessionStatus.ACTIVE else f"{name} is {status.name}"
        if how == "by the owner":
            self._transact(lambda: self.account.revoke(self.world.owner, key.address),
                           lambda: self.model.revoke(key.address, self.model.owner), refusal=refusal)
        else:
            if how == "self-signed":
                signature = self.account.sign_revoke(key.key)
            else:
                signer = {"signed by another key": self.world.keys["stranger"], "signed by the owner": self.world.owner}
                account = self.world.other_account if how.endswith("another account") else self.account.address
                digest = revoke_session_digest(self.model.chain_id, account, key.address)
                signature = SigningKey(signer.get(how, key).key).sign_digest(digest)
            self._transact(lambda: self.account.revoke_with_sig(self.world.relayer, key.address, signature),
                           lambda: self.model.revoke(key.address, key.address), refusal=refusal,
                           reverts=frozenset() if how == "self-signed" else frozenset({"InvalidSignature"}))
        self._check_sessions([key.address])

    @rule(old=st.sampled_from(BOTS), new=st.sampled_from(NEW_KEYS))
    def rotate(self, old: str, new: str) -> None:
        old_key, new_key = self._address(old), self._address(new)
        refusal = self.model.grant_refusal(new_key)
        if self.model.status(old_key) is not SessionStatus.ACTIVE:
            refusal = f"{old} is {self.model.status(old_key).name}"
        self._transact(lambda: self.account.rotate(self.world.owner, old_key, new_key),
                       lambda: self.model.rotate(old_key, new_key), refusal=refusal)
        self._check_sessions({old_key, new_key} & self.model.sessions.keys())

    @rule(regrant=st.sampled_from(["a new key", "nothing"]), draft=first_scope_drafts)
    def revoke_all(self, regrant: str, draft: ScopeDraft) -> None:
        """revokeAllSessions(), then (as an owner would after a scare) a grant to a new key."""
        self._transact(lambda: self.account.revoke_all(self.world.owner), self.model.revoke_all)
        self._check_sessions(self.model.sessions)
        if regrant == "a new key":
            self.grant("new", draft, "grantSession")

    @rule(frozen=st.booleans(), by=st.sampled_from(["owner", "owner", "stranger"]))
    def freeze(self, frozen: bool, by: str) -> None:
        """freeze() or unfreeze(), by the owner or by a stranger (who is neither owner nor guardian)."""
        send = self.account.freeze if frozen else self.account.unfreeze
        self._transact(lambda: send(self._key(by)), self.model.freeze if frozen else self.model.unfreeze,
                       reverts=frozenset() if by == "owner" else frozenset({"Unauthorized"}))
        assert self.account.frozen() is self.model.frozen

    @rule(
        signer=st.sampled_from(ORDER_SIGNERS),
        word=st.sampled_from(NONCE_WORDS),
        mask=st.one_of(st.sampled_from([1, 0, UINT256_MAX, 1 << 255, 0b1011]), st.integers(0, UINT256_MAX)),
    )
    def invalidate_nonces(self, signer: str, word: int, mask: int) -> None:
        address = self._address(signer)
        self._transact(lambda: self.account.invalidate_nonces(self.world.owner, address, word, mask),
                       lambda: self.model.invalidate(address, word, mask))
        self._check_nonce_words([(address, word)])

    # ------------------------------------------------------------ time

    @rule(seconds=st.sampled_from([1, 2, 3, 4, 5, 6, 29, 59, 60, 61, 600, 3_599, 3_600, 3_601, 86_400]))
    def advance_time(self, seconds: int) -> None:
        self._travel(self.model.now + seconds)

    @precondition(lambda self: bool(self.model.sessions))
    @rule(
        which=st.integers(0, 7),
        edge=st.sampled_from(["valid after", "valid until", "next window"]),
        offset=st.sampled_from([-1, 0, 1, -2]),
    )
    def jump_to_boundary(self, which: int, edge: str, offset: int) -> None:
        """Land the latest block (eth_call's time; the next transaction's is one later) next to an edge."""
        sessions = list(self.model.sessions.values())
        scope = sessions[which % len(sessions)].scope
        if edge == "valid after":
            to = scope.valid_after
        elif edge == "valid until":
            to = scope.valid_until
        else:
            w = max(scope.window_seconds, 1)
            to = scope.valid_after + (max(0, self.model.now - scope.valid_after) // w + 1) * w
        to += offset
        if not self.model.now < to <= self.model.now + 400 * 86_400:  # only forward, and never to year 10889
            to = self.model.now + 1
        self._travel(to)

    # ------------------------------------------------------------ orders

    def _sign(self, spec: OrderSpec) -> Pending:
        key = self._key(spec.signer, spec.which)
        chain_id = self.model.chain_id + (spec.domain == "other chain")
        account = self.world.other_account if spec.domain == "other account" else self.account.address
        order = spec.draft.build(self.model.now, self.model.venue, self.next_nonce[key.address])
        self.next_nonce[key.address] += spec.draft.nonce is None
        signature = OrderSigner(key.key, chain_id, account).sign(order).signature
        order, signature = tamper(spec.how, order, signature, spec.position)
        digest = model_order_digest(self.model.chain_id, self.model.account, order)
        label = f"{spec.signer}={key.address[:8]}/{spec.domain}/{spec.how}"
        pending = Pending(label, order, signature, digest, model_recover(digest, signature))
        self.pending = [*self.pending, pending][-PENDING_CAP:]
        return pending

    @rule(spec=order_specs)
    def sign_order(self, spec: OrderSpec) -> None:
        """Queue an order: mostly a good one by an active key; also the owner's, a stranger's, one for
        another account or chain, or one damaged after signing."""
        self._sign(spec)

    @rule(specs=st.lists(order_specs, min_size=1, max_size=4), replays=st.lists(st.integers(0, 7), max_size=1))
    def trade(self, specs: list[OrderSpec], replays: list[int]) -> None:
        """Sign 1-4 orders and settle them at once, with possibly one pending order submitted again
        (0 is the newest: a replay of an order of this very batch)."""
        batch = [self._sign(spec) for spec in specs]
        self._settle(batch + [self.pending[-1 - pick % len(self.pending)] for pick in replays])

    @precondition(lambda self: bool(self.pending))
    @rule(picks=st.lists(st.integers(0, PENDING_CAP - 1), min_size=1, max_size=5))
    def settle(self, picks: list[int]) -> None:
        """A batch of 1-5 pending orders (0 is the newest; a pick may repeat: a replay in one batch)."""
        self._settle([self.pending[-1 - pick % len(self.pending)] for pick in picks])

    def _settle(self, batch: list[Pending]) -> None:
        signed = [SignedOrder(self.account.address, p.order, p.signature, p.digest, p.signer or "") for p in batch]
        block = self.chain.w3.eth.block_number
        if any(len(p.signature) != 65 for p in batch):
            with pytest.raises(InvalidInput):
                self.venue.settle(self.world.relayer, signed)
            assert self.chain.w3.eth.block_number == block
            return
        at = self.model.now + 1  # the settlement's block
        verifier = self._verifier(batch)
        verifier.set_time(at)
        outcomes, events, asked = self.model.settle(batch, at)
        settlement = self.venue.settle(self.world.relayer, signed)
        self.model.now = at
        assert settlement.block_number == block + 1 and self.chain.timestamp() == at
        labels = [p.label for p in batch]
        assert list(settlement.outcomes) == outcomes, f"batch {labels}"
        for outcome in outcomes:
            self.seen[f"settled {outcome.reason.label}"] += 1
        if Reason.AUTHORIZED in [o.reason for o in outcomes] and not self.filled:
            self.filled = True
            self.seen["examples with a fill"] += 1
        receipt = self.chain.w3.eth.get_transaction_receipt(HexBytes(settlement.tx_hash))
        assert self._logs(receipt) == events, f"batch {labels}"
        # The Verifier, fed the pre-settlement state, replays the batch with consume() and agrees on
        # every order the account was asked about (the venue's own 255s never reach it).
        for pending, outcome, was_asked in zip(batch, outcomes, asked):
            if was_asked:
                decision = verifier.consume(pending.order, pending.signature)
                assert (decision.reason, decision.digest) == (outcome.reason, outcome.digest), pending.label
        self._check_sessions(self.model.sessions)
        batch_words = {(p.signer, p.order.nonce >> 8) for p in batch if p.signer is not None}
        self._check_nonce_words(batch_words | self.model.nonce_words.keys())
        for market in {p.order.market for p in batch}:
            assert self.venue.position(self.account.address, market) == self.model.positions.get(market, 0)

    # ------------------------------------------------------------ audits

    @rule()
    def audit(self) -> None:
        """Everything the model knows about the account, read back in full."""
        self._check_sessions(self.model.sessions)
        self._check_nonce_words(self.model.nonce_words)
        assert self.account.frozen() is self.model.frozen
        assert self.account.grant_nonce() == self.model.grant_nonce
        assert self.account.session_keys() == self.model.key_order
        for market in self.model.positions.keys() | {1}:
            assert self.venue.position(self.account.address, market) == self.model.positions.get(market, 0)

    def _moments_ahead(self, pending: Pending) -> set[int]:
        """The instants after now where this order's fate can flip: its deadline, its signer's
        validity edges and next window, each with the second after (and before)."""
        now, order = self.model.now, pending.order
        moments = {now + 1, order.deadline, order.deadline + 1}
        session = self.model.sessions.get(pending.signer or "")
        if session is not None:
            scope = session.scope
            moments |= {scope.valid_after - 1, scope.valid_after, scope.valid_until, scope.valid_until + 1}
            if scope.window_seconds and now >= scope.valid_after:
                w = scope.window_seconds
                start = scope.valid_after + ((now - scope.valid_after) // w + 1) * w
                moments |= {start - 1, start}
        return {t for t in moments if now < t <= UINT48_MAX}

    @invariant()
    def decisions_agree(self) -> None:
        """A sample of pending orders (the newest and a rotating one) decided at the latest block by
        isOrderAuthorized, by the Verifier built from SmartAccount.state(), and by the model; then,
        without the chain, by the Verifier and the model at the boundary instants ahead."""
        self.steps += 1
        self.seen["steps"] += 1
        if not self.pending:
            return
        sample = list({id(p): p for p in (self.pending[-1], self.pending[self.steps % len(self.pending)])}.values())
        state = self._verifier(sample[:SAMPLE]).state
        assert state.timestamp == self.model.now
        for pending in sample[:SAMPLE]:
            expected = self.model.reason(pending.order, pending.signer, self.model.now)
            self.seen[f"decided {expected.label}"] += 1
            on_chain = self.account.is_order_authorized(pending.order, pending.signature)
            assert on_chain.reason is expected, f"{pending.label}: chain {on_chain.reason!r}, model {expected!r}"
            assert (on_chain.signer, on_chain.digest) == (pending.signer, pending.digest), pending.label
            assert Verifier(state).check(pending.order, pending.signature) == on_chain, pending.label
            # What the chain would answer at a later block if nothing else happened: the Verifier
            # decides at any time, so it is held to the model where boundaries are, not only at now.
            for at in sorted(self._moments_ahead(pending)):
                later = Verifier(state)
                later.set_time(at)
                off_chain = later.check(pending.order, pending.signature).reason
                expected = self.model.reason(pending.order, pending.signer, at)
                assert off_chain is expected, f"{pending.label} at now+{at - self.model.now}: " \
                                              f"Verifier {off_chain!r}, model {expected!r}"

def test_chain_verifier_and_model_agree_on_every_step(world: World) -> None:
    DifferentialMachine.world = world
    DifferentialMachine.seen.clear()
    run_state_machine_as_test(DifferentialMachine, settings=PROPERTY_SETTINGS)
    print(sorted(DifferentialMachine.seen.items()))
