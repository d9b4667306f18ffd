"""The demo (the README's main job) tells the whole story and the verifier agrees with the chain."""

from __future__ import annotations

import io
import json

from aa_auth.errors import Reason
from aa_auth.ops.demo import run_demo


def test_demo_shows_every_promised_outcome_with_agreement() -> None:
    out = io.StringIO()
    assert run_demo(json_output=True, out=out) == 0
    report = json.loads(out.getvalue())
    orders = [o for batch in report["batches"] for o in batch["orders"]]
    reasons = {Reason(o["reason"]) for o in orders}
    assert {
        Reason.AUTHORIZED, Reason.NONCE_ALREADY_USED, Reason.ORDER_EXPIRED, Reason.ORDER_TOO_LARGE,
        Reason.PRICE_OUT_OF_BAND, Reason.MARKET_NOT_ALLOWED, Reason.RATE_LIMITED, Reason.SESSION_REVOKED,
        Reason.ACCOUNT_FROZEN,
    } <= reasons
    assert all(o["predicted"] == o["reason"] for o in orders) and report["disagreements"] == 0
    assert report["positions"] == {"BTC-USD": str(12 * 10**17), "ETH-USD": str(15 * 10**18)}
    assert report["allowance"]["eth-maker"]["status"] == "revoked"


def test_demo_human_output_has_the_tables() -> None:
    out = io.StringIO()
    assert run_demo(out=out) == 0
    text = out.getvalue()
    for heading in ("session keys granted", "batch 1", "positions at the venue", "remaining allowance", "agreed on every order"):
        assert heading in text
