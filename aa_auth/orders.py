"""The Order record of SPEC section 3, validated on construction, and the fast path that signs orders."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from aa_auth._abi_types import check_address, check_uint
from aa_auth.errors import InvalidInput
from aa_auth.signatures import SigningKey
from aa_auth.typed_data import domain_separator, hash_order, typed_data_hash

__all__ = ["Order", "OrderSigner", "SignedOrder"]


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


class OrderSigner:
    """Signs orders with one key for one account on one chain.

    The domain separator is computed once, so each order costs one 256-byte keccak, one 66-byte
    keccak and one libsecp256k1 signature.
    """

    __slots__ = ("_key", "_chain_id", "_account", "_domain")

    def __init__(self, private_key: bytes | str, chain_id: int, account: str) -> None:
        self._key = SigningKey(private_key)
        self._chain_id = chain_id
        self._account = check_address("account", account)
        self._domain = domain_separator(chain_id, self._account)  # also validates chain_id

    @property
    def address(self) -> str:
        """The signer's checksummed address (the session key or the owner)."""
        return self._key.address

    @property
    def account(self) -> str:
        return self._account

    @property
    def chain_id(self) -> int:
        return self._chain_id

    def sign(self, order: Order) -> SignedOrder:
        if not isinstance(order, Order):
            raise InvalidInput(f"sign() takes an Order record, got {type(order).__name__}; build one with Order(...)")
        digest = typed_data_hash(self._domain, hash_order(order))
        return SignedOrder(self._account, order, self._key.sign_digest(digest), digest, self._key.address)

    def sign_many(self, orders: Iterable[Order]) -> list[SignedOrder]:
        return [self.sign(order) for order in orders]

    def __repr__(self) -> str:
        return f"OrderSigner(address={self.address}, chain_id={self._chain_id}, account={self._account})"
