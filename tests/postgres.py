"""Start a real PostgreSQL server (Debian's `postgresql`) in a temporary folder on a free loopback port.

As root, the server's tools run as the `postgres` user (`runuser -u postgres --`), in a folder that
user owns: PostgreSQL refuses to run as root, and pytest's own temporary folder is not one it can
enter. The server is stopped and its folder removed on exit, whatever the test did.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.anvil import _free_port


def _bin(tool: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{tool}")) or [p for p in [shutil.which(tool)] if p]
    if not found:
        raise RuntimeError(f"PostgreSQL's {tool} not found: install Debian's `postgresql` (.ci/run does)")
    return found[-1]


def _as_server_user(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


@contextmanager
def running_postgres(timeout: float = 60.0) -> Iterator[str]:
    """Yields a `postgresql://` URL of a fresh database cluster; stops the server on exit."""
    home = Path(tempfile.mkdtemp(prefix="aa-auth-pg-", dir="/tmp"))
    data = home / "data"
    if os.geteuid() == 0:
        shutil.chown(home, "postgres", "postgres")
    port = _free_port()
    run = lambda argv: subprocess.run(_as_server_user(argv), check=True, capture_output=True, text=True, timeout=timeout)  # noqa: E731
    try:
        run([_bin("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
        run([_bin("pg_ctl"), "-D", str(data), "-l", str(home / "server.log"), "-w", "-t", str(int(timeout)),
             "-o", f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={home} -c fsync=off",
             "start"])
        try:
            yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
        finally:
            subprocess.run(_as_server_user([_bin("pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]),
                           capture_output=True, timeout=timeout)
    finally:
        shutil.rmtree(home, ignore_errors=True)
