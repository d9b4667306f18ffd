"""Session keys and the owner acting through the real EntryPoint v0.8 (SPEC sections 4, 6, 7).

Every refusal is asserted with its EntryPoint code: AA24 when the account returned
SIG_VALIDATION_FAILED, AA22 when the validity window packed into the validation data excludes the
block's time. Targets are a real ERC-20 and a CallRecorder that accepts any call, so a refusal can
only come from the account.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from web3.contract import Contract
from web3.logs import DISCARD

from aa_auth.chain.connection import Chain
from aa_auth.contracts.account import SmartAccount
from aa_auth.contracts.stack import Stack
from aa_auth.erc4337.bundler import EntryPoint, FailedOpError, pre_verification_gas
from aa_auth.erc4337.gas import measure_session_overhead
from aa_auth.erc4337.userops import (
    PACKED_USER_OP_TYPE,
    Call,
    GasFees,
    GasLimits,
    PackedUserOperation,
    execute_batch_call_data,
    execute_call_data,
    pack_nonce,
    session_nonce_key,
    sign_user_op,
    user_op_hash,
    user_operation,
)
from aa_auth.errors import ChainError, InvalidInput
from aa_auth.protocol.scope import ANY_MARKET, CallPermission, Scope, market_limit, scope
from aa_auth.protocol.signatures import SECP256K1_N, recover_signer
from aa_auth.protocol.verify import SessionStatus
from tests.conftest import ETHER, named_key
from tests.integration.userop_support import (  # noqa: F401  (fixtures)
    APPROVE,
    DAY,
    PLAIN_TRANSFER,
    TRANSFER,
    assert_refused,
    bundler,
    call_data,
    deploy_contract,
    entry_point,
    funded,
    grant_calls,
    least_verification_gas,
    recorder,
    submit,
    token,
)

ALICE = named_key("session alice")
BOB = named_key("session bob")
CAROL = named_key("session carol")
RECORD = bytes.fromhex("12345678")  # any selector: the recorder's fallback takes every call
FREE_RECORD = bytes.fromhex("aabbccdd")
RECIPIENT = named_key("recipient").address
FIXED_GAS = GasLimits(verification_gas_limit=150_000, call_gas_limit=200_000, pre_verification_gas=50_000)
FIXED_FEES = GasFees(max_priority_fee_per_gas=10**9, max_fee_per_gas=3 * 10**9)


def _wide_scope(venue: str, target: str) -> Scope:
    """Every cap open, `transfer` and `approve` of `target` with any value: more power than Alice has."""
    return scope(
        valid_until=2**40, venues=[venue], markets=[market_limit(ANY_MARKET)], max_gas_fee=10 * ETHER,
        calls=[CallPermission(target, TRANSFER, 2**256 - 1), CallPermission(target, APPROVE, 2**256 - 1)],
    )


def transfer(token: Contract, amount: int = 1_000, to: str = RECIPIENT) -> Call:
    return Call(token.address, 0, bytes.fromhex(token.encode_abi("transfer", args=[to, amount])[2:]))


def account_call(account: SmartAccount, name: str, *args: Any) -> Call:
    return Call(account.address, 0, bytes.fromhex(account.contract.encode_abi(name, args=list(args))[2:]))


def alice_calls(token: Contract, recorder: Contract) -> list[CallPermission]:
    return [
        CallPermission(token.address, TRANSFER, 0),
        CallPermission(recorder.address, RECORD, 100),
        CallPermission(recorder.address, FREE_RECORD, 0),
        CallPermission(recorder.address, PLAIN_TRANSFER, 100),
    ]


@pytest.fixture
def alice(funded: SmartAccount, owner: LocalAccount, stack: Stack, token: Contract, recorder: Contract) -> SmartAccount:
    """Alice may transfer the token, call the recorder's RECORD with at most 100 wei (FREE_RECORD with
    none), and send it at most 100 wei of plain ETH."""
    grant_calls(funded, owner, ALICE.address, stack.venue, alice_calls(token, recorder))
    return funded


# ---------------------------------------------------------------- the operation itself


def test_user_op_hash_equals_entry_point_and_eth_account(entry_point: EntryPoint, chain: Chain) -> None:
    op = user_operation(
        "0x" + "11" * 20,
        pack_nonce(session_nonce_key(ALICE.address), 7),
        b"\xca\xfe" * 40,
        GasLimits(123_456, 654_321, 42_000),
        GasFees(2 * 10**9, 7 * 10**9),
        init_code=bytes.fromhex("22" * 20) + b"factory data",
        paymaster_and_data=bytes.fromhex("33" * 20) + bytes(32) + b"pm",
        signature=b"\x01" * 65,
    )
    local = user_op_hash(op, chain.chain_id, entry_point.address)
    assert local == bytes(entry_point.contract.functions.getUserOpHash(op.as_abi()).call())
    name, fields = PACKED_USER_OP_TYPE[:-1].split("(")
    typed = {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            name: [{"type": f.split(" ")[0], "name": f.split(" ")[1]} for f in fields.split(",")],
        },
        "primaryType": name,
        "domain": {"name": "ERC4337", "version": "1", "chainId": chain.chain_id, "verifyingContract": entry_point.address},
        "message": op.to_message(),
    }
    signable = encode_typed_data(full_message=typed)
    assert local == keccak(b"\x19" + signable.version + signable.header + signable.body)  # eth-account agrees


def test_user_op_hash_depends_on_chain_and_entry_point(entry_point: EntryPoint, chain: Chain) -> None:
    op = user_operation(ALICE.address, 0, b"", FIXED_GAS, FIXED_FEES)
    here = user_op_hash(op, chain.chain_id, entry_point.address)
    assert here != user_op_hash(op, chain.chain_id + 1, entry_point.address)
    assert here != user_op_hash(op, chain.chain_id, RECIPIENT)


def test_gas_fields_pack_high_and_low_128_bits() -> None:
    op = user_operation(ALICE.address, 0, b"", GasLimits(1, 2, 3), GasFees(4, 5))
    assert op.account_gas_limits == (1 << 128 | 2).to_bytes(32, "big")
    assert op.gas_fees == (4 << 128 | 5).to_bytes(32, "big")
    assert (op.gas, op.fees) == (GasLimits(1, 2, 3), GasFees(4, 5))
    assert op.max_cost() == (1 + 2 + 3) * 5


@pytest.mark.parametrize("field", ["verification_gas_limit", "call_gas_limit", "pre_verification_gas"])
def test_gas_values_above_uint120_are_refused_before_sending(field: str) -> None:
    limits = {"verification_gas_limit": 1, "call_gas_limit": 1, "pre_verification_gas": 1, field: 2**120}
    with pytest.raises(InvalidInput, match="AA94"):
        GasLimits(**limits)
    GasLimits(**{**limits, field: 2**120 - 1})


def test_priority_fee_above_max_fee_is_refused() -> None:
    with pytest.raises(InvalidInput, match="exceeds max_fee_per_gas"):
        GasFees(max_priority_fee_per_gas=2, max_fee_per_gas=1)


def test_call_data_encodes_the_account_abi(account: SmartAccount, token: Contract) -> None:
    single = transfer(token)
    fn, args = account.contract.decode_function_input(execute_call_data(single))
    assert fn.fn_name == "execute" and (args["target"], args["value"], args["data"]) == single.as_abi()
    batch = [single, Call(RECIPIENT, 5, b"")]
    fn, args = account.contract.decode_function_input(execute_batch_call_data(batch))
    assert fn.fn_name == "executeBatch" and [(c["target"], c["value"], c["data"]) for c in args["calls"]] == [c.as_abi() for c in batch]


def test_session_lane_is_the_key_address_and_matches_get_nonce(entry_point: EntryPoint, account: SmartAccount) -> None:
    lane = session_nonce_key(ALICE.address)
    assert lane == int(ALICE.address, 16) and lane < 2**160
    assert entry_point.nonce(account.address, lane) == pack_nonce(lane, 0) == lane << 64
    with pytest.raises(InvalidInput):
        pack_nonce(lane, 2**64)


def test_signature_is_over_the_user_op_hash_without_prefix(entry_point: EntryPoint, chain: Chain) -> None:
    op = sign_user_op(user_operation(RECIPIENT, 0, b"", FIXED_GAS, FIXED_FEES), ALICE.key, chain.chain_id, entry_point.address)
    assert len(op.signature) == 65
    assert recover_signer(user_op_hash(op, chain.chain_id, entry_point.address), op.signature) == ALICE.address


# ---------------------------------------------------------------- the owner


def test_owner_op_transfers_tokens(
    entry_point: EntryPoint, bundler: LocalAccount, funded: SmartAccount, owner: LocalAccount, token: Contract
) -> None:
    op = entry_point.prepare(funded.address, execute_call_data(transfer(token, 777)), owner.key)
    assert op.nonce == 0  # the owner's default lane is 0
    outcome = submit(entry_point, bundler, op)
    assert outcome.success and outcome.revert is None
    assert outcome.user_op_hash == entry_point.user_op_hash(op)
    assert token.functions.balanceOf(RECIPIENT).call() == 777
    assert entry_point.nonce(funded.address) == 1


def test_owner_op_grants_revokes_and_freezes_through_execute_on_the_account(
    entry_point: EntryPoint, bundler: LocalAccount, funded: SmartAccount, owner: LocalAccount, stack: Stack, token: Contract
) -> None:
    grant = account_call(funded, "grantSession", ALICE.address, _wide_scope(stack.venue, token.address).as_abi())
    submit(entry_point, bundler, entry_point.prepare(funded.address, execute_call_data(grant), owner.key))
    assert funded.session(ALICE.address).status is SessionStatus.ACTIVE

    revoke_and_freeze = [account_call(funded, "revokeSession", ALICE.address), account_call(funded, "freeze")]
    op = entry_point.prepare(funded.address, execute_batch_call_data(revoke_and_freeze), owner.key)
    outcome = entry_point.handle_ops([op], bundler)
    assert funded.session(ALICE.address).status is SessionStatus.REVOKED and funded.frozen()
    receipt = funded.chain.w3.eth.get_transaction_receipt(outcome.transaction_hash)
    revoked = funded.contract.events.SessionRevoked().process_receipt(receipt, errors=DISCARD)[0]["args"]
    frozen = funded.contract.events.Frozen().process_receipt(receipt, errors=DISCARD)[0]["args"]
    # SPEC section 7: the `by` of an owner action through the EntryPoint is the owner, not the account.
    assert (revoked["key"], revoked["by"], frozen["by"]) == (ALICE.address, owner.address, owner.address)


def test_owner_may_use_any_lane_and_a_paymaster(
    entry_point: EntryPoint,
    bundler: LocalAccount,
    funded: SmartAccount,
    owner: LocalAccount,
    token: Contract,
    deployer: LocalAccount,
    test_artifacts: dict[str, dict[str, Any]],
) -> None:
    paymaster = _paymaster(funded.chain, deployer, entry_point, test_artifacts)
    deposit = entry_point.deposit(funded.address)
    op = entry_point.prepare(
        funded.address, execute_call_data(transfer(token)), owner.key, nonce_key=7, paymaster_and_data=paymaster
    )
    assert op.nonce_key == 7
    assert submit(entry_point, bundler, op).success
    assert entry_point.deposit(funded.address) == deposit  # the paymaster paid


def _paymaster(chain: Chain, deployer: LocalAccount, entry_point: EntryPoint, artifacts: dict[str, dict[str, Any]]) -> bytes:
    """paymasterAndData of an AcceptAllPaymaster: address, validation gas, postOp gas."""
    contract = deploy_contract(chain, artifacts["AcceptAllPaymaster"], deployer, entry_point.address, value=ETHER)
    return bytes.fromhex(contract.address[2:]) + (100_000).to_bytes(16, "big") + (0).to_bytes(16, "big")


# ---------------------------------------------------------------- a session key inside its scope


def test_session_key_executes_a_permitted_call(
    entry_point: EntryPoint, bundler: LocalAccount, alice: SmartAccount, token: Contract
) -> None:
    op = entry_point.prepare(alice.address, execute_call_data(transfer(token, 5)), ALICE.key)
    assert op.nonce == pack_nonce(session_nonce_key(ALICE.address), 0)
    outcome = submit(entry_point, bundler, op)
    assert outcome.success
    assert token.functions.balanceOf(RECIPIENT).call() == 5
    assert alice.session(ALICE.address).gas_fee_spent == op.max_cost()


def test_session_key_sends_exactly_max_value_and_plain_eth(
    entry_point: EntryPoint, bundler: LocalAccount, alice: SmartAccount, recorder: Contract
) -> None:
    calls = [Call(recorder.address, 100, RECORD + bytes(32)), Call(recorder.address, 100, b"")]
    assert submit(entry_point, bundler, entry_point.prepare(alice.address, call_data(calls), ALICE.key)).success
    assert recorder.functions.callCount().call() == 2
    assert alice.chain.w3.eth.get_balance(recorder.address) == 200


# ---------------------------------------------------------------- a session key outside its scope: AA24


def _forbidden_calls(account: SmartAccount, token: Contract, recorder: Contract) -> dict[str, Call | list[Call]]:
    other_target = Call(recorder.address, 0, transfer(token).data)
    return {
        "another target": other_target,
        "another selector": Call(token.address, 0, bytes.fromhex(token.encode_abi("approve", args=[RECIPIENT, 1])[2:])),
        "value above maxValue": Call(recorder.address, 101, RECORD + bytes(32)),
        "plain ETH above maxValue": Call(recorder.address, 101, b""),
        "value on a zero-value permission": Call(recorder.address, 1, FREE_RECORD),
        "the account granting more power": account_call(account, "grantSession", CAROL.address, _wide_scope(token.address, token.address).as_abi()),
        "the account revoking another key": account_call(account, "revokeSession", BOB.address),
        "the account unfreezing itself": account_call(account, "unfreeze"),
        "a batch hiding one forbidden call": [transfer(token), transfer(token), other_target, transfer(token)],
        "selector 0 with 4 zero bytes": Call(recorder.address, 0, bytes(4)),
        "selector 0 with arguments": Call(recorder.address, 0, bytes(4) + bytes(32)),
        "1 byte of calldata": Call(recorder.address, 0, RECORD[:1]),
        "2 bytes of calldata": Call(recorder.address, 0, RECORD[:2]),
        "3 bytes of calldata": Call(recorder.address, 0, RECORD[:3]),
    }


ACCOUNT_CASES = ["the account granting more power", "the account revoking another key", "the account unfreezing itself"]
FORBIDDEN = [
    "another target",
    "another selector",
    "value above maxValue",
    "plain ETH above maxValue",
    "value on a zero-value permission",
    "the account granting more power",
    "the account revoking another key",
    "the account unfreezing itself",
    "a batch hiding one forbidden call",
    "selector 0 with 4 zero bytes",
    "selector 0 with arguments",
    "1 byte of calldata",
    "2 bytes of calldata",
    "3 bytes of calldata",
]


@pytest.mark.parametrize("case", FORBIDDEN)
def test_session_key_is_refused_outside_its_calls(
    case: str,
    entry_point: EntryPoint,
    bundler: LocalAccount,
    funded: SmartAccount,
    owner: LocalAccount,
    stack: Stack,
    token: Contract,
    recorder: Contract,
) -> None:
    # The scope even lists the account itself: SPEC section 4 says it is never a permitted target.
    cases = _forbidden_calls(funded, token, recorder)
    grant_calls(
        funded,
        owner,
        ALICE.address,
        stack.venue,
        [
            *alice_calls(token, recorder),
            *(CallPermission(funded.address, cases[name].data[:4], 0) for name in ACCOUNT_CASES),
        ],
    )
    grant_calls(funded, owner, BOB.address, stack.venue, [])
    op = entry_point.prepare(funded.address, call_data(cases[case]), ALICE.key, gas=FIXED_GAS)
    assert_refused("AA24", entry_point, bundler, op)
    assert funded.session(ALICE.address).gas_fee_spent == 0  # refused: charged nothing
    assert funded.session(BOB.address).status is SessionStatus.ACTIVE
    assert recorder.functions.callCount().call() == 0 and token.functions.balanceOf(RECIPIENT).call() == 0


def test_the_forbidden_cases_pass_with_the_owner_key(
    entry_point: EntryPoint, bundler: LocalAccount, funded: SmartAccount, owner: LocalAccount, stack: Stack,
    token: Contract, recorder: Contract,
) -> None:
    """Control for the test above: each of those callData executes, so only the scope refuses it."""
    grant_calls(funded, owner, BOB.address, stack.venue, [])
    cases = _forbidden_calls(funded, token, recorder)
    for case in FORBIDDEN:
        snapshot = funded.chain.snapshot()
        op = entry_point.prepare(funded.address, call_data(cases[case]), owner.key)
        outcome = submit(entry_point, bundler, op)
        assert outcome.success, (case, outcome.call_revert)
        funded.chain.revert(snapshot)


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("grantSession", id="an account function called directly"),
        pytest.param("truncated", id="a truncated execute"),
        pytest.param("empty", id="empty callData"),
    ],
)
def test_session_key_may_only_call_execute_or_execute_batch(
    raw: str, entry_point: EntryPoint, bundler: LocalAccount, alice: SmartAccount, token: Contract
) -> None:
    data = {
        "grantSession": account_call(alice, "grantSession", BOB.address, _wide_scope(token.address, token.address).as_abi()).data,
        "truncated": execute_call_data(transfer(token))[:-40],
        "empty": b"",
    }[raw]
    op = entry_point.prepare(alice.address, data, ALICE.key, gas=FIXED_GAS)
    assert_refused("AA24", entry_point, bundler, op)  # a refusal, not a validation revert (AA23)


def test_session_key_may_send_an_empty_batch(
    entry_point: EntryPoint, bundler: LocalAccount, alice: SmartAccount
) -> None:
    """It makes no call, so no permission is needed; it still spends the key's gas budget."""
    op = entry_point.prepare(alice.address, execute_batch_call_data([]), ALICE.key)
    assert submit(entry_point, bundler, op).success
    assert alice.session(ALICE.address).gas_fee_spent == op.max_cost()


