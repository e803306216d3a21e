"""Exact copies are found by content key in levels (m2xx_store4_content_keys, issue 22: store cost per article
flat to 1M), not by the random ``(site, content_hash)`` index: every answer of ``find_by_content_hash`` and
``stored_and_copy`` is the one a scan of the articles' own ``content_hash`` and title gives, on a fresh
archive, on an older one migrated, and after changes, demotions, merges across levels and a rollback."""

from __future__ import annotations

import sqlite3

from crawler.dedupe import Fingerprint
from crawler.storage import Archive
from crawler.storage.keys import CONTENT_LEVELS, content_key
from tests.test_storage import SITE, record, write

BODIES = (["فقرة عن الحكومة والقدس"], ["خبر عن الأسرى في غزة"], ["مسيرة في رام الله"], ["بيان وزارة الصحة"])


def records(count: int = 40) -> list[dict]:
    """Articles sharing a few bodies (exact copies), some under the same title, some not."""
    return [record(article_id, title=f"عنوان {article_id % 3}", paragraphs=BODIES[article_id % len(BODIES)])
            for article_id in range(1, count + 1)]


def scanned_copy(archive: Archive, content_hash: str, exclude_id: int, title_folded: str | None):
    """The reference: the lowest-id other article with this hash (and title), by reading every row."""
    rows = archive.rows("select article_id, content_hash, title_folded from articles where site = ?", [SITE])
    ids = [row["article_id"] for row in rows if row["content_hash"] == content_hash and row["article_id"] != exclude_id
           and (title_folded is None or row["title_folded"] == title_folded)]
    return min(ids) if ids else None


def check_answers(archive: Archive, probes: list[dict]) -> int:
    """Every probe's copy, with and without the title, as the scan finds it; returns the copies found."""
    found = 0
    for rec in probes:
        content_hash = Fingerprint(rec["paragraphs"]).content_hash
        for title in (None, archive.rows("select ? as t", [" ".join(rec["title"].split())])[0]["t"]):
            expected = scanned_copy(archive, content_hash, rec["article_id"], title)
            ref = archive.find_by_content_hash(SITE, content_hash, exclude_id=rec["article_id"], title_folded=title)
            _, copy, _ = archive.stored_and_copy(SITE, rec["article_id"], content_hash, title_folded=title)
            assert (ref and ref.article_id) == expected == (copy and copy.article_id)
            found += expected is not None
    return found


def level_rows(archive: Archive) -> dict[str, list[tuple]]:
    return {level: archive.db.conn.execute(f"select site, key, article_id from {level}").fetchall()
            for level in CONTENT_LEVELS}


def one_key_each(archive: Archive) -> None:
    """Each stored article's key is in exactly one level, and no other key is."""
    keys = sorted(row for rows in level_rows(archive).values() for row in rows)
    stored = sorted((row["site"], content_key(row["content_hash"]), row["article_id"])
                    for row in archive.rows("select site, article_id, content_hash from articles"))
    assert keys == stored


def test_copies_are_found_as_a_scan_finds_them_through_changes_merges_and_a_rollback(tmp_path):
    recs = records()
    with Archive(tmp_path / "a.db") as archive:
        # merges after a few articles (the archive's: 8,192 keys), a lower level merged on at 2 runs (its: 8)
        archive.content_keys.floor, archive.content_keys.ratio = 4, 2
        held = set()
        for start in range(0, len(recs), 3):
            archive.upsert_articles([write(rec) for rec in recs[start:start + 3]])
            archive.commit()
            held.update(level for level, rows in level_rows(archive).items() if rows)
            one_key_each(archive)
        assert held == set(CONTENT_LEVELS)  # merged into both lower levels on the way
        one_key_each(archive)
        assert check_answers(archive, recs) > 40
        # a body changes (its old hash no longer finds it), an article becomes an alias (gone from the keys)
        changed = dict(recs[4], paragraphs=BODIES[(recs[4]["article_id"] + 1) % len(BODIES)])
        archive.upsert_articles([write(changed)])
        archive.demote_to_alias(SITE, recs[8]["article_id"], of=recs[0]["article_id"])
        archive.commit()
        one_key_each(archive)
        assert check_answers(archive, recs) > 40
        # a batch rolled back leaves no key behind
        archive.upsert_articles([write(record(999, paragraphs=BODIES[0]))])
        archive.rollback()
        one_key_each(archive)
        assert check_answers(archive, [*recs, record(999, paragraphs=BODIES[0])]) > 40


def test_an_older_archive_gets_its_keys_and_answers_as_before(tmp_path):
    recs = records()
    path = tmp_path / "old.db"
    with Archive(path) as archive:
        archive.upsert_articles([write(rec) for rec in recs])
    # The archive as the tree before this migration left it: the hash index, no content keys.
    conn = sqlite3.connect(path)
    conn.execute("create index idx_articles_site_content_hash on articles (site, content_hash)")
    for level in CONTENT_LEVELS:
        conn.execute(f"drop table {level}")
    conn.execute("delete from _sqlite_migrations where name = 'm2xx_store4_content_keys'")
    conn.commit()
    before = {}
    for rec in recs:  # what the old lookup (the hash index) answered
        content_hash = Fingerprint(rec["paragraphs"]).content_hash
        before[rec["article_id"]] = conn.execute(
            "select min(article_id) from articles indexed by idx_articles_site_content_hash"
            " where site = ? and content_hash = ? and article_id != ?", [SITE, content_hash, rec["article_id"]],
        ).fetchone()[0]
    conn.close()
    with Archive(path) as migrated:
        indexes = {row["name"] for row in migrated.rows("select name from sqlite_master where type = 'index'")}
        assert "idx_articles_site_content_hash" not in indexes
        rows = level_rows(migrated)
        assert not rows["content_keys_recent"] and not rows["content_keys_middle"]
        assert rows["content_keys"] == sorted(rows["content_keys"])  # written in key order
        one_key_each(migrated)
        after = {rec["article_id"]: (copy := migrated.stored_and_copy(
            SITE, rec["article_id"], Fingerprint(rec["paragraphs"]).content_hash)[1]) and copy.article_id
            for rec in recs}
        assert after == before and sum(value is not None for value in after.values()) == len(recs)
        assert check_answers(migrated, recs) > 40
        # and the migrated archive keeps them as it goes
        migrated.upsert_articles([write(record(500, paragraphs=BODIES[1]))])
        migrated.commit()
        one_key_each(migrated)
        assert migrated.find_by_content_hash(SITE, Fingerprint(BODIES[1]).content_hash, exclude_id=500).article_id == 1


def test_a_hash_that_is_not_hex_still_keys():
    assert content_key("not hex at all") == content_key("not hex at all") != content_key("other")
    assert content_key("f" * 64) == -16  # the top 64 bits, signed, four low bits cleared
