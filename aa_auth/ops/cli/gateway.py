"""`aa-auth gateway serve`: the order intake gateway of SPEC section 14 (docs/gateway.md)."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from aa_auth.gateway.settings import DEFAULT_DB, Settings
from aa_auth.ops.cli.common import key_options, load_key
from aa_auth.ops.cli.params import ADDRESS


@click.group()
def gateway() -> None:
    """The order intake gateway: bots POST signed orders, the venue settles them in batches."""


@gateway.command("serve")
@click.option("--rpc-url", metavar="URL", envvar="WEB3_PROVIDER_URI", required=True, help="JSON-RPC node ($WEB3_PROVIDER_URI).")
@click.option("--venue", type=ADDRESS, required=True, help="The ReferenceVenue the gateway settles through.")
@click.option("--factory", type=ADDRESS, required=True, help="The AccountFactory whose clones are served.")
@key_options
@click.option("--implementation-7702", type=ADDRESS, help="SessionAccount7702 for delegated EOAs (SPEC 13; not served yet).")
@click.option("--db", default=DEFAULT_DB, show_default=True, help="sqlite:///PATH (postgresql:// is SPEC 14.6, not yet).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback unless told otherwise).")
@click.option("--port", type=click.IntRange(0, 65_535), default=8080, show_default=True)
@click.option("--batch-max", type=click.IntRange(min=1), default=100, show_default=True, help="Orders per settle transaction.")
@click.option("--batch-wait", type=click.FloatRange(min=0, min_open=True), default=1.0, show_default=True,
              help="Seconds the oldest order waits before a smaller batch goes.")
@click.option("--confirmations", type=click.IntRange(min=1), default=1, show_default=True, help="Blocks until settled.")
@click.option("--max-lag", type=click.IntRange(min=0), default=5, show_default=True, help="Blocks behind before degraded.")
@click.option("--max-body", type=click.IntRange(min=1_024), default=1_048_576, show_default=True, help="Bytes per request body.")
@click.option("--max-orders-per-request", type=click.IntRange(min=1), default=500, show_default=True)
@click.option("--client-rate", type=click.FloatRange(min=0, min_open=True), default=20.0, show_default=True,
              help="Requests per second per client address (token bucket).")
@click.option("--client-burst", type=click.IntRange(min=1), default=100, show_default=True, help="Requests a client may save up.")
@click.option("--signer-rate", type=click.FloatRange(min=0, min_open=True), default=2_000.0, show_default=True,
              help="Orders per second per signer (token bucket).")
@click.option("--signer-burst", type=click.IntRange(min=1), default=10_000, show_default=True, help="Orders a signer may save up.")
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
