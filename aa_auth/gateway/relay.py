"""The handshake through the gateway (SPEC 14.3): relayed grants and revocations.

A grant is checked by simulating `grantSessionWithSig` at the latest block (the gas estimate):
signature, grant nonce, deadline and the grant rules are then the contract's own, and a refusal is
named by the contract's custom error (`InvalidSignature`, `GrantExpired`, `InvalidValidity`,
`DuplicateMarket`, `KeyAlreadyGranted`, ...). That the scope lists this venue is the gateway's
rule (`VenueNotAllowed`). A revocation is checked here (the key's own RevokeSession signature,
the key active on chain), takes effect in the store first (the key's orders refused, its
accepted ones rejected), and only then is relayed.
"""

from __future__ import annotations

from aa_auth.chain.connection import Chain
from aa_auth.contracts.account import SmartAccount
from aa_auth.errors import ContractRevert, Reason
from aa_auth.gateway.errors import RuleViolation, SessionNotActive, StateUnavailable
from aa_auth.gateway.follower import NODE_ERRORS, Follower
from aa_auth.gateway.metrics import Metrics
from aa_auth.gateway.operator import Operator
from aa_auth.gateway.settings import Settings
from aa_auth.gateway.store.base import Store
from aa_auth.gateway.wire import GrantRequest, RevocationRequest
from aa_auth.protocol.signatures import recover_signer
from aa_auth.protocol.typed_data import revoke_session_digest
from aa_auth.protocol.verify import SessionStatus

__all__ = ["Relay"]


class Relay:
    def __init__(self, chain: Chain, settings: Settings, store: Store, follower: Follower, operator: Operator,
                 metrics: Metrics) -> None:
        self.chain, self.settings, self.store, self.follower = chain, settings, store, follower
        self.operator, self.metrics = operator, metrics

    def _relay(self, account: SmartAccount, function: str, *args: object) -> bytes:
        data = account.contract.encode_abi(function, args=list(args))
        try:
            tx_hash = self.operator.send(account.address, data)
        except ContractRevert as exc:
            raise RuleViolation(f"the account refuses {function}: {exc}", kind=exc.error_name) from None
        except NODE_ERRORS as exc:
            raise StateUnavailable(f"cannot relay {function}: {exc.__class__.__name__}: {exc}") from None
        assert tx_hash is not None  # no record callback refuses
        return tx_hash

    def grant(self, grant: GrantRequest) -> bytes:
        """Relay an owner-signed grant; the transaction hash."""
        self.follower.admit(grant.account)
        if self.settings.venue not in grant.venues:
            raise RuleViolation(f"scope.venues does not list this gateway's venue {self.settings.venue}: the key could "
                                "never trade here", kind="VenueNotAllowed")
        account = SmartAccount(self.chain, grant.account)
        return self._relay(account, "grantSessionWithSig", grant.key, grant.scope, grant.deadline, grant.signature)

    def revoke(self, revocation: RevocationRequest) -> bytes:
        """Refuse the key at once, reject its held orders, then relay its own revocation; the transaction hash."""
        self.follower.admit(revocation.account)
        digest = revoke_session_digest(self.follower.chain_id, revocation.account, revocation.key)
        if recover_signer(digest, revocation.signature) != revocation.key:
            raise RuleViolation(f"signature is not {revocation.key}'s RevokeSession signature for account "
                                f"{revocation.account} on chain {self.follower.chain_id}", kind="InvalidSignature")
        account = SmartAccount(self.chain, revocation.account)
        try:
            status = account.session(revocation.key).status
        except NODE_ERRORS as exc:
            raise StateUnavailable(f"cannot read the key's session: {exc.__class__.__name__}") from None
        if status is not SessionStatus.ACTIVE:
            raise SessionNotActive(f"{revocation.key} is not an active session key of {revocation.account} "
                                   f"(status {status.name.lower()})")
        pulled = self.store.revoke(revocation.account, revocation.key)
        self.metrics.rejected(dict.fromkeys(pulled, Reason.SESSION_REVOKED))
        return self._relay(account, "revokeSessionWithSig", revocation.key, revocation.signature)
