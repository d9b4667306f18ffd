"""A local Pimlico Alto bundler (npm @pimlico/alto, pinned) on a free loopback port, for tests and demos.

Alto needs a node that runs its JS tracers (`debug_traceCall`): anvil does. It runs in safe mode
(ERC-7562 rules enforced through the tracer) with the project's patch (patches/, applied by
patch-package at `npm ci`), which teaches Alto 0.0.20 EntryPoint v0.8's `DelegateAndRevert` error
and lets it listen on loopback only (docs/erc4337.md, "Alto").
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from aa_auth.chain.anvil import free_port, stop_process
from aa_auth.errors import BundlerUnreachable

__all__ = ["alto_command", "running_alto"]

_ALTO = Path(__file__).resolve().parents[2] / "node_modules" / "@pimlico" / "alto" / "esm" / "cli" / "alto.js"


def alto_command() -> list[str]:
    node = shutil.which("node")
    if node is None or not _ALTO.exists():
        raise BundlerUnreachable(f"Alto needs node on PATH and {_ALTO}: run `make install` (npm ci) in the checkout")
    return [node, str(_ALTO)]


@contextmanager
def running_alto(
    rpc_url: str, entry_point: str, executor_key: bytes, utility_key: bytes, *, safe_mode: bool = True, timeout: float = 60.0,
    log_level: str = "warn", extra_args: tuple[str, ...] = (),
) -> Iterator[str]:
    """Yields Alto's URL; the process is stopped on exit.

    `executor_key` sends the bundles, `utility_key` deploys Alto's simulation contracts at start
    (through the CREATE2 deployer); both must hold ETH.

    Blocks are mined by the node as Alto's transactions arrive (anvil's automine); Alto polls every 100 ms.
    """
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="alto-", suffix=".log", delete=False)
    args = [
        *alto_command(),
        "--entrypoints", entry_point,
        "--executor-private-keys", "0x" + executor_key.hex(),
        "--utility-private-key", "0x" + utility_key.hex(),
        "--utility-wallet-monitor", "false",
        "--rpc-url", rpc_url,
        "--port", str(port),
        "--safe-mode", "true" if safe_mode else "false",
        "--block-time", "100",
        "--min-bundle-interval", "50",
        "--max-bundle-interval", "200",
        "--log-level", log_level,
        *extra_args,
    ]
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "ALTO_HOST": "127.0.0.1"})
    url = f"http://127.0.0.1:{port}"
    try:
        _await_ready(proc, url, timeout, Path(log.name))
        yield url
    finally:
        stop_process(proc)
        log.close()
        os.unlink(log.name)


def _await_ready(proc: subprocess.Popen[bytes], url: str, timeout: float, log: Path) -> None:
    probe = {"jsonrpc": "2.0", "id": 1, "method": "eth_supportedEntryPoints", "params": []}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BundlerUnreachable(f"Alto exited with {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            if "result" in requests.post(url, data=json.dumps(probe), headers={"content-type": "application/json"}, timeout=2).json():
                return
        except (requests.RequestException, ValueError):
            pass
        time.sleep(0.2)
    raise BundlerUnreachable(f"Alto did not answer at {url} within {timeout}s: {log.read_text()[-2000:]}")
