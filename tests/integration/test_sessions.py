"""Session lifecycle (grant, signed grant, revoke, self-revoke, rotate, revoke-all, freeze) and its events."""

from __future__ import annotations

import pytest
from eth_account.signers.local import LocalAccount
from web3.logs import DISCARD

from aa_auth.contracts.stack import create_account
from aa_auth.errors import ContractRevert, InvalidInput, Reason
from aa_auth.protocol.signatures import SigningKey
from aa_auth.protocol.typed_data import hash_scope, session_grant_digest
from aa_auth.protocol.verify import KeyStatus, SessionStatus, key_status
from tests.conftest import named_key
from tests.integration.conftest import Desk


def _events(desk: Desk, receipt, name: str) -> list:  # type: ignore[no-untyped-def]
    return list(getattr(desk.account.contract.events, name)().process_receipt(receipt, errors=DISCARD))


def _names(desk: Desk, receipt) -> list[str]:  # type: ignore[no-untyped-def]
    names = ["SessionGranted", "SessionRevoked", "SessionRotated", "AllSessionsRevoked", "Frozen", "Unfrozen",
             "GuardianSet", "NoncesInvalidated", "OrderConsumed"]
    logs = [log for n in names for log in _events(desk, receipt, n)]
    return [log["event"] for log in sorted(logs, key=lambda log: log["logIndex"])]


def test_grant_stores_the_exact_scope_and_emits_its_hash(desk: Desk, bot: LocalAccount) -> None:
    scope = desk.default_scope()
    receipt = desk.account.grant(desk.owner, bot.address, scope)
    (event,) = _events(desk, receipt, "SessionGranted")
    assert event["args"]["key"] == bot.address
    assert bytes(event["args"]["scopeHash"]) == hash_scope(scope)
    assert (event["args"]["validAfter"], event["args"]["validUntil"]) == (scope.valid_after, scope.valid_until)
    session = desk.account.session(bot.address)
    assert session.status is SessionStatus.ACTIVE and session.scope == scope
    assert desk.account.session_keys() == [bot.address]


def test_signed_grant_is_relayed_by_anyone_and_advances_the_grant_nonce(desk: Desk, bot: LocalAccount) -> None:
    scope = desk.default_scope()
    deadline = desk.now() + 100
    signature = desk.account.sign_grant(desk.owner.key, bot.address, scope, deadline)
    assert desk.account.grant_nonce() == 0
    desk.account.grant_with_sig(desk.relayer, bot.address, scope, deadline, signature)
    assert desk.account.grant_nonce() == 1
    assert desk.account.session(bot.address).scope == scope


def test_direct_grant_leaves_the_grant_nonce_alone(desk: Desk, bot: LocalAccount) -> None:
    desk.grant(bot)
    assert desk.account.grant_nonce() == 0


def test_signed_grant_cannot_be_replayed_with_the_same_nonce(desk: Desk, bot: LocalAccount, bot2: LocalAccount) -> None:
    scope = desk.default_scope()
    deadline = desk.now() + 100
    signature = desk.account.sign_grant(desk.owner.key, bot.address, scope, deadline)
    desk.account.grant_with_sig(desk.relayer, bot.address, scope, deadline, signature)
    desk.account.revoke(desk.owner, bot.address)
    # The same signature again: nonce 0 is spent, so the signature no longer matches.
    replay = desk.account.contract.functions.grantSessionWithSig(bot.address, scope.as_abi(), deadline, signature)
    with pytest.raises(ContractRevert, match="InvalidSignature"):
        desk.chain.send(replay, desk.relayer)
    # A signature made for nonce 0 no longer matches nonce 1.
    stale = desk.account.sign_grant(desk.owner.key, bot2.address, scope, deadline, nonce=0)
    with pytest.raises(ContractRevert, match="InvalidSignature"):
        desk.account.grant_with_sig(desk.relayer, bot2.address, scope, deadline, stale)


def test_signed_grant_is_worthless_on_another_account_of_the_same_owner(desk: Desk, bot: LocalAccount) -> None:
    scope = desk.default_scope()
    deadline = desk.now() + 100
    signature = desk.account.sign_grant(desk.owner.key, bot.address, scope, deadline)
    other, _ = create_account(desk.chain, desk.stack, desk.relayer, desk.owner.address, b"\x02" * 32)
    with pytest.raises(ContractRevert, match="InvalidSignature"):
        other.grant_with_sig(desk.relayer, bot.address, scope, deadline, signature)


