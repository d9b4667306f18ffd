"""User operations through a real ERC-4337 bundler: Pimlico Alto (safe mode: ERC-7562 rules traced)
in front of anvil, with EntryPoint v0.8 at its canonical address. Every refusal comes back named."""

from __future__ import annotations

from typing import Any

import pytest

from aa_auth.erc4337.bundler_api import wait_for_receipt
from aa_auth.erc4337.operations import calls_data, draft_operation, prepare_operation, send_operation
from aa_auth.erc4337.userops import Call, GasLimits, PackedUserOperation, sign_user_op, user_operation
from aa_auth.errors import BundlerMismatch, UserOpSignatureRefused, ValidationRuleViolation
from aa_auth.protocol.signatures import SigningKey
from tests.conftest import ETHER, named_key
from tests.integration.alto_support import OWNER, AltoNode
from tests.integration.userop_support import deploy_contract

pytestmark = pytest.mark.anvil

RECIPIENT = named_key("alto recipient").address


def _own_estimate(node: AltoNode, account: str, call_data: bytes, key: SigningKey, nonce_key: int | None = None) -> GasLimits:
    """aa-auth's estimate, which validates with the real signature (see test_send_with_altos_own_estimate)."""
    draft = draft_operation(node.chain, node.stack.entry_point, account, call_data, key.address, nonce_key=nonce_key)
    return node.entry_point.estimate_gas(draft, key)


def _session_op(node: AltoNode, account: str, call_data: bytes, key: SigningKey, nonce_key: int | None = None) -> PackedUserOperation:
    gas = _own_estimate(node, account, call_data, key, nonce_key)
    return prepare_operation(node.bundler, node.chain, account, call_data, key, gas=gas, nonce_key=nonce_key)


def test_bundler_serves_the_chain_and_the_canonical_entry_point(alto: AltoNode) -> None:
    assert alto.bundler.chain_id == alto.chain.chain_id
    assert alto.bundler.supported_entry_points() == [alto.stack.entry_point] == ["0x4337084D9E255Ff0702461CF8895CE9E3b5Ff108"]
    with pytest.raises(BundlerMismatch, match="serves chain"):
        type(alto.bundler)(alto.url, chain_id=alto.chain.chain_id + 1)
    with pytest.raises(BundlerMismatch, match="does not support EntryPoint"):
        type(alto.bundler)(alto.url, "0x" + "11" * 20)


def test_owner_operation_lands_through_alto(alto: AltoNode) -> None:
    account = alto.new_account()
    receipt = send_operation(alto.bundler, alto.chain, account.address, calls_data(alto.transfer(RECIPIENT, 5)), OWNER.key)
    assert receipt.success and receipt.sender == account.address and receipt.nonce == 0
    assert alto.balance(RECIPIENT) >= 5
    seen = alto.bundler.user_operation(receipt.user_op_hash)
    assert seen is not None and seen["transactionHash"] == "0x" + receipt.transaction_hash.hex()
    mined = alto.chain.w3.eth.get_transaction_receipt(receipt.transaction_hash)  # type: ignore[arg-type]
    assert mined["status"] == 1 and mined["blockNumber"] == receipt.block_number


def test_session_key_call_in_scope_lands_on_its_own_lane(alto: AltoNode) -> None:
    account, bot = alto.new_account(), named_key("alto bot")
    alto.grant_transfer(account, bot.address)
    key = SigningKey(bot.key)
    before = alto.balance(RECIPIENT)
    op = _session_op(alto, account.address, calls_data(alto.transfer(RECIPIENT, 7)), key)
    assert op.nonce_key == int(bot.address, 16) and op.nonce_sequence == 0
    receipt = wait_for_receipt(alto.bundler, alto.bundler.send(op))
    assert receipt.success and receipt.nonce == op.nonce
    assert alto.balance(RECIPIENT) == before + 7


