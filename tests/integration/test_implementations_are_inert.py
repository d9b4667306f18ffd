"""A call to an implementation's own address can never grant, freeze or execute anything there (SPEC
sections 8 and 13): both ends have no owner on their own address, and the scope writer works only
there, never through an account (where its CREATE2 would run in the account's context)."""

from __future__ import annotations

import pytest
from eth_account.signers.local import LocalAccount

from aa_auth.chain.connection import Chain
from aa_auth.contracts.account import SmartAccount
from aa_auth.contracts.stack import Stack
from aa_auth.errors import ContractRevert
from aa_auth.protocol.scope import market_limit, scope
from tests.conftest import funded_key, named_key


def _implementation(chain: Chain, stack: Stack, deployer: LocalAccount, name: str) -> str:
    if name == "SessionAccount":
        return str(chain.call(chain.contract("AccountFactory", stack.factory).functions.accountImplementation()))
    address, _ = chain.deploy(name, deployer, stack.entry_point)
    return address


@pytest.mark.parametrize("name", ["SessionAccount", "SessionAccount7702"])
def test_a_stranger_calling_the_implementation_changes_nothing(
    chain: Chain, isolated: Chain, stack: Stack, deployer: LocalAccount, name: str
) -> None:
    stranger = funded_key(chain, "implementation stranger")
    implementation = chain.contract(name, _implementation(chain, stack, deployer, name))
    fns = implementation.functions
    assert chain.call(fns.owner()) == "0x" + "00" * 20
    granted = scope(valid_until=chain.timestamp() + 3_600, venues=[stack.venue], markets=[market_limit(1)]).as_abi()
    attempts = {
        "grantSession": fns.grantSession(named_key("implementation key").address, granted),
        "freeze": fns.freeze(),
        "setGuardian": fns.setGuardian(stranger.address),
        "execute": fns.execute(stranger.address, 0, b""),
        "revokeAllSessions": fns.revokeAllSessions(),
    }
    for what, call in attempts.items():
        with pytest.raises(ContractRevert) as refused:
            chain.send(call, stranger)
        assert refused.value.error_name == "Unauthorized", what
    assert chain.call(fns.frozen()) is False and chain.call(fns.sessionKeys()) == []


def test_the_scope_writer_refuses_to_run_in_an_account(
    chain: Chain, isolated: Chain, account: SmartAccount, owner: LocalAccount
) -> None:
    with pytest.raises(ContractRevert) as refused:
        chain.send(account.contract.functions.writeScope(owner.address, b"\x00" * 32), owner)
    assert refused.value.error_name == "Unauthorized"
