"""The audit view: one account with keys in every state, read back over HTTP from anvil."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from aa_auth.chain.connection import Chain
from aa_auth.chain.logs import fetch_events
from aa_auth.contracts.account import SmartAccount
from aa_auth.contracts.deployments import ENTRY_POINT_V08, deploy_deterministic
from aa_auth.contracts.stack import Stack, create_account
from aa_auth.contracts.venue import Venue
from aa_auth.errors import ChainError, InvalidInput
from aa_auth.ops.audit import AccountReport, KeyReport, _key_flags, clone_code, inspect_account
from aa_auth.ops.exposure import Exposure
from aa_auth.ops.positions import Position, RecordedVenue, VenueCheck
from aa_auth.ops.render import when
from aa_auth.ops.views import report_json, report_text
from aa_auth.protocol.orders import Order
from aa_auth.protocol.scope import ANY_MARKET, CallPermission, Scope, market_limit, scope
from aa_auth.protocol.signer import OrderSigner
from aa_auth.protocol.values import ZERO_ADDRESS
from aa_auth.protocol.verify import KeyStatus
from tests.conftest import named_key
from tests.integration._operator import ETHER, funded, rolled_back

pytestmark = pytest.mark.anvil

DAY = 86_400


@dataclass
class Audited:
    chain: Chain
    stack: Stack
    account: SmartAccount
    owner: LocalAccount
    keys: dict[str, LocalAccount]
    scopes: dict[str, Scope]
    blocks: dict[str, int]


@pytest.fixture(scope="module")
def audited(anvil_url: str) -> Iterator[Audited]:
    """An account whose history has a swept, a revoked, a self-revoked, a rotated and two live keys."""
    with rolled_back(Chain.connect(anvil_url)) as chain:
        payer = funded(chain, "inspect payer")
        owner = funded(chain, "inspect owner")
        stack = deploy_deterministic(chain, payer, records_dir=None).stack
        account, _ = create_account(chain, stack, payer, owner.address)
        keys = {name: named_key(f"inspect {name}") for name in ("swept", "revoked", "itself", "tight", "rotated", "wide")}
        now = chain.timestamp()
        tight = scope(valid_after=now - 10, valid_until=now + 3_600, venues=[stack.venue],
                      markets=[market_limit(7, max_order_size=5 * ETHER, min_price=ETHER, max_price=3 * ETHER)],
                      max_notional_per_window=10 * ETHER, max_orders_per_window=4, window_seconds=3_600,
                      max_gas_fee=10**15)
        # A gas budget, so that its value call can be used (and is flagged as such).
        wide = scope(valid_until=now + 60 * DAY, venues=[stack.venue], markets=[market_limit(ANY_MARKET)],
                     max_gas_fee=10**15, calls=[CallPermission(stack.venue, bytes(4), 10**16)])
        blocks: dict[str, int] = {}
        for name in ("swept", "revoked", "itself"):
            account.grant(owner, keys[name].address, tight)
        blocks["revoked"] = int(account.revoke(owner, keys["revoked"].address)["blockNumber"])
        me = keys["itself"]
        account.revoke_with_sig(payer, me.address, account.sign_revoke(me.key))
        blocks["sweep"] = int(account.revoke_all(owner)["blockNumber"])
        account.grant(owner, keys["tight"].address, tight)
        blocks["rotate"] = int(account.rotate(owner, keys["tight"].address, keys["rotated"].address)["blockNumber"])
        account.grant(owner, keys["wide"].address, wide)
        account.set_guardian(owner, owner.address)
        account.invalidate_nonces(owner, keys["rotated"].address, 5, 0b101)
        deadline = chain.timestamp() + 600
        wide_signer = OrderSigner(keys["wide"].key, chain.chain_id, account.address)
        rotated_signer = OrderSigner(keys["rotated"].key, chain.chain_id, account.address)
        settlement = Venue(chain, stack.venue).settle(payer, [
            wide_signer.sign(Order(stack.venue, 1, True, ETHER, 2 * ETHER, 1, deadline)),
            wide_signer.sign(Order(stack.venue, 2, False, ETHER, 2 * ETHER, 300, deadline)),
            rotated_signer.sign(Order(stack.venue, 7, True, 2 * ETHER, 2 * ETHER, 0, deadline)),
        ])
        assert all(outcome.settled for outcome in settlement.outcomes)
        yield Audited(chain, stack, account, owner, keys, {"tight": tight, "wide": wide}, blocks)


@pytest.fixture(scope="module")
def report(audited: Audited) -> AccountReport:
    """The audit with the deployments record's ReferenceVenue, as `aa-auth inspect` passes it."""
    return inspect_account(audited.chain, audited.account.address, venue=audited.stack.venue)


