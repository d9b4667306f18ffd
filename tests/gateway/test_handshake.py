"""SPEC 14.3: grants relayed through the gateway, checked by the account's own rules before any gas."""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount

from aa_auth.protocol.typed_data import full_message
from tests.gateway.harness import E, MARKET, Venue, fresh_key, until

pytestmark = pytest.mark.anvil


def _scope_json(gw: Venue, **changes: Any) -> dict[str, Any]:
    limit = {"market": str(MARKET), "maxOrderSize": str(10 * E), "minPrice": str(E), "maxPrice": str(1_000 * E)}
    body = {"validAfter": 0, "validUntil": gw.now() + 3_600, "venues": [gw.stack.venue], "markets": [limit],
            "maxNotionalPerWindow": str(2**256 - 1), "maxOrdersPerWindow": 2**32 - 1, "windowSeconds": 0, "maxGasFee": "0",
            "calls": []}
    body.update(changes)
    return body


def _signed_grant(gw: Venue, signer: LocalAccount, key: str, scope: dict[str, Any], deadline: int,
                  nonce: int | None = None) -> dict[str, Any]:
    """The owner's side: eth_signTypedData_v4 JSON, signed by eth-account as any wallet would."""
    message = {"key": key, "scope": _typed(scope), "nonce": gw.account.grant_nonce() if nonce is None else nonce,
               "deadline": deadline}
    typed = full_message("SessionGrant", message, gw.chain.chain_id, gw.account.address)
    signature = Account.sign_message(encode_typed_data(full_message=typed), signer.key).signature
    return {"account": gw.account.address, "key": key, "scope": scope, "deadline": str(deadline),
            "signature": "0x" + bytes(signature).hex()}


def _typed(scope: dict[str, Any]) -> dict[str, Any]:
    """The wire scope as typed-data values (integers, bytes)."""
    numbers = ("validAfter", "validUntil", "maxNotionalPerWindow", "maxOrdersPerWindow", "windowSeconds", "maxGasFee")
    return {**scope, **{name: int(scope[name]) for name in numbers},
            "markets": [{k: int(v) for k, v in m.items()} for m in scope["markets"]],
            "calls": [{"target": c["target"], "selector": bytes.fromhex(c["selector"][2:]), "maxValue": int(c["maxValue"])}
                      for c in scope["calls"]]}


def test_a_grant_through_the_gateway_lands_and_the_key_trades(gw: Venue) -> None:
    bot = fresh_key(gw.chain, "granted bot", 0)
    grant = _signed_grant(gw, gw.owner, bot.address, _scope_json(gw), gw.now() + 600)
    response = gw.http.post("/v1/grants", json=grant)
    assert response.status_code == 202, response.text
    receipt = gw.chain.w3.eth.wait_for_transaction_receipt(response.json()["txHash"])
    assert receipt["status"] == 1 and receipt["from"] == gw.gateway.operator.address  # the operator paid
    assert gw.account.session(bot.address).status.name == "ACTIVE"
    gw.followed()
    (result,) = gw.post(gw.sign(bot))
    assert (result["status"], result["reason"]) == ("accepted", "Authorized")
    until(lambda: gw.gateway.follower.account_view(gw.account.address), 10, "the account view")
    view = gw.http.get(f"/v1/accounts/{gw.account.address}").json()
    (session,) = view["sessions"]
    assert (view["owner"], view["frozen"], view["kind"]) == (gw.owner.address, False, "clone")
    assert session["key"] == bot.address and session["status"] == "active"
    assert session["window"]["ordersHeld"] + session["window"]["ordersSettled"] == 1


@pytest.mark.parametrize("rule", ["InvalidSignature", "GrantExpired", "VenueNotAllowed", "DuplicateMarket",
                                  "InvalidValidity", "KeyAlreadyGranted", "InvalidSessionKey"])
def test_a_grant_that_breaks_a_rule_is_a_400_with_its_name_and_sends_nothing(gw: Venue, rule: str) -> None:
    bot = fresh_key(gw.chain, "refused bot", 0).address
    scope, deadline, signer, key = _scope_json(gw), gw.now() + 600, gw.owner, bot
    if rule == "InvalidSignature":
        signer = fresh_key(gw.chain, "not the owner", 0)
    elif rule == "GrantExpired":
        deadline = gw.now() - 1
    elif rule == "VenueNotAllowed":
        scope["venues"] = ["0x" + "ee" * 20]
    elif rule == "DuplicateMarket":
        scope["markets"] = scope["markets"] * 2
    elif rule == "InvalidValidity":
        scope["validAfter"] = scope["validUntil"] + 1
    elif rule == "KeyAlreadyGranted":
        key = gw.grant().address
    else:
        key = gw.owner.address
    block = gw.chain.w3.eth.block_number
    response = gw.http.post("/v1/grants", json=_signed_grant(gw, signer, key, scope, deadline))
    assert response.status_code == 400, response.text
    assert response.json()["error"]["type"] == rule
    assert gw.chain.w3.eth.block_number == block
