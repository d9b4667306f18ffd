"""The follower: the chain state the decisions read, kept at one followed block.

Each step reads the account events of SPEC section 10 for every served account by block range
(eth_getLogs), refreshes through the account's own getters what those events touched (so the
window counters are the contract's, never recomputed here), and pulls the held orders the new
state refuses: a revoked, rotated or swept key, a frozen account, a nonce used or invalidated
elsewhere. Every process follows, for its own decisions; only the leader (SPEC 14.6: one process
at a time, Store.leads) acts on what it sees: it pulls held orders, and it also follows the
accounts other processes admitted. It remembers the hash of each block it advanced to; when the followed block is no
longer canonical, everything is rebuilt from the getters at the node's latest block and every
held order is checked again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from web3.exceptions import Web3Exception

from aa_auth.chain.blocks import at_block
from aa_auth.chain.connection import Chain
from aa_auth.chain.logs import Event, fetch_events
from aa_auth.contracts.account import SmartAccount
from aa_auth.contracts.clones import check_clone, clone_owner
from aa_auth.contracts.eip7702 import delegate_of
from aa_auth.contracts.deployments import predicted_stack
from aa_auth.errors import AAAuthError, Reason
from aa_auth.gateway.errors import NotAnAccount, StateUnavailable, StoreUnavailable
from aa_auth.gateway.settings import Settings
from aa_auth.gateway.store.base import Store, StoredOrder
from aa_auth.protocol.verify import AccountState, SessionState, decide

__all__ = ["Follower", "NODE_ERRORS", "Snapshot"]

# What a node that is down, slow or confused raises through web3 and requests (requests' errors are OSErrors).
NODE_ERRORS: tuple[type[BaseException], ...] = (OSError, Web3Exception, AAAuthError, TimeoutError)
MAX_BLOCKS_PER_STEP = 2_000
_CHECKPOINTS = 256
_WHOLE_ACCOUNT = "*"  # an event that touches every key (revoke-all, freeze)


@dataclass
class _Followed:
    owner: str
    frozen: bool
    sessions: dict[str, SessionState]
    kind: str  # "clone" or "eip7702" (an EOA delegated to SessionAccount7702)
    words: dict[tuple[str, int], int] = field(default_factory=dict)


@dataclass(frozen=True)
class Snapshot:
    """What deciding one order needs from the chain, at the followed block."""

    chain_id: int
    account: str
    owner: str
    frozen: bool
    timestamp: int
    session: SessionState | None
    words: dict[int, int]  # the signer's nonce words asked for: word index -> bitmap


@dataclass(frozen=True)
class AccountView:
    """An account's followed state for GET /v1/accounts."""

    owner: str
    frozen: bool
    block: int
    timestamp: int
    sessions: dict[str, SessionState]
    kind: str


def _touched(events: Iterable[Event]) -> dict[str, tuple[set[str], set[tuple[str, int]]]]:
    """Per account: the keys to read again (or _WHOLE_ACCOUNT) and the nonce words to read again."""
    touched: dict[str, tuple[set[str], set[tuple[str, int]]]] = {}
    for event in events:
        keys, words = touched.setdefault(event.address, (set(), set()))
        args = event.args
        if event.name in ("SessionGranted", "SessionRevoked"):
            keys.add(args["key"])
        elif event.name == "SessionRotated":
            keys.update((args["oldKey"], args["newKey"]))
        elif event.name in ("AllSessionsRevoked", "Frozen", "Unfrozen"):
            keys.add(_WHOLE_ACCOUNT)
        elif event.name == "OrderConsumed":
            keys.add(args["signer"])
            words.add((args["signer"], args["nonce"] >> 8))
        elif event.name == "NoncesInvalidated":
            words.add((args["signer"], args["word"]))
    return touched


