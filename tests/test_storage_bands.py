"""Band keys in levels (crawler.storage.bands, issue 22): the near-duplicate candidates are the ones the
single ``band_keys`` table gave, across inserts, updates, deletes and merges; older archives migrate."""

from __future__ import annotations

import random
import sqlite3

import pytest

from crawler.dedupe import Fingerprint
from crawler.storage import Archive
from crawler.storage.bands import FILTER_KEYS_PER_LOOKUP, MIRROR_MAX_KEYS, union_rows_sql
from crawler.storage.keys import BAND_LEVELS, band_keys
from tests.test_storage import SITE, record, write

STORIES = [[f"قصة{story}كلمة{i}" for i in range(120)] for story in range(6)]


def body(rng: random.Random) -> list[str]:
    """A story's words with a few changed: articles of one story share some bands, not all."""
    words = list(rng.choice(STORIES))
    for _ in range(rng.choice((0, 2, 6, 20))):
        words[rng.randrange(len(words))] = f"تغيير{rng.randrange(10_000)}"
    if rng.random() < 0.1:
        words = words[:3]  # too short to be evidence: no band keys at all
    return [" ".join(words[:60]), " ".join(words[60:])]


def level_rows(archive: Archive) -> dict[str, set[tuple]]:
    return {table: {tuple(row) for row in archive.db.execute(f"select site, key, article_id from {table}")}
            for table in BAND_LEVELS}


def check(archive: Archive, model: dict[int, set[int]], probes: list[list[int]]) -> None:
    """Every probe's candidates equal those of one table holding each stored article's keys (``model``),
    and no key sits in two levels."""
    levels = list(level_rows(archive).values())
    assert sum(len(rows) for rows in levels) == len(set().union(*levels))  # no key in two levels
    assert set().union(*levels) == {(SITE, key, article_id) for article_id, keys in model.items() for key in keys}
    for hashes in probes:
        keys = set(band_keys(hashes))
        expected = sorted(article_id for article_id, stored in model.items() if stored & keys)
        got = sorted(ref.article_id for ref, _ in archive.near_duplicate_candidates(SITE, hashes))
        assert got == expected


# The recent level mirrored; by turns; never (all SQL). The lower levels' filters read at the first lookup
# (10**9 keys a lookup), when the lookups pay for them (the default), never (-1: every level probed in SQL).
@pytest.mark.parametrize(("mirror_max", "filter_keys"), [
    (MIRROR_MAX_KEYS, 10**9), (20, 10**9), (MIRROR_MAX_KEYS, FILTER_KEYS_PER_LOOKUP), (-1, -1)])
def test_candidates_equal_the_single_table_across_merges(tmp_path, mirror_max, filter_keys):
    rng = random.Random(22)
    model: dict[int, set[int]] = {}  # what the single table held: article id → its keys
    probes: list[list[int]] = []
    merges = 0
    with Archive(tmp_path / "a.db") as archive:
        archive.bands.floor, archive.bands.ratio = 48, 2  # merges every few articles
        archive.bands.mirror_max = mirror_max
        archive.bands.filter_keys_per_lookup = filter_keys
        merged = archive.bands.merge
        def counting_merge(index: int = 0) -> None:
            nonlocal merges
            merges += 1
            merged(index)
        archive.bands.merge = counting_merge
        next_id = 1
        for step in range(400):
            action = rng.random()
            if action < 0.55 or not model:  # a new article
                rec = record(next_id, paragraphs=body(rng))
                next_id += 1
            elif action < 0.85:  # an update whose body changed: old keys out, new ones in
                rec = record(rng.choice(sorted(model)), paragraphs=body(rng))
            else:  # an exact copy found late: the article leaves for aliases, with its keys
                gone = rng.choice(sorted(model))
                archive.demote_to_alias(SITE, gone, of=0)
                del model[gone]
                rec = None
            if rec is not None:
                fingerprint = Fingerprint(rec["paragraphs"])
                archive.upsert_articles([write(rec)])
                model[rec["article_id"]] = set(band_keys(fingerprint.band_hashes))
                probes.append(list(fingerprint.band_hashes))
            if rng.random() < 0.3:
                archive.commit()  # where merges happen
            if step % 20 == 0:
                check(archive, model, [p for p in probes[-30:] if p])
        archive.commit()
        check(archive, model, [p for p in probes if p])
        assert merges >= 5
        assert level_rows(archive)["band_keys"]  # keys went down every level
    with Archive(tmp_path / "a.db") as reopened:  # the kept count starts again from the file
        check(reopened, model, [p for p in probes if p][:50])


