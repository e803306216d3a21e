"""The cost of storing an article must not grow with the archive: every statement the pipelines and the
spider's bookkeeping run per item is answered from an index (SQLite's own query plans, not timings)."""

from __future__ import annotations

import re

from crawler.dedupe import Fingerprint, folded_band_hashes
from crawler.storage import MIGRATIONS, Archive
from tests.test_pipelines import LONG, chain, crawler  # noqa: F401  (crawler is a fixture)
from tests.test_storage import SITE, record

# "SEARCH t USING INDEX i (site=?)" walks every row of the site: as bad as a scan; so does a search of
# failures by (site, resolved_at) alone, over every open failure.
_TOO_WIDE = re.compile(r"\((site=\?|site=\? AND resolved_at=\?)\)$")
# The one scan allowed: of a statement's own VALUES list (an article's 16 band keys are inserted by one statement)
# or of the one row of a SELECT without FROM (dedupe's lookup of an id's traces: ``select 2 ... where exists``).
_CONSTANT_ROWS = re.compile(r"SCAN (\d+ CONSTANT ROWS|CONSTANT ROW)$")


def plan_problems(archive: Archive, statements: list[str]) -> list[str]:
    problems = []
    for sql in dict.fromkeys(statements):
        if not re.match(r"\s*(select|update|delete|insert)", sql, re.IGNORECASE):
            continue
        for *_ids, detail in archive.db.execute("explain query plan " + sql):
            if _CONSTANT_ROWS.match(detail):
                continue
            if detail.startswith("SCAN") or (detail.startswith("SEARCH") and _TOO_WIDE.search(detail)):
                problems.append(f"{detail}  ←  {sql[:160]}")
    return problems


def test_every_per_item_statement_uses_an_index(crawler):  # noqa: F811
    process = chain(crawler)
    archive = crawler.arshif_context.archive
    for article_id in range(1000, 1030):  # an archive that is not empty
        process(record(article_id, paragraphs=(" ".join(f"نص{article_id}x{i}" for i in range(80)),)))
    statements: list[str] = []
    archive.db.conn.set_trace_callback(statements.append)
    try:
        process(record(111, paragraphs=(LONG.replace("كلمة7 ", "تعديل "),)))  # new
        process(record(150, paragraphs=(LONG,)))  # near duplicate of 111
        process(record(101, paragraphs=(LONG,)))  # the original: 150 demoted to alias, 111 repointed
        process(record(160, paragraphs=(LONG,)))  # exact duplicate: an alias
        process(record(111, paragraphs=(LONG.replace("كلمة7 ", "تعديل "),)))  # unchanged refetch
        process(record(111, title="عنوان جديد", paragraphs=(LONG.replace("كلمة7 ", "تعديل "),)))  # a new version
        archive.record_miss(SITE, 5, url="u5", reason="soft404")
        archive.record_failure(SITE, "u6", reason="http 500", attempts=4, article_id=6)
        archive.resolve_failure(SITE, "u6")
        archive.stored_ids(SITE, range(90, 200))
        archive.known_misses(SITE, range(1, 10))
        archive.commit()
    finally:
        archive.db.conn.set_trace_callback(None)
    assert len(statements) > 30
    assert plan_problems(archive, statements) == []


def test_band_index_is_rebuilt_by_the_signature_migration(tmp_path):
    """An archive whose band hashes came from an older signature gets them recomputed from its folded
    bodies, so its articles are found as near-duplicate originals again."""
    from crawler.storage.keys import band_key
    from tests.legacy_archive import add_legacy_article, legacy_archive

    path = tmp_path / "old.db"
    rec = record(7, paragraphs=(LONG,))
    fingerprint = Fingerprint(rec["paragraphs"])
    db = legacy_archive(path, "m002_band_hashes_v2")
    add_legacy_article(db, rec, content_hash=fingerprint.content_hash, band_hashes=[1] * 16)
    db.close()
    with Archive(path) as reopened:
        assert not MIGRATIONS.pending(reopened.db)
        stored = {row[0] for row in reopened.db.execute(
            "select key from band_keys where site = ? and article_id = 7", [SITE])}
        assert fingerprint.band_hashes == folded_band_hashes(fingerprint.folded)
        assert stored == {band_key(band, value) for band, value in enumerate(fingerprint.band_hashes)}
        near = Fingerprint([LONG.replace("كلمة9 ", "اخرى ")])
        assert [ref.article_id for ref, _body in reopened.near_duplicate_candidates(SITE, near.band_hashes)] == [7]


def test_the_folded_body_is_the_one_the_index_and_dedupe_read(crawler):  # noqa: F811
    """The lean archive stores no folded body: dedupe and exact phrases read ``folded_body(paragraphs)``,
    which must be what the pipeline folded (and indexed) when it stored the article."""
    from crawler.storage import body_text
    from crawler.text import fold_arabic, search_form

    rec = record(9, paragraphs=("قالَت الحكومـة إن الأسرى", "عدد ٢٠٢٤ (تقرير)"))
    item = chain(crawler)(rec)
    archive = crawler.arshif_context.archive
    archive.flush()
    [stored] = archive.db.execute(
        "select folded_body(paragraphs) from articles where site = ? and article_id = 9", [SITE]).fetchall()
    assert stored[0] == item.fingerprint.folded == fold_arabic(body_text(rec))
    assert archive.db.execute("select count(*) from articles_fts where articles_fts match ?",
                              [search_form("الحكومة الاسرى تقرير")]).fetchone()[0] == 1
