"""Issue 5, static analysis: every Slither detector over contracts/, checked against docs/slither-triage.md.

Slither sees exactly what the project ships: the same solc (aa_auth.chain.compiler.solc_binary(), the npm
solcjs through tools/solcjs on a machine without a native 0.8.28), the same source unit names and the
same settings, through crytic-compile's solc standard-JSON platform. Only findings with an element in
contracts/ count; OpenZeppelin's and account-abstraction's own findings are theirs to triage.

A finding is keyed by detector, location (Contract.function, Contract.function.variable, or a pragma)
and the statements it points at, never by line number: edits elsewhere keep the key, while a new
statement of the same kind in the same function is a new key that nobody has triaged yet.
"""

from __future__ import annotations

import inspect
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from crytic_compile.crytic_compile import CryticCompile
from crytic_compile.platform.solc_standard_json import SolcStandardJson
from slither import Slither
from slither.detectors import all_detectors
from slither.detectors.abstract_detector import AbstractDetector

from aa_auth.chain import compiler

ROOT = compiler.ROOT
OWN_SOURCES = ROOT / "contracts"
TRIAGE = ROOT / "docs" / "slither-triage.md"
SEVERE = ("High", "Medium")
IMPACTS = ("High", "Medium", "Low", "Informational", "Optimization")
VERDICTS = ("false positive", "accepted")
NO_DETAILS = "—"
# crytic-compile's default output selection: it reads every contract's bytecode and source maps.
OUTPUT_SELECTION = {
    "*": {
        "*": ["abi", "metadata", "devdoc", "userdoc", "evm.bytecode", "evm.deployedBytecode"],
        "": ["ast"],
    }
}


@dataclass(frozen=True)
class Finding:
    check: str
    impact: str
    location: str
    details: tuple[str, ...]
    description: str

    @property
    def key(self) -> tuple[str, str, tuple[str, ...]]:
        return (self.check, self.location, self.details)

    def row(self) -> str:
        """The triage table row for this finding, with the verdict and reason left to write."""
        details = " ".join(f"`{_escape(d)}`" for d in self.details) or NO_DETAILS
        return f"| {self.impact} | `{self.check}` | `{_escape(self.location)}` | {details} | VERDICT | WHY |"


@dataclass(frozen=True)
class Entry:
    impact: str
    check: str
    location: str
    details: tuple[str, ...]
    verdict: str
    why: str

    @property
    def key(self) -> tuple[str, str, tuple[str, ...]]:
        return (self.check, self.location, self.details)


class Analysis(NamedTuple):
    settings: dict[str, Any]
    solc_version: str | None
    contracts: frozenset[str]
    findings: tuple[Finding, ...]


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def _is_own(element: dict[str, Any]) -> bool:
    path = element.get("source_mapping", {}).get("filename_absolute")
    return bool(path) and Path(path).resolve().is_relative_to(OWN_SOURCES)


def _describe(element: dict[str, Any]) -> str:
    """Contract.function, Contract.function.variable, Contract.stateVariable, a statement or a pragma."""
    name: str = element["name"]
    if element["type"] in ("node", "pragma"):
        return name
    parent = element.get("type_specific_fields", {}).get("parent", {})
    grandparent = parent.get("type_specific_fields", {}).get("parent", {})
    return ".".join(part for part in (grandparent.get("name"), parent.get("name"), name) if part)


def _finding(result: dict[str, Any]) -> Finding:
    own = [e for e in result["elements"] if _is_own(e)]
    anchor = next((e for e in own if e["type"] != "node"), own[0])
    location = _describe(anchor)
    details = sorted({_describe(e) for e in result["elements"]} - {location, ""})
    return Finding(result["check"], result["impact"], location, tuple(details), result["description"].strip())


def _detectors() -> list[type[AbstractDetector]]:
    return [
        d
        for d in vars(all_detectors).values()
        if inspect.isclass(d) and issubclass(d, AbstractDetector) and d is not AbstractDetector
    ]


