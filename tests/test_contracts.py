"""The package's boundaries, checked statically: the import contracts of pyproject.toml
([tool.importlinter]) are kept, they cover every private module of the engine, and no module
imports another that (directly or not) imports it back."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import grimp

import momentum_lab.engine

ROOT = Path(__file__).resolve().parents[1]
ENGINE = Path(momentum_lab.engine.__file__).resolve().parent
PUBLIC_NAMES_ONLY = "The command and the window use the engine's public names only"


def _contracts() -> list[dict]:
    with open(ROOT / "pyproject.toml", "rb") as handle:
        return tomllib.load(handle)["tool"]["importlinter"]["contracts"]


def test_the_import_contracts_are_kept():
    """lint-imports (the venv's, from the repository's top) checks every contract of pyproject.toml:
    the engine imports no Qt; the API imports neither Qt, the window nor the command; the layers
    (command, window, engine); the engine's public names only; no cycles."""
    types = sorted(c["type"] for c in _contracts())
    assert types == ["acyclic_siblings", "forbidden", "forbidden", "forbidden", "layers"], types
    lint_imports = Path(sys.executable).parent / "lint-imports"
    assert lint_imports.exists(), f"{lint_imports} missing: install the test extras (pip install -e '.[test]')"
    run = subprocess.run([str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                         timeout=300)
    report = run.stdout + run.stderr
    assert run.returncode == 0, "import contracts broken:\n" + report
    assert f"Contracts: {len(types)} kept, 0 broken." in " ".join(report.split()), report


def test_every_private_engine_module_is_forbidden_to_the_command_and_the_window():
    """The public-names contract lists the engine's private modules one by one (import-linter has
    no ``_*`` pattern): the list is exactly engine/_*.py (and any private subpackage), so a new
    private module is covered as soon as it exists."""
    (contract,) = [c for c in _contracts() if c["name"] == PUBLIC_NAMES_ONLY]
    assert {"momentum_lab.cli", "momentum_lab._qt"} <= set(contract["source_modules"])
    assert contract["type"] == "forbidden" and contract["allow_indirect_imports"] is True
    private = {f"momentum_lab.engine.{p.stem}" for p in ENGINE.glob("_*.py") if not p.name.startswith("__")}
    private |= {f"momentum_lab.engine.{p.parent.name}" for p in ENGINE.glob("_*/__init__.py")
                if not p.parent.name.startswith("__")}
    listed = contract["forbidden_modules"]
    assert len(listed) == len(set(listed)), "a module is listed twice"
    assert set(listed) == private, (f"not listed: {sorted(private - set(listed))}; "
                                    f"listed but no such module: {sorted(set(listed) - private)}")


def test_no_module_imports_one_that_imports_it_back():
    """Module by module, every import statement (inside functions too, and a package's __init__
    with its own modules): for each direct import a -> b, no chain leads from b back to a."""
    graph = grimp.build_graph("momentum_lab", cache_dir=None)  # no cache: nothing written into the tree
    assert "momentum_lab.engine._errors" in graph.modules and "momentum_lab._qt.window" in graph.modules
    cycles = []
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back:
                cycles.append(f"{importer} -> {' -> '.join(back)}")
    assert not cycles, "import cycles:\n" + "\n".join(cycles)
