"""Every reason code of SPEC section 5, reached on-chain, with the off-chain verifier agreeing (Desk.decide)."""

from __future__ import annotations

import pytest
from eth_account.signers.local import LocalAccount

from aa_auth.errors import Reason
from aa_auth.protocol.scope import ANY_MARKET, market_limit
from aa_auth.protocol.signatures import SECP256K1_N
from tests.conftest import named_key
from tests.integration.conftest import OTHER_VENUE, Desk, E


def test_in_scope_order_is_authorized(desk: Desk, bot: LocalAccount) -> None:
    desk.grant(bot)
    assert desk.reason(desk.sign(bot)) is Reason.AUTHORIZED


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda sig: sig[:64], id="64 bytes"),
        pytest.param(lambda sig: sig + b"\0", id="66 bytes"),
        pytest.param(lambda sig: bytes(65), id="zero signature"),
        pytest.param(lambda sig: sig[:64] + bytes([sig[64] - 27]), id="v of 0/1"),
        pytest.param(lambda sig: sig[:64] + b"\x1d", id="v of 29"),
        pytest.param(
            lambda sig: sig[:32] + (SECP256K1_N - int.from_bytes(sig[32:64], "big")).to_bytes(32, "big") + bytes([55 - sig[64]]),
            id="high s twin",
        ),
    ],
)
def test_malformed_or_malleable_signature_is_bad_signature(desk: Desk, bot: LocalAccount, mangle) -> None:  # type: ignore[no-untyped-def]
    desk.grant(bot)
    signed = desk.sign(bot)
    decision = desk.decide(signed.order, mangle(signed.signature))
    assert decision.reason is Reason.BAD_SIGNATURE
    assert decision.signer is None


def test_key_never_granted_is_unknown_signer(desk: Desk, bot: LocalAccount) -> None:
    assert desk.reason(desk.sign(bot)) is Reason.UNKNOWN_SIGNER


def test_revoked_key_is_session_revoked_even_when_frozen(desk: Desk, bot: LocalAccount) -> None:
    desk.grant(bot)
    desk.account.revoke(desk.owner, bot.address)
    desk.account.freeze(desk.owner)
    assert desk.reason(desk.sign(bot)) is Reason.SESSION_REVOKED


def test_frozen_account_stops_keys_but_not_the_owner(desk: Desk, bot: LocalAccount) -> None:
    desk.grant(bot)
    desk.account.freeze(desk.owner)
    assert desk.reason(desk.sign(bot)) is Reason.ACCOUNT_FROZEN
    assert desk.reason(desk.sign(desk.owner, market=999, size=10**30)) is Reason.AUTHORIZED
    desk.account.unfreeze(desk.owner)
    assert desk.reason(desk.sign(bot)) is Reason.AUTHORIZED


def test_session_before_valid_after_is_not_yet_valid(desk: Desk, bot: LocalAccount) -> None:
    start = desk.now() + 100
    desk.grant(bot, valid_after=start)
    assert desk.reason(desk.sign(bot, deadline=start + 600)) is Reason.SESSION_NOT_YET_VALID
    desk.chain.travel_to(start)  # validAfter itself is inside the window
    assert desk.reason(desk.sign(bot, deadline=start + 600)) is Reason.AUTHORIZED


def test_session_is_valid_at_valid_until_and_expired_one_second_later(desk: Desk, bot: LocalAccount) -> None:
    end = desk.now() + 50
    desk.grant(bot, valid_until=end)
    signed = desk.sign(bot, deadline=end + 100)
    desk.chain.travel_to(end)
    assert desk.reason(signed) is Reason.AUTHORIZED
    desk.chain.travel_to(end + 1)
    assert desk.reason(signed) is Reason.SESSION_EXPIRED


def test_venue_outside_scope_is_venue_not_allowed(desk: Desk, bot: LocalAccount) -> None:
    desk.grant(bot)
    assert desk.reason(desk.sign(bot, venue=OTHER_VENUE)) is Reason.VENUE_NOT_ALLOWED


def test_market_without_entry_is_market_not_allowed(desk: Desk, bot: LocalAccount) -> None:
    desk.grant(bot)
    assert desk.reason(desk.sign(bot, market=2)) is Reason.MARKET_NOT_ALLOWED


def test_size_cap_is_inclusive(desk: Desk, bot: LocalAccount) -> None:
    desk.grant(bot)
    assert desk.reason(desk.sign(bot, size=10 * E)) is Reason.AUTHORIZED
    assert desk.reason(desk.sign(bot, size=10 * E + 1)) is Reason.ORDER_TOO_LARGE