class Follower:
    """Follows the served accounts; thread-safe (the intake reads while the follower thread steps)."""

    def __init__(self, chain: Chain, settings: Settings, store: Store,
                 pulled: Callable[[dict[bytes, Reason]], None] = lambda _: None) -> None:
        self.chain, self.settings, self.store, self._pulled = chain, settings, store, pulled
        self.chain_id = chain.chain_id
        self._lock = threading.RLock()
        self._accounts: dict[str, _Followed] = {}
        self._impostors: set[str] = set()  # contracts seen not to be genuine (their code cannot become genuine)
        self._hashes: dict[int, bytes] = {}
        self._pinned = at_block(chain, 0)  # every read of the follower: its default block moves with the head
        self._contracts: dict[str, SmartAccount] = {}
        self.head = -1
        self.timestamp = 0
        self.latest = -1
        self.error: str | None = "not started"
        self.acting = False  # this process leads: it pulls held orders for everyone (see lead)

    # ------------------------------------------------------------ health

    @property
    def lag(self) -> int:
        return max(0, self.latest - self.head)

    @property
    def degraded(self) -> bool:
        return self.error is not None or self.lag > self.settings.max_lag

    def _contract(self, account: str) -> SmartAccount:
        """The account's contract object reading at the followed block (built once: web3 contracts are costly)."""
        contract = self._contracts.get(account)
        if contract is None:
            contract = self._contracts[account] = SmartAccount(self._pinned, account)
        return contract

    # ------------------------------------------------------------ admission and reads

    def start(self) -> None:
        """Follow from the node's latest block: reload the accounts the store serves, and check every held
        order against them (what happened on chain while the gateway was down was not followed)."""
        with self._lock:
            self._rebuild(self.chain.w3.eth.get_block("latest"), self.store.served())
            self.latest = self.head
            self.error = None

    def lead(self) -> None:
        """This process now leads: follow every account any process admitted, and check every held order
        against the followed state (the previous leader's pulls may not have run for the latest blocks)."""
        with self._lock:
            self.acting = True
            self._adopt()
            self._pull({account: {_WHOLE_ACCOUNT} for account in self._accounts})

    def follow(self) -> None:
        """Another process leads: decide with what is followed here, and pull nothing."""
        self.acting = False

    def _adopt(self) -> None:
        """Follow the accounts another process admitted (the store lists them; they were checked there)."""
        try:
            served = self.store.served()
        except StoreUnavailable:
            return  # the database is down: the next step looks again
        for account in served:
            if account not in self._accounts:
                self._accounts[account] = self._load(account)
                self._pull({account: {_WHOLE_ACCOUNT}})

    def catch_up(self, block: int, timeout: float = 2.0) -> None:
        """Follow at least to `block` (the leader settled through it), or raise StateUnavailable."""
        deadline = time.monotonic() + timeout
        while self.head < block:
            if time.monotonic() > deadline:
                raise StateUnavailable(f"the follower is at block {self.head}, behind block {block} settled by the leader")
            self.step()
            if self.head < block:
                time.sleep(0.05)

    def admit(self, account: str) -> None:
        """Serve `account` from now on, or raise NotAnAccount (StateUnavailable when the node cannot tell)."""
        if account in self._accounts:
            return
        if account in self._impostors:
            raise NotAnAccount(f"{account} is not an aa-auth account of factory {self.settings.factory}")
        with self._lock:
            if account in self._accounts:
                return
            try:
                view = self._pinned
                code = bytes(view.w3.eth.get_code(account))  # type: ignore[arg-type]
                owner = clone_owner(code)
                if owner is None:
                    self._check_delegated(view, account, code)
                else:
                    check = check_clone(view, account, code, owner, self.settings.factory, self.settings.from_block,
                                        self.head, page_blocks=self.head - self.settings.from_block + 1)
                    if not check.genuine:
                        self._impostors.add(account)
                        raise NotAnAccount(f"{account} is not a genuine aa-auth account: {'; '.join(check.problems)}")
                followed = self._load(account)
            except NODE_ERRORS as exc:
                if isinstance(exc, NotAnAccount):
                    raise
                raise StateUnavailable(f"cannot read {account} from the node: {exc.__class__.__name__}: {exc}") from None
            self.store.serve(account)
            self._accounts[account] = followed

    def _check_delegated(self, view: Chain, account: str, code: bytes) -> None:
        """Admit an EOA delegated (EIP-7702) to the SessionAccount7702 served, or raise NotAnAccount.

        The delegate is --implementation-7702, else the deterministic SessionAccount7702 for the
        EntryPoint of --factory's implementation (where `aa-auth deploy` puts it). An EOA is never
        cached as an impostor: it may delegate, or re-delegate, at any time.
        """
        delegate = delegate_of(code)
        if delegate is None:
            if code:
                self._impostors.add(account)
            kind = "a contract that is not an aa-auth clone" if code else "an address without code (an EOA not delegated by EIP-7702)"
            raise NotAnAccount(f"{account} is {kind}: the gateway serves accounts of factory {self.settings.factory} "
                               "and EOAs delegated to SessionAccount7702")
        expected = self._implementation_7702(view)
        if delegate != expected:
            raise NotAnAccount(f"{account} delegates (EIP-7702) to {delegate}, not to the SessionAccount7702 served "
                               f"({expected}; see --implementation-7702)")

    def _implementation_7702(self, view: Chain) -> str:
        if self.settings.implementation_7702 is not None:
            return self.settings.implementation_7702
        factory = view.contract("AccountFactory", self.settings.factory)
        implementation = str(view.call(factory.functions.accountImplementation()))
        entry_point = str(view.call(view.contract("SessionAccount", implementation).functions.entryPoint()))
        found = predicted_stack(entry_point).implementation_7702
        assert found is not None  # predicted_stack always names it
        return found

    def serves(self, account: str) -> bool:
        return account in self._accounts

    def snapshot(self, account: str, signer: str | None, words: Iterable[int]) -> Snapshot:
        """The state deciding `signer`'s orders on `account` reads (the account must be admitted)."""
        with self._lock:
            followed = self._accounts[account]
            session = None if signer is None else followed.sessions.get(signer)
            # No node call for a stranger's nonce space: decide refuses an unknown signer before check 12.
            known = signer is not None and (signer == followed.owner or session is not None)
            bits = {word: self._word(followed, account, signer, word) for word in words} if known and signer else {}
            return Snapshot(self.chain_id, account, followed.owner, followed.frozen, self.timestamp, session, bits)

    def account_view(self, account: str) -> AccountView | None:
        with self._lock:
            followed = self._accounts.get(account)
            if followed is None:
                return None
            return AccountView(followed.owner, followed.frozen, self.head, self.timestamp, dict(followed.sessions), followed.kind)

    def _word(self, followed: _Followed, account: str, signer: str, word: int) -> int:
        bits = followed.words.get((signer, word))
        if bits is None:
            try:
                bits = self._contract(account).nonce_bitmap(signer, word)
            except NODE_ERRORS as exc:
                raise StateUnavailable(f"cannot read a nonce word of {account}: {exc.__class__.__name__}") from None
            followed.words[(signer, word)] = bits
        return bits

    def _load(self, account: str) -> _Followed:
        contract = self._contract(account)
        kind = "eip7702" if delegate_of(bytes(self._pinned.w3.eth.get_code(account))) is not None else "clone"  # type: ignore[arg-type]
        return _Followed(contract.owner(), contract.frozen(), {key: contract.session(key) for key in contract.session_keys()},
                         kind)

    # ------------------------------------------------------------ following

    def run(self, stop: threading.Event) -> None:
        """Step every poll interval until `stop` is set."""
        while not stop.wait(self.settings.poll_interval):
            self.step()

    def step(self) -> None:
        """Advance to the node's latest block (at most MAX_BLOCKS_PER_STEP), or rebuild after a reorg."""
        try:
            latest = self.chain.w3.eth.get_block("latest")
            with self._lock:
                if self.acting:
                    self._adopt()
                if not self._canonical(self.head):
                    self._rebuild(latest, self._accounts)
                else:
                    target = min(int(latest["number"]), self.head + MAX_BLOCKS_PER_STEP)
                    if target > self.head:
                        self._advance(target)
                self.latest = int(latest["number"])
            self.error = None
        except StoreUnavailable as exc:
            self.error = str(exc)
        except NODE_ERRORS as exc:
            self.error = f"the node is unreachable or failing: {exc.__class__.__name__}: {exc}"

    def _canonical(self, number: int) -> bool:
        try:
            return bytes(self.chain.w3.eth.get_block(number)["hash"]) == self._hashes.get(number)
        except Web3Exception:  # BlockNotFound: the chain is now shorter than the block we followed
            return False

    def _move_head(self, block: Any) -> None:
        self.head, self.timestamp = int(block["number"]), int(block["timestamp"])
        self._pinned.w3.eth.default_block = self.head
        self._hashes[self.head] = bytes(block["hash"])
        for old in sorted(self._hashes)[:-_CHECKPOINTS]:
            del self._hashes[old]

    def _rebuild(self, latest: Any, accounts: Iterable[str]) -> None:
        """Read `accounts` afresh at the latest block and check every held order again (at start, and when
        the followed block was reorganised away)."""
        self._hashes.clear()
        self._move_head(latest)
        for account in list(accounts):
            self._accounts[account] = self._load(account)
        self._pull({account: {_WHOLE_ACCOUNT} for account in self._accounts})

    def _advance(self, target: int) -> None:
        header = self.chain.w3.eth.get_block(target)
        accounts = list(self._accounts)
        events = fetch_events(self.chain, "SessionAccount", accounts, self.head + 1, target) if accounts else []
        if bytes(self.chain.w3.eth.get_block(target)["hash"]) != bytes(header["hash"]):
            return  # reorganised while we read: the next step starts over
        self._move_head(header)
        touched = _touched(events)
        for account, (keys, words) in touched.items():
            followed = self._accounts.get(account)
            if followed is None:
                continue
            contract = self._contract(account)
            if _WHOLE_ACCOUNT in keys:
                fresh = self._load(account)
                followed.frozen, followed.sessions = fresh.frozen, fresh.sessions
            else:
                for key in keys - {followed.owner}:
                    followed.sessions[key] = contract.session(key)
            for word in words & followed.words.keys():
                followed.words[word] = contract.nonce_bitmap(*word)
        self._pull({account: keys | {signer for signer, _ in words} for account, (keys, words) in touched.items()})

    def _pull(self, signers: dict[str, set[str]]) -> None:
        """Reject every accepted order of the given signers (_WHOLE_ACCOUNT: all of them) on each account that
        the followed state alone now refuses, with its reason (the leader only)."""
        if not self.acting:
            return
        reasons: dict[bytes, Reason] = {}
        for account, touched in signers.items():
            followed = self._accounts.get(account)
            if followed is None:
                continue
            for held in self.store.accepted(limit=1_000_000, account=account):
                if _WHOLE_ACCOUNT not in touched and held.signer not in touched:
                    continue
                reason = self._recheck(followed, held)
                if reason is not Reason.AUTHORIZED:
                    reasons[held.digest] = reason
        moved = self.store.reject(reasons)
        if moved:
            self._pulled({digest: reasons[digest] for digest in moved})

    def _recheck(self, followed: _Followed, held: StoredOrder) -> Reason:
        word = held.order.nonce >> 8
        session = followed.sessions.get(held.signer)
        state = AccountState(
            chain_id=self.chain_id, account=held.account, owner=followed.owner, frozen=followed.frozen,
            timestamp=self.timestamp, sessions={} if session is None else {held.signer: session},
            nonce_words={(held.signer, word): self._word(followed, held.account, held.signer, word)},
        )
        return decide(state, held.order, held.signature).reason
