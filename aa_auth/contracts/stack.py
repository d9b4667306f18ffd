"""Deploy the aa-auth stack (EntryPoint when missing, factory with its implementation, venue, the
EIP-7702 implementation SessionAccount7702) and accounts.

`deploy_stack` uses plain CREATE, for the embedded chain and tests; on a real network
`aa_auth.contracts.deployments.deploy_deterministic` deploys the same contracts at their CREATE2 addresses
and records them (`aa-auth deploy`).
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_account.signers.local import LocalAccount
from web3.types import TxReceipt

from aa_auth.chain.connection import Chain
from aa_auth.contracts.account import SmartAccount
from aa_auth.errors import InvalidInput
from aa_auth.protocol.values import check_address, check_bytes


@dataclass(frozen=True)
class Stack:
    """Addresses of a deployed stack."""

    entry_point: str
    factory: str
    venue: str
    implementation_7702: str | None = None  # SessionAccount7702, what EOAs delegate to (SPEC 13)


def deploy_stack(chain: Chain, deployer: LocalAccount, entry_point: str | None = None) -> Stack:
    """Deploy the factory, the venue and SessionAccount7702; EntryPoint v0.8 too unless an existing one is given."""
    if entry_point is None:
        entry_point, _ = chain.deploy("EntryPoint", deployer)
    elif not chain.has_code(entry_point):
        raise InvalidInput(f"no contract at EntryPoint address {entry_point} on chain {chain.chain_id}")
    factory, _ = chain.deploy("AccountFactory", deployer, check_address("entry point", entry_point))
    venue, _ = chain.deploy("ReferenceVenue", deployer)
    implementation_7702, _ = chain.deploy("SessionAccount7702", deployer, entry_point)
    return Stack(entry_point=entry_point, factory=factory, venue=venue, implementation_7702=implementation_7702)


def predict_account(chain: Chain, stack: Stack, owner: str, salt: bytes = bytes(32)) -> str:
    fn = chain.contract("AccountFactory", stack.factory).functions.getAddress(
        check_address("owner", owner), check_bytes("salt", salt, 32)
    )
    return str(chain.call(fn))


def create_account(
    chain: Chain, stack: Stack, sender: LocalAccount, owner: str, salt: bytes = bytes(32)
) -> tuple[SmartAccount, TxReceipt | None]:
    """The account of (owner, salt), deployed if it does not exist yet (receipt None when it did)."""
    owner = check_address("owner", owner)
    if int(owner, 16) == 0:
        raise InvalidInput("owner may not be the zero address")
    address = predict_account(chain, stack, owner, salt)
    if chain.has_code(address):
        return SmartAccount(chain, address), None
    factory = chain.contract("AccountFactory", stack.factory)
    receipt = chain.send(factory.functions.createAccount(owner, check_bytes("salt", salt, 32)), sender)
    return SmartAccount(chain, address), receipt
