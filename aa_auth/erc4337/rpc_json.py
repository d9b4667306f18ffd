"""ERC-7769's JSON for EntryPoint v0.7/v0.8 operations, gas estimates and receipts.

On the wire an operation is unpacked: `factory`/`factoryData` instead of initCode, the four gas
limits and two fees as separate quantities, paymaster fields only when there is a paymaster (aa-auth
operations never have one unless the owner adds it). Quantities are 0x-hex without leading zeros.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aa_auth.erc4337.userops import GasLimits, PackedUserOperation
from aa_auth.errors import BundlerError
from aa_auth.protocol.values import check_address

__all__ = ["UserOpReceipt", "gas_from_json", "receipt_from_json", "user_op_to_json"]


def _quantity(value: int) -> str:
    return hex(value)


def _hex(data: bytes) -> str:
    return "0x" + data.hex()


def user_op_to_json(op: PackedUserOperation) -> dict[str, Any]:
    """The operation as `eth_sendUserOperation` and `eth_estimateUserOperationGas` take it."""
    body: dict[str, Any] = {
        "sender": op.sender,
        "nonce": _quantity(op.nonce),
        "callData": _hex(op.call_data),
        "callGasLimit": _quantity(op.call_gas_limit),
        "verificationGasLimit": _quantity(op.verification_gas_limit),
        "preVerificationGas": _quantity(op.pre_verification_gas),
        "maxFeePerGas": _quantity(op.max_fee_per_gas),
        "maxPriorityFeePerGas": _quantity(op.max_priority_fee_per_gas),
        "signature": _hex(op.signature),
    }
    if op.init_code:
        body["factory"] = check_address("factory", "0x" + op.init_code[:20].hex())
        body["factoryData"] = _hex(op.init_code[20:])
    if op.paymaster_and_data:
        # v0.7+ paymasterAndData: paymaster (20) | verificationGasLimit (16) | postOpGasLimit (16) | data
        pm = op.paymaster_and_data
        body["paymaster"] = check_address("paymaster", "0x" + pm[:20].hex())
        body["paymasterVerificationGasLimit"] = _quantity(int.from_bytes(pm[20:36], "big"))
        body["paymasterPostOpGasLimit"] = _quantity(int.from_bytes(pm[36:52], "big"))
        body["paymasterData"] = _hex(pm[52:])
    return body


def _int(data: dict[str, Any], name: str, what: str) -> int:
    try:
        value = data[name]
        return int(value, 16) if isinstance(value, str) else int(value)
    except (KeyError, TypeError, ValueError):
        raise BundlerError(f"the bundler's {what} has no valid {name!r}: {data!r}") from None


def gas_from_json(data: object) -> GasLimits:
    """`eth_estimateUserOperationGas`'s answer as the operation's gas limits."""
    if not isinstance(data, dict):
        raise BundlerError(f"the bundler's gas estimate is not an object: {data!r}")
    return GasLimits(
        verification_gas_limit=_int(data, "verificationGasLimit", "gas estimate"),
        call_gas_limit=_int(data, "callGasLimit", "gas estimate"),
        pre_verification_gas=_int(data, "preVerificationGas", "gas estimate"),
    )


@dataclass(frozen=True)
class UserOpReceipt:
    """An included operation: its UserOperationEvent and the bundle transaction that carried it."""

    user_op_hash: bytes
    sender: str
    nonce: int
    success: bool
    actual_gas_cost: int  # wei the account paid (what a session key's budget stands against)
    actual_gas_used: int
    transaction_hash: bytes
    block_number: int
    logs: tuple[dict[str, Any], ...] = ()  # the operation's own logs, as the node returns them
    reason: str | None = None  # the bundler's revert reason, for a failed execution


def receipt_from_json(data: object) -> UserOpReceipt:
    """`eth_getUserOperationReceipt`'s answer (not null)."""
    if not isinstance(data, dict) or not isinstance(data.get("receipt"), dict):
        raise BundlerError(f"the bundler's user operation receipt is malformed: {data!r}")
    tx = data["receipt"]
    success = data.get("success")
    if not isinstance(success, bool):
        raise BundlerError(f"the bundler's user operation receipt has no boolean 'success': {data!r}")
    return UserOpReceipt(
        user_op_hash=bytes.fromhex(str(data["userOpHash"])[2:]),
        sender=check_address("sender", data["sender"]),
        nonce=_int(data, "nonce", "receipt"),
        success=success,
        actual_gas_cost=_int(data, "actualGasCost", "receipt"),
        actual_gas_used=_int(data, "actualGasUsed", "receipt"),
        transaction_hash=bytes.fromhex(str(tx["transactionHash"])[2:]),
        block_number=_int(tx, "blockNumber", "receipt"),
        logs=tuple(data.get("logs") or ()),
        reason=data.get("reason") or None,
    )
