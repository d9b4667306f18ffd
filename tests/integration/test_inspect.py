"""The audit view: one account with keys in every state, read back over HTTP from anvil."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from aa_auth.chain.connection import Chain
from aa_auth.chain.logs import fetch_events
from aa_auth.contracts.account import SmartAccount
from aa_auth.contracts.deployments import deploy_deterministic
from aa_auth.contracts.stack import Stack, create_account
from aa_auth.contracts.venue import Venue
from aa_auth.errors import ChainError, InvalidInput
from aa_auth.ops.audit import AccountReport, KeyReport, _key_flags, clone_code, inspect_account
from aa_auth.ops.views import report_json
from aa_auth.protocol.orders import Order
from aa_auth.protocol.scope import ANY_MARKET, CallPermission, Scope, market_limit, scope
from aa_auth.protocol.signer import OrderSigner
from aa_auth.protocol.verify import SessionStatus
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
        wide = scope(valid_until=now + 60 * DAY, venues=[stack.venue], markets=[market_limit(ANY_MARKET)],
                     calls=[CallPermission(stack.venue, bytes(4), 10**16)])
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
    return inspect_account(audited.chain, audited.account.address)


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
    assert status[keys["revoked"].address] == (SessionStatus.REVOKED, f"revoked by {owner} at block {audited.blocks['revoked']}")
    assert str(status[keys["itself"].address][1]).startswith("revoked by itself at block")
    assert status[keys["swept"].address] == (SessionStatus.REVOKED, f"swept by revokeAllSessions at block {audited.blocks['sweep']}")
    assert status[keys["tight"].address] == (
        SessionStatus.REVOKED, f"rotated to {keys['rotated'].address} at block {audited.blocks['rotate']}")
    assert status[keys["rotated"].address] == (SessionStatus.ACTIVE, None)
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
    again = json.dumps(report_json(inspect_account(audited.chain, audited.account.address, block=report.block_number)),
                       sort_keys=True)
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


def test_a_changed_scope_is_a_critical_flag() -> None:
    key = KeyReport(key="0x" + "11" * 20, status=SessionStatus.REVOKED, scope=None, scope_hash="0x" + "aa" * 32,
                    granted_scope_hash="0x" + "bb" * 32, granted_block=1, granted_timestamp=1, ended="revoked",
                    rotated_from=None, current_window=None, window_orders=0, window_notional=0, gas_fee_spent=0,
                    orders_consumed=0, nonce_words=())
    assert [(f.severity, f.code) for f in _key_flags(key, 100, 0, 10)] == [("critical", "scope-hash-mismatch")]
    assert _key_flags(replace(key, granted_scope_hash=key.scope_hash), 100, 0, 10) == []


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
