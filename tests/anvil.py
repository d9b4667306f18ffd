"""Start anvil (from npm @foundry-rs/anvil-linux-amd64) on a free loopback port for integration tests."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ANVIL = Path(__file__).resolve().parent.parent / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_anvil(timeout: float = 30.0, extra_args: tuple[str, ...] = (), port: int | None = None) -> Iterator[str]:
    """Yields the node's URL (on `port`, else a free one); the process is stopped on exit. Fails loudly when anvil is missing."""
    if not ANVIL.exists():
        raise RuntimeError(f"anvil not found at {ANVIL}: run `npm ci` in the checkout")
    port = _free_port() if port is None else port
    proc = subprocess.Popen(
        [str(ANVIL), "--host", "127.0.0.1", "--port", str(port), "--silent", "--hardfork", "prague", *extra_args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"anvil exited with {proc.returncode}: {proc.stderr.read().decode() if proc.stderr else ''}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        else:
            raise RuntimeError(f"anvil did not listen on port {port} within {timeout}s")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
