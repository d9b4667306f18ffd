"""Views of scopes and audit reports for the command line, as text and as JSON (see aa_auth.ops.render)."""

from __future__ import annotations

from typing import Any

from aa_auth.ops.audit import AccountReport, KeyReport, NonceWord
from aa_auth.ops.exposure import Exposure
from aa_auth.ops.markets import MarketList, listed
from aa_auth.ops.render import amount, count, fields, market, notional, price, size, table, when
from aa_auth.protocol.orders import Order
from aa_auth.protocol.scope import MarketLimit, Scope
from aa_auth.protocol.values import UINT32_MAX
from aa_auth.protocol.verify import notional as verify_notional


def scope_lines(scope: Scope, markets: MarketList | None = None) -> list[tuple[str, object]]:
    """A scope in full, one aspect per line; sizes in whole base units where the market list knows them."""
    window = "lifetime (one window)" if scope.window_seconds == 0 else f"{scope.window_seconds:,} s"
    pairs: list[tuple[str, object]] = [
        ("valid", f"{'from the grant' if scope.valid_after == 0 else when(scope.valid_after)} .. {when(scope.valid_until)}"),
        ("venues", ", ".join(scope.venues)),
    ]
    for m in scope.markets:
        known = listed(markets, m.market)
        pairs.append(("market", f"{market(m.market, markets)}: size <= {size(m.max_order_size, known, cap=True)}, "
                                f"price in [{price(m.min_price)}, {price(m.max_price, cap=True)}]"))
    pairs += [
        ("window", window),
        ("notional/window", notional(scope.max_notional_per_window, cap=True)),
        ("orders/window", amount(scope.max_orders_per_window, UINT32_MAX)),
        ("gas fee budget", amount(scope.max_gas_fee) + " wei"),
    ]
    for c in scope.calls:
        pairs.append(("call", f"{c.target} selector 0x{c.selector.hex()} value <= {c.max_value:,} wei"))
    if not scope.calls:
        pairs.append(("calls", "none"))
    return pairs


def order_lines(order: Order, markets: MarketList | None = None) -> list[tuple[str, object]]:
    """An order's terms, amounts as in every table (the notional is what the account will charge)."""
    known = listed(markets, order.market)
    charged = verify_notional(order.size, order.price)
    return [("market", market(order.market, markets)), ("side", "buy" if order.is_buy else "sell"),
            ("size", size(order.size, known)), ("price", price(order.price)),
            ("notional", "over 2**256-1 (NotionalCapExceeded)" if charged is None else notional(charged)),
            ("nonce", order.nonce), ("deadline", f"{order.deadline} ({when(order.deadline)})")]


def _u(value: int) -> str:
    """uint256 values travel as decimal strings: JSON readers in JavaScript lose precision past 2**53."""
    return str(value)


def _market_json(m: MarketLimit, markets: MarketList | None) -> dict[str, Any]:
    """A market entry; a listed market also carries its symbol and base decimals, beside the raw values."""
    entry: dict[str, Any] = {"market": _u(m.market), "maxOrderSize": _u(m.max_order_size), "minPrice": _u(m.min_price),
                             "maxPrice": _u(m.max_price)}
    known = listed(markets, m.market)
    if known is not None:
        entry.update(symbol=known.symbol, baseDecimals=known.base_decimals)
    return entry


def scope_json(scope: Scope, markets: MarketList | None = None) -> dict[str, Any]:
    """A Scope with the SPEC's field names; uint256 fields as decimal strings."""
    return {
        "validAfter": scope.valid_after,
        "validUntil": scope.valid_until,
        "venues": list(scope.venues),
        "markets": [_market_json(m, markets) for m in scope.markets],
        "maxNotionalPerWindow": _u(scope.max_notional_per_window),
        "maxOrdersPerWindow": scope.max_orders_per_window,
        "windowSeconds": scope.window_seconds,
        "maxGasFee": _u(scope.max_gas_fee),
        "calls": [{"target": c.target, "selector": "0x" + c.selector.hex(), "maxValue": _u(c.max_value)} for c in scope.calls],
    }


def _words_json(words: tuple[NonceWord, ...]) -> list[dict[str, Any]]:
    return [{"word": _u(w.word), "bitmap": "0x" + w.bitmap.to_bytes(32, "big").hex(), "used": w.used} for w in words]


