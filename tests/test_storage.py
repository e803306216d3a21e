"""crawler.storage: schema, versioning, aliases, misses, failures, runs, batched commits, FTS."""

from __future__ import annotations

import sqlite3

import pytest

from crawler.dedupe import Fingerprint
from crawler.items import ARTICLE_FIELDS
from crawler.storage import Archive, ArticleWrite, Outcome, RunCounts
from crawler.text import search_form

SITE = "alhadath"


def record(article_id: int, title: str = "عنوان الخبر", paragraphs=("فقرة أولى من الخبر", "فقرة ثانية")) -> dict:
    base = {key: "" for key in ARTICLE_FIELDS}
    base.update(
        site=SITE, article_id=article_id, url=f"https://www.alhadath.ps/article/{article_id}", title=title,
        published_at="2016-02-19T23:15:08+02:00", published_raw="2016-02-19 11:15:08 PM",
        published_hijri="1437-05-11", modified_at=None, authors=["رولا سرحان"], agencies=[], paragraphs=list(paragraphs),
        images=[{"url": "https://www.alhadath.ps/images/1.jpg", "caption": "صورة ارشيفية"}], tags=["القدس"],
        language="ar", encoding="utf-8",
    )
    return base


def write(rec: dict, **kwargs) -> ArticleWrite:
    fingerprint = Fingerprint(rec["paragraphs"])
    return ArticleWrite(rec, content_hash=fingerprint.content_hash, band_hashes=fingerprint.band_hashes, **kwargs)


@pytest.fixture
def archive(tmp_path):
    with Archive(tmp_path / "a.db") as opened:
        yield opened


def test_schema_wal_and_reopen(tmp_path):
    path = tmp_path / "a.db"
    Archive(path).close()
    with Archive(path) as again:  # migrations are not applied twice
        tables = set(again.db.table_names())
        assert {"articles", "article_versions", "aliases", "misses", "failures", "crawl_runs", "band_keys",
                "listing_walks", "articles_fts"} <= tables
        assert again.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        columns = set(again.db["articles"].columns_dict)
        assert set(ARTICLE_FIELDS) <= columns
        assert {"content_hash", "first_seen_at", "last_seen_at", "version", "warc_record",
                "near_duplicate_of", "similarity"} <= columns
        assert again.integrity_check() == "ok"


def test_insert_round_trips_the_record(archive):
    rec = record(7)
    assert archive.upsert_articles([write(rec)]) == [Outcome.NEW]
    assert archive.get_article(SITE, 7) == rec
    assert archive.has_article(SITE, 7) and not archive.has_article(SITE, 8)


def test_unchanged_refetch_moves_last_seen_only(archive):
    archive.upsert_articles([write(record(7), seen_at="2026-01-01T00:00:00+00:00")])
    assert archive.upsert_articles([write(record(7), seen_at="2026-02-01T00:00:00+00:00")]) == [Outcome.UNCHANGED]
    row = archive.db["articles"].get((SITE, 7))
    assert (row["version"], row["first_seen_at"], row["last_seen_at"]) == (
        1, "2026-01-01T00:00:00+00:00", "2026-02-01T00:00:00+00:00")
    assert archive.article_versions(SITE, 7) == []


def test_changed_title_or_body_keeps_the_previous_version(archive):
    first = record(7)
    archive.upsert_articles([write(first)])
    retitled = record(7, title="عنوان معدل")
    assert archive.upsert_articles([write(retitled)]) == [Outcome.UPDATED]
    rebodied = record(7, title="عنوان معدل", paragraphs=("فقرة جديدة",))
    assert archive.upsert_articles([write(rebodied)]) == [Outcome.UPDATED]
    versions = archive.article_versions(SITE, 7)
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[0]["record"] == first and versions[1]["record"] == retitled
    assert archive.get_article(SITE, 7) == rebodied
    assert archive.db["articles"].get((SITE, 7))["version"] == 3


