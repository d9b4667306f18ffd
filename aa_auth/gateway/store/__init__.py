"""Where the gateway keeps orders, holds and its event log: one interface (base), on SQLite (one
process) or PostgreSQL (any number of processes, SPEC 14.6); `open_store` picks by the --db URL."""

from __future__ import annotations

from aa_auth.gateway.settings import POSTGRES_SCHEMES, sqlite_path
from aa_auth.gateway.store.base import Store

__all__ = ["open_store"]


def open_store(db: str, chain_id: int, venue: str) -> Store:
    """The store behind a `--db` URL: `sqlite:///PATH` or `postgresql://...`."""
    if db.startswith(POSTGRES_SCHEMES):
        from aa_auth.gateway.store.postgres import PostgresStore  # psycopg loads only for PostgreSQL

        return PostgresStore(db, chain_id, venue)
    from aa_auth.gateway.store.sqlite import SqliteStore

    return SqliteStore(sqlite_path(db), chain_id, venue)
