"""forge build reproduces the shipped artifacts, and the Solidity tests under tests/foundry pass."""

from __future__ import annotations

import json
import re
from pathlib import Path

from aa_auth.chain.compiler import ARTIFACTS, CONTRACTS

from .forge import ROOT, run_forge

OUT = ROOT / "build" / "forge" / "out"


def test_forge_build_yields_the_shipped_bytecode() -> None:
    # Full bytecode, metadata hash included, as tests/unit/test_artifacts.py compares a recompile:
    # equal CBOR metadata means forge saw the same sources, unit names, remappings and settings.
    run_forge("build")
    for name in CONTRACTS:
        shipped = json.loads((ARTIFACTS / f"{name}.json").read_text())
        built = json.loads((OUT / f"{name}.sol" / f"{name}.json").read_text())
        assert built["bytecode"]["object"] == shipped["bytecode"], f"{name}: creation code differs"
        assert built["deployedBytecode"]["object"] == shipped["deployedBytecode"], f"{name}: runtime code differs"


def test_forge_test_passes() -> None:
    done = run_forge("test")
    assert "0 failed" in done.stdout and " passed" in done.stdout, done.stdout


def test_gas_snapshot_is_current() -> None:
    # Exact: the chain is deterministic. After a deliberate change: forge snapshot --match-contract GasTest
    run_forge("snapshot", "--match-contract", "GasTest", "--check")


def test_gas_snapshot_check_fails_on_a_changed_figure(tmp_path: Path) -> None:
    changed = tmp_path / "gas-snapshot"
    lines = (ROOT / ".gas-snapshot").read_text().splitlines()
    lines[0] = re.sub(r"gas: (\d+)", lambda m: f"gas: {int(m[1]) - 1}", lines[0])
    changed.write_text("\n".join(lines) + "\n")
    try:
        run_forge("snapshot", "--match-contract", "GasTest", "--check", str(changed))
    except AssertionError as failure:
        assert "Diff in" in str(failure) or "gas" in str(failure)
    else:
        raise AssertionError("forge snapshot --check accepted a figure 1 gas lower than measured")