def test_session_key_is_refused_on_another_lane(
    entry_point: EntryPoint, bundler: LocalAccount, alice: SmartAccount, owner: LocalAccount, stack: Stack, token: Contract
) -> None:
    grant_calls(alice, owner, BOB.address, stack.venue, [CallPermission(token.address, TRANSFER, 0)])
    for lane in (session_nonce_key(BOB.address), 0, session_nonce_key(ALICE.address) + (1 << 160)):
        op = entry_point.prepare(alice.address, execute_call_data(transfer(token)), ALICE.key, nonce_key=lane, gas=FIXED_GAS)
        assert_refused("AA24", entry_point, bundler, op)
    assert submit(entry_point, bundler, entry_point.prepare(alice.address, execute_call_data(transfer(token)), BOB.key)).success


def test_session_key_may_not_use_a_paymaster(
    entry_point: EntryPoint, bundler: LocalAccount, alice: SmartAccount, token: Contract, deployer: LocalAccount,
    test_artifacts: dict[str, dict[str, Any]],
) -> None:
    paymaster = _paymaster(alice.chain, deployer, entry_point, test_artifacts)
    op = entry_point.prepare(alice.address, execute_call_data(transfer(token)), ALICE.key, paymaster_and_data=paymaster, gas=FIXED_GAS)
    assert_refused("AA24", entry_point, bundler, op)


