"""A bundler's JSON-RPC error as a named AAAuthError that says what to do.

ERC-7769 fixes the codes (-32602 fields, -32500 validation, -32501 paymaster, -32502 ERC-7562
rules, -32503 validity window, -32504..-32506 entities, -32507 signature, -32508 paymaster
deposit, -32521 execution reverted); the EntryPoint's AAxx code inside the message is more precise
than the code (a bundler may send AA24 as -32500 or as -32507), so it decides first.
"""

from __future__ import annotations

import re
from typing import Final

from aa_auth.errors import (
    BundlerError,
    EntityRefused,
    InvalidUserOpFields,
    PaymasterRefused,
    UserOpNotDue,
    UserOpReverted,
    UserOpSignatureRefused,
    UserOpValidationFailed,
    ValidationRuleViolation,
)

__all__ = ["ERC7769_CODES", "bundler_error"]

ERC7769_CODES: Final[dict[int, type[BundlerError]]] = {
    -32602: InvalidUserOpFields,
    -32500: UserOpValidationFailed,
    -32501: PaymasterRefused,
    -32502: ValidationRuleViolation,
    -32503: UserOpNotDue,
    -32504: EntityRefused,
    -32505: EntityRefused,
    -32506: EntityRefused,
    -32507: UserOpSignatureRefused,
    -32508: PaymasterRefused,
    -32521: UserOpReverted,
}

_REFUSED_BY_ACCOUNT: Final = (
    "the account refused the operation (SIG_VALIDATION_FAILED): sign with the owner, or with an active session key "
    "of an unfrozen account, on the key's own nonce lane, with calls its permissions allow and a gas budget "
    "(maxGasFee) that covers the operation's maximum cost; `aa-auth inspect ACCOUNT` shows the key"
)
# What to do about each EntryPoint code an aa-auth operation can meet (no paymaster, clone factory).
_AA_HINTS: Final[dict[str, tuple[type[BundlerError], str]]] = {
    "AA10": (UserOpValidationFailed, "the account exists already: send it without initCode"),
    "AA13": (UserOpValidationFailed, "the factory call failed or ran out of verificationGasLimit: check factory and owner"),
    "AA14": (UserOpValidationFailed, "the initCode creates another address than sender: compute sender with the factory's getAddress"),
    "AA20": (UserOpValidationFailed, "the sender has no code: create the account first or pass its initCode"),
    "AA21": (UserOpValidationFailed, "the account cannot pay the prefund: fund the account (or its EntryPoint deposit)"),
    "AA22": (UserOpNotDue, "the session's validAfter/validUntil excludes now: wait for validAfter or grant a new key"),
    "AA23": (UserOpValidationFailed, "validation reverted or ran out of gas: raise verificationGasLimit"),
    "AA24": (UserOpSignatureRefused, _REFUSED_BY_ACCOUNT),
    "AA25": (UserOpValidationFailed, "wrong nonce: read the lane's next nonce again (its previous operation may be pending)"),
    "AA26": (UserOpValidationFailed, "validation used more than verificationGasLimit: raise it (estimate again)"),
    "AA40": (UserOpValidationFailed, "the gas limits exceed what the bundler accepts: lower them"),
    "AA95": (UserOpValidationFailed, "the bundle ran out of gas: retry"),
}
_CODE_HINTS: Final[dict[type[BundlerError], str]] = {
    InvalidUserOpFields: "fix the named field of the operation",
    UserOpSignatureRefused: _REFUSED_BY_ACCOUNT,
    UserOpNotDue: "the operation is not valid now or expires within the bundler's margin: check the session's window",
    ValidationRuleViolation: "validation breaks an ERC-7562 rule: the account, factory or paymaster must not do this in validation",
    EntityRefused: "an entity (factory, paymaster, aggregator) is throttled, banned or under-staked at this bundler",
    PaymasterRefused: "the paymaster refused or cannot pay: session keys may not use a paymaster",
    UserOpReverted: "the operation's calls revert when executed: check target, data and value",
}
_AA_CODE: Final = re.compile(r"\bAA\d\d\b")


def bundler_error(code: int | None, message: str, data: object = None) -> BundlerError:
    """The named error for a bundler's JSON-RPC error `code` and `message`."""
    found = _AA_CODE.search(message)
    aa_code = found.group(0) if found else None
    if aa_code is not None and aa_code in _AA_HINTS:
        cls, hint = _AA_HINTS[aa_code]
    else:
        if aa_code is not None and aa_code.startswith("AA3"):  # AA3x: the paymaster's part of validation
            cls = PaymasterRefused
        else:
            cls = ERC7769_CODES.get(code, BundlerError) if code is not None else BundlerError
        hint = _CODE_HINTS.get(cls, "")
    shown = f"bundler refused ({code}): {message}" if code is not None else f"bundler refused: {message}"
    return cls(f"{shown}; {hint}" if hint else shown, code=code, aa_code=aa_code, data=data)
