"""`aa-auth call`: one call (or a batch) from an account as an ERC-4337 user operation, signed by the owner or a
session key (on its own nonce lane), through a bundler (`--bundler-url`) or directly (`handleOps`
from the signing key, which then pays the bundle and is refunded as its beneficiary)."""

from __future__ import annotations

from pathlib import Path

import click

from aa_auth.contracts.deployments import ENTRY_POINT_V08
from aa_auth.erc4337.bundler import EntryPoint
from aa_auth.erc4337.bundler_api import Bundler, wait_for_receipt
from aa_auth.erc4337.bundler_client import BundlerClient
from aa_auth.erc4337.direct import DirectBundler
from aa_auth.erc4337.operations import calls_data, prepare_operation
from aa_auth.erc4337.userops import Call
from aa_auth.errors import InvalidInput
from aa_auth.ops import render
from aa_auth.ops.calldata import check_permitted, encode_call, read_batch
from aa_auth.ops.cli.common import connect, emit, json_option, key_options, load_key, open_account, progress, rpc_options
from aa_auth.ops.cli.params import ADDRESS, UINT
from aa_auth.protocol.verify import SessionState, SessionStatus


@click.command("call")
@rpc_options
@key_options
@click.argument("account_address", metavar="ACCOUNT", type=ADDRESS)
@click.option("--to", "target", type=ADDRESS, help="The call's target.")
@click.option("--value", type=UINT, default=0, show_default=True, help="Wei sent with the call.")
@click.option("--data", help="The call's data as 0x-hex (default: empty).")
@click.option("--sig", "signature", help="Or: a function signature, e.g. 'transfer(address,uint256)', with its ARGS.")
@click.argument("args", nargs=-1)
@click.option("--batch", type=click.Path(path_type=Path, dir_okay=False),
              help='Or: a JSON list of calls ({"to", "value", "data"} or {"to", "value", "sig", "args"}), sent as executeBatch.')
@click.option("--bundler-url", metavar="URL", envvar="AA_AUTH_BUNDLER_URL",
              help="ERC-7769 bundler ($AA_AUTH_BUNDLER_URL); without it the key sends handleOps itself.")
@click.option("--entry-point", type=ADDRESS, default=ENTRY_POINT_V08, show_default=True, help="EntryPoint v0.8.")
@click.option("--timeout", type=float, default=60.0, show_default=True, help="Seconds to wait for the receipt.")
@click.option("--dry-run", is_flag=True, help="Estimate only: print the gas, the maximum cost and the key's budget left.")
@json_option
def call(rpc_url: str | None, chain_id: int | None, keystore: Path, password_file: Path | None, account_address: str,
         target: str | None, value: int, data: str | None, signature: str | None, args: tuple[str, ...], batch: Path | None,
         bundler_url: str | None,
         entry_point: str, timeout: float, dry_run: bool, as_json: bool) -> None:
    """Make ACCOUNT call TARGET (or each call of --batch) as a user operation signed with the keystore's key."""
    if batch is not None and (target is not None or value or data is not None or signature is not None or args):
        raise InvalidInput("give --batch FILE or one call (--to, --value, --data or --sig), not both")
    calls = read_batch(batch) if batch is not None else [_one_call(target, value, data, signature, args)]
    chain = connect(rpc_url, chain_id)
    account = open_account(chain, account_address)
    key = load_key(keystore, password_file)
    owner = account.owner() == key.address
    session = None if owner else account.session(key.address)
    if session is not None:
        if session.status is not SessionStatus.ACTIVE or session.scope is None:
            raise InvalidInput(f"{key.address} is neither the owner nor an active session key of {account.address}")
        for each in calls:
            check_permitted(session.scope, account.address, each)
    bundler: Bundler = (BundlerClient(bundler_url, entry_point, chain_id=chain.chain_id) if bundler_url
                        else DirectBundler(EntryPoint(chain, entry_point), key))
    op = prepare_operation(bundler, chain, account.address, calls_data(calls[0] if len(calls) == 1 else calls), key.key)
    budget_left = _budget_left(session)
    facts: dict[str, object] = {"chainId": chain.chain_id, "account": account.address, "signer": key.address, "role": "owner" if owner else "session key",
             "calls": len(calls),
             "nonce": str(op.nonce), "verificationGasLimit": op.verification_gas_limit, "callGasLimit": op.call_gas_limit,
             "preVerificationGas": op.pre_verification_gas, "maxFeePerGas": str(op.max_fee_per_gas), "maxCost": str(op.max_cost()),
             "budgetLeft": None if budget_left is None else str(budget_left)}
    if budget_left is not None and op.max_cost() > budget_left:
        raise InvalidInput(f"the operation may cost {op.max_cost()} wei, the key's gas budget has {budget_left} wei left: "
                           "the account would refuse it (ask the owner for a new key, or lower the fees)")
    if dry_run:
        _show(as_json, facts)
        return
    op_hash = bundler.send(op)
    progress()(f"user operation 0x{op_hash.hex()} accepted; waiting for its receipt")
    receipt = wait_for_receipt(bundler, op_hash, timeout)
    left = _budget_left(None if session is None else account.session(key.address))
    facts |= {"userOpHash": "0x" + receipt.user_op_hash.hex(), "transactionHash": "0x" + receipt.transaction_hash.hex(),
              "blockNumber": receipt.block_number, "success": receipt.success, "actualGasCost": str(receipt.actual_gas_cost),
              "budgetLeft": None if left is None else str(left)}
    _show(as_json, facts)
    if not receipt.success:
        raise click.ClickException(f"the operation was included but its call reverted: {receipt.reason or 'no reason given'}")


def _budget_left(session: SessionState | None) -> int | None:
    """Wei a session key may still spend on gas (SPEC section 4, maxGasFee); None for the owner."""
    return None if session is None or session.scope is None else session.scope.max_gas_fee - session.gas_fee_spent


def _show(as_json: bool, facts: dict[str, object]) -> None:
    emit(as_json, facts, render.fields([(name, "-" if v is None else v) for name, v in facts.items()]))


def _one_call(target: str | None, value: int, data: str | None, signature: str | None, args: tuple[str, ...]) -> Call:
    if target is None:
        raise InvalidInput("give --to TARGET (or --batch FILE)")
    if data is not None and signature is not None:
        raise InvalidInput("give --data or --sig with its arguments, not both")
    if signature is None and args:
        raise InvalidInput(f"arguments {' '.join(args)!r} without --sig: name the function, e.g. --sig 'transfer(address,uint256)'")
    if data is None:
        return Call(target, value, encode_call(signature, args) if signature is not None else b"")
    try:
        return Call(target, value, bytes.fromhex(data.removeprefix("0x")))
    except ValueError:
        raise InvalidInput(f"--data {data!r} is not 0x-hex") from None