def _event_args(args: dict[str, Any]) -> dict[str, Any]:
    return {k: _u(v) if isinstance(v, int) and not isinstance(v, bool) else v for k, v in args.items()}


def _bound(value: int | None) -> str | None:
    """An exposure figure for JSON: a decimal string, or null for unbounded."""
    return None if value is None else _u(value)


def _exposure_json(e: Exposure) -> dict[str, Any]:
    return {"largestOrder": _bound(e.largest_order), "perWindow": _bound(e.per_window),
            "currentWindowLeft": _bound(e.current_window_left), "windowsLeft": e.windows_left,
            "restOfLife": _bound(e.rest_of_life), "gasFeeLeft": _bound(e.gas_fee_left)}


def _key_json(k: KeyReport, markets: MarketList | None) -> dict[str, Any]:
    return {"key": k.key, "status": k.status.value, "scope": None if k.scope is None else scope_json(k.scope, markets),
            "scopeHash": k.scope_hash, "grantedScopeHash": k.granted_scope_hash, "scopeHashOk": k.scope_hash_ok,
            "grantedBlock": k.granted_block, "grantedTimestamp": k.granted_timestamp, "ended": k.ended,
            "rotatedFrom": k.rotated_from, "currentWindow": k.current_window, "windowStart": k.window_start,
            "windowEnd": k.window_end, "windowOrders": k.window_orders, "windowNotional": _u(k.window_notional),
            "gasFeeSpent": _u(k.gas_fee_spent), "ordersConsumed": k.orders_consumed,
            "nonceWords": _words_json(k.nonce_words), "exposure": _exposure_json(k.exposure),
            "venueChecks": [{"venue": v, "check": check.value} for v, check in k.venues]}


def report_json(report: AccountReport, markets: MarketList | None = None) -> dict[str, Any]:
    """The report as JSON-ready data: checksummed addresses, 0x hex, uint256 as decimal strings."""
    c, d, venue = report.clone, report.delegation, report.recorded_venue
    return {
        "chainId": report.chain_id,
        "blockNumber": report.block_number,
        "blockTimestamp": report.block_timestamp,
        "fromBlock": report.from_block,
        "account": report.account,
        "codeHash": report.code_hash,
        "owner": report.owner,
        "guardian": report.guardian,
        "frozen": report.frozen,
        "entryPoint": report.entry_point,
        "grantNonce": report.grant_nonce,
        "kind": report.kind,
        "clone": None if c is None else {
            "genuine": c.genuine, "implementation": c.implementation, "factory": c.factory,
            "expectedImplementation": c.expected_implementation, "factoryCodeOk": c.factory_code_ok,
            "codeMatches": c.code_matches, "createdByFactory": c.created_by_factory, "salt": c.salt,
            "creationBlock": c.creation_block, "problems": list(c.problems)},
        "delegation": None if d is None else {"delegate": d.delegate, "expected": d.expected, "ours": d.ours},
        "keys": [_key_json(k, markets) for k in report.keys],
        "ownerNonceWords": _words_json(report.owner_nonce_words),
        "recordedVenue": None if venue is None else {"address": venue.address, "genuine": venue.genuine},
        "positions": None if report.positions is None else [{"market": _u(p.market), "net": _u(p.net)}
                                                            for p in report.positions],
        "events": [{"blockNumber": e.block_number, "logIndex": e.log_index, "transactionHash": e.transaction_hash,
                    "event": e.name, "args": _event_args(e.args)} for e in report.events],
        "flags": [{"severity": f.severity, "code": f.code, "subject": f.subject, "message": f.message} for f in report.flags],
    }


def _figure(value: int | None) -> str:
    return "unbounded" if value is None else notional(value)


def _exposure_lines(e: Exposure) -> list[tuple[str, object]]:
    """The worst case in notional (size * price / 1e18), as the exposure module defines it."""
    if e.windows_left == 0:
        return [("worst case", "none: the key can no longer act")]
    return [
        ("worst case/order", _figure(e.largest_order)),
        ("worst case/window", _figure(e.per_window)),
        ("worst case/life", f"{_figure(e.rest_of_life)} over {count(e.windows_left, 'window')} left "
                            f"({_figure(e.current_window_left)} in the current one)"),
        ("gas fee left", f"{_figure(e.gas_fee_left)} wei"),
    ]


