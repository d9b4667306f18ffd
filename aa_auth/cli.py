"""The `aa-auth` command line (also `python -m aa_auth`).

Results go to stdout, as a readable table or, with --json, as deterministic JSON (sorted keys,
checksummed addresses, 0x hex, uint256 amounts as decimal strings, chainId and blockNumber);
progress and errors go to stderr. Every error is one line and a non-zero exit status.
Keys come from eth-account keystore files (docs/operations.md), never from the command line.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
from eth_account.signers.local import LocalAccount
from web3.exceptions import Web3Exception
from web3.types import TxReceipt

from aa_auth import render, views
from aa_auth._abi_types import UINT32_MAX, check_address, check_bytes
from aa_auth._cli_params import ADDRESS, CALL, DURATION, MARKET, SALT, UINT
from aa_auth.account import SmartAccount
from aa_auth.chain import Chain
from aa_auth.deploy import create_account
from aa_auth.deployments import (
    CREATE2_DEPLOYER,
    CREATE2_DEPLOYER_SIGNER,
    deploy_deterministic,
    find_stack,
    load_records,
)
from aa_auth.errors import AAAuthError, InvalidInput, Reason
from aa_auth.inspect import at_block, inspect_account, current_usage
from aa_auth.keys import keystore_address, load_keystore
from aa_auth.logs import DEFAULT_PAGE_BLOCKS
from aa_auth.orders import Order, OrderSigner
from aa_auth.scope import scope as build_scope
from aa_auth.signatures import recover_signer
from aa_auth.transactions import FeePolicy
from aa_auth.typed_data import hash_scope, order_digest
from aa_auth.verify import SessionStatus, decide

F = TypeVar("F", bound=Callable[..., Any])
EXIT_REJECTED = 3  # verify-order: the order is not authorized; inspect --fail-on: a flag was raised
_SEVERITY = {"info": 0, "warning": 1, "critical": 2}


@dataclass
class _Options:
    quiet: bool = False
    debug: bool = False


def _one_line(text: str) -> str:
    return " ".join(str(text).split()) or "failed"


class _Group(click.Group):
    """Turns every expected failure into one line on stderr and exit status 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except AAAuthError as exc:
            raise click.ClickException(_one_line(str(exc))) from None
        except (Web3Exception, OSError) as exc:  # OSError covers requests' connection errors and timeouts
            raise click.ClickException(_one_line(f"{exc.__class__.__name__}: {exc}")) from None
        except Exception as exc:
            options = ctx.find_object(_Options)
            if options is not None and options.debug:
                raise
            raise click.ClickException(
                _one_line(f"unexpected {exc.__class__.__name__}: {exc} (rerun with --debug for the traceback)")
            ) from None


def _progress() -> Callable[[str], None]:
    options = click.get_current_context().find_object(_Options)
    if options is not None and options.quiet:
        return lambda _: None
    return lambda message: click.echo(message, err=True)


def _emit(as_json: bool, data: dict[str, Any], human: str) -> None:
    click.echo(render.dumps(data) if as_json else human)


# ------------------------------------------------------------------ shared options


def _rpc_options(f: F) -> F:
    f = click.option("--chain-id", type=int, help="Refuse to act unless the node's chain id is this.")(f)
    f = click.option("--rpc-url", metavar="URL", help="JSON-RPC node (default: $WEB3_PROVIDER_URI).")(f)
    return f


