"""An EOA delegated to SessionAccount7702 by EIP-7702 is the account, at its own address (SPEC 13),
on the embedded chain (py-evm, Prague): the issue's flows, then its attacks, each named.

The EOA's own transactions to itself are the owner's calls; `SmartAccount`, `OrderSigner`, the
`Verifier`, `Venue`, the EntryPoint and `inspect_account` all take the EOA's address unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from web3.contract import Contract

from aa_auth.chain.connection import Chain
from aa_auth.contracts.account import SmartAccount
from aa_auth.contracts.eip7702 import delegate, delegation, designator, undelegate
from aa_auth.contracts.stack import Stack, create_account
from aa_auth.contracts.venue import Venue
from aa_auth.erc4337.bundler import EntryPoint
from aa_auth.erc4337.userops import EIP7702_INIT_CODE, Call, GasLimits, execute_call_data, user_op_hash
from aa_auth.errors import ContractRevert, InvalidInput, Reason
from aa_auth.ops.audit import inspect_account
from aa_auth.protocol.orders import Order, SignedOrder
from aa_auth.protocol.scope import CallPermission, Scope, market_limit, scope
from aa_auth.protocol.signatures import sign_digest
from aa_auth.protocol.signer import OrderSigner
from aa_auth.protocol.typed_data import aa_auth_message_digest
from aa_auth.protocol.values import ZERO_ADDRESS
from aa_auth.protocol.verify import SessionStatus, Verifier
from tests.conftest import ETHER, funded_key, named_key
from tests.integration.userop_support import TRANSFER, assert_refused, deploy_contract, grant_calls, submit

E = ETHER
MARKET = 1
BOT, BOT2, STRANGER = named_key("7702 bot"), named_key("7702 bot 2"), named_key("7702 stranger")
RECIPIENT = named_key("7702 recipient").address
MAGIC, INVALID = bytes.fromhex("1626ba7e"), bytes.fromhex("ffffffff")
ONES = b"\xff" * 32
FIXED_GAS = GasLimits(300_000, 200_000, 60_000)  # refused operations are not estimated: the account refuses them


@dataclass(frozen=True)
class Tokens:
    erc20: Contract
    erc721: Contract
    erc1155: Contract
    clobber: Contract  # StorageClobber: a delegate that writes low slots


@pytest.fixture(scope="module")
def tokens(chain: Chain, deployer: LocalAccount, test_artifacts: dict[str, dict[str, Any]]) -> Tokens:
    return Tokens(*(deploy_contract(chain, test_artifacts[name], deployer)
                    for name in ("MockERC20", "MockERC721", "MockERC1155", "StorageClobber")))


@pytest.fixture(scope="module")
def helpers(chain: Chain) -> tuple[LocalAccount, LocalAccount]:
    """(relayer, bundler), funded once."""
    return funded_key(chain, "7702 relayer"), funded_key(chain, "7702 bundler")


@dataclass
class Eoa:
    """A trader's EOA delegated to SessionAccount7702 on a snapshot of the shared chain."""

    chain: Chain
    stack: Stack
    key: LocalAccount
    account: SmartAccount
    relayer: LocalAccount
    bundler: LocalAccount
    tokens: Tokens

    @property
    def address(self) -> str:
        return self.key.address

    @property
    def implementation(self) -> str:
        assert self.stack.implementation_7702 is not None
        return self.stack.implementation_7702

    @property
    def entry_point(self) -> EntryPoint:
        return EntryPoint(self.chain, self.stack.entry_point)

    def nonce(self) -> int:
        return int(self.chain.w3.eth.get_transaction_count(self.key.address))

    def scope(self, **overrides: Any) -> Scope:
        now = self.chain.timestamp()
        fields: dict[str, Any] = dict(valid_after=now - 10, valid_until=now + 3_600, venues=[self.stack.venue],
                                      markets=[market_limit(MARKET, max_order_size=10 * E, min_price=100 * E, max_price=200 * E)],
                                      max_orders_per_window=100, window_seconds=3_600)
        fields.update(overrides)
        return scope(**fields)

    def order(self, signer: LocalAccount, nonce: int, **overrides: Any) -> SignedOrder:
        fields: dict[str, Any] = dict(venue=self.stack.venue, market=MARKET, is_buy=True, size=E, price=150 * E,
                                      nonce=nonce, deadline=self.chain.timestamp() + 600)
        fields.update(overrides)
        return OrderSigner(signer.key, self.chain.chain_id, self.address).sign(Order(**fields))

    def settle(self, *orders: SignedOrder) -> list[Reason]:
        return [o.reason for o in Venue(self.chain, self.stack.venue).settle(self.relayer, list(orders)).outcomes]

    def state(self) -> tuple[Any, ...]:
        """Everything in the account's namespace that the getters show, for before/after comparisons."""
        a = self.account
        return (a.owner(), a.guardian(), a.frozen(), a.grant_nonce(), a.session_keys(),
                [a.session(k) for k in a.session_keys()], [a.nonce_bitmap(s, 0) for s in (BOT.address, BOT2.address)])

    def redelegate(self, implementation: str, call_data: bytes = b"") -> None:
        delegate(self.chain, self.key, implementation, sponsor=self.relayer, call_data=call_data)