def test_the_receipts_gas_cost_stands_against_the_budget_as_the_spec_says(alto: AltoNode) -> None:
    """SPEC 4: the budget is charged the operation's maximum cost at validation; the account pays the actual cost."""
    account, bot = alto.new_account(), named_key("alto budget bot")
    alto.grant_transfer(account, bot.address)
    key = SigningKey(bot.key)
    spent = []
    for _ in range(2):
        op = _session_op(alto, account.address, calls_data(alto.transfer(RECIPIENT, 1)), key)
        paid_before = alto.chain.w3.eth.get_balance(account.address) + alto.entry_point.deposit(account.address)
        receipt = wait_for_receipt(alto.bundler, alto.bundler.send(op))
        paid = paid_before - alto.chain.w3.eth.get_balance(account.address) - alto.entry_point.deposit(account.address)
        assert receipt.success and 0 < receipt.actual_gas_cost <= op.max_cost()
        assert paid == receipt.actual_gas_cost  # the prefund's unused part stays in the account's deposit
        spent.append((op.max_cost(), account.session(bot.address).gas_fee_spent))
    assert spent[0][1] == spent[0][0] and spent[1][1] == spent[0][0] + spent[1][0]


# ---------------------------------------------------------------- refusals, each named


def _assert_refused(alto: AltoNode, op: PackedUserOperation) -> UserOpSignatureRefused:
    with pytest.raises(UserOpSignatureRefused) as caught:
        alto.bundler.send(op)
    assert caught.value.code == -32507, caught.value
    assert "SIG_VALIDATION_FAILED" in str(caught.value) and "inspect" in str(caught.value)
    return caught.value


def test_out_of_scope_calls_are_refused_by_name(alto: AltoNode) -> None:
    account, bot = alto.new_account(), named_key("alto scope bot")
    alto.grant_transfer(account, bot.address)
    key = SigningKey(bot.key)
    forbidden_selector = calls_data(alto.approve(RECIPIENT, 1))
    too_much_value = calls_data(Call(alto.token.address, 1, alto.transfer(RECIPIENT, 1).data))
    other_target = calls_data(Call(RECIPIENT, 0, b""))
    # Each is estimated as the permitted transfer (the token's transfer is not payable: with value it reverts).
    gas = _own_estimate(alto, account.address, calls_data(alto.transfer(RECIPIENT, 1)), key)
    for call_data in (forbidden_selector, too_much_value, other_target):
        _assert_refused(alto, prepare_operation(alto.bundler, alto.chain, account.address, call_data, key, gas=gas))
    assert alto.token.functions.allowance(account.address, RECIPIENT).call() == 0
    assert account.session(bot.address).gas_fee_spent == 0


def test_a_session_key_on_another_lane_is_refused_by_name(alto: AltoNode) -> None:
    account, bot = alto.new_account(), named_key("alto lane bot")
    alto.grant_transfer(account, bot.address)
    key, transfer = SigningKey(bot.key), calls_data(alto.transfer(RECIPIENT, 1))
    for lane in (0, int(named_key("alto other bot").address, 16)):
        _assert_refused(alto, _session_op(alto, account.address, transfer, key, nonce_key=lane))


