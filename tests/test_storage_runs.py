"""Tiered runs in the lower key levels (m2xx_store6_level_runs, issue 22: store cost per article flat to 1M):
every near-duplicate candidate and exact copy is the one an archive without runs, merges or filters gives,
through inserts, updates, demotions, merges, the main level's own merge and rollbacks; older archives migrate."""

from __future__ import annotations

import random
import sqlite3

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.dedupe import Fingerprint
from crawler.storage import Archive
from crawler.storage import bands, keymemory
from crawler.storage.keys import BAND_LEVELS, CONTENT_LEVELS, RUN_LEVELS, band_keys, level_table_sql
from tests.test_storage import SITE, record, write
from tests.test_storage_bands import STORIES, check, level_rows

# An article's body: one of the stories with a few words changed (articles of one story share some bands).
BODY = st.tuples(st.integers(0, len(STORIES) - 1), st.lists(st.tuples(st.integers(0, 119), st.integers(0, 30)),
                                                            max_size=12))
STEP = st.one_of(
    st.tuples(st.just("new"), BODY),
    st.tuples(st.just("update"), st.integers(0, 10**6), BODY),
    st.tuples(st.just("demote"), st.integers(0, 10**6)),
    st.tuples(st.just("commit")),
    st.tuples(st.just("rollback")),
)


def paragraphs(body: tuple[int, list[tuple[int, int]]]) -> list[str]:
    story, changes = body
    words = list(STORIES[story])
    for position, word in changes:
        words[position] = f"تغيير{word}"
    return [" ".join(words[:60]), " ".join(words[60:])]


def answers(archive: Archive, probes: list[list[str]]) -> list[tuple]:
    """Each probe's near-duplicate candidates and exact copy (with the lowest id), as the writer asks them."""
    found = []
    for text in probes:
        fingerprint = Fingerprint(text)
        near = sorted(ref.article_id for ref, _ in archive.near_duplicate_candidates(SITE, fingerprint.band_hashes))
        _, copy, _ = archive.stored_and_copy(SITE, -1, fingerprint.content_hash)
        copy_id = archive.find_by_content_hash(SITE, fingerprint.content_hash)
        found.append((near, copy and copy.article_id, copy_id and copy_id.article_id))
    return found


def run_levels(archive: Archive) -> dict[str, list[int]]:
    return {level: [run for (run,) in archive.db.execute(f"select distinct run from {level} order by run")]
            for level in RUN_LEVELS}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(STEP, min_size=5, max_size=60), filters=st.booleans(), mirror=st.booleans())
def test_candidates_and_copies_are_the_same_with_runs_and_filters_on_and_off(tmp_path_factory, steps, filters,
                                                                            mirror):
    """One archive merges every few articles into runs (2 runs a level: the main level merges into one run of
    its own too), with the filters and the recent level's mirror on or off; the other never merges (every key
    in the recent level) and reads every level in SQL. After every step both give the same answers."""
    work = tmp_path_factory.mktemp("runs")
    with Archive(work / "runs.db") as tiered, Archive(work / "flat.db") as flat:
        tiered.bands.floor, tiered.bands.ratio = 32, 2
        tiered.content_keys.floor, tiered.content_keys.ratio = 2, 2
        tiered.bands.filter_keys_per_lookup = 10**9 if filters else -1
        tiered.bands.mirror_max = bands.MIRROR_MAX_KEYS if mirror else -1
        for keys in (flat.bands, flat.content_keys):
            keys.floor = 10**9
        flat.bands.filter_keys_per_lookup, flat.bands.mirror_max = -1, -1
        stored: list[int] = []
        probes: list[list[str]] = [paragraphs((story, [])) for story in range(len(STORIES))]
        next_id = 1
        for step in steps:
            for archive in (tiered, flat):
                if step[0] == "new":
                    archive.upsert_articles([write(record(next_id, paragraphs=paragraphs(step[1])))])
                elif step[0] == "update" and stored:
                    article_id = stored[step[1] % len(stored)]
                    archive.upsert_articles([write(record(article_id, paragraphs=paragraphs(step[2])))])
                elif step[0] == "demote" and stored:
                    archive.demote_to_alias(SITE, stored[step[1] % len(stored)], of=0)
                elif step[0] == "commit":
                    archive.commit()
                elif step[0] == "rollback":
                    archive.rollback()
            if step[0] == "new":
                stored.append(next_id)
                next_id += 1
                probes.append(paragraphs(step[1]))
            elif step[0] == "update" and stored:
                probes.append(paragraphs(step[2]))
            elif step[0] == "demote" and stored:
                stored.pop(step[1] % len(stored))
            elif step[0] == "rollback":  # which ids are stored: read back (the batch's new ones are gone)
                stored = [row["article_id"] for row in flat.rows("select article_id from articles order by 1")]
            assert answers(tiered, probes[-8:]) == answers(flat, probes[-8:])
        tiered.commit()
        flat.commit()
        assert answers(tiered, probes) == answers(flat, probes)
        assert sorted(tiered.db.execute("select site, key, article_id from band_keys_recent union all "
                                        + " union all ".join(f"select site, key, article_id from {level}"
                                                             for level in BAND_LEVELS[1:]))) == \
            sorted(flat.db.execute("select site, key, article_id from band_keys_recent"))