@pytest.fixture
def eoa(isolated: Chain, stack: Stack, helpers: tuple[LocalAccount, LocalAccount], tokens: Tokens) -> Iterator[Eoa]:
    key = named_key("7702 trader")
    isolated.fund(key.address, 100 * E)
    assert stack.implementation_7702 is not None
    delegate(isolated, key, stack.implementation_7702)  # self-paid
    yield Eoa(isolated, stack, key, SmartAccount(isolated, key.address), *helpers, tokens)


def _clobber(tokens: Tokens) -> bytes:
    """StorageClobber's call writing all ones into slots 0..15 (it has no receive: the delegation
    transaction carries this call, run on the new code)."""
    return bytes.fromhex(tokens.clobber.encode_abi("clobber", args=[16, ONES])[2:])


def _low_slots(chain: Chain, address: str) -> list[bytes]:
    return [bytes(chain.w3.eth.get_storage_at(address, slot)) for slot in range(16)]  # type: ignore[arg-type]


# ---------------------------------------------------------------- the flows


def test_upgrade_makes_the_eoa_the_account_at_its_own_address(eoa: Eoa) -> None:
    assert bytes(eoa.chain.w3.eth.get_code(eoa.address)) == designator(eoa.implementation)
    assert eoa.account.owner() == eoa.address  # owner() is the EOA itself
    assert str(eoa.chain.call(eoa.account.contract.functions.entryPoint())) == eoa.stack.entry_point
    assert (eoa.account.guardian(), eoa.account.frozen(), eoa.account.grant_nonce(), eoa.account.session_keys()) == \
        (ZERO_ADDRESS, False, 0, [])
    assert eoa.chain.w3.eth.get_balance(eoa.address) > 99 * E  # its balance is still there, less gas


def test_grant_by_the_eoas_own_transaction_to_itself(eoa: Eoa) -> None:
    receipt = eoa.account.grant(eoa.key, BOT.address, eoa.scope())
    assert receipt["from"] == receipt["to"] == eoa.address
    assert eoa.account.session(BOT.address).status is SessionStatus.ACTIVE
    assert eoa.account.session_keys() == [BOT.address]
    with pytest.raises(InvalidInput, match="may not be the account itself"):
        eoa.account.grant(eoa.key, eoa.address, eoa.scope())  # the EOA is both the account and the owner


def test_orders_signed_by_a_session_key_settle_with_the_eoa_as_account(eoa: Eoa) -> None:
    eoa.account.grant(eoa.key, BOT.address, eoa.scope(max_orders_per_window=2))
    orders = [eoa.order(BOT, n) for n in range(3)]
    verifier = Verifier(eoa.account.state([BOT.address], [(BOT.address, 0)]))
    predicted = [verifier.consume(o.order, o.signature).reason for o in orders]
    on_chain = [eoa.account.is_order_authorized(o.order, o.signature).reason for o in orders[:1]]
    assert predicted == [Reason.AUTHORIZED, Reason.AUTHORIZED, Reason.RATE_LIMITED] and on_chain == [Reason.AUTHORIZED]
    assert eoa.settle(*orders) == predicted
    assert Venue(eoa.chain, eoa.stack.venue).position(eoa.address, MARKET) == 2 * E
    assert orders[0].account == eoa.address


