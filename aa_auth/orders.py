"""The Order record of SPEC section 3, validated on construction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from aa_auth._abi_types import check_address, check_uint
from aa_auth.errors import InvalidInput

__all__ = ["Order"]


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
