"""The package's folders are its layers: imports only go down, and no modules import each other in a cycle.

errors < protocol (no chain) < chain < contracts < erc4337 < gateway < ops (the command line sits on
top of everything). `aa_auth/__init__.py` and `__main__.py` gather public names and may import any layer.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "aa_auth"
LAYERS = ("errors", "protocol", "chain", "contracts", "erc4337", "gateway", "ops")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """aa_auth modules imported by `path` (a `from aa_auth.x import y` counts x.y when y is a module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("aa_auth")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("aa_auth"):
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in MODULES}
    return found


def _layer(module: str) -> int:
    top = module.split(".")[1]
    return LAYERS.index(top)


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
GRAPH = {name: {i for i in _imports(path) if i in MODULES} for name, path in MODULES.items()}
ENTRY = {"aa_auth", "aa_auth.__main__"}


def test_every_module_sits_in_a_known_layer() -> None:
    unknown = [m for m in MODULES if m not in ENTRY and m.split(".")[1] not in LAYERS]
    assert not unknown, f"modules outside the layers {LAYERS}: {unknown}"


def test_imports_only_go_down_the_layers() -> None:
    upward = [(m, i) for m, deps in GRAPH.items() if m not in ENTRY for i in deps
              if i not in ENTRY and _layer(i) > _layer(m)]
    assert not upward, f"imports that reach up a layer: {upward}"


def test_no_import_cycles() -> None:
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for dep in sorted(GRAPH[node]):
            # A package importing its own submodules is how __init__ files gather names, not a cycle.
            if dep == node or dep.startswith(node + "."):
                continue
            if state.get(dep) == 1:
                cycles.append(path[path.index(dep):] + [dep])
            elif dep not in state:
                visit(dep, path + [dep])
        state[node] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module, [module])
    assert not cycles, f"import cycles: {cycles}"