def test_freeze_stops_session_keys_but_never_the_eoa_key(eoa: Eoa) -> None:
    eoa.account.grant(eoa.key, BOT.address, eoa.scope())
    eoa.account.freeze(eoa.key)
    assert eoa.settle(eoa.order(BOT, 0)) == [Reason.ACCOUNT_FROZEN]
    # The EOA key still moves funds, directly and through the account's own execute.
    before = eoa.chain.w3.eth.get_balance(RECIPIENT)
    eoa.chain.transact({"to": RECIPIENT, "value": E}, eoa.key)
    eoa.chain.send(eoa.account.contract.functions.execute(RECIPIENT, E, b""), eoa.key)
    eoa.account.revoke_all(eoa.key)
    eoa.chain.send(eoa.account.contract.functions.execute(RECIPIENT, E, b""), eoa.key)
    assert eoa.chain.w3.eth.get_balance(RECIPIENT) == before + 3 * E
    eoa.account.unfreeze(eoa.key)
    assert eoa.settle(eoa.order(BOT, 1)) == [Reason.SESSION_REVOKED]


def _transfer(tokens: Tokens, amount: int) -> bytes:
    data = bytes.fromhex(tokens.erc20.encode_abi("transfer", args=[RECIPIENT, amount])[2:])
    return execute_call_data(Call(tokens.erc20.address, 0, data))


@pytest.mark.parametrize("init_code", [b"", EIP7702_INIT_CODE, b"\x77\x02"], ids=["no initCode", "0x7702 padded", "bare 0x7702"])
def test_session_key_user_operation_through_entry_point_v08(eoa: Eoa, init_code: bytes) -> None:
    eoa.chain.send(eoa.tokens.erc20.functions.mint(eoa.address, 10**24), eoa.relayer)
    grant_calls(eoa.account, eoa.key, BOT.address, eoa.stack.venue, [CallPermission(eoa.tokens.erc20.address, TRANSFER, 0)])
    op = eoa.entry_point.prepare(eoa.address, _transfer(eoa.tokens, 10), BOT.key, init_code=init_code)
    outcome = submit(eoa.entry_point, eoa.bundler, op)
    assert outcome.success and outcome.sender == eoa.address
    assert eoa.tokens.erc20.functions.balanceOf(RECIPIENT).call() == 10
    assert eoa.account.session(BOT.address).gas_fee_spent >= op.max_cost()
    owner_op = eoa.entry_point.prepare(eoa.address, _transfer(eoa.tokens, 5), eoa.key.key, init_code=init_code)
    assert owner_op.nonce_key == 0 and submit(eoa.entry_point, eoa.bundler, owner_op).success


def test_a_longer_initcode_is_refused_by_the_account(eoa: Eoa) -> None:
    eoa.chain.send(eoa.tokens.erc20.functions.mint(eoa.address, 10**24), eoa.relayer)
    grant_calls(eoa.account, eoa.key, BOT.address, eoa.stack.venue, [CallPermission(eoa.tokens.erc20.address, TRANSFER, 0)])
    # The EntryPoint runs the tail as an initializer call (a harmless view here), then asks the account.
    tail = keccak(text="frozen()")[:4]
    op = eoa.entry_point.prepare(eoa.address, _transfer(eoa.tokens, 10), BOT.key, init_code=EIP7702_INIT_CODE + tail)
    assert_refused("AA24", eoa.entry_point, eoa.bundler, op)


def test_erc1271_with_verifying_contract_the_eoa(eoa: Eoa, stack: Stack, deployer: LocalAccount) -> None:
    message = keccak(text="a venue login")
    signature = sign_digest(eoa.key.key, aa_auth_message_digest(eoa.chain.chain_id, eoa.address, message))
    is_valid = eoa.account.contract.functions.isValidSignature
    assert bytes(is_valid(message, signature).call()) == MAGIC
    assert bytes(is_valid(keccak(text="another"), signature).call()) == INVALID
    # The same owner's clone has its own domain: the EOA's signature does not validate there.
    clone, _ = create_account(eoa.chain, stack, deployer, eoa.address)
    assert bytes(clone.contract.functions.isValidSignature(message, signature).call()) == INVALID
    eoa.account.grant(eoa.key, BOT.address, eoa.scope())
    by_key = sign_digest(BOT.key, aa_auth_message_digest(eoa.chain.chain_id, eoa.address, message))
    assert bytes(is_valid(message, by_key).call()) == INVALID


