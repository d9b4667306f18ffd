"""SPEC 14.3 and 14.4: held orders are pulled the moment their key dies, at the gateway or on chain."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from aa_auth.chain.connection import Chain
from tests.gateway.harness import Venue, fresh_key, until

pytestmark = pytest.mark.anvil

HELD = {"batch_wait": 3_600.0, "batch_max": 10_000}


@contextmanager
def no_automine(chain: Chain) -> Iterator[None]:
    """Transactions wait in the pool until the test mines a block."""
    chain.w3.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]
    try:
        yield
    finally:
        chain.w3.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]


def _reasons(gw: Venue, digests: list[bytes]) -> list[tuple[str, str, int | None]]:
    return [(s["status"], s["reason"], s["code"]) for s in (gw.status(d) for d in digests)]


def test_a_revocation_through_the_api_pulls_held_orders_before_any_block(open_venue: Callable[..., Venue]) -> None:
    gw = open_venue(**HELD)
    bot, other = gw.grant(), gw.grant()
    gw.followed()
    held = [gw.sign(bot) for _ in range(3)]
    kept = gw.sign(other)
    assert {r["status"] for r in gw.post(*held, kept)} == {"accepted"}
    signature = "0x" + gw.account.sign_revoke(bot.key).hex()
    with no_automine(gw.chain):
        block = gw.chain.w3.eth.block_number
        response = gw.http.post("/v1/revocations", json={"account": gw.account.address, "key": bot.address, "signature": signature})
        assert response.status_code == 202, response.text
        tx_hash = response.json()["txHash"]
        assert gw.chain.w3.eth.block_number == block  # nothing mined yet: the gateway acted first
        assert _reasons(gw, [o.digest for o in held]) == [("rejected", "SessionRevoked", 3)] * 3
        assert gw.status(kept.digest)["status"] == "accepted"  # another key's order stays held
        (late,) = gw.post(gw.sign(bot))
        assert (late["status"], late["reason"], late["code"]) == ("rejected", "SessionRevoked", 3)
        sessions = {s["key"]: s["status"] for s in gw.http.get(f"/v1/accounts/{gw.account.address}").json()["sessions"]}
        assert sessions[bot.address] == "revoked"
        gw.chain.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    assert gw.chain.w3.eth.get_transaction_receipt(tx_hash)["status"] == 1
    assert gw.account.session(bot.address).status.name == "REVOKED"
    again = gw.http.post("/v1/revocations", json={"account": gw.account.address, "key": bot.address, "signature": signature})
    assert (again.status_code, again.json()["error"]["type"]) == (409, "SessionNotActive")


def test_a_revocation_signed_by_another_key_is_refused_and_changes_nothing(open_venue: Callable[..., Venue]) -> None:
    gw = open_venue(**HELD)
    bot, thief = gw.grant(), gw.grant()
    gw.followed()
    held = gw.sign(bot)
    gw.post(held)
    block = gw.chain.w3.eth.block_number
    forged = "0x" + gw.account.sign_revoke(thief.key).hex()  # thief's own revocation, presented as bot's
    response = gw.http.post("/v1/revocations", json={"account": gw.account.address, "key": bot.address, "signature": forged})
    assert (response.status_code, response.json()["error"]["type"]) == (400, "InvalidSignature")
    assert gw.status(held.digest)["status"] == "accepted" and gw.chain.w3.eth.block_number == block


@pytest.mark.parametrize("action", ["revoke", "rotate", "revoke-all", "freeze"])
def test_an_account_change_made_on_chain_pulls_the_affected_held_orders(open_venue: Callable[..., Venue], action: str) -> None:
    gw = open_venue(**HELD)
    bot, other = gw.grant(), gw.grant()
    gw.followed()
    held, bystander = gw.sign(bot), gw.sign(other)
    owners = gw.sign(gw.owner)  # the owner's own order: neither revocation nor freezing stops the owner
    assert {r["status"] for r in gw.post(held, bystander, owners)} == {"accepted"}
    owner = gw.owner
    if action == "revoke":
        gw.account.revoke(owner, bot.address)
    elif action == "rotate":
        gw.account.rotate(owner, bot.address, fresh_key(gw.chain, "rotated in", 0).address)
    elif action == "revoke-all":
        gw.account.revoke_all(owner)
    else:
        gw.account.freeze(owner)
    reason = ("rejected", "AccountFrozen", 4) if action == "freeze" else ("rejected", "SessionRevoked", 3)
    until(lambda: gw.status(held.digest)["status"] == "rejected", 20, "the held order to be pulled")
    assert _reasons(gw, [held.digest]) == [reason]
    swept = action in ("revoke-all", "freeze")
    assert gw.status(bystander.digest)["status"] == ("rejected" if swept else "accepted")
    assert gw.status(owners.digest)["status"] == "accepted"


def test_a_nonce_invalidated_on_chain_pulls_the_order_that_reserved_it(open_venue: Callable[..., Venue]) -> None:
    gw = open_venue(**HELD)
    bot = gw.grant()
    gw.followed()
    burnt, spared = gw.sign(bot, nonce=300), gw.sign(bot, nonce=301)
    gw.post(burnt, spared)
    gw.account.invalidate_nonces(gw.owner, bot.address, 300 >> 8, 1 << (300 & 255))
    until(lambda: gw.status(burnt.digest)["status"] == "rejected", 20, "the order of the burnt nonce to be pulled")
    assert _reasons(gw, [burnt.digest, spared.digest]) == [("rejected", "NonceAlreadyUsed", 12), ("accepted", "Authorized", 0)]
