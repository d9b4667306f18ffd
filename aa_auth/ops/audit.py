"""Audit view of one account (`aa-auth inspect`, scripts/audit_account.py).

Everything is read at one block: the account's state through its getters, its history from its
events (SPEC section 10) fetched in pages, and its code compared with the clone the factory makes
or, for an EOA delegated by EIP-7702 (SPEC 13), its designator compared with the recorded
SessionAccount7702.
Each key's scope read from `getSession` is hashed again and checked against the `scopeHash` its
`SessionGranted` event recorded, its status is `key_status`'s, and its worst case is `exposure`'s.
Given the deployments record's ReferenceVenue, each scope's venues are checked against it and the
account's positions there are read. What an auditor should look at is raised as a `Flag`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from eth_utils.crypto import keccak

from aa_auth.chain.blocks import at_block
from aa_auth.chain.connection import Chain
from aa_auth.chain.logs import DEFAULT_PAGE_BLOCKS, Event, fetch_events
from aa_auth.contracts.account import SmartAccount
from aa_auth.contracts.clones import CloneCheck, check_clone, clone_code
from aa_auth.contracts.deployments import ENTRY_POINT_V08, predicted_stack
from aa_auth.contracts.eip7702 import delegate_of
from aa_auth.errors import InvalidInput
from aa_auth.protocol.scope import Scope
from aa_auth.protocol.typed_data import hash_scope
from aa_auth.protocol.values import ANY_MARKET, UINT32_MAX, UINT256_MAX, ZERO_ADDRESS, check_address
from aa_auth.ops.exposure import Exposure, exposure
from aa_auth.ops.positions import Position, RecordedVenue, VenueCheck, check_venue, read_positions, recorded_venue
from aa_auth.protocol.verify import KeyStatus, SessionState, SessionStatus, key_status, window_bounds, window_usage

__all__ = [
    "AccountReport",
    "CloneCheck",
    "DelegationCheck",
    "Flag",
    "KeyReport",
    "NonceWord",
    "at_block",
    "clone_code",
    "current_usage",
    "inspect_account",
]

LONG_VALIDITY_SECONDS = 30 * 86_400

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Flag:
    severity: str  # critical: integrity is broken; warning: a risk to review; info: context
    code: str
    subject: str  # the account or the session key concerned
    message: str


@dataclass(frozen=True)
class DelegationCheck:
    """An EOA delegated by EIP-7702: where its designator points, and where it should."""

    delegate: str
    expected: str | None  # the SessionAccount7702 of the deployment record, else the deterministic one

    @property
    def ours(self) -> bool:
        return self.delegate == self.expected


@dataclass(frozen=True)
class NonceWord:
    signer: str
    word: int
    bitmap: int

    @property
    def used(self) -> int:
        return bin(self.bitmap).count("1")


@dataclass(frozen=True)
class KeyReport:
    key: str
    status: KeyStatus
    scope: Scope | None
    scope_hash: str | None  # hashStruct(Scope) of the scope getSession returns, recomputed here
    granted_scope_hash: str | None  # from the SessionGranted event
    granted_block: int | None
    granted_timestamp: int | None
    ended: str | None  # how an inactive key stopped, from the events
    rotated_from: str | None
    current_window: int | None  # None unless the key is active
    window_start: int | None  # the current window's first and last second, inclusive
    window_end: int | None
    window_orders: int
    window_notional: int
    gas_fee_spent: int
    orders_consumed: int
    nonce_words: tuple[NonceWord, ...]
    exposure: Exposure
    venues: tuple[tuple[str, VenueCheck], ...]  # each scope venue and how it compares with the record

    @property
    def scope_hash_ok(self) -> bool:
        return self.scope_hash is not None and self.scope_hash == self.granted_scope_hash


@dataclass(frozen=True)
class AccountReport:
    chain_id: int
    block_number: int
    block_timestamp: int
    from_block: int
    account: str
    code_hash: str
    owner: str
    guardian: str
    frozen: bool
    entry_point: str
    grant_nonce: int
    kind: str  # "clone" (a factory clone) or "eip7702" (an EOA delegated to SessionAccount7702)
    clone: CloneCheck | None  # for a clone
    delegation: DelegationCheck | None  # for a delegated EOA
    keys: tuple[KeyReport, ...]
    owner_nonce_words: tuple[NonceWord, ...]
    recorded_venue: RecordedVenue | None  # the deployments record's ReferenceVenue; None without a record
    positions: tuple[Position, ...] | None  # at the recorded venue; None when it could not be read
    events: tuple[Event, ...]
    flags: tuple[Flag, ...]


def inspect_account(
    chain: Chain,
    address: str,
    *,
    factory: str | None = None,
    venue: str | None = None,
    implementation_7702: str | None = None,
    from_block: int = 0,
    block: int | None = None,
    page_blocks: int = DEFAULT_PAGE_BLOCKS,
    progress: Progress | None = None,
) -> AccountReport:
    """The audit report of the account at `address`, read at `block` (default: the latest).

    `factory` is the AccountFactory expected to have created it; by default the deterministic
    factory for the account's own EntryPoint. `venue` is the ReferenceVenue the deployments record
    names (None: no record, venues unchecked, no positions). `implementation_7702` is the
    SessionAccount7702 a delegated EOA should point to (default: the deterministic one for its
    EntryPoint). Events are read from `from_block` (for a clone: from its creation).
    """
    address = check_address("account", address)
    block = int(chain.w3.eth.block_number) if block is None else block
    view = at_block(chain, block)
    code = bytes(view.w3.eth.get_code(address))
    if not code:
        raise InvalidInput(f"{address} has no code on chain {chain.chain_id} at block {block}: not an account here "
                           "(wrong address or wrong chain?)")
    account = SmartAccount(view, address)
    try:
        owner, guardian, frozen = account.owner(), account.guardian(), account.frozen()
        keys, grant_nonce = account.session_keys(), account.grant_nonce()
        entry_point = str(view.call(account.contract.functions.entryPoint()))
    except Exception as exc:
        raise InvalidInput(f"{address} on chain {chain.chain_id} is not an aa-auth account: it does not answer the "
                           f"SessionAccount getters ({exc.__class__.__name__})") from None
    timestamp = int(view.w3.eth.get_block(block)["timestamp"])
    delegate = delegate_of(code)
    clone, delegated, start = None, None, from_block
    if delegate is not None:
        expected = check_address("SessionAccount7702", implementation_7702) if implementation_7702 else \
            predicted_stack(entry_point).implementation_7702
        delegated = DelegationCheck(delegate, expected)
    else:
        factory = check_address("factory", factory) if factory else predicted_stack(entry_point).factory
        clone = check_clone(view, address, code, owner, factory, from_block, block, page_blocks, progress)
        start = clone.creation_block if clone.creation_block is not None else from_block
    events = fetch_events(view, "SessionAccount", address, start, block, page_blocks=page_blocks, progress=progress)
    history = _History(events)
    words = {signer: tuple(NonceWord(signer, w, account.nonce_bitmap(signer, w)) for w in sorted(ws))
             for signer, ws in history.words.items()}
    record = recorded_venue(view, venue)
    reports = [_key_report(view, account, key, history, words.get(key, ()), timestamp, record) for key in keys]
    positions = None
    if record is not None and record.genuine:
        markets = (m.market for r in reports if r.scope is not None for m in r.scope.markets)
        positions = read_positions(view, record, address, markets, start, block, page_blocks=page_blocks,
                                   progress=progress)
    flags = _account_flags(address, owner, guardian, entry_point, clone, delegated, record)
    for report in reports:
        flags += _key_flags(report, timestamp, start, block, entry_point)
    return AccountReport(
        chain_id=chain.chain_id, block_number=block, block_timestamp=timestamp, from_block=start,
        account=address, code_hash="0x" + keccak(code).hex(), owner=owner, guardian=guardian, frozen=frozen,
        entry_point=entry_point, grant_nonce=grant_nonce, kind="clone" if delegated is None else "eip7702",
        clone=clone, delegation=delegated, keys=tuple(reports),
        owner_nonce_words=words.get(owner, ()), recorded_venue=record, positions=positions,
        events=tuple(events), flags=tuple(flags),
    )


class _History:
    """What the account's events say about each key and each signer's nonce words."""

    def __init__(self, events: list[Event]) -> None:
        self.granted: dict[str, Event] = {}
        self.ended: dict[str, str] = {}
        self.rotated_from: dict[str, str] = {}
        self.consumed: dict[str, int] = defaultdict(int)
        self.words: dict[str, set[int]] = defaultdict(set)
        sweeps: list[int] = []
        for e in events:
            a = e.args
            if e.name == "SessionGranted":
                self.granted[a["key"]] = e
            elif e.name == "SessionRevoked":
                by = "itself" if a["by"] == a["key"] else a["by"]
                self.ended.setdefault(a["key"], f"revoked by {by} at block {e.block_number}")
            elif e.name == "SessionRotated":
                self.ended[a["oldKey"]] = f"rotated to {a['newKey']} at block {e.block_number}"
                self.rotated_from[a["newKey"]] = a["oldKey"]
            elif e.name == "AllSessionsRevoked":
                sweeps.append(e.block_number)
            elif e.name == "OrderConsumed":
                self.consumed[a["signer"]] += 1
                self.words[a["signer"]].add(a["nonce"] >> 8)
            elif e.name == "NoncesInvalidated":
                self.words[a["signer"]].add(a["word"])
        for key, grant in self.granted.items():
            swept = [b for b in sweeps if b >= grant.block_number]
            if key not in self.ended and swept:
                self.ended[key] = f"swept by revokeAllSessions at block {swept[0]}"


def current_usage(session: SessionState, now: int) -> tuple[int | None, int, int]:
    """(current window, orders, notional charged in it) at time `now`; None unless the key is active."""
    if key_status(session, now) is not KeyStatus.ACTIVE:
        return None, 0, 0
    assert session.scope is not None  # an active key has its scope
    return window_usage(session, session.scope, now)  # the verifier's rule: an older stored window counts zero


def _key_report(view: Chain, account: SmartAccount, key: str, history: _History, words: tuple[NonceWord, ...],
                now: int, record: RecordedVenue | None) -> KeyReport:
    session: SessionState = account.session(key)
    scope = session.scope
    current, orders, notional = current_usage(session, now)
    start, end = (None, None) if current is None or scope is None else window_bounds(scope, current)
    grant = history.granted.get(key)
    granted_ts = int(view.w3.eth.get_block(grant.block_number)["timestamp"]) if grant else None
    return KeyReport(
        key=key, status=key_status(session, now), scope=scope,
        scope_hash=None if scope is None else "0x" + hash_scope(scope).hex(),
        granted_scope_hash=None if grant is None else str(grant.args["scopeHash"]),
        granted_block=None if grant is None else grant.block_number, granted_timestamp=granted_ts,
        ended=None if session.status is SessionStatus.ACTIVE else history.ended.get(key, "revoked (no event found)"),
        rotated_from=history.rotated_from.get(key), current_window=current, window_start=start, window_end=end,
        window_orders=orders, window_notional=notional, gas_fee_spent=session.gas_fee_spent,
        orders_consumed=history.consumed.get(key, 0), nonce_words=words, exposure=exposure(session, now),
        venues=() if scope is None else tuple((v, check_venue(v, record)) for v in scope.venues),
    )


def _account_flags(address: str, owner: str, guardian: str, entry_point: str, clone: CloneCheck | None,
                   delegated: DelegationCheck | None, record: RecordedVenue | None) -> list[Flag]:
    flags = []
    if clone is not None and not clone.genuine:
        flags.append(Flag("critical", "not-genuine-clone", address, "; ".join(clone.problems)))
    if delegated is not None:
        flags += _delegation_flags(address, owner, delegated)
    if guardian == ZERO_ADDRESS:
        flags.append(Flag("warning", "no-guardian", address,
                          "no guardian: only the owner's key can freeze the account (setGuardian adds a kill switch)"))
    elif guardian == owner:
        flags.append(Flag("warning", "guardian-is-owner", address,
                          "the guardian is the owner: the kill switch adds no second key"))
    if record is not None and not record.genuine:
        flags.append(Flag("critical", "recorded-venue-not-genuine", record.address,
                          "the deployments record's ReferenceVenue does not have the shipped ReferenceVenue's code: "
                          "positions not read"))
    if entry_point != ENTRY_POINT_V08:
        flags.append(Flag("info", "non-canonical-entry-point", address,
                          f"EntryPoint {entry_point} is not the canonical v0.8 {ENTRY_POINT_V08}"))
    return flags


def _delegation_flags(address: str, owner: str, delegated: DelegationCheck) -> list[Flag]:
    flags = []
    if not delegated.ours:
        flags.append(Flag("warning", "delegated-elsewhere", address,
                          f"the EOA delegates to {delegated.delegate}, not to the recorded SessionAccount7702 "
                          f"{delegated.expected}: its code is not the one audited here"))
    if owner != address:
        flags.append(Flag("critical", "owner-not-the-eoa", address,
                          f"owner() is {owner}: a delegated SessionAccount7702 is owned by the EOA itself"))
    flags.append(Flag("info", "eoa-key-all-powerful", address,
                      "an EIP-7702 account: the EOA's own key can still do anything, including re-delegating; "
                      "freezing and revoking stop session keys, never that key"))
    return flags


def _unlimited(scope: Scope) -> list[str]:
    found = []
    if scope.max_notional_per_window == UINT256_MAX:
        found.append("maxNotionalPerWindow")
    if scope.max_orders_per_window == UINT32_MAX:
        found.append("maxOrdersPerWindow")
    if scope.max_gas_fee == UINT256_MAX:
        found.append("maxGasFee")
    for m in scope.markets:
        name = "ANY_MARKET" if m.market == ANY_MARKET else f"market {m.market}"
        if m.max_order_size == UINT256_MAX:
            found.append(f"maxOrderSize of {name}")
        if m.min_price == 0 and m.max_price == UINT256_MAX:
            found.append(f"price band of {name}")
    return found


def _key_flags(report: KeyReport, now: int, from_block: int, block: int, entry_point: str) -> list[Flag]:
    """Integrity flags for every key; risk flags for keys that can still act (active, not expired)."""
    key, scope = report.key, report.scope
    flags = []
    if report.granted_scope_hash is None:
        flags.append(Flag("warning", "grant-event-missing", key,
                          f"no SessionGranted event in blocks {from_block}-{block}: the scope cannot be checked"))
    elif not report.scope_hash_ok:
        flags.append(Flag("critical", "scope-hash-mismatch", key,
                          f"getSession's scope hashes to {report.scope_hash}, the grant recorded {report.granted_scope_hash}"))
    if scope is None or report.status not in (KeyStatus.ACTIVE, KeyStatus.NOT_YET_VALID):
        return flags
    start = max(scope.valid_after, report.granted_timestamp or 0)
    if scope.valid_until - start > LONG_VALIDITY_SECONDS:
        flags.append(Flag("warning", "long-validity", key,
                          f"valid for {(scope.valid_until - start) / 86_400:.1f} days (until {scope.valid_until}, "
                          f"{max(0, scope.valid_until - now) / 86_400:.1f} days left)"))
    if any(m.market == ANY_MARKET for m in scope.markets):
        flags.append(Flag("warning", "any-market", key, "granted ANY_MARKET: every market without its own entry is allowed"))
    for what in _unlimited(scope):
        flags.append(Flag("warning", "unlimited-cap", key, f"{what} is unlimited"))
    for venue, check in report.venues:
        if check is VenueCheck.UNRECORDED:
            flags.append(Flag("warning", "unrecorded-venue", key,
                              f"venue {venue} is not the ReferenceVenue of the deployments record"))
    callable_ = scope.max_gas_fee > 0  # calls run only inside user operations, which need a gas budget
    if scope.calls and not callable_:
        flags.append(Flag("info", "unusable-call", key,
                          f"{len(scope.calls)} call permission(s) can never be used: maxGasFee is 0, "
                          "so the key may not submit user operations"))
    for call in scope.calls:
        if callable_ and call.target == entry_point:
            flags.append(Flag("warning", "entry-point-call", key,
                              f"may call the account's EntryPoint (selector 0x{call.selector.hex()}): withdrawTo and "
                              "withdrawStake pay out the account's deposit and stake (aa-auth refuses such grants)"))
        if callable_ and call.max_value > 0:
            flags.append(Flag("warning", "value-call", key,
                              f"may send up to {call.max_value} wei per call to {call.target} selector 0x{call.selector.hex()}"))
    return flags
