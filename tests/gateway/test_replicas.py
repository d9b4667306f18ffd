"""Several `aa-auth gateway serve` processes on one real PostgreSQL database (SPEC 14.6), over real anvil.

Every replica is a real uvicorn process with its own operator key; they share nothing but the
database (one test runs two gateways in this process, to hold one's follower back). Each test gets a fresh database on one server per module; the tests that stop the node
or leave blocks unmined run their own anvil.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from aa_auth.chain.connection import Chain
from aa_auth.chain.logs import fetch_events
from aa_auth.contracts.stack import Stack, deploy_stack
from aa_auth.gateway.app import Gateway, serving
from aa_auth.gateway.store.postgres import MIGRATION_LOCK, MIGRATIONS
from aa_auth.protocol.orders import SignedOrder
from aa_auth.protocol.signer import OrderSigner
from tests.anvil import running_anvil
from tests.gateway.conftest import Node
from tests.gateway.harness import (Client, fresh_key, free_port, new_account, settings_for, start_gateway, stop_gateway,
                                   until, wait_serving, wire)
from tests.gateway.test_store_backends import fresh_database
from tests.gateway.test_watch import read_events
from tests.integration._operator import write_keystore
from tests.postgres import Server, postgres_server

pytestmark = pytest.mark.anvil
_names = itertools.count()


@pytest.fixture(scope="module")
def pg() -> Iterator[Server]:
    with postgres_server() as server:
        yield server


@dataclass
class Replica:
    process: Any
    port: int
    log: Path
    client: Client

    @property
    def leads(self) -> bool:
        text = self.log.read_text(errors="replace")
        return text.rfind("this process leads") > text.rfind("no longer leads")


@dataclass
class Cluster:
    chain: Chain
    stack: Stack
    db: str
    replicas: list[Replica]
    bot: Any

    def leader(self, timeout: float = 20.0) -> Replica:
        leaders = until(lambda: [r for r in self.replicas if r.process.poll() is None and r.leads], timeout, "a leader")
        assert len(leaders) == 1, [r.port for r in leaders]
        return leaders[0]

    def sql(self, query: str, *args: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.db) as conn:
            return conn.execute(query, args).fetchall()  # type: ignore[arg-type]


def _mine(chain: Chain) -> None:
    chain.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]


@contextmanager
def cluster(url: str, stack: Stack, db: str, tmp_path: Path, count: int, *flags: str, wait: bool = True,
            **grant: Any) -> Iterator[Cluster]:
    """`count` replicas started at once on the database `db`, a fresh account, and a bot granted on it."""
    chain = Chain.connect(url)
    account, owner = new_account(chain, stack)
    nonces: dict[str, int] = {}
    with ExitStack() as stack_:
        replicas = []
        for _ in range(count):
            port = free_port()
            keystore = write_keystore(tmp_path / f"keys-{next(_names)}", fresh_key(chain, "operator", 100))
            process, log = start_gateway(url, stack, keystore, db, port, tmp_path, "--client-rate", "1000",
                                         "--client-burst", "10000", *flags)
            stack_.callback(stop_gateway, process)
            http = stack_.enter_context(httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30))
            replicas.append(Replica(process, port, log, Client(chain, stack, f"http://127.0.0.1:{port}", http, account,
                                                               owner, nonces)))
        if wait:
            for replica in replicas:
                wait_serving(replica.process, replica.port)
        bot = replicas[0].client.grant(**grant)
        if wait:
            for replica in replicas:
                replica.client.followed()
        yield Cluster(chain, stack, db, replicas, bot)


def _post(replica: Replica, orders: list[SignedOrder]) -> tuple[int, Any]:
    response = replica.client.http.post("/v1/orders", json={"orders": [wire(o) for o in orders]})
    return response.status_code, response.json()


def _chain_outcomes(chain: Chain, stack: Stack) -> Counter[tuple[str, str]]:
    """(digest, event name) counts of the venue's OrderSettled and OrderRejected events."""
    logs = fetch_events(chain, "ReferenceVenue", stack.venue, 0, int(chain.w3.eth.block_number))
    return Counter((e.args["digest"], e.name) for e in logs if e.name in ("OrderSettled", "OrderRejected"))