def test_an_exhausted_gas_budget_is_refused_by_name(alto: AltoNode) -> None:
    account, bot = alto.new_account(), named_key("alto thrifty bot")
    key, transfer = SigningKey(bot.key), calls_data(alto.transfer(RECIPIENT, 1))
    first = _own_estimate(alto, account.address, transfer, key)  # estimated before the grant: same gas after
    fees = alto.entry_point.suggest_fees()
    alto.grant_transfer(account, bot.address, max_gas_fee=first.total * fees.max_fee_per_gas * 3 // 2)
    op = prepare_operation(alto.bundler, alto.chain, account.address, transfer, key, gas=_own_estimate(alto, account.address, transfer, key), fees=fees)
    assert wait_for_receipt(alto.bundler, alto.bundler.send(op)).success
    again = prepare_operation(alto.bundler, alto.chain, account.address, transfer, key, gas=op.gas, fees=fees)
    _assert_refused(alto, again)
    assert account.session(bot.address).gas_fee_spent == op.max_cost()


def test_a_frozen_account_refuses_its_session_keys_by_name(alto: AltoNode) -> None:
    account, bot = alto.new_account(), named_key("alto frozen bot")
    alto.grant_transfer(account, bot.address)
    account.freeze(OWNER)
    _assert_refused(alto, _session_op(alto, account.address, calls_data(alto.transfer(RECIPIENT, 1)), SigningKey(bot.key)))


def test_a_revoked_key_is_refused_by_name(alto: AltoNode) -> None:
    account, bot = alto.new_account(), named_key("alto revoked bot")
    alto.grant_transfer(account, bot.address)
    account.revoke(OWNER, bot.address)
    _assert_refused(alto, _session_op(alto, account.address, calls_data(alto.transfer(RECIPIENT, 1)), SigningKey(bot.key)))


def test_a_signature_over_another_operation_is_refused_by_name(alto: AltoNode) -> None:
    account = alto.new_account()
    op = prepare_operation(alto.bundler, alto.chain, account.address, calls_data(alto.transfer(RECIPIENT, 1)), OWNER.key)
    other = sign_user_op(op.with_gas(GasLimits(op.verification_gas_limit + 1, op.call_gas_limit, op.pre_verification_gas)),
                         OWNER.key, alto.chain.chain_id, alto.stack.entry_point)
    _assert_refused(alto, op.with_signature(other.signature))


# ---------------------------------------------------------------- the factory, concurrency


def test_an_account_is_created_by_its_first_operation(alto: AltoNode) -> None:
    owner = named_key("alto counterfactual owner")
    salt = bytes(32)
    factory = alto.chain.contract("AccountFactory", alto.stack.factory)
    address = factory.functions.getAddress(owner.address, salt).call()
    assert not alto.chain.has_code(address)
    alto.chain.fund(address, ETHER)  # the counterfactual address pays its own prefund
    init_code = bytes.fromhex(alto.stack.factory[2:]) + bytes.fromhex(factory.encode_abi("createAccount", args=[owner.address, salt])[2:])
    receipt = send_operation(alto.bundler, alto.chain, address, calls_data(Call(RECIPIENT, 1, b"")),
                             owner.key, init_code=init_code)
    assert receipt.success and alto.chain.has_code(address)
    assert alto.chain.call(alto.chain.contract("SessionAccount", address).functions.owner()) == owner.address


def test_two_keys_operations_are_in_flight_at_once(alto: AltoNode) -> None:
    account = alto.new_account()
    bots = [named_key("alto parallel bot 1"), named_key("alto parallel bot 2")]
    for bot in bots:
        alto.grant_transfer(account, bot.address)
    ops = [_session_op(alto, account.address, calls_data(alto.transfer(RECIPIENT, 1)), SigningKey(bot.key)) for bot in bots]
    hashes = [alto.bundler.send(op) for op in ops]  # both accepted before either is included
    receipts = [wait_for_receipt(alto.bundler, h) for h in hashes]
    assert all(r.success for r in receipts)
    assert {r.nonce for r in receipts} == {op.nonce for op in ops}


# ---------------------------------------------------------------- estimation sees the real path


def test_send_with_altos_own_estimate_owner_and_session_key_first_and_later_operations(alto: AltoNode) -> None:
    """Alto estimates with the stub signature; the operation must then land with that estimate, so
    validation with a stub has to cost what it costs with the real signature."""
    account, bot = alto.new_account(), named_key("alto estimated bot")
    alto.grant_transfer(account, bot.address)
    for signer in (OWNER.key, bot.key, bot.key):
        receipt = send_operation(alto.bundler, alto.chain, account.address, calls_data(alto.transfer(RECIPIENT, 1)), signer)
        assert receipt.success


# ---------------------------------------------------------------- the bundler really checks ERC-7562


@pytest.mark.parametrize("mode, rule", [(0, "TIMESTAMP"), (1, "oog")])
def test_safe_mode_refuses_a_validation_that_breaks_a_rule(alto: AltoNode, test_artifacts: dict[str, Any], mode: int, rule: str) -> None:
    """Control for every test above: Alto traces validation (with the patch for anvil's tracer) and
    refuses a blocked opcode and an out-of-gas inside validation, so their passing means something."""
    hostile = deploy_contract(alto.chain, test_artifacts["RuleBreakingAccount"], alto.deployer, mode, value=ETHER)
    op = user_operation(hostile.address, 0, b"", GasLimits(200_000, 0, 60_000), alto.entry_point.suggest_fees(), signature=bytes(65))
    with pytest.raises(ValidationRuleViolation, match=rule) as caught:
        alto.bundler.send(op)
    assert caught.value.code == -32502