def _key(report: AccountReport, key: LocalAccount) -> KeyReport:
    return next(k for k in report.keys if k.key == key.address)


def test_account_is_a_genuine_clone_of_the_factory_implementation(audited: Audited, report: AccountReport) -> None:
    implementation = audited.chain.contract("AccountFactory", audited.stack.factory).functions.accountImplementation().call()
    code = bytes(audited.chain.w3.eth.get_code(audited.account.address))
    assert code == clone_code(implementation, audited.owner.address)
    assert report.code_hash == "0x" + keccak(code).hex()
    clone = report.clone
    assert clone.genuine and clone.problems == ()
    assert (clone.implementation, clone.factory) == (implementation, audited.stack.factory)
    assert clone.salt == "0x" + "00" * 32 and clone.creation_block is not None
    assert (report.owner, report.guardian, report.frozen) == (audited.owner.address, audited.owner.address, False)
    assert report.entry_point == audited.stack.entry_point


def test_every_key_is_listed_in_grant_order_with_how_it_ended(audited: Audited, report: AccountReport) -> None:
    keys, owner = audited.keys, audited.owner.address
    assert [k.key for k in report.keys] == [keys[n].address for n in ("swept", "revoked", "itself", "tight", "rotated", "wide")]
    status = {k.key: (k.status, k.ended) for k in report.keys}
    assert status[keys["revoked"].address] == (KeyStatus.REVOKED, f"revoked by {owner} at block {audited.blocks['revoked']}")
    assert str(status[keys["itself"].address][1]).startswith("revoked by itself at block")
    assert status[keys["swept"].address] == (KeyStatus.REVOKED, f"swept by revokeAllSessions at block {audited.blocks['sweep']}")
    assert status[keys["tight"].address] == (
        KeyStatus.REVOKED, f"rotated to {keys['rotated'].address} at block {audited.blocks['rotate']}")
    assert status[keys["rotated"].address] == (KeyStatus.ACTIVE, None)
    assert _key(report, keys["rotated"]).rotated_from == keys["tight"].address


def test_each_scope_is_read_in_full_and_its_hash_matches_the_granted_event(audited: Audited, report: AccountReport) -> None:
    for key in report.keys:
        assert key.scope_hash_ok, key
        assert key.granted_block is not None
    assert _key(report, audited.keys["rotated"]).scope == audited.scopes["tight"]  # rotation keeps the scope
    assert _key(report, audited.keys["wide"]).scope == audited.scopes["wide"]


def test_usage_counts_orders_window_and_nonce_words(audited: Audited, report: AccountReport) -> None:
    wide = _key(report, audited.keys["wide"])
    assert wide.orders_consumed == 2 and (wide.current_window, wide.window_orders, wide.window_notional) == (0, 2, 4 * ETHER)
    assert [(w.word, w.used) for w in wide.nonce_words] == [(0, 1), (1, 1)]  # nonces 1 and 300
    rotated = _key(report, audited.keys["rotated"])
    assert (rotated.orders_consumed, rotated.window_orders, rotated.window_notional) == (1, 1, 4 * ETHER)
    assert [(w.word, w.used) for w in rotated.nonce_words] == [(0, 1), (5, 2)]  # nonce 0; word 5 burnt by the owner
    assert rotated.gas_fee_spent == 0
    assert report.owner_nonce_words == ()


def test_flags_name_exactly_what_an_auditor_should_review(audited: Audited, report: AccountReport) -> None:
    wide, account = audited.keys["wide"].address, audited.account.address
    assert sorted((f.severity, f.code, f.subject) for f in report.flags) == sorted([
        ("warning", "guardian-is-owner", account),
        ("warning", "long-validity", wide),
        ("warning", "any-market", wide),
        ("warning", "unlimited-cap", wide),  # maxNotionalPerWindow
        ("warning", "unlimited-cap", wide),  # maxOrdersPerWindow
        ("warning", "unlimited-cap", wide),  # maxOrderSize of ANY_MARKET
        ("warning", "unlimited-cap", wide),  # price band of ANY_MARKET
        ("warning", "value-call", wide),
    ])  # the tight key (now `rotated`) raises nothing; revoked keys can no longer act
    messages = {f.message for f in report.flags}
    assert any(m.startswith(f"valid for 60.0 days (until {audited.scopes['wide'].valid_until}") for m in messages)
    assert any("may send up to 10000000000000000 wei per call" in m for m in messages)


