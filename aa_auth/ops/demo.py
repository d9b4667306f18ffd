"""The main job: the whole aa-auth story on the embedded chain, in one command.

Deploy, create an account, grant two scoped session keys, let the bots sign orders, settle them
through the venue and show, per order, what the off-chain verifier predicted and what the chain did.
"""

from __future__ import annotations

import io
import json
import sys
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TextIO

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from aa_auth.chain.connection import Chain
from aa_auth.contracts.account import SmartAccount
from aa_auth.contracts.stack import Stack, create_account, deploy_stack
from aa_auth.contracts.venue import Venue
from aa_auth.ops.markets import QUOTE_DECIMALS, Market, MarketList, scaled
from aa_auth.ops.render import count, fields, market, notional, price, size, table, when
from aa_auth.ops.views import scope_lines
from aa_auth.protocol.orders import Order, SignedOrder
from aa_auth.protocol.scope import Scope, market_limit, scope
from aa_auth.protocol.signer import OrderSigner
from aa_auth.protocol.verify import Verifier, key_status, window_usage

U = 10**18
BTC, ETH, SOL = 1, 2, 3
MARKETS = MarketList([Market(BTC, "BTC-USD", 18), Market(ETH, "ETH-USD", 18), Market(SOL, "SOL-USD", 18)])
# The demo's clock: a fixed start, far ahead of the wall clock, so every block is its parent + 1 second
# (py-evm takes max(parent + 1, wall clock)) and two runs print the same bytes, whatever the date.
DEMO_START = 4_102_444_800  # 2100-01-01 00:00:00 UTC


def _key(name: str) -> LocalAccount:
    # Fixed keys keep the demo's addresses identical from run to run.
    key: LocalAccount = Account.from_key(keccak(text=f"aa-auth demo: {name}"))
    return key


@dataclass
class Bot:
    name: str
    key: LocalAccount
    signer: OrderSigner
    nonce: int = 0

    def order(self, venue: str, market_id: int, is_buy: bool, base: str, quote: str, deadline: int) -> SignedOrder:
        """An order of `base` whole base units at `quote` whole quote units per base (exact decimals)."""
        nonce, self.nonce = self.nonce, self.nonce + 1
        listed = MARKETS.by_id(market_id)
        assert listed is not None
        return self.signer.sign(Order(venue, market_id, is_buy, scaled(Decimal(base), listed.base_decimals, "size"),
                                      scaled(Decimal(quote), QUOTE_DECIMALS, "price"), nonce, deadline))


@dataclass
class Demo:
    chain: Chain
    stack: Stack
    account: SmartAccount
    owner: LocalAccount
    relayer: LocalAccount
    venue: Venue
    out: TextIO
    report: dict[str, Any]

    def say(self, text: str = "") -> None:
        print(text, file=self.out)

    def settle(self, title: str, batch: list[tuple[Bot, SignedOrder, str]]) -> None:
        """Predict each order off-chain, settle the batch, and show both side by side."""
        signers = {o.signer for _, o, _ in batch}
        words = {(o.signer, o.order.nonce >> 8) for _, o, _ in batch}
        # The batch lands in the next block, one second after the latest (see DEMO_START).
        verifier = Verifier(self.account.state(signers, words, timestamp=self.chain.timestamp() + 1))
        predicted = [verifier.consume(o.order, o.signature).reason for _, o, _ in batch]
        settlement = self.venue.settle(self.relayer, [o for _, o, _ in batch])
        rows, records = [], []
        for (bot, signed, note), guess, outcome in zip(batch, predicted, settlement.outcomes):
            o = signed.order
            agree = "yes" if guess is outcome.reason else "NO"
            rows.append([bot.name, market(o.market, MARKETS), "buy" if o.is_buy else "sell", size(o.size, MARKETS.by_id(o.market)),
                         price(o.price), o.nonce, note, guess.label, outcome.reason.label, agree])
            records.append({"bot": bot.name, "market": o.market, "isBuy": o.is_buy, "size": str(o.size),
                            "price": str(o.price), "nonce": o.nonce, "case": note, "predicted": int(guess),
                            "reason": int(outcome.reason), "digest": "0x" + outcome.digest.hex()})
            if guess is not outcome.reason:
                self.report["disagreements"] += 1
        self.say(f"\n== {title}: {count(len(batch), 'order')} in one settle() — {settlement.gas_used:,} gas "
                 f"({settlement.gas_used // len(batch):,} per order), block {settlement.block_number}")
        self.say(table(["bot", "market", "side", "size", "price", "nonce", "case", "verifier", "chain", "agree"], rows))
        self.report["batches"].append({"title": title, "gasUsed": settlement.gas_used, "orders": records})


