"""EIP-7702 on a real JSON-RPC node (anvil --hardfork prague): the delegation, a skipped authorization,
the EOA as account for grants, orders and a session-key user operation, downgrade and re-upgrade.
The embedded chain's test_eip7702.py holds the full list; this is the part a node could answer differently."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from aa_auth.chain.connection import Chain
from aa_auth.contracts.account import SmartAccount
from aa_auth.contracts.eip7702 import apply_authorization, delegate, delegation, designator, plan_authorization, sign_authorization, undelegate
from aa_auth.contracts.stack import Stack, deploy_stack
from aa_auth.contracts.venue import Venue
from aa_auth.erc4337.bundler import EntryPoint
from aa_auth.erc4337.userops import EIP7702_INIT_CODE, Call, execute_call_data
from aa_auth.errors import DelegationNotApplied, Reason
from aa_auth.protocol.orders import Order
from aa_auth.protocol.scope import CallPermission, market_limit, scope
from aa_auth.protocol.signer import OrderSigner
from aa_auth.protocol.verify import SessionStatus
from tests.conftest import ETHER, named_key
from tests.integration._operator import rolled_back
from tests.integration.userop_support import TRANSFER, deploy_contract, grant_calls, submit

pytestmark = pytest.mark.anvil

RECIPIENT = named_key("anvil 7702 recipient").address


@dataclass(frozen=True)
class Node:
    chain: Chain
    stack: Stack
    deployer: LocalAccount
    token: Contract

    @property
    def implementation(self) -> str:
        assert self.stack.implementation_7702 is not None
        return self.stack.implementation_7702


@pytest.fixture(scope="module")
def node(anvil_url: str, test_artifacts: dict[str, dict[str, Any]]) -> Iterator[Node]:
    with rolled_back(Chain.connect(anvil_url)) as chain:
        deployer = named_key("anvil 7702 deployer")
        chain.fund(deployer.address, 100 * ETHER)
        stack = deploy_stack(chain, deployer)
        yield Node(chain, stack, deployer, deploy_contract(chain, test_artifacts["MockERC20"], deployer))


@pytest.fixture
def trader(node: Node) -> Iterator[LocalAccount]:
    with rolled_back(node.chain):
        key = named_key("anvil 7702 trader")
        node.chain.fund(key.address, 10 * ETHER)
        yield key


def _nonce(chain: Chain, address: str) -> int:
    return int(chain.w3.eth.get_transaction_count(address))  # type: ignore[arg-type]


@pytest.mark.parametrize("sponsored", [False, True], ids=["self-paid", "sponsored"])
def test_delegation_and_undo_on_anvil(node: Node, trader: LocalAccount, sponsored: bool) -> None:
    sponsor = node.deployer if sponsored else None
    before = _nonce(node.chain, trader.address)
    done = delegate(node.chain, trader, node.implementation, sponsor=sponsor)
    assert done.authorization.nonce == (before if sponsored else before + 1)
    assert bytes(node.chain.w3.eth.get_code(trader.address)) == designator(node.implementation)
    assert SmartAccount(node.chain, trader.address).owner() == trader.address
    undelegate(node.chain, trader, sponsor=sponsor)
    assert bytes(node.chain.w3.eth.get_code(trader.address)) == b"" and delegation(node.chain, trader.address) is None


def test_a_stale_authorization_is_skipped_by_anvil_and_python_raises(node: Node, trader: LocalAccount) -> None:
    stale = sign_authorization(trader, plan_authorization(node.chain, trader.address, node.implementation,
                                                          payer=node.deployer.address))
    node.chain.transact({"to": RECIPIENT, "value": 1}, trader)  # the EOA's nonce moves on
    with pytest.raises(DelegationNotApplied, match="skipped the authorization"):
        apply_authorization(node.chain, node.deployer, trader.address, stale)
    assert bytes(node.chain.w3.eth.get_code(trader.address)) == b""


def test_the_eoa_as_account_grants_settles_and_runs_a_session_user_operation_on_anvil(node: Node, trader: LocalAccount) -> None:
    chain, bot = node.chain, named_key("anvil 7702 bot")
    delegate(chain, trader, node.implementation, sponsor=node.deployer)
    account = SmartAccount(chain, trader.address)
    nonce = _nonce(chain, trader.address)
    account.grant(trader, bot.address, scope(valid_until=chain.timestamp() + 3_600, venues=[node.stack.venue],
                                             markets=[market_limit(1, max_order_size=10 * ETHER)]))
    assert _nonce(chain, trader.address) == nonce + 1  # only its own transaction's bump
    order = Order(node.stack.venue, 1, True, ETHER, 100 * ETHER, 0, chain.timestamp() + 600)
    signed = OrderSigner(bot.key, chain.chain_id, trader.address).sign(order)
    assert [o.reason for o in Venue(chain, node.stack.venue).settle(node.deployer, [signed]).outcomes] == [Reason.AUTHORIZED]
    assert _nonce(chain, trader.address) == nonce + 1

    key = named_key("anvil 7702 session")
    chain.send(node.token.functions.mint(trader.address, 10**24), node.deployer)
    grant_calls(account, trader, key.address, node.stack.venue, [CallPermission(node.token.address, TRANSFER, 0)])
    entry_point = EntryPoint(chain, node.stack.entry_point)
    data = bytes.fromhex(node.token.encode_abi("transfer", args=[RECIPIENT, 9])[2:])
    # Estimated on anvil's exact gas: the EntryPoint's cold load of the delegate is counted (DELEGATE_COLD_ACCESS).
    op = entry_point.prepare(trader.address, execute_call_data(Call(node.token.address, 0, data)), key.key,
                             init_code=EIP7702_INIT_CODE)
    assert submit(entry_point, node.deployer, op).success
    assert node.token.functions.balanceOf(RECIPIENT).call() == 9

    undelegate(chain, trader, sponsor=node.deployer)
    delegate(chain, trader, node.implementation, sponsor=node.deployer)  # re-upgrade: the namespace is still there
    assert account.session(bot.address).status is SessionStatus.ACTIVE
    assert account.nonce_bitmap(bot.address, 0) == 1


@pytest.mark.parametrize("signer", ["session key", "owner"])
def test_a_delegated_eoas_validation_keeps_the_erc7562_rules(node: Node, trader: LocalAccount, signer: str) -> None:
    from tests.integration.test_userops_anvil import _erc7562_violations

    chain, session = node.chain, named_key("anvil 7702 traced session")
    delegate(chain, trader, node.implementation, sponsor=node.deployer)
    account = SmartAccount(chain, trader.address)
    grant_calls(account, trader, session.address, node.stack.venue, [CallPermission(node.token.address, TRANSFER, 0)])
    chain.send(node.token.functions.mint(trader.address, 10**24), node.deployer)
    entry_point = EntryPoint(chain, node.stack.entry_point)
    data = bytes.fromhex(node.token.encode_abi("transfer", args=[RECIPIENT, 1])[2:])
    key = session if signer == "session key" else trader
    op = entry_point.prepare(trader.address, execute_call_data(Call(node.token.address, 0, data)), key.key,
                             init_code=EIP7702_INIT_CODE)
    call = {"from": entry_point.address, "to": trader.address, "gas": hex(2_000_000),
            "data": account.contract.encode_abi("validateUserOp", args=[op.as_abi(), entry_point.user_op_hash(op), op.max_cost()])}
    options = {"enableMemory": False, "disableStack": False, "disableStorage": True}
    result = chain.w3.provider.make_request("debug_traceCall", [call, "latest", options])  # type: ignore[arg-type]
    assert "error" not in result, result
    trace = result["result"]["structLogs"]
    if signer == "session key":  # the budget is charged in the EOA's storage
        assert "SSTORE" in {step["op"] for step in trace}
    assert trace and _erc7562_violations(chain, trace, trader.address, entry_point.address) == []
