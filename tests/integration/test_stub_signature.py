"""Estimation sees the real path (issue 15): validation with the published stub signature costs at
least what it costs with the real one, for the owner and for a session key's first and later
operations, and the stub never validates.

Gas is the least gas limit at which `validateUserOp`, sent from the EntryPoint, completes (an exact
search with eth_call; eth-tester's eth_estimateGas stops within the intrinsic gas of the minimum),
less the call's intrinsic gas: a bundler prices calldata in preVerificationGas, not in validation.
"""

from __future__ import annotations

import pytest
from eth_abi.abi import decode as abi_decode
from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from aa_auth.chain.connection import Chain
from aa_auth.contracts.account import SmartAccount
from aa_auth.contracts.stack import Stack
from aa_auth.erc4337.bundler import EntryPoint, _intrinsic_gas
from aa_auth.erc4337.userops import Call, PackedUserOperation, execute_call_data, stub_signature
from aa_auth.errors import InvalidInput
from aa_auth.protocol.scope import CallPermission
from tests.conftest import named_key
from tests.integration.userop_support import (  # noqa: F401  (fixtures)
    TRANSFER,
    bundler,
    entry_point,
    funded,
    grant_calls,
    submit,
    token,
)

KEY = named_key("stub signature session key")
SIG_VALIDATION_FAILED = 1


def _call_data(chain: Chain, entry_point: EntryPoint, op: PackedUserOperation) -> bytes:
    account = chain.contract("SessionAccount", op.sender)
    return bytes.fromhex(account.encode_abi("validateUserOp", args=[op.as_abi(), entry_point.user_op_hash(op), 0])[2:])


def _validate(chain: Chain, entry_point: EntryPoint, op: PackedUserOperation, gas: int) -> int | None:
    """validateUserOp's return value with `gas`, or None when it runs out of gas."""
    data = _call_data(chain, entry_point, op)
    try:
        result = chain.w3.eth.call({"from": entry_point.address, "to": op.sender, "data": data, "gas": gas})
    except Exception:
        return None
    (value,) = abi_decode(["uint256"], bytes(result))
    return int(value)


def least_validation_gas(chain: Chain, entry_point: EntryPoint, op: PackedUserOperation) -> tuple[int, int]:
    """(the least gas with which validation completes, what it returns). The EntryPoint's address is
    funded so the node lets it send calls at the block's base fee (the tests run on a snapshot)."""
    chain.fund(entry_point.address, 10**18)
    low, high = 21_000, 1_000_000
    outcome = _validate(chain, entry_point, op, high)
    assert outcome is not None, "validation does not complete with 1,000,000 gas"
    while high - low > 1:
        middle = (low + high) // 2
        if _validate(chain, entry_point, op, middle) is None:
            low = middle
        else:
            high = middle
    return high - _intrinsic_gas(_call_data(chain, entry_point, op)), outcome


def _transfer(token: Contract) -> bytes:
    data = bytes.fromhex(token.encode_abi("transfer", args=[named_key("stub recipient").address, 1])[2:])
    return execute_call_data(Call(token.address, 0, data))


def _compare(chain: Chain, entry_point: EntryPoint, op: PackedUserOperation, kind: str) -> tuple[int, int]:
    real_gas, real = least_validation_gas(chain, entry_point, op)
    stub_gas, stubbed = least_validation_gas(chain, entry_point, op.with_signature(stub_signature(kind)))
    assert real & 1 == 0, "the real signature must validate"
    assert stubbed == SIG_VALIDATION_FAILED
    return real_gas, stub_gas


def test_owner_stub_signature_costs_at_least_the_real_one(
    chain: Chain, entry_point: EntryPoint, funded: SmartAccount, owner: LocalAccount, token: Contract
) -> None:
    op = entry_point.prepare(funded.address, _transfer(token), owner.key)
    real_gas, stub_gas = _compare(chain, entry_point, op, "owner")
    assert stub_gas >= real_gas


def test_session_stub_signature_costs_at_least_the_real_one_first_and_later(
    chain: Chain, entry_point: EntryPoint, funded: SmartAccount, owner: LocalAccount, stack: Stack,
    token: Contract, bundler: LocalAccount,
) -> None:
    """On the key's lane the stub walks every check and the budget write; only the signer differs."""
    grant_calls(funded, owner, KEY.address, stack.venue, [CallPermission(token.address, TRANSFER, 0)])
    first = entry_point.prepare(funded.address, _transfer(token), KEY.key)
    first_real, first_stub = _compare(chain, entry_point, first, "session")
    assert first_stub >= first_real
    assert submit(entry_point, bundler, first).success
    later = entry_point.prepare(funded.address, _transfer(token), KEY.key)
    later_real, later_stub = _compare(chain, entry_point, later, "session")
    assert later_stub >= later_real
    # The budget's first write (zero to non-zero) is what the first operation pays more.
    assert first_real > later_real


def test_stub_signature_kinds_are_named() -> None:
    assert len(stub_signature("owner")) == len(stub_signature("session")) == 65
    with pytest.raises(InvalidInput, match="owner, session"):
        stub_signature("guardian")
