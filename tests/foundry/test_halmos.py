"""halmos proves tests/foundry/halmos's `check_` properties for every input, using the npm forge."""

from __future__ import annotations

from pathlib import Path

from .forge import run_halmos

CHECKS = (
    "check_nonceUsedOnceAndAlone", "check_everyBitIsAddressable", "check_scopeRoundTrip",
    "check_executeReaderMatchesDecoder", "check_executeBatchReaderMatchesDecoder",
)


def test_halmos_proves_every_check(tmp_path: Path) -> None:
    code, out = run_halmos(tmp_path)
    assert code == 0, out
    assert "[FAIL]" not in out and "[TIMEOUT]" not in out and "[ERROR]" not in out, out
    assert "paths have not been fully explored" not in out, out
    for check in CHECKS:
        assert f"[PASS] {check}" in out, f"{check} not proved:\n{out}"
