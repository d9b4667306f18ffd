"""halmos proves tests/foundry/halmos's `check_` properties for every input, using the npm forge."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from .forge import FORGE, ROOT

HALMOS = Path(sys.executable).with_name("halmos")
# Loops in the checks and in UserOpCalls run at most 10 times on these inputs; 16 leaves no path cut.
ARGS = ["--forge-build-out", "build/halmos/out", "--loop", "16", "--solver-timeout-assertion", "120000"]


def test_halmos_proves_every_check() -> None:
    assert HALMOS.exists(), f"{HALMOS} is missing: `pip install -e '.[test]'` installs halmos"
    env = {**os.environ, "FOUNDRY_PROFILE": "halmos", "PATH": f"{FORGE.parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        [str(HALMOS), *ARGS], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    out = re.sub(r"\x1b\[[0-9;]*m", "", done.stdout + done.stderr)  # halmos colours even into a pipe
    assert done.returncode == 0, out
    assert "[FAIL]" not in out and "[TIMEOUT]" not in out and "[ERROR]" not in out, out
    assert "paths have not been fully explored" not in out, out
    for check in (
        "check_nonceUsedOnceAndAlone", "check_everyBitIsAddressable", "check_scopeRoundTrip",
        "check_executeReaderMatchesDecoder", "check_executeBatchReaderMatchesDecoder",
    ):
        assert f"[PASS] {check}" in out, f"{check} not proved:\n{out}"