def test_merges_append_runs_and_a_level_of_ratio_runs_becomes_one_run_below(tmp_path):
    """Each merge of the recent level adds one run to the middle level, numbered above the ones it holds; the
    middle level's ``ratio``-th run sends the level, as one run, to the next; the main level merges its own
    runs into one at ``ratio``. No key moves twice within a level, none is lost."""
    rng = random.Random(4)
    model: dict[int, set[int]] = {}
    seen: list[dict[str, list[int]]] = []
    with Archive(tmp_path / "a.db") as archive:
        archive.bands.floor, archive.bands.ratio = 40, 3
        for article_id in range(1, 121):
            story = STORIES[rng.randrange(len(STORIES))]
            words = [word if rng.random() > 0.2 else f"تغيير{rng.randrange(1000)}" for word in story]
            text = [" ".join(words[:60]), " ".join(words[60:])]
            archive.upsert_articles([write(record(article_id, paragraphs=text))])
            model[article_id] = set(band_keys(Fingerprint(text).band_hashes))
            archive.commit()  # past 40 keys: a merge every third article
            runs = run_levels(archive)
            seen.append(runs)
            assert len(runs["band_keys_middle"]) < 3 and len(runs["band_keys_lower"]) < 3
            assert len(runs["band_keys"]) < 3
        check(archive, {key: keys for key, keys in model.items() if keys}, [])
    # the middle level's run numbers grew one a merge, and it was emptied into the next every third
    middles = [runs["band_keys_middle"] for runs in seen]
    assert any(len(m) == 2 for m in middles) and any(runs["band_keys_lower"] for runs in seen)
    assert any(runs["band_keys"] and runs["band_keys"][0] > 0 for runs in seen)  # the main level merged itself
    assert all(runs == sorted(runs) for level in seen for runs in level.values())


def as_before_store6(path) -> dict[str, list[tuple]]:
    """Make ``path`` as the tree before m2xx_store6_level_runs left it (the lower levels keyed by site and key,
    no run) and return each level's rows."""
    conn = sqlite3.connect(path)
    rows = {}
    for level in RUN_LEVELS:
        rows[level] = sorted(conn.execute(f"select site, key, article_id from {level}"))
        conn.execute(f"drop table {level}")
        conn.execute(level_table_sql(level, runs=False))
        conn.executemany(f"insert into {level} (site, key, article_id) values (?, ?, ?)", rows[level])
    conn.execute("delete from _sqlite_migrations where name = 'm2xx_store6_level_runs'")
    conn.commit()
    conn.close()
    return rows


def test_an_archive_without_runs_migrates_and_answers_the_same(tmp_path):
    """An archive with keys in every level, as the tree before left it: each lower level becomes its run 0
    (every key in its level), the candidates and copies are the same, and later merges add runs above it."""
    rng = random.Random(12)
    recs = [record(article_id, paragraphs=paragraphs((rng.randrange(len(STORIES)),
                                                     [(rng.randrange(120), rng.randrange(30)) for _ in range(4)])))
            for article_id in range(1, 81)]
    path = tmp_path / "old.db"
    with Archive(path) as built:
        built.bands.floor = built.content_keys.floor = 10**9
        for start, merges in ((0, (0, 1, 2)), (20, (0, 1)), (40, (0,)), (60, ())):  # keys in every level
            built.upsert_articles([write(rec) for rec in recs[start:start + 20]])
            built.commit()
            for index in merges:
                built.bands.merge(index)
                if index < len(CONTENT_LEVELS) - 1:
                    built.content_keys.merge(index)
            built.commit()
    probes = [rec["paragraphs"] for rec in recs]
    with Archive(path) as reference:
        expected = answers(reference, probes)
    before = as_before_store6(path)
    assert all(before[level] for level in RUN_LEVELS)
    with Archive(path) as migrated:
        assert migrated.scalar("select count(*) from _sqlite_migrations where name = 'm2xx_store6_level_runs'")
        assert run_levels(migrated) == {level: [0] for level in RUN_LEVELS}
        for level in RUN_LEVELS:
            assert sorted(migrated.db.execute(f"select site, key, article_id from {level}")) == before[level]
        assert answers(migrated, probes) == expected
        migrated.bands.floor = migrated.content_keys.floor = 10**9
        new = record(99, paragraphs=paragraphs((0, [])))
        migrated.upsert_articles([write(new)])
        migrated.commit()
        migrated.bands.merge(0)
        migrated.content_keys.merge(0)
        migrated.commit()
        assert run_levels(migrated)["band_keys_middle"] == [0, 1]
        assert run_levels(migrated)["content_keys_middle"] == [0, 1]
        # the copies as before (each probe's own article is older than 99), the candidates as one table's
        assert [found[1:] for found in answers(migrated, probes)] == [found[1:] for found in expected]
        model = {rec["article_id"]: set(band_keys(Fingerprint(rec["paragraphs"]).band_hashes))
                 for rec in [*recs, new]}
        check(migrated, {key: keys for key, keys in model.items() if keys},
              [Fingerprint(text).band_hashes for text in [*probes, new["paragraphs"]]])