@pytest.fixture(scope="module")
def analysis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Analysis]:
    binary = compiler.solc_binary()
    # crytic-compile 0.3 uses its `solc` argument for `--version` only and runs the `solc` found on
    # PATH for the compilation itself; the first one there would otherwise be solc-select's shim
    # (installed beside slither), which downloads compilers. Put the project's compiler first.
    shim = tmp_path_factory.mktemp("solc-on-path")
    (shim / "solc").symlink_to(binary)
    settings = {k: v for k, v in compiler.SETTINGS.items() if k != "outputSelection"}
    standard_input = {
        "language": "Solidity",
        "sources": compiler._sources(),
        "settings": {**settings, "outputSelection": OUTPUT_SELECTION},
    }
    platform = SolcStandardJson(standard_input)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATH", f"{shim}{os.pathsep}{os.environ.get('PATH', '')}")
        build = CryticCompile(platform, solc=str(binary), solc_working_dir=str(ROOT), cwd=str(ROOT))
    # show_ignored_findings: neither a `slither-disable` comment in a contract nor a slither.db.json
    # can hide a finding; the triage file is the only place a finding is accepted.
    slither = Slither(
        build,
        show_ignored_findings=True,
        triage_database=str(tmp_path_factory.mktemp("slither-db") / "none.json"),
    )
    for detector in _detectors():
        slither.register_detector(detector)
    results = [result for per_detector in slither.run_detectors() for result in per_detector]
    (unit,) = build.compilation_units.values()
    yield Analysis(
        settings={k: v for k, v in platform.to_dict()["settings"].items() if k != "outputSelection"},
        solc_version=unit.compiler_version.version,
        contracts=frozenset(c.name for c in slither.contracts),
        findings=tuple(_finding(r) for r in results if any(_is_own(e) for e in r["elements"])),
    )


def _cells(line: str) -> list[str]:
    inner = line.strip()[1:-1]
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", inner)]


def _spans(cell: str) -> tuple[str, ...]:
    return tuple(span.replace("\\|", "|") for span in re.findall(r"`([^`]+)`", cell))


@pytest.fixture(scope="module")
def triage() -> list[Entry]:
    """The rows of the triage table: | Impact | `detector` | `location` | `statement`... | verdict | why |."""
    entries = []
    for line in TRIAGE.read_text().splitlines():
        if not line.startswith("|"):
            continue
        cells = _cells(line)
        if len(cells) != 6 or not re.fullmatch(r"`[a-z0-9-]+`", cells[1]):
            continue
        impact, check, location, details, verdict, why = cells
        (location_span,) = _spans(location)
        entries.append(Entry(impact, _spans(check)[0], location_span, _spans(details), verdict, why))
    return entries


def _missing(findings: list[Finding], triage: list[Entry], verdicts: tuple[str, ...]) -> list[str]:
    accepted = {e.key: e for e in triage if e.verdict in verdicts}
    problems = []
    for finding in findings:
        entry = accepted.get(finding.key)
        if entry is None:
            problems.append(f"{finding.description}\n    untriaged; row: {finding.row()}")
        elif entry.impact != finding.impact:
            problems.append(f"{finding.description}\n    triaged as {entry.impact}, Slither says {finding.impact}")
    return problems


def test_slither_compiles_the_shipped_contracts_with_the_project_compiler(analysis: Analysis) -> None:
    assert analysis.solc_version == compiler.SOLC_VERSION
    assert analysis.settings == {k: v for k, v in compiler.SETTINGS.items() if k != "outputSelection"}
    assert set(compiler.CONTRACTS) <= analysis.contracts


def test_no_high_or_medium_finding_is_left_unless_triaged_as_false_positive(
    analysis: Analysis, triage: list[Entry]
) -> None:
    severe = [f for f in analysis.findings if f.impact in SEVERE]
    problems = _missing(severe, triage, ("false positive",))
    assert not problems, "High/Medium Slither findings to fix:\n" + "\n".join(problems)


def test_every_low_and_informational_finding_is_triaged(analysis: Analysis, triage: list[Entry]) -> None:
    minor = [f for f in analysis.findings if f.impact not in SEVERE]
    problems = _missing(minor, triage, VERDICTS)
    assert not problems, f"Slither findings missing from {TRIAGE.relative_to(ROOT)}:\n" + "\n".join(problems)


def test_triage_lists_only_findings_slither_still_reports(analysis: Analysis, triage: list[Entry]) -> None:
    current = {f.key for f in analysis.findings}
    stale = [f"{e.check} at {e.location} {list(e.details)}" for e in triage if e.key not in current]
    assert not stale, f"Remove these rows from {TRIAGE.relative_to(ROOT)}:\n" + "\n".join(stale)


def test_every_triage_entry_carries_a_verdict_and_a_reason(triage: list[Entry]) -> None:
    assert triage, f"no triage rows parsed from {TRIAGE.relative_to(ROOT)}"
    keys = [e.key for e in triage]
    assert len(keys) == len(set(keys)), "a finding is triaged twice"
    for entry in triage:
        assert entry.impact in IMPACTS, entry
        assert entry.verdict in VERDICTS, entry
        assert entry.impact not in SEVERE or entry.verdict == "false positive", entry
        assert len(entry.why.split()) >= 8, f"{entry.check} at {entry.location}: say why"
