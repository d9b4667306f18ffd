"""A real PostgreSQL server (Debian's `postgresql`) in a temporary folder on a free loopback port, for the
gateway's replica tests and benchmark.

As root, the server's tools run as the `postgres` user (`runuser -u postgres --`), in a folder that
user owns: PostgreSQL refuses to run as root, and pytest's own temporary folder is not one it can
enter. The server is stopped and its folder removed on exit, whatever the caller did.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from aa_auth.chain.anvil import free_port
from aa_auth.errors import ChainError


def _bin(tool: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{tool}")) or [p for p in [shutil.which(tool)] if p]
    if not found:
        raise ChainError(f"PostgreSQL's {tool} not found: install Debian's `postgresql` (apt-get install postgresql)")
    return found[-1]


def _as_server_user(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


@dataclass(frozen=True)
class Server:
    """A running cluster: `url` to connect, `stop`/`start` to take it away and bring it back (same port and data)."""

    url: str
    home: Path
    port: int
    timeout: float
    durable: bool = False  # fsync on (a benchmark's honest commit); tests run without it

    def _ctl(self, *argv: str, check: bool = True) -> None:
        subprocess.run(_as_server_user([_bin("pg_ctl"), "-D", str(self.home / "data"), *argv]), check=check,
                       capture_output=True, text=True, timeout=self.timeout)

    def start(self) -> None:
        self._ctl("-l", str(self.home / "server.log"), "-w", "-t", str(int(self.timeout)), "-o",
                  f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.home} "
                  f"-c fsync={'on' if self.durable else 'off'} -c max_connections=200", "start")

    def stop(self, mode: str = "immediate") -> None:
        """Stop the server; `immediate` is a crash for the clients (their connections drop at once)."""
        self._ctl("-m", mode, "-w", "stop", check=False)

    def restart(self) -> None:
        self.stop()
        self.start()


@contextmanager
def postgres_server(timeout: float = 60.0, durable: bool = False) -> Iterator[Server]:
    """A fresh database cluster on a free loopback port; stopped and removed on exit."""
    home = Path(tempfile.mkdtemp(prefix="aa-auth-pg-", dir="/tmp"))
    if os.geteuid() == 0:
        shutil.chown(home, "postgres", "postgres")
    port = free_port()
    server = Server(f"postgresql://postgres@127.0.0.1:{port}/postgres", home, port, timeout, durable)
    try:
        subprocess.run(_as_server_user([_bin("initdb"), "-D", str(home / "data"), "-U", "postgres", "--auth=trust",
                                        "-E", "UTF8", "--no-sync"]), check=True, capture_output=True, text=True,
                       timeout=timeout)
        server.start()
        try:
            yield server
        finally:
            server.stop()
    finally:
        shutil.rmtree(home, ignore_errors=True)


def create_database(server: Server, name: str) -> str:
    """A new database on the server; returns its URL."""
    import psycopg

    with psycopg.connect(server.url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")  # a name of ours, not input
    return server.url.rsplit("/", 1)[0] + "/" + name
