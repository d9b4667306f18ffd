"""A deployed SessionAccount: reads, owner actions and signed grants/revocations.

Every write is checked in Python first (addresses, grant rules, signature lengths), so bad input is
refused before a transaction is sent; what only the chain can decide surfaces as a named revert.
"""

from __future__ import annotations

from collections.abc import Iterable

from eth_account.signers.local import LocalAccount
from web3.types import TxReceipt

from aa_auth.chain.connection import Chain
from aa_auth.errors import InvalidInput, Reason
from aa_auth.protocol.orders import Order
from aa_auth.protocol.scope import Scope
from aa_auth.protocol.signatures import SigningKey
from aa_auth.protocol.typed_data import revoke_session_digest, session_grant_digest
from aa_auth.protocol.values import ZERO_ADDRESS, check_address, check_bytes, check_uint
from aa_auth.protocol.verify import AccountState, Decision, SessionState, SessionStatus

SIGNATURE_LENGTH = 65


class SmartAccount:
    """One SessionAccount at `address` on `chain`."""

    def __init__(self, chain: Chain, address: str) -> None:
        self.chain = chain
        self.address = check_address("account", address)
        self.contract = chain.contract("SessionAccount", self.address)

    def __repr__(self) -> str:
        return f"SmartAccount({self.address})"

    # ------------------------------------------------------------ reads

    def owner(self) -> str:
        return str(self.chain.call(self.contract.functions.owner()))

    def guardian(self) -> str:
        return str(self.chain.call(self.contract.functions.guardian()))

    def frozen(self) -> bool:
        return bool(self.chain.call(self.contract.functions.frozen()))

    def grant_nonce(self) -> int:
        return int(self.chain.call(self.contract.functions.grantNonce()))

    def session_keys(self) -> list[str]:
        return [str(k) for k in self.chain.call(self.contract.functions.sessionKeys())]

    def session(self, key: str) -> SessionState:
        status, scope, window_index, orders, notional, gas = self.chain.call(
            self.contract.functions.getSession(check_address("key", key))
        )
        return SessionState(
            status=SessionStatus(status),
            scope=None if status == SessionStatus.NONE else Scope.from_abi(scope),
            window_index=window_index,
            window_orders=orders,
            window_notional=notional,
            gas_fee_spent=gas,
        )

    def nonce_bitmap(self, signer: str, word: int) -> int:
        fn = self.contract.functions.nonceBitmap(check_address("signer", signer), check_uint("word", word))
        return int(self.chain.call(fn))

    def order_digest(self, order: Order) -> bytes:
        return bytes(self.chain.call(self.contract.functions.orderDigest(order.as_abi())))

    def is_order_authorized(self, order: Order, signature: bytes) -> Decision:
        """The contract's own decision (SPEC section 5) at the latest block."""
        reason, signer = self.chain.call(
            self.contract.functions.isOrderAuthorized(order.as_abi(), check_bytes("signature", signature))
        )
        return Decision(Reason(reason), None if signer == ZERO_ADDRESS else str(signer), self.order_digest(order))

    def state(
        self,
        signers: Iterable[str] = (),
        nonce_words: Iterable[tuple[str, int]] = (),
        timestamp: int | None = None,
    ) -> AccountState:
        """A snapshot for the off-chain Verifier: the named signers' sessions and nonce words.

        The decision is made at `timestamp` (default: the latest block, which eth_call also uses).
        """
        sessions: dict[str, SessionState] = {}
        for signer in {check_address("signer", s) for s in signers}:
            session = self.session(signer)
            if session.status is not SessionStatus.NONE:
                sessions[signer] = session
        words: dict[tuple[str, int], int] = {
            (check_address("signer", s), w): self.nonce_bitmap(s, w) for s, w in set(nonce_words)
        }
        return AccountState(
            chain_id=self.chain.chain_id,
            account=self.address,
            owner=self.owner(),
            frozen=self.frozen(),
            timestamp=self.chain.timestamp() if timestamp is None else timestamp,
            sessions=sessions,
            nonce_words=words,
        )

    # ------------------------------------------------------------ owner actions

    def grant(self, owner: LocalAccount, key: str, scope: Scope) -> TxReceipt:
        """Grant `key` the fixed `scope` (SPEC section 4's grant rules are checked first)."""
        key = self._check_grantable(key, scope)
        return self.chain.send(self.contract.functions.grantSession(key, scope.as_abi()), owner)

    def sign_grant(self, owner_key: bytes | str, key: str, scope: Scope, deadline: int, nonce: int | None = None) -> bytes:
        """The owner's SessionGrant signature, at the account's current grant nonce unless given."""
        signer = SigningKey(owner_key)
        self._check_scope(scope)
        if nonce is None:
            nonce = self.grant_nonce()
        digest = session_grant_digest(
            self.chain.chain_id, self.address, check_address("key", key), scope, check_uint("nonce", nonce), check_uint("deadline", deadline)
        )
        return signer.sign_digest(digest)

    def grant_with_sig(self, relayer: LocalAccount, key: str, scope: Scope, deadline: int, signature: bytes) -> TxReceipt:
        """Relay an owner-signed grant; anyone may send it."""
        key = self._check_grantable(key, scope)
        signature = check_bytes("owner signature", signature, SIGNATURE_LENGTH)
        fn = self.contract.functions.grantSessionWithSig(key, scope.as_abi(), check_uint("deadline", deadline), signature)
        return self.chain.send(fn, relayer)

    def revoke(self, owner: LocalAccount, key: str) -> TxReceipt:
        key = self._check_active(key)
        return self.chain.send(self.contract.functions.revokeSession(key), owner)

    def sign_revoke(self, key_private_key: bytes | str) -> bytes:
        """The session key's own RevokeSession signature (a bot kills its own key)."""
        signer = SigningKey(key_private_key)
        return signer.sign_digest(revoke_session_digest(self.chain.chain_id, self.address, signer.address))

    def revoke_with_sig(self, relayer: LocalAccount, key: str, signature: bytes) -> TxReceipt:
        key = self._check_active(key)
        signature = check_bytes("key signature", signature, SIGNATURE_LENGTH)
        return self.chain.send(self.contract.functions.revokeSessionWithSig(key, signature), relayer)

    def rotate(self, owner: LocalAccount, old_key: str, new_key: str) -> TxReceipt:
        old_key = self._check_active(old_key)
        new_key = self._check_new_key(new_key)
        return self.chain.send(self.contract.functions.rotateSession(old_key, new_key), owner)

    def revoke_all(self, owner: LocalAccount) -> TxReceipt:
        return self.chain.send(self.contract.functions.revokeAllSessions(), owner)

    def freeze(self, owner_or_guardian: LocalAccount) -> TxReceipt:
        return self.chain.send(self.contract.functions.freeze(), owner_or_guardian)

    def unfreeze(self, owner: LocalAccount) -> TxReceipt:
        return self.chain.send(self.contract.functions.unfreeze(), owner)

    def set_guardian(self, owner: LocalAccount, guardian: str) -> TxReceipt:
        return self.chain.send(self.contract.functions.setGuardian(check_address("guardian", guardian)), owner)

    def invalidate_nonces(self, owner: LocalAccount, signer: str, word: int, mask: int) -> TxReceipt:
        fn = self.contract.functions.invalidateNonces(
            check_address("signer", signer), check_uint("word", word), check_uint("mask", mask)
        )
        return self.chain.send(fn, owner)

    # ------------------------------------------------------------ pre-flight checks

    def _check_new_key(self, key: str) -> str:
        key = check_address("session key", key)
        if key == ZERO_ADDRESS:
            raise InvalidInput("the session key may not be the zero address")
        if key == self.address:
            raise InvalidInput("the session key may not be the account itself")
        if key == self.owner():
            raise InvalidInput("the session key may not be the owner: the owner already has full authority")
        if self.session(key).status is not SessionStatus.NONE:
            raise InvalidInput(f"{key} was granted on this account before; a key is granted at most once, use a new key")
        return key

    def _check_scope(self, scope: Scope) -> None:
        if not isinstance(scope, Scope):
            raise InvalidInput(f"scope must be a Scope record (build one with aa_auth.scope(...)), got {type(scope).__name__}")
        # The chain would let a key call the EntryPoint if listed: withdrawTo and withdrawStake pay out
        # the account's own deposit and stake, so a key could drain its gas money. Never a key's business.
        if scope.calls:
            entry_point = str(self.chain.call(self.contract.functions.entryPoint()))
            if any(call.target == entry_point for call in scope.calls):
                raise InvalidInput(f"a session key may not call the account's EntryPoint {entry_point}: its deposit and "
                                   "stake functions move the account's gas money; remove that call permission")
        # The chain accepts an expired grant, but the key could never act and a key is granted once.
        latest = self.chain.timestamp()
        if scope.valid_until <= latest:
            raise InvalidInput(f"valid_until {scope.valid_until} is not after the chain's latest block time {latest}: "
                               "the key would be expired before it could act; give a later valid_until")

    def _check_grantable(self, key: str, scope: Scope) -> str:
        self._check_scope(scope)
        return self._check_new_key(key)

    def _check_active(self, key: str) -> str:
        key = check_address("session key", key)
        status = self.session(key).status
        if status is not SessionStatus.ACTIVE:
            raise InvalidInput(f"{key} is not an active session key on this account (status {status.name})")
        return key