def test_signed_grant_for_another_chain_is_refused(desk: Desk, bot: LocalAccount) -> None:
    from aa_auth.protocol.signatures import sign_digest
    from aa_auth.protocol.typed_data import session_grant_digest

    scope = desk.default_scope()
    deadline = desk.now() + 100
    digest = session_grant_digest(desk.chain.chain_id + 1, desk.account.address, bot.address, scope, 0, deadline)
    with pytest.raises(ContractRevert, match="InvalidSignature"):
        desk.account.grant_with_sig(desk.relayer, bot.address, scope, deadline, sign_digest(desk.owner.key, digest))


def test_signed_grant_with_a_changed_scope_is_refused(desk: Desk, bot: LocalAccount) -> None:
    scope = desk.default_scope()
    deadline = desk.now() + 100
    signature = desk.account.sign_grant(desk.owner.key, bot.address, scope, deadline)
    wider = desk.default_scope(max_orders_per_window=1_000)
    with pytest.raises(ContractRevert, match="InvalidSignature"):
        desk.account.grant_with_sig(desk.relayer, bot.address, wider, deadline, signature)


def test_signed_grant_after_its_deadline_is_refused(desk: Desk, bot: LocalAccount) -> None:
    scope = desk.default_scope()
    deadline = desk.now() + 5
    signature = desk.account.sign_grant(desk.owner.key, bot.address, scope, deadline)
    desk.chain.travel_to(deadline)  # the grant's transaction lands at deadline + 1
    with pytest.raises(ContractRevert, match="GrantExpired"):
        desk.account.grant_with_sig(desk.relayer, bot.address, scope, deadline, signature)


@pytest.mark.parametrize("until", [0, -1, -100_000])  # validUntil relative to the latest block's time
def test_a_grant_expired_on_arrival_is_refused_before_anything_is_sent(desk: Desk, bot: LocalAccount, until: int) -> None:
    latest, block = desk.now(), desk.chain.w3.eth.block_number
    expired = desk.default_scope(valid_after=0, valid_until=latest + until)
    refusal = f"valid_until {latest + until} is not after the chain's latest block time {latest}"
    with pytest.raises(InvalidInput, match=refusal):
        desk.account.grant(desk.owner, bot.address, expired)
    with pytest.raises(InvalidInput, match=refusal):
        desk.account.sign_grant(desk.owner.key, bot.address, expired, latest + 100)
    digest = session_grant_digest(desk.chain.chain_id, desk.account.address, bot.address, expired, 0, latest + 100)
    with pytest.raises(InvalidInput, match=refusal):
        desk.account.grant_with_sig(desk.relayer, bot.address, expired, latest + 100,
                                    SigningKey(desk.owner.key).sign_digest(digest))
    assert desk.chain.w3.eth.block_number == block and desk.account.grant_nonce() == 0
    assert desk.account.session(bot.address).status is SessionStatus.NONE
    # The chain itself would take it, and burn the key: a key is granted once, and this one never acts.
    desk.chain.send(desk.account.contract.functions.grantSession(bot.address, expired.as_abi()), desk.owner)
    assert key_status(desk.account.session(bot.address), desk.now()) is KeyStatus.EXPIRED


def test_a_grant_valid_until_the_next_block_is_accepted(desk: Desk, bot: LocalAccount) -> None:
    until = desk.now() + 1  # the grant lands at latest + 1: the key acts for that one second
    receipt = desk.account.grant(desk.owner, bot.address, desk.default_scope(valid_until=until))
    assert desk.chain.w3.eth.get_block(receipt["blockNumber"])["timestamp"] == until
    assert key_status(desk.account.session(bot.address), until) is KeyStatus.ACTIVE


def test_grant_signed_by_a_session_key_is_refused(desk: Desk, bot: LocalAccount, bot2: LocalAccount) -> None:
    desk.grant(bot)
    scope = desk.default_scope()
    deadline = desk.now() + 100
    signature = desk.account.sign_grant(bot.key, bot2.address, scope, deadline)
    with pytest.raises(ContractRevert, match="InvalidSignature"):
        desk.account.grant_with_sig(desk.relayer, bot2.address, scope, deadline, signature)


def test_revoked_key_can_never_be_granted_again(desk: Desk, bot: LocalAccount) -> None:
    desk.grant(bot)
    desk.account.revoke(desk.owner, bot.address)
    with pytest.raises(InvalidInput, match="granted on this account before"):
        desk.grant(bot)
    raw = desk.account.contract.functions.grantSession(bot.address, desk.default_scope().as_abi())
    with pytest.raises(ContractRevert, match="KeyAlreadyGranted"):
        desk.chain.send(raw, desk.owner)