def test_history_is_the_same_whatever_the_page_size(audited: Audited, report: AccountReport) -> None:
    paged = inspect_account(audited.chain, audited.account.address, page_blocks=1, block=report.block_number)
    assert paged.events == report.events
    names = [e.name for e in report.events]
    assert names.count("SessionGranted") == 6 and names.count("OrderConsumed") == 3
    assert {"AllSessionsRevoked", "SessionRotated", "GuardianSet", "NoncesInvalidated"} <= set(names)


def test_json_report_is_deterministic_with_uint256_as_strings(audited: Audited, report: AccountReport) -> None:
    first = json.dumps(report_json(report), sort_keys=True)
    again = json.dumps(report_json(inspect_account(audited.chain, audited.account.address, venue=audited.stack.venue,
                                                   block=report.block_number)), sort_keys=True)
    assert first == again
    data = json.loads(first)
    wide = next(k for k in data["keys"] if k["key"] == audited.keys["wide"].address)
    assert wide["scope"]["maxNotionalPerWindow"] == str(2**256 - 1) and wide["scope"]["markets"][0]["market"] == str(ANY_MARKET)
    assert data["chainId"] == 31337 and data["blockNumber"] == report.block_number


def test_an_audit_that_starts_after_the_grants_says_what_it_could_not_check(audited: Audited, report: AccountReport) -> None:
    late = inspect_account(audited.chain, audited.account.address, from_block=report.block_number)
    codes = {(f.code, f.subject) for f in late.flags}
    assert ("not-genuine-clone", audited.account.address) in codes  # the creation event is out of range
    assert ("grant-event-missing", audited.keys["wide"].address) in codes
    assert not late.clone.created_by_factory and late.clone.code_matches


def test_a_copy_of_the_clone_code_elsewhere_is_not_genuine(audited: Audited) -> None:
    with rolled_back(audited.chain) as chain:
        impostor = "0x" + "5a" * 20
        implementation = chain.contract("AccountFactory", audited.stack.factory).functions.accountImplementation().call()
        code = "0x" + clone_code(implementation, audited.owner.address).hex()
        chain.w3.provider.make_request("anvil_setCode", [impostor, code])  # type: ignore[arg-type]
        fake = inspect_account(chain, impostor)
    assert fake.clone.code_matches and not fake.clone.created_by_factory and not fake.clone.genuine
    assert [f.severity for f in fake.flags if f.code == "not-genuine-clone"] == ["critical"]


def test_a_wrong_factory_is_reported_not_trusted(audited: Audited) -> None:
    other = inspect_account(audited.chain, audited.account.address, factory=audited.stack.venue)
    assert not other.clone.factory_code_ok and not other.clone.genuine
    assert any("is not the shipped AccountFactory" in p for p in other.clone.problems)


def test_addresses_that_are_not_accounts_get_one_clear_error(audited: Audited) -> None:
    with pytest.raises(InvalidInput, match="has no code on chain 31337 .*wrong address or wrong chain"):
        inspect_account(audited.chain, audited.owner.address)
    with pytest.raises(InvalidInput, match="is not an aa-auth account"):
        inspect_account(audited.chain, audited.stack.venue)


