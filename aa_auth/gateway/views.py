"""The JSON bodies the gateway answers with (SPEC 14.2-14.5): uint256 values as decimal strings."""

from __future__ import annotations

from typing import Any

from aa_auth.errors import Reason
from aa_auth.gateway.follower import AccountView
from aa_auth.gateway.intake import LABELS, Result
from aa_auth.gateway.store.base import Event, Holds, StoredOrder
from aa_auth.gateway.wire import uint_text
from aa_auth.protocol.orders import Order
from aa_auth.protocol.verify import key_status, window_usage

__all__ = ["account_json", "event_json", "order_json", "result_json"]


def _hex(value: bytes | None) -> str | None:
    return None if value is None else "0x" + value.hex()


def _reason(reason: Reason | None) -> tuple[str, int]:
    shown = Reason.AUTHORIZED if reason is None else reason
    return LABELS[shown], int(shown)


def result_json(result: Result) -> dict[str, Any]:
    return {"digest": _hex(result.digest), "status": result.status.value, "reason": result.reason, "code": result.code}


def _order_fields(order: Order) -> dict[str, Any]:
    return {"venue": order.venue, "market": uint_text(order.market), "isBuy": order.is_buy, "size": uint_text(order.size),
            "price": uint_text(order.price), "nonce": uint_text(order.nonce), "deadline": uint_text(order.deadline)}


def order_json(stored: StoredOrder) -> dict[str, Any]:
    reason, code = _reason(stored.reason)
    return {"digest": _hex(stored.digest), "account": stored.account, "signer": stored.signer,
            "order": _order_fields(stored.order), "signature": _hex(stored.signature), "status": stored.status.value,
            "reason": reason, "code": code, "txHash": _hex(stored.tx_hash), "blockNumber": stored.block_number}


def event_json(event: Event) -> dict[str, Any]:
    reason, code = _reason(event.reason)
    return {"digest": _hex(event.digest), "status": event.status.value, "reason": reason, "code": code,
            "txHash": _hex(event.tx_hash), "blockNumber": event.block_number}


def account_json(account: str, view: AccountView, holds: dict[str, Holds]) -> dict[str, Any]:
    """GET /v1/accounts/{account}: each key's status and current window, settled and held."""
    now = view.timestamp
    sessions = []
    for key, session in view.sessions.items():
        scope = session.scope
        if scope is None:
            continue
        held = holds.get(key, Holds(0, 0, False))
        index, orders, spent = window_usage(session, scope, now) if now >= scope.valid_after else (0, 0, 0)
        # TODO(merge): main's verify.window_bounds gives inclusive bounds; use it for start and end then.
        width = scope.window_seconds
        start = scope.valid_after + index * width
        sessions.append({
            "key": key, "status": "revoked" if held.revoked else key_status(session, now).value, "validAfter": scope.valid_after, "validUntil": scope.valid_until,
            "window": {"index": index, "start": start, "end": start + width if width else None,
                       "ordersSettled": orders, "ordersHeld": held.orders, "maxOrders": scope.max_orders_per_window,
                       "notionalSettled": uint_text(spent), "notionalHeld": uint_text(held.notional),
                       "maxNotional": uint_text(scope.max_notional_per_window)},
        })
    return {"account": account, "owner": view.owner, "frozen": view.frozen, "kind": view.kind, "block": view.block,
            "sessions": sessions}
