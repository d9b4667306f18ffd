"""The off-chain decision of SPEC section 5: each reason, their precedence, and every boundary."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from eth_account import Account

from aa_auth.errors import InvalidInput, Reason
from aa_auth.protocol.orders import Order
from aa_auth.protocol.scope import Scope, market_limit, scope
from aa_auth.protocol.signatures import sign_digest
from aa_auth.protocol.typed_data import order_digest
from aa_auth.protocol.values import ANY_MARKET, UINT256_MAX
from aa_auth.protocol.verify import (
    AccountState,
    Decision,
    SessionState,
    SessionStatus,
    Verifier,
    decide,
    notional,
    window_index,
)

CHAIN_ID = 31337
ACCOUNT = "0x" + "ac" * 20
VENUE = "0x" + "0e" * 20
OTHER_VENUE = "0x" + "0f" * 20
OWNER_KEY = bytes.fromhex("01" * 32)
BOT_KEY = bytes.fromhex("02" * 32)
STRANGER_KEY = bytes.fromhex("03" * 32)
OWNER = Account.from_key(OWNER_KEY).address
BOT = Account.from_key(BOT_KEY).address
STRANGER = Account.from_key(STRANGER_KEY).address

ONE = 10**18
MARKET = 7
VALID_AFTER = 1_000_000
VALID_UNTIL = 2_000_000
NOW = 1_500_000
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def make_scope(**overrides: Any) -> Scope:
    fields: dict[str, Any] = {
        "valid_after": VALID_AFTER,
        "valid_until": VALID_UNTIL,
        "venues": [VENUE],
        "markets": [market_limit(MARKET, max_order_size=100, min_price=10 * ONE, max_price=20 * ONE)],
    }
    fields.update(overrides)
    return scope(**fields)


def session(status: SessionStatus = SessionStatus.ACTIVE, **scope_overrides: Any) -> SessionState:
    return SessionState(status, make_scope(**scope_overrides), 0, 0, 0, 0)


def make_state(bot: SessionState | None = None, **overrides: Any) -> AccountState:
    fields: dict[str, Any] = {
        "chain_id": CHAIN_ID,
        "account": ACCOUNT,
        "owner": OWNER,
        "frozen": False,
        "timestamp": NOW,
        "sessions": {BOT: bot or session()},
        "nonce_words": {},
    }
    fields.update(overrides)
    return AccountState(**fields)


def make_order(**overrides: Any) -> Order:
    fields: dict[str, Any] = {
        "venue": VENUE,
        "market": MARKET,
        "is_buy": True,
        "size": 10,
        "price": 15 * ONE,
        "nonce": 0,
        "deadline": NOW + 60,
    }
    fields.update(overrides)
    return Order(**fields)


def sign(key: bytes, order: Order, *, chain_id: int = CHAIN_ID, account: str = ACCOUNT) -> bytes:
    return sign_digest(key, order_digest(chain_id, account, order))


def reason(state: AccountState, order: Order, key: bytes = BOT_KEY) -> Reason:
    return decide(state, order, sign(key, order)).reason


# --- reason 0 and the decision record ---


def test_in_scope_session_order_is_authorized_with_its_signer_and_digest() -> None:
    order = make_order()
    decision = decide(make_state(), order, sign(BOT_KEY, order))
    assert decision == Decision(Reason.AUTHORIZED, BOT, order_digest(CHAIN_ID, ACCOUNT, order))
    assert decision.ok


def test_a_refused_decision_is_not_ok() -> None:
    assert not decide(make_state(frozen=True), make_order(), sign(BOT_KEY, make_order())).ok


# --- 1 BadSignature ---


def _high_s(signature: bytes) -> bytes:
    """The malleable twin of a signature: same signer, s mirrored into the upper half."""
    s = int.from_bytes(signature[32:64], "big")
    return signature[:32] + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - signature[64]])


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda sig: sig[:64], id="64 bytes"),
        pytest.param(lambda sig: sig + b"\x00", id="66 bytes"),
        pytest.param(lambda sig: b"", id="empty"),
        pytest.param(_high_s, id="s above n/2"),
        pytest.param(lambda sig: sig[:64] + bytes([sig[64] - 27]), id="v 0/1"),
        pytest.param(lambda sig: sig[:64] + b"\x1d", id="v 29"),
        pytest.param(lambda sig: bytes(32) + sig[32:], id="r zero, recovery fails"),
    ],
)
def test_malformed_signature_is_bad_signature_with_no_signer(mangle: Any) -> None:
    order = make_order()
    decision = decide(make_state(), order, mangle(sign(BOT_KEY, order)))
    assert decision == Decision(Reason.BAD_SIGNATURE, None, order_digest(CHAIN_ID, ACCOUNT, order))


def test_bad_signature_comes_before_every_other_check() -> None:
    state = make_state(session(SessionStatus.REVOKED), frozen=True, timestamp=VALID_UNTIL + 1)
    order = make_order(deadline=0)
    assert decide(state, order, sign(BOT_KEY, order)[:64]).reason is Reason.BAD_SIGNATURE


# --- 2 UnknownSigner ---


def test_signer_never_granted_is_unknown() -> None:
    order = make_order()
    decision = decide(make_state(), order, sign(STRANGER_KEY, order))
    assert (decision.reason, decision.signer) == (Reason.UNKNOWN_SIGNER, STRANGER)


def test_signer_with_status_none_is_unknown() -> None:
    state = make_state(sessions={BOT: SessionState(SessionStatus.NONE, None, 0, 0, 0, 0)})
    assert reason(state, make_order()) is Reason.UNKNOWN_SIGNER


@pytest.mark.parametrize(
    ("chain_id", "account"), [(CHAIN_ID + 1, ACCOUNT), (CHAIN_ID, "0x" + "ad" * 20)], ids=["chain", "account"]
)
def test_signature_for_another_domain_recovers_a_stranger(chain_id: int, account: str) -> None:
    order = make_order()
    assert decide(make_state(), order, sign(BOT_KEY, order, chain_id=chain_id, account=account)).reason is (
        Reason.UNKNOWN_SIGNER
    )


def test_unknown_signer_beats_frozen_account() -> None:
    assert reason(make_state(frozen=True), make_order(), STRANGER_KEY) is Reason.UNKNOWN_SIGNER


# --- 3 SessionRevoked / 4 AccountFrozen ---


def test_revoked_key_is_refused() -> None:
    assert reason(make_state(session(SessionStatus.REVOKED)), make_order()) is Reason.SESSION_REVOKED


def test_revoked_key_without_stored_scope_is_still_revoked() -> None:
    state = make_state(SessionState(SessionStatus.REVOKED, None, 0, 0, 0, 0))
    assert reason(state, make_order()) is Reason.SESSION_REVOKED


def test_revoked_beats_frozen() -> None:
    assert reason(make_state(session(SessionStatus.REVOKED), frozen=True), make_order()) is Reason.SESSION_REVOKED


def test_frozen_account_stops_an_active_key() -> None:
    assert reason(make_state(frozen=True), make_order()) is Reason.ACCOUNT_FROZEN


def test_frozen_beats_expired_session() -> None:
    state = make_state(frozen=True, timestamp=VALID_UNTIL + 1)
    assert reason(state, make_order(deadline=VALID_UNTIL + 1)) is Reason.ACCOUNT_FROZEN


# --- 5 SessionNotYetValid / 6 SessionExpired (inclusive bounds) ---


def test_before_valid_after_is_not_yet_valid() -> None:
    assert reason(make_state(timestamp=VALID_AFTER - 1), make_order()) is Reason.SESSION_NOT_YET_VALID


def test_exactly_valid_after_is_valid() -> None:
    assert reason(make_state(timestamp=VALID_AFTER), make_order()) is Reason.AUTHORIZED


def test_exactly_valid_until_is_valid() -> None:
    assert reason(make_state(timestamp=VALID_UNTIL), make_order(deadline=VALID_UNTIL)) is Reason.AUTHORIZED


def test_one_second_past_valid_until_is_expired() -> None:
    state = make_state(timestamp=VALID_UNTIL + 1)
    assert reason(state, make_order(deadline=VALID_UNTIL + 1)) is Reason.SESSION_EXPIRED


def test_expired_session_beats_bad_venue() -> None:
    state = make_state(timestamp=VALID_UNTIL + 1)
    assert reason(state, make_order(venue=OTHER_VENUE, deadline=0)) is Reason.SESSION_EXPIRED


# --- 7 VenueNotAllowed ---


def test_unlisted_venue_is_refused() -> None:
    assert reason(make_state(), make_order(venue=OTHER_VENUE)) is Reason.VENUE_NOT_ALLOWED


def test_second_listed_venue_is_allowed() -> None:
    state = make_state(session(venues=[VENUE, OTHER_VENUE]))
    assert reason(state, make_order(venue=OTHER_VENUE)) is Reason.AUTHORIZED


def test_bad_venue_beats_bad_market() -> None:
    assert reason(make_state(), make_order(venue=OTHER_VENUE, market=MARKET + 1)) is Reason.VENUE_NOT_ALLOWED


# --- 8 MarketNotAllowed and the ANY_MARKET fallback ---


def test_market_without_entry_or_fallback_is_refused() -> None:
    assert reason(make_state(), make_order(market=MARKET + 1)) is Reason.MARKET_NOT_ALLOWED


def test_market_without_entry_uses_any_market_entry() -> None:
    markets = [market_limit(MARKET, max_order_size=5), market_limit(ANY_MARKET, max_order_size=50)]
    state = make_state(session(markets=markets))
    assert reason(state, make_order(market=MARKET + 1, size=50)) is Reason.AUTHORIZED
    assert reason(state, make_order(market=MARKET + 1, size=51)) is Reason.ORDER_TOO_LARGE


@pytest.mark.parametrize("order_first", [True, False], ids=["explicit listed first", "explicit listed last"])
def test_explicit_entry_wins_over_any_market(order_first: bool) -> None:
    explicit, fallback = market_limit(MARKET, max_order_size=5), market_limit(ANY_MARKET, max_order_size=50)
    markets = [explicit, fallback] if order_first else [fallback, explicit]
    state = make_state(session(markets=markets))
    assert reason(state, make_order(size=5)) is Reason.AUTHORIZED
    assert reason(state, make_order(size=6)) is Reason.ORDER_TOO_LARGE


def test_order_on_market_any_market_itself_uses_that_entry() -> None:
    state = make_state(session(markets=[market_limit(ANY_MARKET, max_order_size=5)]))
    assert reason(state, make_order(market=ANY_MARKET, size=5)) is Reason.AUTHORIZED


# --- 9 OrderTooLarge / 10 PriceOutOfBand ---


def test_size_equal_to_max_is_allowed_and_one_more_is_too_large() -> None:
    state = make_state()
    assert reason(state, make_order(size=100)) is Reason.AUTHORIZED
    assert reason(state, make_order(size=101)) is Reason.ORDER_TOO_LARGE


def test_too_large_beats_price_out_of_band() -> None:
    assert reason(make_state(), make_order(size=101, price=0)) is Reason.ORDER_TOO_LARGE


@pytest.mark.parametrize(
    ("price", "expected"),
    [
        (10 * ONE - 1, Reason.PRICE_OUT_OF_BAND),
        (10 * ONE, Reason.AUTHORIZED),
        (20 * ONE, Reason.AUTHORIZED),
        (20 * ONE + 1, Reason.PRICE_OUT_OF_BAND),
    ],
    ids=["below min", "at min", "at max", "above max"],
)
def test_price_band_edges_are_inclusive(price: int, expected: Reason) -> None:
    assert reason(make_state(), make_order(price=price)) is expected


def test_price_out_of_band_beats_expired_order() -> None:
    assert reason(make_state(), make_order(price=0, deadline=NOW - 1)) is Reason.PRICE_OUT_OF_BAND


# --- 11 OrderExpired ---


def test_order_at_its_deadline_is_live_and_one_second_later_dead() -> None:
    assert reason(make_state(), make_order(deadline=NOW)) is Reason.AUTHORIZED
    assert reason(make_state(), make_order(deadline=NOW - 1)) is Reason.ORDER_EXPIRED


def test_expired_order_beats_used_nonce() -> None:
    state = make_state(nonce_words={(BOT, 0): 1})
    assert reason(state, make_order(nonce=0, deadline=NOW - 1)) is Reason.ORDER_EXPIRED


# --- 12 NonceAlreadyUsed (bit n & 255 of word n >> 8) ---


@pytest.mark.parametrize(
    ("words", "used", "free"),
    [
        ({(BOT, 0): 1 << 255}, 255, 256),
        ({(BOT, 1): 1}, 256, 255),
        ({(BOT, 1): 1}, 256, 257),
        ({(BOT, 2**232): 1}, 2**240, 2**240 + 1),
        ({(BOT, 2**232): 1}, 2**240, 0),
        ({(BOT, 2**248 - 1): 1 << 255}, UINT256_MAX, UINT256_MAX - 1),
    ],
    ids=["255 is bit 255 of word 0", "256 is bit 0 of word 1", "257 is another bit", "2**240", "word 0", "max"],
)
def test_nonce_maps_to_its_bit_of_its_word(words: dict[tuple[str, int], int], used: int, free: int) -> None:
    state = make_state(nonce_words=words)
    assert reason(state, make_order(nonce=used)) is Reason.NONCE_ALREADY_USED
    assert reason(state, make_order(nonce=free)) is Reason.AUTHORIZED


def test_nonces_are_per_signer() -> None:
    assert reason(make_state(nonce_words={(OWNER, 0): 1}), make_order(nonce=0)) is Reason.AUTHORIZED


def test_used_nonce_beats_rate_limit() -> None:
    state = make_state(session(max_orders_per_window=0), nonce_words={(BOT, 0): 1})
    assert reason(state, make_order(nonce=0)) is Reason.NONCE_ALREADY_USED


# --- 13 RateLimited ---


def test_zero_order_cap_allows_nothing() -> None:
    assert reason(make_state(session(max_orders_per_window=0)), make_order()) is Reason.RATE_LIMITED


def test_order_cap_reached_exactly_then_once_more() -> None:
    verifier = Verifier(make_state(session(max_orders_per_window=2)))
    for nonce in range(2):
        order = make_order(nonce=nonce)
        assert verifier.consume(order, sign(BOT_KEY, order)).reason is Reason.AUTHORIZED
    order = make_order(nonce=2)
    assert verifier.consume(order, sign(BOT_KEY, order)).reason is Reason.RATE_LIMITED


def test_stored_count_of_the_current_window_counts() -> None:
    bot = replace(session(max_orders_per_window=3, window_seconds=60), window_index=8, window_orders=3)
    assert reason(make_state(bot, timestamp=VALID_AFTER + 8 * 60), make_order()) is Reason.RATE_LIMITED


def test_stored_count_of_an_older_window_is_ignored() -> None:
    bot = replace(session(max_orders_per_window=3, window_seconds=60), window_index=7, window_orders=3)
    assert reason(make_state(bot, timestamp=VALID_AFTER + 8 * 60), make_order()) is Reason.AUTHORIZED


def test_rate_limit_beats_notional_cap() -> None:
    state = make_state(session(max_orders_per_window=0, max_notional_per_window=0))
    assert reason(state, make_order()) is Reason.RATE_LIMITED


# --- 14 NotionalCapExceeded ---


def test_notional_cap_reached_exactly_then_once_more() -> None:
    # Each order: 10 * 15 = 150 of notional; the cap fits exactly two.
    verifier = Verifier(make_state(session(max_notional_per_window=300)))
    for nonce in range(2):
        order = make_order(nonce=nonce)
        assert verifier.consume(order, sign(BOT_KEY, order)).reason is Reason.AUTHORIZED
    order = make_order(nonce=2, size=1)
    assert verifier.consume(order, sign(BOT_KEY, order)).reason is Reason.NOTIONAL_CAP_EXCEEDED
    order = make_order(nonce=3, size=0)
    assert verifier.consume(order, sign(BOT_KEY, order)).reason is Reason.AUTHORIZED


def test_notional_rounds_down() -> None:
    assert notional(3, ONE // 2) == 1
    assert notional(1, ONE - 1) == 0
    # Rounded up, 3 * 0.5 would be 2 and pass the cap of 1.
    bot = session(markets=[market_limit(MARKET)], max_notional_per_window=1)
    assert reason(make_state(bot), make_order(size=3, price=ONE // 2)) is Reason.AUTHORIZED


def test_notional_uses_full_precision_product() -> None:
    assert notional(UINT256_MAX, ONE) == UINT256_MAX
    assert notional(UINT256_MAX, ONE + 1) is None
    assert notional(UINT256_MAX, UINT256_MAX) is None


def test_notional_that_does_not_fit_uint256_is_cap_exceeded_even_with_unlimited_cap() -> None:
    state = make_state(session(markets=[market_limit(MARKET)]))
    assert reason(state, make_order(size=UINT256_MAX, price=ONE)) is Reason.AUTHORIZED
    assert reason(state, make_order(size=UINT256_MAX, price=ONE + 1)) is Reason.NOTIONAL_CAP_EXCEEDED


def test_window_total_past_uint256_is_cap_exceeded_even_with_unlimited_cap() -> None:
    bot = replace(session(markets=[market_limit(MARKET)]), window_notional=UINT256_MAX - 5)
    state = make_state(bot)
    assert reason(state, make_order(size=5, price=ONE)) is Reason.AUTHORIZED
    assert reason(state, make_order(size=6, price=ONE)) is Reason.NOTIONAL_CAP_EXCEEDED


# --- windows ---


def test_window_index_counts_whole_windows_from_valid_after() -> None:
    sc = make_scope(window_seconds=60)
    assert [window_index(sc, VALID_AFTER + dt) for dt in (0, 59, 60, 119, 120)] == [0, 0, 1, 1, 2]


def test_window_index_is_always_zero_without_windows() -> None:
    assert window_index(make_scope(window_seconds=0), VALID_UNTIL) == 0


def test_window_index_before_the_session_starts_is_refused() -> None:
    with pytest.raises(InvalidInput):
        window_index(make_scope(window_seconds=60), VALID_AFTER - 1)


def test_new_window_resets_the_counts() -> None:
    verifier = Verifier(make_state(session(max_orders_per_window=1, window_seconds=60), timestamp=VALID_AFTER + 59))
    first, second, third = (make_order(nonce=n, deadline=VALID_UNTIL) for n in range(3))
    assert verifier.consume(first, sign(BOT_KEY, first)).ok
    assert verifier.consume(second, sign(BOT_KEY, second)).reason is Reason.RATE_LIMITED
    verifier.set_time(VALID_AFTER + 60)
    assert verifier.consume(second, sign(BOT_KEY, second)).ok
    assert verifier.state.sessions[BOT].window_index == 1
    assert (verifier.state.sessions[BOT].window_orders, verifier.state.sessions[BOT].window_notional) == (1, 150)
    assert verifier.consume(third, sign(BOT_KEY, third)).reason is Reason.RATE_LIMITED


def test_zero_window_seconds_is_a_lifetime_cap() -> None:
    verifier = Verifier(make_state(session(max_orders_per_window=1, window_seconds=0), timestamp=VALID_AFTER))
    first, second = (make_order(nonce=n, deadline=VALID_UNTIL) for n in range(2))
    assert verifier.consume(first, sign(BOT_KEY, first)).ok
    verifier.set_time(VALID_UNTIL)
    assert verifier.consume(second, sign(BOT_KEY, second)).reason is Reason.RATE_LIMITED


# --- the owner ---


def test_owner_order_while_frozen_is_authorized() -> None:
    assert reason(make_state(frozen=True), make_order(), OWNER_KEY) is Reason.AUTHORIZED


def test_owner_needs_no_session_and_skips_scope_checks() -> None:
    state = make_state(sessions={}, timestamp=VALID_UNTIL + 1)
    order = make_order(venue=OTHER_VENUE, market=MARKET + 1, size=UINT256_MAX, price=UINT256_MAX, deadline=UINT256_MAX)
    decision = decide(state, order, sign(OWNER_KEY, order))
    assert (decision.reason, decision.signer) == (Reason.AUTHORIZED, OWNER)


def test_owner_is_bound_by_deadline() -> None:
    assert reason(make_state(frozen=True), make_order(deadline=NOW - 1), OWNER_KEY) is Reason.ORDER_EXPIRED


def test_owner_is_bound_by_nonces() -> None:
    state = make_state(frozen=True, nonce_words={(OWNER, 0): 1})
    assert reason(state, make_order(nonce=0), OWNER_KEY) is Reason.NONCE_ALREADY_USED


def test_owner_consume_marks_only_the_nonce() -> None:
    before = make_state()
    verifier = Verifier(before)
    order = make_order(nonce=300)
    assert verifier.consume(order, sign(OWNER_KEY, order)).ok
    assert verifier.state.nonce_words == {(OWNER, 1): 1 << 44}
    assert verifier.state.sessions == before.sessions


# --- the Verifier ---


def test_consume_marks_the_nonce_so_a_replay_is_refused() -> None:
    verifier = Verifier(make_state())
    order = make_order(nonce=513)
    signature = sign(BOT_KEY, order)
    assert verifier.consume(order, signature).ok
    assert verifier.state.nonce_words == {(BOT, 2): 2}
    assert verifier.check(order, signature).reason is Reason.NONCE_ALREADY_USED
    assert verifier.consume(order, signature).reason is Reason.NONCE_ALREADY_USED


def test_consume_charges_count_and_notional_of_the_window() -> None:
    verifier = Verifier(make_state())
    order = make_order(size=7, price=13 * ONE)
    verifier.consume(order, sign(BOT_KEY, order))
    bot = verifier.state.sessions[BOT]
    assert (bot.window_index, bot.window_orders, bot.window_notional) == (0, 1, 91)


def test_rejected_consume_changes_nothing() -> None:
    verifier = Verifier(make_state(session(max_notional_per_window=0)))
    order = make_order()
    assert verifier.consume(order, sign(BOT_KEY, order)).reason is Reason.NOTIONAL_CAP_EXCEEDED
    assert verifier.state == make_state(session(max_notional_per_window=0))


def test_check_changes_nothing_and_verifier_does_not_touch_the_given_state() -> None:
    state = make_state()
    verifier = Verifier(state)
    order = make_order()
    signature = sign(BOT_KEY, order)
    assert verifier.check(order, signature).ok
    assert verifier.check(order, signature).ok
    assert verifier.consume(order, signature).ok
    assert state == make_state()


def test_check_many_decides_each_pair_against_the_same_state() -> None:
    verifier = Verifier(make_state(session(max_orders_per_window=1)))
    orders = [make_order(), make_order(), make_order(nonce=1, venue=OTHER_VENUE)]
    decisions = verifier.check_many((o, sign(BOT_KEY, o)) for o in orders)
    assert [d.reason for d in decisions] == [Reason.AUTHORIZED, Reason.AUTHORIZED, Reason.VENUE_NOT_ALLOWED]


def test_set_time_moves_the_decision_clock() -> None:
    verifier = Verifier(make_state())
    order = make_order(deadline=NOW)
    signature = sign(BOT_KEY, order)
    verifier.set_time(NOW + 1)
    assert verifier.check(order, signature).reason is Reason.ORDER_EXPIRED


# --- state records ---


def test_state_refuses_keys_that_are_not_checksummed() -> None:
    with pytest.raises(InvalidInput, match="checksummed"):
        make_state(sessions={BOT.lower(): session()})
    with pytest.raises(InvalidInput, match="checksummed"):
        make_state(nonce_words={(BOT.lower(), 0): 1})


def test_state_checksums_owner_so_an_owner_given_lowercase_is_still_recognised() -> None:
    assert reason(make_state(owner=OWNER.lower(), frozen=True), make_order(), OWNER_KEY) is Reason.AUTHORIZED


def test_active_session_without_scope_is_refused() -> None:
    with pytest.raises(InvalidInput, match="scope"):
        SessionState(SessionStatus.ACTIVE, None, 0, 0, 0, 0)


def test_session_status_accepts_get_sessions_raw_uint8() -> None:
    state = make_state(SessionState(2, None, 0, 0, 0, 0))  # type: ignore[arg-type]
    assert reason(state, make_order()) is Reason.SESSION_REVOKED
