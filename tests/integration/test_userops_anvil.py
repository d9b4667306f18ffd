"""The ERC-4337 core flow against a real JSON-RPC node (anvil, started on a free loopback port),
and the account's validation traced opcode by opcode against the ERC-7562 rules it must keep."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from aa_auth.chain.connection import Chain
from aa_auth.contracts.account import SmartAccount
from aa_auth.contracts.stack import Stack, create_account, deploy_stack
from aa_auth.erc4337.bundler import EntryPoint
from aa_auth.erc4337.userops import Call, PackedUserOperation, execute_call_data
from aa_auth.protocol.scope import CallPermission
from tests.conftest import ETHER, named_key
from tests.integration.userop_support import (
    TRANSFER,
    assert_refused,
    deploy_contract,
    grant_calls,
    least_verification_gas,
    submit,
)

pytestmark = pytest.mark.anvil

OWNER = named_key("anvil owner")
SESSION = named_key("anvil session")
RECIPIENT = named_key("anvil recipient").address


@dataclass(frozen=True)
class Node:
    chain: Chain
    stack: Stack
    entry_point: EntryPoint
    bundler: LocalAccount
    account: SmartAccount
    token: Contract


@pytest.fixture(scope="module")
def node(anvil_url: str, test_artifacts: dict[str, dict[str, Any]]) -> Node:
    """A stack deployed from the shipped artifacts, an account with ETH and tokens, a scoped session key."""
    chain = Chain.connect(anvil_url)
    deployer, bundler = named_key("anvil deployer"), named_key("anvil bundler")
    for key in (deployer, bundler, OWNER):
        chain.fund(key.address, 100 * ETHER)
    stack = deploy_stack(chain, deployer)
    account, _ = create_account(chain, stack, deployer, OWNER.address)
    chain.fund(account.address, 10 * ETHER)
    token = deploy_contract(chain, test_artifacts["MockERC20"], deployer)
    chain.send(token.functions.mint(account.address, 10**24), deployer)
    grant_calls(account, OWNER, SESSION.address, stack.venue, [CallPermission(token.address, TRANSFER, 0)])
    return Node(chain, stack, EntryPoint(chain, stack.entry_point), bundler, account, token)


def _token_call(token: Contract, name: str, amount: int) -> bytes:
    return execute_call_data(Call(token.address, 0, bytes.fromhex(token.encode_abi(name, args=[RECIPIENT, amount])[2:])))


def test_session_key_transfers_and_is_refused_a_forbidden_selector_on_anvil(node: Node) -> None:
    before = node.token.functions.balanceOf(RECIPIENT).call()
    op = node.entry_point.prepare(node.account.address, _token_call(node.token, "transfer", 10), SESSION.key)
    outcome = submit(node.entry_point, node.bundler, op)
    assert outcome.success and outcome.actual_gas_cost > 0
    assert node.token.functions.balanceOf(RECIPIENT).call() == before + 10
    assert node.account.session(SESSION.address).gas_fee_spent >= op.max_cost()

    forbidden = node.entry_point.prepare(node.account.address, _token_call(node.token, "approve", 10), SESSION.key)
    assert_refused("AA24", node.entry_point, node.bundler, forbidden)
    assert node.token.functions.allowance(node.account.address, RECIPIENT).call() == 0


def test_owner_op_works_on_anvil(node: Node) -> None:
    op = node.entry_point.prepare(node.account.address, _token_call(node.token, "approve", 7), OWNER.key)
    assert submit(node.entry_point, node.bundler, op).success
    assert node.token.functions.allowance(node.account.address, RECIPIENT).call() == 7


def test_estimates_are_tight_on_a_node_with_exact_gas_estimates(node: Node) -> None:
    # anvil's eth_estimateGas is exact (eth-tester's is not), so the slack above the least
    # verificationGasLimit handleOps accepts is the 10% margin and the rounding of the EntryPoint overhead.
    for key in (SESSION, OWNER):
        op = node.entry_point.prepare(node.account.address, _token_call(node.token, "transfer", 1), key.key)
        least = least_verification_gas(node.entry_point, node.bundler, op, key.key)
        assert least <= op.verification_gas_limit <= least + 8_000
        assert submit(node.entry_point, node.bundler, op).success


# ---------------------------------------------------------------- ERC-7562 (validation scope rules)

# [OP-011] blocked opcodes, [OP-080] BALANCE/SELFBALANCE (the account is unstaked), [OP-031] CREATE2
# outside deployment, [OP-070] transient storage counts as storage (the account never needs it).
BLOCKED = {
    "ORIGIN", "GASPRICE", "BLOCKHASH", "COINBASE", "TIMESTAMP", "NUMBER", "PREVRANDAO", "DIFFICULTY", "GASLIMIT",
    "BASEFEE", "CREATE", "INVALID", "SELFDESTRUCT", "BALANCE", "SELFBALANCE", "CREATE2", "BLOBHASH", "BLOBBASEFEE",
    "TLOAD", "TSTORE",
}
CALLS = {"CALL", "STATICCALL", "DELEGATECALL", "CALLCODE"}
EXTCODE = {"EXTCODESIZE", "EXTCODECOPY", "EXTCODEHASH"}
PRECOMPILES = range(1, 10)  # [OP-062] the core precompiles 0x1 .. 0x9


def _word_address(word: str) -> str:
    return "0x" + int(word, 16).to_bytes(32, "big")[12:].hex()


def _erc7562_violations(chain: Chain, trace: list[dict[str, Any]], account: str, entry_point: str) -> list[str]:
    """Violations of the opcode, code-access and storage rules by the account's validation frames.

    The EntryPoint's own frame (its `receive` taking the prefund) is the trusted system contract.
    """
    account, entry_point = account.lower(), entry_point.lower()
    context = {1: account}  # depth -> storage context (DELEGATECALL keeps the caller's)
    violations = []
    for index, step in enumerate(trace):
        depth, op, stack = step["depth"], step["op"], step.get("stack") or []
        here = context[depth]
        if here == entry_point:
            continue
        if op in BLOCKED:
            violations.append(f"[OP-011/080] {op} at depth {depth} in {here}")
        if op == "GAS" and trace[index + 1]["op"] not in CALLS:
            violations.append(f"[OP-012] GAS followed by {trace[index + 1]['op']}")
        if op in ("SLOAD", "SSTORE") and here != account:
            violations.append(f"[STO-010] {op} in {here}, not the account's storage")
        if op in CALLS | EXTCODE:
            target = _word_address(stack[-2] if op in CALLS else stack[-1])
            is_precompile = int(target, 16) in PRECOMPILES
            if not is_precompile and not chain.w3.eth.get_code(chain.w3.to_checksum_address(target)):
                violations.append(f"[OP-041] {op} of {target}, which has no code")
            if target == entry_point:
                # [OP-051] EXTCODESIZE, [OP-053] a call with no data (the fallback: the prefund).
                fallback = op == "CALL" and int(stack[-5], 16) == 0
                if op != "EXTCODESIZE" and not fallback:
                    violations.append(f"[OP-054] {op} of the EntryPoint")
            elif op == "CALL" and int(stack[-3], 16) != 0:
                violations.append(f"[OP-061] CALL with value to {target}")
            if op in CALLS and not is_precompile:
                context[depth + 1] = here if op in ("DELEGATECALL", "CALLCODE") else target
    if trace and trace[-1]["op"] not in ("RETURN", "STOP"):
        violations.append(f"[OP-020] validation ended with {trace[-1]['op']}")
    return violations


def _trace_validation(node: Node, op: PackedUserOperation, missing_funds: int) -> list[dict[str, Any]]:
    """The struct-log trace of validateUserOp called by the EntryPoint, as a bundler traces it."""
    data = node.account.contract.encode_abi("validateUserOp", args=[op.as_abi(), node.entry_point.user_op_hash(op), missing_funds])
    call = {"from": node.entry_point.address, "to": node.account.address, "data": data, "gas": hex(2_000_000)}
    options = {"enableMemory": False, "disableStack": False, "disableStorage": True}
    result = node.chain.w3.provider.make_request("debug_traceCall", [call, "latest", options])  # type: ignore[arg-type]
    assert "error" not in result, result
    logs: list[dict[str, Any]] = result["result"]["structLogs"]
    assert logs, "the node returned no struct logs"
    return logs


@pytest.mark.parametrize("signer", ["session key", "owner"])
def test_validation_keeps_the_erc7562_rules(node: Node, signer: str) -> None:
    key = SESSION if signer == "session key" else OWNER
    op = node.entry_point.prepare(node.account.address, _token_call(node.token, "transfer", 1), key.key)
    trace = _trace_validation(node, op, missing_funds=op.max_cost())  # with the prefund payment
    ops_seen = {step["op"] for step in trace}
    if signer == "session key":
        # The scope is read as code of the pointer contract the account created (EXTCODE* of an
        # address with code: allowed by OP-041; its code can never change: COD-010).
        assert "EXTCODECOPY" in ops_seen and "SSTORE" in ops_seen  # the budget charge is in the account
    assert _erc7562_violations(node.chain, trace, node.account.address, node.entry_point.address) == []


def test_the_rule_checker_catches_a_timestamp_read(node: Node) -> None:
    """Control for the test above: the checker does flag a blocked opcode and foreign storage."""
    fake = [
        {"depth": 1, "op": "TIMESTAMP", "stack": []},
        {"depth": 1, "op": "GAS", "stack": []},
        {"depth": 1, "op": "ADD", "stack": []},
        {"depth": 1, "op": "STOP", "stack": []},
    ]
    found = _erc7562_violations(node.chain, fake, node.account.address, node.entry_point.address)
    assert any("TIMESTAMP" in v for v in found) and any("OP-012" in v for v in found)


def test_second_account_of_the_owner_is_reached_through_the_same_entry_point(node: Node) -> None:
    second, _ = create_account(node.chain, node.stack, node.bundler, OWNER.address, b"\x01" * 32)
    node.chain.fund(second.address, ETHER)
    op = node.entry_point.prepare(second.address, b"", OWNER.key)
    assert submit(node.entry_point, node.bundler, op).success