def _each_final_once(c: Cluster, digests: list[bytes]) -> None:
    """Each order ended settled or rejected exactly once in the database's log, and the chain agrees."""
    outcomes = _chain_outcomes(c.chain, c.stack)
    for digest in digests:
        finals = c.sql("SELECT status FROM events WHERE digest = %s AND status IN ('settled', 'rejected')", digest)
        assert len(finals) == 1, ("0x" + digest.hex(), finals)
        shown = "0x" + digest.hex()
        if finals[0][0] == "settled":
            assert outcomes[(shown, "OrderSettled")] == 1 and outcomes[(shown, "OrderRejected")] == 0, shown
        else:
            assert outcomes[(shown, "OrderSettled")] == 0, shown


def test_the_same_order_and_two_orders_with_one_nonce_posted_at_once_to_two_replicas_hold_one(
        node: Node, pg: Server, tmp_path: Path) -> None:
    with cluster(node.url, node.stack, fresh_database(pg), tmp_path, 2, "--batch-wait", "3600") as c:
        first, second = c.replicas
        other_key = first.client.grant()
        for replica in c.replicas:
            replica.client.followed()
        rounds = 8
        for _ in range(rounds):
            same = first.client.sign(c.bot)
            nonce = first.client.nonces["next"]
            one = first.client.sign(c.bot, nonce=nonce, size=2 * 10**18)
            other = first.client.sign(c.bot, nonce=nonce, size=3 * 10**18)
            # Two keys signing the very same order share its digest: two hold rows, one unique digest.
            mine = first.client.sign(c.bot, size=4 * 10**18)
            theirs = OrderSigner(other_key.key, c.chain.chain_id, first.client.account.address).sign(mine.order)
            start = threading.Barrier(6)

            def post(replica: Replica, order: SignedOrder) -> dict[str, Any]:
                start.wait(10)
                code, body = _post(replica, [order])
                assert code == 200, body
                return body["results"][0]  # type: ignore[no-any-return]
            with ThreadPoolExecutor(6) as pool:
                results = list(pool.map(post, [first, second, first, second, first, second],
                                        [same, same, one, other, mine, theirs]))
            assert [r["status"] for r in results[:2]] == ["accepted", "accepted"]  # idempotent: the one stored order
            assert sorted((r["status"], r["reason"]) for r in results[2:4]) == [
                ("accepted", "Authorized"), ("rejected", "NonceAlreadyUsed")]
            assert sorted((r["status"], r["reason"]) for r in results[4:]) == [
                ("accepted", "Authorized"), ("rejected", "DuplicateDigest")]
        rows = c.sql("SELECT nonce, count(*) FROM orders WHERE status <> 'rejected' GROUP BY nonce")
        assert len(rows) == 3 * rounds and all(count == 1 for _, count in rows)


def test_three_replicas_racing_a_window_cap_accept_exactly_the_cap_and_every_accepted_order_settles(
        node: Node, pg: Server, tmp_path: Path) -> None:
    cap = 12
    with cluster(node.url, node.stack, fresh_database(pg), tmp_path, 3, "--batch-wait", "0.3",
                 max_orders_per_window=cap, window_seconds=3_600) as c:
        orders = [c.replicas[0].client.sign(c.bot) for _ in range(45)]
        # 3 clients per replica, each posting its share in requests of 1 or 2 orders.
        shares = [orders[i::9] for i in range(9)]

        def client(i: int) -> list[dict[str, Any]]:
            replica, got = c.replicas[i % 3], []
            share = shares[i]
            for at in range(0, len(share), 1 + i % 2):
                code, body = _post(replica, share[at:at + 1 + i % 2])
                assert code == 200, body
                got += body["results"]
            return got
        with ThreadPoolExecutor(9) as pool:
            results = [r for rs in pool.map(client, range(9)) for r in rs]
        accepted = [r["digest"] for r in results if r["status"] == "accepted"]
        assert len(accepted) == cap
        assert {r["reason"] for r in results if r["status"] == "rejected"} == {"RateLimited"}
        for digest in accepted:
            c.replicas[0].client.wait_status(digest, "settled", timeout=60)
        _each_final_once(c, [bytes.fromhex(d[2:]) for d in accepted])
        # The window is full on chain now, held nothing: every replica refuses more (its follower caught up with
        # the leader's settlements before deciding).
        for replica in c.replicas:
            (late,) = replica.client.post(replica.client.sign(c.bot))
            assert (late["status"], late["reason"]) == ("rejected", "RateLimited")


