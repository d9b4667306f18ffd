"""Is an address a genuine aa-auth clone? One check for the audit (`aa-auth inspect`) and the gateway.

Genuine means: the factory's code is the shipped AccountFactory, the account's code is exactly
that factory's EIP-1167 clone of its implementation with the owner as immutable argument, and the
factory's own `AccountCreated` event and `getAddress(owner, salt)` name the account.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from eth_utils.crypto import keccak

from aa_auth.chain.connection import Chain
from aa_auth.chain.logs import event_topic, fetch_events
from aa_auth.contracts.deployments import expected_runtime
from aa_auth.protocol.values import check_address

__all__ = ["CloneCheck", "check_clone", "clone_code", "clone_owner", "clone_target"]

# OpenZeppelin Clones._cloneCodeWithImmutableArgs: the runtime part of the creation code it builds.
_PROXY_PREFIX = bytes.fromhex("363d3d373d3d3d363d73")
_PROXY_SUFFIX = bytes.fromhex("5af43d82803e903d91602b57fd5bf3")
_CLONE_LENGTH = len(_PROXY_PREFIX) + 20 + len(_PROXY_SUFFIX) + 20

Progress = Callable[[str], None]


def clone_code(implementation: str, owner: str) -> bytes:
    """The runtime code of AccountFactory's clone: EIP-1167 to `implementation`, then the owner."""
    return _PROXY_PREFIX + bytes.fromhex(implementation[2:]) + _PROXY_SUFFIX + bytes.fromhex(owner[2:])


def clone_target(code: bytes) -> str | None:
    """The implementation an EIP-1167-with-immutable-args clone delegates to, or None."""
    if code[:10] != _PROXY_PREFIX or code[30:45] != _PROXY_SUFFIX:
        return None
    return check_address("implementation", code[10:30])


def clone_owner(code: bytes) -> str | None:
    """The owner baked into the code of a clone (its immutable argument), or None for other code."""
    if len(code) != _CLONE_LENGTH or clone_target(code) is None:
        return None
    return check_address("owner", code[45:])


@dataclass(frozen=True)
class CloneCheck:
    """Whether the account is exactly what the factory deploys, and what did not match."""

    implementation: str | None  # where the code delegates; None when it is no clone at all
    factory: str | None
    expected_implementation: str | None
    factory_code_ok: bool
    code_matches: bool  # code == clone_code(expected_implementation, owner)
    created_by_factory: bool  # AccountCreated found and getAddress(owner, salt) == the account
    salt: str | None
    creation_block: int | None
    problems: tuple[str, ...]

    @property
    def genuine(self) -> bool:
        return self.factory_code_ok and self.code_matches and self.created_by_factory


def check_clone(view: Chain, address: str, code: bytes, owner: str, factory: str, from_block: int, block: int,
                page_blocks: int, progress: Progress | None = None) -> CloneCheck:
    """Compare the account's `code` (read at `block`) with what `factory` deploys for `owner`;
    the creation event is searched in blocks `from_block` to `block`."""
    problems: list[str] = []
    implementation = clone_target(code)
    if implementation is None:
        problems.append("the code is not an EIP-1167 clone with immutable args")
    expected_impl, factory_ok = None, False
    if not view.has_code(factory):
        problems.append(f"no factory at {factory}: pass the factory that created the account")
    else:
        factory_code = bytes(view.w3.eth.get_code(check_address("factory", factory)))
        expected = expected_runtime("AccountFactory", factory)
        factory_ok = expected is not None and keccak(factory_code) == keccak(expected)
        if not factory_ok:
            problems.append(f"the code at {factory} is not the shipped AccountFactory")
        else:
            expected_impl = str(view.call(view.contract("AccountFactory", factory).functions.accountImplementation()))
    code_matches = expected_impl is not None and code == clone_code(expected_impl, owner)
    if expected_impl is not None and not code_matches:
        problems.append(f"the code is not the factory's clone of {expected_impl} for owner {owner}")
    salt, creation_block, created = None, None, False
    if factory_ok:
        created_events = fetch_events(view, "AccountFactory", factory, from_block, block, page_blocks=page_blocks,
                                      topics=[event_topic("AccountFactory", "AccountCreated"), bytes(12) + bytes.fromhex(address[2:])],
                                      progress=progress)
        if not created_events:
            problems.append(f"no AccountCreated event for the account from {factory} in blocks {from_block}-{block}")
        else:
            event = created_events[0]
            salt, creation_block = str(event.args["salt"]), event.block_number
            predicted = view.call(view.contract("AccountFactory", factory).functions.getAddress(owner, bytes.fromhex(salt[2:])))
            created = predicted == address and event.args["owner"] == owner
            if not created:
                problems.append(f"getAddress(owner, {salt}) is {predicted}, not the account")
    return CloneCheck(implementation, factory, expected_impl, factory_ok, code_matches, created, salt, creation_block,
                      tuple(problems))
