"""A gateway on real uvicorn (a thread, or `aa-auth gateway serve` as a process, on a free loopback port) over
real anvil, and a bot that talks to it."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import httpx
from eth_account.signers.local import LocalAccount

from aa_auth.chain.anvil import free_port
from aa_auth.chain.connection import Chain
from aa_auth.contracts.account import SmartAccount
from aa_auth.contracts.stack import Stack, create_account
from aa_auth.gateway.app import Gateway, serving
from aa_auth.gateway.settings import Settings
from aa_auth.ops.gateway_client import signed_order_json
from aa_auth.protocol.orders import Order, SignedOrder
from aa_auth.protocol.scope import Scope, market_limit, scope
from aa_auth.protocol.signer import OrderSigner
from tests.conftest import named_key

E = 10**18
MARKET = 1
_names = itertools.count()
T = TypeVar("T")


def fresh_key(chain: Chain, what: str, ether: int = 10) -> LocalAccount:
    """A funded key no earlier test used (one anvil serves a whole module)."""
    key = named_key(f"gateway {what} {next(_names)} {time.monotonic_ns()}")
    if ether:
        chain.fund(key.address, ether * E)
    return key


def until(check: Callable[[], T | None], timeout: float = 20.0, what: str = "the condition") -> T:
    """Poll `check` until it returns something truthy; bounded in time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@dataclass
class Client:
    """A gateway at `url` serving a fresh account, and helpers to act as the account's owner and its bots."""

    chain: Chain
    stack: Stack
    url: str
    http: httpx.Client
    account: SmartAccount
    owner: LocalAccount
    nonces: dict[str, int] = field(default_factory=dict)

    def now(self) -> int:
        return self.chain.timestamp()

    def scope(self, **overrides: Any) -> Scope:
        fields: dict[str, Any] = dict(valid_after=0, valid_until=self.now() + 3_600, venues=[self.stack.venue],
                                      markets=[market_limit(MARKET, max_order_size=10 * E, min_price=E, max_price=1_000 * E)])
        fields.update(overrides)
        return scope(**fields)

    def grant(self, key: LocalAccount | None = None, **overrides: Any) -> LocalAccount:
        """Grant a new (or the given) key on chain, as the owner."""
        key = key or named_key(f"bot {next(_names)} {time.monotonic_ns()}")
        self.account.grant(self.owner, key.address, self.scope(**overrides))
        return key

    def order(self, signer: LocalAccount, **overrides: Any) -> Order:
        # One sequence for all signers: two keys signing the very same order would share a digest.
        nonce = self.nonces.get("next", 0)
        self.nonces["next"] = nonce + 1
        fields: dict[str, Any] = dict(venue=self.stack.venue, market=MARKET, is_buy=True, size=E, price=100 * E,
                                      nonce=nonce, deadline=self.now() + 600)
        fields.update(overrides)
        return Order(**fields)

    def sign(self, signer: LocalAccount, account: str | None = None, **overrides: Any) -> SignedOrder:
        return OrderSigner(signer.key, self.chain.chain_id, account or self.account.address).sign(self.order(signer, **overrides))

    def post(self, *orders: SignedOrder | dict[str, Any], expect: int = 200) -> list[dict[str, Any]]:
        response = self.http.post("/v1/orders", json={"orders": [wire(o) for o in orders]})
        assert response.status_code == expect, response.text
        results: list[dict[str, Any]] = response.json()["results"]
        return results

    def status(self, digest: bytes | str) -> dict[str, Any]:
        shown = digest if isinstance(digest, str) else "0x" + digest.hex()
        response = self.http.get(f"/v1/orders/{shown}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def wait_status(self, digest: bytes | str, status: str, timeout: float = 30.0) -> dict[str, Any]:
        return until(lambda: (lambda s: s if s["status"] == status else None)(self.status(digest)), timeout,
                     f"status {status}")

    def followed(self) -> int:
        """Wait until the gateway's follower has read the node's latest block; returns it."""
        block = int(self.chain.w3.eth.block_number)
        until(lambda: self.http.get("/healthz").json()["block"] >= block, 20, f"the follower to reach block {block}")
        return block


@dataclass
class Venue(Client):
    """A Client of a gateway running in this process (its parts can be inspected)."""

    gateway: Gateway = field(kw_only=True)


def wire(order: SignedOrder | dict[str, Any]) -> dict[str, Any]:
    """A signed order as SPEC 14.1 puts it on the wire (a dict is already wire form)."""
    return order if isinstance(order, dict) else signed_order_json(order)


def settings_for(url: str, stack: Stack, db: Path, **overrides: Any) -> Settings:
    base = Settings(rpc_url=url, venue=stack.venue, factory=stack.factory, db=f"sqlite:///{db}", batch_wait=0.2,
                    poll_interval=0.1)
    return replace(base, **overrides)


@contextmanager
def venue(chain: Chain, stack: Stack, operator: LocalAccount, db: Path, **overrides: Any) -> Iterator[Venue]:
    """A fresh account with a funded owner, and a gateway serving the stack's venue."""
    account, owner = new_account(chain, stack)
    gateway = Gateway(settings_for(chain_url(chain), stack, db, **overrides), operator, Chain.connect(chain_url(chain)))
    with serving(gateway, free_port()) as url, httpx.Client(base_url=url, timeout=30) as http:
        yield Venue(chain, stack, url, http, account, owner, gateway=gateway)


def new_account(chain: Chain, stack: Stack) -> tuple[SmartAccount, LocalAccount]:
    """A fresh account of the stack's factory, and its funded owner."""
    owner = fresh_key(chain, "owner")
    account, _ = create_account(chain, stack, owner, owner.address)
    return account, owner


def chain_url(chain: Chain) -> str:
    return str(chain.w3.provider.endpoint_uri)  # type: ignore[attr-defined]


def start_gateway(url: str, stack: Stack, keystore: tuple[Path, Path], db: str, port: int, logs: Path,
                  *flags: str) -> tuple[subprocess.Popen[bytes], Path]:
    """Start `aa-auth gateway serve` as a real process on `port` with the `--db` URL `db`; returns it and its log."""
    command = [sys.executable, "-m", "aa_auth", "gateway", "serve", "--rpc-url", url, "--venue", stack.venue,
               "--factory", stack.factory, "--keystore", str(keystore[0]), "--password-file", str(keystore[1]),
               "--db", db, "--port", str(port), *flags]
    logs.mkdir(parents=True, exist_ok=True)
    path = logs / f"gateway-{port}-{time.monotonic_ns()}.log"  # kept in tmp_path for a failure's post-mortem
    with open(path, "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    return process, path


def wait_serving(process: subprocess.Popen[bytes], port: int, timeout: float = 60.0) -> None:
    def up() -> bool:
        assert process.poll() is None, f"the gateway exited with {process.returncode}"
        try:
            return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False
    until(up, timeout, f"the gateway process on port {port} to serve")


def stop_gateway(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (a clean shutdown), SIGKILL after 30 s."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def gateway_process(url: str, stack: Stack, keystore: tuple[Path, Path], db: str, port: int, logs: Path,
                    *flags: str) -> Iterator[subprocess.Popen[bytes]]:
    """`aa-auth gateway serve` as a real process; yields it once /healthz answers, stops it on exit."""
    process, _ = start_gateway(url, stack, keystore, db, port, logs, *flags)
    try:
        wait_serving(process, port)
        yield process
    finally:
        stop_gateway(process)
