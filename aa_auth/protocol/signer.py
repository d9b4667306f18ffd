"""The fast path that signs orders: one key, one account, one chain, the domain hashed once."""

from __future__ import annotations

from typing import Iterable

from aa_auth.errors import InvalidInput
from aa_auth.protocol.orders import Order, SignedOrder
from aa_auth.protocol.signatures import SigningKey
from aa_auth.protocol.typed_data import domain_separator, hash_order, typed_data_hash
from aa_auth.protocol.values import check_address

__all__ = ["OrderSigner"]


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