@pytest.mark.parametrize("state", ["frozen", "revoked", "revoked by itself", "swept by revokeAllSessions", "rotated away", "never granted"])
def test_session_key_is_refused_when_not_active_or_frozen(
    state: str, entry_point: EntryPoint, bundler: LocalAccount, alice: SmartAccount, owner: LocalAccount, token: Contract
) -> None:
    signer = ALICE
    if state == "frozen":
        alice.freeze(owner)
    elif state == "revoked":
        alice.revoke(owner, ALICE.address)
    elif state == "revoked by itself":
        alice.revoke_with_sig(owner, ALICE.address, alice.sign_revoke(ALICE.key))
    elif state == "swept by revokeAllSessions":
        alice.revoke_all(owner)
    elif state == "rotated away":
        alice.rotate(owner, ALICE.address, BOB.address)
    else:
        signer = named_key("never granted")
    op = entry_point.prepare(alice.address, execute_call_data(transfer(token)), signer.key, gas=FIXED_GAS)
    assert_refused("AA24", entry_point, bundler, op)
    if state == "rotated away":  # the new key carries the scope
        assert submit(entry_point, bundler, entry_point.prepare(alice.address, execute_call_data(transfer(token)), BOB.key)).success


def test_unfreezing_lets_the_session_key_act_again(
    entry_point: EntryPoint, bundler: LocalAccount, alice: SmartAccount, owner: LocalAccount, token: Contract
) -> None:
    alice.freeze(owner)
    alice.unfreeze(owner)
    assert submit(entry_point, bundler, entry_point.prepare(alice.address, execute_call_data(transfer(token)), ALICE.key)).success