def test_downgrade_empties_the_code_and_reupgrade_restores_the_namespace(eoa: Eoa) -> None:
    eoa.account.grant(eoa.key, BOT.address, eoa.scope())
    eoa.account.set_guardian(eoa.key, RECIPIENT)
    assert eoa.settle(eoa.order(BOT, 0)) == [Reason.AUTHORIZED]
    eoa.account.freeze(eoa.key)
    before = eoa.state()
    undelegate(eoa.chain, eoa.key)
    assert bytes(eoa.chain.w3.eth.get_code(eoa.address)) == b"" and delegation(eoa.chain, eoa.address) is None
    assert eoa.settle(eoa.order(BOT, 1)) == [Reason.VENUE_CALL_FAILED]  # no code: no account to ask
    delegate(eoa.chain, eoa.key, eoa.implementation)
    assert eoa.state() == before
    assert eoa.settle(eoa.order(BOT, 0)) == [Reason.ACCOUNT_FROZEN]  # frozen survived, and so did the nonce
    eoa.account.unfreeze(eoa.key)
    assert eoa.settle(eoa.order(BOT, 0), eoa.order(BOT, 1)) == [Reason.NONCE_ALREADY_USED, Reason.AUTHORIZED]


def test_inspect_reports_a_delegated_eoa_and_checks_its_designator(eoa: Eoa, deployer: LocalAccount) -> None:
    eoa.account.grant(eoa.key, BOT.address, eoa.scope())
    report = inspect_account(eoa.chain, eoa.address, implementation_7702=eoa.implementation)
    assert report.kind == "eip7702" and report.clone is None and report.owner == eoa.address
    assert report.delegation is not None and report.delegation.ours
    assert [k.key for k in report.keys] == [BOT.address] and report.keys[0].scope_hash_ok
    codes = {f.code for f in report.flags}
    assert "eoa-key-all-powerful" in codes and "delegated-elsewhere" not in codes and "not-genuine-clone" not in codes
    other, _ = eoa.chain.deploy("SessionAccount7702", deployer, eoa.stack.entry_point)
    eoa.redelegate(other)
    elsewhere = inspect_account(eoa.chain, eoa.address, implementation_7702=eoa.implementation)
    assert elsewhere.delegation is not None and not elsewhere.delegation.ours
    assert [f.severity for f in elsewhere.flags if f.code == "delegated-elsewhere"] == ["warning"]


# ---------------------------------------------------------------- attacks


def _stranger_calls(eoa: Eoa) -> dict[str, Any]:
    """A call of every mutating function, as a stranger would send it right after the delegation."""
    f = eoa.account.contract.functions
    granted = eoa.scope().as_abi()
    order = eoa.order(BOT, 0)
    op = (eoa.address, 0, b"", b"", bytes(32), 0, bytes(32), b"", b"\x00" * 65)
    return {
        "setGuardian": f.setGuardian(STRANGER.address),
        "grantSession": f.grantSession(STRANGER.address, granted),
        "grantSessionWithSig": f.grantSessionWithSig(STRANGER.address, granted, 2**40, sign_digest(STRANGER.key, bytes(32))),
        "revokeSession": f.revokeSession(BOT.address),
        "revokeSessionWithSig": f.revokeSessionWithSig(BOT.address, sign_digest(STRANGER.key, bytes(32))),
        "rotateSession": f.rotateSession(BOT.address, STRANGER.address),
        "revokeAllSessions": f.revokeAllSessions(),
        "freeze": f.freeze(),
        "unfreeze": f.unfreeze(),
        "invalidateNonces": f.invalidateNonces(BOT.address, 0, 1),
        "execute": f.execute(STRANGER.address, E, b""),
        "executeBatch": f.executeBatch([(STRANGER.address, E, b"")]),
        "validateUserOp": f.validateUserOp(op, bytes(32), E),
        "consumeOrder": f.consumeOrder(order.order.as_abi(), order.signature),
        "writeScope": f.writeScope(STRANGER.address, b"\x00" * 64),
    }


def test_a_stranger_calls_every_mutating_function_right_after_the_delegation(eoa: Eoa) -> None:
    stranger = funded_key(eoa.chain, "7702 stranger")
    calls = _stranger_calls(eoa)
    abi = eoa.account.contract.abi
    mutating = {x["name"] for x in abi if x["type"] == "function" and x["stateMutability"] in ("nonpayable", "payable")}
    assert set(calls) == mutating  # every one of them, so a new function joins this test
    before, balance, nonce = eoa.state(), eoa.chain.w3.eth.get_balance(eoa.address), eoa.nonce()
    for name, call in calls.items():
        with pytest.raises(ContractRevert) as refused:
            eoa.chain.send(call, stranger)
        assert refused.value.error_name in ("Unauthorized", "InvalidSignature", "SessionNotActive", "CallerNotVenue"), name
    assert (eoa.state(), eoa.chain.w3.eth.get_balance(eoa.address), eoa.nonce()) == (before, balance, nonce)


