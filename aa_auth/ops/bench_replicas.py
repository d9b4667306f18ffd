"""The gateway's scale-out rows (issue 12): accepted orders per second with 1, 2 and 3 replicas on
PostgreSQL beside the single SQLite process, under the same load.

The load: CLIENTS client processes, each a bot of its own account posting its share in posts of
BATCH orders over one keep-alive connection, spread over the replicas (client i on replica
i mod n); every post's latency is kept. Intake only (nothing is sent while measuring, as in
bench_gateway). Both databases commit durably: SQLite `synchronous=FULL` on disk, PostgreSQL with
fsync on, in temporary folders on the same disk. The orders are signed once and posted again to
each setup (each has a fresh database, and nothing reaches the chain). Every process (anvil,
PostgreSQL, the replicas, the clients) shares this machine's cores, so the total is also given
per core.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import statistics
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

from aa_auth.chain.anvil import running_anvil
from aa_auth.chain.connection import Chain
from aa_auth.contracts.stack import deploy_stack
from aa_auth.errors import ChainError
from aa_auth.ops.bench_gateway import BATCH, HOLD, E, bench_key, gateway_process, market_orders, trader
from aa_auth.ops.gateway_client import GatewayClient, signed_order_json
from aa_auth.ops.postgres_server import create_database, postgres_server

__all__ = ["CLIENTS", "Load", "measure_replicas"]

CLIENTS = 4
REPLICAS = (1, 2, 3)


@dataclass(frozen=True)
class Load:
    """One setup's figures under the load."""

    setup: str
    processes: int
    rate: float  # orders accepted per second, all clients together
    per_core: float
    p50_ms: float  # one post of BATCH orders
    p99_ms: float


def _client(port: int, warm: bytes, bodies: list[bytes], ready: Barrier, out: Any) -> None:
    """One client process: a warm-up post, then (once every client is ready) its posts, timed."""
    client = GatewayClient(port, timeout=120)

    def post(body: bytes) -> int:
        client.connection.request("POST", "/v1/orders", body, {"content-type": "application/json"})
        response = client.connection.getresponse()
        answer = json.loads(response.read())
        if response.status != 200:
            raise ChainError(f"the gateway answered {response.status}: {answer}")
        return sum(r["status"] == "accepted" for r in answer["results"])
    post(warm)
    ready.wait(120)
    began, latencies, accepted = time.monotonic(), [], 0
    for body in bodies:
        started = time.monotonic()
        accepted += post(body)
        latencies.append((time.monotonic() - started) * 1_000)
    out.put((began, time.monotonic(), latencies, accepted))


def _drive(ports: list[int], warm: list[bytes], bodies: list[list[bytes]]) -> tuple[float, float, float]:
    """(orders accepted per second, p50 and p99 of a post in ms) with client i on ports[i % len(ports)]."""
    context = multiprocessing.get_context("fork")  # the clients need nothing but their bodies: no re-import
    ready, out = context.Barrier(len(bodies)), context.Queue()
    clients = [context.Process(target=_client, args=(ports[i % len(ports)], warm[i], bodies[i], ready, out), daemon=True)
               for i in range(len(bodies))]
    for process in clients:
        process.start()
    try:
        results = [out.get(timeout=300) for _ in clients]
    finally:
        for process in clients:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
    if any(process.exitcode for process in clients):
        raise ChainError("a benchmark client failed (see its traceback above)")
    accepted = sum(r[3] for r in results)
    if accepted != sum(len(b) for b in bodies) * BATCH:
        raise ChainError("every benchmark order must be accepted")
    elapsed = max(r[1] for r in results) - min(r[0] for r in results)
    cuts = statistics.quantiles([ms for r in results for ms in r[2]], n=100)
    return accepted / elapsed, cuts[49], cuts[98]


def measure_replicas(clients: int = CLIENTS, posts: int = 20) -> tuple[Load, ...]:
    """The SQLite process, then 1, 2 and 3 replicas on PostgreSQL, each under `clients` x `posts` posts of BATCH."""
    cores = os.cpu_count() or 1
    with running_anvil() as url, postgres_server(durable=True) as pg, tempfile.TemporaryDirectory(prefix="aa-auth-bench-") as tmp:
        folder = Path(tmp)
        chain = Chain.connect(url)
        deployer = bench_key("deployer")
        operators = [bench_key(f"replica operator {i}") for i in range(max(REPLICAS))]
        for funded in (deployer, *operators):
            chain.fund(funded.address, 1_000 * E)
        stack = deploy_stack(chain, deployer)
        deadline = chain.timestamp() + 86_400
        warm, bodies = [], []
        for i in range(clients):
            _, signer = trader(chain, stack, deployer, f"replicas client {i}")
            orders = market_orders(signer, stack.venue, 0, (posts + 1) * BATCH, deadline)
            encoded = [json.dumps({"orders": [signed_order_json(o) for o in orders[at:at + BATCH]]}).encode()
                       for at in range(0, len(orders), BATCH)]
            warm.append(encoded[0])
            bodies.append(encoded[1:])
        loads = []
        setups = [("SQLite, 1 process", [f"sqlite:///{folder / 'gateway.db'}"])]
        setups += [(f"PostgreSQL, {n} replica{'s' if n > 1 else ''}", [create_database(pg, f"bench_{n}")] * n) for n in REPLICAS]
        for setup, dbs in setups:
            with ExitStack() as running:
                gateways = [running.enter_context(gateway_process(url, stack, operators[i], db, folder / f"{setup} {i}", *HOLD))
                            for i, db in enumerate(dbs)]
                rate, p50, p99 = _drive([g.port for g in gateways], warm, bodies)
            loads.append(Load(setup, len(dbs), rate, rate / cores, p50, p99))
    return tuple(loads)
