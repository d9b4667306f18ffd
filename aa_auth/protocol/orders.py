"""The Order record of SPEC section 3, validated on construction, and a signed order as venues settle it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from aa_auth.errors import InvalidInput
from aa_auth.protocol.values import check_address, check_uint

__all__ = ["Order", "SignedOrder"]


@dataclass(frozen=True)
class Order:
    venue: str
    market: int
    is_buy: bool
    size: int
    price: int
    nonce: int
    deadline: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "venue", check_address("order venue", self.venue))
        if not isinstance(self.is_buy, bool):
            raise InvalidInput(f"is_buy must be a bool, got {self.is_buy!r}")
        for name in ("market", "size", "price", "nonce", "deadline"):
            check_uint(f"order {name}", getattr(self, name))

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
    signature: bytes
    digest: bytes
    signer: str

    def as_abi(self) -> tuple[str, tuple[str, int, bool, int, int, int, int], bytes]:
        """The SPEC's SignedOrder tuple `(account, order, signature)` for ReferenceVenue.settle."""
        return (self.account, self.order.as_abi(), self.signature)
