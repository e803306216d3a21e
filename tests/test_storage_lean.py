"""The lean archive (issue 22 item 3, migrations m201/m202): the text stored once, a contentless search index,
band hashes in one WITHOUT ROWID table; an older archive shrinks on opening and answers as before."""

from __future__ import annotations

import random
import sqlite3

from crawler.dedupe import Fingerprint
from crawler.storage import Archive, search_articles
from crawler.storage.queries import search_condition
from crawler.storage.keys import RUN_LEVELS
from tests.legacy_archive import add_legacy_article, legacy_archive
from tests.test_storage import SITE, record, write

WORDS = ("الحكومة", "القدس", "الأسرى", "مسيرة", "رام", "الله", "إضراب", "المعلمين", "بإسرائيل", "حكومتها",
         "الاحتلال", "مدرسة", "وزارة", "الصحة", "غزة", "نابلس", "الخليل", "اعتقال", "شهيد", "مستوطنين")
QUERIES = ("الحكومة", "القدس", "حكومة", "إسرائيل", '"رام الله"', "الأسرى مسيرة", '"وزارة الصحة" غزة',
           "المعلمين", '"المعلمين"', "نابلس الخليل", "شهيد", "اعتقال مستوطنين", "غير موجودة")


def body(rng: random.Random, words: int) -> list[str]:
    return [" ".join(rng.choice(WORDS) for _ in range(words // 2)), " ".join(rng.choice(WORDS) for _ in range(words // 2))]


def records(count: int = 60) -> list[dict]:
    rng = random.Random(5)
    out = []
    for article_id in range(1, count + 1):
        paragraphs = body(rng, rng.choice((6, 40, 90)))
        if article_id % 10 == 0:  # a near copy of the one before: shares bands
            paragraphs = [*out[-1]["paragraphs"][:-1], out[-1]["paragraphs"][-1] + " " + rng.choice(WORDS)]
        out.append(record(article_id, title=" ".join(rng.choice(WORDS) for _ in range(4)), paragraphs=paragraphs))
    return out


def answers(archive: Archive) -> list[list[tuple[int, float]]]:
    """Each query's hits in rank order with their bm25 scores."""
    out = []
    for text in QUERIES:
        matching, params = search_condition(text, "a")
        scores = archive.rows(
            "select a.article_id, bm25(articles_fts) as score from articles_fts join articles a"
            f" on a.rowid = articles_fts.rowid where {matching} order by bm25(articles_fts) limit 50", params)
        ids = [row["article_id"] for row in search_articles(archive, text, limit=50)]
        assert ids == [row["article_id"] for row in scores]
        out.append([(row["article_id"], round(row["score"], 9)) for row in scores])
    return out


def candidates(archive: Archive, recs: list[dict]) -> dict[int, list[int]]:
    return {rec["article_id"]: sorted(ref.article_id for ref, _ in archive.near_duplicate_candidates(
        SITE, Fingerprint(rec["paragraphs"]).band_hashes, exclude_id=rec["article_id"])) for rec in recs}


def test_an_older_archive_shrinks_and_answers_as_a_fresh_lean_one(tmp_path):
    recs = records()
    old_path = tmp_path / "old.db"
    db = legacy_archive(old_path, "m201_lean_archive")
    for rec in recs:
        fp = Fingerprint(rec["paragraphs"])
        add_legacy_article(db, rec, content_hash=fp.content_hash, band_hashes=fp.band_hashes)
    db.close()
    with Archive(tmp_path / "fresh.db") as fresh:
        fresh.upsert_articles([write(rec) for rec in recs])
        fresh.commit()
        fresh_answers, fresh_candidates = answers(fresh), candidates(fresh, recs)
    with Archive(old_path) as migrated:
        columns = {column.name for column in migrated.db["articles"].columns}
        assert not {"body_folded", "title_stemmed", "body_stemmed"} & columns and "title_folded" in columns
        assert "article_bands" not in migrated.db.table_names()
        assert answers(migrated) == fresh_answers
        assert candidates(migrated, recs) == fresh_candidates
        assert any(fresh_candidates.values())  # the near copies are found through their bands
        assert migrated.rows("select count(*) as n from band_keys")[0]["n"] == 16 * sum(
            1 for rec in recs if Fingerprint(rec["paragraphs"]).band_hashes)


def test_the_old_search_index_and_the_lean_one_rank_alike(tmp_path):
    """The rank order and bm25 scores of the external-content index over stored search columns (as m105
    left it) equal those of the contentless index, query by query."""
    recs = records()
    old_path = tmp_path / "old.db"
    db = legacy_archive(old_path, "m201_lean_archive")
    for rec in recs:
        add_legacy_article(db, rec, content_hash=Fingerprint(rec["paragraphs"]).content_hash)
    db.close()
    conn = sqlite3.connect(old_path)
    before = []
    for text in QUERIES:
        matching, params = search_condition(text, "a")
        matching = matching.replace("body_holds(a.paragraphs, ?)", "instr(' ' || a.body_folded || ' ', ?)")  # the old column
        before.append([(article_id, round(score, 9)) for article_id, score in conn.execute(
            "select a.article_id, bm25(articles_fts) from articles_fts join articles a on a.rowid = articles_fts.rowid"
            f" where {matching} order by bm25(articles_fts) limit 50", params)])
    conn.close()
    assert sum(map(len, before)) > 50
    with Archive(old_path) as migrated:
        assert answers(migrated) == before


def test_a_shrunk_archive_is_vacuumed(tmp_path):
    path = tmp_path / "old.db"
    db = legacy_archive(path, "m201_lean_archive")
    rng = random.Random(9)
    for article_id in range(1, 400):
        rec = record(article_id, paragraphs=body(rng, 200))
        fp = Fingerprint(rec["paragraphs"])
        add_legacy_article(db, rec, content_hash=fp.content_hash, band_hashes=fp.band_hashes)
    db.close()
    def size() -> int:
        conn = sqlite3.connect(path)
        conn.execute("pragma wal_checkpoint(truncate)")
        pages, page_size, free = (conn.execute(f"pragma {name}").fetchone()[0]
                                  for name in ("page_count", "page_size", "freelist_count"))
        conn.close()
        return pages * page_size, free
    before, _ = size()
    conn = sqlite3.connect(path)
    hash_index = conn.execute("select count(*) from dbstat where name = 'idx_articles_site_content_hash'").fetchone()[0]
    conn.close()
    Archive(path).close()
    after, free = size()
    conn = sqlite3.connect(path)
    marks = ",".join("?" * len(RUN_LEVELS))
    levels = conn.execute(f"select count(*) from dbstat where name in ({marks})", RUN_LEVELS).fetchone()[0]
    conn.close()
    # free: only the pages of the hash index that a later migration drops (m2xx_store4_content_keys) and of the
    # lower key levels as they were before m2xx_store6_level_runs copied them (as many as the copies hold)
    assert after < 0.6 * before and free <= hash_index + levels


def test_readers_without_the_functions_still_open_and_match(tmp_path):
    """A plain sqlite3 connection (sqlite-utils, a shell, Datasette without the plugin) reads the lean file
    and matches the index with search forms typed in."""
    with Archive(tmp_path / "a.db") as archive:
        archive.upsert_articles([write(record(1, title="إعلان الحكومة", paragraphs=("مدرسة في القُدس",)))])
    conn = sqlite3.connect(tmp_path / "a.db")
    from crawler.text import search_form

    rows = conn.execute("select a.article_id from articles_fts join articles a on a.rowid = articles_fts.rowid"
                        " where articles_fts match ?", [search_form("حكومة القدس")]).fetchall()
    assert rows == [(1,)]
    conn.close()
