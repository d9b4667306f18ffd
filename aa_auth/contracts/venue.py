"""The ReferenceVenue: settle batches of signed orders and read each order's outcome from the logs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eth_account.signers.local import LocalAccount
from web3.logs import DISCARD
from web3.types import TxReceipt

from aa_auth.chain.connection import Chain
from aa_auth.errors import DomainMismatch, InvalidInput, Reason
from aa_auth.protocol.orders import SignedOrder
from aa_auth.protocol.typed_data import order_digest
from aa_auth.protocol.values import check_address, check_uint


@dataclass(frozen=True)
class Outcome:
    """What the venue did with one order: reason 0 with the signer when settled."""

    digest: bytes
    reason: Reason
    signer: str | None

    @property
    def settled(self) -> bool:
        return self.reason is Reason.AUTHORIZED


@dataclass(frozen=True)
class Settlement:
    """A mined batch: one outcome per order, in batch order, and the gas it cost."""

    outcomes: tuple[Outcome, ...]
    gas_used: int
    block_number: int
    tx_hash: bytes


class Venue:
    def __init__(self, chain: Chain, address: str) -> None:
        self.chain = chain
        self.address = check_address("venue", address)
        self.contract = chain.contract("ReferenceVenue", self.address)

    def position(self, account: str, market: int) -> int:
        fn = self.contract.functions.position(check_address("account", account), check_uint("market", market))
        return int(self.chain.call(fn))

    def settle(self, sender: LocalAccount, orders: Sequence[SignedOrder]) -> Settlement:
        """Settle `orders` in one transaction; a refused order is reported, never raised.

        Refused before sending (the whole batch, nothing sent): a signature that is not 65 bytes, and
        an order signed for another chain or account (DomainMismatch), which the chain would only
        report as UnknownSigner.
        """
        if not orders:
            raise InvalidInput("settle needs at least one signed order")
        chain_id = self.chain.chain_id
        for signed in orders:
            _check_signed(signed, chain_id)
        receipt = self.chain.send(self.contract.functions.settle([o.as_abi() for o in orders]), sender)
        return Settlement(self.outcomes(receipt), int(receipt["gasUsed"]), int(receipt["blockNumber"]),
                          bytes(receipt["transactionHash"]))

    def outcomes(self, receipt: TxReceipt) -> tuple[Outcome, ...]:
        """Each order's outcome in a mined settle transaction, in batch order."""
        # Both events are emitted in batch order, one per order, so log order is batch order.
        events = self.contract.events
        logs = sorted(
            [*events.OrderSettled().process_receipt(receipt, errors=DISCARD),
             *events.OrderRejected().process_receipt(receipt, errors=DISCARD)],
            key=lambda log: log["logIndex"],
        )
        return tuple(
            Outcome(bytes(log["args"]["digest"]), Reason(log["args"]["reason"]), None)
            if log["event"] == "OrderRejected"
            else Outcome(bytes(log["args"]["digest"]), Reason.AUTHORIZED, str(log["args"]["signer"]))
            for log in logs
        )


def _check_signed(signed: SignedOrder, chain_id: int) -> None:
    nonce = signed.order.nonce
    if len(signed.signature) != 65:
        raise InvalidInput(f"order {nonce}: signature must be 65 bytes, got {len(signed.signature)}")
    expected = order_digest(chain_id, signed.account, signed.order)
    if signed.digest != expected:
        raise DomainMismatch(
            f"order {nonce}: signed for another chain or account (or changed after signing): its digest "
            f"0x{signed.digest.hex()} is not 0x{expected.hex()}, the order's digest for account {signed.account} "
            f"on chain {chain_id}; sign it with OrderSigner(key, {chain_id}, {signed.account})"
        )