@pytest.mark.parametrize("who", ["owner", "account", "zero"])
def test_owner_account_and_zero_address_cannot_be_session_keys(desk: Desk, who: str) -> None:
    key = {"owner": desk.owner.address, "account": desk.account.address, "zero": "0x" + "00" * 20}[who]
    with pytest.raises(InvalidInput):
        desk.account.grant(desk.owner, key, desk.default_scope())
    raw = desk.account.contract.functions.grantSession(key, desk.default_scope().as_abi())
    with pytest.raises(ContractRevert, match="InvalidSessionKey"):
        desk.chain.send(raw, desk.owner)


def test_only_the_owner_can_grant(desk: Desk, bot: LocalAccount) -> None:
    raw = desk.account.contract.functions.grantSession(bot.address, desk.default_scope().as_abi())
    with pytest.raises(ContractRevert, match="Unauthorized"):
        desk.chain.send(raw, bot if desk.chain.fund(bot.address, 10**18) is None else bot)


def test_key_revokes_itself_with_its_own_signature(desk: Desk, bot: LocalAccount) -> None:
    desk.grant(bot)
    receipt = desk.account.revoke_with_sig(desk.relayer, bot.address, desk.account.sign_revoke(bot.key))
    (event,) = _events(desk, receipt, "SessionRevoked")
    assert (event["args"]["key"], event["args"]["by"]) == (bot.address, bot.address)
    assert desk.reason(desk.sign(bot)) is Reason.SESSION_REVOKED


def test_self_revocation_signed_by_another_key_is_refused(desk: Desk, bot: LocalAccount, bot2: LocalAccount) -> None:
    desk.grant(bot)
    with pytest.raises(ContractRevert, match="InvalidSignature"):
        desk.account.revoke_with_sig(desk.relayer, bot.address, desk.account.sign_revoke(bot2.key))


def test_revoking_a_key_that_is_not_active_reverts_by_name(desk: Desk, bot: LocalAccount) -> None:
    raw = desk.account.contract.functions.revokeSession(bot.address)
    with pytest.raises(ContractRevert) as caught:
        desk.chain.send(raw, desk.owner)
    assert caught.value.error_name == "SessionNotActive"
    assert caught.value.error_args == (bot.address,)


def test_rotation_moves_the_scope_with_fresh_counters(desk: Desk, bot: LocalAccount, bot2: LocalAccount) -> None:
    scope = desk.grant(bot)
    desk.settle(*(desk.sign(bot) for _ in range(3)))
    receipt = desk.account.rotate(desk.owner, bot.address, bot2.address)
    assert _names(desk, receipt) == ["SessionRevoked", "SessionGranted", "SessionRotated"]
    (granted,) = _events(desk, receipt, "SessionGranted")
    assert bytes(granted["args"]["scopeHash"]) == hash_scope(scope)
    new = desk.account.session(bot2.address)
    assert new.status is SessionStatus.ACTIVE and new.scope == scope and new.window_orders == 0
    assert desk.reason(desk.sign(bot)) is Reason.SESSION_REVOKED
    assert desk.reason(desk.sign(bot2, nonce=0)) is Reason.AUTHORIZED  # a rotated-in key starts with empty nonces
    assert desk.account.session_keys() == [bot.address, bot2.address]


@pytest.mark.parametrize("target", ["owner", "active key", "revoked key"])
def test_rotation_to_an_ineligible_key_is_refused(desk: Desk, bot: LocalAccount, bot2: LocalAccount, target: str) -> None:
    desk.grant(bot)
    desk.grant(bot2)
    if target == "revoked key":
        desk.account.revoke(desk.owner, bot2.address)
    new = desk.owner.address if target == "owner" else bot2.address
    with pytest.raises(InvalidInput):
        desk.account.rotate(desk.owner, bot.address, new)
    raw = desk.account.contract.functions.rotateSession(bot.address, new)
    with pytest.raises(ContractRevert, match="InvalidSessionKey|KeyAlreadyGranted"):
        desk.chain.send(raw, desk.owner)
    assert desk.account.session(bot.address).status is SessionStatus.ACTIVE  # nothing changed


