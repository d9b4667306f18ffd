"""A stack on its own anvil with Pimlico Alto (safe mode, patched) in front of it, for the bundler tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from web3.contract import Contract

from aa_auth.chain.anvil import running_anvil
from aa_auth.chain.connection import Chain
from aa_auth.contracts.account import SmartAccount
from aa_auth.contracts.deployments import deploy_deterministic
from aa_auth.contracts.stack import Stack, create_account
from aa_auth.erc4337.alto import running_alto
from aa_auth.erc4337.bundler import EntryPoint
from aa_auth.erc4337.bundler_client import BundlerClient
from aa_auth.erc4337.userops import Call
from aa_auth.protocol.scope import CallPermission
from tests.conftest import ETHER, named_key
from tests.integration.userop_support import TRANSFER, deploy_contract, grant_calls

OWNER = named_key("alto owner")


@dataclass
class AltoNode:
    chain: Chain
    stack: Stack
    entry_point: EntryPoint
    bundler: BundlerClient
    url: str  # Alto's
    rpc_url: str  # anvil's
    deployer: LocalAccount
    token: Contract
    accounts: int = 0

    def new_account(self, owner: LocalAccount = OWNER, eth: int = ETHER) -> SmartAccount:
        """A fresh account of `owner` (deployed), with ETH for its prefunds and tokens to move."""
        self.accounts += 1
        account, _ = create_account(self.chain, self.stack, self.deployer, owner.address, keccak(text=f"alto {self.accounts}"))
        self.chain.fund(account.address, eth)
        self.chain.send(self.token.functions.mint(account.address, 10**24), self.deployer)
        return account

    def grant_transfer(self, account: SmartAccount, key: str, *, max_gas_fee: int = ETHER, max_value: int = 0) -> None:
        """`key` may call the token's transfer only."""
        grant_calls(account, OWNER, key, self.stack.venue, [CallPermission(self.token.address, TRANSFER, max_value)],
                    max_gas_fee=max_gas_fee)

    def transfer(self, to: str, amount: int) -> Call:
        return Call(self.token.address, 0, bytes.fromhex(self.token.encode_abi("transfer", args=[to, amount])[2:]))

    def approve(self, to: str, amount: int) -> Call:
        return Call(self.token.address, 0, bytes.fromhex(self.token.encode_abi("approve", args=[to, amount])[2:]))

    def balance(self, holder: str) -> int:
        return int(self.token.functions.balanceOf(holder).call())


@pytest.fixture(scope="module")
def alto(test_artifacts: dict[str, dict[str, Any]]) -> Iterator[AltoNode]:
    """anvil on a free port, the deterministic stack (EntryPoint v0.8 at its canonical address), Alto."""
    with running_anvil() as rpc_url:
        chain = Chain.connect(rpc_url)
        deployer, executor, utility = named_key("alto deployer"), named_key("alto executor"), named_key("alto utility")
        for key in (deployer, executor, utility, OWNER):
            chain.fund(key.address, 1_000 * ETHER)
        stack = deploy_deterministic(chain, deployer, records_dir=None).stack
        token = deploy_contract(chain, test_artifacts["MockERC20"], deployer)
        with running_alto(rpc_url, stack.entry_point, executor.key, utility.key) as url:
            client = BundlerClient(url, stack.entry_point, chain_id=chain.chain_id)
            yield AltoNode(chain, stack, EntryPoint(chain, stack.entry_point), client, url, rpc_url, deployer, token)