def test_low_slots_an_earlier_delegate_wrote_never_read_as_a_session_flag_or_nonce(
    isolated: Chain, stack: Stack, tokens: Tokens, helpers: tuple[LocalAccount, LocalAccount]
) -> None:
    key = named_key("7702 clobbered")
    isolated.fund(key.address, 10 * E)
    delegate(isolated, key, tokens.clobber.address, sponsor=helpers[0], call_data=_clobber(tokens))
    assert _low_slots(isolated, key.address) == [ONES] * 16
    assert stack.implementation_7702 is not None
    delegate(isolated, key, stack.implementation_7702)
    account = SmartAccount(isolated, key.address)
    assert _low_slots(isolated, key.address) == [ONES] * 16  # still there, and ignored:
    assert (account.owner(), account.guardian(), account.frozen(), account.grant_nonce(), account.session_keys()) == \
        (key.address, ZERO_ADDRESS, False, 0, [])
    for who in (BOT.address, STRANGER.address, "0x" + "ff" * 20):
        assert account.session(who).status is SessionStatus.NONE
        assert account.nonce_bitmap(who, 0) == 0
    account.grant(key, BOT.address, scope(valid_until=isolated.timestamp() + 3_600, venues=[stack.venue],
                                          markets=[market_limit(MARKET)]))
    assert account.session_keys() == [BOT.address]


def test_a_to_b_to_a_keeps_exactly_the_namespace(eoa: Eoa) -> None:
    eoa.account.grant(eoa.key, BOT.address, eoa.scope())
    eoa.account.rotate(eoa.key, BOT.address, BOT2.address)
    eoa.account.set_guardian(eoa.key, RECIPIENT)
    assert eoa.settle(eoa.order(BOT2, 0)) == [Reason.AUTHORIZED]
    eoa.account.invalidate_nonces(eoa.key, BOT2.address, 0, 0b110)
    eoa.account.freeze(eoa.key)
    before = eoa.state()
    eoa.redelegate(eoa.tokens.clobber.address, _clobber(eoa.tokens))  # B writes the low slots, as any delegate may
    assert _low_slots(eoa.chain, eoa.address) == [ONES] * 16
    eoa.redelegate(eoa.implementation)
    assert eoa.state() == before
    assert eoa.account.session(BOT.address).status is SessionStatus.REVOKED
    assert eoa.account.nonce_bitmap(BOT2.address, 0) == 0b111


def test_a_user_operation_signed_under_one_delegate_fails_after_redelegating(eoa: Eoa, deployer: LocalAccount) -> None:
    eoa.chain.send(eoa.tokens.erc20.functions.mint(eoa.address, 10**24), eoa.relayer)
    grant_calls(eoa.account, eoa.key, BOT.address, eoa.stack.venue, [CallPermission(eoa.tokens.erc20.address, TRANSFER, 0)])
    bound = eoa.entry_point.prepare(eoa.address, _transfer(eoa.tokens, 10), BOT.key, init_code=EIP7702_INIT_CODE)
    unbound = eoa.entry_point.prepare(eoa.address, _transfer(eoa.tokens, 10), BOT.key, nonce=bound.nonce)
    other, _ = eoa.chain.deploy("SessionAccount7702", deployer, eoa.stack.entry_point)  # same code, same namespace
    eoa.redelegate(other)
    assert eoa.account.session(BOT.address).status is SessionStatus.ACTIVE  # the key is still good there
    assert eoa.entry_point.user_op_hash(bound) != user_op_hash(bound, eoa.chain.chain_id, eoa.entry_point.address,
                                                               eoa.implementation)
    assert_refused("AA24", eoa.entry_point, eoa.bundler, bound)  # its hash bound the first delegate
    assert submit(eoa.entry_point, eoa.bundler, unbound).success  # control: without 0x7702 nothing binds it


