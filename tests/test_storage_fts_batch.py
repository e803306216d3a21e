"""The search index filled by batch (issue 15, migration m105; contentless since m201): new and changed
articles reach ``articles_fts`` in one statement before each commit, deletes are handed the old search forms
recomputed from the stored text. Whatever happens inside a batch, the index must hold exactly the committed
rows: FTS5's integrity-check (of its own structure: a contentless table has no text to compare), the
entry count, and every row found by each word of its own title and body, and by no word it lost."""

from __future__ import annotations

from crawler.storage import Archive, search_articles
from crawler.text import stem_folded
from tests.test_storage import SITE, record, write


def index_is_whole(archive: Archive) -> bool:
    """FTS5's structure check, then every (term, row, column, position) of the index equals that of an index
    built afresh from the stored rows' search forms: no row missed or indexed twice, no stale word."""
    conn = archive.db.conn
    conn.execute("insert into articles_fts (articles_fts, rank) values ('integrity-check', 1)")
    conn.execute("drop table if exists temp.expected")
    conn.execute("create virtual table temp.expected using fts5(title_stemmed, body_stemmed, tokenize='unicode61')")
    conn.executemany(
        "insert into temp.expected (rowid, title_stemmed, body_stemmed) values (?, ?, ?)",
        [(rowid, stem_folded(title or ""), stem_folded(folded))
         for rowid, title, folded in conn.execute("select rowid, title_folded, folded_body(paragraphs) from articles")],
    )
    conn.execute("create virtual table if not exists temp.have_terms using fts5vocab(main, articles_fts, instance)")
    conn.execute("create virtual table if not exists temp.want_terms using fts5vocab(temp, expected, instance)")
    have = conn.execute("select term, doc, col, offset from temp.have_terms").fetchall()
    want = conn.execute("select term, doc, col, offset from temp.want_terms").fetchall()
    articles = conn.execute("select count(*) from articles").fetchone()[0]
    entries = conn.execute("select count(*) from articles_fts").fetchone()[0]
    return bool(want) and sorted(have) == sorted(want) and articles == entries


def found(archive: Archive, text: str) -> list[int]:
    return sorted(row["article_id"] for row in search_articles(archive, text, limit=50))


def test_new_changed_and_demoted_articles_in_one_batch_leave_a_whole_index(tmp_path):
    with Archive(tmp_path / "a.db") as archive:
        archive.upsert_articles([write(record(i, paragraphs=(f"خبر عن مدينة{i} اليوم",))) for i in (1, 2, 3)])
        assert found(archive, "مدينة2") == [2]  # a search on the writer's connection sees its open batch
        archive.upsert_articles([write(record(4, paragraphs=("نص قديم عن الزيتون",)))])
        # changed in the batch that inserted it: the update trigger re-indexes a row already in the index
        archive.upsert_articles([write(record(4, paragraphs=("نص جديد عن البرتقال",)))])
        archive.upsert_articles([write(record(5, paragraphs=("خبر عن مدينة1 اليوم",)))])
        archive.demote_to_alias(SITE, 5, of=1)  # deleted in the batch that inserted it
        archive.upsert_articles([write(record(6, paragraphs=("خبر اخر عن العنب",)))])
        archive.commit()
        assert index_is_whole(archive)
        assert found(archive, "البرتقال") == [4] and found(archive, "الزيتون") == []
        assert found(archive, "مدينة1") == [1] and found(archive, "العنب") == [6]
        assert archive.pending_writes == 0


def test_a_batch_lost_before_its_commit_leaves_neither_rows_nor_index_entries(tmp_path):
    path = tmp_path / "a.db"
    archive = Archive(path)
    archive.upsert_articles([write(record(i, paragraphs=(f"نص{i} محفوظ",))) for i in (1, 2)])
    archive.commit()
    archive.upsert_articles([write(record(i, paragraphs=(f"نص{i} ضائع",))) for i in (3, 4)])
    archive.db.conn.close()  # a killed process: the open transaction is gone
    with Archive(path) as reopened:
        assert index_is_whole(reopened)
        assert found(reopened, "محفوظ") == [1, 2] and found(reopened, "ضائع") == []


def test_rows_rolled_back_mid_batch_are_not_indexed_later(tmp_path):
    """A full disk rolls the open batch back (crawler.storage.connection); rowids waiting for the index
    then name no row, or a later row that takes the same rowid: that row is indexed once, with its text."""
    with Archive(tmp_path / "a.db") as archive:
        archive.upsert_articles([write(record(1, paragraphs=("نص باق",)))])
        archive.commit()
        archive.upsert_articles([write(record(i, paragraphs=(f"نص{i} مرفوض",))) for i in (2, 3)])
        archive.db.conn.rollback()  # what ArchiveFull does
        archive.upsert_articles([write(record(7, paragraphs=("نص لاحق",)))])  # takes rowid 2 again
        archive.commit()
        assert index_is_whole(archive)
        assert found(archive, "مرفوض") == [] and found(archive, "لاحق") == [7] and found(archive, "باق") == [1]


def test_an_archive_indexed_row_by_row_is_migrated_and_keeps_its_index(tmp_path):
    """An archive as m103 left it (three FTS triggers, one index entry per row by trigger) opens as a lean
    one: no triggers, the index contentless, and changes after the migration keep it whole."""
    from tests.legacy_archive import add_legacy_article, legacy_archive

    path = tmp_path / "a.db"
    db = legacy_archive(path, "m105_search_index_by_batch")
    add_legacy_article(db, record(1, paragraphs=("نص قبل الترحيل",)), content_hash="h1")
    db.close()
    with Archive(path) as archive:
        triggers = archive.db.conn.execute("select name from sqlite_master where type = 'trigger'").fetchall()
        assert triggers == []
        assert found(archive, "الترحيل") == [1]
        archive.upsert_articles([write(record(2, paragraphs=("نص بعد الترحيل",)))])
        archive.upsert_articles([write(record(1, paragraphs=("نص معدل",)))])
        archive.commit()
        assert index_is_whole(archive)
        assert found(archive, "الترحيل") == [2] and found(archive, "معدل") == [1]
