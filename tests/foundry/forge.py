"""Running the npm-pinned forge (package.json) from pytest, so `make test` and CI run the Solidity tests."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORGE = ROOT / "node_modules" / "@foundry-rs" / "forge-linux-amd64" / "bin" / "forge"
# A full cold build (viaIR, 1,000,000 runs, solcjs) takes about a minute here; the invariant campaigns
# a few more. Past this the run is broken, not slow.
TIMEOUT = 900


def run_forge(*args: str, cwd: Path = ROOT, timeout: int = TIMEOUT) -> subprocess.CompletedProcess[str]:
    """Runs forge and fails the calling test with forge's own output when it exits non-zero."""
    if not FORGE.exists():
        raise AssertionError(f"{FORGE} is missing: run `make install` (npm ci installs forge)")
    env = {**os.environ, "FOUNDRY_DISABLE_NIGHTLY_WARNING": "1", "NO_COLOR": "1"}
    done = subprocess.run(
        [str(FORGE), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"forge {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return done
