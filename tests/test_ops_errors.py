"""Errors that say what happened (issue 20, item 4): a damaged or foreign --db file, a bad --base-url, an
unknown site, a --db in a missing folder, a closed stdout; `arshif check` and `arshif backup`.

Every case runs the real `python -m crawler` in a subprocess and looks at its exit code and stderr.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crawler.errors import EXIT_BAD_ARCHIVE, EXIT_BROKEN_PIPE, EXIT_USAGE
from tests.ops_archive import build_archive

REPO = Path(__file__).resolve().parent.parent
DEAD_URL = "http://127.0.0.1:9"  # nothing listens: a command that got that far would exit 4


def arshif(*args: str, cwd: Path, timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "crawler", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout, **kwargs)


def one_line(result: subprocess.CompletedProcess) -> str:
    """stderr is exactly one `arshif: …` line: no traceback, no Scrapy log."""
    lines = result.stderr.strip().splitlines()
    assert "Traceback" not in result.stderr, result.stderr
    assert len(lines) == 1 and lines[0].startswith("arshif: "), result.stderr
    return lines[0]


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("good") / "good.db"
    build_archive(path, 300)
    return path


def damaged_files(folder: Path, good: Path) -> dict[str, Path]:
    files = {"random": folder / "random.db", "truncated": folder / "truncated.db", "foreign": folder / "foreign.db"}
    files["random"].write_bytes(os.urandom(20_000))
    files["truncated"].write_bytes(good.read_bytes()[:100_000])  # a copy cut short
    conn = sqlite3.connect(files["foreign"])  # another program's SQLite file: never migrated into an archive
    conn.execute("create table contacts (name text)")
    conn.commit()
    conn.close()
    return files


COMMANDS = {
    "stats": ["stats"],
    "export": ["export", "--format", "jsonl"],
    "search": ["search", "الحدث"],
    "reparse": ["reparse", "--warc", "."],
    "check": ["check"],
    "backup": ["backup", "copy.db"],
    "crawl": ["crawl", "alhadath", "--base-url", DEAD_URL],
    "backfill": ["backfill", "alhadath", "--ids", "1-3", "--base-url", DEAD_URL, "--no-warc"],
}


@pytest.mark.parametrize("kind", ["random", "truncated", "foreign"])
def test_a_damaged_or_foreign_file_is_one_line_and_exit_10_in_every_command(tmp_path, archive, kind):
    bad = damaged_files(tmp_path, archive)[kind]
    before = bad.read_bytes()
    for name, args in COMMANDS.items():
        result = arshif(*args, "--db", str(bad), cwd=tmp_path)
        assert result.returncode == EXIT_BAD_ARCHIVE, (name, result.returncode, result.stderr)
        line = one_line(result)
        assert str(bad.name) in line, (name, line)
    assert bad.read_bytes() == before  # nothing migrated into it, nothing written
    assert not (tmp_path / "copy.db").exists()


@pytest.mark.parametrize("url", ["notaurl", "ftp://127.0.0.1/x", "http://", "http://127.0.0.1:notaport"])
def test_a_bad_base_url_is_a_usage_error(tmp_path, url):
    for args in (["crawl", "alhadath"], ["backfill", "alhadath", "--ids", "1-2"]):
        result = arshif(*args, "--base-url", url, "--db", str(tmp_path / "a.db"), cwd=tmp_path)
        assert result.returncode == EXIT_USAGE, (args, result.stderr)
        assert "--base-url" in one_line(result)
    assert not (tmp_path / "a.db").exists()


def test_an_unknown_site_is_a_usage_error_naming_the_known_ones(tmp_path, archive):
    for args in (["export", "--format", "jsonl", "--site", "nosuch"], ["search", "غزة", "--site", "nosuch"],
                 ["reparse", "--warc", ".", "--site", "nosuch"], ["crawl", "nosuch"],
                 ["backfill", "nosuch", "--ids", "1-2"],
                 ["store", "--redis", "redis://127.0.0.1:9/0", "--site", "nosuch"],
                 ["worker", "nosuch", "--redis", "redis://127.0.0.1:9/0"]):
        result = arshif(*args, "--db", str(archive), cwd=tmp_path) if args[0] != "worker" else \
            arshif(*args, cwd=tmp_path)
        assert result.returncode == EXIT_USAGE, (args, result.stderr)
        line = one_line(result)
        assert "nosuch" in line and "alhadath" in line, line
    runs = sqlite3.connect(archive).execute("select count(*) from crawl_runs").fetchone()[0]
    assert runs == 0  # reparse recorded no run for a site that does not exist


def test_crawl_and_backfill_create_an_archive_only_in_an_existing_folder(tmp_path):
    for args in (["crawl", "alhadath"], ["backfill", "alhadath", "--ids", "1-2"]):
        result = arshif(*args, "--base-url", DEAD_URL, "--db", str(tmp_path / "typo" / "a.db"), cwd=tmp_path)
        assert result.returncode == EXIT_USAGE, result.stderr
        assert "typo" in one_line(result)
        assert not (tmp_path / "typo").exists()


def test_a_closed_stdout_ends_quietly(tmp_path, archive):
    for args in (["export", "--format", "jsonl"], ["export", "--format", "csv"], ["search", "الحدث", "--limit", "300"]):
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        process = subprocess.Popen([sys.executable, "-m", "crawler", *args, "--db", str(archive)], cwd=tmp_path,
                                   env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        first = process.stdout.readline()  # `| head -1`
        process.stdout.close()
        code = process.wait(timeout=60)
        stderr = process.stderr.read().decode()
        assert first
        assert code == EXIT_BROKEN_PIPE, (args, code, stderr)
        assert stderr == "", stderr


def test_check_says_ok_for_a_sound_archive(tmp_path, archive):
    result = arshif("check", "--db", str(archive), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "ok" in result.stdout


def test_check_names_each_broken_invariant_and_what_to_do(tmp_path, archive):
    bad = tmp_path / "bad.db"
    bad.write_bytes(archive.read_bytes())
    conn = sqlite3.connect(bad)
    conn.executescript("""
        insert into aliases (site, alias_url, article_id, kind) values ('alhadath', 'https://x/a', 999999, 'redirect');
        insert into misses (site, article_id, reason, first_seen_at, last_checked_at)
            values ('alhadath', 5, 'soft404', '2026-01-01', '2026-01-01');
        insert into article_versions (site, article_id, version, record) values ('alhadath', 8, 3, '{}');
        delete from articles where article_id = 7;
    """)
    conn.commit()
    conn.close()
    result = arshif("check", "--db", str(bad), cwd=tmp_path)
    assert result.returncode == EXIT_BAD_ARCHIVE
    for name in ("aliases-without-article", "misses-of-stored-articles", "versions-not-contiguous",
                 "search-index"):
        assert f"{name}:" in result.stdout, result.stdout
    assert result.stdout.count("what to do:") == 4
    assert one_line(result).endswith("4 problems found")


def test_backup_of_a_live_archive_is_a_consistent_snapshot(tmp_path, archive):
    """A writer commits batches of 50 articles for as long as the test runs; each backup taken meanwhile
    passes `arshif check` and holds a whole number of batches (never half of one)."""
    live = tmp_path / "live.db"
    build_archive(live, 100)
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(live)], cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "writing"
        counts = []
        for n in range(3):
            result = arshif("backup", str(tmp_path / f"copy{n}.db"), "--db", str(live), cwd=tmp_path)
            assert result.returncode == 0, result.stderr
            check = arshif("check", "--db", str(tmp_path / f"copy{n}.db"), cwd=tmp_path)
            assert check.returncode == 0, check.stdout + check.stderr
            conn = sqlite3.connect(tmp_path / f"copy{n}.db")
            count = conn.execute("select count(*) from articles").fetchone()[0]
            assert conn.execute("pragma journal_mode").fetchone()[0] == "delete"  # self-contained
            conn.close()
            assert (count - 100) % 50 == 0, count
            counts.append(count)
            time.sleep(0.3)
        assert writer.poll() is None  # it was writing all along
        assert counts[-1] > 100
    finally:
        writer.send_signal(signal.SIGTERM)
        writer.wait(timeout=30)
    assert not list(tmp_path.glob("*.part"))
    again = arshif("backup", str(tmp_path / "copy0.db"), "--db", str(live), cwd=tmp_path)
    assert again.returncode == EXIT_USAGE and "--overwrite" in one_line(again)


WRITER = """
import random, signal, sys, time
from crawler.storage import Archive, ArticleWrite
from tests.ops_archive import synthetic_record
stop = []
signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
rng = random.Random(1)
with Archive(sys.argv[1], batch_size=10**9, commit_interval=10**9) as archive:
    next_id = 1000
    print("writing", flush=True)
    while not stop:
        writes = [ArticleWrite(record=synthetic_record(i, rng), content_hash=f"w-{i}") for i in range(next_id, next_id + 50)]
        archive.upsert_articles(writes)
        archive.commit()
        next_id += 50
        time.sleep(0.01)
