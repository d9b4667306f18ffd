"""The `Bundler` protocol without a bundler: `handleOps` from a key of our own, one operation a bundle.

For the embedded chain (no bundler can reach it) and for local nodes. It estimates as
`EntryPoint.estimate_gas` does, on the operation with its stub signature; it refuses with the same
named errors a bundler's refusal raises (`FailedOp`'s AAxx code decides which); it includes each
operation at once, so a receipt is there as soon as `send` returns. It knows the receipts of the
operations it sent itself, as a bundler's receipt cache does.
"""

from __future__ import annotations

from eth_account.signers.local import LocalAccount

from aa_auth.erc4337.bundler import EntryPoint, FailedOpError
from aa_auth.erc4337.bundler_errors import bundler_error
from aa_auth.erc4337.rpc_json import UserOpReceipt
from aa_auth.erc4337.userops import GasLimits, PackedUserOperation

__all__ = ["DirectBundler"]


class DirectBundler:
    """Bundles through `entry_point.handle_ops`, paid by `executor` (who is also the beneficiary)."""

    def __init__(self, entry_point: EntryPoint, executor: LocalAccount) -> None:
        self._entry = entry_point
        self.executor = executor
        self._receipts: dict[bytes, UserOpReceipt] = {}

    def __repr__(self) -> str:
        return f"DirectBundler({self._entry.address}, executor={self.executor.address})"

    @property
    def entry_point(self) -> str:
        return self._entry.address

    @property
    def chain_id(self) -> int:
        return self._entry.chain_id

    def estimate(self, op: PackedUserOperation) -> GasLimits:
        return self._entry.estimate_gas(op, None)

    def send(self, op: PackedUserOperation) -> bytes:
        op_hash = self._entry.check_user_op_hash(op)
        try:
            outcome = self._entry.handle_ops([op], self.executor)
        except FailedOpError as exc:
            raise bundler_error(None, exc.reason) from exc
        mined = outcome.ops[0]
        receipt = self._entry.chain.w3.eth.get_transaction_receipt(outcome.transaction_hash)  # type: ignore[arg-type]
        self._receipts[op_hash] = UserOpReceipt(
            user_op_hash=mined.user_op_hash,
            sender=mined.sender,
            nonce=mined.nonce,
            success=mined.success,
            actual_gas_cost=mined.actual_gas_cost,
            actual_gas_used=mined.actual_gas_used,
            transaction_hash=outcome.transaction_hash,
            block_number=outcome.block_number,
            logs=tuple(dict(log) for log in receipt["logs"]),
            reason=None if mined.revert is None else str(mined.revert),
        )
        return op_hash

    def receipt(self, user_op_hash: bytes) -> UserOpReceipt | None:
        return self._receipts.get(user_op_hash)
