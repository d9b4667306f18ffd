"""A local anvil node on a free loopback port: the real JSON-RPC node for the tests, the gateway's
benchmark and demo, where the embedded chain cannot serve (it is not a network node).

anvil comes from the checkout's node_modules (npm @foundry-rs/anvil-linux-amd64, `npm ci`), else PATH.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from aa_auth.errors import ChainError

__all__ = ["anvil_binary", "free_port", "running_anvil", "stop_process"]

_NPM_ANVIL = Path(__file__).resolve().parents[2] / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"


def anvil_binary() -> Path:
    if _NPM_ANVIL.exists():
        return _NPM_ANVIL
    found = shutil.which("anvil")
    if found is None:
        raise ChainError(f"anvil not found at {_NPM_ANVIL} nor on PATH: run `npm ci` in the checkout")
    return Path(found)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_anvil(timeout: float = 30.0, extra_args: tuple[str, ...] = (), port: int | None = None) -> Iterator[str]:
    """Yields the node's URL (on `port`, else a free one); the process is stopped on exit."""
    port = free_port() if port is None else port
    proc = subprocess.Popen(
        [str(anvil_binary()), "--host", "127.0.0.1", "--port", str(port), "--silent", "--hardfork", "prague", *extra_args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise ChainError(f"anvil exited with {proc.returncode}: {proc.stderr.read().decode() if proc.stderr else ''}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        else:
            raise ChainError(f"anvil did not listen on port {port} within {timeout}s")
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(proc)


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """SIGTERM, and SIGKILL if it has not exited within `timeout` seconds."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
