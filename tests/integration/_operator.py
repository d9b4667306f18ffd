"""Helpers for the operator tests (deployments, CLI, inspect, anvil end to end)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount

from aa_auth.chain.connection import Chain
from tests.conftest import named_key

ETHER = 10**18
PASSWORD = "correct horse battery staple"


def write_keystore(directory: Path, key: LocalAccount, password: str = PASSWORD) -> tuple[Path, Path]:
    """An eth-account keystore of `key` and a password file beside it (cheap pbkdf2, for tests only)."""
    directory.mkdir(parents=True, exist_ok=True)
    keystore = directory / f"{key.address}.json"
    keystore.write_text(json.dumps(Account.encrypt(key.key, password, kdf="pbkdf2", iterations=1_000)))
    password_file = directory / f"{key.address}.password"
    password_file.write_text(password + "\n")
    return keystore, password_file


def funded(chain: Chain, name: str) -> LocalAccount:
    key = named_key(f"operator: {name}")
    chain.fund(key.address, 100 * ETHER)
    return key


@contextmanager
def rolled_back(chain: Chain) -> Iterator[Chain]:
    """Everything done inside is undone afterwards, so tests sharing one node do not see each other."""
    snapshot = chain.snapshot()
    try:
        yield chain
    finally:
        chain.revert(snapshot)
