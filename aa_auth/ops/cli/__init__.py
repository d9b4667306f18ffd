"""The `aa-auth` command line (also `python -m aa_auth`).

Results go to stdout, as a readable table or, with --json, as deterministic JSON (sorted keys,
checksummed addresses, 0x hex, uint256 amounts as decimal strings, chainId and blockNumber);
progress and errors go to stderr. Every error is one line and a non-zero exit status.
Keys come from eth-account keystore files (docs/operations.md), never from the command line.
"""

from __future__ import annotations

from typing import NoReturn

import click

from aa_auth.ops.cli import accounts, audit, deploy, gateway, orders, sessions, showcase, userops
from aa_auth.ops.cli.common import Group, Options

__all__ = ["cli", "main"]


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-q", "--quiet", is_flag=True, help="No progress messages on stderr.")
@click.option("--debug", is_flag=True, help="Show the traceback of unexpected errors.")
@click.version_option(package_name="aa-auth")
@click.pass_context
def cli(ctx: click.Context, quiet: bool, debug: bool) -> None:
    """Session-key authorization for ERC-4337 smart accounts."""
    ctx.obj = Options(quiet=quiet, debug=debug)


for command in (deploy.deploy, accounts.account, sessions.session, accounts.freeze, accounts.unfreeze,
                orders.sign_order, orders.verify_order, audit.inspect_command, showcase.demo, showcase.bench,
                gateway.gateway, userops.call):
    cli.add_command(command)


def main() -> NoReturn:
    """Console entry point `aa-auth`."""
    cli.main(prog_name="aa-auth")
    raise SystemExit(0)  # cli.main exits itself; this only satisfies the type checker
