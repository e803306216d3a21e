"""The search index merges its segments 64 at a time (m2xx_scale_fts_automerge set 16, m2xx_store4_fts_merge_64
64 with ``crisismerge`` as high; issue 22: store cost flat to 1M): fewer rewrites of each entry, the same index
contents, so the same hits in the same order with the same bm25 scores as an index merged 4 at a time; an older
archive takes the setting on opening."""

from __future__ import annotations

import sqlite3

from crawler.storage import Archive
from crawler.storage.schema import SEARCH_INDEX_MERGE
from tests.test_storage import write
from tests.test_storage_lean import answers, records


def automerge(archive: Archive, key: str = "automerge") -> int | None:
    row = archive.db.conn.execute("select v from articles_fts_config where k = ?", [key]).fetchone()
    return row and row[0]


def segments_rows(archive: Archive) -> int:
    """Rows of the FTS5 index's own table: more while more small segments wait to be merged."""
    return archive.db.conn.execute("select count(*) from articles_fts_data").fetchone()[0]


def build(archive: Archive, recs: list[dict]) -> None:
    """Two articles a commit, as a crawl's small batches do: one small segment each, merged as they pile up.
    FTS5's leaves are made small (pgsz 64 bytes, both sides) so that its merge work, counted in leaves written,
    is due after a few commits of a test's size (at 1,000 real articles a commit it is due at every one)."""
    archive.db.conn.execute("insert into articles_fts (articles_fts, rank) values ('pgsz', 64)")
    for start in range(0, len(recs), 2):
        archive.upsert_articles([write(rec) for rec in recs[start:start + 2]])
        archive.commit()
    # a changed article and a removed one: FTS5 'delete' entries in the segments too
    changed = dict(recs[4], paragraphs=[*recs[4]["paragraphs"], "الحكومة القدس"])
    archive.upsert_articles([write(changed)])
    archive.demote_to_alias(recs[7]["site"], recs[7]["article_id"], of=recs[8]["article_id"])
    archive.commit()


def test_a_new_archive_merges_its_search_index_64_at_a_time(tmp_path):
    with Archive(tmp_path / "a.db") as archive:
        assert automerge(archive) == automerge(archive, "crisismerge") == SEARCH_INDEX_MERGE == 64


def test_merging_64_at_a_time_answers_as_merging_4_and_16_at_a_time(tmp_path):
    recs = records(120)
    with Archive(tmp_path / "new.db") as new:
        build(new, recs)
        new_answers, new_rows = answers(new), segments_rows(new)
    with Archive(tmp_path / "old.db") as old:
        # FTS5's default, as every archive merged before this migration
        old.db.conn.execute("insert into articles_fts (articles_fts, rank) values ('automerge', 4)")
        build(old, recs)
        old_answers, old_rows = answers(old), segments_rows(old)
    with Archive(tmp_path / "sixteen.db") as sixteen:
        for key in ("automerge", "crisismerge"):  # m2xx_scale_fts_automerge's setting (crisismerge: FTS5's 16)
            sixteen.db.conn.execute("insert into articles_fts (articles_fts, rank) values (?, 16)", [key])
        build(sixteen, recs)
        sixteen_answers, sixteen_rows = answers(sixteen), segments_rows(sixteen)
    assert len({new_rows, old_rows, sixteen_rows}) == 3  # the indexes are segmented differently …
    assert new_answers == old_answers == sixteen_answers  # … and rank alike: same ids, order and bm25 scores
    assert sum(map(len, new_answers)) > 100


def test_an_older_archive_takes_the_setting_and_answers_as_before(tmp_path):
    recs = records(40)
    path = tmp_path / "old.db"
    with Archive(path) as archive:
        build(archive, recs)
        before = answers(archive)
    conn = sqlite3.connect(path)  # the archive as the tree before this migration left it: no automerge row
    conn.execute("delete from articles_fts_config where k in ('automerge', 'crisismerge')")
    conn.execute("delete from _sqlite_migrations where name in ('m2xx_scale_fts_automerge', 'm2xx_store4_fts_merge_64')")
    conn.commit()
    conn.close()
    with Archive(path) as migrated:
        assert automerge(migrated) == automerge(migrated, "crisismerge") == 64
        assert answers(migrated) == before and sum(map(len, before)) > 40


def test_an_archive_merged_16_at_a_time_takes_64_and_answers_as_before(tmp_path):
    recs = records(40)
    path = tmp_path / "old.db"
    with Archive(path) as archive:
        for key in ("automerge", "crisismerge"):  # as m2xx_scale_fts_automerge left it
            archive.db.conn.execute("insert into articles_fts (articles_fts, rank) values (?, 16)", [key])
        build(archive, recs)
        before, rows_before = answers(archive), segments_rows(archive)
    conn = sqlite3.connect(path)
    conn.execute("delete from _sqlite_migrations where name = 'm2xx_store4_fts_merge_64'")
    conn.commit()
    conn.close()
    with Archive(path) as migrated:
        assert automerge(migrated) == automerge(migrated, "crisismerge") == 64
        assert segments_rows(migrated) == rows_before  # nothing rewritten on opening
        assert answers(migrated) == before and sum(map(len, before)) > 40
