"""Every knob of `aa-auth gateway serve` (SPEC section 14) in one frozen, validated record."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aa_auth.errors import InvalidInput
from aa_auth.protocol.values import check_address

__all__ = ["DEFAULT_DB", "POSTGRES_SCHEMES", "Settings", "sqlite_path"]

DEFAULT_DB = "sqlite:///gateway.db"
_SQLITE = "sqlite:///"
POSTGRES_SCHEMES = ("postgresql://", "postgres://")  # libpq's URL schemes (SPEC 14.6)


def sqlite_path(db: str) -> Path:
    """The file of a `sqlite:///PATH` URL (relative to the working directory, like SQLAlchemy's)."""
    if not db.startswith(_SQLITE) or len(db) == len(_SQLITE):
        raise InvalidInput(f"--db must be sqlite:///PATH or postgresql://USER@HOST:PORT/DBNAME, got {db!r}")
    return Path(db[len(_SQLITE):])


@dataclass(frozen=True)
class Settings:
    """The flags of SPEC 14 plus the token-bucket rates (docs/gateway.md gives the defaults' reasons)."""

    rpc_url: str
    venue: str
    factory: str
    implementation_7702: str | None = None
    db: str = DEFAULT_DB
    host: str = "127.0.0.1"
    port: int = 8080
    batch_max: int = 100
    batch_wait: float = 1.0
    confirmations: int = 1
    max_lag: int = 5
    max_body: int = 1_048_576
    max_orders_per_request: int = 500
    client_rate: float = 20.0  # requests per second per client address
    client_burst: int = 100
    signer_rate: float = 2_000.0  # orders per second per signer
    signer_burst: int = 10_000
    poll_interval: float = 0.5  # seconds between the follower's looks at the node
    from_block: int = 0  # where the follower looks for an account's AccountCreated event

    def __post_init__(self) -> None:
        object.__setattr__(self, "venue", check_address("--venue", self.venue))
        object.__setattr__(self, "factory", check_address("--factory", self.factory))
        if self.implementation_7702 is not None:
            object.__setattr__(self, "implementation_7702", check_address("--implementation-7702", self.implementation_7702))
        if not self.db.startswith(POSTGRES_SCHEMES):
            sqlite_path(self.db)
        if not 0 <= self.port <= 65_535:
            raise InvalidInput(f"--port must be 0-65535, got {self.port}")
        for name, value, low in (("--batch-max", self.batch_max, 1), ("--confirmations", self.confirmations, 1),
                                 ("--max-lag", self.max_lag, 0), ("--max-body", self.max_body, 1_024),
                                 ("--max-orders-per-request", self.max_orders_per_request, 1),
                                 ("--client-burst", self.client_burst, 1), ("--signer-burst", self.signer_burst, 1)):
            if value < low:
                raise InvalidInput(f"{name} must be at least {low}, got {value}")
        for name, rate in (("--batch-wait", self.batch_wait), ("--client-rate", self.client_rate),
                           ("--signer-rate", self.signer_rate), ("poll interval", self.poll_interval)):
            if not rate > 0:
                raise InvalidInput(f"{name} must be positive, got {rate}")
