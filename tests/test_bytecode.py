"""`make bytecode` (run by `make install`, `make test`, `make bench`, `make demo`): the project's modules are read
from bytecode at every start, even where PYTHONDONTWRITEBYTECODE is set, and an edited module is never read from
its stale bytecode.

Why it matters: a checkout run from source with PYTHONDONTWRITEBYTECODE set (as on this project's machines)
compiles every module it imports at each start, ~0.25 CPU-s of every `arshif` command (an hourly crawl's, a
reparse's); an installed copy reads bytecode that pip wrote. The Makefile's recipe is run here as written, on a
copy of the packages."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("crawler", "spiders", "pipelines")
IMPORTS = "import crawler.cli, crawler.reparse, crawler.extract, crawler.storage, spiders, pipelines"


def _recipe() -> list[str]:
    """The `bytecode` target's command, as the Makefile gives it ($(BIN)/python: this interpreter)."""
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    match = re.search(r"^bytecode:[^\n]*\n\t@?([^\n]+)", makefile, re.M)
    assert match, "the Makefile has a bytecode target"
    command = match.group(1).split()
    assert command[0] == "$(BIN)/python"
    return [sys.executable, *command[1:]]


def _copy(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    for name in PACKAGES:
        shutil.copytree(REPO / name, tree / name, ignore=shutil.ignore_patterns("__pycache__"))
    return tree


def _code_sources(tree: Path) -> dict[str, str]:
    """Each project module the imports load, by the file its code object came from (python -v)."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPYCACHEPREFIX"}
    env.update(PYTHONPATH=str(tree), PYTHONDONTWRITEBYTECODE="1")
    done = subprocess.run([sys.executable, "-v", "-c", IMPORTS], cwd=tree, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    sources = {}
    for line in done.stderr.splitlines():
        found = re.match(r"# code object from '?(.+?)'?$", line)
        if found and found.group(1).startswith(str(tree)):
            path = found.group(1)
            module = Path(path).name.split(".")[0]
            folder = Path(path).parent.parent if "__pycache__" in path else Path(path).parent
            sources[str((folder / module).relative_to(tree))] = path
    return sources


def test_every_module_is_read_from_bytecode_after_the_recipe(tmp_path):
    tree = _copy(tmp_path)
    before = _code_sources(tree)
    assert len(before) > 40 and all(path.endswith(".py") for path in before.values())  # compiled at every start
    assert not any(tree.rglob("*.pyc"))  # ... and nothing written (PYTHONDONTWRITEBYTECODE)

    subprocess.run(_recipe(), cwd=tree, check=True, timeout=300)
    after = _code_sources(tree)
    assert after.keys() == before.keys()
    compiled_from_source = sorted(module for module, path in after.items() if not path.endswith(".pyc"))
    assert compiled_from_source == []
    # Every module of the three packages has its bytecode, imported here or not (a crawl imports others).
    modules = [path for name in PACKAGES for path in (tree / name).rglob("*.py")]
    import importlib.util

    assert all(Path(importlib.util.cache_from_source(str(path))).exists() for path in modules)


def test_an_edited_module_is_compiled_from_its_source_not_read_from_stale_bytecode(tmp_path):
    tree = _copy(tmp_path)
    subprocess.run(_recipe(), cwd=tree, check=True, timeout=300)
    edited = tree / "crawler" / "reparse.py"
    edited.write_text(edited.read_text(encoding="utf-8") + "\nEDITED_AFTER_COMPILING = True\n", encoding="utf-8")
    sources = _code_sources(tree)
    assert sources["crawler/reparse"] == str(edited)
    assert sources["crawler/cli/__init__"].endswith(".pyc")
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPYCACHEPREFIX"}
    env.update(PYTHONPATH=str(tree), PYTHONDONTWRITEBYTECODE="1")
    done = subprocess.run([sys.executable, "-c", "import crawler.reparse as r; print(r.EDITED_AFTER_COMPILING)"],
                          cwd=tree, env=env, capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "True", done.stderr[-2000:]
    # The recipe again: only the edited module is compiled anew, and then read from bytecode.
    subprocess.run(_recipe(), cwd=tree, check=True, timeout=300)
    assert _code_sources(tree)["crawler/reparse"].endswith(".pyc")
