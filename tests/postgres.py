"""Start a real PostgreSQL server for the tests (aa_auth.ops.postgres_server; Debian's `postgresql`)."""

from aa_auth.ops.postgres_server import Server, create_database, postgres_server

__all__ = ["Server", "create_database", "postgres_server"]