def test_revoke_all_sweeps_every_key_granted_so_far(desk: Desk, bot: LocalAccount, bot2: LocalAccount) -> None:
    desk.grant(bot)
    receipt = desk.account.revoke_all(desk.owner)
    assert _names(desk, receipt) == ["AllSessionsRevoked"]
    assert _events(desk, receipt, "AllSessionsRevoked")[0]["args"]["epoch"] == 1
    assert desk.account.session(bot.address).status is SessionStatus.REVOKED
    desk.grant(bot2)  # keys granted afterwards are active
    assert desk.reason(desk.sign(bot2)) is Reason.AUTHORIZED
    assert desk.reason(desk.sign(bot)) is Reason.SESSION_REVOKED
    with pytest.raises(InvalidInput):
        desk.grant(bot)  # a swept key can never come back


def test_guardian_may_freeze_and_nothing_else(desk: Desk, bot: LocalAccount) -> None:
    guardian = named_key("guardian")
    desk.chain.fund(guardian.address, 10**18)
    assert _events(desk, desk.account.set_guardian(desk.owner, guardian.address), "GuardianSet")[0]["args"]["guardian"] == guardian.address
    receipt = desk.account.freeze(guardian)
    assert _events(desk, receipt, "Frozen")[0]["args"]["by"] == guardian.address
    for call in (desk.account.contract.functions.unfreeze(), desk.account.contract.functions.revokeAllSessions()):
        with pytest.raises(ContractRevert, match="Unauthorized"):
            desk.chain.send(call, guardian)
    assert desk.account.frozen()


def test_owner_admin_through_execute_reports_the_owner_as_by(desk: Desk, bot: LocalAccount) -> None:
    desk.grant(bot)
    inner = desk.account.contract.functions.revokeSession(bot.address)._encode_transaction_data()
    receipt = desk.chain.send(desk.account.contract.functions.execute(desk.account.address, 0, inner), desk.owner)
    (event,) = _events(desk, receipt, "SessionRevoked")
    assert event["args"]["by"] == desk.owner.address


def test_consumed_order_emits_order_consumed(desk: Desk, bot: LocalAccount) -> None:
    desk.grant(bot)
    signed = desk.sign(bot, nonce=42)
    settlement = desk.settle(signed)
    receipt = desk.chain.w3.eth.get_transaction_receipt(settlement.tx_hash)
    (event,) = _events(desk, receipt, "OrderConsumed")
    assert dict(event["args"]) == {"signer": bot.address, "venue": desk.stack.venue, "nonce": 42, "digest": signed.digest}


def test_scope_round_trips_through_storage_with_every_field_at_its_edges(desk: Desk, bot: LocalAccount) -> None:
    from aa_auth.protocol.scope import ANY_MARKET, CallPermission, market_limit

    top = 2**256 - 1
    scope = desk.default_scope(
        valid_after=0,
        valid_until=2**48 - 1,
        venues=[desk.stack.venue, "0x" + "ff" * 20, "0x" + "00" * 19 + "01"],
        markets=[market_limit(ANY_MARKET, max_order_size=top, min_price=top, max_price=top),
                 market_limit(0, max_order_size=0, min_price=0, max_price=0), market_limit(7, max_order_size=1)],
        max_orders_per_window=2**32 - 1,
        max_notional_per_window=top,
        window_seconds=2**32 - 1,
        max_gas_fee=top,
        calls=[CallPermission("0x" + "ab" * 20, bytes(4), 0), CallPermission("0x" + "ab" * 20, b"\xa9\x05\x9c\xbb", top),
               CallPermission("0x" + "ff" * 20, b"\xff\xff\xff\xff", 1)],
    )
    desk.account.grant(desk.owner, bot.address, scope)
    assert desk.account.session(bot.address).scope == scope


def test_scope_with_empty_lists_round_trips(desk: Desk, bot: LocalAccount) -> None:
    from aa_auth.protocol.scope import Scope

    # validUntil in the future: Python refuses a grant that is expired on arrival.
    empty = Scope(valid_after=1, valid_until=desk.now() + 3_600, venues=(), markets=(), max_notional_per_window=0,
                  max_orders_per_window=0, window_seconds=0, max_gas_fee=0, calls=())
    desk.account.grant(desk.owner, bot.address, empty)
    assert desk.account.session(bot.address).scope == empty


def test_scope_too_large_for_one_contract_is_refused_by_name(desk: Desk, bot: LocalAccount) -> None:
    # 1,300 venues pack to 26,000+ bytes, past EIP-170's 24,576-byte code limit.
    venues = ["0x" + f"{i + 1:040x}" for i in range(1_300)]
    raw = desk.account.contract.functions.grantSession(bot.address, desk.default_scope(venues=venues).as_abi())
    with pytest.raises(ContractRevert, match="ScopeTooLarge"):
        desk.chain.send(raw, desk.owner)