def test_a_merge_rolled_back_with_its_batch_leaves_the_levels_as_they_were(tmp_path):
    with Archive(tmp_path / "a.db") as archive:
        archive.bands.floor, archive.bands.ratio = 16, 1
        archive.upsert_articles([write(record(1, paragraphs=body(random.Random(1))))])
        archive.commit()  # 16 keys: not past the floor
        before = level_rows(archive)
        assert len(before["band_keys_recent"]) == 16 and sum(map(len, before.values())) == 16
        archive.upsert_articles([write(record(2, paragraphs=body(random.Random(2))))])
        archive.rollback()
        assert level_rows(archive) == before
        archive.upsert_articles([write(record(3, paragraphs=body(random.Random(3))))])
        archive.commit()  # 32 keys: merged, in the same transaction as article 3
        after = level_rows(archive)
        assert not after["band_keys_recent"] and sum(map(len, after.values())) == 32


def test_an_archive_of_the_single_table_migrates_with_its_keys_in_the_main_level(tmp_path):
    rng = random.Random(7)
    recs = [record(article_id, paragraphs=body(rng)) for article_id in range(1, 31)]
    with Archive(tmp_path / "old.db") as built:
        built.upsert_articles([write(rec) for rec in recs])
        for index in range(len(BAND_LEVELS) - 1):
            built.bands.merge(index)
    # As main's code left it: every key in the one table, no recent level, the migration not applied.
    with sqlite3.connect(tmp_path / "old.db") as db:
        for level in BAND_LEVELS[:-1]:
            db.execute(f"drop table {level}")
        db.execute("delete from _sqlite_migrations where name in ('m2xx_bands_levels', 'm2xx_store5_band_keys_lower')")
        before = [tuple(row) for row in db.execute("select site, key, article_id from band_keys")]
    db.close()
    assert before
    with Archive(tmp_path / "old.db") as migrated:
        rows = level_rows(migrated)
        assert sorted(rows["band_keys"]) == sorted(before)
        assert not any(rows[level] for level in BAND_LEVELS[:-1])
        assert [tuple(row) for row in migrated.db.execute(union_rows_sql())] == sorted(before)
        model = {rec["article_id"]: set(band_keys(Fingerprint(rec["paragraphs"]).band_hashes)) for rec in recs}
        model = {article_id: keys for article_id, keys in model.items() if keys}
        probes = [Fingerprint(rec["paragraphs"]).band_hashes for rec in recs]
        check(migrated, model, [p for p in probes if p])
        new = record(99, paragraphs=body(rng))
        migrated.upsert_articles([write(new)])
        model[99] = set(band_keys(Fingerprint(new["paragraphs"]).band_hashes))
        migrated.commit()
        check(migrated, model, [p for p in probes if p])


def candidates(archive: Archive, hashes) -> list[int]:
    return sorted(ref.article_id for ref, _ in archive.near_duplicate_candidates(SITE, hashes))


def roll_back(archive: Archive, end: str) -> None:
    """End the open batch otherwise than by a commit: by ``Archive.rollback``, or by SQLite's own rollback."""
    if end == "sqlite":
        archive.db.conn.rollback()  # what connection._full does on a full disk, unknown to Archive
        archive.record_miss(SITE, 9, url="u", reason="http 404")  # the next write opens a transaction
    else:
        archive.rollback()