def test_each_key_says_what_it_can_still_cost_the_owner(audited: Audited, report: AccountReport) -> None:
    tight = audited.scopes["tight"]
    # 5 x 3 = 15 E per order is past the 10 E window cap, so 10 E is the largest order that settles;
    # 4 orders of 10 E are capped at 10 E a window; its life spans windows 0 and 1.
    current = (report.block_timestamp - tight.valid_after) // 3_600
    left = 6 * ETHER if current == 0 else 10 * ETHER  # window 0 already holds the 4 E order
    rotated = _key(report, audited.keys["rotated"])
    assert rotated.exposure == Exposure(10 * ETHER, 10 * ETHER, left, 2 - current, left + (1 - current) * 10 * ETHER, 10**15)
    assert _key(report, audited.keys["wide"]).exposure == Exposure(None, None, None, 1, None, 10**15)
    for name in ("swept", "revoked", "itself", "tight"):
        assert _key(report, audited.keys[name]).exposure == Exposure(0, 0, 0, 0, 0, 0)
    data = {k["key"]: k["exposure"] for k in report_json(report)["keys"]}
    assert data[audited.keys["rotated"].address]["largestOrder"] == str(10 * ETHER)
    assert data[audited.keys["wide"].address] == {"largestOrder": None, "perWindow": None, "currentWindowLeft": None,
                                                  "windowsLeft": 1, "restOfLife": None, "gasFeeLeft": str(10**15)}
    text = report_text(report)
    assert re.search(rf"worst case/order +{10 * ETHER:,} \(10\)\n", text) and re.search(r"worst case/order +unbounded\n", text)
    life = left + (1 - current) * 10 * ETHER  # every figure is a notional: raw, then whole quote units
    windows = "2 windows" if current == 0 else "1 window"
    assert re.search(rf"worst case/life +{life:,} \({life // ETHER}\) over {windows} left "
                     rf"\({left:,} \({left // ETHER}\) in the current one\)", text)
    assert re.search(r"worst case +none: the key can no longer act\n", text)


def test_the_current_window_has_its_first_and_last_second(audited: Audited, report: AccountReport) -> None:
    tight = audited.scopes["tight"]
    rotated = _key(report, audited.keys["rotated"])
    assert rotated.current_window is not None
    start = tight.valid_after + rotated.current_window * 3_600
    assert (rotated.window_start, rotated.window_end) == (start, min(start + 3_599, tight.valid_until))
    wide = _key(report, audited.keys["wide"])  # window 0 s: one window, the whole validity
    assert (wide.current_window, wide.window_start, wide.window_end) == (0, 0, audited.scopes["wide"].valid_until)
    assert _key(report, audited.keys["revoked"]).window_start is None
    data = next(k for k in report_json(report)["keys"] if k["key"] == rotated.key)
    assert (data["currentWindow"], data["windowStart"], data["windowEnd"]) == (rotated.current_window, start, rotated.window_end)
    assert (f"window {rotated.current_window} ({when(start)} .. {when(rotated.window_end or 0)}, "
            f"unix {start} .. {rotated.window_end}): 1 order,") in report_text(report)


def test_positions_are_read_at_the_recorded_venue(audited: Audited, report: AccountReport) -> None:
    # markets 1 and 2 come from the venue's OrderSettled events (wide's scope is ANY_MARKET), 7 also from a scope
    assert report.recorded_venue == RecordedVenue(audited.stack.venue, True)
    assert report.positions == (Position(1, ETHER), Position(2, -ETHER), Position(7, 2 * ETHER))
    data = report_json(report)
    assert data["positions"] == [{"market": "1", "net": str(ETHER)}, {"market": "2", "net": str(-ETHER)},
                                 {"market": "7", "net": str(2 * ETHER)}]
    assert data["recordedVenue"] == {"address": audited.stack.venue, "genuine": True}
    assert all(k.venues == ((audited.stack.venue, VenueCheck.RECORDED),) for k in report.keys)
    assert f"Positions at {audited.stack.venue}" in report_text(report)


def test_without_a_record_venues_are_unchecked_and_positions_unread(audited: Audited, report: AccountReport) -> None:
    bare = inspect_account(audited.chain, audited.account.address, block=report.block_number)
    assert bare.recorded_venue is None and bare.positions is None
    assert all(k.venues == ((audited.stack.venue, VenueCheck.UNCHECKED),) for k in bare.keys)
    assert bare.flags == report.flags  # "unchecked" is said beside each venue, not raised as a flag
    assert report_json(bare)["keys"][0]["venueChecks"] == [{"venue": audited.stack.venue, "check": "unchecked"}]
    assert "Positions: unread (no deployments record names a ReferenceVenue on this chain)" in report_text(bare)


def test_a_venue_that_is_not_the_recorded_one_is_flagged_for_each_key_that_can_act(audited: Audited) -> None:
    with rolled_back(audited.chain) as chain:
        other, _ = chain.deploy("ReferenceVenue", funded(chain, "inspect other venue"))
        audit = inspect_account(chain, audited.account.address, venue=other)
    assert audit.recorded_venue == RecordedVenue(other, True)
    flagged = sorted(f.subject for f in audit.flags if f.code == "unrecorded-venue")
    assert flagged == sorted([audited.keys["rotated"].address, audited.keys["wide"].address])
    assert all(f.severity == "warning" for f in audit.flags if f.code == "unrecorded-venue")
    assert _key(audit, audited.keys["revoked"]).venues == ((audited.stack.venue, VenueCheck.UNRECORDED),)
    assert audit.positions == (Position(7, 0),)  # nothing settled at the other venue; market 7 from the scopes


