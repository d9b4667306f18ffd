"""Hypothesis profiles for the property tests, and the world they run in.

Profiles (docs/testing.md): "ci" by default, "heavy" with `HYPOTHESIS_PROFILE=heavy`. They apply to
the tests of this directory only (through `PROPERTY_SETTINGS`), so loading one never changes the
settings of hypothesis tests elsewhere in the suite.

The world is ONE deployed stack (the session fixtures), fresh accounts made for these tests, and one
snapshot that every example reverts to first, so examples never see each other's state.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from eth.estimators.gas import binary_gas_search
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from hypothesis import HealthCheck, settings

from aa_auth.chain.connection import Chain
from aa_auth.contracts.account import SmartAccount
from aa_auth.contracts.stack import Stack, create_account
from tests.conftest import named_key

PROFILE_ENV = "HYPOTHESIS_PROFILE"

# The state machine asks for the chain, stack and `isolated` fixtures once per test function, not once
# per example, on purpose: a fresh chain per example would cost seconds. Each example instead reverts
# the chain to its own clean snapshot before its first step. That is the situation the
# function_scoped_fixture health check warns about, so that check, and only that one, is suppressed.
settings.register_profile(
    "ci",
    max_examples=200,
    stateful_step_count=12,
    deadline=None,  # a step sends transactions: its duration says nothing about the code under test
    derandomize=False,
    print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
settings.register_profile("heavy", parent=settings.get_profile("ci"), max_examples=2_000, stateful_step_count=30)

PROPERTY_PROFILE = os.environ.get(PROFILE_ENV, "ci")
PROPERTY_SETTINGS = settings.get_profile(PROPERTY_PROFILE)  # raises InvalidArgument for an unknown name


@dataclass(frozen=True)
class World:
    """Everything an example needs, and the snapshot it starts from."""

    chain: Chain
    stack: Stack
    account: SmartAccount  # fresh: no session, no nonce used, not frozen, grant nonce 0
    other_account: str  # the same owner's second account: a signature for it is worthless on `account`
    owner: LocalAccount
    relayer: LocalAccount  # sends settlements and relays signed grants/revocations
    keys: dict[str, LocalAccount]  # session-key pool, plus a "stranger" that is never granted
    base_snapshot: Any
    base_time: int
    base_block: int


@pytest.fixture
def fast_embedded_chain(chain: Chain) -> Iterator[None]:
    """Two speed-ups of the embedded chain's plumbing, for this test only; nothing aa_auth computes changes.

    - Gas is estimated with two runs instead of py-evm's ~15-step binary search: a search whose
      tolerance exceeds the block gas limit runs a transaction once at its intrinsic gas and once at the
      block gas limit. A revert still raises (so `Chain.send` still turns it into a named error) and the
      estimate is the block gas limit, so a transaction carries a higher gas limit and nothing inside it
      can run out of gas; gas used, state and events are unchanged.
    - `eth_accounts` is answered from a cache. web3's eth-tester provider asks for it twice on every
      `eth_call` without a `from` (to fill one in), and eth-tester re-derives and re-checksums all ten
      test accounts each time: about a quarter of the cost of every read.

    Together they make a step several times faster, which buys the property test its example count.
    """
    evm_chain, tester = chain.tester.backend.chain, chain.tester
    estimator = evm_chain.gas_estimator
    accounts = tuple(tester.get_accounts())
    evm_chain.gas_estimator = binary_gas_search(tolerance=2**256)
    tester.get_accounts = lambda: accounts  # an instance attribute, shadowing the method until deleted
    try:
        yield
    finally:
        evm_chain.gas_estimator = estimator
        del tester.get_accounts


@pytest.fixture
def world(
    isolated: Chain,
    stack: Stack,
    owner: LocalAccount,
    deployer: LocalAccount,
    fast_embedded_chain: None,
) -> World:
    chain = isolated
    account, _ = create_account(chain, stack, deployer, owner.address, keccak(text="aa-auth property: account"))
    other, _ = create_account(chain, stack, deployer, owner.address, keccak(text="aa-auth property: other account"))
    keys = {f"bot{i}": named_key(f"property bot {i}") for i in range(6)}
    keys["stranger"] = named_key("property stranger")
    chain.fund(keys["stranger"].address, 10**18)  # so its refused calls revert rather than go unpaid
    snapshot = chain.snapshot()
    return World(
        chain=chain,
        stack=stack,
        account=account,
        other_account=other.address,
        owner=owner,
        relayer=deployer,
        keys=keys,
        base_snapshot=snapshot,
        base_time=chain.timestamp(),
        base_block=chain.w3.eth.block_number,
    )

