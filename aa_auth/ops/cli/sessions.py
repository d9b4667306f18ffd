"""`aa-auth session grant|revoke|rotate|list`: session keys and their scopes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from aa_auth.errors import InvalidInput
from aa_auth.ops import render, views
from aa_auth.ops.audit import at_block, current_usage
from aa_auth.ops.cli.common import connect, done, emit, json_option, key_options, load_key, open_account, rpc_options
from aa_auth.ops.cli.params import ADDRESS, CALL, DURATION, MARKET, NOTIONAL_HELP, QUOTE, UINT, markets_option
from aa_auth.ops.markets import MarketList
from aa_auth.protocol.scope import scope as build_scope
from aa_auth.protocol.typed_data import hash_scope
from aa_auth.protocol.values import UINT32_MAX
from aa_auth.protocol.verify import key_status


@click.group()
def session() -> None:
    """Grant, revoke, rotate and list session keys."""


@session.command("grant")
@rpc_options
@key_options
@click.argument("account_address", metavar="ACCOUNT", type=ADDRESS)
@click.argument("key", type=ADDRESS)
@click.option("--valid-for", type=DURATION, help="Validity from now, e.g. 7d (or give --valid-until).")
@click.option("--valid-until", type=UINT, help="Unix time the key stops acting.")
@click.option("--valid-after", type=UINT, default=0, show_default=True, help="Unix time the key starts acting.")
@click.option("--venue", "venues", type=ADDRESS, multiple=True, required=True, help="Venue allowed to settle (repeat).")
@markets_option
@click.option("--market", "market_limits", type=MARKET, multiple=True, required=True,
              help="ID|SYMBOL|any[,max-size=SIZE][,min-price=PRICE][,max-price=PRICE] (repeat): SIZE and PRICE as "
                   "sign-order's --size and --price (a decimal point = whole units); a limit left out is unlimited.")
@click.option("--max-notional", type=QUOTE, help=NOTIONAL_HELP)
@click.option("--max-orders", type=UINT, help="Orders per window (default: unlimited).")
@click.option("--window", type=DURATION, default="0", show_default=True, help="Window length; 0 = the whole session.")
@click.option("--max-gas-fee", type=UINT, default=0, show_default=True, help="Lifetime gas budget in wei for user operations.")
@click.option("--call", "calls", type=CALL, multiple=True, help="TARGET:SELECTOR[:MAX_VALUE] the key may call (repeat).")
@json_option
def session_grant(rpc_url: str | None, chain_id: int | None, keystore: Path, password_file: Path | None,
                  account_address: str, key: str, valid_for: int | None, valid_until: int | None, valid_after: int,
                  venues: tuple[str, ...], markets: MarketList | None, market_limits: tuple[Any, ...],
                  max_notional: int | None, max_orders: int | None,
                  window: int, max_gas_fee: int, calls: tuple[Any, ...], as_json: bool) -> None:
    """Grant KEY a fixed scope on ACCOUNT (signed by the owner's keystore)."""
    if (valid_for is None) == (valid_until is None):
        raise InvalidInput("give exactly one of --valid-for and --valid-until")
    chain = connect(rpc_url, chain_id)
    target = open_account(chain, account_address)
    optional = {k: v for k, v in (("max_notional_per_window", max_notional), ("max_orders_per_window", max_orders)) if v is not None}
    granted = build_scope(valid_until=valid_until if valid_until is not None else chain.timestamp() + (valid_for or 0),
                          valid_after=valid_after, venues=venues, markets=market_limits, window_seconds=window,
                          max_gas_fee=max_gas_fee, calls=calls, **optional)
    receipt = target.grant(load_key(keystore, password_file), key, granted)
    scope_hash = "0x" + hash_scope(granted).hex()
    summary = f"granted {key} on {target.address} (scope hash {scope_hash})\n" + render.fields(views.scope_lines(granted, markets))
    done(as_json, chain, receipt, summary, account=target.address, key=key, scope=views.scope_json(granted, markets),
         scopeHash=scope_hash)


@session.command("revoke")
@rpc_options
@key_options
@click.argument("account_address", metavar="ACCOUNT", type=ADDRESS)
@click.argument("key", type=ADDRESS)
@click.option("--self", "by_key", is_flag=True,
              help="The keystore holds KEY itself: it signs its own revocation and sends it (no owner needed).")
@json_option
def session_revoke(rpc_url: str | None, chain_id: int | None, keystore: Path, password_file: Path | None,
                   account_address: str, key: str, by_key: bool, as_json: bool) -> None:
    """Revoke KEY on ACCOUNT, as the owner or (--self) as the key."""
    chain = connect(rpc_url, chain_id)
    target = open_account(chain, account_address)
    signer = load_key(keystore, password_file)
    if by_key:
        if signer.address != key:
            raise InvalidInput(f"--self: the keystore holds {signer.address}, not the key {key}")
        receipt = target.revoke_with_sig(signer, key, target.sign_revoke(signer.key))
    else:
        receipt = target.revoke(signer, key)
    done(as_json, chain, receipt, f"revoked {key} on {target.address}", account=target.address, key=key)


@session.command("rotate")
@rpc_options
@key_options
@click.argument("account_address", metavar="ACCOUNT", type=ADDRESS)
@click.argument("old_key", type=ADDRESS)
@click.argument("new_key", type=ADDRESS)
@json_option
def session_rotate(rpc_url: str | None, chain_id: int | None, keystore: Path, password_file: Path | None,
                   account_address: str, old_key: str, new_key: str, as_json: bool) -> None:
    """Move OLD_KEY's scope to NEW_KEY with fresh counters; OLD_KEY is revoked."""
    chain = connect(rpc_url, chain_id)
    target = open_account(chain, account_address)
    receipt = target.rotate(load_key(keystore, password_file), old_key, new_key)
    done(as_json, chain, receipt, f"rotated {old_key} to {new_key} on {target.address}",
          account=target.address, oldKey=old_key, newKey=new_key)


@session.command("list")
@rpc_options
@markets_option
@click.argument("account_address", metavar="ACCOUNT", type=ADDRESS)
@json_option
def session_list(rpc_url: str | None, chain_id: int | None, markets: MarketList | None, account_address: str,
                 as_json: bool) -> None:
    """Every key ever granted on ACCOUNT, with status, expiry and the current window's usage."""
    chain = connect(rpc_url, chain_id)
    block = int(chain.w3.eth.block_number)
    view = at_block(chain, block)
    target = open_account(view, account_address)
    now = int(view.w3.eth.get_block(block)["timestamp"])
    sessions = [(key, target.session(key)) for key in target.session_keys()]
    keys, rows = [], []
    for key, s in sessions:
        window, orders, notional = current_usage(s, now)
        status = key_status(s, now)
        keys.append({"key": key, "status": status.value,
                     "scope": None if s.scope is None else views.scope_json(s.scope, markets), "currentWindow": window,
                     "windowOrders": orders, "windowNotional": str(notional), "gasFeeSpent": str(s.gas_fee_spent)})
        if s.scope is None:
            continue
        rows.append((key, status.value, render.when(s.scope.valid_until),
                     ", ".join(render.market(m.market, markets) for m in s.scope.markets),
                     f"{orders} of {render.amount(s.scope.max_orders_per_window, UINT32_MAX)}",
                     f"{render.notional(notional)} of {render.notional(s.scope.max_notional_per_window, cap=True)}"))
    data = {"chainId": chain.chain_id, "blockNumber": block, "blockTimestamp": now, "account": target.address, "keys": keys}
    emit(as_json, data, f"{target.address} on chain {chain.chain_id}, block {block}\n" + render.table(
        ("key", "status", "valid until", "markets", "orders (window)", "notional (window)"), rows))