@pytest.mark.parametrize("damage", ["64 bytes", "high s", "v = 29", "signed for another chain"])
def test_bad_signatures_are_refused(
    damage: str, entry_point: EntryPoint, bundler: LocalAccount, funded: SmartAccount, owner: LocalAccount, token: Contract
) -> None:
    op = entry_point.prepare(funded.address, execute_call_data(transfer(token)), owner.key, gas=FIXED_GAS)
    sig = op.signature
    r, s, v = sig[:32], int.from_bytes(sig[32:64], "big"), sig[64]
    bad = {
        "64 bytes": sig[:64],
        "high s": r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v]),  # same signer, malleated
        "v = 29": sig[:64] + bytes([29]),
        "signed for another chain": sign_user_op(op, owner.key, funded.chain.chain_id + 1, entry_point.address).signature,
    }[damage]
    assert_refused("AA24", entry_point, bundler, op.with_signature(bad))


# ---------------------------------------------------------------- the gas budget (maxGasFee)


def test_gas_budget_charges_the_max_cost_and_refuses_past_it_exactly(
    entry_point: EntryPoint, bundler: LocalAccount, funded: SmartAccount, owner: LocalAccount, stack: Stack, token: Contract
) -> None:
    cost = FIXED_GAS.total * FIXED_FEES.max_fee_per_gas
    grant_calls(funded, owner, ALICE.address, stack.venue, [CallPermission(token.address, TRANSFER, 0)], max_gas_fee=2 * cost)

    def op(fees: GasFees = FIXED_FEES) -> PackedUserOperation:
        return entry_point.prepare(funded.address, execute_call_data(transfer(token)), ALICE.key, gas=FIXED_GAS, fees=fees)

    assert submit(entry_point, bundler, op()).success
    assert funded.session(ALICE.address).gas_fee_spent == cost
    one_wei_a_gas_more = GasFees(FIXED_FEES.max_priority_fee_per_gas, FIXED_FEES.max_fee_per_gas + 1)
    assert_refused("AA24", entry_point, bundler, op(one_wei_a_gas_more))
    assert funded.session(ALICE.address).gas_fee_spent == cost  # the refused op charged nothing
    assert submit(entry_point, bundler, op()).success  # the budget is reached exactly
    assert funded.session(ALICE.address).gas_fee_spent == 2 * cost
    assert_refused("AA24", entry_point, bundler, op(GasFees(1, 1)))  # exhausted: even 1 wei a gas is too much


