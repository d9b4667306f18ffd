"""What a mutation of each defended rule does to the Solidity tests (docs/testing.md, "mutations").

    .venv/bin/python scripts/mutations.py [--only NAME ...] [--list]

Each mutation breaks one rule in a scratch copy of the tree (never the worktree): `forge test` runs on
it, and halmos too when the rule is one a halmos check covers. A mutation is killed when a test fails
or a check finds a counterexample; the results go to build/mutations.json and print as a table.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.foundry.forge import FORGE, ROOT, run_halmos  # noqa: E402

OUT = ROOT / "build" / "mutations.json"
TIMEOUT = 1800  # a cold viaIR build with solcjs plus the invariant campaigns; past this the run is broken
BASE = "contracts/SessionAccountBase.sol"


@dataclass(frozen=True)
class Mutation:
    name: str
    rule: str  # what the mutation breaks, as docs/testing.md's table says it
    path: str
    old: str  # must occur exactly once in `path`
    new: str
    halmos: bool = False  # a halmos check covers the rule


MUTATIONS = (
    Mutation("nonce-not-marked", "`consumeOrder` never marks the nonce used", BASE,
             "AccountStorage.layout().nonceBitmap[signer].use(order.nonce);", ""),
    Mutation("nonce-bit-aliased", "the nonce bitmap folds bit 128..255 onto 0..127",
             "contracts/libraries/NonceBitmap.sol", "(nonce & 0xff)", "(nonce & 0x7f)", halmos=True),
    Mutation("revoke-ignored", "a revoked key stays active", BASE,
             "if (revoked || epoch != accountEpoch)", "if (epoch != accountEpoch)"),
    Mutation("revoke-all-ignored", "`revokeAllSessions` sweeps nothing (epoch ignored)", BASE,
             "if (revoked || epoch != accountEpoch)", "if (revoked)"),
    Mutation("freeze-ignored", "the freeze does not stop a key's orders", BASE,
             "if (isFrozen) return (ACCOUNT_FROZEN", "if (false) return (ACCOUNT_FROZEN"),
    Mutation("owner-skips-deadline", "the owner's orders skip the deadline and nonce checks", BASE,
             "return (_checkDeadlineAndNonce(order, signer), signer, s, 0, false, 0, 0);",
             "return (AUTHORIZED, signer, s, 0, false, 0, 0);"),
    Mutation("signature-length", "a signature longer than 65 bytes is accepted", BASE,
             "if (signature.length != 65)", "if (signature.length < 65)"),
    Mutation("caller-not-venue", "anyone may consume an order, not only its venue", BASE,
             "if (msg.sender != order.venue) revert CallerNotVenue();", ""),
    Mutation("valid-until-late", "a key stays valid one second past validUntil", BASE,
             "block.timestamp > blob.validUntil()", "block.timestamp > blob.validUntil() + 1"),
    Mutation("venue-unchecked", "any venue is allowed", BASE,
             "if (!blob.allowsVenue(order.venue)) return VENUE_NOT_ALLOWED;", ""),
    Mutation("size-cap-doubled", "the size cap lets twice maxOrderSize through", BASE,
             "order.size > maxOrderSize", "order.size / 2 > maxOrderSize"),
    Mutation("min-price-ignored", "the price band has no floor", BASE, "order.price < minPrice || ", ""),
    Mutation("window-never-accumulates", "every order opens a fresh window (caps apply per order)", BASE,
             "if (!newWindow) (orders, spent) = AccountStorage.window(s);", ""),
    Mutation("rate-limit-off-by-one", "the rate limit lets one order more through", BASE,
             "++orders > blob.maxOrdersPerWindow()", "++orders > blob.maxOrdersPerWindow() + 1"),
    Mutation("notional-cap-halved", "the notional cap is checked against half the notional", BASE,
             "notional > blob.maxNotionalPerWindow()", "notional / 2 > blob.maxNotionalPerWindow()"),
    Mutation("notional-overflow-ignored", "a notional past 2**256 - 1 is not refused", BASE,
             "if (!fits || notional >", "if (notional >"),
    Mutation("notional-guard-off-by-one", "the overflow guard lets a high word of exactly 1e18 through", BASE,
             "if (high >= 1e18)", "if (high > 1e18)"),
    Mutation("scope-field-shifted", "the scope blob reads maxNotionalPerWindow one byte off",
             "contracts/libraries/ScopeBlob.sol", "scope.maxNotionalPerWindow = _get(p + 20, 32);",
             "scope.maxNotionalPerWindow = _get(p + 21, 32);", halmos=True),
    Mutation("dirty-target-bits", "the user-operation reader accepts a target with dirty high bits",
             "contracts/libraries/UserOpCalls.sol", "and(iszero(shr(160, target)), lt(dataOffset, LIMIT))",
             "lt(dataOffset, LIMIT)", halmos=True),
    Mutation("data-past-calldata", "the reader lets a call's data reach past the calldata",
             "contracts/libraries/UserOpCalls.sol", "ok := and(ok, iszero(gt(add(add(dataAt, 32), length), end)))",
             "", halmos=True),
    Mutation("batch-offset-base", "the reader counts batch element offsets from the array's length word",
             "contracts/libraries/UserOpCalls.sol", "heads + elementOffset", "arrayAt + elementOffset", halmos=True),
    Mutation("call-value-off-by-one", "a permitted call may send maxValue + 1",
             "contracts/libraries/CallPermissions.sol", "return value < word;", "return value <= word;", halmos=True),
    Mutation("self-call-allowed", "a key may have the account call itself",
             "contracts/libraries/CallPermissions.sol", "if (target == account) return false;", "", halmos=True),
    Mutation("gas-budget-ignored", "a session operation may cost more than the key's gas budget left", BASE,
             "if (cost > left) return SIG_VALIDATION_FAILED;", ""),
    Mutation("venue-position-wraps", "the venue books a fill that overflows the int256 position",
             "contracts/ReferenceVenue.sol", "fits = delta >= 0 ? next >= current : next < current;", "fits = true;"),
    Mutation("venue-reason-zero", "the venue takes a revert carrying reason 0 as a reason",
             "contracts/ReferenceVenue.sol", "if (code != 0 && code <= 14)", "if (code <= 14)"),
)


@dataclass
class Result:
    name: str
    rule: str
    forge_tests: int = 0
    forge_failed: list[str] = field(default_factory=list)
    halmos_failed: list[str] | None = None  # None when halmos does not cover the rule
    error: str = ""  # the mutated tree did not build or a tool broke: the row says nothing
    seconds: float = 0.0

    @property
    def killed(self) -> bool:
        return not self.error and bool(self.forge_failed or self.halmos_failed)


def _scratch(mutation: Mutation, into: Path) -> None:
    """The tracked tree with the mutation applied, node_modules linked and the warm forge cache copied."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, files.decode().split("\0")):
        target = into / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if (ROOT / name).is_file():
            shutil.copy2(ROOT / name, target)
    (into / "node_modules").symlink_to(ROOT / "node_modules")
    if (ROOT / "build" / "forge").is_dir():
        shutil.copytree(ROOT / "build" / "forge", into / "build" / "forge", symlinks=True)
    path = into / mutation.path
    text = path.read_text()
    if text.count(mutation.old) != 1:
        raise SystemExit(f"{mutation.name}: {mutation.old!r} occurs {text.count(mutation.old)} times in "
                         f"{mutation.path}, not once: update the mutation to the current source")
    path.write_text(text.replace(mutation.old, mutation.new))


