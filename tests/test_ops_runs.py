"""Scheduled-run operations against the mirror: the lock, the quality alarm, WARC capture and reparse."""

from __future__ import annotations

import json
import sqlite3
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crawler.errors import EXIT_ALARM, EXIT_LOCKED, EXIT_OK
from crawler.storage import Archive
from crawler.warc import iter_responses

ARSHIF = [sys.executable, "-m", "crawler"]


def arshif(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([*ARSHIF, *map(str, args)], capture_output=True, text=True, timeout=240, **kwargs)


def runs(db: Path) -> list[dict]:
    with Archive(db) as archive:
        return archive.rows("select * from crawl_runs order by id")


def test_overlapping_run_exits_with_the_lock_code_and_leaves_the_db_intact(mirror_factory, tmp_path):
    slow = mirror_factory(articles=4, faults="slow=1.0")  # every answer takes 2.5 s: the first run lasts
    db = tmp_path / "a.db"
    first = subprocess.Popen([*ARSHIF, "backfill", "alhadath", "--ids", "1-4", "--base-url", slow.base_url,
                              "--db", db, "--no-warc"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lock = Path(f"{db}.lock")
    deadline = time.monotonic() + 120
    while not (lock.exists() and lock.read_text().startswith("pid")):
        assert first.poll() is None and time.monotonic() < deadline, "the first run never took the lock"
        time.sleep(0.05)
    # The first run is frozen while the second one runs: the second cannot have waited for it to end, however
    # slow a loaded machine makes either (a wall-clock bound here failed under load). It resumes afterwards.
    first.send_signal(signal.SIGSTOP)
    try:
        second = arshif("crawl", "alhadath", "--base-url", slow.base_url, "--db", db)
        assert first.poll() is None  # the first was still there, holding the lock, all along
    finally:
        first.send_signal(signal.SIGCONT)
    assert second.returncode == EXIT_LOCKED == 6
    assert f"{db} is in use by another run (pid {first.pid} since" in second.stderr
    out, err = first.communicate(timeout=240)
    assert first.returncode == EXIT_OK, err[-2000:]
    [run] = runs(db)  # the second run never touched the archive
    assert run["status"] == "ok" and run["command"] == "backfill"
    with Archive(db) as archive:
        assert archive.integrity_check() == "ok"
        summary = archive.summary()
    assert summary.articles + summary.aliases + summary.misses == 4


@pytest.mark.parametrize(
    "markup, code, reason",
    [
        ("default", EXIT_OK, None),
        # the fallbacks read every field while the site's own selector (title: h1) found nothing: the user
        # lost nothing, so no alarm; the selector share is reported as information
        ("table", EXIT_OK, None),
        # nothing extractable at all
        ("broken", EXIT_ALARM, "article pages (100%) in this run yielded no article"),
    ],
)
def test_quality_alarm_on_a_changed_layout(mirror_factory, tmp_path, markup, code, reason):
    site = mirror_factory(articles=40, markup=markup)
    db = tmp_path / "a.db"
    result = arshif("backfill", "alhadath", "--ids", "1-40", "--base-url", site.base_url, "--db", db, "--no-warc")
    assert result.returncode == code, result.stderr[-3000:]
    [run] = runs(db)
    alarm_lines = [line for line in result.stderr.splitlines() if "QUALITY ALARM" in line]
    if reason is None:
        assert run["status"] == "ok" and run["alarm_reason"] is None and not alarm_lines
        if markup == "table":
            coverage = json.loads(run["stats"])
            assert coverage["arshif/field/title/found"] == coverage["arshif/pages/article"] > 0  # fields all found
            assert "site selectors delivered title 0% of found fields (information)" in result.stderr
        return
    assert run["status"] == "alarm" and reason in run["alarm_reason"]
    assert len(alarm_lines) == 1 and reason in alarm_lines[0]
    assert f"run {run['id']}: quality alarm" in result.stderr  # the CLI's own last word


def test_backfill_keeps_warc_that_warcio_validates_and_reparse_rebuilds_the_rows(mirror_factory, tmp_path):
    site = mirror_factory(articles=60)
    db = tmp_path / "a.db"
    result = arshif("backfill", "alhadath", "--ids", "1-60", "--base-url", site.base_url, "--db", db)
    assert result.returncode == EXIT_OK, result.stderr[-3000:]
    warc_dir = tmp_path / "warc"  # on by default for backfill, beside the archive
    files = sorted(warc_dir.iterdir())
    assert files and all(f.name.endswith(".warc.gz") for f in files)  # closed and renamed, none .open
    check = subprocess.run([str(Path(sys.executable).with_name("warcio")), "check", "-v", *files],
                           capture_output=True, text=True)
    assert check.returncode == 0 and "digest pass" in check.stdout and "fail" not in check.stdout.lower()
    captured = {c.pointer: c for c in iter_responses(warc_dir)}

    def articles() -> dict[int, dict]:
        with Archive(db) as archive:
            rows = archive.rows("select * from articles order by article_id")
        return {row["article_id"]: row for row in rows}

    before = articles()
    assert before and all(row["warc_record"] for row in before.values())
    for row in before.values():  # each row points at the response it was extracted from
        pointer = next(p for p in captured if str(p) == row["warc_record"])
        assert captured[pointer].url.split("/article/")[1].split("/")[0] == str(row["article_id"])

    # Spoil one row as an old extractor might have, then re-extract from the WARC files alone.
    victim = next(iter(before))
    with sqlite3.connect(db) as conn:
        conn.execute("update articles set title = 'عنوان قديم', paragraphs = '[]' where article_id = ?", [victim])
    site.stop()  # no network: the mirror is gone
    result = arshif("reparse", "--db", db)
    assert result.returncode == EXIT_OK, result.stderr[-3000:]
    assert f"{len(before)} articles with WARC records — 1 changed" in result.stderr
    after = articles()
    volatile = {"last_seen_at", "last_run_id", "version", "updated_at"}
    for article_id, row in before.items():
        assert {k: v for k, v in after[article_id].items() if k not in volatile} == \
               {k: v for k, v in row.items() if k not in volatile}
    assert after[victim]["version"] == 2
    with Archive(db) as archive:
        [old] = archive.article_versions("alhadath", victim)
    assert old["record"]["title"] == "عنوان قديم"  # the spoiled state is kept as history
    reparse_run = runs(db)[-1]
    assert reparse_run["command"] == "reparse" and reparse_run["articles_updated"] == 1
