"""AccountFactory (SPEC section 8): predicted CREATE2 clones, atomic initialization, an unusable implementation."""

from __future__ import annotations

import pytest
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from aa_auth.contracts.account import SmartAccount
from aa_auth.contracts.stack import create_account, predict_account
from aa_auth.errors import ContractRevert, InvalidInput, Reason
from tests.integration.conftest import Desk


def test_create_account_lands_at_the_predicted_address_with_the_owner_set(desk: Desk, bot: LocalAccount) -> None:
    salt = keccak(text="desk 7")
    predicted = predict_account(desk.chain, desk.stack, bot.address, salt)
    account, receipt = create_account(desk.chain, desk.stack, desk.relayer, bot.address, salt)
    assert receipt is not None and account.address == predicted
    assert account.owner() == bot.address
    assert account.contract.functions.entryPoint().call() == desk.stack.entry_point


def test_create_account_twice_returns_the_existing_account(desk: Desk, bot: LocalAccount) -> None:
    factory = desk.chain.contract("AccountFactory", desk.stack.factory)
    first = desk.chain.send(factory.functions.createAccount(bot.address, bytes(32)), desk.relayer)
    second = desk.chain.send(factory.functions.createAccount(bot.address, bytes(32)), desk.relayer)
    created = factory.events.AccountCreated().process_receipt(first)
    assert len(created) == 1 and not factory.events.AccountCreated().process_receipt(second)
    assert factory.functions.createAccount(bot.address, bytes(32)).call() == created[0]["args"]["account"]


def test_addresses_depend_on_owner_and_salt(desk: Desk, bot: LocalAccount, bot2: LocalAccount) -> None:
    addresses = {
        predict_account(desk.chain, desk.stack, owner, salt)
        for owner in (bot.address, bot2.address)
        for salt in (bytes(32), b"\x01" * 32)
    }
    assert len(addresses) == 4


def test_zero_owner_is_refused(desk: Desk) -> None:
    with pytest.raises(InvalidInput):
        create_account(desk.chain, desk.stack, desk.relayer, "0x" + "00" * 20)
    factory = desk.chain.contract("AccountFactory", desk.stack.factory)
    with pytest.raises(ContractRevert, match="InvalidOwner"):
        desk.chain.send(factory.functions.createAccount("0x" + "00" * 20, bytes(32)), desk.relayer)


def test_implementation_has_no_owner_and_refuses_every_owner_action(desk: Desk, bot: LocalAccount) -> None:
    implementation = desk.chain.contract("AccountFactory", desk.stack.factory).functions.accountImplementation().call()
    impl = SmartAccount(desk.chain, implementation)
    assert impl.owner() == "0x" + "00" * 20
    for call in (
        impl.contract.functions.grantSession(bot.address, desk.default_scope().as_abi()),
        impl.contract.functions.revokeAllSessions(),
        impl.contract.functions.execute(bot.address, 0, b""),
    ):
        with pytest.raises(ContractRevert, match="Unauthorized"):
            desk.chain.send(call, desk.relayer)


@pytest.mark.parametrize("target", ["implementation", "clone"])
def test_nothing_can_initialize_the_implementation_or_a_clone(desk: Desk, bot: LocalAccount, target: str) -> None:
    factory = desk.chain.contract("AccountFactory", desk.stack.factory)
    address = factory.functions.accountImplementation().call() if target == "implementation" else desk.account.address
    for signature in ("initialize(address)", "initialize(address,address)", "init(address)"):
        data = keccak(text=signature)[:4] + bytes(12) + bytes.fromhex(bot.address[2:])
        with pytest.raises(Exception):
            desk.chain.w3.eth.call({"to": address, "data": data, "from": bot.address})
    if target == "clone":
        assert desk.account.owner() == desk.owner.address


def test_order_signature_is_worthless_on_another_account_of_the_same_owner(desk: Desk, bot: LocalAccount) -> None:
    other, _ = create_account(desk.chain, desk.stack, desk.relayer, desk.owner.address, b"\x05" * 32)
    desk.grant(bot)
    other.grant(desk.owner, bot.address, desk.default_scope())
    for signer in (bot, desk.owner):
        signed = desk.sign(signer)
        assert desk.reason(signed) is Reason.AUTHORIZED
        decision = other.is_order_authorized(signed.order, signed.signature)
        assert decision.reason is Reason.UNKNOWN_SIGNER  # recovers a stranger under the other domain
        assert decision.signer not in (bot.address, desk.owner.address)
