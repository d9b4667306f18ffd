"""Shared pieces of the ERC-4337 tests: helper-contract deployment, session grants, op submission.

The fixtures are imported by the test modules that use them (embedded chain); the functions work on
any Chain, so the anvil tests reuse them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from web3.contract import Contract

from aa_auth.chain.artifacts import decode_revert, revert_data
from aa_auth.chain.connection import Chain
from aa_auth.contracts.account import SmartAccount
from aa_auth.contracts.stack import Stack
from aa_auth.erc4337.bundler import EntryPoint, FailedOpError, UserOpOutcome
from aa_auth.erc4337.operations import calls_data
from aa_auth.erc4337.userops import PackedUserOperation, sign_user_op
from aa_auth.protocol.scope import CallPermission, market_limit, scope
from tests.conftest import ETHER, funded_key

TRANSFER = keccak(text="transfer(address,uint256)")[:4]
APPROVE = keccak(text="approve(address,uint256)")[:4]
PLAIN_TRANSFER = bytes(4)  # selector 0x00000000: empty calldata only
DAY = 86_400


def deploy_contract(chain: Chain, artifact: dict[str, Any], sender: LocalAccount, *args: Any, value: int = 0) -> Contract:
    """Deploy a compiled helper contract (tests/contracts) that is not one of the shipped artifacts."""
    address, _ = chain.deploy_artifact(artifact, sender, *args, value=value)
    return chain.w3.eth.contract(address=address, abi=artifact["abi"])


def grant_calls(
    account: SmartAccount,
    owner: LocalAccount,
    key: str,
    venue: str,
    calls: Sequence[CallPermission],
    *,
    max_gas_fee: int = ETHER,
    valid_after: int = 0,
    valid_until: int | None = None,
) -> None:
    """Grant `key` a scope whose point is `calls` (venues and markets are required by scope())."""
    until = account.chain.timestamp() + 30 * DAY if valid_until is None else valid_until
    granted = scope(
        valid_after=valid_after,
        valid_until=until,
        venues=[venue],
        markets=[market_limit(1)],
        max_gas_fee=max_gas_fee,
        calls=calls,
    )
    account.grant(owner, key, granted)


call_data = calls_data  # `execute` for one call, `executeBatch` for a list


def submit(entry_point: EntryPoint, bundler: LocalAccount, ops: PackedUserOperation | Sequence[PackedUserOperation]) -> UserOpOutcome:
    """handleOps of one or more ops; returns the first op's outcome."""
    batch = [ops] if isinstance(ops, PackedUserOperation) else list(ops)
    return entry_point.handle_ops(batch, bundler).ops[0]


def assert_refused(code: str, entry_point: EntryPoint, bundler: LocalAccount, op: PackedUserOperation) -> FailedOpError:
    with pytest.raises(FailedOpError) as caught:
        entry_point.handle_ops([op], bundler)
    assert caught.value.code == code, str(caught.value)
    return caught.value


def least_verification_gas(entry_point: EntryPoint, bundler: LocalAccount, op: PackedUserOperation, key: str) -> int:
    """The least verificationGasLimit handleOps accepts for `op`, to within 50 gas.

    preVerificationGas absorbs each change, so the prefund (and with it the account's payment and a
    session key's budget charge) stays the same while the search runs.
    """
    low, high = 0, op.verification_gas_limit
    while high - low > 50:
        middle = (low + high) // 2
        moved = op.verification_gas_limit - middle
        gas = replace(op.gas, verification_gas_limit=middle, pre_verification_gas=op.pre_verification_gas + moved)
        trial = sign_user_op(op.with_gas(gas), key, entry_point.chain_id, entry_point.address)
        try:
            # estimate_gas, not eth_call: eth-tester's eth_call drops custom-error revert data.
            entry_point.contract.functions.handleOps([trial.as_abi()], bundler.address).estimate_gas({"from": bundler.address})
            high = middle
        except Exception as exc:  # AA26 over verificationGasLimit, or AA23 out of gas
            data = revert_data(exc)
            assert data is not None and decode_revert(data).error_name in ("FailedOp", "FailedOpWithRevert"), exc
            low = middle
    return high


# ---------------------------------------------------------------- fixtures (embedded chain)


@pytest.fixture(scope="session")
def entry_point(chain: Chain, stack: Stack) -> EntryPoint:
    return EntryPoint(chain, stack.entry_point)


@pytest.fixture(scope="session")
def bundler(chain: Chain) -> LocalAccount:
    return funded_key(chain, "bundler")


@pytest.fixture(scope="session")
def token(chain: Chain, deployer: LocalAccount, test_artifacts: dict[str, dict[str, Any]]) -> Contract:
    return deploy_contract(chain, test_artifacts["MockERC20"], deployer)


@pytest.fixture(scope="session")
def recorder(chain: Chain, deployer: LocalAccount, test_artifacts: dict[str, dict[str, Any]]) -> Contract:
    return deploy_contract(chain, test_artifacts["CallRecorder"], deployer)


@pytest.fixture
def funded(isolated: Chain, account: SmartAccount, token: Contract, deployer: LocalAccount) -> SmartAccount:
    """The shared account with ETH for gas and tokens to move, on a snapshot reverted after the test."""
    isolated.fund(account.address, 10 * ETHER)
    isolated.send(token.functions.mint(account.address, 10**24), deployer)
    return account
