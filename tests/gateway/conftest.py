"""Gateway tests: one anvil per module with the stack deployed; each test gets a fresh account and gateway."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount

from aa_auth.chain.connection import Chain
from aa_auth.contracts.stack import Stack, deploy_stack
from tests.anvil import running_anvil
from tests.gateway.harness import Venue, fresh_key, venue


@dataclass(frozen=True)
class Node:
    url: str
    chain: Chain
    stack: Stack
    operator: LocalAccount


@pytest.fixture(scope="module")
def node() -> Iterator[Node]:
    with running_anvil() as url:
        chain = Chain.connect(url)
        deployer = fresh_key(chain, "deployer", 100)
        yield Node(url, chain, deploy_stack(chain, deployer), fresh_key(chain, "operator", 100))


@pytest.fixture
def gw(node: Node, tmp_path: Path) -> Iterator[Venue]:
    with venue(node.chain, node.stack, node.operator, tmp_path / "gateway.db") as v:
        yield v


@pytest.fixture
def open_venue(node: Node, tmp_path: Path) -> Iterator[Callable[..., Venue]]:
    """Open a gateway with other settings (e.g. a long --batch-wait that keeps orders held)."""
    names = itertools.count()
    with ExitStack() as stack:
        yield lambda **overrides: stack.enter_context(venue(node.chain, node.stack, node.operator,
                                                            tmp_path / f"gateway-{next(names)}.db", **overrides))
