"""What aa-auth needs from a bundler, whichever it is: one protocol, two implementations.

`aa_auth.erc4337.bundler_client.BundlerClient` speaks ERC-7769 JSON-RPC to any bundler (Alto,
Pimlico, Alchemy, Stackup, eth-infinitism); `aa_auth.erc4337.direct.DirectBundler` bundles by
itself with `handleOps` from a key of its own (the embedded chain, which no bundler can reach).
Both raise the same named errors (`aa_auth.erc4337.bundler_errors`) for a refused operation.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Final, Protocol

from aa_auth.erc4337.rpc_json import UserOpReceipt
from aa_auth.erc4337.userops import GasLimits, PackedUserOperation
from aa_auth.errors import InvalidInput, UserOpTimeout

__all__ = ["DEFAULT_WAIT", "Bundler", "wait_for_receipt"]

DEFAULT_WAIT: Final = 60.0  # seconds
_POLL: Final = 0.25


class Bundler(Protocol):
    """Estimates, accepts and reports user operations for one EntryPoint on one chain."""

    @property
    def entry_point(self) -> str: ...

    @property
    def chain_id(self) -> int: ...

    def estimate(self, op: PackedUserOperation) -> GasLimits:
        """Gas limits for `op`, which carries the stub signature of its signer (userops.stub_signature)."""
        ...

    def send(self, op: PackedUserOperation) -> bytes:
        """Submit the signed `op`; returns its userOpHash once the bundler accepted it."""
        ...

    def receipt(self, user_op_hash: bytes) -> UserOpReceipt | None:
        """The receipt of an included operation, None while it is pending (or unknown)."""
        ...


def wait_for_receipt(
    bundler: Bundler, user_op_hash: bytes, timeout: float = DEFAULT_WAIT, *,
    sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic,
) -> UserOpReceipt:
    """Poll `bundler` until the operation is included; UserOpTimeout after `timeout` seconds."""
    if timeout <= 0:
        raise InvalidInput(f"timeout must be positive seconds, not {timeout}")
    deadline = clock() + timeout
    while True:
        found = bundler.receipt(user_op_hash)
        if found is not None:
            return found
        if clock() >= deadline:
            raise UserOpTimeout(
                f"user operation 0x{user_op_hash.hex()} has no receipt after {timeout:g}s; it may still be included: "
                "ask again later (eth_getUserOperationReceipt) before sending it again"
            )
        sleep(min(_POLL, max(0.0, deadline - clock())))