def test_the_recent_levels_mirror_follows_commits_and_every_kind_of_rollback(tmp_path):
    """The lookups answer from the recent level's copy in memory; a transaction that ends otherwise than by a
    commit (``Archive.rollback``, or SQLite's own rollback on a full disk, ``connection._full``) must not leave
    that copy wrong: a key deleted in it is found again, a key added in it is not."""
    story = [" ".join(STORIES[0][:60]), " ".join(STORIES[0][60:])]
    other = [" ".join(STORIES[1][:60]), " ".join(STORIES[1][60:])]
    old, new = Fingerprint(story).band_hashes, Fingerprint(other).band_hashes
    with Archive(tmp_path / "a.db") as archive:
        archive.upsert_articles([write(record(1, paragraphs=story))])
        archive.commit()
        for _ in range(3):  # a few lookups make the mirror worth reading (16 keys)
            assert candidates(archive, old) == [1] and candidates(archive, new) == []
        assert archive.bands._mirror is not None  # the lookups went to memory
        for end in ("sqlite", "archive"):
            archive.upsert_articles([write(record(1, paragraphs=other))])  # its keys change in the open batch
            assert candidates(archive, old) == [] and candidates(archive, new) == [1]
            archive.upsert_articles([write(record(2, paragraphs=story))])  # a second owner of the old keys
            assert candidates(archive, old) == [2]
            roll_back(archive, end)
            assert candidates(archive, old) == [1] and candidates(archive, new) == []
            archive.rollback()
        # A lookup inside the open batch sees its own keys; after the commit they stay.
        archive.upsert_articles([write(record(3, paragraphs=other))])
        assert candidates(archive, new) == [3]
        archive.commit()
        assert candidates(archive, new) == [3] and candidates(archive, old) == [1]
    with Archive(tmp_path / "a.db") as reopened:
        assert candidates(reopened, new) == [3] and candidates(reopened, old) == [1]


def test_the_mirror_is_read_only_once_the_runs_lookups_pay_for_it(tmp_path):
    """An archive whose recent level holds 3,200 keys: a run's first lookups go to SQL (an hourly crawl of a
    few articles never reads 3,200 keys for them), the mirror is read once the lookups reach about a tenth of
    the keys, and every answer is the same either way."""
    rng = random.Random(3)
    recs = [record(article_id, paragraphs=[" ".join(f"خبر{article_id}كلمة{i}" for i in range(40))])
            for article_id in range(1, 201)]
    with Archive(tmp_path / "a.db") as built:
        built.upsert_articles([write(rec) for rec in recs])
    hashes = [Fingerprint(rec["paragraphs"]).band_hashes for rec in recs]
    with Archive(tmp_path / "a.db") as archive:
        assert archive.scalar("select count(*) from band_keys_recent") == 3200
        for lookup in range(1, 601):
            probe = rng.randrange(len(recs))
            assert candidates(archive, hashes[probe]) == [probe + 1]
            if lookup == 100:
                assert archive.bands._mirror is None
        assert archive.bands._mirror is not None
        assert 320 <= archive.bands._lookups <= 600


def lower_level_reads(archive: Archive, hashes) -> tuple[list[int], int]:
    """The candidates, and how many statements of the lookup read a level below the recent one."""
    statements: list[str] = []
    archive.db.conn.set_trace_callback(statements.append)
    try:
        found = candidates(archive, hashes)
    finally:
        archive.db.conn.set_trace_callback(None)
    return found, sum(any(f"from {level} " in sql for level in BAND_LEVELS[1:]) for sql in statements)


