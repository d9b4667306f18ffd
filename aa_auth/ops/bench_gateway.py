"""The gateway's benchmark rows (issue 11): intake throughput beside the bare decision, single-post
latency, on a RAM disk and on disk, and settlement gas through the gateway beside `settle` itself.

One gateway process (`aa-auth gateway serve`, a subprocess: it owns its interpreter and GIL) on
loopback, over anvil from node_modules; the client keeps one HTTP connection alive.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from aa_auth.chain.anvil import free_port, running_anvil, stop_process
from aa_auth.chain.connection import Chain
from aa_auth.contracts.account import SmartAccount
from aa_auth.contracts.stack import Stack, create_account, deploy_stack
from aa_auth.contracts.venue import Venue
from aa_auth.errors import ChainError
from aa_auth.ops.gateway_client import GatewayClient
from aa_auth.protocol.orders import Order, SignedOrder
from aa_auth.protocol.scope import market_limit, scope
from aa_auth.protocol.signer import OrderSigner
from aa_auth.protocol.verify import Verifier

__all__ = ["BATCH", "HOLD", "Figures", "bench_key", "Intake", "gateway_process", "market_orders", "measure_gateway", "trader"]

E = 10**18
BATCH = 100
HOLD = ("--batch-wait", "3600", "--batch-max", "1000000")  # intake only: nothing is sent while measuring


@dataclass(frozen=True)
class Intake:
    """One store's figures: orders/s posted in batches of BATCH beside the bare decision's, and single-post latency."""

    where: str
    rate: float
    bare_rate: float
    p50_us: float
    p99_us: float


@dataclass(frozen=True)
class Figures:
    intake: tuple[Intake, ...]
    gas_per_order: float  # settling BATCH orders through the gateway
    direct_gas_per_order: float  # Venue.settle sent directly, the same batch shape


def bench_key(name: str) -> LocalAccount:
    key: LocalAccount = Account.from_key(keccak(text=f"aa-auth gateway bench: {name}"))
    return key


@contextmanager
def gateway_process(url: str, stack: Stack, operator: LocalAccount, db: str, folder: Path, *flags: str) -> Iterator[GatewayClient]:
    """`aa-auth gateway serve --db db` as its own process (its keystore in `folder`), limits off; yields a keep-alive
    client once it is healthy."""
    folder.mkdir(parents=True, exist_ok=True)
    keystore, password = folder / "operator.json", folder / "operator.password"
    password.write_text("bench\n")
    keystore.write_text(json.dumps(Account.encrypt(operator.key, "bench", kdf="pbkdf2", iterations=1_000)))
    port = free_port()
    command = [sys.executable, "-m", "aa_auth", "--quiet", "gateway", "serve", "--rpc-url", url, "--venue", stack.venue,
               "--factory", stack.factory, "--keystore", str(keystore), "--password-file", str(password),
               "--db", db, "--port", str(port), "--client-rate", "1e9", "--signer-rate", "1e9",
               "--signer-burst", "1000000000", "--client-burst", "1000000000", *flags]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                client = GatewayClient(port)
                client.get("/healthz")
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise ChainError("the benchmark's gateway did not start") from None
                time.sleep(0.1)
        yield client
    finally:
        stop_process(process, timeout=60)


def trader(chain: Chain, stack: Stack, deployer: LocalAccount, name: str) -> tuple[SmartAccount, OrderSigner]:
    owner, bot = bench_key(f"{name} owner"), bench_key(f"{name} bot")
    account, _ = create_account(chain, stack, deployer, owner.address)
    chain.fund(owner.address, 10 * E)
    account.grant(owner, bot.address, scope(valid_until=chain.timestamp() + 86_400, venues=[stack.venue],
                                            markets=[market_limit(1)]))
    return account, OrderSigner(bot.key, chain.chain_id, account.address)


def market_orders(signer: OrderSigner, venue: str, first: int, count: int, deadline: int) -> list[SignedOrder]:
    """Market-maker orders (buy 2, sell 1, ...), each with its own nonce."""
    return [signer.sign(Order(venue, 1, n % 2 == 0, (2 if n % 2 == 0 else 1) * E, 100 * E + n, n, deadline))
            for n in range(first, first + count)]


def _intake(client: GatewayClient, bulk: list[SignedOrder], singles: list[SignedOrder], rounds: int) -> tuple[float, float, float]:
    """(orders accepted per second in posts of BATCH: the best of `rounds` equal rounds, as the bare decision's
    best run, after one warm-up post; p50 and p99 of a single-order post in µs)."""
    def post(orders: list[SignedOrder]) -> None:
        if {r["status"] for r in client.post_orders(orders)} != {"accepted"}:
            raise ChainError("every benchmark order must be accepted")
    post(bulk[:BATCH])
    per_round = (len(bulk) - BATCH) // rounds
    best = 0.0
    for start in range(BATCH, BATCH + rounds * per_round, per_round):
        began = time.perf_counter()
        for i in range(start, start + per_round, BATCH):
            post(bulk[i:i + BATCH])
        best = max(best, per_round / (time.perf_counter() - began))
    latencies = []
    for signed in singles:
        began_ns = time.perf_counter_ns()
        post([signed])
        latencies.append((time.perf_counter_ns() - began_ns) / 1_000)
    cuts = statistics.quantiles(latencies, n=100)
    return best, cuts[49], cuts[98]


def measure_gateway(orders: int = 2_100, singles: int = 400, rounds: int = 4) -> Figures:
    intake: list[Intake] = []
    with running_anvil() as url, tempfile.TemporaryDirectory(prefix="aa-auth-bench-") as on_disk, \
            tempfile.TemporaryDirectory(prefix="aa-auth-bench-", dir="/dev/shm" if Path("/dev/shm").is_dir() else None) as in_ram:
        chain = Chain.connect(url)
        deployer, operator = bench_key("deployer"), bench_key("operator")
        for funded in (deployer, operator):
            chain.fund(funded.address, 1_000 * E)
        stack = deploy_stack(chain, deployer)
        deadline = chain.timestamp() + 86_400
        for where, folder in (("RAM disk", in_ram), ("disk", on_disk)):
            account, signer = trader(chain, stack, deployer, where)
            bulk = market_orders(signer, stack.venue, 0, orders, deadline)
            single = market_orders(signer, stack.venue, orders, singles, deadline)
            state = account.state([signer.address], {(signer.address, n >> 8) for n in range(orders + singles)})
            pairs = [(s.order, s.signature) for s in bulk]
            verifier = Verifier(state)
            if not all(d.ok for d in verifier.check_many(pairs)):
                raise ChainError("the bare decision must authorize every benchmark order")
            bare = len(pairs) / min(_timed(lambda: verifier.check_many(pairs)) for _ in range(rounds))
            with gateway_process(url, stack, operator, f"sqlite:///{Path(folder) / 'gateway.db'}", Path(folder), *HOLD) as client:
                rate, p50, p99 = _intake(client, bulk, single, rounds)
            intake.append(Intake(where, rate, bare, p50, p99))
        gas, direct = _settlement_gas(url, chain, stack, deployer, operator, Path(on_disk) / "settle.db", deadline)
    return Figures(tuple(intake), gas, direct)


def _settlement_gas(url: str, chain: Chain, stack: Stack, deployer: LocalAccount, operator: LocalAccount, db: Path,
                    deadline: int) -> tuple[float, float]:
    """Gas per order of the gateway's first batch of BATCH, beside `settle` sent directly for the same batch shape."""
    _, direct_signer = trader(chain, stack, deployer, "direct")
    direct = Venue(chain, stack.venue).settle(deployer, market_orders(direct_signer, stack.venue, 0, BATCH, deadline))
    _, signer = trader(chain, stack, deployer, "through the gateway")
    batch = market_orders(signer, stack.venue, 0, BATCH, deadline)
    with gateway_process(url, stack, operator, f"sqlite:///{db}", db.parent, "--batch-max", str(BATCH), "--batch-wait",
                         "3600") as client:
        client.post_orders(batch)
        finished = time.monotonic() + 60
        while (status := client.get(f"/v1/orders/0x{batch[0].digest.hex()}"))["status"] != "settled":
            if time.monotonic() > finished:
                raise ChainError("the gateway's batch did not settle within 60 s")
            time.sleep(0.1)
    receipt = chain.w3.eth.get_transaction_receipt(status["txHash"])
    settled = [o for o in Venue(chain, stack.venue).outcomes(receipt) if o.settled]
    if len(settled) != BATCH or not all(o.settled for o in direct.outcomes):
        raise ChainError("every order of both batches must settle")
    return receipt["gasUsed"] / BATCH, direct.gas_used / BATCH


def _timed(work: Callable[[], object]) -> float:
    began = time.perf_counter()
    work()
    return time.perf_counter() - began