def test_stored_ids_is_batched_over_articles_and_aliases(archive):
    archive.upsert_articles([write(record(i, paragraphs=(f"نص {i}",))) for i in range(1, 1200, 2)])
    archive.add_alias(record(5000), of=1)
    ids = range(0, 5001)
    assert archive.stored_ids(SITE, ids) == set(range(1, 1200, 2)) | {5000}
    assert archive.stored_ids("other", ids) == set()


def test_exact_alias_and_demotion(archive):
    archive.upsert_articles([write(record(20))])
    archive.add_alias(record(30), of=20)
    assert archive.find_by_content_hash(SITE, Fingerprint(record(20)["paragraphs"]).content_hash).article_id == 20
    # id 10 turns out to be the original of 20: 20 and its alias now point at 10
    archive.upsert_articles([write(record(10))])
    archive.demote_to_alias(SITE, 20, of=10)
    assert archive.get_article(SITE, 20) is None
    aliases = {a["alias_id"]: a for a in archive.aliases_of(SITE, 10)}
    assert set(aliases) == {20, 30}
    assert aliases[20]["kind"] == "exact" and aliases[20]["title"] == "عنوان الخبر"
    assert archive.stored_ids(SITE, [10, 20, 30]) == {10, 20, 30}


def test_near_duplicate_candidates_come_from_band_index(archive):
    words = " ".join(f"كلمة{i}" for i in range(200))
    archive.upsert_articles([write(record(1, paragraphs=(words,)))])
    archive.upsert_articles([write(record(2, paragraphs=(" ".join(f"اخرى{i}" for i in range(200)),)))])
    near = Fingerprint([words.replace("كلمة5 ", "تغيير ")])
    candidates = archive.near_duplicate_candidates(SITE, near.band_hashes)
    assert [ref.article_id for ref, _ in candidates] == [1]
    assert near.similarity(candidates[0][1]) >= 0.9


def test_misses_failures_and_their_resolution(archive):
    archive.record_miss(SITE, 3, url="https://www.alhadath.ps/article/3", reason="http 404", http_status=404)
    archive.record_miss(SITE, 3, url="https://www.alhadath.ps/article/3", reason="http 404", http_status=404)
    assert archive.known_misses(SITE, [2, 3, 4]) == {3}
    assert archive.db["misses"].get((SITE, 3))["checks"] == 2
    archive.record_failure(SITE, "https://www.alhadath.ps/article/9", reason="http 503", attempts=4,
                           http_status=503, article_id=9)
    archive.record_failure(SITE, "https://www.alhadath.ps/category/9/x/page/3", reason="ConnectionLost", attempts=4)
    assert len(archive.open_failures(SITE)) == 2
    archive.upsert_articles([write(record(9))])  # a later fetch succeeded
    archive.upsert_articles([write(record(3, paragraphs=("ظهر لاحقا",)))])  # a miss that now holds an article
    assert [f["article_id"] for f in archive.open_failures(SITE)] == [None]
    assert archive.known_misses(SITE, [3]) == set()
    archive.resolve_failure(SITE, "https://www.alhadath.ps/category/9/x/page/3")
    assert archive.open_failures(SITE) == []
    assert archive.db["failures"].count == 2  # kept for the record


def test_runs(archive):
    run_id = archive.start_run(SITE, command="crawl", args={"base_url": "http://127.0.0.1:1"})
    assert archive.get_run(run_id)["status"] == "running"
    archive.finish_run(run_id, finish_reason="finished", status="ok", counts=RunCounts(pages=5, articles_new=3),
                       stats={"x": 1})
    run = archive.get_run(run_id)
    assert (run["status"], run["pages"], run["articles_new"], run["finish_reason"]) == ("ok", 5, 3, "finished")
    with pytest.raises(ValueError):
        archive.set_run_status(run_id, "weird")


