"""`arshif reparse` leaves an unchanged page's row as it is, and stores a changed one as the whole ingest path does
(issue 22: a reparse that changes nothing writes nothing; ``crawler.reparse.ReparseChain``)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys

import pytest

from crawler.storage.bands import union_rows_sql
from tests.test_crawl import REPO, arshif, ok

# Wall-clock columns: two runs of the same code at different moments differ there, and only there.
CLOCKS = ("last_seen_at", "updated_at", "replaced_at", "linked_at", "resolved_at", "valid_from")


def dump(db, *, without=()) -> dict[str, list]:
    """Every row of every table but the runs' own (a reparse adds its crawl_runs row), all columns but ``without``."""
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        tables = [name for (name,) in conn.execute(
            "select name from sqlite_master where type = 'table' and name not like 'sqlite_%'"
            " and name not like '%fts%' and name not like 'band_keys%' and name != 'crawl_runs'")]
        out = {"band_keys": sorted(map(tuple, conn.execute(union_rows_sql())))}
        for table in tables:
            rows = [{k: row[k] for k in row.keys() if k not in without} for row in conn.execute(f"select * from {table}")]
            out[table] = sorted(rows, key=repr)
        return out


@pytest.fixture(scope="module")
def backfilled(tmp_path_factory):
    """A backfill of 120 ids (WARC kept) with its near duplicates and exact copies, as the crawl stored it."""
    from crawler.mirror import MirrorConfig, MirrorProcess

    work = tmp_path_factory.mktemp("reparse-unchanged")
    with MirrorProcess.start(MirrorConfig(articles=120, seed=5)) as mirror:
        ok(arshif("backfill", "alhadath", "--ids", "1-120", "--base-url", mirror.base_url, "--db",
                  str(work / "a.db"), "--no-polite", cwd=work))
    with sqlite3.connect(work / "a.db") as conn:
        linked = conn.execute("select count(*) from articles where near_duplicate_of is not null").fetchone()[0]
    assert linked > 0  # the shortcut's hard case is there: rows whose links are decided again
    return work


def copy(backfilled, tmp_path, name):
    target = tmp_path / name
    shutil.copytree(backfilled, target)
    return target / "a.db"


def reparse(db, *, jobs=1, shortcut=True, sites=None) -> str:
    """``crawler.reparse.reparse`` in a fresh process (its extractor learns nothing from another run); its counts."""
    code = (f"from crawler.reparse import reparse; r = reparse({str(db)!r}, {str(db.parent / 'warc')!r}, jobs={jobs},"
            f" shortcut={shortcut}); print(r.rows, r.outcomes, r.no_article, r.invalid, r.missing_record)")
    env = {**os.environ, "PYTHONPATH": str(REPO), **({"ARSHIF_SITES": str(sites)} if sites else {})}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip()


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_reparse_with_an_unchanged_extractor_changes_no_row(backfilled, tmp_path, jobs):
    db = copy(backfilled, tmp_path, "a")
    before = dump(db)
    counts = reparse(db, jobs=jobs)
    rows = len(before["articles"])
    assert counts == f"{rows} {{'new': 0, 'updated': 0, 'unchanged': {rows}}} 0 0 0"
    assert dump(db) == before  # every column, last_seen_at and last_run_id included


def test_a_changed_site_file_stores_what_the_whole_path_stores(backfilled, tmp_path):
    """The title read from <title> instead of <h1>: every row changes, versions and all, as the whole path
    (every page deduped and stored, the code before the shortcut) stores them; 1 and 2 jobs alike."""
    sites = tmp_path / "sites"
    sites.mkdir()
    site_file = (REPO / "crawler" / "sites" / "alhadath.toml").read_text(encoding="utf-8")
    assert 'title = "h1"' in site_file
    (sites / "alhadath.toml").write_text(site_file.replace('title = "h1"', 'title = "title"'), encoding="utf-8")
    whole, fast, fast2 = (copy(backfilled, tmp_path, name) for name in ("whole", "fast", "fast2"))
    expected = reparse(whole, shortcut=False, sites=sites)
    assert reparse(fast, sites=sites) == expected == reparse(fast2, jobs=2, sites=sites)
    assert "'unchanged': 0" in expected and "'updated': 0" not in expected
    stored = dump(whole, without=CLOCKS)
    assert dump(fast, without=CLOCKS) == stored == dump(fast2, without=CLOCKS)
    assert len(stored["article_versions"]) == len(stored["articles"])