def test_a_replica_that_does_not_lead_streams_the_events_the_leader_writes(node: Node, pg: Server, tmp_path: Path) -> None:
    with cluster(node.url, node.stack, fresh_database(pg), tmp_path, 2, "--batch-wait", "0.3") as c:
        leader = c.leader()
        (follower,) = [r for r in c.replicas if r is not leader]
        signed = leader.client.sign(c.bot)
        started = time.monotonic()
        events = read_events(follower.client, 3, then=lambda: leader.client.post(signed))
        # Every event was written by the leader's process; the stream woke on each (LISTEN/NOTIFY), not on its
        # 15-second keep-alive.
        assert time.monotonic() - started < 13
        assert [(e["data"]["digest"], e["data"]["status"]) for e in events] == [
            ("0x" + signed.digest.hex(), status) for status in ("accepted", "submitted", "settled")]


def test_a_replica_whose_follower_lags_the_leaders_settlement_does_not_overrun_the_window(
        node: Node, pg: Server, tmp_path: Path) -> None:
    """The leader settles the whole window and releases its holds; a replica that has not followed those blocks
    yet would see neither holds nor settlements. It must follow up to the settled block before deciding."""
    cap, db = 3, fresh_database(pg)
    account, owner = new_account(node.chain, node.stack)
    with ExitStack() as running:
        clients = []
        for poll in (0.1, 30.0):  # the second replica's follower would not look again for 30 s
            settings = replace(settings_for(node.url, node.stack, tmp_path / "unused.db", poll_interval=poll), db=db)
            gateway = Gateway(settings, fresh_key(node.chain, "operator", 100), Chain.connect(node.url))
            url = running.enter_context(serving(gateway, free_port()))
            http = running.enter_context(httpx.Client(base_url=url, timeout=30))
            clients.append((gateway, Client(node.chain, node.stack, url, http, account, owner,
                                            clients[0][1].nonces if clients else {})))
            if not clients[1:]:
                until(lambda: gateway.leading, 10, "the first replica to lead")
                bot = clients[0][1].grant(max_orders_per_window=cap, window_seconds=3_600)
                clients[0][1].followed()
        (leader, first), (lagging, second) = clients
        assert not lagging.leading
        held = [first.sign(bot) for _ in range(cap)]
        assert {r["status"] for r in first.post(*held)} == {"accepted"}
        for signed in held:
            first.wait_status(signed.digest, "settled")
        assert lagging.follower.head < int(node.chain.w3.eth.block_number)  # it has not followed the settlement
        (late,) = second.post(second.sign(bot))
        assert (late["status"], late["reason"]) == ("rejected", "RateLimited")


def test_the_leader_killed_with_sigkill_mid_batch_another_takes_over_and_each_order_ends_once(
        pg: Server, tmp_path: Path) -> None:
    with running_anvil() as url:
        chain = Chain.connect(url)
        stack = deploy_stack(chain, fresh_key(chain, "deployer", 100))
        with cluster(url, stack, fresh_database(pg), tmp_path, 3, "--batch-wait", "0.3") as c:
            leader = c.leader()
            others = [r for r in c.replicas if r is not leader]
            chain.w3.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]
            sent = [others[0].client.sign(c.bot) for _ in range(5)]
            assert {r["status"] for r in others[0].client.post(*sent)} == {"accepted"}
            until(lambda: all(others[1].client.status(o.digest)["status"] == "submitted" for o in sent), 20,
                  "the batch to be sent (it stays unmined)")
            in_flight = {others[1].client.status(o.digest)["txHash"] for o in sent}
            assert len(in_flight) == 1
            leader.process.kill()  # SIGKILL after sending, before the receipt
            leader.process.wait(timeout=10)
            killed_at = time.monotonic()
            later = [others[1].client.sign(c.bot) for _ in range(3)]
            assert {r["status"] for r in others[1].client.post(*later)} == {"accepted"}
            successor = c.leader(timeout=15)
            assert successor in others and time.monotonic() - killed_at < 0.3 + 8  # --batch-wait plus a few seconds
            chain.w3.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]

            def final() -> bool:
                _mine(chain)
                return all(others[0].client.status(o.digest)["status"] in ("settled", "rejected") for o in sent + later)
            until(final, 60, "every accepted order to end")
            assert {others[0].client.status(o.digest)["status"] for o in sent + later} == {"settled"}
            # The dead leader's transaction was followed up from its recorded hash, not sent again.
            assert {others[0].client.status(o.digest)["txHash"] for o in sent} == in_flight
            _each_final_once(c, [o.digest for o in sent + later])
            assert c.sql("SELECT count(*) FROM batches WHERE state = 'sent'") == [(0,)]


