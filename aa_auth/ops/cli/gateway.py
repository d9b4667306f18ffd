"""`aa-auth gateway serve|grant-request|revocation-request|submit|relay`: the order intake gateway of
SPEC section 14, and the owner's side of its handshake (docs/gateway.md)."""

from __future__ import annotations

import json
import logging
import os
import urllib.error
import urllib.request
from dataclasses import fields
from pathlib import Path
from typing import IO, Any

import click

from aa_auth.chain.connection import Chain
from aa_auth.errors import InvalidInput
from aa_auth.gateway.settings import Settings  # no third-party import: the ASGI stack (extra [gateway]) loads in the commands
from aa_auth.ops import render
from aa_auth.ops.cli.common import connect, done, json_option, key_options, load_key, open_account, progress, rpc_options
from aa_auth.ops.cli.params import ADDRESS, DURATION, UINT
from aa_auth.protocol.scope import Scope

_DEFAULT = {f.name: f.default for f in fields(Settings)}  # one place for the defaults: Settings


@click.group()
def gateway() -> None:
    """The order intake gateway: bots POST signed orders, the venue settles them in batches."""


@gateway.command("serve")
@click.option("--rpc-url", metavar="URL", envvar="WEB3_PROVIDER_URI", required=True, help="JSON-RPC node ($WEB3_PROVIDER_URI).")
@click.option("--venue", type=ADDRESS, required=True, help="The ReferenceVenue the gateway settles through.")
@click.option("--factory", type=ADDRESS, required=True, help="The AccountFactory whose clones are served.")
@key_options
@click.option("--implementation-7702", type=ADDRESS, help="SessionAccount7702 that delegated EOAs must point to (SPEC 13; default: the deterministic one for the factory's EntryPoint).")
@click.option("--db", default=_DEFAULT["db"], show_default=True, help="sqlite:///PATH (one process) or postgresql://... (replicas, SPEC 14.6).")
@click.option("--host", default=_DEFAULT["host"], show_default=True, help="Address to listen on (loopback unless told otherwise).")
@click.option("--port", type=int, default=_DEFAULT["port"], show_default=True)
@click.option("--batch-max", type=int, default=_DEFAULT["batch_max"], show_default=True, help="Orders per settle transaction.")
@click.option("--batch-wait", type=float, default=_DEFAULT["batch_wait"], show_default=True,
              help="Seconds the oldest order waits before a smaller batch goes.")
@click.option("--confirmations", type=int, default=_DEFAULT["confirmations"], show_default=True, help="Blocks until settled.")
@click.option("--max-lag", type=int, default=_DEFAULT["max_lag"], show_default=True, help="Blocks behind before degraded.")
@click.option("--max-body", type=int, default=_DEFAULT["max_body"], show_default=True, help="Bytes per request body.")
@click.option("--max-orders-per-request", type=int, default=_DEFAULT["max_orders_per_request"], show_default=True)
@click.option("--client-rate", type=float, default=_DEFAULT["client_rate"], show_default=True,
              help="Requests per second per client address (token bucket).")
@click.option("--client-burst", type=int, default=_DEFAULT["client_burst"], show_default=True, help="Requests a client may save up.")
@click.option("--signer-rate", type=float, default=_DEFAULT["signer_rate"], show_default=True,
              help="Orders per second per signer (token bucket).")
@click.option("--signer-burst", type=int, default=_DEFAULT["signer_burst"], show_default=True, help="Orders a signer may save up.")
def serve(rpc_url: str, venue: str, factory: str, keystore: Path, password_file: Path | None, implementation_7702: str | None,
          db: str, host: str, port: int, batch_max: int, batch_wait: float, confirmations: int, max_lag: int, max_body: int,
          max_orders_per_request: int, client_rate: float, client_burst: int, signer_rate: float, signer_burst: int) -> None:
    """Serve SPEC 14's HTTP API until SIGINT or SIGTERM; the operator keystore pays for settlement."""
    from aa_auth.gateway.app import serve as run  # the ASGI stack loads only for this command

    settings = Settings(rpc_url=rpc_url, venue=venue, factory=factory, implementation_7702=implementation_7702, db=db,
                        host=host, port=port, batch_max=batch_max, batch_wait=batch_wait, confirmations=confirmations,
                        max_lag=max_lag, max_body=max_body, max_orders_per_request=max_orders_per_request,
                        client_rate=client_rate, client_burst=client_burst, signer_rate=signer_rate, signer_burst=signer_burst)
    operator = load_key(keystore, password_file)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    run(settings, operator)


@gateway.command("demo")
def demo() -> None:
    """The gateway's story over anvil: orders over HTTP, refusals without gas, a batch, a revocation, the stream."""
    from aa_auth.ops.gateway_demo import run_gateway_demo

    run_gateway_demo()


def _deadline(chain: Chain, deadline: int | None, ttl: int | None) -> int:
    if (deadline is None) == (ttl is None):
        raise InvalidInput("give exactly one of --deadline and --ttl")
    return deadline if deadline is not None else chain.timestamp() + (ttl or 0)


def _write(request: dict[str, Any], out: Path | None) -> None:
    text = render.dumps(request)
    if out is not None:
        out.write_text(text + "\n")
        progress()(f"request written to {out}; sign its typedData (eth_signTypedData_v4) with {request['signer']}")
    click.echo(text)