def test_gas_budget_is_exact_to_the_wei(
    entry_point: EntryPoint, bundler: LocalAccount, funded: SmartAccount, owner: LocalAccount, stack: Stack, token: Contract
) -> None:
    budget = 10**15
    grant_calls(funded, owner, ALICE.address, stack.venue, [CallPermission(token.address, TRANSFER, 0)], max_gas_fee=budget)

    def costing(wei: int) -> PackedUserOperation:
        # At 1 wei a gas the max cost is the gas total; preVerificationGas takes up the rest.
        gas = replace(FIXED_GAS, pre_verification_gas=wei - FIXED_GAS.verification_gas_limit - FIXED_GAS.call_gas_limit)
        return entry_point.prepare(funded.address, execute_call_data(transfer(token)), ALICE.key, gas=gas, fees=GasFees(1, 1))

    assert_refused("AA24", entry_point, bundler, costing(budget + 1))
    assert funded.session(ALICE.address).gas_fee_spent == 0
    assert submit(entry_point, bundler, costing(budget)).success
    assert funded.session(ALICE.address).gas_fee_spent == budget
    assert_refused("AA24", entry_point, bundler, costing(FIXED_GAS.total))


def test_zero_gas_budget_allows_no_operation(
    entry_point: EntryPoint, bundler: LocalAccount, funded: SmartAccount, owner: LocalAccount, stack: Stack, token: Contract
) -> None:
    grant_calls(funded, owner, ALICE.address, stack.venue, [CallPermission(token.address, TRANSFER, 0)], max_gas_fee=0)
    op = entry_point.prepare(funded.address, execute_call_data(transfer(token)), ALICE.key, gas=FIXED_GAS, fees=GasFees(0, 0))
    assert_refused("AA24", entry_point, bundler, op)  # even an op that costs nothing


