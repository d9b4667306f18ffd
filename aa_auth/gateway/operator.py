"""The operator key's transactions: settle batches and relayed grants and revocations share one
nonce sequence, so they are signed and sent one at a time; fees, gas headroom and confirmations
are the FeePolicy the deploy command uses (aa_auth.chain.transactions)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from aa_auth.chain.connection import Chain
from aa_auth.chain.transactions import FeePolicy, TxSender

__all__ = ["Operator"]

log = logging.getLogger("aa_auth.gateway")


class Operator:
    def __init__(self, chain: Chain, key: LocalAccount, policy: FeePolicy) -> None:
        self.address = key.address
        self.policy = policy
        self.tx = TxSender(chain, key, key.address, policy, log.info)
        self._lock = threading.Lock()

    def send(self, to: str, data: str, record: Callable[[bytes], bool] = lambda _: True) -> bytes | None:
        """Sign a call of `data` to `to` (a revert in the gas estimate raises its named error), let `record`
        store the transaction's hash, and send it only if `record` agreed. Returns the hash, or None."""
        with self._lock:
            raw = self.tx.sign({"to": to, "data": data, "value": 0})
            tx_hash = keccak(raw)
            if not record(tx_hash):
                return None
            try:
                self.tx.w3.eth.send_raw_transaction(raw)
            except Exception as exc:
                raise Chain.named_error(exc) from None
        return tx_hash