def test_postgres_restarted_under_load_answers_503_and_loses_no_accepted_order(
        node: Node, pg: Server, tmp_path: Path) -> None:
    with cluster(node.url, node.stack, fresh_database(pg), tmp_path, 2, "--batch-wait", "0.3") as c:
        orders = [c.replicas[0].client.sign(c.bot) for _ in range(120)]
        answers: list[tuple[int, Any, list[SignedOrder]]] = []
        lock = threading.Lock()
        restarted = threading.Event()

        def client(i: int) -> None:
            share = orders[i::4]
            for at in range(0, len(share), 2):
                chunk = share[at:at + 2]
                try:
                    code, body = _post(c.replicas[i % 2], chunk)
                except httpx.HTTPError as exc:  # a replica that stopped answering would fail the test below
                    code, body = -1, repr(exc)
                with lock:
                    answers.append((code, body, chunk))
                time.sleep(0.1)
        with ThreadPoolExecutor(5) as pool:
            clients = [pool.submit(client, i) for i in range(4)]
            time.sleep(1.0)
            pool.submit(lambda: (pg.stop(), time.sleep(3.0), pg.start(), restarted.set()))
            for done in clients:
                done.result(timeout=120)
        assert restarted.is_set()
        codes = Counter(code for code, _, _ in answers)
        assert set(codes) <= {200, 503}, codes
        assert codes[503] > 0, "no request fell in the outage"
        for code, body, _ in answers:
            if code == 503:
                assert body["error"]["type"] == "StateUnavailable" and "database" in body["error"]["message"], body
        acknowledged = [r["digest"] for code, body, _ in answers if code == 200 for r in body["results"]
                        if r["status"] == "accepted"]
        assert acknowledged
        for digest in acknowledged:  # durably stored before the answer: none missing after the restart
            c.replicas[1].client.wait_status(digest, "settled", timeout=60)
        _each_final_once(c, [bytes.fromhex(d[2:]) for d in acknowledged])


def test_the_node_unreachable_degrades_every_replica_and_they_recover(pg: Server, tmp_path: Path) -> None:
    port, state = free_port(), tmp_path / "anvil-state.json"
    with ExitStack() as node:
        url = node.enter_context(running_anvil(port=port, extra_args=("--state", str(state))))
        chain = Chain.connect(url)
        stack = deploy_stack(chain, fresh_key(chain, "deployer", 100))
        with cluster(url, stack, fresh_database(pg), tmp_path, 2, "--batch-wait", "0.3", "--max-lag", "2") as c:
            before = c.replicas[0].client.sign(c.bot)
            c.replicas[0].client.post(before)
            c.replicas[1].client.wait_status(before.digest, "settled")
            during = [replica.client.sign(c.bot) for replica in c.replicas]  # signing reads the node's clock
            node.close()  # anvil stops
            for replica, signed in zip(c.replicas, during):
                until(lambda: replica.client.http.get("/healthz").status_code == 503, 20, "every replica to degrade")
                (refused,) = replica.client.post(signed)
                assert (refused["status"], refused["reason"]) == ("rejected", "StateUnavailable")
            with running_anvil(port=port, extra_args=("--state", str(state))):
                for replica, signed in zip(c.replicas, during):
                    until(lambda: replica.client.http.get("/healthz").status_code == 200, 30, "every replica to recover")
                    assert replica.client.post(signed)[0]["status"] == "accepted"
                after = during
                for signed in after:
                    c.replicas[0].client.wait_status(signed.digest, "settled", timeout=60)
                _each_final_once(c, [before.digest] + [s.digest for s in after])


def test_a_replica_started_while_another_runs_migrations_waits_then_serves(
        node: Node, pg: Server, tmp_path: Path) -> None:
    db = fresh_database(pg)
    with psycopg.connect(db) as migrating:  # another process is mid-migration: it holds the lock in its transaction
        migrating.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        with cluster(node.url, node.stack, db, tmp_path, 2, "--batch-wait", "0.3", wait=False) as c:
            time.sleep(3.0)
            for replica in c.replicas:
                assert replica.process.poll() is None  # waiting for the schema, not failing on half of it
                with pytest.raises(httpx.HTTPError):
                    httpx.get(f"http://127.0.0.1:{replica.port}/healthz", timeout=1)
            migrating.rollback()
            for replica in c.replicas:
                wait_serving(replica.process, replica.port)
                replica.client.followed()
            c.leader()
            signed = c.replicas[1].client.sign(c.bot)
            assert c.replicas[1].client.post(signed)[0]["status"] == "accepted"
            c.replicas[0].client.wait_status(signed.digest, "settled")
            assert c.sql("SELECT version FROM schema_migrations ORDER BY version") == [
                (v,) for v in range(1, len(MIGRATIONS) + 1)]

