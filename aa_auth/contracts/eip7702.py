"""EIP-7702 delegation: an EOA's code becomes `0xef0100 || implementation`, and it is the account in place.

The EOA signs an authorization (chainId, implementation, nonce); a type-4 transaction carries it,
paid by the EOA itself or by a sponsor. The chain applies an authorization only when its chain id
is the chain's own (or 0, valid everywhere) and its nonce is the EOA's nonce at that moment;
otherwise it skips it and the transaction still succeeds. So every delegation here is checked by
reading the EOA's code afterwards: exactly the designator, or `DelegationNotApplied`.

Nonces: a self-paid transaction bumps the EOA's nonce before the authorization is processed, so its
authorization carries the EOA's nonce + 1; a sponsor's carries the EOA's current nonce.
Delegating to the zero address undoes a delegation (the code is empty again).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_account.datastructures import SignedSetCodeAuthorization
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from web3.types import TxReceipt

from aa_auth.chain.connection import Chain
from aa_auth.errors import DelegationNotApplied, InvalidInput
from aa_auth.protocol.values import ZERO_ADDRESS, check_address, check_bytes, check_uint

__all__ = [
    "DESIGNATOR_PREFIX",
    "AuthorizationRequest",
    "Delegation",
    "apply_authorization",
    "delegate",
    "delegate_of",
    "delegation",
    "designator",
    "plan_authorization",
    "sign_authorization",
    "undelegate",
]

DESIGNATOR_PREFIX = bytes.fromhex("ef0100")
_DESIGNATOR_LENGTH = len(DESIGNATOR_PREFIX) + 20


def designator(implementation: str) -> bytes:
    """The code an EOA delegated to `implementation` has: `0xef0100 || implementation`."""
    return DESIGNATOR_PREFIX + bytes.fromhex(check_address("implementation", implementation)[2:])


def delegate_of(code: bytes) -> str | None:
    """The implementation a delegation designator points to; None for any other code (or none)."""
    if len(code) != _DESIGNATOR_LENGTH or code[:3] != DESIGNATOR_PREFIX:
        return None
    return to_checksum_address(code[3:])


def delegation(chain: Chain, eoa: str) -> str | None:
    """Where `eoa` delegates now: its designator's implementation, None when it has no code.

    Refuses an address with other code: it is a contract, not an EOA, and cannot delegate."""
    eoa = check_address("EOA", eoa)
    code = bytes(chain.w3.eth.get_code(eoa))
    if not code:
        return None
    target = delegate_of(code)
    if target is None:
        raise InvalidInput(f"{eoa} is a contract on chain {chain.chain_id} (its code is not an EIP-7702 designator): "
                           "only an EOA can delegate")
    return target


@dataclass(frozen=True)
class AuthorizationRequest:
    """What the EOA (`authority`) signs, and who pays the transaction that carries it."""

    chain_id: int
    implementation: str  # the zero address undoes a delegation
    nonce: int
    authority: str
    payer: str  # the authority itself (self-paid) or a sponsor

    @property
    def self_paid(self) -> bool:
        return self.payer == self.authority

    def as_dict(self) -> dict[str, Any]:
        """eth-account's authorization fields."""
        return {"chainId": self.chain_id, "address": self.implementation, "nonce": self.nonce}


def plan_authorization(chain: Chain, authority: str, implementation: str, *, payer: str | None = None,
                       chain_id: int | None = None, nonce: int | None = None,
                       allow_any_chain: bool = False) -> AuthorizationRequest:
    """The authorization `authority` should sign to delegate to `implementation` in a transaction
    paid by `payer` (default: itself), checked before anything is signed.

    `chain_id` defaults to the chain's own. 0 (valid on every chain: one signature would delegate
    the EOA on every network it is used on, at that nonce) is refused unless `allow_any_chain`;
    another chain's id is refused (this chain would skip it). `nonce` defaults to the one the chain
    will expect: the EOA's pending nonce, + 1 when it pays itself.
    """
    authority = check_address("EOA", authority)
    implementation = check_address("implementation", implementation)
    payer = authority if payer is None else check_address("sponsor", payer)
    own = chain.chain_id
    chain_id = own if chain_id is None else check_uint("chain id", chain_id, 256)
    if chain_id == 0 and not allow_any_chain:
        raise InvalidInput("an authorization with chain id 0 is valid on every chain: anyone could replay it wherever "
                           "this EOA's nonce matches; sign for this chain's id, or pass allow_any_chain=True on purpose")
    if chain_id not in (0, own):
        raise InvalidInput(f"an authorization for chain {chain_id} is skipped by this chain ({own}): sign it for {own}")
    if implementation != ZERO_ADDRESS and not chain.has_code(implementation):
        raise InvalidInput(f"no contract at {implementation} on chain {own}: the EOA would delegate to nothing")
    delegation(chain, authority)  # refuses a contract
    if nonce is None:
        nonce = int(chain.w3.eth.get_transaction_count(authority, "pending")) + (1 if payer == authority else 0)
    return AuthorizationRequest(chain_id, implementation, check_uint("nonce", nonce, 64), authority, payer)