def test_a_recorded_venue_without_the_shipped_code_is_critical(audited: Audited) -> None:
    audit = inspect_account(audited.chain, audited.account.address, venue=audited.stack.factory)
    assert audit.recorded_venue == RecordedVenue(audited.stack.factory, False) and audit.positions is None
    assert [(f.severity, f.subject) for f in audit.flags if f.code == "recorded-venue-not-genuine"] == [
        ("critical", audited.stack.factory)]
    assert "is not the shipped ReferenceVenue" in report_text(audit)


def test_an_account_without_a_guardian_is_flagged(audited: Audited) -> None:
    with rolled_back(audited.chain) as chain:
        audited.account.set_guardian(audited.owner, ZERO_ADDRESS)
        audit = inspect_account(chain, audited.account.address)
    codes = [(f.severity, f.code, f.subject) for f in audit.flags if "guardian" in f.code]
    assert codes == [("warning", "no-guardian", audited.account.address)]


def test_expired_and_not_yet_valid_keys_are_named_so_in_every_view(audited: Audited) -> None:
    """Runs last among the chain tests: it moves the clock (inside a rollback)."""
    with rolled_back(audited.chain) as chain:
        now = chain.timestamp()
        brief, later = named_key("inspect brief"), named_key("inspect later")
        audited.account.grant(audited.owner, brief.address, replace(audited.scopes["tight"], valid_until=now + 60))
        soon = scope(valid_after=now + DAY, valid_until=now + 2 * DAY - 1, venues=[audited.stack.venue],
                     markets=[market_limit(7, max_order_size=5 * ETHER, min_price=ETHER, max_price=3 * ETHER)],
                     max_notional_per_window=10 * ETHER, max_orders_per_window=4, window_seconds=3_600)
        audited.account.grant(audited.owner, later.address, soon)
        chain.travel_to(now + 120)
        audit = inspect_account(chain, audited.account.address, venue=audited.stack.venue)
    expired, pending = _key(audit, brief), _key(audit, later)
    assert (expired.status, expired.ended, expired.current_window, expired.window_start) == (KeyStatus.EXPIRED, None, None, None)
    assert expired.exposure == Exposure(0, 0, 0, 0, 0, 0)
    assert (pending.status, pending.current_window) == (KeyStatus.NOT_YET_VALID, None)
    assert pending.exposure == Exposure(10 * ETHER, 10 * ETHER, 10 * ETHER, 24, 240 * ETHER, 0)  # 24 hourly windows
    statuses = {k["key"]: k["status"] for k in report_json(audit)["keys"]}
    assert (statuses[brief.address], statuses[later.address]) == ("expired", "notYetValid")
    text = report_text(audit)
    assert re.search(f"Session key {brief.address}\nstatus +expired\n", text)
    assert re.search(f"Session key {later.address}\nstatus +notYetValid\n", text)
    assert not [f for f in audit.flags if f.subject in (brief.address, later.address)]  # tight scopes: nothing to flag


def _bare_key(**fields: Any) -> KeyReport:
    """A key's report without a chain, for the flag rules alone."""
    values: dict[str, Any] = dict(
        key="0x" + "11" * 20, status=KeyStatus.REVOKED, scope=None, scope_hash="0x" + "aa" * 32,
        granted_scope_hash="0x" + "aa" * 32, granted_block=1, granted_timestamp=1, ended="revoked", rotated_from=None,
        current_window=None, window_start=None, window_end=None, window_orders=0, window_notional=0, gas_fee_spent=0,
        orders_consumed=0, nonce_words=(), exposure=Exposure(0, 0, 0, 0, 0, 0), venues=())
    values.update(fields)
    return KeyReport(**values)


def test_a_changed_scope_is_a_critical_flag() -> None:
    key = _bare_key(granted_scope_hash="0x" + "bb" * 32)
    assert [(f.severity, f.code) for f in _key_flags(key, 100, 0, 10, ENTRY_POINT_V08)] == [("critical", "scope-hash-mismatch")]
    assert _key_flags(replace(key, granted_scope_hash=key.scope_hash), 100, 0, 10, ENTRY_POINT_V08) == []


