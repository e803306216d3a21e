"""The search index filled by batch (issue 15, migration m105): new articles reach ``articles_fts`` in one
statement before each commit, changes and deletes through triggers. Whatever happens inside a batch, the
index must hold exactly the committed rows (FTS5's own integrity-check compares it with them)."""

from __future__ import annotations

from crawler.storage import Archive, search_articles
from tests.test_storage import SITE, record, write


def index_is_whole(archive: Archive) -> bool:
    """FTS5 raises on an index that differs from its content table; also no row indexed twice or missed."""
    archive.db.conn.execute("insert into articles_fts (articles_fts, rank) values ('integrity-check', 1)")
    articles = archive.db.conn.execute("select count(*) from articles").fetchone()[0]
    return articles == archive.db.conn.execute("select count(*) from articles_fts").fetchone()[0]


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


def test_an_archive_with_its_insert_trigger_back_indexes_by_the_trigger_only(tmp_path):
    """An index rebuilt by sqlite-utils (enable_fts) has the per-row insert trigger again: the archive sees
    it and does not index new rows a second time."""
    path = tmp_path / "a.db"
    with Archive(path) as archive:
        archive.upsert_articles([write(record(1, paragraphs=("نص اول",)))])
        archive.commit()
        archive.db["articles"].disable_fts()
        archive.db["articles"].enable_fts(["title_stemmed", "body_stemmed"], fts_version="FTS5",
                                          create_triggers=True, tokenize="unicode61")
    with Archive(path) as archive:
        archive.upsert_articles([write(record(2, paragraphs=("نص ثان",)))])
        archive.commit()
        assert index_is_whole(archive) and found(archive, "ثان") == [2]


def test_an_archive_indexed_row_by_row_is_migrated_and_keeps_its_index(tmp_path):
    path = tmp_path / "a.db"
    with Archive(path) as archive:
        archive.upsert_articles([write(record(1, paragraphs=("نص قبل الترحيل",)))])
        archive.commit()
        archive.db["articles"].disable_fts()  # the index as m103 left it: three triggers, one per row
        archive.db["articles"].enable_fts(["title_stemmed", "body_stemmed"], fts_version="FTS5",
                                          create_triggers=True, tokenize="unicode61")
        archive.db.conn.execute("delete from _sqlite_migrations where name = 'm105_search_index_by_batch'")
        archive.commit()
    with Archive(path) as archive:
        triggers = dict(archive.db.conn.execute("select name, sql from sqlite_master where type = 'trigger'"))
        assert "articles_ai" not in triggers and 'after update of "title_stemmed"' in triggers["articles_au"]
        archive.upsert_articles([write(record(2, paragraphs=("نص بعد الترحيل",)))])
        archive.upsert_articles([write(record(1, paragraphs=("نص معدل",)))])
        archive.commit()
        assert index_is_whole(archive)
        assert found(archive, "الترحيل") == [2] and found(archive, "معدل") == [1]