def sign_authorization(eoa: LocalAccount, request: AuthorizationRequest) -> SignedSetCodeAuthorization:
    """The EOA's signature of `request` (eth-account's `sign_authorization`)."""
    if eoa.address != request.authority:
        raise InvalidInput(f"the authorization is for {request.authority}, the key given is {eoa.address}")
    signed: SignedSetCodeAuthorization = Account.sign_authorization(request.as_dict(), eoa.key)
    return signed


@dataclass(frozen=True)
class Delegation:
    """A mined delegation transaction whose result was checked."""

    eoa: str
    implementation: str | None  # None: undone, the EOA has no code
    previous: str | None
    receipt: TxReceipt
    authorization: SignedSetCodeAuthorization


def apply_authorization(chain: Chain, payer: LocalAccount, authority: str, authorization: SignedSetCodeAuthorization,
                        *, call_data: bytes = b"") -> TxReceipt:
    """Send `authorization` in a type-4 transaction from `payer` to `authority` (with `call_data`,
    run on the new code), then check the EOA's code is exactly what the authorization sets.

    Raises DelegationNotApplied when the transaction succeeded but the chain skipped the
    authorization (its nonce, chain id or signature did not hold at that moment).
    """
    authority = check_address("EOA", authority)
    implementation = to_checksum_address(authorization.address)
    receipt = chain.transact({"to": authority, "data": check_bytes("call data", call_data),
                              "authorizationList": [authorization]}, payer)
    code = bytes(chain.w3.eth.get_code(authority))
    expected = b"" if implementation == ZERO_ADDRESS else designator(implementation)
    if code != expected:
        found = f"0x{code.hex()}" if code else "empty"
        raise DelegationNotApplied(
            f"transaction {receipt['transactionHash'].to_0x_hex()} succeeded but the chain skipped the authorization: "
            f"the code of {authority} is {found}, not {'empty' if not expected else '0x' + expected.hex()} "
            f"(authorization nonce {authorization.nonce}, chain id {authorization.chain_id}: a stale or wrong nonce, "
            "another chain's id, or a signature of another key); sign a fresh one")
    return receipt


def delegate(chain: Chain, eoa: LocalAccount, implementation: str, *, sponsor: LocalAccount | None = None,
             allow_any_chain: bool = False, call_data: bytes = b"") -> Delegation:
    """Delegate `eoa` to `implementation` (self-paid, or paid by `sponsor`) and check the designator.

    `allow_any_chain` signs with chain id 0 (see `plan_authorization`: only on purpose)."""
    payer = sponsor or eoa
    previous = delegation(chain, eoa.address)
    request = plan_authorization(chain, eoa.address, implementation, payer=payer.address,
                                 chain_id=0 if allow_any_chain else None, allow_any_chain=allow_any_chain)
    signed = sign_authorization(eoa, request)
    receipt = apply_authorization(chain, payer, eoa.address, signed, call_data=call_data)
    now = None if request.implementation == ZERO_ADDRESS else request.implementation
    return Delegation(eoa.address, now, previous, receipt, signed)


def undelegate(chain: Chain, eoa: LocalAccount, *, sponsor: LocalAccount | None = None) -> Delegation:
    """Undo the delegation: delegate to the zero address, after which the EOA has no code."""
    return delegate(chain, eoa, ZERO_ADDRESS, sponsor=sponsor)
