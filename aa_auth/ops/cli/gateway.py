"""`aa-auth gateway serve`: the order intake gateway of SPEC section 14 (docs/gateway.md)."""

from __future__ import annotations

import logging
from dataclasses import fields
from pathlib import Path

import click

from aa_auth.gateway.settings import Settings
from aa_auth.ops.cli.common import key_options, load_key
from aa_auth.ops.cli.params import ADDRESS

_DEFAULT = {f.name: f.default for f in fields(Settings)}  # one place for the defaults: Settings


@click.group()
def gateway() -> None:
    """The order intake gateway: bots POST signed orders, the venue settles them in batches."""


@gateway.command("serve")
@click.option("--rpc-url", metavar="URL", envvar="WEB3_PROVIDER_URI", required=True, help="JSON-RPC node ($WEB3_PROVIDER_URI).")
@click.option("--venue", type=ADDRESS, required=True, help="The ReferenceVenue the gateway settles through.")
@click.option("--factory", type=ADDRESS, required=True, help="The AccountFactory whose clones are served.")
@key_options
@click.option("--implementation-7702", type=ADDRESS, help="SessionAccount7702 for delegated EOAs (SPEC 13; not served yet).")
@click.option("--db", default=_DEFAULT["db"], show_default=True, help="sqlite:///PATH (postgresql:// is SPEC 14.6, not yet).")
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
