"""``ArchiveReader.search`` ranks rowids from the index alone and checks a quoted phrase only on the ranked rows
it shows (issue 22): its answers must be those of the one joined query that defines them (every match's
phrase checked in SQL through ``folded_body``, then ``order by bm25 limit … offset …``)."""

from __future__ import annotations

import random

import pytest

from crawler.storage import Archive, ArticleQuery
from crawler.storage.queries import search_condition
from tests.test_storage import SITE, record, write

# "والحكومة الجديدة" and "حكومتها الجديدة" have the stems of "الحكومة الجديدة" but not its words: the index's
# phrase query finds them, the exact check must drop them.
WORDS = ("الحكومة", "والحكومة", "حكومتها", "الجديدة", "رام", "الله", "والله", "القدس", "غزة", "وزارة", "الصحة",
         "بالصحة", "مسيرة", "الأسرى")
QUERIES = ('"الحكومة الجديدة"', '"رام الله"', '"وزارة الصحة" غزة', "الحكومة", "القدس مسيرة", '"الأسرى"',
           '"رام الله" "الحكومة الجديدة"', "غير موجودة", '"غير موجودة"')
FILTERS = (ArticleQuery(), ArticleQuery(site=SITE), ArticleQuery(since="2016-01-01", until="2016-07-01"))


def reference(archive: Archive, text: str, query: ArticleQuery, limit: int, offset: int) -> list[int]:
    condition = search_condition(text, "a")
    if condition is None:
        return []
    matching, params = condition
    where, where_params = query.where("a")
    rows = archive.rows(
        "select a.article_id from articles_fts join articles a on a.rowid = articles_fts.rowid"
        f" where {matching} and {where} order by bm25(articles_fts) limit ? offset ?",
        [*params, *where_params, limit, offset])
    return [row["article_id"] for row in rows]


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    rng = random.Random(22)
    path = tmp_path_factory.mktemp("ranked") / "a.db"
    archive = Archive(path)
    for article_id in range(1, 301):
        rec = record(article_id, title=" ".join(rng.choice(WORDS) for _ in range(3)),
                     paragraphs=[" ".join(rng.choice(WORDS) for _ in range(rng.choice((5, 12, 30))))
                                 for _ in range(2)])
        rec["published_at"] = f"2016-{rng.randrange(1, 13):02d}-10T09:00:00+03:00"
        archive.upsert_articles([write(rec)])
    archive.commit()
    yield archive
    archive.close()


@pytest.mark.parametrize("text", QUERIES)
def test_search_answers_as_the_joined_query(archive, text):
    for query in FILTERS:
        for limit, offset in ((20, 0), (5, 0), (7, 13), (50, 40), (300, 0)):
            got = [row["article_id"] for row in archive.search(text, query, limit=limit, offset=offset)]
            assert got == reference(archive, text, query, limit, offset), (text, query, limit, offset)


def test_the_exact_check_drops_what_only_the_stems_match(archive):
    (matching, params) = search_condition('"الحكومة الجديدة"', "a")
    stems_only = archive.scalar(f"select count(*) from articles_fts join articles a on a.rowid = articles_fts.rowid"
                                f" where articles_fts match ?", params[:1])
    exact = archive.search_count('"الحكومة الجديدة"')
    shown = archive.search('"الحكومة الجديدة"', limit=1000)
    assert 0 < exact == len(shown) < stems_only
    assert all(" الحكومه الجديده " in " " + " ".join([row["title"], *row["paragraphs"]]).replace("ة", "ه") + " "
               for row in shown)


def test_a_stale_index_entry_is_no_hit(archive):
    """A rowid the index holds with no article behind it (a damaged archive) is skipped, as the join skips it."""
    archive.db.conn.execute("insert into articles_fts (rowid, title_stemmed, body_stemmed) values (99999, ?, ?)",
                            ["حكوم حكوم حكوم", "حكوم حكوم حكوم الجديد"])
    try:
        for text in ("الحكومة", '"الحكومة الجديدة"'):
            got = [row["article_id"] for row in archive.search(text, limit=10)]
            assert got == reference(archive, text, ArticleQuery(), 10, 0)
    finally:
        archive.rollback()


