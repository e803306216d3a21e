"""The layers (pyproject.toml [tool.importlinter], run by `make test`): what they promise, checked for real."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CONFIG = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
LINT = Path(sys.executable).with_name("lint-imports")

PAGE = """<html lang="ar"><head><meta charset="utf-8"><title>عنوان الخبر - الحدث</title></head><body>
<h1>عنوان الخبر</h1><div>2024-03-05 9:07:00 PM</div>
<p>الحدث - رام الله</p>
<p>فقرة أولى من نص الخبر تكفي ليعد الاستخراج هذه الصفحة مقالة كاملة بعنوان وتاريخ ونص.</p>
<p>فقرة ثانية من نص الخبر نفسه، فيها كلام آخر عن الموضوع ذاته في المدينة.</p></body></html>"""

HEAVY = ("scrapy", "twisted", "scrapy_redis", "spiders", "pipelines", "crawler.storage")


def test_a_site_and_an_extraction_load_no_scrapy_twisted_or_storage():
    script = f"""
import sys
import crawler.extract, crawler.sites
from crawler.sites import get_site
from crawler.extract import extract_article
site = get_site("alhadath")
record = extract_article({PAGE!r}.encode(), "https://www.alhadath.ps/article/77/x", site="alhadath")
assert record["article_id"] == 77 and record["title"] == "عنوان الخبر", record
print("\\n".join(sorted(sys.modules)))
"""
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    loaded = result.stdout.split()
    assert "crawler.sites" in loaded and "crawler.extract" in loaded
    assert [m for m in loaded if m in HEAVY or m.startswith(tuple(h + "." for h in HEAVY))] == []


def test_the_probe_and_the_argument_checks_load_no_scrapy():
    script = ("import sys, crawler.probe, crawler.arguments, crawler.statkeys; "
              "print(*[m for m in sys.modules if m.split('.')[0] in ('scrapy', 'twisted', 'spiders', 'pipelines')])")
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.split() == [], result.stdout + result.stderr[-2000:]


def layer_modules() -> set[str]:
    (layers,) = [c for c in CONFIG["contracts"] if c["type"] == "layers"]
    names = set()
    for layer in layers["layers"]:
        for part in layer.replace("|", ":").split(":"):
            names.add(part.strip().strip("()"))
    return names


def test_every_module_has_a_layer():
    """A new module of crawler/ must be placed (in the layers contract) — the mirror alone stands apart."""
    children = {f"crawler.{p.stem if p.is_file() else p.name}" for p in (REPO / "crawler").iterdir()
                if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").is_file()}
    placed = layer_modules()
    assert {"spiders", "pipelines"} <= placed
    assert sorted(children - placed) == ["crawler.mirror"]


def test_the_contracts_catch_an_upward_import_scrapy_in_the_core_and_a_circle(tmp_path):
    """On a copy of the packages with three violations planted, `lint-imports` breaks the right contracts."""
    for package in ("crawler", "spiders", "pipelines"):
        shutil.copytree(REPO / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    clean = subprocess.run([str(LINT), "--no-cache"], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                           env={**os.environ, "PYTHONPATH": str(tmp_path)})
    assert clean.returncode == 0, clean.stdout[-3000:]
    with open(tmp_path / "crawler" / "text.py", "a", encoding="utf-8") as f:
        f.write("\nimport scrapy  # planted\n")
    with open(tmp_path / "crawler" / "dates" / "window.py", "a", encoding="utf-8") as f:
        f.write("\nfrom crawler import runner  # planted: core → application\n")
    with open(tmp_path / "crawler" / "lock.py", "a", encoding="utf-8") as f:
        f.write("\nfrom crawler import search  # planted: lock ↔ search circle\n")
    with open(tmp_path / "crawler" / "search.py", "a", encoding="utf-8") as f:
        f.write("\nfrom crawler import lock  # planted\n")
    broken = subprocess.run([str(LINT), "--no-cache"], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "PYTHONPATH": str(tmp_path)})
    out = broken.stdout
    assert broken.returncode == 1, out[-3000:]
    assert "Applications above the Scrapy glue above the Scrapy-free core BROKEN" in out
    assert "crawler.dates.window -> crawler.runner" in out
    assert "The core imports no Scrapy, Twisted, scrapy-redis, spiders or pipelines BROKEN" in out
    assert "crawler.text -> scrapy" in out
    assert "No import circles among sibling modules and packages BROKEN" in out
    assert ".lock -> .search" in out or ".search -> .lock" in out
