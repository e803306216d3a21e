"""The per-database lock: one run at a time, released by the kernel whatever way the holder ends."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from crawler.errors import EXIT_LOCKED, LockedError
from crawler.lock import ArchiveLock, lock_path

HOLD = """
import sys, time
from crawler.lock import ArchiveLock
lock = ArchiveLock(sys.argv[1]); lock.acquire()
print("locked", flush=True)
time.sleep(60)
"""


def test_second_lock_on_same_db_fails_with_its_exit_code(tmp_path):
    db = tmp_path / "a.db"
    with ArchiveLock(db):
        with pytest.raises(LockedError) as raised:
            ArchiveLock(db).acquire()
    assert raised.value.exit_code == EXIT_LOCKED == 6
    assert "in use by another run" in str(raised.value)
    assert "pid" in str(raised.value)  # says who holds it


def test_lock_is_free_again_after_release_and_per_file(tmp_path):
    with ArchiveLock(tmp_path / "a.db"), ArchiveLock(tmp_path / "b.db"):
        pass
    with ArchiveLock(tmp_path / "a.db") as lock:
        assert lock.held
    assert not lock.held
    assert lock_path(tmp_path / "a.db").exists()  # the file stays; only the flock matters


def test_lock_of_a_killed_process_is_not_stale(tmp_path):
    db = tmp_path / "a.db"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(LockedError, match=f"pid {holder.pid}"):
            ArchiveLock(db).acquire()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    deadline = time.monotonic() + 5
    while True:  # the kernel drops the flock as the process dies
        try:
            with ArchiveLock(db):
                break
        except LockedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_crawl_and_backfill_if_unlocked_exit_0_with_one_line_while_another_run_holds_the_lock(tmp_path):
    # the cron recipe: an hourly run while a long walk holds the lock is no failure
    db = tmp_path / "a.db"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        base = ["--db", str(db), "--base-url", "http://127.0.0.1:9"]
        for command in (["crawl", "alhadath"], ["backfill", "alhadath", "--ids", "1-5"]):
            plain = subprocess.run([sys.executable, "-m", "crawler", *command, *base],
                                   capture_output=True, text=True, timeout=120)
            assert plain.returncode == EXIT_LOCKED, plain.stderr
            skipped = subprocess.run([sys.executable, "-m", "crawler", *command, *base, "--if-unlocked"],
                                     capture_output=True, text=True, timeout=120)
            assert skipped.returncode == 0, skipped.stderr
            lines = skipped.stdout.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("skipped:") and f"pid {holder.pid}" in lines[0]
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