def test_an_op_that_reverts_in_execution_is_charged_and_its_reason_decoded(
    entry_point: EntryPoint, bundler: LocalAccount, funded: SmartAccount, owner: LocalAccount, stack: Stack, recorder: Contract
) -> None:
    fail = bytes.fromhex(recorder.encode_abi("fail", args=["boom"])[2:])
    grant_calls(funded, owner, ALICE.address, stack.venue, [CallPermission(recorder.address, fail[:4], 0)])
    op = entry_point.prepare(funded.address, execute_call_data(Call(recorder.address, 0, fail)), ALICE.key, gas=FIXED_GAS)
    outcome = submit(entry_point, bundler, op)
    assert not outcome.success
    assert outcome.revert is not None and outcome.revert.error_name == "CallFailed"
    assert outcome.call_revert is not None and (outcome.call_revert.error_name, outcome.call_revert.error_args) == ("Error", ("boom",))
    assert funded.session(ALICE.address).gas_fee_spent == op.max_cost()  # validation passed, so it was charged
    assert 0 < outcome.actual_gas_cost <= op.max_cost()


# ---------------------------------------------------------------- validity window: AA22 from the validation data


def test_session_is_valid_from_valid_after_inclusive(
    entry_point: EntryPoint, bundler: LocalAccount, funded: SmartAccount, owner: LocalAccount, stack: Stack, token: Contract
) -> None:
    start = funded.chain.timestamp() + 1_000
    grant_calls(funded, owner, ALICE.address, stack.venue, [CallPermission(token.address, TRANSFER, 0)], valid_after=start)
    op = entry_point.prepare(funded.address, execute_call_data(transfer(token)), ALICE.key, gas=FIXED_GAS)
    funded.chain.pin_next_block(start - 1)
    assert_refused("AA22", entry_point, bundler, op)
    assert funded.session(ALICE.address).gas_fee_spent == 0
    funded.chain.pin_next_block(start)  # validAfter - 1 is packed, so exactly validAfter is in range
    assert submit(entry_point, bundler, op).success


def test_session_is_valid_until_valid_until_inclusive(
    entry_point: EntryPoint, bundler: LocalAccount, funded: SmartAccount, owner: LocalAccount, stack: Stack, token: Contract
) -> None:
    end = funded.chain.timestamp() + 1_000
    grant_calls(funded, owner, ALICE.address, stack.venue, [CallPermission(token.address, TRANSFER, 0)], valid_until=end)
    first = entry_point.prepare(funded.address, execute_call_data(transfer(token)), ALICE.key, gas=FIXED_GAS)
    funded.chain.pin_next_block(end)
    assert submit(entry_point, bundler, first).success
    second = entry_point.prepare(funded.address, execute_call_data(transfer(token)), ALICE.key, gas=FIXED_GAS)
    funded.chain.pin_next_block(end + 1)
    assert_refused("AA22", entry_point, bundler, second)


