"""A chain to talk to: the embedded eth-tester chain by default, or any JSON-RPC node by URL.

Every transaction is signed locally by an eth-account key, so the same code path serves the
embedded chain, anvil and a public testnet. Reverts surface as named errors (aa_auth.errors).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any, cast

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.types import TxParams, TxReceipt, Wei

from aa_auth.chain.artifacts import artifact, decode_revert, revert_data
from aa_auth.errors import ChainError, InvalidInput, TransactionError
from aa_auth.protocol.values import check_address

# The embedded chain starts this far ahead of the wall clock, so a new block's timestamp is always
# exactly its parent's + 1 (py-evm takes max(parent + 1, wall clock)) and time-based tests are exact.
EMBEDDED_CLOCK_LEAD = 86_400


@dataclass
class Chain:
    w3: Web3
    embedded: bool
    tester: Any = None  # the EthereumTester behind an embedded chain

    @classmethod
    def create_embedded(cls) -> Chain:
        """A fresh in-process chain (eth-tester with py-evm) with prefunded accounts."""
        from eth_tester import EthereumTester, PyEVMBackend
        from web3 import EthereumTesterProvider

        tester = EthereumTester(PyEVMBackend())
        chain = cls(Web3(EthereumTesterProvider(tester)), embedded=True, tester=tester)
        chain.travel_to(int(time.time()) + EMBEDDED_CLOCK_LEAD)
        return chain

    @classmethod
    def connect(cls, url: str, timeout: float = 30.0) -> Chain:
        """A JSON-RPC node at `url` (http(s):// or ws(s)://)."""
        if not url.startswith(("http://", "https://")):
            raise InvalidInput(f"RPC URL must start with http:// or https://, got {url!r}")
        w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": timeout}))
        try:
            w3.eth.chain_id
        except Exception as exc:
            raise ChainError(f"cannot reach the node at {url}: {exc.__class__.__name__}: {exc}") from None
        return cls(w3, embedded=False)

    @classmethod
    def from_options(cls, rpc_url: str | None, *, allow_embedded: bool) -> Chain:
        """`--rpc-url`, else WEB3_PROVIDER_URI, else the embedded chain when the command allows it."""
        url = rpc_url or os.environ.get("WEB3_PROVIDER_URI")
        if url:
            return cls.connect(url)
        if not allow_embedded:
            raise InvalidInput("this command needs a node: pass --rpc-url or set WEB3_PROVIDER_URI")
        return cls.create_embedded()

    # ------------------------------------------------------------ reading

    @property
    def chain_id(self) -> int:
        return int(self.w3.eth.chain_id)

    def timestamp(self) -> int:
        """The latest block's timestamp: the time `eth_call` decides at."""
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def contract(self, name: str, address: str) -> Contract:
        return self.w3.eth.contract(address=check_address(f"{name} address", address), abi=artifact(name)["abi"])

    def has_code(self, address: str) -> bool:
        return len(self.w3.eth.get_code(check_address("address", address))) > 0

    def call(self, function: ContractFunction, **overrides: Any) -> Any:
        """A read call whose revert surfaces as a named error."""
        try:
            return function.call(cast(TxParams, overrides) if overrides else None)
        except Exception as exc:
            raise self.named_error(exc) from None

    # ------------------------------------------------------------ time (local chains only)

    def travel_to(self, timestamp: int) -> None:
        """Mine a block at `timestamp`, so that the latest block (and eth_call) sees it."""
        if self.embedded:
            # eth-tester's time_travel(t) mines a block at t - 1 and leaves the pending block at t.
            self.tester.time_travel(timestamp + 1)
        else:
            self.w3.provider.make_request("evm_setNextBlockTimestamp", [timestamp])  # type: ignore[arg-type]
            self.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]

    def pin_next_block(self, timestamp: int) -> None:
        """Make the next mined block (the next transaction's) carry `timestamp`."""
        if self.embedded:
            self.tester.time_travel(timestamp)  # see travel_to
        else:
            self.w3.provider.make_request("evm_setNextBlockTimestamp", [timestamp])  # type: ignore[arg-type]

    def snapshot(self) -> Any:
        if self.embedded:
            return self.tester.take_snapshot()
        return self.w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]

    def revert(self, snapshot: Any) -> None:
        if self.embedded:
            self.tester.revert_to_snapshot(snapshot)
        else:
            self.w3.provider.make_request("evm_revert", [snapshot])  # type: ignore[arg-type]

    def fund(self, address: str, wei: int) -> None:
        """Send `wei` from the node's first unlocked account (local chains: eth-tester, anvil)."""
        sender = self.w3.eth.accounts[0]
        tx = self.w3.eth.send_transaction({"from": sender, "to": check_address("address", address), "value": Wei(wei)})
        self.w3.eth.wait_for_transaction_receipt(tx)

    # ------------------------------------------------------------ writing

    def send(self, function: ContractFunction, sender: LocalAccount, *, value: int = 0) -> TxReceipt:
        """Sign `function` with `sender`'s key and send it; a revert raises its named error."""
        params: TxParams = {"from": sender.address, "value": Wei(value), "chainId": self.chain_id}
        try:
            tx = function.build_transaction(params)
        except Exception as exc:
            raise self.named_error(exc) from None
        return self._sign_and_send(dict(tx), sender)

    def deploy(self, name: str, sender: LocalAccount, *args: Any) -> tuple[ChecksumAddress, TxReceipt]:
        """Deploy the shipped artifact `name` with constructor `args`; returns (address, receipt)."""
        return self.deploy_artifact(artifact(name), sender, *args)

    def deploy_artifact(
        self, compiled: dict[str, Any], sender: LocalAccount, *args: Any, value: int = 0
    ) -> tuple[ChecksumAddress, TxReceipt]:
        """Deploy any compiled artifact (abi + bytecode) with constructor `args` (and `value` wei)."""
        factory = self.w3.eth.contract(abi=compiled["abi"], bytecode=compiled["bytecode"])
        params: TxParams = {"from": sender.address, "chainId": self.chain_id, "value": Wei(value)}
        try:
            tx = factory.constructor(*args).build_transaction(params)
        except Exception as exc:
            raise self.named_error(exc) from None
        receipt = self._sign_and_send(tx, sender)
        address = receipt["contractAddress"]
        if address is None:
            name = compiled.get("contractName", "contract")
            raise TransactionError(f"deploying {name} mined no contract (tx {receipt['transactionHash'].hex()})")
        return address, receipt

    def _sign_and_send(self, tx: dict[str, Any], sender: LocalAccount) -> TxReceipt:
        tx["nonce"] = self.w3.eth.get_transaction_count(sender.address, "pending")
        signed = sender.sign_transaction(tx)
        try:
            tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
        except Exception as exc:
            raise self.named_error(exc) from None
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash)
        if receipt["status"] != 1:
            raise TransactionError(f"transaction {tx_hash.hex()} reverted (gas used {receipt['gasUsed']})")
        return receipt

    @staticmethod
    def named_error(exc: BaseException) -> Exception:
        """The named error (aa_auth.errors) behind a web3 or eth-tester exception."""
        data = revert_data(exc)
        if data:
            return decode_revert(data)
        if isinstance(exc, ValueError | ConnectionError | TimeoutError) or "revert" in str(exc).lower():
            return TransactionError(f"{exc.__class__.__name__}: {exc}")
        return exc if isinstance(exc, Exception) else TransactionError(str(exc))
