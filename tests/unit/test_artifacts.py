"""The shipped artifacts are what the pinned compiler makes of contracts/ (SPEC section 12)."""

from __future__ import annotations

import json
from pathlib import Path

from aa_auth.chain.artifacts import artifact
from aa_auth.chain.compiler import ARTIFACTS, CONTRACTS, SOLC_VERSION, compile_contracts, render
from aa_auth.protocol.typed_data import (
    AA_AUTH_MESSAGE_TYPEHASH,
    CALL_PERMISSION_TYPEHASH,
    DOMAIN_TYPEHASH,
    MARKET_LIMIT_TYPEHASH,
    ORDER_TYPEHASH,
    REVOKE_SESSION_TYPEHASH,
    SCOPE_TYPEHASH,
    SESSION_GRANT_TYPEHASH,
)

ROOT = Path(__file__).resolve().parents[2]


def test_committed_artifacts_are_reproduced_by_recompiling() -> None:
    fresh = compile_contracts()
    for name in CONTRACTS:
        committed = (ARTIFACTS / f"{name}.json").read_text()
        assert render(fresh[name]) == committed, f"{name}.json is stale: run `python scripts/compile.py`"


def test_artifacts_record_the_pinned_compiler_and_settings() -> None:
    lock = json.loads((ROOT / "package-lock.json").read_text())
    for name in CONTRACTS:
        compiled = artifact(name)
        assert compiled["compiler"]["version"].startswith(SOLC_VERSION)
        assert {"optimizer", "viaIR", "evmVersion"} <= set(compiled["compiler"]["settings"])
        assert compiled["bytecode"].startswith("0x") and compiled["deployedBytecode"].startswith("0x")
        for package, version in compiled["dependencies"].items():
            assert lock["packages"][f"node_modules/{package}"]["version"] == version


def test_entry_point_artifact_is_the_one_npm_ships() -> None:
    shipped = json.loads((ROOT / "node_modules/@account-abstraction/contracts/artifacts/EntryPoint.json").read_text())
    assert artifact("EntryPoint")["deployedBytecode"] == shipped["deployedBytecode"]


def test_solidity_typehash_constants_equal_the_python_type_strings() -> None:
    source = (ROOT / "contracts/libraries/TypeHashes.sol").read_text()
    for name, value in {
        "ORDER_TYPEHASH": ORDER_TYPEHASH, "MARKET_LIMIT_TYPEHASH": MARKET_LIMIT_TYPEHASH,
        "CALL_PERMISSION_TYPEHASH": CALL_PERMISSION_TYPEHASH, "SCOPE_TYPEHASH": SCOPE_TYPEHASH,
        "SESSION_GRANT_TYPEHASH": SESSION_GRANT_TYPEHASH, "REVOKE_SESSION_TYPEHASH": REVOKE_SESSION_TYPEHASH,
        "AA_AUTH_MESSAGE_TYPEHASH": AA_AUTH_MESSAGE_TYPEHASH, "DOMAIN_TYPEHASH": DOMAIN_TYPEHASH,
    }.items():
        assert f"bytes32 constant {name} = 0x{value.hex()};" in source, name