def _validation_data(entry_point: EntryPoint, account: SmartAccount, op: PackedUserOperation) -> int:
    """validateUserOp's return value, called as the EntryPoint (eth-tester makes the caller afford the gas)."""
    account.chain.fund(entry_point.address, ETHER)
    fn = account.contract.functions.validateUserOp(op.as_abi(), entry_point.user_op_hash(op), 0)
    return int(fn.call({"from": entry_point.address, "gas": 1_000_000}))


def test_validation_data_packs_valid_after_minus_one(
    entry_point: EntryPoint, funded: SmartAccount, owner: LocalAccount, stack: Stack, token: Contract
) -> None:
    start, end = funded.chain.timestamp() + 500, funded.chain.timestamp() + DAY
    grant_calls(funded, owner, ALICE.address, stack.venue, [CallPermission(token.address, TRANSFER, 0)], valid_after=start, valid_until=end)
    op = entry_point.prepare(funded.address, execute_call_data(transfer(token)), ALICE.key, gas=FIXED_GAS)
    data = _validation_data(entry_point, funded, op)
    assert (data & (2**160 - 1), data >> 160 & (2**48 - 1), data >> 208) == (0, end, start - 1)


def test_session_from_time_zero_packs_valid_after_zero(
    entry_point: EntryPoint, alice: SmartAccount, token: Contract
) -> None:
    op = entry_point.prepare(alice.address, execute_call_data(transfer(token)), ALICE.key, gas=FIXED_GAS)
    data = _validation_data(entry_point, alice, op)
    assert data >> 208 == 0  # 0 stays 0 (no underflow to 2**48 - 1)


# ---------------------------------------------------------------- nonce lanes: keys never block one another


@pytest.fixture
def two_keys(funded: SmartAccount, owner: LocalAccount, stack: Stack, token: Contract) -> SmartAccount:
    for key in (ALICE, BOB):
        grant_calls(funded, owner, key.address, stack.venue, [CallPermission(token.address, TRANSFER, 0)])
    return funded


def test_two_keys_in_one_bundle_each_on_its_lane(
    entry_point: EntryPoint, bundler: LocalAccount, two_keys: SmartAccount, token: Contract
) -> None:
    ops = [entry_point.prepare(two_keys.address, execute_call_data(transfer(token, 1)), key.key) for key in (ALICE, BOB)]
    outcome = entry_point.handle_ops(ops, bundler)
    assert [o.success for o in outcome.ops] == [True, True]
    assert token.functions.balanceOf(RECIPIENT).call() == 2
    for key in (ALICE, BOB):
        lane = session_nonce_key(key.address)
        assert entry_point.nonce(two_keys.address, lane) == pack_nonce(lane, 1)


def test_interleaved_keys_do_not_block_each_other(
    entry_point: EntryPoint, bundler: LocalAccount, two_keys: SmartAccount, token: Contract
) -> None:
    def signed(key: LocalAccount, sequence: int) -> PackedUserOperation:
        nonce = pack_nonce(session_nonce_key(key.address), sequence)
        return entry_point.prepare(two_keys.address, execute_call_data(transfer(token, 1)), key.key, nonce=nonce, gas=FIXED_GAS)

    # Both bots sign ahead; Alice's second op waits for her first, Bob is never held up by her.
    alice_0, alice_1, bob_0, bob_1 = signed(ALICE, 0), signed(ALICE, 1), signed(BOB, 0), signed(BOB, 1)
    assert_refused("AA25", entry_point, bundler, alice_1)  # her lane is ordered
    assert submit(entry_point, bundler, bob_0).success
    assert submit(entry_point, bundler, alice_0).success
    assert submit(entry_point, bundler, bob_1).success
    assert submit(entry_point, bundler, alice_1).success
    assert token.functions.balanceOf(RECIPIENT).call() == 4


# ---------------------------------------------------------------- estimation and outcomes


def test_estimated_limits_are_sufficient_and_tight(
    entry_point: EntryPoint, bundler: LocalAccount, alice: SmartAccount, owner: LocalAccount, token: Contract
) -> None:
    # First use of the deposit and of each lane, then again: each case must go through, with a
    # verificationGasLimit above the least handleOps accepts by at most the estimator's slack
    # (eth-tester's eth_estimateGas stops within the intrinsic gas, ~25k, above the minimum).
    for key in (owner, ALICE, owner, ALICE):
        op = entry_point.prepare(alice.address, execute_call_data(transfer(token)), key.key)
        least = least_verification_gas(entry_point, bundler, op, key.key)
        assert least <= op.verification_gas_limit <= least + 25_000
        assert submit(entry_point, bundler, op).success


