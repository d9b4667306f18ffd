"""SPEC 14.2: every status move, idempotency, the holds, through real HTTP and real anvil."""

from __future__ import annotations

import pytest

from tests.gateway.harness import Venue

pytestmark = pytest.mark.anvil


def test_an_order_moves_accepted_submitted_settled(gw: Venue) -> None:
    bot = gw.grant()
    gw.followed()
    signed = gw.sign(bot)
    (result,) = gw.post(signed)
    assert result == {"digest": "0x" + signed.digest.hex(), "status": "accepted", "reason": "Authorized", "code": 0}
    settled = gw.wait_status(signed.digest, "settled")
    assert settled["txHash"] is not None and settled["blockNumber"] is not None
    assert settled["signer"] == bot.address and settled["account"] == gw.account.address
