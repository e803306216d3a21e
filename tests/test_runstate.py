"""State and counts (issue 20 item 5): runs whose process died become "abandoned"; the progress line, the
summary, the run row and the archive count the same things."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from crawler.runstate import gone, process_alive
from tests.test_crawl import REPO, arshif, ok


def one(db: Path, sql: str, params=()):
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute(sql, params)]


def start_backfill(db: Path, base_url: str, ids: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "crawler", "backfill", "alhadath", "--ids", ids, "--base-url",
                             base_url, "--db", str(db), "--no-warc"], cwd=db.parent, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(REPO)})


def wait_for_committed_articles(db: Path, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the backfill ended before it could be killed"
        try:
            if one(db, "select count(*) n from articles")[0]["n"] > 0:
                return
        except sqlite3.OperationalError:  # not created or migrated yet
            pass
        time.sleep(0.05)
    raise AssertionError("no article committed in time")


def test_a_live_process_is_not_gone_and_a_dead_or_reused_pid_is():
    me = {"pid": os.getpid(), "host": os.uname().nodename, "started_at": "2000-01-01T00:00:00+00:00"}
    assert process_alive(os.getpid()) and not gone(me, lock_free=True)
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert not process_alive(child.pid)
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        row = {"pid": sleeper.pid, "host": os.uname().nodename, "started_at": now}
        assert not gone(row, lock_free=True)  # alive: whatever the lock says
        assert gone({**row, "started_at": "2000-01-01T00:00:00+00:00"}, lock_free=False)  # a reused pid
    finally:
        sleeper.kill()
        sleeper.wait()
    elsewhere = {"pid": 1, "host": "another-host", "started_at": "2000-01-01T00:00:00+00:00"}
    assert gone(elsewhere, lock_free=True) and not gone(elsewhere, lock_free=False)


def killed_backfill(tmp_path: Path, mirror_factory, while_alive=lambda db: None) -> tuple[Path, str, int]:
    """A backfill SIGKILLed once it committed articles (``while_alive(db)`` runs just before): (db, URL, pid)."""
    site = mirror_factory(articles=3000, faults="slow=0.2")
    db = tmp_path / "a.db"
    process = start_backfill(db, site.base_url, "1-3000")
    try:
        wait_for_committed_articles(db, process)
        while_alive(db)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    return db, site.base_url, process.pid


def test_a_killed_run_is_abandoned_by_stats_only_once_its_process_is_gone(tmp_path, mirror_factory):
    def stats_while_alive(db):
        deadline = time.monotonic() + 30  # the owner notes pages on its commit timer (every 5 s)
        while not one(db, "select pages from crawl_runs")[0]["pages"] and time.monotonic() < deadline:
            time.sleep(0.1)
        alive = json.loads(ok(arshif("stats", "--db", str(db), "--json", cwd=tmp_path)).stdout)
        assert alive["runs"][0]["status"] == "running"  # its process still works: left alone

    db, _, pid = killed_backfill(tmp_path, mirror_factory, stats_while_alive)
    stats = json.loads(ok(arshif("stats", "--db", str(db), "--json", cwd=tmp_path)).stdout)
    assert stats["runs"][0]["status"] == "abandoned"
    [run] = one(db, "select * from crawl_runs")
    assert run["status"] == "abandoned" and f"pid {pid}" in run["finish_reason"]
    assert run["finished_at"] and run["articles_new"] == one(db, "select count(*) n from articles")[0]["n"] > 0
    assert run["pages"] >= run["articles_new"] // 2  # the pages it had noted before it died


def test_the_next_run_marks_a_killed_run_abandoned(tmp_path, mirror_factory):
    db, base_url, _ = killed_backfill(tmp_path, mirror_factory)
    ok(arshif("backfill", "alhadath", "--ids", "1-20", "--base-url", base_url, "--db", str(db), "--no-warc",
              cwd=tmp_path))
    assert [r["status"] for r in one(db, "select status from crawl_runs order by id")] == ["abandoned", "ok"]


def test_progress_summary_run_row_and_archive_count_the_same(tmp_path, mirror_factory):
    site = mirror_factory(articles=800, seed=1)
    db = tmp_path / "a.db"
    result = ok(arshif("crawl", "alhadath", "--base-url", site.base_url, "--db", str(db), cwd=tmp_path))
    progress = re.search(r"finished: ([\d,]+) pages · ([\d,]+) new · ([\d,]+) aliases", result.stderr)
    summary = re.search(r"([\d,]+) pages, ([\d,]+) new \(([\d,]+) near duplicates\), \d+ updated, ([\d,]+) aliases",
                        result.stdout)
    assert progress and summary, result.stdout + result.stderr[-2000:]
    [run] = one(db, "select * from crawl_runs")
    articles = one(db, "select count(*) n, count(near_duplicate_of) near from articles")[0]
    aliases = one(db, "select count(*) n from aliases")[0]["n"]
    number = lambda text: int(text.replace(",", ""))  # noqa: E731
    assert number(progress[2]) == number(summary[2]) == run["articles_new"] == articles["n"]
    assert number(summary[3]) == run["near_duplicates"] == articles["near"] > 1
    assert number(progress[3]) == number(summary[4]) == run["aliases"] == aliases
    assert number(progress[1]) == number(summary[1]) == run["pages"]
