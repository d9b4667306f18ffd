"""SPEC 13 at the gateway: an EOA delegated to SessionAccount7702 is served exactly as a clone (its
orders settle with the EOA as `account`); one delegated to any other code is NotAnAccount."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from aa_auth.contracts.account import SmartAccount
from aa_auth.contracts.eip7702 import delegate
from tests.gateway.conftest import Node
from tests.gateway.harness import Venue, fresh_key

pytestmark = pytest.mark.anvil


@pytest.fixture
def gw7702(node: Node, open_venue: Callable[..., Venue]) -> Venue:
    # The test stack is not at the deterministic addresses the gateway assumes by default.
    return open_venue(implementation_7702=node.stack.implementation_7702)


def test_a_delegated_eoas_orders_are_held_and_settle_with_the_eoa_as_account(gw7702: Venue) -> None:
    gw = gw7702
    trader = fresh_key(gw.chain, "7702 trader")
    assert gw.stack.implementation_7702 is not None
    delegate(gw.chain, trader, gw.stack.implementation_7702)
    eoa = SmartAccount(gw.chain, trader.address)
    bot = fresh_key(gw.chain, "7702 bot", 0)
    eoa.grant(trader, bot.address, gw.scope())
    gw.followed()
    signed = gw.sign(bot, account=trader.address)
    (result,) = gw.post(signed)
    assert result["status"] == "accepted", result
    settled = gw.wait_status(signed.digest, "settled")
    assert (settled["account"], settled["signer"]) == (trader.address, bot.address)
    assert eoa.nonce_bitmap(bot.address, 0) == 1
    body = gw.http.get(f"/v1/accounts/{trader.address}").json()
    assert (body["kind"], body["owner"], [s["key"] for s in body["sessions"]]) == ("eip7702", trader.address, [bot.address])


def test_an_eoa_delegated_to_the_clone_implementation_is_not_an_account(gw7702: Venue) -> None:
    gw = gw7702
    bot = gw.grant()
    elsewhere = fresh_key(gw.chain, "7702 elsewhere")
    clone_implementation = gw.chain.contract("AccountFactory", gw.stack.factory).functions.accountImplementation().call()
    delegate(gw.chain, elsewhere, clone_implementation)  # aa-auth code, but not SessionAccount7702
    gw.followed()
    (result,) = gw.post(gw.sign(bot, account=elsewhere.address))
    assert (result["status"], result["reason"], result["code"]) == ("rejected", "NotAnAccount", None)
