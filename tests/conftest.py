"""Shared fixtures: one embedded chain with a deployed stack per session, snapshot-reverted per test."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from aa_auth.chain.connection import Chain
from aa_auth.contracts.account import SmartAccount
from aa_auth.contracts.stack import Stack, create_account, deploy_stack

ETHER = 10**18


def named_key(name: str) -> LocalAccount:
    """A deterministic test key, so failures reproduce with the same addresses."""
    return Account.from_key(keccak(text=f"aa-auth test key: {name}"))


# The tests decide at exact times ("the next block is the latest + 1 s"). A block is never stamped
# earlier than its parent + 1 s, so on a chain a day ahead of the wall clock it is always exactly that.
TEST_CLOCK_LEAD = 86_400


@pytest.fixture(scope="session")
def chain() -> Chain:
    created = Chain.create_embedded()  # at the wall clock, like a node
    created.travel_to(int(time.time()) + TEST_CLOCK_LEAD)
    return created


def funded_key(chain: Chain, name: str) -> LocalAccount:
    """`named_key(name)` holding 1,000 ether on `chain`."""
    key = named_key(name)
    chain.fund(key.address, 1_000 * ETHER)
    return key


@pytest.fixture(scope="session")
def deployer(chain: Chain) -> LocalAccount:
    return funded_key(chain, "deployer")


@pytest.fixture(scope="session")
def owner(chain: Chain) -> LocalAccount:
    return funded_key(chain, "owner")


@pytest.fixture(scope="session")
def stack(chain: Chain, deployer: LocalAccount) -> Stack:
    return deploy_stack(chain, deployer)


@pytest.fixture(scope="session")
def account(chain: Chain, stack: Stack, deployer: LocalAccount, owner: LocalAccount) -> SmartAccount:
    created, _ = create_account(chain, stack, deployer, owner.address)
    return created


@pytest.fixture
def isolated(chain: Chain, stack: Stack, account: SmartAccount) -> Iterator[Chain]:
    """Runs a test on a snapshot of the deployed stack and reverts it afterwards."""
    snapshot = chain.snapshot()
    yield chain
    chain.revert(snapshot)


@pytest.fixture(scope="session")
def anvil_url() -> Iterator[str]:
    """A real JSON-RPC node (anvil) on a free loopback port, stopped after the session."""
    from tests.anvil import running_anvil

    with running_anvil() as url:
        yield url


@pytest.fixture(scope="session")
def test_artifacts() -> dict[str, dict[str, object]]:
    """Helper contracts under tests/contracts/, compiled with the project's compiler and settings."""
    from pathlib import Path

    from aa_auth.chain.compiler import compile_contracts

    names = tuple(p.stem for p in sorted((Path(__file__).parent / "contracts").glob("*.sol")))
    return compile_contracts(names, ("contracts", "tests/contracts")) if names else {}
