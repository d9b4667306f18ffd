"""The gateway's story (`aa-auth gateway demo`): a bot posts signed orders over HTTP to a venue's
gateway, a replay and an over-size order are refused at intake without gas, a batch settles, the
bot's key is revoked through the API and its held orders are pulled before any block, and every
status change streams from /v1/events. anvil from node_modules is the node (the gateway follows a
JSON-RPC node; the embedded chain cannot serve one)."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any, TextIO

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from aa_auth.chain.anvil import free_port, running_anvil
from aa_auth.chain.connection import Chain
from aa_auth.contracts.stack import create_account, deploy_stack
from aa_auth.errors import ChainError
from aa_auth.gateway.app import Gateway, serving
from aa_auth.gateway.settings import Settings
from aa_auth.ops.gateway_client import GatewayClient
from aa_auth.ops.render import table
from aa_auth.protocol.orders import Order, SignedOrder
from aa_auth.protocol.scope import market_limit, scope
from aa_auth.protocol.signer import OrderSigner

__all__ = ["run_gateway_demo"]

U = 10**18
BATCH = 3


def _key(name: str) -> LocalAccount:
    key: LocalAccount = Account.from_key(keccak(text=f"aa-auth gateway demo: {name}"))
    return key


def _until_status(client: GatewayClient, digest: str, status: str, timeout: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while (order := client.get(f"/v1/orders/{digest}"))["status"] != status:
        if time.monotonic() > deadline:
            raise ChainError(f"order {digest} did not become {status} within {timeout:.0f} s")
        time.sleep(0.05)
    found: dict[str, Any] = order
    return found


def _rows(orders: list[tuple[str, SignedOrder]], results: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    return [(what, str(o.order.nonce), f"{o.order.size / U:g}", r["status"], r["reason"], str(r["code"]))
            for (what, o), r in zip(orders, results)]


def run_gateway_demo(out: TextIO | None = None) -> dict[str, Any]:
    """Tell the story on `out`; returns what happened (for tests)."""
    stream = sys.stdout if out is None else out

    def say(text: str = "") -> None:
        print(text, file=stream)

    with running_anvil() as url, tempfile.TemporaryDirectory(prefix="aa-auth-gateway-demo-") as folder:
        chain = Chain.connect(url)
        deployer, owner, operator, bot = _key("deployer"), _key("owner"), _key("operator"), _key("bot")
        for funded in (deployer, owner, operator):
            chain.fund(funded.address, 100 * U)
        stack = deploy_stack(chain, deployer)
        account, _ = create_account(chain, stack, deployer, owner.address)
        account.grant(owner, bot.address, scope(valid_until=chain.timestamp() + 3_600, venues=[stack.venue],
                                                markets=[market_limit(1, max_order_size=5 * U)]))
        settings = Settings(rpc_url=url, venue=stack.venue, factory=stack.factory, db=f"sqlite:///{Path(folder) / 'gateway.db'}",
                            batch_max=BATCH, batch_wait=3_600.0, poll_interval=0.1)
        gateway = Gateway(settings, operator, Chain.connect(url))
        port = free_port()
        with serving(gateway, port) as base:
            client = GatewayClient(port)
            say(f"gateway {base} for venue {stack.venue}; account {account.address}, bot key {bot.address} "
                "(at most 5 per order)")
            signer = OrderSigner(bot.key, chain.chain_id, account.address)
            deadline = chain.timestamp() + 600

            def order(nonce: int, size: float) -> SignedOrder:
                return signer.sign(Order(stack.venue, 1, True, int(size * U), 100 * U, nonce, deadline))

            block = chain.w3.eth.block_number
            first = [("buy", order(0, 1)), ("buy", order(1, 2)), ("replay of nonce 1", order(1, 3)), ("over-size", order(2, 9)),
                     ("buy", order(3, 1))]
            results = client.post_orders([o for _, o in first])
            say(f"\nPOST /v1/orders, {len(first)} orders in one request:")
            say(table(("order", "nonce", "size", "status", "reason", "code"), _rows(first, results)))
            refused_without_gas = chain.w3.eth.block_number == block
            say(f"the replay and the over-size order were refused at intake: no transaction, still block {block}")
            settled = [_until_status(client, r["digest"], "settled") for r in results if r["status"] == "accepted"]
            receipt = chain.w3.eth.get_transaction_receipt(settled[0]["txHash"])
            say(f"\nbatch of {len(settled)} settled in block {receipt['blockNumber']}, tx {settled[0]['txHash']}, "
                f"{receipt['gasUsed'] // len(settled):,} gas per order, paid by the operator")

            held = [("buy", order(4, 1)), ("sell", order(5, 1))]
            held_results = client.post_orders([o for _, o in held])
            revoked_at = chain.w3.eth.block_number
            status, relayed = client.request("POST", "/v1/revocations", {
                "account": account.address, "key": bot.address, "signature": "0x" + account.sign_revoke(bot.key).hex()})
            pulled = [client.get(f"/v1/orders/{r['digest']}") for r in held_results]
            say(f"\n{len(held)} more orders held; the bot suspects its key is stolen and revokes it through the gateway "
                f"(HTTP {status}, relayed as {relayed['txHash']}):")
            say(table(("order", "nonce", "size", "status", "reason", "code"), _rows(held, pulled)))
            say(f"pulled at the gateway (block {revoked_at}) before the revocation was even sent")
            later = client.post_orders([order(6, 1)])[0]
            say(f"the key's next order: {later['status']} {later['reason']}")

            count = len(gateway.store.events_after(0, 1_000))
            events = client.events(count)
            say(f"\nGET /v1/events (Server-Sent Events; resume with Last-Event-ID), {count} events:")
            say(table(("id", "order", "status", "reason", "tx"), [
                (e["id"], e["data"]["digest"][:10] + "…", e["data"]["status"], e["data"]["reason"],
                 (e["data"]["txHash"] or "-")[:10] + ("…" if e["data"]["txHash"] else "")) for e in events]))
    return {"intake": results, "refused_without_gas": refused_without_gas, "settled": settled, "pulled": pulled,
            "after_revocation": later, "events": events}