def _json_option(f: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print deterministic JSON instead of a table.")(f)


def _key_options(f: F) -> F:
    f = click.option("--password-file", type=click.Path(path_type=Path, dir_okay=False), envvar="AA_AUTH_PASSWORD_FILE",
                     help="File whose first line is the keystore password (default: prompt; $AA_AUTH_PASSWORD_FILE).")(f)
    f = click.option("--keystore", type=click.Path(path_type=Path, dir_okay=False), envvar="AA_AUTH_KEYSTORE",
                     required=True, help="eth-account keystore file of the signing key ($AA_AUTH_KEYSTORE).")(f)
    return f


def _records_option(f: F) -> F:
    return click.option("--records-dir", type=click.Path(path_type=Path, file_okay=False), default=Path("deployments"),
                        show_default=True, envvar="AA_AUTH_DEPLOYMENTS", help="Directory of the <chainId>.json deployment records.")(f)


def _connect(rpc_url: str | None, chain_id: int | None) -> Chain:
    chain = Chain.from_options(rpc_url, allow_embedded=False)
    if chain_id is not None and chain.chain_id != chain_id:
        raise InvalidInput(f"wrong chain: the node is chain {chain.chain_id}, not {chain_id}")
    return chain


def _key(keystore: Path, password_file: Path | None) -> LocalAccount:
    return load_keystore(keystore, password_file, lambda text: str(click.prompt(text, hide_input=True)))


def _account(chain: Chain, address: str) -> SmartAccount:
    if not chain.has_code(address):
        raise InvalidInput(f"{address} has no code on chain {chain.chain_id}: not an account here (wrong address or chain?)")
    return SmartAccount(chain, address)


def _tx(chain: Chain, receipt: TxReceipt, **extra: Any) -> dict[str, Any]:
    return {"chainId": chain.chain_id, "blockNumber": receipt["blockNumber"],
            "transactionHash": receipt["transactionHash"].to_0x_hex(), "gasUsed": receipt["gasUsed"], **extra}


def _done(as_json: bool, chain: Chain, receipt: TxReceipt, summary: str, **extra: Any) -> None:
    _emit(as_json, _tx(chain, receipt, **extra),
          f"{summary}\nblock {receipt['blockNumber']}, tx {receipt['transactionHash'].to_0x_hex()}, gas {receipt['gasUsed']:,}")


# ------------------------------------------------------------------ the group


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-q", "--quiet", is_flag=True, help="No progress messages on stderr.")
@click.option("--debug", is_flag=True, help="Show the traceback of unexpected errors.")
@click.version_option(package_name="aa-auth")
@click.pass_context
def cli(ctx: click.Context, quiet: bool, debug: bool) -> None:
    """Session-key authorization for ERC-4337 smart accounts."""
    ctx.obj = _Options(quiet=quiet, debug=debug)


# ------------------------------------------------------------------ deploy


@cli.command()
@_rpc_options
@_key_options
@_records_option
@click.option("--entry-point", type=ADDRESS, help="Use this EntryPoint v0.8 (default: the canonical one, deployed if missing).")
@click.option("--dry-run", is_flag=True, help="Print what would be sent and its cost; send nothing, write nothing.")
@click.option("--confirmations", type=click.IntRange(min=1), default=1, show_default=True, help="Blocks to wait for each transaction.")
@click.option("--max-fee-gwei", type=float, help="EIP-1559 maxFeePerGas (default: 2 x base fee + tip).")
@click.option("--priority-fee-gwei", type=float, help="EIP-1559 maxPriorityFeePerGas (default: the node's suggestion).")
@click.option("--gas-headroom", type=click.IntRange(0, 500), default=20, show_default=True, help="Percent added to each gas estimate.")
@click.option("--timeout", type=float, default=300.0, show_default=True, help="Seconds to wait for each transaction.")
@_json_option
def deploy(rpc_url: str | None, chain_id: int | None, keystore: Path, password_file: Path | None, records_dir: Path,
           entry_point: str | None, dry_run: bool, confirmations: int, max_fee_gwei: float | None,
           priority_fee_gwei: float | None, gas_headroom: int, timeout: float, as_json: bool) -> None:
    """Deploy EntryPoint, AccountFactory and ReferenceVenue at their deterministic CREATE2 addresses."""
    chain = _connect(rpc_url, chain_id)
    sender: LocalAccount | str | None = keystore_address(keystore) if dry_run else None
    if sender is None:
        sender = _key(keystore, password_file)
    policy = FeePolicy(
        max_fee_per_gas=None if max_fee_gwei is None else int(max_fee_gwei * 10**9),
        max_priority_fee_per_gas=None if priority_fee_gwei is None else int(priority_fee_gwei * 10**9),
        gas_headroom_percent=gas_headroom, confirmations=confirmations, timeout=timeout,
    )
    result = deploy_deterministic(chain, sender, entry_point=entry_point, policy=policy, dry_run=dry_run,
                                  records_dir=records_dir, progress=_progress())
    data = {
        "chainId": result.chain_id, "blockNumber": result.block_number, "dryRun": result.dry_run,
        "sender": result.sender, "balanceWei": str(result.balance_wei), "costWei": str(result.cost_wei),
        "records": None if result.records is None else str(result.records),
        "stack": {"entryPoint": result.stack.entry_point, "factory": result.stack.factory, "venue": result.stack.venue},
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
    _emit(as_json, data, "\n".join(lines))


# ------------------------------------------------------------------ account


@cli.group()
def account() -> None:
    """Create accounts."""


@account.command("create")
@_rpc_options
@_key_options
@_records_option
@click.option("--owner", type=ADDRESS, help="The account's owner (default: the keystore's address).")
@click.option("--salt", type=SALT, default="0", show_default=True, help="CREATE2 salt: a number or 32 bytes of 0x-hex.")
@click.option("--factory", type=ADDRESS, help="AccountFactory (default: from the records, else the deterministic one).")
@_json_option
def account_create(rpc_url: str | None, chain_id: int | None, keystore: Path, password_file: Path | None,
                   records_dir: Path, owner: str | None, salt: bytes, factory: str | None, as_json: bool) -> None:
    """Create the account of (owner, salt), or report it when it already exists."""
    chain = _connect(rpc_url, chain_id)
    stack = find_stack(chain, records_dir, factory=factory)
    sender = _key(keystore, password_file)
    created, receipt = create_account(chain, stack, sender, owner or sender.address, salt)
    extra = {"account": created.address, "owner": owner or sender.address, "factory": stack.factory,
             "salt": "0x" + salt.hex(), "created": receipt is not None}
    if receipt is None:
        _emit(as_json, {"chainId": chain.chain_id, "blockNumber": int(chain.w3.eth.block_number),
                        "transactionHash": None, "gasUsed": None, **extra},
              f"account {created.address} already exists (owner {extra['owner']}); nothing sent")
    else:
        _done(as_json, chain, receipt, f"created account {created.address} for owner {extra['owner']}", **extra)


# ------------------------------------------------------------------ session


@cli.group()
def session() -> None:
    """Grant, revoke, rotate and list session keys."""


@session.command("grant")
@_rpc_options
@_key_options
@click.argument("account_address", metavar="ACCOUNT", type=ADDRESS)
@click.argument("key", type=ADDRESS)
@click.option("--valid-for", type=DURATION, help="Validity from now, e.g. 7d (or give --valid-until).")
@click.option("--valid-until", type=UINT, help="Unix time the key stops acting.")
@click.option("--valid-after", type=UINT, default=0, show_default=True, help="Unix time the key starts acting.")
@click.option("--venue", "venues", type=ADDRESS, multiple=True, required=True, help="Venue allowed to settle (repeat).")
@click.option("--market", "markets", type=MARKET, multiple=True, required=True,
              help="ID|any[,max-size=N][,min-price=N][,max-price=N] (repeat); a limit left out is unlimited.")
@click.option("--max-notional", type=UINT, help="Notional per window (default: unlimited).")
@click.option("--max-orders", type=UINT, help="Orders per window (default: unlimited).")
@click.option("--window", type=DURATION, default="0", show_default=True, help="Window length; 0 = the whole session.")
@click.option("--max-gas-fee", type=UINT, default=0, show_default=True, help="Lifetime gas budget in wei for user operations.")
@click.option("--call", "calls", type=CALL, multiple=True, help="TARGET:SELECTOR[:MAX_VALUE] the key may call (repeat).")
@_json_option
def session_grant(rpc_url: str | None, chain_id: int | None, keystore: Path, password_file: Path | None,
                  account_address: str, key: str, valid_for: int | None, valid_until: int | None, valid_after: int,
                  venues: tuple[str, ...], markets: tuple[Any, ...], max_notional: int | None, max_orders: int | None,
                  window: int, max_gas_fee: int, calls: tuple[Any, ...], as_json: bool) -> None:
    """Grant KEY a fixed scope on ACCOUNT (signed by the owner's keystore)."""
    if (valid_for is None) == (valid_until is None):
        raise InvalidInput("give exactly one of --valid-for and --valid-until")
    chain = _connect(rpc_url, chain_id)
    target = _account(chain, account_address)
    optional = {k: v for k, v in (("max_notional_per_window", max_notional), ("max_orders_per_window", max_orders)) if v is not None}
    granted = build_scope(valid_until=valid_until if valid_until is not None else chain.timestamp() + (valid_for or 0),
                          valid_after=valid_after, venues=venues, markets=markets, window_seconds=window,
                          max_gas_fee=max_gas_fee, calls=calls, **optional)
    receipt = target.grant(_key(keystore, password_file), key, granted)
    scope_hash = "0x" + hash_scope(granted).hex()
    _done(as_json, chain, receipt, f"granted {key} on {target.address} (scope hash {scope_hash})",
          account=target.address, key=key, scope=views.scope_json(granted), scopeHash=scope_hash)


@session.command("revoke")
@_rpc_options
@_key_options
@click.argument("account_address", metavar="ACCOUNT", type=ADDRESS)
@click.argument("key", type=ADDRESS)
@click.option("--self", "by_key", is_flag=True,
              help="The keystore holds KEY itself: it signs its own revocation and sends it (no owner needed).")
@_json_option
def session_revoke(rpc_url: str | None, chain_id: int | None, keystore: Path, password_file: Path | None,
                   account_address: str, key: str, by_key: bool, as_json: bool) -> None:
    """Revoke KEY on ACCOUNT, as the owner or (--self) as the key."""
    chain = _connect(rpc_url, chain_id)
    target = _account(chain, account_address)
    signer = _key(keystore, password_file)
    if by_key:
        if signer.address != key:
            raise InvalidInput(f"--self: the keystore holds {signer.address}, not the key {key}")
        receipt = target.revoke_with_sig(signer, key, target.sign_revoke(signer.key))
    else:
        receipt = target.revoke(signer, key)
    _done(as_json, chain, receipt, f"revoked {key} on {target.address}", account=target.address, key=key)


@session.command("rotate")
@_rpc_options
@_key_options
@click.argument("account_address", metavar="ACCOUNT", type=ADDRESS)
@click.argument("old_key", type=ADDRESS)
@click.argument("new_key", type=ADDRESS)
@_json_option
def session_rotate(rpc_url: str | None, chain_id: int | None, keystore: Path, password_file: Path | None,
                   account_address: str, old_key: str, new_key: str, as_json: bool) -> None:
    """Move OLD_KEY's scope to NEW_KEY with fresh counters; OLD_KEY is revoked."""
    chain = _connect(rpc_url, chain_id)
    target = _account(chain, account_address)
    receipt = target.rotate(_key(keystore, password_file), old_key, new_key)
    _done(as_json, chain, receipt, f"rotated {old_key} to {new_key} on {target.address}",
          account=target.address, oldKey=old_key, newKey=new_key)


@session.command("list")
@_rpc_options
@click.argument("account_address", metavar="ACCOUNT", type=ADDRESS)
@_json_option
def session_list(rpc_url: str | None, chain_id: int | None, account_address: str, as_json: bool) -> None:
    """Every key ever granted on ACCOUNT, with status, expiry and the current window's usage."""
    chain = _connect(rpc_url, chain_id)
    block = int(chain.w3.eth.block_number)
    view = at_block(chain, block)
    target = _account(view, account_address)
    now = int(view.w3.eth.get_block(block)["timestamp"])
    sessions = [(key, target.session(key)) for key in target.session_keys()]
    keys, rows = [], []
    for key, s in sessions:
        window, orders, notional = current_usage(s, now)
        expired = s.status is SessionStatus.ACTIVE and s.scope is not None and now > s.scope.valid_until
        keys.append({"key": key, "status": s.status.name.lower(), "expired": expired,
                     "scope": None if s.scope is None else views.scope_json(s.scope), "currentWindow": window,
                     "windowOrders": orders, "windowNotional": str(notional), "gasFeeSpent": str(s.gas_fee_spent)})
        if s.scope is None:
            continue
        rows.append((key, "expired" if expired else s.status.name.lower(), render.when(s.scope.valid_until),
                     ", ".join(render.market(m.market) for m in s.scope.markets),
                     f"{orders}/{render.amount(s.scope.max_orders_per_window, UINT32_MAX)}",
                     f"{notional:,}/{render.amount(s.scope.max_notional_per_window)}"))
    data = {"chainId": chain.chain_id, "blockNumber": block, "blockTimestamp": now, "account": target.address, "keys": keys}
    _emit(as_json, data, f"{target.address} on chain {chain.chain_id}, block {block}\n" + render.table(
        ("key", "status", "valid until", "markets", "orders (window)", "notional (window)"), rows))


# ------------------------------------------------------------------ freeze


@cli.command()
@_rpc_options
@_key_options
@click.argument("account_address", metavar="ACCOUNT", type=ADDRESS)
@_json_option
def freeze(rpc_url: str | None, chain_id: int | None, keystore: Path, password_file: Path | None,
           account_address: str, as_json: bool) -> None:
    """Freeze ACCOUNT: every session key stops (owner or guardian)."""
    chain = _connect(rpc_url, chain_id)
    target = _account(chain, account_address)
    receipt = target.freeze(_key(keystore, password_file))
    _done(as_json, chain, receipt, f"froze {target.address}", account=target.address, frozen=True)


@cli.command()
@_rpc_options
@_key_options
@click.argument("account_address", metavar="ACCOUNT", type=ADDRESS)
@_json_option
def unfreeze(rpc_url: str | None, chain_id: int | None, keystore: Path, password_file: Path | None,
             account_address: str, as_json: bool) -> None:
    """Unfreeze ACCOUNT (owner only)."""
    chain = _connect(rpc_url, chain_id)
    target = _account(chain, account_address)
    receipt = target.unfreeze(_key(keystore, password_file))
    _done(as_json, chain, receipt, f"unfroze {target.address}", account=target.address, frozen=False)


# ------------------------------------------------------------------ orders


def _signed_order_json(chain_id: int, block: int | None, account_address: str, order: Order, signature: bytes,
                       digest: bytes, signer: str) -> dict[str, Any]:
    """What sign-order writes and verify-order reads (`blockNumber`: the node's block the time came from)."""
    return {"chainId": chain_id, "blockNumber": block, "account": account_address, "signer": signer, "digest": "0x" + digest.hex(),
            "signature": "0x" + signature.hex(),
            "order": {"venue": order.venue, "market": str(order.market), "isBuy": order.is_buy, "size": str(order.size),
                      "price": str(order.price), "nonce": str(order.nonce), "deadline": str(order.deadline)}}


@cli.command("sign-order")
@click.option("--rpc-url", metavar="URL", help="Node to read the chain id and time from (default: $WEB3_PROVIDER_URI).")
@click.option("--chain-id", type=int, help="Chain id; signs offline when no node is given.")
@_key_options
@click.argument("account_address", metavar="ACCOUNT", type=ADDRESS)
@click.option("--venue", type=ADDRESS, required=True, help="The venue that may settle the order.")
@click.option("--market", type=UINT, required=True)
@click.option("--buy/--sell", "is_buy", required=True)
@click.option("--size", type=UINT, required=True, help="Base units.")
@click.option("--price", type=UINT, required=True, help="Quote per base, 18 decimals (e.g. 2000e18).")
@click.option("--nonce", type=UINT, required=True, help="Any unused nonce of the signer on this account.")
@click.option("--deadline", type=UINT, help="Unix time after which the order is dead.")
@click.option("--ttl", type=DURATION, help="Or: seconds from now (the node's latest block, else the clock).")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="Also write the signed order JSON here.")
@_json_option
def sign_order(rpc_url: str | None, chain_id: int | None, keystore: Path, password_file: Path | None,
               account_address: str, venue: str, market: int, is_buy: bool, size: int, price: int, nonce: int,
               deadline: int | None, ttl: int | None, out: Path | None, as_json: bool) -> None:
    """Sign an Order for ACCOUNT with the keystore's key (a session key or the owner)."""
    if (deadline is None) == (ttl is None):
        raise InvalidInput("give exactly one of --deadline and --ttl")
    block: int | None = None
    if rpc_url or os.environ.get("WEB3_PROVIDER_URI"):
        chain = _connect(rpc_url, chain_id)
        latest = chain.w3.eth.get_block("latest")
        chain_id, block, now = chain.chain_id, int(latest["number"]), int(latest["timestamp"])
    elif chain_id is None:
        raise InvalidInput("offline signing needs --chain-id (or give --rpc-url)")
    else:
        now = int(time.time())
    order = Order(venue, market, is_buy, size, price, nonce, deadline if deadline is not None else now + (ttl or 0))
    signed = OrderSigner(_key(keystore, password_file).key, chain_id, account_address).sign(order)
    data = _signed_order_json(chain_id, block, signed.account, order, signed.signature, signed.digest, signed.signer)
    if out is not None:
        out.write_text(render.dumps(data) + "\n")
    _emit(as_json, data, render.fields([("account", signed.account), ("signer", signed.signer), ("chain", chain_id),
                                        ("digest", data["digest"]), ("signature", data["signature"])]))


def _read_signed_order(source: str) -> tuple[int, str, Order, bytes, str | None]:
    with click.open_file(source) as handle:  # "-" is stdin
        text = handle.read()
    try:
        data = json.loads(text)
        o = data["order"]
        order = Order(o["venue"], int(o["market"]), bool(o["isBuy"]), int(o["size"]), int(o["price"]),
                      int(o["nonce"]), int(o["deadline"]))
        return int(data["chainId"]), check_address("account", data["account"]), order, \
            check_bytes("signature", data["signature"]), data.get("digest")
    except AAAuthError:
        raise
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(f"{source} is not a signed order as sign-order writes it ({exc.__class__.__name__}: {exc})") from None


@cli.command("verify-order")
@_rpc_options
@click.argument("source", metavar="FILE", default="-")
@_json_option
def verify_order(rpc_url: str | None, chain_id: int | None, source: str, as_json: bool) -> None:
    """Decide a signed order (FILE or - for stdin) off-chain and on-chain; exit 3 when not authorized."""
    signed_chain, account_address, order, signature, claimed_digest = _read_signed_order(source)
    chain = _connect(rpc_url, chain_id)
    if signed_chain != chain.chain_id:
        raise InvalidInput(f"wrong chain: the order is signed for chain {signed_chain}, the node is chain {chain.chain_id}")
    block = int(chain.w3.eth.block_number)
    view = at_block(chain, block)
    target = _account(view, account_address)
    digest = order_digest(chain.chain_id, account_address, order)
    if claimed_digest is not None and claimed_digest.lower() != "0x" + digest.hex():
        raise InvalidInput(f"the file's digest {claimed_digest} is not the order's digest 0x{digest.hex()}: it was altered")
    signer = recover_signer(digest, signature)
    now = int(view.w3.eth.get_block(block)["timestamp"])
    state = target.state(signers=[signer] if signer else [], nonce_words=[(signer, order.nonce >> 8)] if signer else [],
                         timestamp=now)
    off_chain = decide(state, order, signature)
    on_chain = target.is_order_authorized(order, signature)
    data = {"chainId": chain.chain_id, "blockNumber": block, "account": account_address, "digest": "0x" + digest.hex(),
            "signer": off_chain.signer, "offChain": {"reason": off_chain.reason.label, "code": int(off_chain.reason)},
            "onChain": {"reason": on_chain.reason.label, "code": int(on_chain.reason)},
            "agree": off_chain.reason is on_chain.reason, "authorized": on_chain.reason is Reason.AUTHORIZED}
    _emit(as_json, data, render.fields([
        ("account", account_address), ("signer", off_chain.signer or "-"), ("block", block),
        ("off-chain", f"{off_chain.reason.label} ({int(off_chain.reason)})"),
        ("on-chain", f"{on_chain.reason.label} ({int(on_chain.reason)})"),
        ("agree", "yes" if data["agree"] else "NO: report this"),
    ]))
    if on_chain.reason is not Reason.AUTHORIZED:
        click.get_current_context().exit(EXIT_REJECTED)


# ------------------------------------------------------------------ inspect


@cli.command("inspect")
@_rpc_options
@_records_option
@click.argument("account_address", metavar="ACCOUNT", type=ADDRESS)
@click.option("--factory", type=ADDRESS, help="The AccountFactory that should have created it (default: records, else deterministic).")
@click.option("--from-block", type=click.IntRange(min=0), help="First block to read events from (default: the factory's deployment block from the records, else 0).")
@click.option("--block", type=click.IntRange(min=0), help="Audit as of this block (default: the latest).")
@click.option("--page-blocks", type=click.IntRange(min=1), default=DEFAULT_PAGE_BLOCKS, show_default=True, help="Blocks per eth_getLogs request.")
@click.option("--fail-on", type=click.Choice(["critical", "warning"]), help="Exit 3 when a flag of this severity or worse is raised.")
@_json_option
def inspect_command(rpc_url: str | None, chain_id: int | None, records_dir: Path, account_address: str,
                    factory: str | None, from_block: int | None, block: int | None, page_blocks: int,
                    fail_on: str | None, as_json: bool) -> None:
    """Audit ACCOUNT: owner, guardian, code, every session key and its history, with flags."""
    chain = _connect(rpc_url, chain_id)
    records = load_records(records_dir, chain.chain_id)["contracts"]
    recorded_factory = records.get("AccountFactory", {})
    if factory is None and recorded_factory.get("address"):
        factory = recorded_factory["address"]
    if from_block is None:  # the factory cannot have created the account before it existed
        recorded = factory is not None and factory == recorded_factory.get("address")
        from_block = int(recorded_factory.get("blockNumber") or 0) if recorded else 0
    report = inspect_account(chain, account_address, factory=factory, from_block=from_block, block=block,
                             page_blocks=page_blocks, progress=_progress())
    _emit(as_json, views.report_json(report), views.report_text(report))
    if fail_on and any(_SEVERITY[f.severity] >= _SEVERITY[fail_on] for f in report.flags):
        click.get_current_context().exit(EXIT_REJECTED)


# ------------------------------------------------------------------ demo and bench


@cli.command()
@_json_option
def demo(as_json: bool) -> None:
    """The whole story on the embedded chain: deploy, grant, sign, settle, and every rejection."""
    from aa_auth.demo import run_demo

    click.get_current_context().exit(run_demo(json_output=as_json))


@cli.command()
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False), help="Where to write the results as JSON.")
@click.option("--samples", type=click.IntRange(min=1), help="Timed repetitions per speed measurement.")
@click.option("--batch", type=click.IntRange(min=1), help="Orders per settled batch in the gas measurement.")
def bench(output: Path | None, samples: int | None, batch: int | None) -> None:
    """Benchmark signing, verification and settlement gas on the embedded chain."""
    try:
        from aa_auth import bench as benchmarks
    except ModuleNotFoundError as exc:
        if exc.name != "aa_auth.bench":
            raise
        raise click.ClickException("the benchmark is not available in this build yet (aa_auth.bench is missing)") from None
    run_bench: Callable[..., object] = benchmarks.run_bench
    given = {"json_path": output, "samples": samples, "batch": batch}
    run_bench(**{name: value for name, value in given.items() if value is not None})


def main() -> NoReturn:
    """Console entry point `aa-auth`."""
    cli.main(prog_name="aa-auth")
    raise SystemExit(0)  # cli.main exits itself; this only satisfies the type checker
