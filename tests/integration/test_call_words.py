"""Permitted calls are storage words keyed by (key, target, selector) (docs/storage.md); a maxValue
too big for its word takes a second one. Attack the boundary: validation compares `value` with the
exact uint256 maxValue at 2**256 - 3, - 2 and - 1 (validation only: no one holds that much ether)."""

from __future__ import annotations

import pytest
from eth_account.signers.local import LocalAccount

from aa_auth.chain.connection import Chain
from aa_auth.contracts.account import SmartAccount
from aa_auth.contracts.stack import Stack
from aa_auth.erc4337.bundler import EntryPoint
from aa_auth.erc4337.userops import Call, GasFees, GasLimits, execute_call_data, pack_nonce, session_nonce_key, sign_user_op, user_operation
from aa_auth.protocol.scope import CallPermission
from tests.conftest import named_key
from tests.integration.test_stub_signature import SIG_VALIDATION_FAILED, validate
from tests.integration.userop_support import PLAIN_TRANSFER, entry_point, funded, grant_calls, token  # noqa: F401  (fixtures)

MAX = 2**256 - 1
TARGET = named_key("call word target").address


@pytest.mark.parametrize("max_value", [MAX - 2, MAX - 1, MAX])
def test_huge_max_values_bind_to_the_wei(
    chain: Chain, entry_point: EntryPoint, funded: SmartAccount, owner: LocalAccount, stack: Stack, max_value: int
) -> None:
    key = named_key(f"call word key {max_value}")
    chain.fund(entry_point.address, 10**18)  # lets the node take calls from the EntryPoint (a snapshot)
    grant_calls(funded, owner, key.address, stack.venue, [CallPermission(TARGET, PLAIN_TRANSFER, max_value)])

    def verdict(value: int) -> int:
        op = user_operation(
            funded.address, pack_nonce(session_nonce_key(key.address), 0), execute_call_data(Call(TARGET, value, b"")),
            GasLimits(100_000, 100_000, 50_000), GasFees(1, 1),
        )
        result = validate(chain, entry_point, sign_user_op(op, key.key, entry_point.chain_id, entry_point.address), 1_000_000)
        assert result is not None
        return result

    assert verdict(max_value) != SIG_VALIDATION_FAILED
    assert verdict(max_value - 1) != SIG_VALIDATION_FAILED
    if max_value < MAX:
        assert verdict(max_value + 1) == SIG_VALIDATION_FAILED
