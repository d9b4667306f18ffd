"""`aa-auth account create`, `upgrade-eoa`, `downgrade-eoa`, `freeze` and `unfreeze`: an account's life as its owner sees it."""

from __future__ import annotations

from pathlib import Path

import click

from aa_auth.contracts.deployments import find_stack
from aa_auth.contracts.stack import create_account
from aa_auth.ops.cli.delegation import downgrade_eoa, upgrade_eoa
from aa_auth.ops.cli.common import (
    connect,
    done,
    emit,
    json_option,
    key_options,
    load_key,
    open_account,
    records_option,
    rpc_options,
)
from aa_auth.ops.cli.params import ADDRESS, SALT


@click.group()
def account() -> None:
    """Create accounts, or make an EOA one in place (EIP-7702)."""


@account.command("create")
@rpc_options
@key_options
@records_option
@click.option("--owner", type=ADDRESS, help="The account's owner (default: the keystore's address).")
@click.option("--salt", type=SALT, default="0", show_default=True, help="CREATE2 salt: a number or 32 bytes of 0x-hex.")
@click.option("--factory", type=ADDRESS, help="AccountFactory (default: from the records, else the deterministic one).")
@json_option
def account_create(rpc_url: str | None, chain_id: int | None, keystore: Path, password_file: Path | None,
                   records_dir: Path, owner: str | None, salt: bytes, factory: str | None, as_json: bool) -> None:
    """Create the account of (owner, salt), or report it when it already exists."""
    chain = connect(rpc_url, chain_id)
    stack = find_stack(chain, records_dir, factory=factory)
    sender = load_key(keystore, password_file)
    created, receipt = create_account(chain, stack, sender, owner or sender.address, salt)
    extra = {"account": created.address, "owner": owner or sender.address, "factory": stack.factory,
             "salt": "0x" + salt.hex(), "created": receipt is not None}
    if receipt is None:
        emit(as_json, {"chainId": chain.chain_id, "blockNumber": int(chain.w3.eth.block_number),
                        "transactionHash": None, "gasUsed": None, **extra},
              f"account {created.address} already exists (owner {extra['owner']}); nothing sent")
    else:
        done(as_json, chain, receipt, f"created account {created.address} for owner {extra['owner']}", **extra)


account.add_command(upgrade_eoa)
account.add_command(downgrade_eoa)


@click.command()
@rpc_options
@key_options
@click.argument("account_address", metavar="ACCOUNT", type=ADDRESS)
@json_option
def freeze(rpc_url: str | None, chain_id: int | None, keystore: Path, password_file: Path | None,
           account_address: str, as_json: bool) -> None:
    """Freeze ACCOUNT: every session key stops (owner or guardian)."""
    chain = connect(rpc_url, chain_id)
    target = open_account(chain, account_address)
    receipt = target.freeze(load_key(keystore, password_file))
    done(as_json, chain, receipt, f"froze {target.address}", account=target.address, frozen=True)


@click.command()
@rpc_options
@key_options
@click.argument("account_address", metavar="ACCOUNT", type=ADDRESS)
@json_option
def unfreeze(rpc_url: str | None, chain_id: int | None, keystore: Path, password_file: Path | None,
             account_address: str, as_json: bool) -> None:
    """Unfreeze ACCOUNT (owner only)."""
    chain = connect(rpc_url, chain_id)
    target = open_account(chain, account_address)
    receipt = target.unfreeze(load_key(keystore, password_file))
    done(as_json, chain, receipt, f"unfroze {target.address}", account=target.address, frozen=False)
