"""A trading desk on the embedded chain: grant keys, sign orders, decide on- and off-chain, settle."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from aa_auth.chain.connection import Chain
from aa_auth.contracts.account import SmartAccount
from aa_auth.contracts.stack import Stack
from aa_auth.contracts.venue import Settlement, Venue
from aa_auth.errors import Reason
from aa_auth.protocol.orders import Order, SignedOrder
from aa_auth.protocol.scope import Scope, market_limit, scope
from aa_auth.protocol.signer import OrderSigner
from aa_auth.protocol.verify import Decision, Verifier
from tests.conftest import named_key

E = 10**18
MARKET = 1
OTHER_VENUE = "0x" + "ee" * 20


@dataclass
class Desk:
    chain: Chain
    stack: Stack
    account: SmartAccount
    owner: LocalAccount
    relayer: LocalAccount
    venue: Venue
    next_nonce: dict[str, int] = field(default_factory=dict)

    def now(self) -> int:
        return self.chain.timestamp()

    def default_scope(self, **overrides: Any) -> Scope:
        """1 market with a size cap and a price band, 3 orders and 3,000 notional per 60 s window."""
        now = self.now()
        fields: dict[str, Any] = dict(
            valid_after=now - 10,
            valid_until=now + 3_600,
            venues=[self.stack.venue],
            markets=[market_limit(MARKET, max_order_size=10 * E, min_price=100 * E, max_price=200 * E)],
            max_orders_per_window=3,
            max_notional_per_window=3_000 * E,
            window_seconds=60,
        )
        fields.update(overrides)
        return scope(**fields)

    def grant(self, key: LocalAccount, **overrides: Any) -> Scope:
        granted = self.default_scope(**overrides)
        self.account.grant(self.owner, key.address, granted)
        return granted

    def order(self, signer: LocalAccount, **overrides: Any) -> Order:
        nonce = self.next_nonce.get(signer.address, 0)
        self.next_nonce[signer.address] = nonce + 1
        fields: dict[str, Any] = dict(
            venue=self.stack.venue, market=MARKET, is_buy=True, size=E, price=150 * E, nonce=nonce,
            deadline=self.now() + 600,
        )
        fields.update(overrides)
        return Order(**fields)

    def sign(self, signer: LocalAccount, **overrides: Any) -> SignedOrder:
        return OrderSigner(signer.key, self.chain.chain_id, self.account.address).sign(self.order(signer, **overrides))

    def decide(self, order: Order, signature: bytes) -> Decision:
        """The contract's decision at the latest block, asserted equal to the off-chain one."""
        on_chain = self.account.is_order_authorized(order, signature)
        word = order.nonce >> 8
        signers = [on_chain.signer] if on_chain.signer else []
        state = self.account.state(signers, [(s, word) for s in signers])
        off_chain = Verifier(state).check(order, signature)
        assert off_chain == on_chain, f"off-chain {off_chain} != on-chain {on_chain}"
        return on_chain

    def reason(self, signed: SignedOrder) -> Reason:
        return self.decide(signed.order, signed.signature).reason

    def settle(self, *orders: SignedOrder) -> Settlement:
        return self.venue.settle(self.relayer, list(orders))


@pytest.fixture
def desk(isolated: Chain, stack: Stack, account: SmartAccount, owner: LocalAccount, deployer: LocalAccount) -> Iterator[Desk]:
    yield Desk(isolated, stack, account, owner, deployer, Venue(isolated, stack.venue))


@pytest.fixture
def bot() -> LocalAccount:
    return named_key("bot")


@pytest.fixture
def bot2() -> LocalAccount:
    return named_key("bot 2")


from tests.integration.alto_support import alto  # noqa: E402,F401  (fixtures of the bundler tests)
from tests.integration.userop_support import bundler, entry_point, funded, token  # noqa: E402,F401