def test_the_lower_levels_filters_skip_sql_and_follow_merges_and_every_kind_of_rollback(tmp_path):
    """Keys no lower level holds are answered by the levels' filters without reading them; a merge inside a
    transaction that ends otherwise than by a commit (``Archive.rollback``, SQLite's own on a full disk), or a
    filter read after a delete that is rolled back, must not leave a filter saying "not there" for a key a
    level holds again."""
    story = [" ".join(STORIES[0][:60]), " ".join(STORIES[0][60:])]
    other = [" ".join(STORIES[1][:60]), " ".join(STORIES[1][60:])]
    third = [" ".join(STORIES[2][:60]), " ".join(STORIES[2][60:])]
    old, new, absent = (Fingerprint(text).band_hashes for text in (story, other, third))
    with Archive(tmp_path / "a.db") as archive:
        archive.bands.floor = 10**9  # merges only when called here
        archive.bands.filter_keys_per_lookup = 10**9  # the filters are read at the first lookup
        archive.upsert_articles([write(record(1, paragraphs=story))])
        archive.commit()
        archive.bands.merge(0)  # article 1's keys in the middle level
        assert candidates(archive, old) == [1]  # the filters are read at this lookup
        assert lower_level_reads(archive, old) == ([1], 1)  # the middle level holds them: read
        assert archive.bands._filters is not None
        assert lower_level_reads(archive, absent) == ([], 0)  # no level read at all
        for end in ("sqlite", "archive"):
            archive.upsert_articles([write(record(2, paragraphs=other))])  # opens the batch
            archive.bands.merge(1)  # article 1's keys: middle → lower, in the open batch
            archive.bands.merge(0)  # article 2's: recent → middle
            assert candidates(archive, old) == [1] and candidates(archive, new) == [2]
            roll_back(archive, end)
            assert candidates(archive, old) == [1] and candidates(archive, new) == []
            archive.rollback()
        # A delete in the open batch, the filters read after it, the batch rolled back: the key is found again.
        archive.upsert_articles([write(record(1, paragraphs=other))])  # article 1's old keys leave the middle level
        archive.bands._drop_filters()
        assert candidates(archive, old) == [] and archive.bands._filters is not None
        archive.rollback()
        assert candidates(archive, old) == [1] and candidates(archive, new) == []
        # Committed merges keep the filters in step: the keys are found in their new level, absent ones skip SQL.
        archive.upsert_articles([write(record(2, paragraphs=other))])
        archive.bands.merge(1)
        archive.bands.merge(0)
        archive.commit()
        assert candidates(archive, old) == [1] and candidates(archive, new) == [2]
        assert lower_level_reads(archive, absent) == ([], 0)
        assert archive.bands._filters is not None


def test_a_lower_levels_filter_is_read_again_larger_when_merges_fill_it(tmp_path):
    rng = random.Random(5)
    recs = [record(article_id, paragraphs=body(rng)) for article_id in range(1, 121)]
    with Archive(tmp_path / "a.db") as archive:
        archive.bands.floor = 10**9
        archive.bands.filter_keys_per_lookup = 10**9
        archive.upsert_articles([write(recs[0])])
        archive.commit()
        assert candidates(archive, Fingerprint(recs[0]["paragraphs"]).band_hashes) == [1]
        first = archive.bands._filters["band_keys"]
        for start in range(1, len(recs), 20):  # 20 articles a merge down to the main level
            archive.upsert_articles([write(rec) for rec in recs[start:start + 20]])
            archive.commit()
            for index in range(len(BAND_LEVELS) - 1):
                archive.bands.merge(index)
        main = archive.bands._filters["band_keys"]
        held = archive.scalar("select count(*) from band_keys")
        assert main.keys >= held  # every key of the level is in it
        first.capacity = 0  # as if the first one were full: the next merge reads the level again
        archive.bands._filters["band_keys"] = first
        archive.upsert_articles([write(record(500, paragraphs=body(rng)))])
        archive.commit()
        for index in range(len(BAND_LEVELS) - 1):
            archive.bands.merge(index)
        assert archive.bands._filters["band_keys"] is not first
        for rec in recs:
            hashes = Fingerprint(rec["paragraphs"]).band_hashes
            if hashes:
                assert rec["article_id"] in candidates(archive, hashes)


