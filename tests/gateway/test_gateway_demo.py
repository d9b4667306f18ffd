"""`aa-auth gateway demo`: the gateway's story, told over real anvil and real uvicorn."""

from __future__ import annotations

import io

import pytest

from aa_auth.ops.gateway_demo import run_gateway_demo

pytestmark = pytest.mark.anvil


def test_the_gateway_demo_tells_the_whole_story() -> None:
    out = io.StringIO()
    report = run_gateway_demo(out)
    assert [(r["status"], r["reason"]) for r in report["intake"]] == [
        ("accepted", "Authorized"), ("accepted", "Authorized"), ("rejected", "NonceAlreadyUsed"),
        ("rejected", "OrderTooLarge"), ("accepted", "Authorized")]
    assert report["refused_without_gas"] is True
    assert len(report["settled"]) == 3 and len({s["txHash"] for s in report["settled"]}) == 1
    assert [(p["status"], p["reason"]) for p in report["pulled"]] == [("rejected", "SessionRevoked")] * 2
    assert report["after_revocation"]["reason"] == "SessionRevoked"
    ids = [int(e["id"]) for e in report["events"]]
    assert ids == list(range(1, 14))
    text = out.getvalue()
    for line in ("POST /v1/orders", "refused at intake", "settled in block", "revokes it through the gateway", "GET /v1/events"):
        assert line in text