@pytest.mark.parametrize("status", [KeyStatus.ACTIVE, KeyStatus.NOT_YET_VALID])
def test_calls_without_a_gas_budget_are_flagged_as_unusable_not_as_value_calls(status: KeyStatus) -> None:
    calls = [CallPermission("0x" + "cc" * 20, bytes(4), 10**16), CallPermission("0x" + "cc" * 20, b"\x01\x02\x03\x04", 0)]
    granted = scope(valid_after=50, valid_until=1_000, venues=["0x" + "0e" * 20],
                    markets=[market_limit(1, max_order_size=1, max_price=1)], max_notional_per_window=1,
                    max_orders_per_window=1, calls=calls)
    unusable = _key_flags(_bare_key(status=status, scope=granted), 100, 0, 10, ENTRY_POINT_V08)
    assert [(f.severity, f.code) for f in unusable] == [("info", "unusable-call")]
    assert unusable[0].message.startswith("2 call permission(s) can never be used: maxGasFee is 0")
    usable = _key_flags(_bare_key(status=status, scope=replace(granted, max_gas_fee=1)), 100, 0, 10, ENTRY_POINT_V08)
    assert [(f.severity, f.code) for f in usable] == [("warning", "value-call")]
    expired = _key_flags(_bare_key(status=KeyStatus.EXPIRED, scope=granted), 100, 0, 10, ENTRY_POINT_V08)
    assert expired == []  # a key that can no longer act raises no risk flag


# ------------------------------------------------------------------ paging and retries, against a scripted node


class _ScriptedEth:
    """get_logs that refuses ranges wider than `max_range` and fails the first `flaky` calls."""

    def __init__(self, logs: list[dict[str, Any]], max_range: int, flaky: int) -> None:
        self.logs, self.max_range, self.flaky = logs, max_range, flaky
        self.calls: list[tuple[int, int]] = []

    def get_logs(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        self.calls.append((params["fromBlock"], params["toBlock"]))
        if self.flaky:
            self.flaky -= 1
            raise ConnectionError("connection reset by peer")
        if params["toBlock"] - params["fromBlock"] + 1 > self.max_range:
            raise ValueError({"code": -32005, "message": "query exceeds max block range 4"})
        return [log for log in self.logs if params["fromBlock"] <= log["blockNumber"] <= params["toBlock"]]


class _ScriptedChain:
    def __init__(self, eth: _ScriptedEth) -> None:
        self.w3 = type("W3", (), {"eth": eth})()


def _guardian_log(block: int) -> dict[str, Any]:
    topic = keccak(text="GuardianSet(address)")
    return {"topics": [topic, bytes(12) + bytes([block]) * 20], "data": b"", "blockNumber": block, "logIndex": 0,
            "transactionHash": bytes([block]) * 32, "address": "0x" + "11" * 20}


def test_pages_too_large_for_the_node_are_split_and_failures_retried() -> None:
    eth = _ScriptedEth([_guardian_log(b) for b in (3, 9, 17)], max_range=4, flaky=2)
    waits: list[float] = []
    events = fetch_events(_ScriptedChain(eth), "SessionAccount", "0x" + "11" * 20, 0, 19,  # type: ignore[arg-type]
                          page_blocks=10, sleep=waits.append)
    assert [(e.name, e.block_number) for e in events] == [("GuardianSet", 3), ("GuardianSet", 9), ("GuardianSet", 17)]
    assert waits == [0.5, 1.0]  # two transient failures, backed off
    assert all(end - start + 1 <= 10 for start, end in eth.calls)
    served = [(s, e) for s, e in eth.calls if e - s + 1 <= 4]
    assert served[0][0] == 0 and served[-1][1] == 19  # every block covered once the pages fit


def test_a_node_that_keeps_failing_gives_one_clear_error() -> None:
    eth = _ScriptedEth([], max_range=100, flaky=100)
    with pytest.raises(ChainError, match="eth_getLogs for blocks 0-9 failed 4 times: ConnectionError"):
        fetch_events(_ScriptedChain(eth), "SessionAccount", "0x" + "11" * 20, 0, 9,  # type: ignore[arg-type]
                     sleep=lambda _: None)