def test_an_archive_of_three_levels_migrates_to_four_and_answers_the_same(tmp_path):
    """An archive as main's code left it (recent, middle and main levels, each holding keys; no
    ``band_keys_lower``): m2xx_store5_band_keys_lower adds the empty level, every key stays in its level, the
    candidates are the same, and later merges go down through the new level."""
    rng = random.Random(11)
    recs = [record(article_id, paragraphs=body(rng)) for article_id in range(1, 61)]
    with Archive(tmp_path / "old.db") as built:
        built.bands.floor = 10**9
        for start, merges in ((0, (0, 1, 2)), (20, (0,)), (40, ())):  # keys in main, middle and recent
            built.upsert_articles([write(rec) for rec in recs[start:start + 20]])
            built.commit()
            for index in merges:
                built.bands.merge(index)
        assert not built.scalar("select count(*) from band_keys_lower")  # passed through
    with sqlite3.connect(tmp_path / "old.db") as db:
        db.execute("drop table band_keys_lower")
        db.execute("delete from _sqlite_migrations where name = 'm2xx_store5_band_keys_lower'")
        before = {level: sorted(db.execute(f"select site, key, article_id from {level}"))
                  for level in ("band_keys_recent", "band_keys_middle", "band_keys")}
    db.close()
    assert all(before.values())
    model = {rec["article_id"]: set(band_keys(Fingerprint(rec["paragraphs"]).band_hashes)) for rec in recs}
    model = {article_id: keys for article_id, keys in model.items() if keys}
    probes = [Fingerprint(rec["paragraphs"]).band_hashes for rec in recs]
    with Archive(tmp_path / "old.db") as migrated:
        assert migrated.scalar("select count(*) from _sqlite_migrations where name = 'm2xx_store5_band_keys_lower'")
        rows = level_rows(migrated)
        assert not rows["band_keys_lower"]
        assert {level: sorted(rows[level]) for level in before} == before
        check(migrated, model, [p for p in probes if p])
        new = record(99, paragraphs=body(rng))
        migrated.upsert_articles([write(new)])
        model[99] = set(band_keys(Fingerprint(new["paragraphs"]).band_hashes))
        migrated.commit()
        upper = level_rows(migrated)["band_keys_recent"] | level_rows(migrated)["band_keys_middle"]
        migrated.bands.merge(0)
        migrated.bands.merge(1)  # the recent and middle levels' keys into the new level
        assert level_rows(migrated)["band_keys_lower"] == upper
        check(migrated, model, [p for p in probes if p])
        migrated.bands.merge(2)  # and on into the main level
        assert not level_rows(migrated)["band_keys_lower"]
        check(migrated, model, [p for p in probes if p])


def test_a_filters_bits_are_the_same_set_by_numpy_by_plain_python_or_without_numpy(monkeypatch):
    """A level read whole sets its filter's bits by numpy; a few keys, or a machine where numpy cannot be
    imported, set them in plain Python: the very same bits, so "not there" means the same on both paths."""
    import random

    from crawler.storage import keymemory

    rng = random.Random(7)
    keys = [rng.getrandbits(64) - (1 << 63) for _ in range(30_000)] + [-(1 << 63), (1 << 63) - 1, 0, -1]
    by_numpy = keymemory.KeyFilter(len(keys))
    by_numpy.add(keys)
    assert keymemory._numpy_module  # numpy set them
    monkeypatch.setattr(keymemory, "FILTER_NUMPY_KEYS", 10**9)
    plain = keymemory.KeyFilter(len(keys))
    plain.add(keys)
    monkeypatch.setattr(keymemory, "FILTER_NUMPY_KEYS", 1)
    monkeypatch.setattr(keymemory, "_numpy_module", False)  # as after a failed import
    without = keymemory.KeyFilter(len(keys))
    without.add(keys)
    assert by_numpy.bits == plain.bits == without.bits and any(plain.bits)
    assert by_numpy.maybe(keys) == keys  # every key added may be there
    absent = [rng.getrandbits(64) - (1 << 63) for _ in range(2_000)]
    assert len(plain.maybe(absent)) < 100  # ~0.5% pass at this fill
    plain.clear()
    assert not any(plain.bits) and plain.keys == 0 and plain.maybe(keys) == []


def test_a_level_read_into_its_filter_a_batch_at_a_time_sets_the_same_bits(tmp_path, monkeypatch):
    """A level is read into its filter a batch of keys at a time (the main level of a 1M-article archive, 16M
    keys, is never one list): batches of 7 keys set the very bits one batch of all of them sets."""
    from crawler.storage import bands

    rng = random.Random(11)
    with Archive(tmp_path / "a.db") as archive:
        archive.bands.floor = 10**9
        archive.upsert_articles([write(record(article_id, paragraphs=body(rng))) for article_id in range(1, 41)])
        archive.commit()
        archive.bands.merge(0)
        archive.commit()
        index = BAND_LEVELS.index("band_keys_middle")
        whole = archive.bands._read_filter(index)
        monkeypatch.setattr(bands, "FILTER_READ_KEYS", 7)
        batched = archive.bands._read_filter(index)
        held = archive.scalar("select count(*) from band_keys_middle")
    assert held > 7 * 3 and whole.keys == batched.keys == held
    assert whole.bits == batched.bits and any(whole.bits)