def _forge(tree: Path, result: Result) -> None:
    env = {**os.environ, "FOUNDRY_DISABLE_NIGHTLY_WARNING": "1", "NO_COLOR": "1"}
    done = subprocess.run([str(FORGE), "test", "--json"], cwd=tree, env=env, capture_output=True,
                          text=True, timeout=TIMEOUT, check=False)
    start = done.stdout.find("{")
    if start < 0:
        result.error = f"forge test printed no results ({done.returncode}): {done.stderr[-2000:]}"
        return
    suites = json.loads(done.stdout[start:])
    for suite, report in sorted(suites.items()):
        for test, outcome in sorted(report["test_results"].items()):
            result.forge_tests += 1
            if outcome["status"] != "Success":
                result.forge_failed.append(f"{suite.rsplit(':', 1)[-1]}.{test.split('(')[0]}")


def _halmos(tree: Path, result: Result) -> None:
    code, out = run_halmos(tree / "build" / "halmos-mutation", cwd=tree, timeout=TIMEOUT)
    if not re.search(r"\[(?:PASS|FAIL)\] check_", out):
        result.error = f"halmos ran no check ({code}): {out[-2000:]}"
        return
    result.halmos_failed = sorted(set(re.findall(r"\[(?:FAIL|TIMEOUT|ERROR)\] (check_\w+)", out)))


def run(mutation: Mutation) -> Result:
    result = Result(mutation.name, mutation.rule)
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"mutation-{mutation.name}-") as scratch:
        tree = Path(scratch)
        _scratch(mutation, tree)
        try:
            _forge(tree, result)
            if mutation.halmos and not result.error:
                _halmos(tree, result)
        except subprocess.TimeoutExpired as exc:
            result.error = f"{exc.cmd[0]} ran past {TIMEOUT} s"
    result.seconds = round(time.monotonic() - began, 1)
    return result


def _row(r: Result) -> str:
    if r.error:
        return f"| {r.rule} | error: {r.error.splitlines()[0][:120]} | | |"
    named = ", ".join(f"`{t}`" for t in r.forge_failed) or "none"
    halmos = "not run" if r.halmos_failed is None else ", ".join(f"`{c}`" for c in r.halmos_failed) or "none"
    return f"| {r.rule} | {len(r.forge_failed)} of {r.forge_tests}: {named} | {halmos} | {'yes' if r.killed else 'no'} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run these mutations only")
    parser.add_argument("--list", action="store_true", help="list the mutations and exit")
    args = parser.parse_args()
    known = {m.name: m for m in MUTATIONS}
    if args.list:
        for m in MUTATIONS:
            print(f"{m.name:28} {m.rule}")
        return
    unknown = sorted(set(args.only or ()) - set(known))
    if unknown:
        parser.error(f"unknown mutation(s) {', '.join(unknown)}: `--list` names them")
    if not FORGE.exists():
        raise SystemExit(f"{FORGE} is missing: run `make install`")
    chosen = [known[n] for n in args.only] if args.only else list(MUTATIONS)
    print("| mutation | forge tests failed | halmos checks failed | killed |\n| --- | --- | --- | --- |")
    for mutation in chosen:
        result = run(mutation)
        # Read again just before writing: another campaign may share the file (one per core).
        previous = {r["name"]: r for r in json.loads(OUT.read_text())} if OUT.exists() else {}
        previous[mutation.name] = asdict(result)
        OUT.parent.mkdir(exist_ok=True)
        OUT.write_text(json.dumps([previous[m.name] for m in MUTATIONS if m.name in previous], indent=1))
        print(_row(result), f"<!-- {result.seconds} s -->", flush=True)


if __name__ == "__main__":
    main()
