"""`aa-auth account upgrade-eoa` and `downgrade-eoa`: an EOA delegates to SessionAccount7702 (EIP-7702) and back.

The EOA's keystore signs the authorization; the transaction carrying it is paid by the EOA or by
`--sponsor`. `--dry-run` prints the authorization that would be signed and the transaction that
would carry it, and sends (and decrypts) nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from eth_account.signers.local import LocalAccount

from aa_auth.chain.connection import Chain
from aa_auth.contracts.deployments import find_stack
from aa_auth.contracts.eip7702 import AuthorizationRequest, apply_authorization, delegation, designator, plan_authorization, sign_authorization
from aa_auth.errors import InvalidInput
from aa_auth.ops import render
from aa_auth.ops.cli.common import connect, done, emit, json_option, key_options, load_key, records_option, rpc_options
from aa_auth.ops.cli.params import ADDRESS
from aa_auth.ops.keys import keystore_address
from aa_auth.protocol.values import ZERO_ADDRESS


def sponsor_options(f: Any) -> Any:
    f = click.option("--sponsor-password-file", type=click.Path(path_type=Path, dir_okay=False),
                     help="File whose first line is the sponsor keystore's password (default: prompt).")(f)
    f = click.option("--sponsor", type=click.Path(path_type=Path, dir_okay=False),
                     help="Keystore of the key that pays the transaction (default: the EOA pays itself).")(f)
    f = click.option("--dry-run", is_flag=True, help="Print what would be signed and sent; sign nothing, send nothing.")(f)
    return f


def _address(keystore: Path, password_file: Path | None) -> str:
    """The keystore's address without decrypting it when it declares one (most do)."""
    return keystore_address(keystore) or load_key(keystore, password_file).address


def _implementation(chain: Chain, records_dir: Path, implementation: str | None) -> str:
    if implementation is None:
        implementation = find_stack(chain, records_dir).implementation_7702
        assert implementation is not None  # find_stack always names it
    if not chain.has_code(implementation):
        raise InvalidInput(f"no SessionAccount7702 at {implementation} on chain {chain.chain_id}: run `aa-auth deploy` "
                           "or pass --implementation")
    return implementation


def _run(chain: Chain, keystore: Path, password_file: Path | None, sponsor: Path | None,
         sponsor_password_file: Path | None, implementation: str, dry_run: bool, as_json: bool) -> None:
    """Plan, then (unless a dry run) sign, send and check one delegation of the keystore's EOA."""
    eoa = _address(keystore, password_file)
    payer = eoa if sponsor is None else _address(sponsor, sponsor_password_file)
    previous = delegation(chain, eoa)
    target = None if implementation == ZERO_ADDRESS else implementation
    if previous == target:
        state = f"delegates to {target}" if target else "has no delegation to undo"
        emit(as_json, {"chainId": chain.chain_id, "blockNumber": int(chain.w3.eth.block_number), "eoa": eoa,
                       "implementation": target, "transactionHash": None}, f"{eoa} already {state}; nothing sent")
        return
    request = plan_authorization(chain, eoa, implementation, payer=payer)
    extra = {"eoa": eoa, "implementation": target, "previous": previous, "payer": payer,
             "selfPaid": request.self_paid, "authorization": _authorization_json(request)}
    if dry_run:
        _print_plan(chain, request, previous, target, as_json, extra)
        return
    signer = load_key(keystore, password_file)
    paying: LocalAccount = signer if sponsor is None else load_key(sponsor, sponsor_password_file)
    receipt = apply_authorization(chain, paying, eoa, sign_authorization(signer, request))
    summary = f"{eoa} now delegates to {target}" if target else f"{eoa} no longer delegates (its code is empty)"
    done(as_json, chain, receipt, summary, **extra)


def _authorization_json(request: AuthorizationRequest) -> dict[str, Any]:
    return {"chainId": request.chain_id, "address": request.implementation, "nonce": request.nonce}


def _print_plan(chain: Chain, request: AuthorizationRequest, previous: str | None, target: str | None, as_json: bool,
                extra: dict[str, Any]) -> None:
    code = "0x" + designator(target).hex() if target else "empty"
    data = {"chainId": chain.chain_id, "blockNumber": int(chain.w3.eth.block_number), "dryRun": True,
            "transaction": {"type": 4, "from": request.payer, "to": request.authority, "value": "0", "data": "0x"},
            "expectedCode": code, **extra}
    nonce_rule = "the EOA's nonce + 1: its own transaction bumps it first" if request.self_paid else "the EOA's current nonce"
    lines = [f"chain {chain.chain_id} (dry run: nothing signed, nothing sent)",
             render.fields([("EOA", request.authority), ("delegates now to", previous or "nothing (no code)"),
                            ("would sign", f"EIP-7702 authorization chainId {request.chain_id}, address "
                                           f"{request.implementation}, nonce {request.nonce} ({nonce_rule})"),
                            ("would send", f"a type-4 transaction from {request.payer} to {request.authority}, "
                                           "no value, no data, carrying that authorization"),
                            ("code afterwards", code)])]
    emit(as_json, data, "\n".join(lines))


@click.command("upgrade-eoa")
@rpc_options
@key_options
@records_option
@sponsor_options
@click.option("--implementation", type=ADDRESS, help="Delegate to this SessionAccount7702 (default: the deployment record's, "
                                                     "else the deterministic one).")
@json_option
def upgrade_eoa(rpc_url: str | None, chain_id: int | None, keystore: Path, password_file: Path | None, records_dir: Path,
                dry_run: bool, sponsor: Path | None, sponsor_password_file: Path | None, implementation: str | None,
                as_json: bool) -> None:
    """Make the keystore's EOA an aa-auth account in place (EIP-7702 delegation to SessionAccount7702).

    The EOA's own key keeps full power over it: freezing and revoking stop session keys, never it."""
    chain = connect(rpc_url, chain_id)
    _run(chain, keystore, password_file, sponsor, sponsor_password_file, _implementation(chain, records_dir, implementation),
         dry_run, as_json)


@click.command("downgrade-eoa")
@rpc_options
@key_options
@sponsor_options
@json_option
def downgrade_eoa(rpc_url: str | None, chain_id: int | None, keystore: Path, password_file: Path | None, dry_run: bool,
                  sponsor: Path | None, sponsor_password_file: Path | None, as_json: bool) -> None:
    """Undo the EOA's delegation (delegate to the zero address): a plain EOA again.

    The account's storage stays at the EOA and comes back with a later upgrade (docs/eip7702.md)."""
    chain = connect(rpc_url, chain_id)
    _run(chain, keystore, password_file, sponsor, sponsor_password_file, ZERO_ADDRESS, dry_run, as_json)
