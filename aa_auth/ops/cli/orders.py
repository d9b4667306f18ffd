"""`aa-auth sign-order` and `verify-order`: a signed order as a file, decided off-chain and on-chain."""

from __future__ import annotations

import json
import os
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from aa_auth.errors import AAAuthError, InvalidInput, Reason
from aa_auth.ops import render, views
from aa_auth.ops.audit import at_block
from aa_auth.ops.cli.common import EXIT_REJECTED, connect, emit, json_option, key_options, load_key, open_account, rpc_options
from aa_auth.ops.cli.params import ADDRESS, DURATION, MARKET_ID, PRICE_HELP, QUOTE, SIZE, SIZE_HELP, UINT, markets_option, size_units
from aa_auth.ops.markets import Market, MarketList
from aa_auth.protocol.orders import Order
from aa_auth.protocol.signatures import recover_signer
from aa_auth.protocol.signer import OrderSigner
from aa_auth.protocol.typed_data import order_digest
from aa_auth.protocol.values import check_address, check_bytes
from aa_auth.protocol.verify import decide


def _signed_order_json(chain_id: int, block: int | None, account_address: str, order: Order, signature: bytes,
                       digest: bytes, signer: str) -> dict[str, Any]:
    """What sign-order writes and verify-order reads (`blockNumber`: the node's block the time came from)."""
    return {"chainId": chain_id, "blockNumber": block, "account": account_address, "signer": signer, "digest": "0x" + digest.hex(),
            "signature": "0x" + signature.hex(),
            "order": {"venue": order.venue, "market": str(order.market), "isBuy": order.is_buy, "size": str(order.size),
                      "price": str(order.price), "nonce": str(order.nonce), "deadline": str(order.deadline)}}


@click.command("sign-order")
@click.option("--rpc-url", metavar="URL", help="Node to read the chain id and time from (default: $WEB3_PROVIDER_URI).")
@click.option("--chain-id", type=int, help="Chain id; signs offline when no node is given.")
@key_options
@click.argument("account_address", metavar="ACCOUNT", type=ADDRESS)
@click.option("--venue", type=ADDRESS, required=True, help="The venue that may settle the order.")
@markets_option
@click.option("--market", type=MARKET_ID, required=True, help="Market id, or its symbol in the market list (--markets).")
@click.option("--buy/--sell", "is_buy", required=True)
@click.option("--size", type=SIZE, required=True, help=SIZE_HELP)
@click.option("--price", type=QUOTE, required=True, help=PRICE_HELP)
@click.option("--nonce", type=UINT, required=True, help="Any unused nonce of the signer on this account.")
@click.option("--deadline", type=UINT, help="Unix time after which the order is dead.")
@click.option("--ttl", type=DURATION, help="Or: seconds from now (the node's latest block, else the clock); at least 1s.")
@click.option("--allow-expired", is_flag=True, help="Sign although --deadline is not in the future (no block can settle it).")
@click.option("--allow-zero-size", is_flag=True, help="Sign a --size 0 order (it fills nothing but spends a nonce and a rate slot).")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="Also write the signed order JSON here.")
@json_option
def sign_order(rpc_url: str | None, chain_id: int | None, keystore: Path, password_file: Path | None,
               account_address: str, markets: MarketList | None, venue: str, market: tuple[int, Market | None],
               is_buy: bool, size: int | Decimal, price: int, nonce: int, deadline: int | None, ttl: int | None,
               allow_expired: bool, allow_zero_size: bool, out: Path | None, as_json: bool) -> None:
    """Sign an Order for ACCOUNT with the keystore's key (a session key or the owner).

    Refused unless asked for: a deadline that is already past and a size of 0 (docs/operations.md).
    """
    if (deadline is None) == (ttl is None):
        raise InvalidInput("give exactly one of --deadline and --ttl")
    if ttl == 0:
        raise click.BadParameter("must be at least 1s: an order with --ttl 0 is dead before any block can settle it",
                                 param_hint="'--ttl'")
    if size == 0 and not allow_zero_size:
        raise InvalidInput("--size 0: the order would fill nothing yet spend its nonce and a slot of the key's "
                           "order-rate window; give a size, or pass --allow-zero-size to sign it anyway")
    block: int | None = None
    if rpc_url or os.environ.get("WEB3_PROVIDER_URI"):
        chain = connect(rpc_url, chain_id)
        latest = chain.w3.eth.get_block("latest")
        chain_id, block, now = chain.chain_id, int(latest["number"]), int(latest["timestamp"])
    elif chain_id is None:
        raise InvalidInput("offline signing needs --chain-id (or give --rpc-url)")
    else:
        now = int(time.time())
    if ttl is not None:
        deadline = now + ttl
    elif deadline is not None and deadline <= now and not allow_expired:
        clock = f"the node's latest block (block {block}) is at {now}" if block is not None else f"the clock says {now}"
        raise InvalidInput(f"--deadline {deadline} is not in the future ({clock}): no later block can settle the order; "
                           "give a later --deadline or a --ttl, or pass --allow-expired to sign it anyway")
    market_id, known = market
    order = Order(venue, market_id, is_buy, size_units(size, known), price, nonce, deadline)
    signed = OrderSigner(load_key(keystore, password_file).key, chain_id, account_address).sign(order)
    data = _signed_order_json(chain_id, block, signed.account, order, signed.signature, signed.digest, signed.signer)
    if out is not None:
        out.write_text(render.dumps(data) + "\n")
    emit(as_json, data, render.fields([("account", signed.account), ("signer", signed.signer), ("chain", chain_id),
                                        *views.order_lines(order, markets), ("digest", data["digest"]),
                                        ("signature", data["signature"])]))


