"""Gas benchmark: one ERC-20 transfer through handleOps, signed by the owner and by a scoped session key,
and, as the reference, by the owner of EntryPoint v0.8's sample SimpleAccount.

The figure is the gas of the whole `handleOps` transaction (what a bundler pays) for a one-op
bundle. Each signer first sends one operation (its nonce lane, the deposit and the key's budget
slot are then non-zero, as for any bot after its first trade), then the measured one; every
transfer goes to one recipient that already holds tokens, so the token's own cost is the same in
all of them and the difference is the account's: the session key's scope checks and budget charge.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from aa_auth.chain.connection import Chain
from aa_auth.contracts.stack import Stack, create_account
from aa_auth.erc4337.bundler import EntryPoint
from aa_auth.erc4337.userops import Call, execute_call_data
from aa_auth.errors import TransactionError
from aa_auth.protocol.scope import ANY_MARKET, CallPermission, market_limit, scope

__all__ = ["Bundle", "SessionOverhead", "measure_session_overhead"]

_ETHER = 10**18
_TRANSFER = keccak(text="transfer(address,uint256)")[:4]


@dataclass(frozen=True)
class Bundle:
    """One mined one-op handleOps transaction."""

    gas: int
    transaction_hash: bytes


@dataclass(frozen=True)
class SessionOverhead:
    """handleOps of a one-op bundle doing an ERC-20 transfer; steady state is each signer's second operation."""

    owner: Bundle
    session: Bundle
    owner_first: Bundle  # each signer's first operation: fresh nonce lane (and deposit, budget slot)
    session_first: Bundle
    simple_account: Bundle | None  # the same transfer from a SimpleAccount, when its artifacts were given

    @property
    def difference(self) -> int:
        """What a scoped session key costs over the owner, per operation."""
        return self.session.gas - self.owner.gas


def measure_session_overhead(
    chain: Chain,
    stack: Stack,
    funder: LocalAccount,
    token_artifact: dict[str, Any],
    label: str = "gas benchmark",
    simple_account: dict[str, dict[str, Any]] | None = None,
) -> SessionOverhead:
    """Deploy `token_artifact` (an ERC-20 with a no-argument constructor and `mint(address,uint256)`),
    create a fresh account whose session key may call only `transfer` on it, and measure.

    `funder` pays for the setup and acts as the bundler; a local chain (embedded or anvil) is assumed
    for funding the account. `label` seeds the keys, so each label gets its own account.
    `simple_account`: the compiled `SimpleAccount` and `ERC1967Proxy` of @account-abstraction/contracts,
    to measure the same transfer from one (deployed as its SimpleAccountFactory does, behind a proxy).
    """
    owner = Account.from_key(keccak(text=f"aa-auth {label} owner"))
    session = Account.from_key(keccak(text=f"aa-auth {label} session key"))
    recipient = Account.from_key(keccak(text=f"aa-auth {label} recipient")).address
    account, created = create_account(chain, stack, funder, owner.address, keccak(text=label))
    if created is None:
        raise TransactionError(f"the benchmark account for label {label!r} exists already on this chain; pass another label")
    chain.fund(account.address, _ETHER)
    chain.fund(owner.address, _ETHER)  # for the grant transaction only

    token = _deploy(chain, token_artifact, funder)
    for holder in (account.address, recipient):  # the recipient holds tokens: no zero-to-non-zero write
        chain.send(token.functions.mint(holder, 10**24), funder)
    granted = scope(
        valid_until=chain.timestamp() + 365 * 86_400,
        venues=[stack.venue],
        markets=[market_limit(ANY_MARKET)],
        max_gas_fee=_ETHER,
        calls=[CallPermission(token.address, _TRANSFER, 0)],
    )
    account.grant(owner, session.address, granted)

    entry_point = EntryPoint(chain, stack.entry_point)
    transfer = execute_call_data(Call(token.address, 0, bytes.fromhex(token.encode_abi("transfer", args=[recipient, 1])[2:])))

    def bundle(sender: str, signer: LocalAccount) -> Bundle:
        op = entry_point.prepare(sender, transfer, signer.key)
        outcome = entry_point.handle_ops([op], funder)
        if not outcome.ops[0].success:
            raise TransactionError(f"benchmark transfer failed: {outcome.ops[0].revert}")
        return Bundle(outcome.gas_used, outcome.transaction_hash)

    owner_first, session_first = bundle(account.address, owner), bundle(account.address, session)
    owner_steady, session_steady = bundle(account.address, owner), bundle(account.address, session)
    reference = None
    if simple_account is not None:
        simple = _deploy_simple_account(chain, stack, funder, simple_account, owner.address)
        chain.fund(simple, _ETHER)
        chain.send(token.functions.mint(simple, 10**24), funder)
        bundle(simple, owner)
        reference = bundle(simple, owner)
    return SessionOverhead(owner_steady, session_steady, owner_first, session_first, reference)


def _deploy_simple_account(
    chain: Chain, stack: Stack, funder: LocalAccount, artifacts: dict[str, dict[str, Any]], owner: str
) -> str:
    """A SimpleAccount of `owner` for `stack`'s EntryPoint: an ERC1967Proxy initialized as the package's
    SimpleAccountFactory does (the factory itself only answers its EntryPoint's SenderCreator)."""
    implementation = _deploy(chain, artifacts["SimpleAccount"], funder, stack.entry_point)
    initialize = bytes.fromhex(implementation.encode_abi("initialize", args=[owner])[2:])
    proxy, _ = chain.deploy_artifact(artifacts["ERC1967Proxy"], funder, implementation.address, initialize)
    return proxy


def _deploy(chain: Chain, artifact: dict[str, Any], sender: LocalAccount, *args: Any) -> Any:
    address, _ = chain.deploy_artifact(artifact, sender, *args)
    return chain.w3.eth.contract(address=address, abi=artifact["abi"])