def _scopes(venue: str, now: int) -> dict[str, Scope]:
    return {
        "btc-maker": scope(
            valid_after=now, valid_until=now + 7 * 86_400, venues=[venue],
            markets=[market_limit(BTC, max_order_size=2 * U, min_price=90_000 * U, max_price=110_000 * U)],
            max_orders_per_window=10, max_notional_per_window=1_000_000 * U, window_seconds=3_600,
        ),
        "eth-maker": scope(
            valid_after=now, valid_until=now + 86_400, venues=[venue],
            markets=[market_limit(ETH, max_order_size=50 * U, min_price=2_000 * U, max_price=4_000 * U)],
            max_orders_per_window=3, max_notional_per_window=200_000 * U, window_seconds=60,
        ),
    }


def run_demo(json_output: bool = False, out: TextIO | None = None) -> int:
    """Run the story; prints tables (or one JSON document). Returns 0 when chain and verifier agreed."""
    human = sys.stdout if out is None else out
    demo = _setup(io.StringIO() if json_output else human)
    _story(demo)
    if json_output:
        print(json.dumps(demo.report, indent=2, sort_keys=True), file=human)
    return 0 if demo.report["disagreements"] == 0 else 1


def _setup(out: TextIO) -> Demo:
    chain = Chain.create_embedded()
    deployer, owner = _key("deployer"), _key("owner")
    for funded in (deployer, owner):
        chain.fund(funded.address, 100 * U)
    chain.travel_to(DEMO_START)
    print(f"chain id {chain.chain_id} (the embedded eth-tester chain); demo clock starts at {when(DEMO_START)}, "
          "fixed so that every run prints the same", file=out)
    stack = deploy_stack(chain, deployer)
    account, receipt = create_account(chain, stack, deployer, owner.address, keccak(text="desk 1"))
    assert receipt is not None
    report: dict[str, Any] = {
        "chainId": chain.chain_id,
        "contracts": {"EntryPoint": stack.entry_point, "AccountFactory": stack.factory, "ReferenceVenue": stack.venue},
        "account": account.address, "owner": owner.address, "gas": {"createAccount": receipt["gasUsed"]},
        "batches": [], "disagreements": 0, "markets": MARKETS.to_json()["markets"],
    }
    print(table(["contract", "address"], [[k, v] for k, v in report["contracts"].items()]), file=out)
    print(f"\naccount {account.address} for owner {owner.address} (createAccount: {receipt['gasUsed']:,} gas)", file=out)
    return Demo(chain, stack, account, owner, deployer, Venue(chain, stack.venue), out, report)