def _usage(k: KeyReport) -> str:
    if k.current_window is None or k.window_start is None or k.window_end is None:
        return "-"
    return (f"window {k.current_window} ({when(k.window_start)} .. {when(k.window_end)}, unix {k.window_start} .. "
            f"{k.window_end}): {count(k.window_orders, 'order')}, notional {notional(k.window_notional)}")


def _key_lines(k: KeyReport, markets: MarketList | None) -> list[tuple[str, object]]:
    check = "matches its grant" if k.scope_hash_ok else f"MISMATCH (grant recorded {k.granted_scope_hash})"
    pairs: list[tuple[str, object]] = [
        ("status", k.status.value + (f", {k.ended}" if k.ended else "")),
        ("granted", "-" if k.granted_block is None else f"block {k.granted_block}"
         + (f", rotated from {k.rotated_from}" if k.rotated_from else "")),
        ("scope hash", f"{k.scope_hash} {check}"),
    ]
    if k.scope is not None:
        pairs += scope_lines(k.scope, markets)
    pairs += [("venue check", ", ".join(f"{v} {verdict.value}" for v, verdict in k.venues) or "-")]
    pairs += _exposure_lines(k.exposure)
    pairs += [("usage", _usage(k)), ("gas fee spent", f"{k.gas_fee_spent:,} wei"), ("orders consumed", k.orders_consumed),
              ("nonce words", ", ".join(f"word {w.word}: {w.used} used" for w in k.nonce_words) or "none")]
    return pairs


def _positions_text(report: AccountReport, markets: MarketList | None) -> str:
    venue = report.recorded_venue
    if venue is None:
        return "Positions: unread (no deployments record names a ReferenceVenue on this chain)"
    if report.positions is None:
        return f"Positions: unread (the recorded venue {venue.address} is not the shipped ReferenceVenue)"
    return (f"Positions at {venue.address}\n"
            + table(("market", "net position"), [(market(p.market, markets), _net(p.market, p.net, markets)) for p in report.positions]))


def _net(market_id: int, net: int, markets: MarketList | None) -> str:
    """A signed position in base units, with the human amount where the market list knows it."""
    return ("-" if net < 0 else "") + size(abs(net), listed(markets, market_id))


def report_text(report: AccountReport, markets: MarketList | None = None) -> str:
    c, d = report.clone, report.delegation
    if d is not None:
        code = ("delegation", f"EIP-7702 EOA delegating to {d.delegate}"
                + (" (the recorded SessionAccount7702)" if d.ours else f", NOT the recorded SessionAccount7702 {d.expected}"))
    elif c is not None and c.genuine:
        code = ("clone", f"genuine clone of {c.implementation} (factory {c.factory}, salt {c.salt}, created at block {c.creation_block})")
    else:
        code = ("clone", "NOT VERIFIED: " + "; ".join(c.problems if c else ()))
    out = [f"Account {report.account}", fields([
        ("chain", f"{report.chain_id}, block {report.block_number} ({when(report.block_timestamp)})"),
        ("owner", report.owner), ("guardian", report.guardian), ("frozen", "yes" if report.frozen else "no"),
        ("entry point", report.entry_point), ("code hash", report.code_hash), code,
        ("grant nonce", report.grant_nonce), ("events from", f"block {report.from_block}"),
    ])]
    for k in report.keys:
        out += ["", f"Session key {k.key}", fields(_key_lines(k, markets))]
    if report.owner_nonce_words:
        out += ["", "Owner nonce words: " + ", ".join(f"word {w.word}: {w.used} used" for w in report.owner_nonce_words)]
    out += ["", _positions_text(report, markets)]
    out += ["", f"Flags ({len(report.flags)})",
            table(("severity", "flag", "subject", "detail"), [(f.severity, f.code, f.subject, f.message) for f in report.flags])]
    rows = [(e.block_number, e.name, ", ".join(f"{k}={v}" for k, v in e.args.items()), e.transaction_hash) for e in report.events]
    out += ["", f"History ({count(len(report.events), 'event')})", table(("block", "event", "arguments", "tx"), rows)]
    return "\n".join(out)