def test_batches_are_committed_every_n_writes_and_at_close(tmp_path):
    path = tmp_path / "a.db"
    archive = Archive(path, batch_size=100, commit_interval=3600)
    reader = sqlite3.connect(path)

    def committed() -> int:
        return reader.execute("select count(*) from articles").fetchone()[0]

    archive.upsert_articles([write(record(i, paragraphs=(f"نص {i}",))) for i in range(99)])
    assert committed() == 0  # an item is done only once committed
    archive.upsert_articles([write(record(99, paragraphs=("نص 99",)))])
    assert committed() == 100
    archive.upsert_articles([write(record(100, paragraphs=("نص 100",)))])
    assert committed() == 100
    archive.close()
    assert committed() == 101


def test_fts_indexes_the_search_form_of_title_and_body(archive):
    archive.upsert_articles([write(record(1, title="إعلان الحكومة", paragraphs=("مدرسة في القُدس",)))])
    archive.commit()
    hits = archive.db.execute(
        "select rowid from articles_fts where articles_fts match ?", [search_form("اعلان بالقدس حكومته")]
    ).fetchall()
    assert len(hits) == 1


def test_summary(archive):
    archive.upsert_articles([write(record(1)), write(record(2, paragraphs=("اخر",)))])
    archive.add_alias(record(3), of=1)
    archive.record_miss(SITE, 4, url="u", reason="soft404")
    summary = archive.summary(SITE)
    assert (summary.articles, summary.aliases, summary.misses) == (2, 1, 1)
    assert summary.first_published.startswith("2016-02-19")


def test_an_idle_batch_is_committed_when_due(tmp_path):
    path = tmp_path / "a.db"
    archive = Archive(path, batch_size=100, commit_interval=3600)
    reader = sqlite3.connect(path)
    archive.upsert_articles([write(record(1))])
    archive.commit_if_due()
    assert reader.execute("select count(*) from articles").fetchone()[0] == 0
    archive.commit_interval = 0
    archive.commit_if_due()
    assert reader.execute("select count(*) from articles").fetchone()[0] == 1
    archive.close()


def test_list_values_are_stored_as_json_dumps_writes_them():
    """encode_value writes lists of strings itself (issue 15): the text must stay json.dumps' to the byte."""
    import json

    from crawler.storage.records import encode_value

    values = [[], ["فقرة أولى", "ثانية"], ['a"b\\c\n\t\u2028\x00\x1f', "é", "𝄞", "\ud800", ""], ["x"], [1, "a"],
              [None], [{"url": "u", "caption": "ت"}], {"k": ["v"]}, ["\u007f\u0080"],
              # the written-as-is path: one character to escape anywhere sends the list to the encoder
              ['نص "مقتبس"', "ب"], ["أ", "ب\\ج"], ["أ", "ب\x1fج"], ["أ\u2028", "ب"], ['a", "b'], ["", ""],
              ["فقرة ١", "فقرة ٢", "«اقتباس»"]]
    for value in values:
        assert encode_value(value) == json.dumps(value, ensure_ascii=False)
    assert encode_value("نص") == "نص" and encode_value(None) is None and encode_value(3) == 3


def test_a_new_article_said_new_by_dedupe_still_settles_what_named_its_id(archive):
    """``ArticleWrite.stored=False`` (dedupe found no row) skips the row lookup and, for an id nothing
    names, the settling writes; an id that was a miss, a failed fetch or an alias is settled as ever."""
    archive.record_miss(SITE, 1, url="u1", reason="soft404")
    archive.record_failure(SITE, "u2", reason="http 503", attempts=3, article_id=2)
    archive.add_alias(record(3), of=9)
    outcomes = archive.upsert_articles([write(record(i, paragraphs=(f"نص {i}",)), stored=False) for i in (1, 2, 3, 4, 5)])
    assert outcomes == [Outcome.NEW] * 5
    assert archive.known_misses(SITE, range(10)) == set() and archive.open_failures(SITE) == []
    assert archive.aliases_of(SITE, 9) == []
    # stored=False on a row that is there after all: the long way, an update
    assert archive.upsert_articles([write(record(5, paragraphs=("نص اخر",)), stored=False)]) == [Outcome.UPDATED]