def test_rows_an_older_code_left_are_stored_as_the_whole_path_stores_them(backfilled, tmp_path):
    """Mixed: a third of the titles differ from what the extractor reads (updated), the near-duplicate links
    are gone (decided again, on unchanged rows too) and one unchanged article has an open fetch failure
    (resolved by storing it, as a crawl would)."""
    paths = {name: copy(backfilled, tmp_path, name) for name in ("whole", "fast")}
    for db in paths.values():
        with sqlite3.connect(db) as conn:
            conn.execute("update articles set title = title || ' (قديم)' where article_id % 3 = 0")
            assert conn.execute("update articles set near_duplicate_of = null, similarity = null"
                                " where near_duplicate_of is not null").rowcount > 0
            conn.execute("insert into failures (site, url, reason, attempts, article_id, first_failed_at,"
                         " last_failed_at) select site, url, 'http 503: a stored article', 1, article_id, '2020-01-01',"
                         " '2020-01-01' from articles where article_id % 3 != 0 order by article_id limit 1")
    assert reparse(paths["fast"]) == reparse(paths["whole"], shortcut=False)
    # The one difference meant: the whole path gives an unchanged row the reparse as its last run, the
    # shortcut leaves the row as it was (the backfill's run).
    fast, whole = (dump(paths[name], without=(*CLOCKS, "last_run_id")) for name in ("fast", "whole"))
    assert fast == whole
    last_runs = {name: {row["article_id"]: row["last_run_id"] for row in dump(paths[name])["articles"]}
                 for name in paths}
    moved = {article_id for article_id, run in last_runs["fast"].items() if run != last_runs["whole"][article_id]}
    assert moved and all(last_runs["fast"][article_id] == 1 for article_id in moved)
    assert all(article_id % 3 for article_id in moved)  # only rows whose record did not change
    assert all(row["resolved_at"] is not None for row in dump(paths["fast"])["failures"])
    with sqlite3.connect(paths["fast"]) as conn:
        assert conn.execute("select count(*) from articles where near_duplicate_of is not null").fetchone()[0] > 0


def test_the_articles_that_share_band_keys_are_found_over_every_level(tmp_path):
    """``BandKeys.shared_article_ids``: the articles a near-duplicate lookup can find anything for, whichever
    level (recent, middle, main) holds each one's keys; an article alone in its bands is not among them."""
    from crawler.dedupe import Fingerprint
    from crawler.storage import Archive, ArticleWrite

    words = [f"كلمة{n}" for n in range(80)]
    bodies = {1: words, 2: words[:-1], 3: [f"أخرى{n}" for n in range(80)], 4: words[1:]}
    with Archive(tmp_path / "a.db") as archive:
        for article_id, body in bodies.items():
            paragraphs = [" ".join(body)]
            fingerprint = Fingerprint(paragraphs)
            record = {"site": "alhadath", "article_id": article_id, "url": f"https://www.alhadath.ps/article/{article_id}",
                      "title": f"خبر {article_id}", "published_at": "2024-01-01T10:00:00+02:00", "paragraphs": paragraphs}
            archive.upsert_articles([ArticleWrite(record=record, content_hash=fingerprint.content_hash,
                                                  band_hashes=fingerprint.band_hashes)])
            if article_id < 3:  # 1's keys end in the main level, 2's in the middle one, 3's and 4's stay recent
                archive.bands.merge(0)
                if article_id == 1:
                    archive.bands.merge(1)
                    archive.bands.merge(2)
        archive.commit()
        levels = [archive.scalar(f"select count(distinct article_id) from {table}") for table in archive.bands.levels]
        assert levels == [2, 1, 0, 1]  # recent, middle, lower (empty), main
        assert archive.bands.shared_article_ids("alhadath") == {1, 2, 4}
        assert archive.bands.shared_article_ids("elsewhere") == set()


def test_same_record_compares_the_stored_text_and_an_older_encoding_takes_the_whole_path(tmp_path):
    """``same_record`` is the store's own comparison made on the stored text: equal columns are an unchanged
    record; a list written by another JSON encoder (here with \\u escapes) is no match for it, and the whole path
    (``upsert_articles``) then finds the record unchanged all the same: the shortcut only ever skips what the
    store would skip."""
    import json

    from crawler.dedupe import Fingerprint
    from crawler.ingest.clean import clean_record
    from crawler.storage import Archive, ArticleWrite, Outcome, same_record

    record = clean_record({"site": "alhadath", "article_id": 7, "url": "https://www.alhadath.ps/article/7",
                           "title": "عنوان", "published_at": "2024-01-01T10:00:00+02:00",
                           "paragraphs": ["فقرة أولى", "فقرة ثانية"], "authors": ["كاتب"]})
    fingerprint = Fingerprint(record["paragraphs"])
    write = ArticleWrite(record=record, content_hash=fingerprint.content_hash, band_hashes=fingerprint.band_hashes)
    with Archive(tmp_path / "a.db") as archive:
        assert archive.upsert_articles([write]) == [Outcome.NEW]
        [columns] = archive.settled_records("alhadath", [7]).values()
        assert columns["linked"] == 0 and same_record(record, columns)
        assert not same_record({**record, "title": "عنوان آخر"}, columns)
        assert not same_record({**record, "paragraphs": ["فقرة أولى"]}, columns)
        archive.conn.execute("update articles set paragraphs = ? where article_id = 7", [json.dumps(record["paragraphs"])])
        [columns] = archive.settled_records("alhadath", [7]).values()
        assert not same_record(record, columns)
        assert archive.upsert_articles([write]) == [Outcome.UNCHANGED]
        archive.conn.execute("insert into misses (site, article_id, url, reason) values ('alhadath', 7, 'u', 'http 404')")
        assert archive.settled_records("alhadath", [7]) == {}  # a miss names it: storing it settles the miss
