"""EIP-7702 delegation itself (aa_auth.contracts.eip7702) on the embedded chain (py-evm, Prague).

These hold for any delegate, so they use the shipped SessionAccount implementation and the
EntryPoint as two different implementations: the designator, both nonce rules (self-paid and
sponsored), undo, re-delegation, and the authorizations the chain skips while the transaction
succeeds, which Python must detect instead of assuming.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from aa_auth.chain.connection import Chain
from aa_auth.contracts.eip7702 import (
    apply_authorization,
    delegate,
    delegate_of,
    delegation,
    designator,
    plan_authorization,
    sign_authorization,
    undelegate,
)
from aa_auth.contracts.stack import Stack
from aa_auth.erc4337.bundler import EntryPoint
from aa_auth.erc4337.userops import EIP7702_INIT_CODE, GasFees, GasLimits, user_op_hash, user_operation
from aa_auth.errors import DelegationNotApplied, InvalidInput
from tests.conftest import ETHER, named_key


@dataclass(frozen=True)
class Setup:
    chain: Chain
    eoa: LocalAccount
    sponsor: LocalAccount
    first: str  # two implementations to delegate to
    second: str


@pytest.fixture
def setup(isolated: Chain, stack: Stack) -> Iterator[Setup]:
    eoa, sponsor = named_key("7702 eoa"), named_key("7702 sponsor")
    for key in (eoa, sponsor):
        isolated.fund(key.address, 10 * ETHER)
    implementation = str(isolated.call(isolated.contract("AccountFactory", stack.factory).functions.accountImplementation()))
    yield Setup(isolated, eoa, sponsor, implementation, stack.entry_point)


def _nonce(chain: Chain, address: str) -> int:
    return int(chain.w3.eth.get_transaction_count(address))  # type: ignore[arg-type]


def test_designator_round_trips_and_other_code_is_no_designator() -> None:
    target = "0x" + "ab" * 20
    code = designator(target)
    assert code.hex() == "ef0100" + "ab" * 20
    assert (delegate_of(code) or "").lower() == target
    assert delegate_of(code + b"\x00") is None
    assert delegate_of(b"\xef\x01\x01" + bytes(20)) is None
    assert delegate_of(b"") is None


def test_self_paid_delegation_signs_the_eoa_nonce_plus_one_and_sets_the_designator(setup: Setup) -> None:
    chain, eoa = setup.chain, setup.eoa
    before = _nonce(chain, eoa.address)
    done = delegate(chain, eoa, setup.first)
    assert done.authorization.nonce == before + 1  # the transaction bumps the nonce first
    assert done.authorization.chain_id == chain.chain_id
    assert bytes(chain.w3.eth.get_code(eoa.address)) == designator(setup.first)
    assert delegation(chain, eoa.address) == setup.first and done.previous is None
    assert _nonce(chain, eoa.address) == before + 2  # the transaction's and the authorization's


def test_sponsored_delegation_signs_the_eoa_current_nonce_and_the_sponsor_pays(setup: Setup) -> None:
    chain, eoa = setup.chain, setup.eoa
    before, balance = _nonce(chain, eoa.address), chain.w3.eth.get_balance(eoa.address)
    done = delegate(chain, eoa, setup.first, sponsor=setup.sponsor)
    assert done.authorization.nonce == before
    assert done.receipt["from"] == setup.sponsor.address
    assert delegation(chain, eoa.address) == setup.first
    assert _nonce(chain, eoa.address) == before + 1  # only the authorization's
    assert chain.w3.eth.get_balance(eoa.address) == balance  # the EOA paid nothing


@pytest.mark.parametrize("sponsored", [False, True], ids=["self-paid", "sponsored"])
def test_undelegate_leaves_no_code_and_redelegation_works(setup: Setup, sponsored: bool) -> None:
    chain, eoa = setup.chain, setup.eoa
    sponsor = setup.sponsor if sponsored else None
    delegate(chain, eoa, setup.first, sponsor=sponsor)
    moved = delegate(chain, eoa, setup.second, sponsor=sponsor)
    assert moved.previous == setup.first and delegation(chain, eoa.address) == setup.second
    undone = undelegate(chain, eoa, sponsor=sponsor)
    assert undone.implementation is None and undone.previous == setup.second
    assert bytes(chain.w3.eth.get_code(eoa.address)) == b""
    assert delegation(chain, eoa.address) is None
    again = delegate(chain, eoa, setup.first, sponsor=sponsor)
    assert again.previous is None and delegation(chain, eoa.address) == setup.first


def _assert_skipped(setup: Setup, authorization: object, payer: LocalAccount) -> None:
    """The chain mines the transaction successfully, leaves the code alone, and Python raises."""
    chain, eoa = setup.chain, setup.eoa
    code, payer_nonce = bytes(chain.w3.eth.get_code(eoa.address)), _nonce(chain, payer.address)
    with pytest.raises(DelegationNotApplied, match="skipped the authorization"):
        apply_authorization(chain, payer, eoa.address, authorization)  # type: ignore[arg-type]
    assert _nonce(chain, payer.address) == payer_nonce + 1  # it was mined ...
    latest = chain.w3.eth.get_block("latest")
    receipt = chain.w3.eth.get_transaction_receipt(latest["transactions"][-1])
    assert receipt["status"] == 1  # ... and succeeded
    assert bytes(chain.w3.eth.get_code(eoa.address)) == code  # unchanged


def test_stale_authorization_is_skipped_and_python_raises(setup: Setup) -> None:
    chain, eoa = setup.chain, setup.eoa
    stale = sign_authorization(eoa, plan_authorization(chain, eoa.address, setup.first, payer=setup.sponsor.address))
    delegate(chain, eoa, setup.second, sponsor=setup.sponsor)  # uses that nonce first
    _assert_skipped(setup, stale, setup.sponsor)
    assert delegation(chain, eoa.address) == setup.second


def test_self_paid_authorization_at_the_current_nonce_is_skipped_and_python_raises(setup: Setup) -> None:
    chain, eoa = setup.chain, setup.eoa
    # The sponsored rule used for a self-paid transaction: the transaction's own bump makes it stale.
    wrong = sign_authorization(eoa, plan_authorization(chain, eoa.address, setup.first, payer=setup.sponsor.address))
    _assert_skipped(setup, wrong, eoa)
    assert delegation(chain, eoa.address) is None


def test_chain_id_zero_is_refused_unless_asked_for(setup: Setup) -> None:
    chain, eoa = setup.chain, setup.eoa
    with pytest.raises(InvalidInput, match="chain id 0 is valid on every chain"):
        plan_authorization(chain, eoa.address, setup.first, chain_id=0)
    nothing = _nonce(chain, eoa.address)
    assert delegation(chain, eoa.address) is None and _nonce(chain, eoa.address) == nothing
    done = delegate(chain, eoa, setup.first, allow_any_chain=True)
    assert done.authorization.chain_id == 0 and delegation(chain, eoa.address) == setup.first


def test_another_chains_authorization_is_refused_by_python_and_skipped_by_the_chain(setup: Setup) -> None:
    chain, eoa = setup.chain, setup.eoa
    other = chain.chain_id + 1
    with pytest.raises(InvalidInput, match=f"for chain {other} is skipped by this chain"):
        plan_authorization(chain, eoa.address, setup.first, chain_id=other)
    foreign = Account.sign_authorization(
        {"chainId": other, "address": setup.first, "nonce": _nonce(chain, eoa.address)}, eoa.key)
    _assert_skipped(setup, foreign, setup.sponsor)


def test_authorization_signed_by_another_key_delegates_that_key_not_the_eoa(setup: Setup) -> None:
    chain, eoa = setup.chain, setup.eoa
    stranger = named_key("7702 stranger")
    forged = Account.sign_authorization({"chainId": chain.chain_id, "address": setup.first, "nonce": 0}, stranger.key)
    _assert_skipped(setup, forged, setup.sponsor)
    with pytest.raises(InvalidInput, match="the key given is"):
        sign_authorization(stranger, plan_authorization(chain, eoa.address, setup.first))


def test_delegating_to_an_address_without_code_or_from_a_contract_is_refused(setup: Setup) -> None:
    chain, eoa = setup.chain, setup.eoa
    with pytest.raises(InvalidInput, match="no contract at"):
        delegate(chain, eoa, "0x" + "12" * 20)
    with pytest.raises(InvalidInput, match="only an EOA can delegate"):
        plan_authorization(chain, setup.second, setup.first)
    assert delegation(chain, eoa.address) is None


def test_eip7702_user_op_hash_binds_the_current_delegate(setup: Setup) -> None:
    chain, eoa = setup.chain, setup.eoa
    entry_point = EntryPoint(chain, setup.second)
    op = user_operation(eoa.address, 0, b"", GasLimits(100_000, 0, 50_000), GasFees(1, 2), init_code=EIP7702_INIT_CODE)
    with pytest.raises(InvalidInput, match="not delegated by EIP-7702"):
        entry_point.user_op_hash(op)
    with pytest.raises(InvalidInput, match="pass delegate="):
        user_op_hash(op, chain.chain_id, entry_point.address)
    delegate(chain, eoa, setup.first, sponsor=setup.sponsor)
    under_first = entry_point.check_user_op_hash(op)  # equals the EntryPoint's own getUserOpHash
    assert under_first == user_op_hash(op, chain.chain_id, entry_point.address, setup.first)
    delegate(chain, eoa, setup.second, sponsor=setup.sponsor)
    assert entry_point.check_user_op_hash(op) != under_first
    plain = user_operation(eoa.address, 0, b"", GasLimits(100_000, 0, 50_000), GasFees(1, 2))
    assert entry_point.check_user_op_hash(plain) == user_op_hash(plain, chain.chain_id, entry_point.address)
