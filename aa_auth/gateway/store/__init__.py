"""Where the gateway keeps orders, holds and its event log: one interface (base), SQLite now (sqlite)."""
