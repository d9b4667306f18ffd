"""The demo (the README's main job) tells the whole story and the verifier agrees with the chain."""

from __future__ import annotations

import io
import json
import time

import pytest

from aa_auth.errors import Reason
from aa_auth.ops.demo import run_demo
from aa_auth.ops.markets import Market, MarketList


def _run(json_output: bool) -> str:
    out = io.StringIO()
    assert run_demo(json_output=json_output, out=out) == 0
    return out.getvalue()


@pytest.fixture(scope="module")
def json_text() -> str:
    return _run(json_output=True)


@pytest.fixture(scope="module")
def text() -> str:
    return _run(json_output=False)


def test_demo_shows_every_promised_outcome_with_agreement(json_text: str) -> None:
    report = json.loads(json_text)
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


def test_demo_human_output_has_the_tables(text: str) -> None:
    for heading in ("session keys granted", "batch 1", "positions at the venue", "remaining allowance", "agreed on every order"):
        assert heading in text


def test_two_runs_print_identical_bytes_whatever_the_wall_clock(json_text: str, text: str,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # A run three days later (the wall clock the embedded chain starts from) must not change a byte:
    # before the demo fixed its own clock, deadlines, digests and gas moved with the date.
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 3 * 86_400)
    assert _run(json_output=True) == json_text
    assert _run(json_output=False) == text


def test_the_first_line_says_what_the_chain_id_is(text: str) -> None:
    assert text.splitlines()[0] == ("chain id 131277322940537 (the embedded eth-tester chain); demo clock starts at "
                                    "2100-01-01 00:00:00 UTC, fixed so that every run prints the same")


def test_every_amount_has_its_units_beside_it(text: str, json_text: str) -> None:
    assert "1 (BTC-USD): size <= 2,000,000,000,000,000,000 (2 BTC), price in [90,000,000,000,000,000,000,000 (90,000), " \
           "110,000,000,000,000,000,000,000 (110,000)]" in text
    assert "notional/window  1,000,000,000,000,000,000,000,000 (1,000,000)" in text
    batch = next(line for line in text.splitlines() if "replayed nonce" in line).split()
    assert batch[:11] == ["btc-maker", "1", "(BTC-USD)", "buy", "1,500,000,000,000,000,000", "(1.5", "BTC)",
                          "100,000,000,000,000,000,000,000", "(100,000)", "0", "replayed"]
    assert "1 (BTC-USD)  long 1,200,000,000,000,000,000 (1.2 BTC)" in text
    assert "779,500,000,000,000,000,000,000 (779,500) of 1,000,000,000,000,000,000,000,000 (1,000,000)" in text
    markets = MarketList.from_json({"markets": json.loads(json_text)["markets"]})  # JSON: raw, plus the list itself
    assert markets.by_id(1) == Market(1, "BTC-USD", 18)


def test_counts_are_pluralised(text: str) -> None:
    assert "== batch 3: 1 order in one settle()" in text and "== batch 1: 11 orders in one settle()" in text