def _read_signed_order(source: str) -> tuple[int, str, Order, bytes, str | None]:
    with click.open_file(source) as handle:  # "-" is stdin
        text = handle.read()
    try:
        data = json.loads(text)
        o = data["order"]
        order = Order(o["venue"], int(o["market"]), bool(o["isBuy"]), int(o["size"]), int(o["price"]),
                      int(o["nonce"]), int(o["deadline"]))
        return int(data["chainId"]), check_address("account", data["account"]), order, \
            check_bytes("signature", data["signature"]), data.get("digest")
    except AAAuthError:
        raise
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(f"{source} is not a signed order as sign-order writes it ({exc.__class__.__name__}: {exc})") from None


@click.command("verify-order")
@rpc_options
@markets_option
@click.argument("source", metavar="FILE", default="-")
@json_option
def verify_order(rpc_url: str | None, chain_id: int | None, markets: MarketList | None, source: str, as_json: bool) -> None:
    """Decide a signed order (FILE or - for stdin) off-chain and on-chain; exit 3 when not authorized."""
    signed_chain, account_address, order, signature, claimed_digest = _read_signed_order(source)
    chain = connect(rpc_url, chain_id)
    if signed_chain != chain.chain_id:
        raise InvalidInput(f"wrong chain: the order is signed for chain {signed_chain}, the node is chain {chain.chain_id}")
    block = int(chain.w3.eth.block_number)
    view = at_block(chain, block)
    target = open_account(view, account_address)
    digest = order_digest(chain.chain_id, account_address, order)
    if claimed_digest is not None and claimed_digest.lower() != "0x" + digest.hex():
        raise InvalidInput(f"the file's digest {claimed_digest} is not the order's digest 0x{digest.hex()}: it was altered")
    signer = recover_signer(digest, signature)
    now = int(view.w3.eth.get_block(block)["timestamp"])
    state = target.state(signers=[signer] if signer else [], nonce_words=[(signer, order.nonce >> 8)] if signer else [],
                         timestamp=now)
    off_chain = decide(state, order, signature)
    on_chain = target.is_order_authorized(order, signature)
    data = {"chainId": chain.chain_id, "blockNumber": block, "account": account_address, "digest": "0x" + digest.hex(),
            "signer": off_chain.signer, "offChain": {"reason": off_chain.reason.label, "code": int(off_chain.reason)},
            "onChain": {"reason": on_chain.reason.label, "code": int(on_chain.reason)},
            "agree": off_chain.reason is on_chain.reason, "authorized": on_chain.reason is Reason.AUTHORIZED}
    emit(as_json, data, render.fields([
        ("account", account_address), ("signer", off_chain.signer or "-"), ("block", block), *views.order_lines(order, markets),
        ("off-chain", f"{off_chain.reason.label} ({int(off_chain.reason)})"),
        ("on-chain", f"{on_chain.reason.label} ({int(on_chain.reason)})"),
        ("agree", "yes" if data["agree"] else "NO: report this"),
    ]))
    if on_chain.reason is not Reason.AUTHORIZED:
        click.get_current_context().exit(EXIT_REJECTED)
