"""The HTTP routes of SPEC 14.2-14.5, and nothing else: each parses, asks the library, answers.

Errors are SPEC 14.1's `{"error": {"type", "message"}}`; blocking work (signature recovery, the
store, node calls) runs in worker threads so the event loop keeps serving.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from aa_auth.errors import AAAuthError
from aa_auth.gateway import views
from aa_auth.gateway.errors import (GatewayError, InvalidRequest, MethodNotAllowed, NotFound, PayloadTooLarge,
                                    RateLimited)
from aa_auth.gateway.openapi import document
from aa_auth.gateway.wire import encode, is_digest, parse_grant, parse_orders, parse_revocation
from aa_auth.protocol.values import check_address

if TYPE_CHECKING:
    from aa_auth.gateway.parts import Gateway

__all__ = ["error_handlers", "routes"]

log = logging.getLogger("aa_auth.gateway")
_EVENTS_PAGE = 500
_KEEPALIVE_SECONDS = 15.0


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(encode(data), status_code=status, media_type="application/json", headers=headers)


def _error(exc: GatewayError) -> Response:
    headers = {"Retry-After": str(max(1, math.ceil(exc.retry_after)))} if isinstance(exc, RateLimited) else None
    return _json({"error": {"type": exc.kind, "message": str(exc)}}, exc.status, headers)


async def _gateway_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, GatewayError)
    return _error(exc)


async def _http_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return _error(NotFound("no such route; see /openapi.json"))
    if exc.status_code == 405:
        return _error(MethodNotAllowed("method not allowed here; see /openapi.json"))
    return _json({"error": {"type": "HTTPError", "message": str(exc.detail)}}, exc.status_code)


async def _unexpected(_: Request, exc: Exception) -> Response:
    log.exception("unexpected error", exc_info=exc)
    return _json({"error": {"type": "InternalError", "message": "unexpected error; the gateway logged it"}}, 500)


error_handlers: dict[Any, Callable[[Request, Exception], Awaitable[Response]]] = {
    GatewayError: _gateway_error, HTTPException: _http_error, Exception: _unexpected,
}


def _address(name: str, value: str) -> str:
    try:
        return check_address(name, value)
    except AAAuthError as exc:
        raise InvalidRequest(f"{name}: {exc}") from None


class Api:
    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway

    def _client(self, request: Request) -> None:
        host = request.client.host if request.client else "unknown"
        wait = self.gateway.clients.take(host)
        if wait > 0:
            raise RateLimited(f"{host} is over {self.gateway.settings.client_rate:g} requests per second; retry later", wait)

    async def _body(self, request: Request) -> bytes:
        limit = self.gateway.settings.max_body
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise PayloadTooLarge(f"the body is {declared} bytes; at most {limit} (--max-body)")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(f"the body is over {limit} bytes (--max-body)")
            chunks.append(chunk)
        return b"".join(chunks)

    async def post_orders(self, request: Request) -> Response:
        self._client(request)
        orders = parse_orders(await self._body(request), self.gateway.settings.max_orders_per_request)
        results = await run_in_threadpool(self.gateway.intake.post, orders)
        return _json({"results": [views.result_json(r) for r in results]})

    async def get_order(self, request: Request) -> Response:
        self._client(request)
        digest = request.path_params["digest"]
        if not is_digest(digest):
            raise InvalidRequest(f"digest: 0x followed by 64 hex digits, got {digest!r}")
        stored = await run_in_threadpool(self.gateway.store.order, bytes.fromhex(digest[2:]))
        if stored is None:
            raise NotFound(f"no order {digest} at this gateway")
        return _json(views.order_json(stored))

    async def get_account(self, request: Request) -> Response:
        self._client(request)
        account = _address("account", request.path_params["account"])
        view = self.gateway.follower.account_view(account)
        if view is None:
            raise NotFound(f"{account} is not served here (the gateway serves an account once it sees one of its orders or grants)")
        holds = await run_in_threadpool(self.gateway.store.held_totals, account)
        return _json(views.account_json(account, view, holds))

    async def post_grant(self, request: Request) -> Response:
        self._client(request)
        grant = parse_grant(await self._body(request))
        tx_hash = await run_in_threadpool(self.gateway.relay.grant, grant)
        return _json({"txHash": "0x" + tx_hash.hex()}, 202)

    async def post_revocation(self, request: Request) -> Response:
        self._client(request)
        revocation = parse_revocation(await self._body(request))
        tx_hash = await run_in_threadpool(self.gateway.relay.revoke, revocation)
        return _json({"txHash": "0x" + tx_hash.hex()}, 202)

    async def events(self, request: Request) -> Response:
        self._client(request)
        account, signer = (request.query_params.get(name) for name in ("account", "signer"))
        account = None if account is None else _address("account", account)
        signer = None if signer is None else _address("signer", signer)
        last = request.headers.get("last-event-id", "0").strip() or "0"
        if not last.isdigit():
            raise InvalidRequest(f"Last-Event-ID: a non-negative event id, got {last!r}")
        return StreamingResponse(self._stream(request, int(last), account, signer), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    async def _stream(self, request: Request, last: int, account: str | None, signer: str | None) -> AsyncIterator[bytes]:
        wakeup = self.gateway.wakeups.subscribe()
        try:
            yield b": aa-auth gateway events\n\n"
            while not self.gateway.stopping.is_set():
                wakeup.clear()
                events = await run_in_threadpool(self.gateway.store.events_after, last, _EVENTS_PAGE, account, signer)
                for event in events:
                    last = event.id
                    yield b"id: %d\nevent: order\ndata: %s\n\n" % (event.id, encode(views.event_json(event)))
                if len(events) == _EVENTS_PAGE:
                    continue
                try:
                    await asyncio.wait_for(wakeup.wait(), timeout=_KEEPALIVE_SECONDS)
                except TimeoutError:
                    if await request.is_disconnected():
                        return
                    yield b": keep-alive\n\n"
        finally:
            self.gateway.wakeups.unsubscribe(wakeup)

    async def healthz(self, _: Request) -> Response:
        follower = self.gateway.follower
        body = {"status": "degraded" if follower.degraded else "ok", "chainId": follower.chain_id, "block": follower.head,
                "lagBlocks": follower.lag}
        if follower.error is not None:
            body["error"] = follower.error
        return _json(body, 503 if follower.degraded else 200)

    async def metrics(self, _: Request) -> Response:
        metrics = self.gateway.metrics
        metrics.lag_blocks.set(self.gateway.follower.lag)
        return Response(metrics.text(), media_type=CONTENT_TYPE_LATEST)

    async def openapi(self, _: Request) -> Response:
        return _json(document())


def routes(gateway: Gateway) -> list[Route]:
    api = Api(gateway)
    return [
        Route("/v1/orders", api.post_orders, methods=["POST"]),
        Route("/v1/orders/{digest}", api.get_order, methods=["GET"]),
        Route("/v1/accounts/{account}", api.get_account, methods=["GET"]),
        Route("/v1/grants", api.post_grant, methods=["POST"]),
        Route("/v1/revocations", api.post_revocation, methods=["POST"]),
        Route("/v1/events", api.events, methods=["GET"]),
        Route("/healthz", api.healthz, methods=["GET"]),
        Route("/metrics", api.metrics, methods=["GET"]),
        Route("/openapi.json", api.openapi, methods=["GET"]),
    ]
