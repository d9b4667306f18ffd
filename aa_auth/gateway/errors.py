"""Errors the gateway answers over HTTP (SPEC 14.1): each carries its status and its `type` name."""

from __future__ import annotations

from aa_auth.errors import AAAuthError


class GatewayError(AAAuthError):
    """An error answered as `{"error": {"type": kind, "message": ...}}` with HTTP `status`."""

    status = 500
    kind = "InternalError"

    def __init__(self, message: str, kind: str | None = None) -> None:
        super().__init__(message)
        if kind is not None:
            self.kind = kind


class InvalidRequest(GatewayError, ValueError):
    """Not JSON, or not the schema; the message names the field, e.g. `orders[3].order.size`."""

    status, kind = 400, "InvalidRequest"


class RuleViolation(GatewayError, ValueError):
    """A grant or revocation that the chain would refuse; `kind` is the failing rule's name."""

    status = 400


class NotFound(GatewayError, LookupError):
    status, kind = 404, "NotFound"


class MethodNotAllowed(GatewayError):
    status, kind = 405, "MethodNotAllowed"


class SessionNotActive(GatewayError):
    status, kind = 409, "SessionNotActive"


class PayloadTooLarge(GatewayError):
    status, kind = 413, "PayloadTooLarge"


class RateLimited(GatewayError):
    """The client is over its request rate; `retry_after` seconds until a token is back."""

    status, kind = 429, "RateLimited"

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class StateUnavailable(GatewayError, ConnectionError):
    """The gateway cannot see the chain (node down, follower lagging): it refuses rather than guess."""

    status, kind = 503, "StateUnavailable"


class StoreUnavailable(StateUnavailable):
    """The database cannot be reached (down, restarting, out of connections): refused, nothing half-done."""


class ReservationConflict(StateUnavailable):
    """Another process reserved the same digest or nonce in a concurrent transaction (a unique index refused
    the insert, or PostgreSQL broke a lock cycle): the intake decides the request again."""


class NotAnAccount(GatewayError, ValueError):
    """Not a genuine aa-auth account: neither a clone of --factory's implementation nor an EOA delegated to SessionAccount7702."""

    status, kind = 400, "NotAnAccount"