def test_one_pass_over_every_filter_lets_the_same_keys_pass_as_each_filter(tmp_path):
    """``passing`` computes a key's positions once for filters of different sizes: each filter lets the very
    keys pass that its own ``maybe`` does."""
    rng = random.Random(3)
    filters = []
    for index, size in enumerate((100, 5_000, 70_000, 300_000)):
        level_filter = keymemory.KeyFilter(size)
        level_filter.add([rng.getrandbits(64) - (1 << 63) for _ in range(size // 2)])
        filters.append((f"level{index}", level_filter))
    present = [rng.getrandbits(64) - (1 << 63) for _ in range(50)]
    filters[1][1].add(present[:25])
    filters[3][1].add(present[20:])
    keys = present + [rng.getrandbits(64) - (1 << 63) for _ in range(20_000)] + [-(1 << 63), (1 << 63) - 1, 0, -1]
    passed = keymemory.passing(filters, keys)
    assert passed == {name: kept for name, level_filter in filters if (kept := level_filter.maybe(keys))}
    assert set(present[:25]) <= set(passed["level1"]) and set(present[20:]) <= set(passed["level3"])


def test_runs_merged_in_a_batch_sqlite_rolled_back_are_read_again(tmp_path):
    """A merge inside a batch that SQLite itself rolls back (a full disk, ``connection._full``: unknown to
    ``Archive``) must not leave the kept runs saying a level is empty: the next batch reads them again, and the
    copies and candidates in the level are found."""
    recs = [record(article_id, paragraphs=paragraphs((article_id % len(STORIES), [(article_id, article_id)])))
            for article_id in range(1, 13)]
    with Archive(tmp_path / "a.db") as archive:
        for keys in (archive.bands, archive.content_keys):
            keys.floor = 10**9
        archive.upsert_articles([write(rec) for rec in recs])
        archive.commit()
        for keys in (archive.bands, archive.content_keys):
            keys.merge(0)  # every key in the middle level, run 0
        archive.commit()
        probes = [rec["paragraphs"] for rec in recs]
        expected = answers(archive, probes)
        assert all(found[0] and found[1] for found in expected)
        archive.upsert_articles([write(record(50, paragraphs=paragraphs((0, [(1, 1)]))))])  # opens a batch
        archive.bands.merge(1)
        archive.content_keys.merge(1)  # middle → main, in the open batch
        assert [found[1:] for found in answers(archive, probes)] == [found[1:] for found in expected]
        archive.db.conn.rollback()  # SQLite's own
        archive.record_miss(SITE, 99, url="u", reason="http 404")  # the next write opens a batch
        assert run_levels(archive)["content_keys_middle"] == [0] and not run_levels(archive)["content_keys"]
        assert answers(archive, probes) == expected


def test_a_merge_frees_its_levels_pages_without_rewriting_them_and_keeps_the_connections_setting(tmp_path):
    """The delete after a merge frees the moved keys' pages with ``secure_delete = fast`` (they are not zeroed
    and written again: the keys are in the next level), then puts the connection's own setting back."""
    rng = random.Random(8)
    with Archive(tmp_path / "a.db") as archive:
        archive.bands.floor = 10**9
        archive.upsert_articles([write(record(article_id, paragraphs=paragraphs((rng.randrange(6), [(a, a)
                                 for a in range(article_id % 7)])))) for article_id in range(1, 301)])
        archive.commit()
        for setting in (1, 0):
            archive.db.execute(f"pragma secure_delete = {setting}")
            statements: list[str] = []
            archive.db.conn.set_trace_callback(statements.append)
            archive.bands.merge(0 if setting else 1)
            archive.db.conn.set_trace_callback(None)
            archive.commit()
            assert "pragma secure_delete = fast" in statements
            assert archive.db.execute("pragma secure_delete").fetchone()[0] == setting
        assert not archive.scalar("select count(*) from band_keys_recent")
        assert archive.scalar("select count(*) from band_keys_lower") == 300 * 16 - archive.scalar(
            "select count(*) from band_keys_middle")
