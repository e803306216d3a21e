"""`make bench` must not rot: the runner's --quick mode (tiny sizes) runs our crawl, scale and pipeline
benchmarks end to end and writes a report. A smoke check of the machinery, not a measurement.

Marked ``bench``: ``make test`` runs it with the rest; ``pytest -m "not bench"`` deselects it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.bench  # `make test` runs it; `pytest -m "not bench"` leaves it out

REPO = Path(__file__).resolve().parents[1]


def test_quick_bench_runs_and_writes_the_report(tmp_path):
    report = tmp_path / "results.md"
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "run_all.py"), "--quick", "--only", "crawl,scale,pipelines",
         "-o", str(report)],
        cwd=REPO, capture_output=True, text=True, timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    text = report.read_text(encoding="utf-8")
    assert text == done.stdout.strip("\n") + "\n" or text.strip() == done.stdout.strip()
    assert "logical cores" in text and "Python 3." in text and "scrapy " in text
    assert "FAILED" not in text and "MISSING" not in text
    # The bare spider follows the same links as ours: both fetched the same article pages.
    ours = re.search(r"\| arshif crawl [^|]*\| (\d+) \|", text)
    bare = re.search(r"\| bare Scrapy spider [^|]*\| (\d+) \|", text)
    assert ours and bare and int(ours.group(1)) == int(bare.group(1)) > 0
    assert re.search(r"real pages, --extract-jobs 0: throughput ours / bare \*\*\d+\.\d\d×\*\*", text)
    assert re.search(r"real pages, --extract-jobs auto \(\d+\): throughput ours / bare \*\*\d+\.\d\d×\*\*", text)
    assert re.search(r"\| real \| 40 \| \d+ \| \d+ / \d+ \|", text)  # the 40-id backfill stored articles
    assert re.search(r"Pipelines: \*\*[\d,]+ items/s\*\*", text)
    assert re.search(r"\| jsonl \| [\d,]+ \|", text) and re.search(r"\| csv \| [\d,]+ \|", text)


def test_a_missing_benchmark_is_reported_not_hidden(tmp_path, monkeypatch):
    sys.path.insert(0, str(REPO))
    from bench import run_all

    missing = run_all.Section("ghost", "A benchmark nobody wrote", "bench_ghost")
    outcome = run_all.run_section(missing, [])
    assert not outcome.ok and "MISSING" in outcome.markdown
    assert "FAILED / MISSING" in run_all.render([outcome], "- machine\n", "quick", 0.0)


def test_startup_bench_runs_side_by_side():
    """bench/bench_startup.py with --versus (here this tree against itself): every command measured in both."""
    done = subprocess.run([sys.executable, str(REPO / "bench" / "bench_startup.py"), "--rounds", "1", "--articles",
                           "12", "--versus", str(REPO)], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    for command in ("arshif --help", "arshif crawl --help", "arshif stats", "arshif reparse (12 ids",
                    "arshif crawl of a 12-id mirror"):
        assert re.search(rf"\| {re.escape(command)}[^|]*\| \d+\.\d\d \| \d+\.\d\d \| [+-]\d+\.\d\d \| \d+ \|",
                         done.stdout), command


def test_reparse_bench_runs_each_tree_with_and_without_bytecode():
    """bench/bench_reparse.py --bytecode both: a row read from a bytecode cache of its own and a row compiling at
    every start, each with its verdict and its start-up (a smoke check: the figures are the bench's to judge)."""
    done = subprocess.run([sys.executable, str(REPO / "bench" / "bench_reparse.py"), "--articles", "12", "--rounds",
                           "1", "--weights", "real", "--bytecode", "both"], cwd=REPO, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert re.search(r"^\| real \| \d+ \|", done.stdout, re.M)
    assert re.search(r"^\| real \(this tree, compiled at each start\) \| \d+ \|", done.stdout, re.M)
    assert re.search(r"- real pages: \*\*\d+ pages per CPU-second\*\*", done.stdout)
    assert re.search(r"- real pages \(this tree, compiled at each start\): \*\*\d+ pages per CPU-second\*\*", done.stdout)
    startups = re.search(r"Start-up \(interpreter \+ imports, measured alone\): (\d+\.\d\d) s \(this tree\), "
                         r"(\d+\.\d\d) s \(this tree, compiled at each start\)", done.stdout)
    assert startups, done.stdout[-2000:]
