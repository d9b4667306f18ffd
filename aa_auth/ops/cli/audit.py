"""`aa-auth inspect`: an auditor's report of one account."""

from __future__ import annotations

from pathlib import Path

import click

from aa_auth.chain.logs import DEFAULT_PAGE_BLOCKS
from aa_auth.contracts.deployments import load_records
from aa_auth.ops import views
from aa_auth.ops.audit import inspect_account
from aa_auth.ops.cli.common import EXIT_REJECTED, connect, emit, json_option, progress, records_option, rpc_options
from aa_auth.ops.cli.params import ADDRESS, markets_option
from aa_auth.ops.markets import MarketList

_SEVERITY = {"info": 0, "warning": 1, "critical": 2}


@click.command("inspect")
@rpc_options
@records_option
@click.argument("account_address", metavar="ACCOUNT", type=ADDRESS)
@click.option("--factory", type=ADDRESS, help="The AccountFactory that should have created it (default: records, else deterministic).")
@click.option("--from-block", type=click.IntRange(min=0), help="First block to read events from (default: the factory's deployment block from the records, else 0).")
@click.option("--block", type=click.IntRange(min=0), help="Audit as of this block (default: the latest).")
@click.option("--page-blocks", type=click.IntRange(min=1), default=DEFAULT_PAGE_BLOCKS, show_default=True, help="Blocks per eth_getLogs request.")
@click.option("--fail-on", type=click.Choice(["critical", "warning"]), help="Exit 3 when a flag of this severity or worse is raised.")
@markets_option
@json_option
def inspect_command(rpc_url: str | None, chain_id: int | None, records_dir: Path, account_address: str,
                    factory: str | None, from_block: int | None, block: int | None, page_blocks: int,
                    fail_on: str | None, markets: MarketList | None, as_json: bool) -> None:
    """Audit ACCOUNT: owner, guardian, code, every session key, its worst case and its history, positions, flags."""
    chain = connect(rpc_url, chain_id)
    records = load_records(records_dir, chain.chain_id)["contracts"]
    recorded_factory = records.get("AccountFactory", {})
    if factory is None and recorded_factory.get("address"):
        factory = recorded_factory["address"]
    if from_block is None:  # the factory cannot have created the account before it existed
        recorded = factory is not None and factory == recorded_factory.get("address")
        from_block = int(recorded_factory.get("blockNumber") or 0) if recorded else 0
    report = inspect_account(chain, account_address, factory=factory, venue=records.get("ReferenceVenue", {}).get("address"),
                             implementation_7702=records.get("SessionAccount7702", {}).get("address"),
                             from_block=from_block, block=block, page_blocks=page_blocks, progress=progress())
    emit(as_json, views.report_json(report, markets), views.report_text(report, markets))
    if fail_on and any(_SEVERITY[f.severity] >= _SEVERITY[fail_on] for f in report.flags):
        click.get_current_context().exit(EXIT_REJECTED)
