"""Compile contracts/ with the pinned solc and write aa_auth/artifacts/*.json (SPEC section 12).

The compiler is a native solc when one is configured (SOLC_BINARY, or the pinned version installed
by py-solc-x), else the npm solcjs through tools/solcjs. Both see the same source unit names
(remapped through node_modules/), so both produce the same bytecode.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

from aa_auth.errors import AAAuthError

SOLC_VERSION = "0.8.28"
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CONTRACTS = ("SessionAccount", "SessionAccount7702", "AccountFactory", "ReferenceVenue", "EoaBaselineVenue")
ENTRY_POINT_ARTIFACT = "@account-abstraction/contracts/artifacts/EntryPoint.json"

SETTINGS: dict[str, Any] = {
    "optimizer": {"enabled": True, "runs": 1_000_000},
    "viaIR": True,
    "evmVersion": "cancun",
    "remappings": [
        "@openzeppelin/contracts/=node_modules/@openzeppelin/contracts/",
        "@account-abstraction/contracts/=node_modules/@account-abstraction/contracts/",
    ],
    "metadata": {"bytecodeHash": "ipfs"},
    "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"]}},
}


class CompilerError(AAAuthError, RuntimeError):
    """The compiler is missing or refused the sources."""


def solc_binary() -> Path:
    """The compiler to use: SOLC_BINARY, else py-solc-x's pinned install, else the solcjs wrapper."""
    configured = os.environ.get("SOLC_BINARY")
    if configured:
        path = Path(configured)
        if not path.exists():
            raise CompilerError(f"SOLC_BINARY={configured} does not exist; unset it or point it at a solc {SOLC_VERSION}")
        return path
    import solcx

    if SOLC_VERSION in {str(v) for v in solcx.get_installed_solc_versions()}:
        return Path(solcx.install.get_executable(SOLC_VERSION))
    wrapper = ROOT / "tools" / "solcjs"
    if not (ROOT / "node_modules" / "solc").is_dir() or shutil.which("node") is None:
        raise CompilerError("no solc found: run `npm ci` in the checkout (needs Node) or set SOLC_BINARY")
    return wrapper


def _sources(folders: tuple[str, ...] = ("contracts",)) -> dict[str, dict[str, str]]:
    return {
        str(path.relative_to(ROOT)): {"content": path.read_text()}
        for folder in folders
        for path in sorted((ROOT / folder).rglob("*.sol"))
    }


def compile_contracts(
    names: tuple[str, ...] = CONTRACTS, folders: tuple[str, ...] = ("contracts",)
) -> dict[str, dict[str, Any]]:
    """Compile every source under `folders` and return the artifacts of `names`.

    The defaults build what SPEC section 12 ships; tests pass ("contracts", "tests/contracts") to
    build their helper contracts (mock tokens, hostile venues) with the same compiler and settings.
    """
    by_name, version = _compile(SETTINGS, folders)
    settings = {k: v for k, v in SETTINGS.items() if k != "outputSelection"}
    return {
        name: {
            "contractName": name,
            "abi": by_name[name]["abi"],
            "bytecode": "0x" + by_name[name]["evm"]["bytecode"]["object"],
            "deployedBytecode": "0x" + by_name[name]["evm"]["deployedBytecode"]["object"],
            "compiler": {"name": "solc", "version": version, "settings": settings},
            "dependencies": _dependency_versions(),
            "sourcesSha256": _sources_digest(),
        }
        for name in names
    }


def storage_layouts(names: tuple[str, ...] = CONTRACTS) -> dict[str, list[dict[str, Any]]]:
    """The state variables solc lays out for each of `names` (its `storageLayout` output's `storage`).

    A struct reached only through an ERC-7201 slot is not a state variable, so it is not listed."""
    settings = {**SETTINGS, "outputSelection": {"*": {"*": ["storageLayout"]}}}
    by_name, _ = _compile(settings, ("contracts",))
    return {name: list(by_name[name]["storageLayout"]["storage"]) for name in names}


def _compile(settings: dict[str, Any], folders: tuple[str, ...]) -> tuple[dict[str, Any], str]:
    """solc's output per contract name, and the compiler's version."""
    import solcx

    binary = solc_binary()
    version = str(solcx.wrapper.get_solc_version(binary, with_commit_hash=True))
    if not version.startswith(SOLC_VERSION):
        raise CompilerError(f"{binary} is solc {version}; aa-auth pins {SOLC_VERSION}")
    standard_input = {"language": "Solidity", "sources": _sources(folders), "settings": settings}
    try:
        output = solcx.compile_standard(standard_input, solc_binary=binary, base_path=ROOT, allow_paths=[ROOT])
    except solcx.exceptions.SolcError as exc:
        raise CompilerError(_error_text(exc.stdout_data or "") or f"solc failed: {exc.message}") from exc
    return {name: data for unit in output["contracts"].values() for name, data in unit.items()}, version


def _error_text(stdout: str) -> str:
    """The formatted compiler errors (not warnings) of a standard-JSON answer."""
    try:
        answer = json.loads(stdout)
    except ValueError:
        return ""
    return "\n".join(e["formattedMessage"] for e in answer.get("errors", []) if e["severity"] == "error")


def _dependency_versions() -> dict[str, str]:
    lock = json.loads((ROOT / "package-lock.json").read_text())
    wanted = ("solc", "@openzeppelin/contracts", "@account-abstraction/contracts")
    return {name: lock["packages"][f"node_modules/{name}"]["version"] for name in wanted}


def _sources_digest() -> str:
    digest = hashlib.sha256()
    for unit, source in _sources().items():
        digest.update(unit.encode() + b"\0" + source["content"].encode() + b"\0")
    return digest.hexdigest()


def entry_point_artifact() -> dict[str, Any]:
    """EntryPoint v0.8 exactly as @account-abstraction/contracts ships it (never recompiled here)."""
    shipped = json.loads((ROOT / "node_modules" / ENTRY_POINT_ARTIFACT).read_text())
    return {
        "contractName": "EntryPoint",
        "abi": shipped["abi"],
        "bytecode": shipped["bytecode"],
        "deployedBytecode": shipped["deployedBytecode"],
        "source": f"npm {ENTRY_POINT_ARTIFACT} {_dependency_versions()['@account-abstraction/contracts']}",
    }


def render(artifact: dict[str, Any]) -> str:
    return json.dumps(artifact, indent=2, sort_keys=True) + "\n"


def write_artifacts() -> list[Path]:
    """Regenerate aa_auth/artifacts/*.json; returns the files written."""
    artifacts = compile_contracts()
    artifacts["EntryPoint"] = entry_point_artifact()
    ARTIFACTS.mkdir(exist_ok=True)
    written = []
    for name, artifact in artifacts.items():
        path = ARTIFACTS / f"{name}.json"
        path.write_text(render(artifact))
        written.append(path)
    return written
