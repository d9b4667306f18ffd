"""A minimal client of the gateway over one keep-alive HTTP connection (stdlib only), for the demo
and the benchmark: post signed orders, read a route, read the event stream."""

from __future__ import annotations

import http.client
import json
from typing import Any

from aa_auth.errors import ChainError
from aa_auth.protocol.orders import SignedOrder

__all__ = ["GatewayClient", "signed_order_json"]


def signed_order_json(signed: SignedOrder) -> dict[str, Any]:
    """A signed order as SPEC 14.1 puts it on the wire: uint256 values as decimal strings."""
    o = signed.order
    return {"account": signed.account, "signature": "0x" + signed.signature.hex(),
            "order": {"venue": o.venue, "market": str(o.market), "isBuy": o.is_buy, "size": str(o.size), "price": str(o.price),
                      "nonce": str(o.nonce), "deadline": str(o.deadline)}}


class GatewayClient:
    def __init__(self, port: int, timeout: float = 60.0) -> None:
        self.port, self.timeout = port, timeout
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def request(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
        encoded = None if body is None else json.dumps(body)
        self.connection.request(method, path, encoded, {"content-type": "application/json", **(headers or {})})
        response = self.connection.getresponse()
        return response.status, json.loads(response.read() or b"null")

    def post_orders(self, orders: list[SignedOrder]) -> list[dict[str, Any]]:
        status, answer = self.request("POST", "/v1/orders", {"orders": [signed_order_json(o) for o in orders]})
        if status != 200:
            raise ChainError(f"the gateway answered {status}: {answer}")
        results: list[dict[str, Any]] = answer["results"]
        return results

    def get(self, path: str) -> Any:
        return self.request("GET", path)[1]

    def events(self, count: int, last_id: int = 0) -> list[dict[str, Any]]:
        """The first `count` events after `last_id` from /v1/events (a connection of its own)."""
        stream = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            stream.request("GET", "/v1/events", headers={"Last-Event-ID": str(last_id)})
            response = stream.getresponse()
            events: list[dict[str, Any]] = []
            current: dict[str, Any] = {}
            while len(events) < count:
                line = response.readline().decode().rstrip("\n")
                if not line and current:
                    events.append(current)
                    current = {}
                elif line and not line.startswith(":"):
                    name, _, value = line.partition(": ")
                    current[name] = json.loads(value) if name == "data" else value
            return events
        finally:
            stream.close()
