"""The archive under hostile conditions (issue 12): hostile strings, a full disk, a reader holding it open."""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import subprocess
import sys

import pytest

from crawler.errors import EXIT_DISK_FULL
from crawler.export import export_archive
from crawler.items import ARTICLE_FIELDS
from crawler.search import search
from crawler.storage import Archive, ArchiveFull, ArticleWrite
from crawler.storage.connection import MAX_PAGE_COUNT_ENV
from tests.test_crawl import REPO, articles, assert_archive_is_truth, last_run, ok, rows
from tests.test_storage import record

# -- hostile strings (hazard 8) -------------------------------------------------------------------------

DROP = "'); DROP TABLE articles;--"
LONG_LINE = "سطر " * 51_200  # one 200 KB line, no newline
HOSTILE = {
    "title": "=cmd|' /C calc'!A0 " + DROP,
    "subtitle": 'قال "الوزير" ]] [[',
    "byline_raw": "]",
    "dateline": "\u202eنص معكوس\u202c",
    "category": "+SUM(1,1)",
    "published_raw": "-1 \x00 NUL",
    "paragraphs": [DROP, 'a "quoted" ] bracket', "before\x00after NUL", "\u202e RLO", LONG_LINE, "@import"],
    "authors": [DROP, "\x00", '"'],
    "tags": ["]", "\u202e", "=1+1"],
    "images": [{"url": "https://www.alhadath.ps/i.jpg?x=']", "caption": "\x00" + DROP}],
}


def schema(db) -> list[tuple]:
    return sorted(db.execute("select type, name, tbl_name, sql from sqlite_master").fetchall(), key=str)


