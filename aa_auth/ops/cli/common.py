"""What every command shares: options, the connection, keys, one-line errors and output."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click
from eth_account.signers.local import LocalAccount
from web3.exceptions import Web3Exception
from web3.types import TxReceipt

from aa_auth.chain.connection import Chain
from aa_auth.contracts.account import SmartAccount
from aa_auth.errors import AAAuthError, InvalidInput
from aa_auth.ops import render
from aa_auth.ops.keys import KeystoreError, load_keystore

F = TypeVar("F", bound=Callable[..., Any])
EXIT_REJECTED = 3  # verify-order: the order is not authorized; inspect --fail-on: a flag was raised


@dataclass
class Options:
    quiet: bool = False
    debug: bool = False


def one_line(text: str) -> str:
    return " ".join(str(text).split()) or "failed"


class Group(click.Group):
    """Turns every expected failure into one line on stderr and exit status 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except AAAuthError as exc:
            raise click.ClickException(one_line(str(exc))) from None
        except (Web3Exception, OSError) as exc:  # OSError covers requests' connection errors and timeouts
            raise click.ClickException(one_line(f"{exc.__class__.__name__}: {exc}")) from None
        except Exception as exc:
            options = ctx.find_object(Options)
            if options is not None and options.debug:
                raise
            raise click.ClickException(
                one_line(f"unexpected {exc.__class__.__name__}: {exc} (rerun with --debug for the traceback)")
            ) from None


def progress() -> Callable[[str], None]:
    options = click.get_current_context().find_object(Options)
    if options is not None and options.quiet:
        return lambda _: None
    return lambda message: click.echo(message, err=True)


def emit(as_json: bool, data: dict[str, Any], human: str) -> None:
    click.echo(render.dumps(data) if as_json else human)



def rpc_options(f: F) -> F:
    f = click.option("--chain-id", type=int, help="Refuse to act unless the node's chain id is this.")(f)
    f = click.option("--rpc-url", metavar="URL", help="JSON-RPC node (default: $WEB3_PROVIDER_URI).")(f)
    return f


def json_option(f: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print deterministic JSON instead of a table.")(f)


def key_options(f: F) -> F:
    f = click.option("--password-file", type=click.Path(path_type=Path, dir_okay=False), envvar="AA_AUTH_PASSWORD_FILE",
                     help="File whose first line is the keystore password (default: prompt; $AA_AUTH_PASSWORD_FILE).")(f)
    f = click.option("--keystore", type=click.Path(path_type=Path, dir_okay=False), envvar="AA_AUTH_KEYSTORE",
                     required=True, help="eth-account keystore file of the signing key ($AA_AUTH_KEYSTORE).")(f)
    return f


def records_option(f: F) -> F:
    return click.option("--records-dir", type=click.Path(path_type=Path, file_okay=False), default=Path("deployments"),
                        show_default=True, envvar="AA_AUTH_DEPLOYMENTS", help="Directory of the <chainId>.json deployment records.")(f)


def connect(rpc_url: str | None, chain_id: int | None) -> Chain:
    chain = Chain.from_options(rpc_url, allow_embedded=False)
    if chain_id is not None and chain.chain_id != chain_id:
        raise InvalidInput(f"wrong chain: the node is chain {chain.chain_id}, not {chain_id}")
    return chain


def load_key(keystore: Path, password_file: Path | None) -> LocalAccount:
    return load_keystore(keystore, password_file, _prompt_password)


def _prompt_password(text: str) -> str:
    try:
        return str(click.prompt(text, hide_input=True))
    except click.Abort:
        if sys.stdin is not None and sys.stdin.isatty():
            raise  # the operator pressed Ctrl-C or Ctrl-D at the prompt: "Aborted!" is what they asked for
        # Without a terminal the prompt read end-of-input (a script, CI, a pipe): say what to pass instead.
        raise KeystoreError("no password: there is no terminal to type it at and the input ended; pass "
                            "--password-file FILE (or set AA_AUTH_PASSWORD_FILE), a file whose first line is the password") from None


def open_account(chain: Chain, address: str) -> SmartAccount:
    if not chain.has_code(address):
        raise InvalidInput(f"{address} has no code on chain {chain.chain_id}: not an account here (wrong address or chain?)")
    return SmartAccount(chain, address)


def tx_json(chain: Chain, receipt: TxReceipt, **extra: Any) -> dict[str, Any]:
    return {"chainId": chain.chain_id, "blockNumber": receipt["blockNumber"],
            "transactionHash": receipt["transactionHash"].to_0x_hex(), "gasUsed": receipt["gasUsed"], **extra}


def done(as_json: bool, chain: Chain, receipt: TxReceipt, summary: str, **extra: Any) -> None:
    emit(as_json, tx_json(chain, receipt, **extra),
          f"{summary}\nblock {receipt['blockNumber']}, tx {receipt['transactionHash'].to_0x_hex()}, gas {receipt['gasUsed']:,}")
