"""SPEC 14.5: the event stream with Last-Event-ID resume, /healthz and /metrics."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.gateway.harness import Client, Venue

pytestmark = pytest.mark.anvil


def read_events(gw: Client, count: int, headers: dict[str, str] | None = None, params: dict[str, str] | None = None,
                then: Callable[[], None] = lambda: None) -> list[dict[str, Any]]:
    """The first `count` events of a fresh connection to /v1/events (`then` runs once it is open)."""
    events: list[dict[str, Any]] = []
    deadline = time.monotonic() + 30
    with httpx.Client(base_url=gw.url, timeout=httpx.Timeout(20.0)) as client, \
            client.stream("GET", "/v1/events", headers=headers, params=params) as response:
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
        current: dict[str, Any] = {}
        lines = response.iter_lines()
        assert next(lines).startswith(":")  # the stream opens with a comment
        then()
        for line in lines:
            assert time.monotonic() < deadline, f"only {len(events)} of {count} events within 30 s"
            if line.startswith(":"):
                continue
            if not line:
                if current:
                    events.append(current)
                    current = {}
                if len(events) == count:
                    return events
                continue
            name, _, value = line.partition(": ")
            current[name] = json.loads(value) if name == "data" else value
    raise AssertionError(f"the stream ended after {len(events)} of {count} events")


def test_events_stream_every_status_change_and_resume_after_last_event_id(gw: Venue) -> None:
    bot, other = gw.grant(), gw.grant()
    gw.followed()
    first, second = gw.sign(bot), gw.sign(other)
    gw.post(first, second)
    settled = [gw.wait_status(o.digest, "settled") for o in (first, second)]
    events = read_events(gw, 6)
    ids = [int(e["id"]) for e in events]
    assert ids == sorted(ids) and len(set(ids)) == 6 and {e["event"] for e in events} == {"order"}
    by_order = {o: [e["data"]["status"] for e in events if e["data"]["digest"] == "0x" + o.digest.hex()] for o in (first, second)}
    assert by_order == {first: ["accepted", "submitted", "settled"], second: ["accepted", "submitted", "settled"]}
    final = [e["data"] for e in events if e["data"]["status"] == "settled"]
    assert {(d["txHash"], d["blockNumber"], d["reason"], d["code"]) for d in final} == {
        (s["txHash"], s["blockNumber"], "Authorized", 0) for s in settled}
    resumed = read_events(gw, 3, headers={"Last-Event-ID": events[2]["id"]})
    assert resumed == events[3:]
    mine = read_events(gw, 3, params={"signer": bot.address})
    assert [e["data"]["digest"] for e in mine] == ["0x" + first.digest.hex()] * 3
    live = read_events(gw, 1, headers={"Last-Event-ID": events[-1]["id"]}, then=lambda: gw.post(gw.sign(bot)))
    assert live[0]["data"]["status"] == "accepted" and int(live[0]["id"]) > ids[-1]


def test_a_bad_last_event_id_or_filter_is_a_400(gw: Venue) -> None:
    assert gw.http.get("/v1/events", headers={"Last-Event-ID": "x"}).json()["error"]["type"] == "InvalidRequest"
    assert gw.http.get("/v1/events", params={"account": "0x12"}).status_code == 400


def test_healthz_and_metrics_in_prometheus_format(gw: Venue) -> None:
    health = gw.http.get("/healthz")
    assert health.status_code == 200
    body = health.json()
    assert (body["status"], body["chainId"]) == ("ok", 31337) and body["block"] >= 0 and body["lagBlocks"] >= 0
    bot = gw.grant()
    gw.followed()
    signed = gw.sign(bot)
    gw.post(signed, gw.sign(bot, size=11 * 10**18))
    gw.wait_status(signed.digest, "settled")
    families = {f.name: f for f in text_string_to_metric_families(gw.http.get("/metrics").text)}
    assert {"aa_auth_gateway_orders", "aa_auth_gateway_batches", "aa_auth_gateway_settle_gas",
            "aa_auth_gateway_intake_seconds", "aa_auth_gateway_lag_blocks"} <= families.keys()
    orders = {(s.labels["status"], s.labels["reason"]): s.value for s in families["aa_auth_gateway_orders"].samples}
    assert orders[("accepted", "Authorized")] == 1 and orders[("rejected", "OrderTooLarge")] == 1
    assert orders[("submitted", "Authorized")] == 1 and orders[("settled", "Authorized")] == 1
    assert families["aa_auth_gateway_batches"].samples[0].value == 1
    assert families["aa_auth_gateway_settle_gas"].samples[0].value > 21_000
    assert families["aa_auth_gateway_intake_seconds"].type == "histogram"
    count = [s.value for s in families["aa_auth_gateway_intake_seconds"].samples if s.name.endswith("_count")]
    assert count == [1]
