"""`aa-auth deploy`: the stack at its deterministic CREATE2 addresses, with records."""

from __future__ import annotations

from pathlib import Path

import click
from eth_account.signers.local import LocalAccount

from aa_auth.chain.transactions import FeePolicy
from aa_auth.contracts.deployments import CREATE2_DEPLOYER, CREATE2_DEPLOYER_SIGNER, deploy_deterministic
from aa_auth.ops import render
from aa_auth.ops.cli.common import connect, emit, json_option, key_options, load_key, progress, records_option, rpc_options
from aa_auth.ops.cli.params import ADDRESS
from aa_auth.ops.keys import keystore_address


@click.command()
@rpc_options
@key_options
@records_option
@click.option("--entry-point", type=ADDRESS, help="Use this EntryPoint v0.8 (default: the canonical one, deployed if missing).")
@click.option("--dry-run", is_flag=True, help="Print what would be sent and its cost; send nothing, write nothing.")
@click.option("--confirmations", type=click.IntRange(min=1), default=1, show_default=True, help="Blocks to wait for each transaction.")
@click.option("--max-fee-gwei", type=float, help="EIP-1559 maxFeePerGas (default: 2 x base fee + tip).")
@click.option("--priority-fee-gwei", type=float, help="EIP-1559 maxPriorityFeePerGas (default: the node's suggestion).")
@click.option("--gas-headroom", type=click.IntRange(0, 500), default=20, show_default=True, help="Percent added to each gas estimate.")
@click.option("--timeout", type=float, default=300.0, show_default=True, help="Seconds to wait for each transaction.")
@json_option
def deploy(rpc_url: str | None, chain_id: int | None, keystore: Path, password_file: Path | None, records_dir: Path,
           entry_point: str | None, dry_run: bool, confirmations: int, max_fee_gwei: float | None,
           priority_fee_gwei: float | None, gas_headroom: int, timeout: float, as_json: bool) -> None:
    """Deploy EntryPoint, AccountFactory, ReferenceVenue and SessionAccount7702 at their deterministic CREATE2 addresses."""
    chain = connect(rpc_url, chain_id)
    sender: LocalAccount | str | None = keystore_address(keystore) if dry_run else None
    if sender is None:
        sender = load_key(keystore, password_file)
    policy = FeePolicy(
        max_fee_per_gas=None if max_fee_gwei is None else int(max_fee_gwei * 10**9),
        max_priority_fee_per_gas=None if priority_fee_gwei is None else int(priority_fee_gwei * 10**9),
        gas_headroom_percent=gas_headroom, confirmations=confirmations, timeout=timeout,
    )
    result = deploy_deterministic(chain, sender, entry_point=entry_point, policy=policy, dry_run=dry_run,
                                  records_dir=records_dir, progress=progress())
    data = {
        "chainId": result.chain_id, "blockNumber": result.block_number, "dryRun": result.dry_run,
        "sender": result.sender, "balanceWei": str(result.balance_wei), "costWei": str(result.cost_wei),
        "records": None if result.records is None else str(result.records),
        "stack": {"entryPoint": result.stack.entry_point, "factory": result.stack.factory, "venue": result.stack.venue,
                  "sessionAccount7702": result.stack.implementation_7702},
        "steps": [{"action": s.action, "name": s.name, "address": s.address, "gas": s.gas,
                   "feePerGasWei": None if s.fee_per_gas is None else str(s.fee_per_gas),
                   "costWei": None if s.cost_wei is None else str(s.cost_wei), "transactionHash": s.tx_hash,
                   "blockNumber": s.block_number, "codeHash": s.code_hash} for s in result.steps],
    }
    rows = [(s.action, s.name, s.address, "-" if s.gas is None else f"{s.gas:,}", render.gwei(s.fee_per_gas),
             render.eth(s.cost_wei), s.tx_hash or "-") for s in result.steps]
    cost = "at most " + render.eth(result.cost_wei) if dry_run else render.eth(result.cost_wei)
    lines = [f"chain {result.chain_id}, block {result.block_number}{' (dry run: nothing sent)' if dry_run else ''}",
             render.table(("action", "contract", "address", "gas", "fee/gas", "cost", "tx"), rows),
             f"cost {cost}; sender {result.sender} holds {render.eth(result.balance_wei)}"]
    if dry_run:
        lines.append(f"each deployment is a transaction to the CREATE2 deployer {CREATE2_DEPLOYER} with data = salt ++ init code"
                     f"; installing the deployer is its pre-signed transaction from {CREATE2_DEPLOYER_SIGNER}")
    if dry_run and result.cost_wei > result.balance_wei:
        lines.append("warning: the sender's balance does not cover the maximum cost")
    if result.records is not None:
        lines.append(f"records: {result.records}")
    emit(as_json, data, "\n".join(lines))
