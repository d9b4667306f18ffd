"""SPEC 14.1 and 14.2's gateway reasons: bad requests get 400/404/413 and nothing is accepted;
orders for another venue or for something that is not an aa-auth account are refused by name."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from aa_auth.contracts.clones import clone_code
from aa_auth.protocol.signatures import SECP256K1_N
from tests.gateway.harness import Venue, fresh_key, wire

pytestmark = pytest.mark.anvil

OTHER_VENUE = "0x" + "ee" * 20


def _error(response: Any, status: int, kind: str) -> str:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["type"] == kind, error
    return str(error["message"])


def test_an_order_for_another_venue_is_refused_as_wrong_venue(gw: Venue) -> None:
    bot = gw.grant()
    gw.followed()
    (result,) = gw.post(gw.sign(bot, venue=OTHER_VENUE))
    assert (result["status"], result["reason"], result["code"]) == ("rejected", "WrongVenue", None)


def test_an_eoa_a_foreign_contract_and_impostor_clones_are_not_accounts(gw: Venue) -> None:
    bot = gw.grant()
    gw.followed()
    eoa = fresh_key(gw.chain, "eoa", 0).address
    impostor, foreign_clone = "0x" + "5a" * 20, "0x" + "5b" * 20
    implementation = gw.chain.contract("AccountFactory", gw.stack.factory).functions.accountImplementation().call()
    setcode = gw.chain.w3.provider.make_request  # type: ignore[attr-defined]
    setcode("anvil_setCode", ["0x" + impostor[2:], "0x" + clone_code(implementation, gw.owner.address).hex()])  # not from the factory
    setcode("anvil_setCode", ["0x" + foreign_clone[2:], "0x" + clone_code(gw.stack.venue, gw.owner.address).hex()])
    for account in (eoa, gw.stack.venue, impostor, foreign_clone):
        signed = gw.sign(bot, account=account)
        broken = {**wire(signed), "signature": "0x" + bytes(65).hex()}  # refused before any signature work
        for result in gw.post(signed, broken):
            assert (result["status"], result["reason"], result["code"]) == ("rejected", "NotAnAccount", None), account
    assert gw.http.get(f"/v1/accounts/{impostor}").status_code == 404


def test_a_high_s_signature_is_a_bad_signature(gw: Venue) -> None:
    bot = gw.grant()
    gw.followed()
    signed = gw.sign(bot)
    r, s, v = signed.signature[:32], int.from_bytes(signed.signature[32:64], "big"), signed.signature[64]
    malleated = r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])  # the same point, the other s
    (result,) = gw.post({**wire(signed), "signature": "0x" + malleated.hex()})
    assert (result["status"], result["reason"], result["code"]) == ("rejected", "BadSignature", 1)
    assert gw.http.get(f"/v1/orders/0x{signed.digest.hex()}").status_code == 404


def _order_body(gw: Venue, **changes: Any) -> dict[str, Any]:
    bot = gw.grant()
    body = wire(gw.sign(bot))
    body["order"].update(changes)
    return body


@pytest.mark.parametrize(("change", "field", "says"), [
    ({"size": 1.5}, "orders[1].order.size", "no floats"),
    ({"size": 1e18}, "orders[1].order.size", "no floats"),  # an exponent is a JSON float
    ({"size": "1e18"}, "orders[1].order.size", "decimal string"),
    ({"price": -1}, "orders[1].order.price", "non-negative"),
    ({"price": "-1"}, "orders[1].order.price", "decimal string"),
    ({"nonce": 2**256}, "orders[1].order.nonce", "uint256"),
    ({"nonce": str(2**256)}, "orders[1].order.nonce", "uint256"),
    ({"isBuy": "yes"}, "orders[1].order.isBuy", "bool"),
    ({"market": None}, "orders[1].order.market", "null"),
    ({"deadline": "007"}, "orders[1].order.deadline", "leading zeros"),
])
def test_a_malformed_field_is_a_400_naming_it_and_nothing_is_accepted(gw: Venue, change: dict[str, Any], field: str,
                                                                        says: str) -> None:
    gw.followed()
    good, bad = wire(gw.sign(gw.grant())), _order_body(gw, **change)
    gw.followed()
    response = gw.http.post("/v1/orders", content=json.dumps({"orders": [good, bad]}))
    message = _error(response, 400, "InvalidRequest")
    assert message.startswith(field + ":") and says in message, message
    digest = gw.post(good)[0]["digest"]  # the good order was not kept: posting it now is its first time
    assert gw.gateway.store.order(bytes.fromhex(digest[2:])) is not None
    assert [e.status.value for e in gw.gateway.store.events_after(0, 10)] == ["accepted"]


def test_a_wrong_checksum_unknown_fields_and_broken_json_are_400s(gw: Venue) -> None:
    body = wire(gw.sign(gw.grant()))
    letters = [i for i, c in enumerate(body["account"]) if c.isalpha() and i > 1]
    flip = letters[0]  # one letter's case flipped: mixed case, wrong checksum
    wrong = body["account"][:flip] + body["account"][flip].swapcase() + body["account"][flip + 1:]
    cases: list[tuple[bytes, str]] = [
        (json.dumps({"orders": [{**body, "account": wrong}]}).encode(), "orders[0].account: has a wrong EIP-55 checksum"),
        (json.dumps({"orders": [{**body, "digest": "0x00"}]}).encode(), "orders[0]: Object contains unknown field `digest`"),
        (json.dumps({"orders": [body]})[:-5].encode(), "body: not valid JSON"),
        (b"\xff\xfe", "body: not valid JSON"),
        (json.dumps([body]).encode(), "body: Expected `object`, got `array`"),
        (json.dumps({"orders": []}).encode(), "orders: send 1 to 500 orders per request, got 0"),
    ]
    for content, message in cases:
        assert _error(gw.http.post("/v1/orders", content=content), 400, "InvalidRequest").startswith(message), content
    lower = gw.http.post("/v1/orders", json={"orders": [{**body, "account": body["account"].lower()}]})
    assert lower.status_code == 200 and len(lower.json()["results"]) == 1  # all lower case is fine


def test_limits_and_unknown_routes(open_venue: Callable[..., Venue]) -> None:
    gw = open_venue(max_body=4_096, max_orders_per_request=2)
    body = wire(gw.sign(gw.grant()))
    assert _error(gw.http.post("/v1/orders", json={"orders": [body] * 3}), 400, "InvalidRequest") == \
        "orders: send 1 to 2 orders per request, got 3"
    huge = json.dumps({"orders": [body], "pad": "x" * 5_000})
    assert "4096" in _error(gw.http.post("/v1/orders", content=huge), 413, "PayloadTooLarge")
    chunked = gw.http.post("/v1/orders", content=iter([huge.encode()[:3_000], huge.encode()[3_000:]]))  # no Content-Length
    _error(chunked, 413, "PayloadTooLarge")
    _error(gw.http.get("/v1/nothing-here"), 404, "NotFound")
    _error(gw.http.delete("/v1/orders"), 405, "MethodNotAllowed")
    _error(gw.http.get("/v1/orders/0x1234"), 400, "InvalidRequest")
    _error(gw.http.get("/v1/orders/0x" + "00" * 32), 404, "NotFound")
    _error(gw.http.get("/v1/accounts/0x1234"), 400, "InvalidRequest")
    assert gw.gateway.store.events_after(0, 10) == []


def test_a_signer_over_its_order_rate_is_throttled(open_venue: Callable[..., Venue]) -> None:
    gw = open_venue(signer_rate=0.001, signer_burst=2, batch_wait=3_600.0)
    bot, other = gw.grant(), gw.grant()
    gw.followed()
    results = gw.post(gw.sign(bot), gw.sign(bot), gw.sign(bot), gw.sign(other))
    assert [(r["status"], r["reason"], r["code"]) for r in results] == [
        ("accepted", "Authorized", 0), ("accepted", "Authorized", 0), ("rejected", "Throttled", None),
        ("accepted", "Authorized", 0)]


def test_a_client_over_its_request_rate_gets_429_with_retry_after(open_venue: Callable[..., Venue]) -> None:
    gw = open_venue(client_rate=0.01, client_burst=3)
    for _ in range(3):
        assert gw.http.get("/v1/orders/0x" + "00" * 32).status_code == 404
    limited = gw.http.get("/v1/orders/0x" + "00" * 32)
    assert _error(limited, 429, "RateLimited") and int(limited.headers["Retry-After"]) >= 1
    assert gw.http.get("/healthz").status_code == 200  # health and metrics are not rate limited