@pytest.mark.parametrize(
    ("price", "reason"),
    [
        (100 * E - 1, Reason.PRICE_OUT_OF_BAND),
        (100 * E, Reason.AUTHORIZED),
        (200 * E, Reason.AUTHORIZED),
        (200 * E + 1, Reason.PRICE_OUT_OF_BAND),
    ],
)
def test_price_band_edges_are_inclusive(desk: Desk, bot: LocalAccount, price: int, reason: Reason) -> None:
    desk.grant(bot)
    assert desk.reason(desk.sign(bot, price=price, size=1)) is reason


def test_order_is_dead_after_its_deadline(desk: Desk, bot: LocalAccount) -> None:
    desk.grant(bot)
    now = desk.now()
    assert desk.reason(desk.sign(bot, deadline=now)) is Reason.AUTHORIZED
    assert desk.reason(desk.sign(bot, deadline=now - 1)) is Reason.ORDER_EXPIRED


def test_settled_nonce_is_nonce_already_used(desk: Desk, bot: LocalAccount) -> None:
    desk.grant(bot)
    signed = desk.sign(bot)
    assert desk.settle(signed).outcomes[0].settled
    assert desk.reason(signed) is Reason.NONCE_ALREADY_USED
    replay = desk.settle(signed).outcomes[0]
    assert replay.reason is Reason.NONCE_ALREADY_USED


def test_invalidated_nonces_are_nonce_already_used(desk: Desk, bot: LocalAccount) -> None:
    desk.grant(bot)
    first, second = desk.sign(bot, nonce=3), desk.sign(bot, nonce=4)
    desk.account.invalidate_nonces(desk.owner, bot.address, 0, 1 << 3)
    assert desk.reason(first) is Reason.NONCE_ALREADY_USED
    assert desk.reason(second) is Reason.AUTHORIZED


def test_order_count_cap_is_reached_exactly_then_rate_limited(desk: Desk, bot: LocalAccount) -> None:
    desk.grant(bot)
    settled = desk.settle(*(desk.sign(bot) for _ in range(3)))
    assert all(o.settled for o in settled.outcomes)
    assert desk.reason(desk.sign(bot)) is Reason.RATE_LIMITED


def test_notional_cap_is_reached_exactly_then_exceeded(desk: Desk, bot: LocalAccount) -> None:
    desk.grant(bot, max_notional_per_window=300 * E, max_orders_per_window=10)
    # 2 * 150 = 300: exactly the cap.
    assert all(o.settled for o in desk.settle(desk.sign(bot, size=E), desk.sign(bot, size=E)).outcomes)
    assert desk.reason(desk.sign(bot, size=1, price=100 * E)) is Reason.NOTIONAL_CAP_EXCEEDED


def test_notional_rounds_down(desk: Desk, bot: LocalAccount) -> None:
    # size 1 at price 150e18 - 1 is 149.999... units of notional, which rounds down to 149.
    desk.grant(bot, max_notional_per_window=149, max_orders_per_window=10)
    assert desk.reason(desk.sign(bot, size=1, price=150 * E - 1)) is Reason.AUTHORIZED


def test_notional_past_uint256_is_notional_cap_exceeded(desk: Desk, bot: LocalAccount) -> None:
    desk.grant(bot, markets=[market_limit(ANY_MARKET)])
    assert desk.reason(desk.sign(bot, size=2**200, price=2**200)) is Reason.NOTIONAL_CAP_EXCEEDED


def test_window_total_past_uint256_is_notional_cap_exceeded(desk: Desk, bot: LocalAccount) -> None:
    desk.grant(bot, markets=[market_limit(ANY_MARKET)], max_notional_per_window=2**256 - 1)
    # Each order's notional is 1e18 * 2**255 / 1e18 = 2**255: the second would take the total to 2**256.
    assert desk.settle(desk.sign(bot, size=E, price=2**255)).outcomes[0].settled
    assert desk.reason(desk.sign(bot, size=E, price=2**255)) is Reason.NOTIONAL_CAP_EXCEEDED