@pytest.mark.parametrize("target", ["the EOA itself", "EntryPoint.withdrawTo", "EntryPoint.depositTo", "EntryPoint.addStake"])
def test_a_session_key_targeting_the_eoa_itself_or_the_entry_points_deposit(eoa: Eoa, target: str) -> None:
    ep = eoa.entry_point.contract
    data = {
        "the EOA itself": (eoa.address, eoa.account.contract.encode_abi("setGuardian", args=[BOT.address]), 0),
        "EntryPoint.withdrawTo": (ep.address, ep.encode_abi("withdrawTo", args=[BOT.address, 1]), 0),
        "EntryPoint.depositTo": (ep.address, ep.encode_abi("depositTo", args=[BOT.address]), 1),
        "EntryPoint.addStake": (ep.address, ep.encode_abi("addStake", args=[86_400]), 1),
    }[target]
    call = Call(data[0], data[2], bytes.fromhex(data[1][2:]))
    # Only the account itself may be listed (it is never permitted anyway); Python refuses a grant
    # that lets a key move the account's EntryPoint deposit or stake.
    listed = [CallPermission(call.target, call.data[:4], 1)] if target == "the EOA itself" else []
    grant_calls(eoa.account, eoa.key, BOT.address, eoa.stack.venue, listed)
    op = eoa.entry_point.prepare(eoa.address, execute_call_data(call), BOT.key, init_code=EIP7702_INIT_CODE, gas=FIXED_GAS)
    assert_refused("AA24", eoa.entry_point, eoa.bundler, op)
    assert eoa.account.guardian() == ZERO_ADDRESS and eoa.account.session(BOT.address).gas_fee_spent == 0


def test_python_refuses_a_grant_that_lets_a_key_call_the_entry_point(eoa: Eoa) -> None:
    withdraw = keccak(text="withdrawTo(address,uint256)")[:4]
    with pytest.raises(InvalidInput, match="EntryPoint"):
        eoa.account.grant(eoa.key, BOT.address, eoa.scope(max_gas_fee=E, calls=[CallPermission(eoa.stack.entry_point, withdraw, 0)]))
    assert eoa.account.session(BOT.address).status is SessionStatus.NONE


def test_a_grant_of_entry_point_calls_made_without_python_is_flagged_by_inspect(eoa: Eoa) -> None:
    withdraw = keccak(text="withdrawTo(address,uint256)")[:4]
    granted = eoa.scope(max_gas_fee=E, calls=[CallPermission(eoa.stack.entry_point, withdraw, 0)])
    eoa.chain.send(eoa.account.contract.functions.grantSession(BOT.address, granted.as_abi()), eoa.key)  # another client
    report = inspect_account(eoa.chain, eoa.address, implementation_7702=eoa.implementation)
    assert [(f.severity, f.subject) for f in report.flags if f.code == "entry-point-call"] == [("warning", BOT.address)]


def test_the_eoas_nonce_is_unchanged_by_grants_rotations_and_settlements(eoa: Eoa) -> None:
    start = eoa.nonce()
    deadline = eoa.chain.timestamp() + 600
    granted = eoa.scope()
    signature = eoa.account.sign_grant(eoa.key.key, BOT.address, granted, deadline)
    eoa.account.grant_with_sig(eoa.relayer, BOT.address, granted, deadline, signature)  # relayed: no EOA transaction
    assert eoa.nonce() == start
    eoa.account.grant(eoa.key, BOT2.address, eoa.scope())  # the EOA's own transaction: exactly its own bump
    assert eoa.nonce() == start + 1
    eoa.account.rotate(eoa.key, BOT2.address, STRANGER.address)
    assert eoa.nonce() == start + 2
    assert eoa.settle(*(eoa.order(BOT, n) for n in range(3))) == [Reason.AUTHORIZED] * 3
    eoa.account.revoke_with_sig(eoa.relayer, BOT.address, eoa.account.sign_revoke(BOT.key))
    assert eoa.nonce() == start + 2  # no CREATE ran in the EOA's context


def test_eth_erc721_and_erc1155_safe_transfers_to_the_eoa_still_arrive(eoa: Eoa) -> None:
    t, f = eoa.tokens, eoa.account.contract.functions
    before = eoa.chain.w3.eth.get_balance(eoa.address)
    eoa.chain.transact({"to": eoa.address, "value": E}, eoa.relayer)
    assert eoa.chain.w3.eth.get_balance(eoa.address) == before + E
    eoa.chain.send(t.erc721.functions.safeMint(eoa.address, 7), eoa.relayer)
    assert t.erc721.functions.ownerOf(7).call() == eoa.address
    eoa.chain.send(t.erc1155.functions.mint(eoa.address, 1, 5), eoa.relayer)
    eoa.chain.send(t.erc1155.functions.mintBatch(eoa.address, [2, 3], [6, 7]), eoa.relayer)
    assert [t.erc1155.functions.balanceOf(eoa.address, i).call() for i in (1, 2, 3)] == [5, 6, 7]
    for interface in ("01ffc9a7", "150b7a02", "4e2312e0"):  # ERC-165, ERC721Receiver, ERC1155Receiver
        assert f.supportsInterface(bytes.fromhex(interface)).call()
    assert not f.supportsInterface(bytes.fromhex("ffffffff")).call()
