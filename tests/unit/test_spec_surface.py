"""The artifacts carry the ABI surface the SPEC names (docs/spec-abi.json), and the repository its own SPEC.

docs/spec-abi.json is the SPEC's ABI surface copied as test data: every function, event, error and
constructor it lists must exist in aa_auth/artifacts/<Contract>.json with the same types, struct
field names and event parameter names (clients decode by name). Names the SPEC does not mention are
free. Items that an open issue has still to build are listed in NOT_YET_BUILT and expected to fail
(strictly: building them turns the expectation into a failure until the entry is removed).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SURFACE: dict[str, list[dict[str, Any]]] = json.loads((ROOT / "docs" / "spec-abi.json").read_text())

# Items of the SPEC that an open issue has still to build (none at the moment).
NOT_YET_BUILT: set[tuple[str, str]] = set()


def _shape(param: dict[str, Any], keep_name: bool) -> str:
    out = str(param["type"])
    if "components" in param:
        out = "(" + ",".join(_shape(c, True) for c in param["components"]) + ")" + out[len("tuple"):]
    if param.get("indexed"):
        out += " indexed"
    return out + (" " + param.get("name", "") if keep_name else "")


def signature(item: dict[str, Any]) -> str:
    """An ABI item as the SPEC binds it: types, struct field names, event parameter names and `indexed`."""
    keep = item["type"] == "event"
    ins = ", ".join(_shape(p, keep) for p in item.get("inputs", []))
    outs = ", ".join(_shape(p, False) for p in item.get("outputs", []))
    return f"{item['type']} {item.get('name', '')}({ins})" + (f" -> ({outs})" if "outputs" in item else "")


def _cases() -> list[Any]:
    cases = []
    for contract, items in SURFACE.items():
        for item in items:
            name = item.get("name", item["type"])
            marks = [pytest.mark.xfail(strict=True, reason="SPEC 13, issue 13")] if (contract, name) in NOT_YET_BUILT else []
            cases.append(pytest.param(contract, item, id=f"{contract}.{name}", marks=marks))
    return cases


@pytest.mark.parametrize(("contract", "item"), _cases())
def test_artifact_has_the_abi_item_the_spec_names(contract: str, item: dict[str, Any]) -> None:
    path = ROOT / "aa_auth" / "artifacts" / f"{contract}.json"
    assert path.exists(), f"no artifact {path.relative_to(ROOT)}"
    compiled = json.loads(path.read_text())
    assert {"abi", "bytecode", "deployedBytecode"} <= set(compiled)
    same_name = [i for i in compiled["abi"] if i["type"] == item["type"] and i.get("name", "") == item.get("name", "")]
    assert same_name, f"{contract} lacks {signature(item)}"
    assert signature(item) in {signature(i) for i in same_name}, f"{contract}: {signature(same_name[0])}"


def test_signature_tells_struct_field_names_apart() -> None:
    grant = next(i for i in SURFACE["SessionAccount"] if i.get("name") == "grantSession")
    renamed = json.loads(json.dumps(grant))
    renamed["inputs"][1]["components"][0]["name"] = "validFrom"
    assert signature(renamed) != signature(grant)


def test_the_repository_never_points_outside_its_clone() -> None:
    outside = "../" + "shared"  # spelled in two parts so this file does not match itself
    listed = subprocess.run(["git", "grep", "-l", "-F", outside], cwd=ROOT, capture_output=True, text=True)
    assert listed.stdout == "", f"files refer to {outside}, which a user's clone does not have:\n{listed.stdout}"
