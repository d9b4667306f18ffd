"""The Order record of SPEC section 3, validated on construction, and a signed order as venues settle it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from aa_auth.errors import InvalidInput
from aa_auth.protocol.values import absolute_or_relative, check_address, check_bytes, check_uint

__all__ = ["Order", "SignedOrder"]


@dataclass(frozen=True, init=False)  # init by hand: `ttl` is an argument, not a field
class Order:
    """An order (SPEC section 3). Give its `deadline` in unix seconds, or `ttl`: seconds from the
    wall clock (`deadline = int(time.time()) + ttl`, ttl > 0); exactly one of them.

    A record, not a policy: a past deadline or a size of 0 is a valid Order (one read back from the
    chain may well be expired). `aa-auth sign-order` refuses to sign those by default.
    """

    venue: str
    market: int
    is_buy: bool
    size: int
    price: int
    nonce: int
    deadline: int

    def __init__(self, venue: str, market: int, is_buy: bool, size: int, price: int, nonce: int,
                 deadline: int | None = None, *, ttl: int | None = None) -> None:
        deadline = absolute_or_relative("an Order", ("deadline", deadline), ("ttl", ttl))
        if not isinstance(is_buy, bool):
            raise InvalidInput(f"is_buy must be a bool, got {is_buy!r}")
        fields = {"venue": check_address("order venue", venue), "market": market, "is_buy": is_buy, "size": size,
                  "price": price, "nonce": nonce, "deadline": deadline}
        for name in ("market", "size", "price", "nonce", "deadline"):
            check_uint(f"order {name}", fields[name])
        for name, value in fields.items():
            object.__setattr__(self, name, value)

    def as_abi(self) -> tuple[str, int, bool, int, int, int, int]:
        return (self.venue, self.market, self.is_buy, self.size, self.price, self.nonce, self.deadline)

    @classmethod
    def from_abi(cls, value: Sequence[Any]) -> Order:
        return cls(*value)

    def to_message(self) -> dict[str, Any]:
        return {
            "venue": self.venue,
            "market": self.market,
            "isBuy": self.is_buy,
            "size": self.size,
            "price": self.price,
            "nonce": self.nonce,
            "deadline": self.deadline,
        }


@dataclass(frozen=True, slots=True)
class SignedOrder:
    """An order signed for `account`: what a venue settles, with the digest and signer for the logs.

    A record OrderSigner makes, not a proof: whoever receives one checks it (verify.py, or the
    account's isOrderAuthorized).
    """

    account: str
    order: Order
    signature: bytes  # or 0x-hex: kept as bytes; any length here, Venue.settle wants 65
    digest: bytes
    signer: str

    def __post_init__(self) -> None:
        if not isinstance(self.order, Order):
            raise InvalidInput(f"a SignedOrder's order must be an Order record, got {type(self.order).__name__}")
        object.__setattr__(self, "account", check_address("signed order account", self.account))
        object.__setattr__(self, "signature", check_bytes("signed order signature", self.signature))
        object.__setattr__(self, "digest", check_bytes("signed order digest", self.digest, 32))

    def as_abi(self) -> tuple[str, tuple[str, int, bool, int, int, int, int], bytes]:
        """The SPEC's SignedOrder tuple `(account, order, signature)` for ReferenceVenue.settle."""
        return (self.account, self.order.as_abi(), self.signature)