def test_window_notional_across_its_224_bit_word_is_exact(desk: Desk, bot: LocalAccount) -> None:
    """The window's notional shares a word with its count while it fits in 224 bits (docs/storage.md);
    a total that reaches 2**224 - 1 moves to its own word. Attack the boundary: the totals read back
    and the cap still bind to the unit."""
    desk.grant(bot, markets=[market_limit(ANY_MARKET)], max_notional_per_window=2**224, max_orders_per_window=10)
    notional = lambda: desk.account.contract.functions.getSession(bot.address).call()[4]  # noqa: E731
    assert desk.settle(desk.sign(bot, size=E, price=2**224 - 2)).outcomes[0].settled
    assert notional() == 2**224 - 2
    assert desk.settle(desk.sign(bot, size=E, price=1)).outcomes[0].settled
    assert notional() == 2**224 - 1
    assert desk.settle(desk.sign(bot, size=E, price=1)).outcomes[0].settled  # exactly the cap
    assert notional() == 2**224
    assert desk.reason(desk.sign(bot, size=E, price=1)) is Reason.NOTIONAL_CAP_EXCEEDED


def test_window_rollover_resets_counts(desk: Desk, bot: LocalAccount) -> None:
    scope = desk.grant(bot)
    desk.settle(*(desk.sign(bot) for _ in range(3)))
    assert desk.reason(desk.sign(bot)) is Reason.RATE_LIMITED
    next_window = scope.valid_after + ((desk.now() - scope.valid_after) // 60 + 1) * 60
    desk.chain.travel_to(next_window - 1)
    assert desk.reason(desk.sign(bot)) is Reason.RATE_LIMITED  # last second of the old window
    desk.chain.travel_to(next_window)
    assert desk.reason(desk.sign(bot)) is Reason.AUTHORIZED


def test_zero_window_is_a_lifetime_cap(desk: Desk, bot: LocalAccount) -> None:
    desk.grant(bot, window_seconds=0, max_orders_per_window=1)
    assert desk.settle(desk.sign(bot)).outcomes[0].settled
    desk.chain.travel_to(desk.now() + 1_000)
    assert desk.reason(desk.sign(bot)) is Reason.RATE_LIMITED


def test_explicit_market_entry_wins_over_any_market(desk: Desk, bot: LocalAccount) -> None:
    desk.grant(bot, markets=[market_limit(ANY_MARKET, max_order_size=100 * E), market_limit(1, max_order_size=E)])
    assert desk.reason(desk.sign(bot, market=1, size=2 * E)) is Reason.ORDER_TOO_LARGE
    assert desk.reason(desk.sign(bot, market=7, size=2 * E)) is Reason.AUTHORIZED


def test_zero_caps_allow_nothing(desk: Desk, bot: LocalAccount) -> None:
    desk.grant(bot, max_orders_per_window=0)
    assert desk.reason(desk.sign(bot)) is Reason.RATE_LIMITED


@pytest.mark.parametrize("nonce", [255, 256, 2**240, 2**256 - 1])
def test_nonce_word_boundaries(desk: Desk, bot: LocalAccount, nonce: int) -> None:
    desk.grant(bot)
    signed = desk.sign(bot, nonce=nonce)
    neighbour = desk.sign(bot, nonce=nonce - 1)
    assert desk.settle(signed).outcomes[0].settled
    assert desk.account.nonce_bitmap(bot.address, nonce >> 8) == 1 << (nonce & 255)
    assert desk.reason(signed) is Reason.NONCE_ALREADY_USED
    assert desk.reason(neighbour) is Reason.AUTHORIZED


def test_precedence_revoked_before_frozen_before_expiry(desk: Desk, bot: LocalAccount, bot2: LocalAccount) -> None:
    end = desk.now() + 20
    desk.grant(bot, valid_until=end)
    desk.grant(bot2, valid_until=end)
    desk.account.revoke(desk.owner, bot.address)
    desk.account.freeze(desk.owner)
    desk.chain.travel_to(end + 1)
    assert desk.reason(desk.sign(bot, venue=OTHER_VENUE)) is Reason.SESSION_REVOKED
    assert desk.reason(desk.sign(bot2, venue=OTHER_VENUE)) is Reason.ACCOUNT_FROZEN


def test_owner_is_bound_by_deadline_and_nonce_only(desk: Desk) -> None:
    owner = desk.owner
    assert desk.reason(desk.sign(owner, venue=OTHER_VENUE, market=5, size=2**255, price=0)) is Reason.AUTHORIZED
    assert desk.reason(desk.sign(owner, deadline=desk.now() - 1)) is Reason.ORDER_EXPIRED
    stranger = named_key("stranger")
    assert desk.reason(desk.sign(stranger)) is Reason.UNKNOWN_SIGNER
