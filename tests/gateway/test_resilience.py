"""The node going away, the gateway killed with SIGKILL, and reorganisations (SPEC 14.2, 14.4, 14.5).

Each test runs its own anvil: they stop it, or rewind it with snapshot/revert.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account.signers.local import LocalAccount

from aa_auth.chain.connection import Chain
from aa_auth.chain.logs import fetch_events
from aa_auth.contracts.stack import Stack, deploy_stack
from aa_auth.protocol.orders import SignedOrder
from tests.anvil import running_anvil
from aa_auth.gateway.app import Gateway, serving
from aa_auth.gateway.store.sqlite import SqliteStore
from tests.gateway.harness import (Client, fresh_key, free_port, gateway_process, new_account, settings_for, until,
                                   venue)
from tests.integration._operator import write_keystore

pytestmark = pytest.mark.anvil


def _mine(chain: Chain, blocks: int = 1) -> None:
    for _ in range(blocks):
        chain.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]


def _statuses(client: Client, digest: bytes) -> list[str]:
    return [e.status.value for e in client.gateway.store.events_after(0, 1_000) if e.digest == digest]  # type: ignore[attr-defined]


def _settled_once(chain: Chain, stack: Stack, orders: list[SignedOrder]) -> None:
    """Each order settled exactly once on chain: one OrderSettled per digest, and its nonce used."""
    logs = fetch_events(chain, "ReferenceVenue", stack.venue, 0, int(chain.w3.eth.block_number))
    settled = [e.args["digest"] for e in logs if e.name == "OrderSettled"]
    for signed in orders:
        assert settled.count("0x" + signed.digest.hex()) == 1


def test_the_node_stopped_and_restarted(tmp_path: Path) -> None:
    port, state = free_port(), tmp_path / "anvil-state.json"
    with ExitStack() as node:
        url = node.enter_context(running_anvil(port=port, extra_args=("--state", str(state))))
        chain = Chain.connect(url)
        stack = deploy_stack(chain, fresh_key(chain, "deployer", 100))
        with venue(chain, stack, fresh_key(chain, "operator", 100), tmp_path / "gateway.db", max_lag=2) as gw:
            bot = gw.grant()
            gw.followed()
            before, during = gw.sign(bot), gw.sign(bot)
            gw.post(before)
            gw.wait_status(before.digest, "settled")
            node.close()  # anvil stops (and dumps its state)
            until(lambda: gw.http.get("/healthz").status_code == 503, 20, "/healthz to say degraded")
            health = gw.http.get("/healthz").json()
            assert health["status"] == "degraded" and "unreachable" in health["error"]
            (refused,) = gw.post(during)
            assert (refused["status"], refused["reason"], refused["code"]) == ("rejected", "StateUnavailable", None)
            with running_anvil(port=port, extra_args=("--state", str(state))):
                until(lambda: gw.http.get("/healthz").status_code == 200, 30, "/healthz to be ok again")
                (accepted,) = gw.post(during)
                assert accepted["status"] == "accepted"
                gw.wait_status(during.digest, "settled")
                _settled_once(gw.chain, stack, [before, during])


@dataclass
class Own:
    """A node of the test's own, the stack on it, a fresh account with a granted bot, and a client for the
    gateway the test starts on `port` (in this process or as `aa-auth gateway serve`)."""

    url: str
    chain: Chain
    stack: Stack
    operator: LocalAccount
    keystore: tuple[Path, Path]
    client: Client
    bot: LocalAccount
    db: Path
    port: int

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.db}"

    def settings(self, **overrides: Any) -> Any:
        return settings_for(self.url, self.stack, self.db, **overrides)


@contextmanager
def own_node(tmp_path: Path) -> Iterator[Own]:
    with running_anvil() as url:
        chain = Chain.connect(url)
        stack = deploy_stack(chain, fresh_key(chain, "deployer", 100))
        operator = fresh_key(chain, "operator", 100)
        account, owner = new_account(chain, stack)
        port = free_port()
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            client = Client(chain, stack, f"http://127.0.0.1:{port}", http, account, owner)
            yield Own(url, chain, stack, operator, write_keystore(tmp_path / "keys", operator), client, client.grant(),
                      tmp_path / "gateway.db", port)


def test_sigkill_between_acceptance_and_settlement_then_restart_settles_every_order_once(tmp_path: Path) -> None:
    with own_node(tmp_path) as own:
        client, bot, flags = own.client, own.bot, ("--batch-wait", "0.5", "--confirmations", "2")
        with gateway_process(own.url, own.stack, own.keystore, own.db_url, own.port, own.db.parent, *flags) as process:
            client.followed()
            sent = [client.sign(bot) for _ in range(3)]
            assert {r["status"] for r in client.post(*sent)} == {"accepted"}
            until(lambda: all(client.status(o.digest)["status"] == "submitted" for o in sent), 20, "the batch to be sent")
            # Its block needs a second confirmation, which no one mines: the batch stays in flight, so the
            # next orders stay accepted.
            waiting = [client.sign(bot) for _ in range(3)]
            assert {r["status"] for r in client.post(*waiting)} == {"accepted"}
            process.kill()  # SIGKILL: no shutdown, no draining
            process.wait(timeout=10)
        with gateway_process(own.url, own.stack, own.keystore, own.db_url, own.port, own.db.parent, *flags):
            assert {client.status(o.digest)["status"] for o in waiting} == {"accepted"}

            def all_settled() -> bool:
                _mine(own.chain)
                return all(client.status(o.digest)["status"] == "settled" for o in sent + waiting)
            until(all_settled, 60, "every accepted order to settle")
            _settled_once(own.chain, own.stack, sent + waiting)
            for order in sent + waiting:
                assert client.account.nonce_bitmap(bot.address, order.order.nonce >> 8) >> (order.order.nonce & 255) & 1


def test_a_reorg_that_drops_a_grant_pulls_the_keys_held_orders(tmp_path: Path) -> None:
    with running_anvil() as url:
        chain = Chain.connect(url)
        stack = deploy_stack(chain, fresh_key(chain, "deployer", 100))
        with venue(chain, stack, fresh_key(chain, "operator", 100), tmp_path / "gateway.db", batch_wait=3_600.0) as gw:
            before = chain.snapshot()
            bot = gw.grant()
            gw.followed()
            held = gw.sign(bot)
            assert gw.post(held)[0]["status"] == "accepted"
            chain.revert(before)  # the grant's block is gone ...
            _mine(chain, 3)  # ... and other blocks took its place
            until(lambda: gw.status(held.digest)["status"] == "rejected", 20, "the held order to be pulled")
            assert (gw.status(held.digest)["reason"], gw.status(held.digest)["code"]) == ("UnknownSigner", 2)
            (after,) = gw.post(gw.sign(bot))
            assert (after["status"], after["reason"]) == ("rejected", "UnknownSigner")


def test_a_reorg_that_drops_a_settlement_sends_the_orders_again(tmp_path: Path) -> None:
    with running_anvil() as url:
        chain = Chain.connect(url)
        stack = deploy_stack(chain, fresh_key(chain, "deployer", 100))
        with venue(chain, stack, fresh_key(chain, "operator", 100), tmp_path / "gateway.db", batch_wait=0.5,
                   confirmations=2) as gw:
            bot = gw.grant()
            gw.followed()
            before = chain.snapshot()
            signed = gw.sign(bot)
            gw.post(signed)
            first = gw.wait_status(signed.digest, "submitted")
            assert chain.w3.eth.get_transaction_receipt(first["txHash"])["status"] == 1  # mined, one confirmation
            chain.revert(before)  # the settlement's block is reorganised away
            def settled() -> Any:
                _mine(chain)
                return gw.status(signed.digest)["status"] == "settled"
            until(settled, 60, "the order to settle again")
            assert _statuses(gw, signed.digest) == ["accepted", "submitted", "accepted", "submitted", "settled"]
            _settled_once(chain, stack, [signed])


def test_what_happened_on_chain_while_the_gateway_was_down_pulls_held_orders_at_start(tmp_path: Path) -> None:
    with own_node(tmp_path) as own:
        client, settings = own.client, own.settings(batch_wait=3_600.0)
        with serving(Gateway(settings, own.operator, Chain.connect(own.url)), own.port):
            client.followed()
            held = client.sign(own.bot)
            assert client.post(held)[0]["status"] == "accepted"
        client.account.revoke(client.owner, own.bot.address)  # nobody is following
        with serving(Gateway(settings, own.operator, Chain.connect(own.url)), own.port):
            assert (client.status(held.digest)["status"], client.status(held.digest)["reason"]) == ("rejected", "SessionRevoked")


def test_sigterm_drains_the_batch_in_flight_before_exiting(tmp_path: Path) -> None:
    with own_node(tmp_path) as own:
        client = own.client
        with gateway_process(own.url, own.stack, own.keystore, own.db_url, own.port, own.db.parent, "--batch-wait", "0.2",
                             "--confirmations", "2") as process:
            client.followed()
            signed = client.sign(own.bot)
            client.post(signed)
            until(lambda: client.status(signed.digest)["status"] == "submitted", 20, "the batch to be sent")
            process.send_signal(signal.SIGTERM)  # its block still needs a second confirmation ...
            time.sleep(1)
            assert process.poll() is None  # ... so the gateway waits for it
            _mine(own.chain)
            # uvicorn re-raises the signal once it has shut down cleanly, so the exit status says SIGTERM
            assert process.wait(timeout=30) in (0, -signal.SIGTERM)
        stored = SqliteStore(own.db, own.chain.chain_id, own.stack.venue).order(signed.digest)
        assert stored is not None and stored.status.value == "settled"


def test_shutdown_keeps_following_until_the_batch_in_flight_is_final(tmp_path: Path) -> None:
    """The follower lags (a slow poll), so the settle block is not followed yet when shutdown begins."""
    with own_node(tmp_path) as own:
        client = own.client
        with serving(Gateway(own.settings(batch_wait=0.1, poll_interval=3.0), own.operator, Chain.connect(own.url)), own.port):
            client.followed()
            signed = client.sign(own.bot)
            client.post(signed)
            until(lambda: client.status(signed.digest)["status"] == "submitted", 20, "the batch to be sent")
        # serving() has returned: the gateway shut down, after finishing the batch
        stored = SqliteStore(own.db, own.chain.chain_id, own.stack.venue).order(signed.digest)
        assert stored is not None and stored.status.value == "settled"
