"""`arshif reparse --jobs auto` (the default): every core this process may run on for a big selection, one process
for a small one (``crawler.reparse.auto_jobs``); the number that extracted is recorded and said."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys

import pytest

from crawler.arguments import usable_cores
from crawler.reparse import AUTO_JOBS_MIN_ROWS, auto_jobs, reparse
from tests.test_crawl import REPO, arshif, ok


def test_auto_jobs_takes_every_core_for_a_big_selection_and_one_process_for_a_small_one():
    assert auto_jobs(930, cores=2) == 2
    assert auto_jobs(AUTO_JOBS_MIN_ROWS, cores=8) == 8
    assert auto_jobs(AUTO_JOBS_MIN_ROWS - 1, cores=8) == 1
    assert auto_jobs(0, cores=8) == 1
    assert auto_jobs(10_000, cores=1) == 1
    assert auto_jobs(10_000) == usable_cores()


def test_usable_cores_is_the_affinity_not_the_machine():
    assert usable_cores() == len(os.sched_getaffinity(0)) >= 1
    assert usable_cores() <= (os.cpu_count() or 1)


def test_reparse_refuses_a_count_below_one_or_a_word_other_than_auto(tmp_path):
    for jobs in (0, -1, "two", 1.5):
        with pytest.raises(ValueError, match="jobs must be"):
            reparse(tmp_path / "none.db", tmp_path, jobs=jobs)
    for jobs in ("0", "two"):
        done = arshif("reparse", "--db", str(tmp_path / "none.db"), "--jobs", jobs, cwd=tmp_path)
        assert done.returncode == 2 and "neither a count of processes" in done.stderr


@pytest.fixture(scope="module")
def big_archive(tmp_path_factory):
    """A backfill of enough light pages that `auto` splits the work (AUTO_JOBS_MIN_ROWS + a margin)."""
    from crawler.mirror import MirrorConfig, MirrorProcess

    work = tmp_path_factory.mktemp("reparse-auto")
    ids = AUTO_JOBS_MIN_ROWS + 40
    with MirrorProcess.start(MirrorConfig(articles=ids, seed=9, weight="light")) as mirror:
        ok(arshif("backfill", "alhadath", "--ids", f"1-{ids}", "--base-url", mirror.base_url, "--db",
                  str(work / "a.db"), "--no-polite", "--log-level", "WARNING", cwd=work))
    with sqlite3.connect(work / "a.db") as conn:
        stored = conn.execute("select count(*) from articles where warc_record is not null").fetchone()[0]
    assert stored >= AUTO_JOBS_MIN_ROWS
    return work / "a.db", stored


def _last_run(db) -> tuple[str, dict]:
    with sqlite3.connect(db) as conn:
        command, args = conn.execute("select command, args from crawl_runs order by id desc limit 1").fetchone()
    return command, json.loads(args)


def test_the_default_splits_a_big_reparse_over_the_usable_cores(big_archive):
    db, stored = big_archive
    done = ok(arshif("reparse", "--db", str(db), cwd=db.parent))
    command, args = _last_run(db)
    assert command == "reparse" and args["jobs"] == auto_jobs(stored) == usable_cores()
    assert f"{stored:,} articles with WARC records — 0 changed (new version), {stored:,} unchanged" in done.stderr
    if usable_cores() > 1:
        assert f"({usable_cores()} extracting processes)" in done.stderr
    else:
        assert "extracting processes" not in done.stderr


def test_one_usable_core_makes_auto_one_process(big_archive):
    """Under `taskset -c 0` (a container given one core) auto runs one process, whatever the machine has."""
    db, stored = big_archive
    core = min(os.sched_getaffinity(0))
    done = ok(subprocess.run(["taskset", "-c", str(core), sys.executable, "-m", "crawler", "reparse", "--db", str(db)],
                             cwd=db.parent, capture_output=True, text=True, timeout=300,
                             env={**os.environ, "PYTHONPATH": str(REPO)}))
    assert _last_run(db)[1]["jobs"] == 1
    assert "extracting processes" not in done.stderr and f"{stored:,} unchanged" in done.stderr


def test_a_small_selection_stays_in_one_process(big_archive):
    db, _ = big_archive
    with sqlite3.connect(db) as conn:
        days = [day for (day,) in conn.execute(
            "select substr(published_at, 1, 10) d from articles group by d order by count(*) desc limit 1")]
    done = ok(arshif("reparse", "--db", str(db), "--since", days[0], "--until", days[0], cwd=db.parent))
    assert _last_run(db)[1]["jobs"] == 1 and "extracting processes" not in done.stderr
    selected = int(re.search(r"(\d+) articles with WARC records", done.stderr).group(1))
    assert 0 < selected < AUTO_JOBS_MIN_ROWS
