"""Amounts on the command line: raw integers as before, human amounts (a decimal point) where the
decimals are known, a market list to name markets by symbol, and one wording in every --help."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from aa_auth.ops.cli import cli
from aa_auth.ops.cli.orders import sign_order
from aa_auth.ops.cli.params import parse_number, parse_uint
from aa_auth.ops.cli.sessions import session_grant
from aa_auth.protocol.scope import MarketLimit, market_limit
from aa_auth.protocol.values import ANY_MARKET, UINT256_MAX
from tests.conftest import named_key
from tests.integration._operator import write_keystore

E = 10**18
ACCOUNT, VENUE = "0x" + "42" * 20, "0x" + "ab" * 20
LIST = {"markets": [{"id": "1", "symbol": "ETH-USD", "baseDecimals": 18}, {"id": "2", "symbol": "BTC-USD", "baseDecimals": 8},
                    {"id": "3", "symbol": "LOTS", "baseDecimals": 0}]}


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("amounts")
    keystore, password = write_keystore(tmp / "keys", named_key("amounts bot"))
    markets = tmp / "markets.json"
    markets.write_text(json.dumps(LIST))
    return {"keystore": keystore, "password": password, "markets": markets, "tmp": tmp}


def _sign(files: dict[str, Path], *args: str, env: Mapping[str, str | None] | None = None) -> Result:
    """`aa-auth sign-order` offline (chain 10, fixed deadline and nonce)."""
    argv = ["--quiet", "sign-order", ACCOUNT, "--chain-id", "10", "--venue", VENUE, "--buy", "--nonce", "5",
            "--deadline", "1900000000", "--keystore", str(files["keystore"]), "--password-file", str(files["password"]), *args]
    return CliRunner(env={"WEB3_PROVIDER_URI": None, "AA_AUTH_MARKETS": None, **(env or {})}).invoke(cli, argv)


def _order(result: Result) -> dict[str, Any]:
    assert result.exit_code == 0, result.stderr
    order: dict[str, Any] = json.loads(result.stdout)["order"]
    return order


def test_sign_order_takes_a_symbol_and_human_amounts_and_signs_the_same_order_as_raw(files: dict[str, Path]) -> None:
    human = _sign(files, "--markets", str(files["markets"]), "--market", "ETH-USD", "--size", "1.5", "--price", "2000.25", "--json")
    raw = _sign(files, "--market", "1", "--size", "1500000000000000000", "--price", "2000250000000000000000", "--json")
    assert _order(human) == _order(raw) and human.stdout == raw.stdout  # the same bytes signed
    assert _order(human)["size"] == str(15 * 10**17) and _order(human)["price"] == str(200025 * 10**16)
    # Sizes use the market's own base decimals: 1.5 BTC is 150,000,000 base units at 8 decimals.
    btc = _sign(files, "--markets", str(files["markets"]), "--market", "btc-usd", "--size", "1.5", "--price", "60000.0", "--json")
    assert (_order(btc)["market"], _order(btc)["size"], _order(btc)["price"]) == ("2", "150000000", str(60_000 * E))


def test_a_listed_market_id_takes_human_sizes_too_and_the_environment_names_the_list(files: dict[str, Path]) -> None:
    via_env = _sign(files, "--market", "2", "--size", "0.5", "--price", "1", "--json", env={"AA_AUTH_MARKETS": str(files["markets"])})
    assert _order(via_env)["size"] == "50000000" and _order(via_env)["price"] == "1"  # price 1 is raw: no point


def test_raw_integers_keep_their_meaning_with_a_market_list(files: dict[str, Path]) -> None:
    listed = _sign(files, "--markets", str(files["markets"]), "--market", "ETH-USD", "--size", "2", "--price", "2000e18", "--json")
    assert (_order(listed)["size"], _order(listed)["price"]) == ("2", str(2000 * E))


def test_sign_order_prints_every_amount_with_its_units(files: dict[str, Path]) -> None:
    result = _sign(files, "--markets", str(files["markets"]), "--market", "ETH-USD", "--size", "1.5", "--price", "2000.25")
    assert result.exit_code == 0, result.stderr
    lines = {line.split(None, 1)[0]: line.split(None, 1)[1] for line in result.stdout.splitlines()}
    assert lines["market"] == "1 (ETH-USD)" and lines["side"] == "buy"
    assert lines["size"] == "1,500,000,000,000,000,000 (1.5 ETH)"
    assert lines["price"] == "2,000,250,000,000,000,000,000 (2,000.25)"
    assert lines["notional"] == "3,000,375,000,000,000,000,000 (3,000.375)"  # size * price / 1e18
    assert lines["deadline"] == "1900000000 (2030-03-17 17:46:40 UTC)"


@pytest.mark.parametrize(("args", "message"), [
    (("--market", "7", "--size", "1.5", "--price", "1"),
     "size 1.5 has a decimal point (whole base units), but its market's base decimals are unknown: list the market in a "
     "market list (--markets FILE or $AA_AUTH_MARKETS), or give base units as a whole number"),
    (("--market", "ETH-USD", "--size", "1", "--price", "1"),
     "market 'ETH-USD' is a symbol: give a market list (--markets FILE or $AA_AUTH_MARKETS) to name markets by symbol"),
    (("--markets", "{markets}", "--market", "SOL-USD", "--size", "1", "--price", "1"),
     "market 'SOL-USD' is not in the market list (it has ETH-USD, BTC-USD, LOTS)"),
    (("--markets", "{markets}", "--market", "LOTS", "--size", "0.5", "--price", "1"),
     "size of LOTS: 0.5 has more than 0 decimals, so it does not convert exactly"),
    (("--markets", "{markets}", "--market", "BTC-USD", "--size", "0.000000001", "--price", "1"),
     "size of BTC-USD: 0.000000001 has more than 8 decimals"),
    (("--market", "1", "--size", "1", "--price", "2000.0000000000000000001"),
     "price: 2000.0000000000000000001 has more than 18 decimals"),
    (("--market", "1", "--size", "1", "--price", "-1.5"), "price must be between 0 and 2**256-1"),
    (("--market", "1.0", "--size", "1", "--price", "1"), "market must be a whole number"),
])
def test_amounts_that_do_not_convert_are_usage_errors(files: dict[str, Path], args: Sequence[str], message: str) -> None:
    out = files["tmp"] / "never.json"
    argv = [a.format(markets=files["markets"]) for a in args]
    result = _sign(files, *argv, "--out", str(out))
    assert result.exit_code == 2 and message in " ".join(result.stderr.split()), result.stderr
    assert not out.exists()


def test_a_decimal_point_is_refused_where_no_amount_is_meant(files: dict[str, Path]) -> None:
    result = _sign(files, "--market", "1", "--size", "1", "--price", "1", "--nonce", "2.0")
    assert result.exit_code == 2 and "nonce must be a whole number" in result.stderr


def test_a_bad_market_list_is_one_line_naming_the_file_and_nothing_is_written(files: dict[str, Path]) -> None:
    bad = files["tmp"] / "bad-markets.json"
    bad.write_text('{"markets": [{"id": "1", "symbol": "ETH-USD", "decimals": 18}]}')
    out = files["tmp"] / "never.json"
    for env, args in (({}, ["--markets", str(bad)]), ({"AA_AUTH_MARKETS": str(bad)}, [])):
        result = _sign(files, *args, "--market", "1", "--size", "1", "--price", "1", "--out", str(out), env=env)
        assert result.exit_code == 1 and not out.exists()
        assert result.stderr.strip().splitlines() == [
            f"Error: market list {bad}: markets[0] must have exactly the fields id, symbol, baseDecimals, "
            "got ['decimals', 'id', 'symbol']"]


def _grant_params(files: dict[str, Path], *args: str) -> dict[str, Any]:
    """What `session grant` parses from its options (conversion only: nothing is sent)."""
    with session_grant.make_context("grant", [ACCOUNT, VENUE, "--keystore", "k.json", "--valid-for", "1d",
                                              "--venue", VENUE, *args]) as ctx:
        return dict(ctx.params)


def test_grant_takes_symbols_and_human_limits(files: dict[str, Path]) -> None:
    params = _grant_params(files, "--market", "ETH-USD,max-size=2.0,min-price=1500.0,max-price=2500.5",
                           "--market", "BTC-USD,max-size=0.25", "--market", "LOTS,max-size=3",
                           "--max-notional", "100000.0", "--markets", str(files["markets"]))
    assert params["market_limits"] == (
        market_limit(1, max_order_size=2 * E, min_price=1500 * E, max_price=25005 * 10**17),
        market_limit(2, max_order_size=25_000_000),
        market_limit(3, max_order_size=3),  # a whole number: raw, even for a listed market
    )
    assert params["max_notional"] == 100_000 * E


def test_grant_keeps_raw_limits_as_before(files: dict[str, Path]) -> None:
    params = _grant_params(files, "--market", "7,max-size=5e18,min-price=1e18,max-price=3e18", "--market", "any,max-size=2",
                           "--max-notional", "100e18")
    assert params["market_limits"] == (market_limit(7, max_order_size=5 * E, min_price=E, max_price=3 * E),
                                       market_limit(ANY_MARKET, max_order_size=2))
    assert params["max_notional"] == 100 * E and isinstance(params["market_limits"][0], MarketLimit)


@pytest.mark.parametrize(("market", "message"), [
    ("7,max-size=1.5", "max-size 1.5 has a decimal point (whole base units), but its market's base decimals are unknown"),
    ("any,max-size=1.5", "max-size 1.5 has a decimal point"),
    ("ETH-USD,max-size=1", "market 'ETH-USD' is a symbol: give a market list"),
    ("7,min-price=0.0000000000000000001", "min-price: 0.0000000000000000001 has more than 18 decimals"),
])
def test_grant_refuses_limits_it_cannot_convert(files: dict[str, Path], market: str, message: str) -> None:
    with pytest.raises(click.BadParameter) as refused:
        _grant_params(files, "--market", market)
    assert message in refused.value.format_message()


def _help(command: click.Command) -> str:
    """The help text without whitespace: click wraps lines, also after a hyphen."""
    with click.Context(command, info_name=command.name) as ctx:
        return "".join(command.get_help(ctx).split())


def _has(text: str, wording: str) -> bool:
    return "".join(wording.split()) in text


def test_help_says_what_each_number_is_in_one_wording() -> None:
    sign, grant = _help(sign_order), _help(session_grant)
    for text in (sign, grant):
        assert _has(text, "Market list: a JSON file of {id, symbol, baseDecimals} ($AA_AUTH_MARKETS).")
    assert _has(sign, "Size in the market's base units: a whole number is raw (1500000000000000000, 1.5e18); with a "
                      "decimal point it is whole base units (1.5), converted with the market's baseDecimals (--markets).")
    assert _has(sign, "Price, quote per base with 18 decimals: a whole number is raw (2000250000000000000000, "
                      "2000.25e18); with a decimal point it is whole quote units (2000.25).")
    assert _has(grant, "Notional per window, quote with 18 decimals (notional = size * price / 1e18, rounded down): a "
                       "whole number is raw (100000e18); with a decimal point it is whole quote units (100000.0). "
                       "Default: unlimited.")
    assert _has(grant, "ID|SYMBOL|any[,max-size=SIZE][,min-price=PRICE][,max-price=PRICE] (repeat): SIZE and PRICE as "
                       "sign-order's --size and --price")
    assert not _has(sign, "Base units.")  # the old, unexplained wording


def test_max_keeps_meaning_the_type_maximum(files: dict[str, Path]) -> None:
    assert _grant_params(files, "--market", "1", "--max-notional", "max")["max_notional"] == UINT256_MAX


def test_number_forms_raw_and_human() -> None:
    assert parse_number("1_500") == 1500 and parse_number("0x10") == 16 and parse_number("1.5e18") == 15 * 10**17
    assert parse_number("2000.25") == Decimal("2000.25") and isinstance(parse_number("2.0"), Decimal)
    with pytest.raises(click.BadParameter, match="is not a whole raw number: an exponent means raw units"):
        parse_number("1.5e0", "size")


def test_a_huge_exponent_is_refused_at_once() -> None:
    started = time.perf_counter()
    with pytest.raises(click.BadParameter, match="must be between 0 and 2\\*\\*256-1"):
        parse_uint("1e999999999", "nonce")  # used to compute 10**999999999 (minutes of CPU) before the range check
    assert time.perf_counter() - started < 0.5
