"""Running the npm-pinned forge (package.json), and halmos over it, so `make test` and CI run the Solidity tests."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORGE = ROOT / "node_modules" / "@foundry-rs" / "forge-linux-amd64" / "bin" / "forge"
# A full cold build (viaIR, 1,000,000 runs, solcjs) takes about a minute here; the invariant campaigns
# a few more. Past this the run is broken, not slow.
TIMEOUT = 900
HALMOS = Path(sys.executable).with_name("halmos")
# Loops in the checks and in UserOpCalls run at most 10 times on these inputs; 16 leaves no path cut.
HALMOS_ARGS = ("--loop", "16", "--solver-timeout-assertion", "120000")


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


def run_halmos(build: Path, cwd: Path = ROOT, timeout: int = TIMEOUT) -> tuple[int, str]:
    """halmos over the halmos profile's checks, built by forge into the empty folder `build`: a reused
    out folder keeps the artifacts of deleted or renamed sources, and halmos loads every one of them.
    Returns the exit code and the output, uncoloured."""
    if not HALMOS.exists():
        raise AssertionError(f"{HALMOS} is missing: `pip install -e '.[test]'` installs halmos")
    env = {
        **os.environ, "FOUNDRY_PROFILE": "halmos", "FOUNDRY_OUT": str(build / "out"),
        "FOUNDRY_CACHE_PATH": str(build / "cache"), "FOUNDRY_DISABLE_NIGHTLY_WARNING": "1",
        "PATH": f"{FORGE.parent}{os.pathsep}{os.environ['PATH']}",
    }
    done = subprocess.run(
        [str(HALMOS), "--forge-build-out", str(build / "out"), *HALMOS_ARGS],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False,
    )
    return done.returncode, re.sub(r"\x1b\[[0-9;]*m", "", done.stdout + done.stderr)  # halmos colours even a pipe
