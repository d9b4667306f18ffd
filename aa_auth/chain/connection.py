"""A chain to talk to: the embedded eth-tester chain by default, or any JSON-RPC node by URL.

Every transaction is signed locally by an eth-account key, so the same code path serves the
embedded chain, anvil and a public testnet. Reverts surface as named errors (aa_auth.errors).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from collections.abc import Callable
from typing import Any, cast

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils.exceptions import ValidationError
from web3 import Web3
from web3._utils.transactions import fill_transaction_defaults
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.types import TxParams, TxReceipt, Wei

from aa_auth.chain.artifacts import artifact, decode_revert, revert_data
from aa_auth.errors import ChainError, InsufficientFunds, InvalidInput, TransactionError
from aa_auth.protocol.values import check_address, check_uint

# How nodes say a sender cannot pay gas * fee + value: geth and anvil, then eth-tester (py-evm).
_UNFUNDED = re.compile(r"insufficient funds|cannot afford txn gas (\d+) with account balance (\d+)", re.IGNORECASE)


@dataclass
class Chain:
    w3: Web3
    embedded: bool
    tester: Any = None  # the EthereumTester behind an embedded chain

    @classmethod
    def create_embedded(cls) -> Chain:
        """A fresh in-process chain (eth-tester with py-evm) with prefunded accounts.

        Its blocks carry the wall clock's time, as a node's do (aa_auth.chain.embedded), so
        deadlines and expiries taken from `time.time()` mean the same here as on a real network.
        """
        from eth_tester import EthereumTester
        from web3 import EthereumTesterProvider

        from aa_auth.chain.embedded import WallClockBackend

        tester = EthereumTester(WallClockBackend())
        return cls(Web3(EthereumTesterProvider(tester)), embedded=True, tester=tester)

    @classmethod
    def connect(cls, url: str, timeout: float = 30.0) -> Chain:
        """A JSON-RPC node at `url` over HTTP(S).

        Not WebSocket: web3 8 has no synchronous WebSocket provider (it removed the legacy one), and
        every call here is synchronous. Nodes serve the same JSON-RPC over HTTP.
        """
        if url.startswith(("ws://", "wss://")):
            raise InvalidInput(f"RPC URL {url!r} is a WebSocket URL; aa-auth talks to nodes over HTTP(S): "
                               "give the node's http:// or https:// endpoint (geth and anvil serve both)")
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
        """Mine a block at `timestamp`, so that the latest block (and eth_call) sees it.

        On the embedded chain the next transaction then lands at exactly `timestamp` + 1.
        """
        if self.embedded:
            self._time_travel(timestamp, pending=check_uint("timestamp", timestamp) + 1)  # eth-tester mines a block at pending - 1
        else:
            self._rpc("evm_setNextBlockTimestamp", timestamp)
            self._rpc("evm_mine")

    def pin_next_block(self, timestamp: int) -> None:
        """Make the next mined block (the next transaction's) carry `timestamp`."""
        if self.embedded:
            self._time_travel(timestamp, pending=check_uint("timestamp", timestamp))  # see travel_to
        else:
            self._rpc("evm_setNextBlockTimestamp", timestamp)

    def _time_travel(self, asked: int, *, pending: int) -> None:
        from eth_tester.exceptions import ValidationError as TimeRefused

        try:
            self.tester.time_travel(pending)
        except TimeRefused:  # eth-tester refuses a time before the pending block's
            raise InvalidInput(f"cannot move the chain's time to {asked}: block times only move forward, "
                               f"and the latest block is at {self.timestamp()}") from None
        self.tester.backend.keep_next_block_time()  # also when eth-tester had nothing to do

    def _rpc(self, method: str, *params: Any) -> Any:
        """A node's test method (anvil, hardhat); its error response raises instead of passing silently."""
        response = self.w3.provider.make_request(method, list(params))  # type: ignore[arg-type]
        if "error" in response:
            raise InvalidInput(f"the node refused {method}{list(params)}: {response['error'].get('message', response['error'])}")
        return response.get("result")

    def snapshot(self) -> Any:
        if self.embedded:
            return self.tester.take_snapshot()
        return self._rpc("evm_snapshot")

    def revert(self, snapshot: Any) -> None:
        if self.embedded:
            self.tester.revert_to_snapshot(snapshot)
        else:
            self._rpc("evm_revert", snapshot)

    def fund(self, address: str, wei: int) -> None:
        """Send `wei` from the node's first unlocked account (local chains: eth-tester, anvil)."""
        unlocked = self.w3.eth.accounts
        if not unlocked:
            raise InvalidInput("this node has no unlocked account to fund from: fund() serves local chains "
                               "(embedded, anvil); on a real network send the ETH from a funded key")
        sender = unlocked[0]
        tx = self.w3.eth.send_transaction({"from": sender, "to": check_address("address", address), "value": Wei(wei)})
        self.w3.eth.wait_for_transaction_receipt(tx)

    # ------------------------------------------------------------ writing

    def send(self, function: ContractFunction, sender: LocalAccount, *, value: int = 0) -> TxReceipt:
        """Sign `function` with `sender`'s key and send it; a revert raises its named error."""
        return self._transact(function.build_transaction, sender, value)

    def transact(self, fields: dict[str, Any], sender: LocalAccount) -> TxReceipt:
        """Sign and send a transaction given by its fields (`to`, `data`, `value`, an EIP-7702
        `authorizationList`, ...): the node estimates gas and fees as for a contract call."""
        fields = dict(fields)
        value = int(fields.pop("value", 0))
        return self._transact(lambda base: fill_transaction_defaults(self.w3, {**base, **fields}), sender, value)

    def deploy(self, name: str, sender: LocalAccount, *args: Any) -> tuple[ChecksumAddress, TxReceipt]:
        """Deploy the shipped artifact `name` with constructor `args`; returns (address, receipt)."""
        return self.deploy_artifact(artifact(name), sender, *args)

    def deploy_artifact(
        self, compiled: dict[str, Any], sender: LocalAccount, *args: Any, value: int = 0
    ) -> tuple[ChecksumAddress, TxReceipt]:
        """Deploy any compiled artifact (abi + bytecode) with constructor `args` (and `value` wei)."""
        factory = self.w3.eth.contract(abi=compiled["abi"], bytecode=compiled["bytecode"])
        receipt = self._transact(factory.constructor(*args).build_transaction, sender, value)
        address = receipt["contractAddress"]
        if address is None:
            name = compiled.get("contractName", "contract")
            raise TransactionError(f"deploying {name} mined no contract (tx {receipt['transactionHash'].hex()})")
        return address, receipt

    def _transact(self, build: Callable[[TxParams], TxParams], sender: LocalAccount, value: int) -> TxReceipt:
        """Build (the node estimates gas), sign with `sender`'s key, send and wait: the one way the
        library sends a transaction, so every refusal (revert, unfunded sender) gets its name here."""
        try:
            tx: dict[str, Any] = dict(build({"from": sender.address, "value": Wei(value), "chainId": self.chain_id}))
            tx["nonce"] = self.w3.eth.get_transaction_count(sender.address, "pending")
            tx_hash = self.w3.eth.send_raw_transaction(sender.sign_transaction(tx).raw_transaction)
        except Exception as exc:
            raise self.named_error(exc, sender.address) from None
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash)
        if receipt["status"] != 1:
            raise TransactionError(f"transaction {tx_hash.hex()} reverted (gas used {receipt['gasUsed']})")
        return receipt

    @staticmethod
    def named_error(exc: BaseException, sender: str | None = None) -> Exception:
        """The named error (aa_auth.errors) behind a web3 or eth-tester exception; `sender` names
        the account in the message when it cannot pay."""
        data = revert_data(exc)
        if data:
            return decode_revert(data)
        unfunded = _UNFUNDED.search(str(exc))
        if unfunded:
            amounts = f" (gas costs up to {int(unfunded[1]):,} wei, its balance is {int(unfunded[2]):,})" if unfunded[1] else ""
            return InsufficientFunds(f"{sender or 'the sender'} cannot pay for this transaction{amounts}: "
                                     "send it ETH on this chain, or send from a funded key")
        if isinstance(exc, ValueError | ConnectionError | TimeoutError | ValidationError) or "revert" in str(exc).lower():
            return TransactionError(f"{exc.__class__.__name__}: {exc}")
        return exc if isinstance(exc, Exception) else TransactionError(str(exc))
