"""The Starlette app of one gateway (the routes and a lifespan that starts and stops its parts), and
uvicorn to run it. Nothing starts on import: on shutdown (uvicorn turns SIGTERM into it) no new
batch is sent, the one in flight finishes, and the follower stops last.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

import uvicorn
from eth_account.signers.local import LocalAccount
from starlette.applications import Starlette

from aa_auth.gateway.api import error_handlers, routes
from aa_auth.gateway.errors import StateUnavailable
from aa_auth.gateway.parts import Gateway
from aa_auth.gateway.settings import Settings

__all__ = ["Gateway", "create_app", "serve", "serving"]

def create_app(gateway: Gateway) -> Starlette:
    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await asyncio.to_thread(gateway.start)
        try:
            yield
        finally:
            await asyncio.to_thread(gateway.stop)

    return Starlette(routes=routes(gateway), exception_handlers=error_handlers, lifespan=lifespan)


def serve(settings: Settings, operator_key: LocalAccount) -> None:
    """Run the gateway until SIGINT or SIGTERM."""
    app = create_app(Gateway(settings, operator_key))
    # No access log: a line per request would cost more than deciding an order; /metrics counts them.
    uvicorn.Server(uvicorn.Config(app, host=settings.host, port=settings.port, lifespan="on", log_level="info",
                                  access_log=False, timeout_graceful_shutdown=5)).run()  # open event streams get 5 s


@contextmanager
def serving(gateway: Gateway, port: int) -> Iterator[str]:
    """The gateway on uvicorn in a background thread of this process (the demo, the tests); yields its URL."""
    server = uvicorn.Server(uvicorn.Config(create_app(gateway), host="127.0.0.1", port=port, lifespan="on",
                                           log_level="warning", access_log=False, timeout_graceful_shutdown=1))
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise StateUnavailable("the gateway did not start (see its log)")
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=60)