"""


def test_an_archive_a_writer_was_killed_while_making_is_recovered_not_refused(tmp_path):
    """A writer killed while it creates the archive, before its switch to WAL, leaves a hot rollback journal
    (``a.db-journal``). A read-only open cannot roll it back (SQLite: "attempt to write a readonly database",
    SQLITE_READONLY_ROLLBACK), so the check every command makes first failed on that run and every later one.
    Seen in CI as a distributed writer restarted after ``kill -9``; kills at random in the first 4 ms of
    ``Archive("x.db")`` left it in about one in four runs. The check now rolls the journal back with a read-write open."""
    from crawler.storage.connection import inspect_file

    db = tmp_path / "a.db"
    killed = subprocess.run([sys.executable, "-c", (
        "import os, signal, sqlite3, sys\n"
        "conn = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "conn.execute('create table articles (x)')\n"
        "conn.execute('pragma cache_size = 2')\n"  # the transaction's pages spill into the file: the journal is hot
        "conn.execute('begin immediate')\n"
        "conn.execute('create table half_made (x)')\n"
        "conn.executemany('insert into articles values (?)', [('x' * 500,)] * 200)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"), str(db)])
    assert killed.returncode == -signal.SIGKILL
    journal = Path(f"{db}-journal")
    assert journal.stat().st_size > 0
    with pytest.raises(sqlite3.OperationalError) as refused:  # SQLite's own answer, read-only
        sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True).execute("select name from sqlite_master").fetchall()
    assert refused.value.sqlite_errorcode == sqlite3.SQLITE_READONLY_ROLLBACK
    inspect_file(db)
    assert not journal.exists() or journal.stat().st_size == 0
    conn = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True)
    try:  # the killed transaction is undone: its table and its row are gone
        assert [row[0] for row in conn.execute("select name from sqlite_master")] == ["articles"]
        assert conn.execute("select count(*) from articles").fetchone() == (0,)
    finally:
        conn.close()
