"""The parts of one gateway process wired together: one node, one operator key, one database.

Nothing starts on construction: `start` (the app's lifespan) starts the follower and the
leadership threads, `stop` winds them down in order. The leadership thread asks the store every
LEAD_POLL seconds whether this process leads (SPEC 14.6; SQLite: always): while it does, the
settler runs and the follower acts; when it stops leading, both stand down at once (the new
leader follows up the batch in flight from its recorded hash, as after a restart).
"""

from __future__ import annotations

import asyncio
import logging
import threading

from eth_account.signers.local import LocalAccount

from aa_auth.chain.connection import Chain
from aa_auth.chain.transactions import FeePolicy
from aa_auth.gateway.follower import NODE_ERRORS, Follower
from aa_auth.gateway.intake import Intake
from aa_auth.gateway.limits import Buckets
from aa_auth.gateway.metrics import Metrics
from aa_auth.gateway.operator import Operator
from aa_auth.gateway.relay import Relay
from aa_auth.gateway.settings import Settings
from aa_auth.gateway.settler import Settler
from aa_auth.gateway.store import open_store

__all__ = ["Gateway", "Wakeups"]

log = logging.getLogger("aa_auth.gateway")
LEAD_POLL = 0.5  # seconds between looks at the leadership: a dead leader's successor starts within it


class Wakeups:
    """Wakes the event streams (asyncio) when a store write commits (in any thread)."""

    def __init__(self) -> None:
        self._events: set[asyncio.Event] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()

    def subscribe(self) -> asyncio.Event:
        event = asyncio.Event()
        with self._lock:
            self._loop = asyncio.get_running_loop()
            self._events.add(event)
        return event

    def unsubscribe(self, event: asyncio.Event) -> None:
        with self._lock:
            self._events.discard(event)

    def notify(self) -> None:
        with self._lock:
            loop, events = self._loop, list(self._events)
        if loop is not None and not loop.is_closed():
            for event in events:
                loop.call_soon_threadsafe(event.set)


class Gateway:
    """The parts of one gateway, wired to one node, one operator key and one database."""

    def __init__(self, settings: Settings, operator_key: LocalAccount, chain: Chain | None = None) -> None:
        self.settings = settings
        self.chain = chain if chain is not None else Chain.connect(settings.rpc_url)
        self.metrics = Metrics()
        self.store = open_store(settings.db, self.chain.chain_id, settings.venue)
        self.wakeups = Wakeups()
        self.store.listeners.append(self.wakeups.notify)
        self.follower = Follower(self.chain, settings, self.store, self.metrics.rejected)
        self.intake = Intake(settings, self.store, self.follower, self.metrics)
        self.operator = Operator(self.chain, operator_key, FeePolicy(confirmations=settings.confirmations))
        self.settler = Settler(self.chain, settings, self.store, self.follower, self.operator, self.metrics)
        self.relay = Relay(self.chain, settings, self.store, self.follower, self.operator, self.metrics)
        self.clients = Buckets(settings.client_rate, settings.client_burst)
        self.stopping = threading.Event()  # set: no new batches, event streams end
        self._stop_following = threading.Event()  # set after the settler is done
        self._follower: threading.Thread | None = None
        self._leadership: threading.Thread | None = None
        self._settler: threading.Thread | None = None
        self._stop_settling = threading.Event()
        self._lost = threading.Event()  # set with _stop_settling when the lead was lost (no drain)

    @property
    def leading(self) -> bool:
        return self._settler is not None

    def start(self) -> None:
        self.follower.start()
        self.stopping.clear()
        self._stop_following.clear()
        self._follower = threading.Thread(target=self.follower.run, args=(self._stop_following,), name="gateway-follower",
                                          daemon=True)
        self._leadership = threading.Thread(target=self._lead, name="gateway-leadership", daemon=True)
        self._follower.start()
        self._lead_once()  # before serving: a leader pulls what the chain refused while it was down first
        self._leadership.start()
        log.info("gateway: following chain %d from block %d; venue %s, operator %s", self.follower.chain_id,
                 self.follower.head, self.settings.venue, self.operator.address)

    def _lead(self) -> None:
        while not self.stopping.wait(LEAD_POLL):
            self._lead_once()

    def _lead_once(self) -> None:
        try:
            self._take_or_hand_over()
        except NODE_ERRORS as exc:  # the node or the database failed while taking the lead: the next look tries again
            log.warning("gateway: leadership: %s: %s", exc.__class__.__name__, exc)

    def _take_or_hand_over(self) -> None:
        leads = self.store.leads()
        if leads and self._settler is not None and not self._settler.is_alive() and not self.stopping.is_set():
            log.error("gateway: the settler thread died (see the error above); starting it again")
            self._settler = None
        if leads and self._settler is None and not self.stopping.is_set():
            self.follower.lead()
            self._stop_settling, self._lost = threading.Event(), threading.Event()
            self._settler = threading.Thread(target=self.settler.run, args=(self._stop_settling, self._lost),
                                             name="gateway-settler", daemon=True)
            self._settler.start()
            log.info("gateway: this process leads: it settles and pulls held orders")
        elif not leads and self._settler is not None:
            self.follower.follow()
            self._lost.set()
            self._stop_settling.set()
            self._settler.join(timeout=60)
            self._settler = None
            log.warning("gateway: this process no longer leads; it serves the API only")

    def stop(self) -> None:
        """Stop sending batches, let the one in flight finish (the follower keeps reading the blocks it needs),
        then stop following."""
        self.stopping.set()
        self.wakeups.notify()
        if self._leadership is not None:
            self._leadership.join(timeout=70)
        if self._settler is not None:
            self._stop_settling.set()
            self._settler.join(timeout=60)
        self._stop_following.set()
        if self._follower is not None:
            self._follower.join(timeout=30)
        self.store.close()