@gateway.command("grant-request")
@rpc_options
@click.argument("account_address", metavar="ACCOUNT", type=ADDRESS)
@click.argument("session_key", metavar="KEY", type=ADDRESS)
@click.option("--scope", "scope_file", type=click.File("rb"), required=True,
              help="The scope as SPEC 14.1 JSON (section 3's field names; '-' reads stdin).")
@click.option("--deadline", type=UINT, help="Unix time after which the signed grant is dead.")
@click.option("--ttl", type=DURATION, help="Or: seconds from the node's latest block.")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="Also write the request here.")
def grant_request(rpc_url: str | None, chain_id: int | None, account_address: str, session_key: str, scope_file: IO[bytes],
                  deadline: int | None, ttl: int | None, out: Path | None) -> None:
    """A grant for the owner's wallet to sign: eth_signTypedData_v4 JSON and the POST /v1/grants body."""
    from aa_auth.gateway import handshake
    from aa_auth.gateway.wire import parse_scope

    chain = connect(rpc_url, chain_id)
    target = open_account(chain, account_address)
    granted = Scope.from_abi(parse_scope(scope_file.read()))
    _write(handshake.grant_request(chain.chain_id, target.address, target.owner(), session_key, granted, target.grant_nonce(),
                                   _deadline(chain, deadline, ttl)), out)


@gateway.command("revocation-request")
@click.option("--rpc-url", metavar="URL", help="Node to read the chain id from (default: $WEB3_PROVIDER_URI).")
@click.option("--chain-id", type=int, help="Chain id; works offline when no node is given.")
@click.argument("account_address", metavar="ACCOUNT", type=ADDRESS)
@click.argument("session_key", metavar="KEY", type=ADDRESS)
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="Also write the request here.")
def revocation_request(rpc_url: str | None, chain_id: int | None, account_address: str, session_key: str,
                       out: Path | None) -> None:
    """A key's own revocation for its wallet to sign, and the POST /v1/revocations body."""
    from aa_auth.gateway import handshake

    if rpc_url or os.environ.get("WEB3_PROVIDER_URI") or chain_id is None:
        chain_id = connect(rpc_url, chain_id).chain_id
    _write(handshake.revocation_request(chain_id, account_address, session_key), out)


def _signed(request_file: IO[str], signature: str) -> tuple[dict[str, Any], dict[str, Any]]:
    from aa_auth.gateway import handshake

    try:
        request = json.loads(request_file.read())
    except ValueError:
        raise InvalidInput(f"{request_file.name} is not JSON: pass the file `grant-request` or `revocation-request` wrote") from None
    if not isinstance(request, dict):
        raise InvalidInput(f"{request_file.name} is not a request file")
    return request, handshake.signed_body(request, signature)


@gateway.command("submit")
@click.argument("request_file", metavar="REQUEST", type=click.File("r"))
@click.option("--signature", required=True, help="The wallet's signature of the request's typedData (0x + 65 bytes).")
@click.option("--gateway", "gateway_url", metavar="URL", required=True, help="The gateway, e.g. http://127.0.0.1:8080.")
def submit(request_file: IO[str], signature: str, gateway_url: str) -> None:
    """Post a signed grant or revocation to a gateway, which relays it (no gas of your own)."""
    request, body = _signed(request_file, signature)
    route = "/v1/grants" if request["kind"] == "grant" else "/v1/revocations"
    posted = urllib.request.Request(gateway_url.rstrip("/") + route, data=json.dumps(body).encode(), method="POST",
                                    headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(posted, timeout=60) as response:
            answer = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        error = json.loads(exc.read() or b"{}").get("error", {})
        raise InvalidInput(f"the gateway refused it ({exc.code} {error.get('type')}): {error.get('message')}") from None
    click.echo(render.dumps({"kind": request["kind"], "txHash": answer["txHash"]}))


@gateway.command("relay")
@rpc_options
@key_options
@click.argument("request_file", metavar="REQUEST", type=click.File("r"))
@click.option("--signature", required=True, help="The wallet's signature of the request's typedData (0x + 65 bytes).")
@json_option
def relay(rpc_url: str | None, chain_id: int | None, keystore: Path, password_file: Path | None, request_file: IO[str],
          signature: str, as_json: bool) -> None:
    """Send a signed grant or revocation yourself, from the keystore's key (any key may relay)."""
    request, body = _signed(request_file, signature)
    chain = connect(rpc_url, chain_id)
    if chain.chain_id != int(request["chainId"]):
        raise InvalidInput(f"the request is for chain {request['chainId']}, the node is chain {chain.chain_id}")
    target, relayer = open_account(chain, body["account"]), load_key(keystore, password_file)
    from aa_auth.gateway import handshake

    signed = bytes.fromhex(body["signature"][2:])
    if request["kind"] == handshake.GRANT:
        receipt = target.grant_with_sig(relayer, body["key"], handshake.request_scope(request), int(body["deadline"]), signed)
    else:
        receipt = target.revoke_with_sig(relayer, body["key"], signed)
    done(as_json, chain, receipt, f"relayed the {request['kind']} of {body['key']} on {target.address}",
         account=target.address, key=body["key"], kind=request["kind"])