def test_pre_verification_gas_pays_the_bundler_of_a_one_op_bundle(
    entry_point: EntryPoint, bundler: LocalAccount, alice: SmartAccount, owner: LocalAccount, token: Contract
) -> None:
    for key in (owner, ALICE):
        op = entry_point.prepare(alice.address, execute_call_data(transfer(token)), key.key)
        assert op.pre_verification_gas == pre_verification_gas(op)
        bundle = entry_point.handle_ops([op], bundler)
        assert bundle.gas_used <= bundle.ops[0].actual_gas_used <= bundle.gas_used + 5_000


def test_execution_that_reverts_in_estimation_names_the_revert(
    entry_point: EntryPoint, alice: SmartAccount, recorder: Contract
) -> None:
    fail = Call(recorder.address, 0, bytes.fromhex(recorder.encode_abi("fail", args=["nope"])[2:]))
    with pytest.raises(Exception) as caught:
        entry_point.prepare(alice.address, execute_call_data(fail), ALICE.key)
    assert getattr(caught.value, "error_name", None) == "CallFailed"
    assert "pass gas=GasLimits" in "".join(getattr(caught.value, "__notes__", []))


def test_validation_out_of_gas_is_aa23_with_failed_op_with_revert(
    entry_point: EntryPoint, bundler: LocalAccount, alice: SmartAccount, token: Contract
) -> None:
    op = entry_point.prepare(alice.address, execute_call_data(transfer(token)), ALICE.key, gas=replace(FIXED_GAS, verification_gas_limit=3_000))
    refused = assert_refused("AA23", entry_point, bundler, op)
    assert refused.error_name == "FailedOpWithRevert" and refused.inner is not None and refused.op_index == 0


def test_second_op_of_a_bundle_is_named_by_index(
    entry_point: EntryPoint, bundler: LocalAccount, alice: SmartAccount, owner: LocalAccount, token: Contract
) -> None:
    good = entry_point.prepare(alice.address, execute_call_data(transfer(token)), owner.key)
    bad = entry_point.prepare(alice.address, execute_call_data(transfer(token)), named_key("stranger").key, gas=FIXED_GAS)
    with pytest.raises(FailedOpError) as caught:
        entry_point.handle_ops([good, bad], bundler)
    assert (caught.value.op_index, caught.value.code) == (1, "AA24")
    assert entry_point.nonce(alice.address) == 0  # the whole bundle reverted


def test_hash_check_refuses_a_client_on_the_wrong_chain(entry_point: EntryPoint, chain: Chain) -> None:
    misconfigured = EntryPoint(chain, entry_point.address)
    misconfigured.chain_id += 1
    op = user_operation(ALICE.address, 0, b"", FIXED_GAS, FIXED_FEES)
    assert entry_point.check_user_op_hash(op) == entry_point.user_op_hash(op)
    with pytest.raises(ChainError, match="EntryPoint v0.8"):
        misconfigured.check_user_op_hash(op)


# ---------------------------------------------------------------- gas (a benchmark figure, pinned against regressions)

# Gas is deterministic, so this pins a regression, not a timing. Measured on the shipped SessionAccount:
# 11,356 gas. The session path reads three cold words the owner's never does (the key's user-operation
# word, the account word, the call word) and rewrites the budget, and its nonce carries 20 non-zero key
# bytes: 3 x 2,100 + 2,900 + 240 = 9,440 gas, below which no session operation of this layout goes (see
# BENCHMARKS.md, "Where a session user operation's gas goes").
SESSION_OVERHEAD_FLOOR = 9_440
SESSION_OVERHEAD_CEILING = 11_600


def test_scoped_session_key_overhead_over_the_owner(
    isolated: Chain, stack: Stack, deployer: LocalAccount, test_artifacts: dict[str, dict[str, Any]]
) -> None:
    overhead = measure_session_overhead(isolated, stack, deployer, test_artifacts["MockERC20"])
    print(f"\nhandleOps gas, ERC-20 transfer: owner {overhead.owner.gas}, scoped session key {overhead.session.gas}, "
          f"difference {overhead.difference} (first ops: {overhead.owner_first.gas} / {overhead.session_first.gas})")
    assert SESSION_OVERHEAD_FLOOR < overhead.difference <= SESSION_OVERHEAD_CEILING
    assert overhead.owner_first.gas > overhead.owner.gas and overhead.session_first.gas > overhead.session.gas  # fresh slots cost more