def test_hostile_strings_round_trip_byte_identically_and_leave_the_schema_alone(tmp_path):
    """Stored as given, NUL included (the storage removes nothing; the crawl's cleaning removes the
    invisible bidi controls such as U+202E from page text before it gets here)."""
    path = tmp_path / "h.db"
    with Archive(path) as archive:
        before = schema(archive.db)
        hostile = {**record(666), **HOSTILE}
        archive.upsert_articles([ArticleWrite({**hostile, "evil]; drop table x;--": 1}, content_hash=DROP)])
        archive.record_failure("alhadath", "https://www.alhadath.ps/article/667", reason=DROP, attempts=1)
        archive.add_alias({**record(668), "title": DROP}, of=666)
    with Archive(path) as archive:
        assert archive.get_article("alhadath", 666) == hostile  # every field, byte for byte
        assert schema(archive.db) == before  # no column or table from page content
        assert archive.integrity_check() == "ok"
        assert archive.open_failures()[0]["reason"] == DROP
    assert [hit.article_id for hit in search(path, "سطر")] == [666]
    assert [hit.article_id for hit in search(path, DROP)] == [666]  # plain words: no FTS syntax error
    assert [hit.article_id for hit in search(path, '"' + DROP + '"')] == [666]  # as an exact phrase too

    export_archive(path, "jsonl", tmp_path / "h.jsonl")
    [row] = [json.loads(line) for line in (tmp_path / "h.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {key: row[key] for key in ARTICLE_FIELDS} == hostile

    export_archive(path, "csv", tmp_path / "h.csv")
    csv.field_size_limit(sys.maxsize)  # Python's reader stops at 128 KB a cell by default; the line is 200 KB
    with open(tmp_path / "h.csv", encoding="utf-8", newline="") as stream:
        [cells] = list(csv.DictReader(stream))
    assert cells["title"] == hostile["title"] and cells["published_raw"] == hostile["published_raw"]
    # CSV for people: the body as text, cut at Excel's cell limit with a marker (LONG_LINE is 200 KB)
    from crawler.export import EXCEL_CELL_LIMIT, TRUNCATED_MARKER

    body = "\n\n".join(hostile["paragraphs"])
    assert cells["paragraphs"] == body[: EXCEL_CELL_LIMIT - len(TRUNCATED_MARKER)] + TRUNCATED_MARKER

    export_archive(path, "csv", tmp_path / "x.csv", excel=True)
    with open(tmp_path / "x.csv", encoding="utf-8-sig", newline="") as stream:
        [cells] = list(csv.DictReader(stream))
    assert cells["title"] == "'" + hostile["title"] and cells["category"] == "'+SUM(1,1)"
    assert cells["published_raw"] == "'-1 \x00 NUL" and cells["subtitle"] == hostile["subtitle"]

    pq = pytest.importorskip("pyarrow.parquet")
    export_archive(path, "parquet", tmp_path / "h.parquet")
    [parquet_row] = pq.read_table(tmp_path / "h.parquet").to_pylist()
    assert {key: parquet_row[key] for key in ARTICLE_FIELDS if key not in ("published_at", "modified_at")} == {
        key: value for key, value in hostile.items() if key not in ("published_at", "modified_at")}


# -- disk full (hazard 9) ---------------------------------------------------------------------------------


def test_a_full_archive_raises_archive_full_and_rolls_back_only_the_open_batch(tmp_path):
    path = tmp_path / "f.db"
    with Archive(path) as archive:
        pages = archive.db.execute("PRAGMA page_count").fetchone()[0]
    os.environ[MAX_PAGE_COUNT_ENV] = str(pages + 12)
    try:
        archive = Archive(path, batch_size=5)
        stored = 0
        with pytest.raises(ArchiveFull, match="database or disk is full"):
            for article_id in range(1, 1000):
                archive.upsert_articles([ArticleWrite(record(article_id, paragraphs=["نص " * 400]), content_hash="h")])
                stored = article_id
        assert stored >= 5 and not archive.db.conn.in_transaction
        committed = archive.db.execute("select count(*) from articles").fetchone()[0]
        assert committed == stored - stored % 5  # the last, open batch was rolled back as a whole
        assert archive.integrity_check() == "ok"
        archive.close()
    finally:
        del os.environ[MAX_PAGE_COUNT_ENV]


def test_disk_full_during_a_backfill_stops_with_exit_7_and_a_rerun_completes(mirror_factory, tmp_path):
    mirror = mirror_factory(articles=300, seed=5)
    db = tmp_path / "a.db"
    with Archive(db) as archive:
        pages = archive.db.execute("PRAGMA page_count").fetchone()[0]
    command = [sys.executable, "-m", "crawler", "backfill", "alhadath", "--ids", "1-300", "--base-url",
               mirror.base_url, "--db", str(db), "--no-warc", "--log-level", "WARNING"]
    env = {**os.environ, "PYTHONPATH": str(REPO), MAX_PAGE_COUNT_ENV: str(pages + 150)}
    full = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env)
    assert full.returncode == EXIT_DISK_FULL, full.stderr[-3000:]
    last_line = full.stderr.strip().splitlines()[-1]
    assert last_line.startswith(f"arshif: disk full: {db}: database or disk is full"), last_line
    assert rows(db, "PRAGMA integrity_check")[0]["integrity_check"] == "ok"
    run = last_run(db)
    stored_by_run = rows(db, "select count(*) n from articles where first_run_id = ?", [run["id"]])[0]["n"]
    assert 0 < stored_by_run < 250 and run["finish_reason"] == "disk_full" and run["status"] == "failed"
    assert run["articles_new"] == stored_by_run  # the summary counts what was committed, nothing more
    assert f"{stored_by_run:,} new" in full.stdout
    assert run["stats"]["downloader/request_count"] < 300  # it stopped fetching
    print(f"disk full after {stored_by_run} articles, {run['stats']['downloader/request_count']} requests")

    ok(subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300,
                      env={**os.environ, "PYTHONPATH": str(REPO)}))
    truth = mirror.truth()
    assert_archive_is_truth(db, truth)  # every article once, every field right
    misses = {m["article_id"] for m in rows(db, "select * from misses")}
    assert misses == {t["id"] for t in truth if t["status"] in ("missing", "soft404")}
    assert rows(db, "PRAGMA integrity_check")[0]["integrity_check"] == "ok"


# -- a reader holding the archive (hazard 11) -------------------------------------------------------------


def test_a_reader_holding_a_read_transaction_does_not_fail_the_crawl(mirror_factory, tmp_path):
    mirror = mirror_factory(articles=200, seed=9)
    db = tmp_path / "a.db"
    Archive(db).close()  # the archive exists (as after an earlier run) and a reader opens it, like Datasette
    reader = sqlite3.connect(db, isolation_level=None)
    reader.execute("begin")
    seen = reader.execute("select count(*) from articles").fetchone()[0]  # holds a read snapshot from here
    try:
        command = [sys.executable, "-m", "crawler", "backfill", "alhadath", "--ids", "1-200", "--base-url",
                   mirror.base_url, "--db", str(db), "--no-warc", "--log-level", "WARNING"]
        process = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
        during = []
        while process.poll() is None:  # the reader keeps reading its snapshot while the crawl commits
            during.append(reader.execute("select count(*) from articles").fetchone()[0])
        stdout, stderr = process.communicate()
        assert process.returncode == 0, stderr[-3000:]
        assert "locked" not in stderr
        assert set(during) <= {seen}  # the reader's snapshot never moved (no half batch seen)
    finally:
        reader.execute("rollback")
    assert reader.execute("select count(*) from articles").fetchone()[0] == len(articles(db)) > 0
    reader.close()
    assert_archive_is_truth(db, mirror.truth())
