"""Sending transactions the way an operator on a public network wants: EIP-1559 fees, gas estimates
with headroom, and a receipt that is `confirmations` blocks deep before anything is recorded."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from web3.types import TxReceipt

from aa_auth.chain.connection import Chain
from aa_auth.errors import ChainError, InvalidInput, TransactionError

__all__ = ["FeePolicy", "TxSender"]

Progress = Callable[[str], None]


@dataclass(frozen=True)
class FeePolicy:
    """EIP-1559 fees, gas headroom and confirmations.

    Unset fees come from the node: the tip from eth_maxPriorityFeePerGas, the cap as twice the
    latest base fee plus the tip (room for six full blocks of base-fee growth).
    """

    max_fee_per_gas: int | None = None
    max_priority_fee_per_gas: int | None = None
    gas_headroom_percent: int = 20
    confirmations: int = 1
    timeout: float = 300.0
    poll_interval: float = 1.0

    def __post_init__(self) -> None:
        if self.confirmations < 1:
            raise InvalidInput("confirmations must be at least 1")
        if not 0 <= self.gas_headroom_percent <= 500:
            raise InvalidInput("gas headroom must be between 0 and 500 percent")


class TxSender:
    """Signs with `signer` (None: estimate only, as in a dry run) and sends under `policy`."""

    def __init__(self, chain: Chain, signer: LocalAccount | None, sender: str, policy: FeePolicy, progress: Progress) -> None:
        self.w3, self.chain_id = chain.w3, chain.chain_id
        self.signer, self.sender, self.policy, self.progress = signer, to_checksum_address(sender), policy, progress

    def fees(self) -> tuple[int, int]:
        """(maxFeePerGas, maxPriorityFeePerGas) for the next transaction."""
        base = self.w3.eth.get_block("latest").get("baseFeePerGas")
        if base is None:
            raise ChainError(f"chain {self.chain_id} has no EIP-1559 base fee; aa-auth sends only EIP-1559 transactions")
        tip = self.policy.max_priority_fee_per_gas
        if tip is None:
            tip = int(self.w3.eth.max_priority_fee)
        cap = self.policy.max_fee_per_gas if self.policy.max_fee_per_gas is not None else 2 * int(base) + tip
        if cap < tip:
            raise InvalidInput(f"max fee per gas ({cap}) is below the priority fee ({tip})")
        return cap, tip

    def estimate(self, tx: dict[str, Any]) -> int:
        """The node's gas estimate for `tx` plus the policy's headroom; a revert raises its named error."""
        params: dict[str, Any] = {"from": self.sender, **tx}
        try:
            gas = int(self.w3.eth.estimate_gas(params))  # type: ignore[arg-type]
        except Exception as exc:
            raise Chain.named_error(exc) from None  # the one place reverts get their names (aa_auth.chain.connection)
        return gas * (100 + self.policy.gas_headroom_percent) // 100

    def send(self, tx: dict[str, Any], what: str) -> TxReceipt:
        """Fill fees, gas and nonce, sign, send, and wait for the confirmations."""
        return self.broadcast(self.sign(tx), what)

    def sign(self, tx: dict[str, Any]) -> bytes:
        """Fill fees, gas and nonce and sign: the raw transaction, not sent (a caller may record its hash first)."""
        if self.signer is None:
            raise InvalidInput("sending needs the sender's key, not only its address")
        cap, tip = self.fees()
        tx = {**tx, "from": self.sender, "chainId": self.chain_id, "type": 2, "maxFeePerGas": cap, "maxPriorityFeePerGas": tip}
        tx["gas"] = self.estimate(tx)
        tx["nonce"] = self.w3.eth.get_transaction_count(self.sender, "pending")
        return bytes(self.signer.sign_transaction(tx).raw_transaction)

    def broadcast(self, raw: bytes, what: str) -> TxReceipt:
        """Send a signed transaction and wait until it is mined, successful and confirmed."""
        try:
            tx_hash = self.w3.eth.send_raw_transaction(raw)
        except Exception as exc:
            raise Chain.named_error(exc) from None
        shown = tx_hash.to_0x_hex()
        self.progress(f"{what}: sent {shown}, waiting for {self.policy.confirmations} confirmation(s)")
        try:
            receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=self.policy.timeout,
                                                               poll_latency=self.policy.poll_interval)
        except Exception as exc:
            raise TransactionError(f"{what}: {shown} was not mined within {self.policy.timeout:.0f}s ({exc.__class__.__name__})") from None
        if receipt["status"] != 1:
            raise TransactionError(f"{what}: transaction {shown} reverted (gas used {receipt['gasUsed']})")
        self.confirm(receipt, what)
        return receipt

    def confirm(self, receipt: TxReceipt, what: str) -> None:
        """Wait until the receipt's block is `confirmations` deep, then check it is still canonical."""
        deadline = time.monotonic() + self.policy.timeout
        while not self.final(receipt, what):
            if time.monotonic() > deadline:
                raise TransactionError(f"{what}: not {self.policy.confirmations} blocks deep within {self.policy.timeout:.0f}s")
            time.sleep(self.policy.poll_interval)

    def final(self, receipt: TxReceipt, what: str) -> bool:
        """Whether the receipt's block is `confirmations` deep now; TransactionError if it was reorganised away."""
        if self.w3.eth.block_number < receipt["blockNumber"] + self.policy.confirmations - 1:
            return False
        again = self.w3.eth.get_transaction_receipt(receipt["transactionHash"])
        if again["blockHash"] != receipt["blockHash"]:
            raise TransactionError(f"{what}: the block holding {receipt['transactionHash'].to_0x_hex()} was reorganised away; rerun")
        return True