def test_body_holds_is_the_folded_body_check():
    """``body_holds`` (raw-spelling regex first, full fold otherwise) = ``' phrase ' in ' folded body '``, on
    bodies with variant spellings, tashkeel inside a word, quotes, digits and phrases across paragraphs."""
    import json

    from crawler.storage.connection import body_holds_sql, folded_body_sql
    from crawler.storage.records import encode_value
    from crawler.text import fold_arabic

    rng = random.Random(7)
    pieces = ("الحكومة", "الحكومه", "الحُكومة", "والحكومة", "الجديدة", "الجديده", "إعلان", "اعلان", "مستشفى", "مستشفي",
              "رام", "الله", "٢٠١٦", "2016", '"اقتباس"', "«الحكومة»", "الحكومة،", "ـالحكومة", "abc", "ABC")
    checked = 0
    for _ in range(400):
        paragraphs = [" ".join(rng.choice(pieces) for _ in range(rng.randrange(1, 8))) for _ in range(rng.randrange(1, 4))]
        stored = encode_value(paragraphs)
        assert json.loads(stored) == paragraphs
        for phrase in ("الحكومة", "الحكومة الجديدة", "إعلان مستشفى", "رام الله", "2016", "abc", "الجديدة الحكومة"):
            needle = f" {fold_arabic(phrase)} "
            assert body_holds_sql(stored, needle) == (needle in f" {folded_body_sql(stored)} "), (paragraphs, phrase)
            checked += 1
    assert checked == 2800


def reference_count_and_facets(archive: Archive, text: str, query: ArticleQuery) -> tuple[int, dict]:
    """Count and facets as one joined query per facet defines them: the phrase checked on every match in SQL."""
    from crawler.storage.queries import FACETS
    matching, params = search_condition(text, "a")
    where, where_params = query.where("a")
    source = (f"from articles_fts join articles a on a.rowid = articles_fts.rowid where {matching} and {where}",
              [*params, *where_params])
    count = archive.scalar(f"select count(*) {source[0]}", source[1])
    facets = {name: archive.rows(
        f"select {value} as value, count(*) as count from (select a.rowid as id {source[0]}) m"
        f" join articles a on a.rowid = m.id{join} where {value} is not null group by 1 order by 2 desc, 1 limit ?",
        [*source[1], 12]) for name, (value, join) in FACETS.items()}
    return count, facets


@pytest.mark.parametrize("text", QUERIES)
def test_count_and_facets_answer_as_the_joined_queries(archive, text):
    # A phrase search's matches are found once and reused by count and facets (serve asks for both).
    for query in FILTERS:
        expected = reference_count_and_facets(archive, text, query) if search_condition(text, "a") else (0, None)
        assert archive.search_count(text, query) == expected[0], (text, query)
        if expected[1] is not None:
            assert archive.search_facets(text, query) == expected[1], (text, query)
        assert archive.search_count(text, query) == expected[0], (text, query)  # the memo, asked again


def test_a_phrase_count_sees_the_writers_new_article(tmp_path):
    archive = Archive(tmp_path / "a.db")
    try:
        archive.upsert_articles([write(record(1, title="خبر", paragraphs=["قالت الحكومة الجديدة اليوم"]))])
        archive.commit()
        assert archive.search_count('"الحكومة الجديدة"') == 1
        archive.upsert_articles([write(record(2, title="خبر آخر", paragraphs=["الحكومة الجديدة تجتمع"]))])
        assert archive.search_count('"الحكومة الجديدة"') == 2  # a write on the connection ends the memo
        assert [f["count"] for f in archive.search_facets('"الحكومة الجديدة"')["year"]] == [2]
    finally:
        archive.close()
