"""A page that was an article never becomes a miss (issue 20 item 2): it is a failed extraction with its
WARC record; the stored article stays; reparse recovers it without a refetch; old archives are repaired."""

from __future__ import annotations

import sqlite3

from crawler.ingest import ArticleItem, Failed, FetchInfo, Ingest, Missed, MissItem
from crawler.sites import get_site
from crawler.storage import Archive
from crawler.storage.schema import STORED_ARTICLE_NOT_EXTRACTED
from crawler.warc import RotatingWarcWriter
from tests.test_crawl import arshif, articles, last_run, rows
from tests.test_storage import record

BASE = "https://www.alhadath.ps/article"


def test_a_refresh_crawl_of_a_broken_layout_records_failed_extractions_not_misses(mirror_factory, tmp_path):
    db, warc = tmp_path / "a.db", tmp_path / "warc"
    good = mirror_factory(articles=120, seed=3)
    first = arshif("crawl", "alhadath", "--base-url", good.base_url, "--db", str(db), "--warc", str(warc), cwd=tmp_path)
    assert first.returncode == 0, first.stderr[-2000:]
    good.stop()
    before = articles(db)
    aliases = {row["alias_id"] for row in rows(db, "select alias_id from aliases")}
    assert before and aliases

    broken = mirror_factory(articles=120, seed=3, markup="broken")
    refresh = arshif("crawl", "alhadath", "--base-url", broken.base_url, "--db", str(db), "--warc", str(warc),
                     "--refresh", cwd=tmp_path)
    assert refresh.returncode in (0, 5), refresh.stderr[-2000:]  # 5: the quality monitor's alarm
    run = last_run(db)
    assert run["misses"] == 0 and rows(db, "select * from misses") == []
    after = articles(db)
    assert set(after) == set(before)
    assert all((after[i]["title"], after[i]["paragraphs"], after[i]["version"]) ==
               (before[i]["title"], before[i]["paragraphs"], before[i]["version"]) for i in before)
    failures = rows(db, "select * from failures where resolved_at is null")
    assert {f["article_id"] for f in failures} == set(before) | aliases
    assert {f["reason"] for f in failures} == {STORED_ARTICLE_NOT_EXTRACTED}
    assert all(f["warc_record"] for f in failures)
    assert run["failures"] == len(failures)
    stats = arshif("stats", "--db", str(db), cwd=tmp_path)
    assert stats.returncode == 0 and "Misses (0)" in stats.stdout and STORED_ARTICLE_NOT_EXTRACTED in stats.stdout

    # The extractor still cannot read the broken pages: reparse leaves the articles and the failures as they are.
    reparse = arshif("reparse", "--db", str(db), "--warc", str(warc), cwd=tmp_path)
    assert reparse.returncode == 0, reparse.stderr[-2000:]
    assert articles(db).keys() == before.keys() and rows(db, "select * from misses") == []
    assert len(rows(db, "select * from failures where resolved_at is null")) == len(failures)


def _page(tmp_path, article_id: int) -> bytes:
    from crawler.mirror import MirrorConfig
    from crawler.mirror.pages import article_page

    return article_page(MirrorConfig(articles=20, seed=1), article_id, "http://127.0.0.1:1").body


def test_a_stored_ids_miss_is_a_failed_extraction_that_reparse_recovers(tmp_path):
    from crawler.extract import extract_article
    from crawler.reparse import reparse

    writer = RotatingWarcWriter(tmp_path / "warc")
    body = _page(tmp_path, 5)
    url = f"{BASE}/5"

    def capture() -> str:
        return str(writer.write_exchange(url=url, method="GET", request_headers=[], request_body=b"", status=200,
                                         response_headers=[("Content-Type", "text/html; charset=utf-8")], body=body))

    stored_pointer, failed_pointer = capture(), capture()
    writer.close()
    db = tmp_path / "a.db"
    with Archive(db) as archive:
        ingest = Ingest(archive, get_site("alhadath"), archive.start_run("alhadath", command="test", args={}))
        rec = {**extract_article(body, url, site="alhadath"), "article_id": 5, "url": url}
        ingest.article(ArticleItem(rec, fetch=FetchInfo(url=url, warc_record=stored_pointer)))
        # The same page fetched again, and the extractor of the day found nothing in it (a layout change):
        outcome = ingest.record(MissItem("alhadath", 5, url, "soft404", 200, warc_record=failed_pointer))
        assert outcome == Failed(url, STORED_ARTICLE_NOT_EXTRACTED, 5)
        assert ingest.record(MissItem("alhadath", 6, f"{BASE}/6", "soft404", 200)) == Missed(6, "soft404")
        assert (ingest.counts.misses, ingest.counts.failures) == (1, 1)
        archive.commit()
        [failure] = archive.open_failures()
        assert (failure["article_id"], failure["warc_record"]) == (5, failed_pointer)
        assert archive.known_misses("alhadath", [5, 6]) == {6} and archive.get_article("alhadath", 5)
    # Today's extractor reads that record: reparse re-extracts it from the WARC file, no refetch.
    result = reparse(db, tmp_path / "warc")
    assert (result.rows, result.recovered, result.no_article) == (1, 1, 0)  # the newer capture only
    with Archive(db) as archive:
        assert archive.open_failures() == []
        [row] = archive.rows("select version, warc_record from articles where article_id = 5")
        assert row == {"version": 1, "warc_record": failed_pointer}  # unchanged, pointing to its newest capture


def test_the_repair_migration_turns_old_misses_of_stored_ids_into_failures(tmp_path):
    db = tmp_path / "old.db"
    with Archive(db) as archive:  # as the code before this repair left it: misses recorded for stored ids
        ingest = Ingest(archive, get_site("alhadath"), None)
        ingest.article(ArticleItem(record(5), fetch=FetchInfo(url=f"{BASE}/5")))
        ingest.article(ArticleItem(record(6), fetch=FetchInfo(url=f"{BASE}/6")))  # same story: an alias of 5
        archive.record_miss("alhadath", 5, url=f"{BASE}/5", reason="soft404", http_status=200)
        archive.record_miss("alhadath", 6, url=f"{BASE}/6", reason="http 404", http_status=404)
        archive.record_miss("alhadath", 7, url=f"{BASE}/7", reason="soft404", http_status=200)
        archive.commit()
        assert archive.stored_ids("alhadath", [5, 6, 7]) == {5, 6}
    with sqlite3.connect(db) as conn:  # the repair has not run on this archive yet
        conn.execute("delete from _sqlite_migrations where name = 'm202_ingest_stored_misses_to_failures'")
    with Archive(db) as archive:
        assert archive.known_misses("alhadath", [5, 6, 7]) == {7}
        failures = {f["article_id"]: f for f in archive.open_failures()}
        assert set(failures) == {5, 6}
        assert failures[5]["reason"] == STORED_ARTICLE_NOT_EXTRACTED and failures[5]["url"] == f"{BASE}/5"
        assert failures[6]["reason"] == "http 404: a stored article" and failures[6]["http_status"] == 404
        assert archive.get_article("alhadath", 5) and archive.summary("alhadath").misses == 1
