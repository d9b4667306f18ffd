"""One exception root, the SPEC's reason codes as an enum, and named custom-error classes."""

from __future__ import annotations

from enum import IntEnum


class Reason(IntEnum):
    """Reason codes of SPEC section 5 (and 255 at the venue, section 9)."""

    AUTHORIZED = 0
    BAD_SIGNATURE = 1
    UNKNOWN_SIGNER = 2
    SESSION_REVOKED = 3
    ACCOUNT_FROZEN = 4
    SESSION_NOT_YET_VALID = 5
    SESSION_EXPIRED = 6
    VENUE_NOT_ALLOWED = 7
    MARKET_NOT_ALLOWED = 8
    ORDER_TOO_LARGE = 9
    PRICE_OUT_OF_BAND = 10
    ORDER_EXPIRED = 11
    NONCE_ALREADY_USED = 12
    RATE_LIMITED = 13
    NOTIONAL_CAP_EXCEEDED = 14
    VENUE_CALL_FAILED = 255

    def __str__(self) -> str:
        return f"{type(self).__name__}.{self.name}"  # IntEnum's own str() is the bare number

    @property
    def label(self) -> str:
        """The SPEC's CamelCase name, e.g. 'NonceAlreadyUsed'."""
        return "".join(part.capitalize() for part in self.name.split("_"))


class AAAuthError(Exception):
    """Root of every error aa-auth raises."""


class InvalidInput(AAAuthError, ValueError):
    """An argument is malformed or out of range; nothing was sent."""


class DomainMismatch(InvalidInput):
    """A signed order's digest is not its order's digest under this chain's id and its account:
    it was signed for another chain or account (the chain would say UnknownSigner); nothing was sent."""


class ContractRevert(AAAuthError, RuntimeError):
    """A contract call reverted with a custom error; `error_name` and `error_args` name it."""

    def __init__(self, error_name: str, error_args: tuple[object, ...], data: bytes) -> None:
        self.error_name = error_name
        self.error_args = error_args
        self.data = data
        shown = ", ".join(str(a) for a in error_args)
        super().__init__(f"reverted with {error_name}({shown})")


class OrderRejectedError(ContractRevert):
    """consumeOrder refused the order; `reason` says why."""

    @property
    def reason(self) -> Reason:
        return Reason(int(self.error_args[0]))  # type: ignore[call-overload]

    def __str__(self) -> str:
        return f"order rejected: {self.reason.label} ({int(self.reason)})"


class TransactionError(AAAuthError, RuntimeError):
    """A transaction could not be sent or was mined but failed without a decodable reason."""


class InsufficientFunds(TransactionError):
    """The sender's balance cannot pay a transaction's gas and value; nothing was sent."""


class ChainError(AAAuthError, ConnectionError):
    """The node cannot be reached or answered something unusable."""


class DelegationNotApplied(TransactionError):
    """An EIP-7702 transaction was mined but the EOA's code is not the designator it asked for.

    The chain skips an authorization it cannot apply (a stale or wrong nonce, another chain's id,
    a bad signature) without failing the transaction, so only reading the code afterwards tells."""


class BundlerError(AAAuthError, RuntimeError):
    """An ERC-4337 bundler refused a request (an ERC-7769 JSON-RPC error), or it could not be used.

    `code` is the JSON-RPC error code (None when the bundler did not answer with one), `aa_code` the
    EntryPoint's AAxx code when the message carries one, `data` the error's data member.
    """

    def __init__(self, message: str, *, code: int | None = None, aa_code: str | None = None, data: object = None) -> None:
        self.code = code
        self.aa_code = aa_code
        self.data = data
        super().__init__(message)


class BundlerUnreachable(BundlerError, ConnectionError):
    """The bundler's URL does not answer JSON-RPC (refused, timed out, or not a JSON-RPC server)."""


class BundlerMismatch(BundlerError):
    """The bundler serves another chain or does not support the EntryPoint the operation is for."""


class InvalidUserOpFields(BundlerError):
    """-32602: a field of the operation is malformed or out of the bundler's limits."""


class UserOpValidationFailed(BundlerError):
    """-32500: the EntryPoint's validation refused the operation (account, factory, nonce, prefund: AA1x/AA2x)."""


class UserOpSignatureRefused(UserOpValidationFailed):
    """-32507 or AA24: the account returned SIG_VALIDATION_FAILED (a bad signature, or a session key
    outside its status, lane, calls or gas budget)."""


class UserOpNotDue(UserOpValidationFailed):
    """-32503 or AA22: the operation's validity window (a session's validAfter/validUntil) excludes now or expires too soon."""


class PaymasterRefused(BundlerError):
    """-32501 or -32508: the paymaster refused the operation or its deposit cannot pay for it."""


class ValidationRuleViolation(BundlerError):
    """-32502: validation broke an ERC-7562 rule (a banned opcode, storage or code access)."""


class EntityRefused(BundlerError):
    """-32504, -32505 or -32506: an entity is throttled or banned, under-staked, or uses an unsupported aggregator."""


class UserOpReverted(BundlerError):
    """-32521: the operation's execution reverts (seen when estimating it)."""


class UserOpTimeout(BundlerError, TimeoutError):
    """The operation was accepted but no receipt came within the wait; it may still be included."""