def _story(d: Demo) -> None:
    now = d.chain.timestamp()
    bots: dict[str, Bot] = {}
    d.say("\n== session keys granted (amounts: the raw integer, then in whole units: sizes of the base asset, "
          "prices and notional of the quote)")
    for name, granted in _scopes(d.stack.venue, now).items():
        key = _key(name)
        receipt = d.account.grant(d.owner, key.address, granted)
        bots[name] = Bot(name, key, OrderSigner(key.key, d.chain.chain_id, d.account.address))
        d.report["gas"][f"grantSession {name}"] = receipt["gasUsed"]
        d.say(f"\n{name}: key {key.address}, grant {receipt['gasUsed']:,} gas")
        d.say(fields(scope_lines(granted, MARKETS)))

    btc, eth, venue = bots["btc-maker"], bots["eth-maker"], d.stack.venue
    deadline = now + 600
    first = btc.order(venue, BTC, True, "1.5", "100_000", deadline)
    d.settle("batch 1", [
        (btc, first, "in scope"),
        (btc, btc.order(venue, BTC, False, "0.5", "101_000", deadline), "in scope"),
        (btc, first, "replayed nonce"),
        (btc, btc.order(venue, BTC, True, "0.1", "100_000", now - 1), "expired order"),
        (btc, btc.order(venue, BTC, True, "3", "100_000", deadline), "over size"),
        (btc, btc.order(venue, BTC, False, "0.1", "150_000", deadline), "price outside band"),
        (btc, btc.order(venue, SOL, True, "10", "150", deadline), "market not allowed"),
        (eth, eth.order(venue, ETH, True, "10", "3_000", deadline), "in scope"),
        (eth, eth.order(venue, ETH, True, "10", "3_000", deadline), "in scope"),
        (eth, eth.order(venue, ETH, False, "5", "3_100", deadline), "in scope"),
        (eth, eth.order(venue, ETH, True, "1", "3_000", deadline), "4th in window"),
    ])

    d.account.revoke(d.owner, eth.key.address)
    d.say(f"\nowner revoked {eth.name}")
    d.account.freeze(d.owner)
    d.say("owner froze the account (kill switch): every session key stops, the owner does not")
    d.settle("batch 2", [
        (eth, eth.order(venue, ETH, True, "1", "3_000", deadline), "revoked key"),
        (btc, btc.order(venue, BTC, True, "0.2", "100_000", deadline), "frozen account"),
    ])
    d.account.unfreeze(d.owner)
    d.say("\nowner unfroze the account")
    d.settle("batch 3", [(btc, btc.order(venue, BTC, True, "0.2", "100_000", deadline), "after unfreeze")])
    _summary(d, bots)


def _summary(d: Demo, bots: dict[str, Bot]) -> None:
    d.say("\n== positions at the venue")
    held = [(m, d.venue.position(d.account.address, m.id)) for m in MARKETS if m.id in (BTC, ETH)]
    d.say(table(["market", "net position"], [[market(m.id, MARKETS), _position(p, m)] for m, p in held]))
    d.say("\n== remaining allowance in the current window (at the latest block)")
    rows, allowance = [], {}
    now = d.chain.timestamp()
    for bot in bots.values():
        session = d.account.session(bot.key.address)
        assert session.scope is not None
        _, used_orders, used_notional = window_usage(session, session.scope, now)
        left_orders = session.scope.max_orders_per_window - used_orders
        left_notional = session.scope.max_notional_per_window - used_notional
        status = key_status(session, now).value
        rows.append([bot.name, status, f"{left_orders} of {session.scope.max_orders_per_window}",
                     f"{notional(left_notional)} of {notional(session.scope.max_notional_per_window, cap=True)}"])
        allowance[bot.name] = {"status": status, "ordersLeft": left_orders,
                               "notionalLeft": str(left_notional)}
    d.say(table(["bot", "status", "orders left", "notional left"], rows))
    agreed = "agreed on every order" if not d.report["disagreements"] else f"DISAGREED {count(d.report['disagreements'], 'time')}"
    d.say(f"\noff-chain verifier and chain {agreed}")
    d.report["positions"] = {m.symbol: str(p) for m, p in held}
    d.report["allowance"] = allowance


def _position(net: int, listed: Market) -> str:
    return "flat" if net == 0 else ("long " if net > 0 else "short ") + size(abs(net), listed)
