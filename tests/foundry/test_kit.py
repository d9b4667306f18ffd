"""docs/integrating.md: its venue is the tested kit contract, and builds in a fresh Foundry project.

The fresh project gets aa-auth the way the guide says: `npm pack` of this checkout (so package.json's
`files` entry decides what ships), the tarball unpacked as node_modules/aa-auth, the guide's
foundry.toml block and its import line. Only the compiler is this checkout's (forge cannot download one).
"""

from __future__ import annotations

import re
import subprocess
import tarfile
from pathlib import Path

from .forge import ROOT, run_forge

GUIDE = ROOT / "docs" / "integrating.md"
KIT = ROOT / "tests" / "foundry" / "kit" / "MinimalVenue.sol"
RELATIVE_IMPORT = '"../../../contracts/interfaces/IOrderAuthorizer.sol"'
PACKAGE_IMPORT = '"aa-auth/contracts/interfaces/IOrderAuthorizer.sol"'


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", GUIDE.read_text(), flags=re.S)


def _guide_venue() -> str:
    (venue,) = [block for block in _blocks("solidity") if "contract MinimalVenue" in block]
    return venue


def test_guide_shows_the_tested_kit_venue() -> None:
    assert _guide_venue() == KIT.read_text().replace(RELATIVE_IMPORT, PACKAGE_IMPORT)


def test_fresh_foundry_project_builds_the_guide_venue_from_the_npm_package(tmp_path: Path) -> None:
    packed = subprocess.run(
        ["npm", "pack", "--pack-destination", str(tmp_path), "--loglevel=error"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=True,
    )
    tarball = tmp_path / packed.stdout.strip().splitlines()[-1]
    project = tmp_path / "venue"
    modules = project / "node_modules"
    with tarfile.open(tarball) as archive:
        archive.extractall(modules, filter="data")
    (modules / "package").rename(modules / "aa-auth")
    shipped = {p.relative_to(modules / "aa-auth").parts[0] for p in (modules / "aa-auth").iterdir()}
    assert shipped == {"contracts", "package.json", "README.md"}, shipped
    # The package's dependencies, as `npm install` would place them beside it.
    for dependency in ("@openzeppelin", "@account-abstraction"):
        (modules / dependency).symlink_to(ROOT / "node_modules" / dependency)

    (config,) = _blocks("toml")
    compiler = f'solc = "{ROOT / "tools" / "solc"}"\noffline = true\n'
    (project / "foundry.toml").write_text(config + compiler)
    (project / "src").mkdir()
    (project / "src" / "MinimalVenue.sol").write_text(_guide_venue())
    imports = "\n".join(line for block in _blocks("solidity") for line in block.splitlines() if line.startswith("import"))
    (project / "src" / "Imports.sol").write_text(f"// SPDX-License-Identifier: MIT\npragma solidity ^0.8.28;\n\n{imports}\n")

    run_forge("build", cwd=project)
    built = project / "out" / "MinimalVenue.sol" / "MinimalVenue.json"
    assert built.exists(), "forge built no MinimalVenue artifact"
