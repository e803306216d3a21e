"""Search impacts (``crawler.storage.impacts``, issue 22): the early-terminating ranking must return exactly
FTS5's ``order by bm25(articles_fts) limit … offset …`` — same rows, same order, ties included — for every
query, page and offset, whatever state the impacts are in: built, missing, or left behind by changed,
deleted or re-stored articles. The archive is bench/scale_synthetic.py's (the light mirror's truth records
through ``Archive.upsert_articles``, batches of 1,000): 8 full blocks of 1,024 rowids and an open tail."""

from __future__ import annotations

import random
import subprocess
import sys
from dataclasses import replace

import pytest

from bench.scale_synthetic import QUERIES, record_of
from crawler.dedupe import Fingerprint
from crawler.mirror import MirrorConfig
from crawler.mirror.model import ARTICLE
from crawler.mirror.truth import truth_record
from crawler.storage import Archive, ArticleWrite
from crawler.storage import impacts
from crawler.storage.impacts import BLOCK, BLOCK_BITS, ranked_snapshot
from crawler.text import parse_search

ARTICLES = 8 * BLOCK + 500


@pytest.fixture(scope="module", autouse=True)
def impacts_on_small_archives():
    """These archives hold 8 blocks: under ``MIN_BLOCKS`` the writer builds none (tested apart, below)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(impacts, "MIN_BLOCKS", 0)
        yield
SEEN = "2026-01-01T00:00:00+00:00"


def synthetic_writes(count: int, first_id: int = 1, seed: int = 7) -> list[ArticleWrite]:
    config = MirrorConfig(articles=first_id + 2 * count, seed=seed, weight="light")
    writes, article_id = [], first_id - 1
    while len(writes) < count:
        article_id += 1
        truth = truth_record(config, article_id)
        if truth["status"] != ARTICLE:
            continue
        record = record_of(truth)
        fp = Fingerprint(record["paragraphs"])
        writes.append(ArticleWrite(record, content_hash=fp.content_hash, band_hashes=fp.band_hashes,
                                   body_folded=fp.folded, stored=False, seen_at=SEEN))
    return writes


def store(archive: Archive, writes: list[ArticleWrite]) -> None:
    """As a crawl stores: batches committed, and the filled blocks' impacts built between them (as the
    writer does when idle)."""
    for start in range(0, len(writes), 1000):
        archive.upsert_articles(writes[start:start + 1000])
        archive.commit()
        archive.impacts.build_committed()


def fts5_ranking(archive: Archive, words, limit: int, offset: int = 0) -> list[int]:
    """The definition: FTS5 scores every match and sorts."""
    match = " ".join(f'"{word}"' for word in words)
    return [rowid for (rowid,) in archive.conn.execute(
        "select rowid from articles_fts where articles_fts match ? order by bm25(articles_fts) limit ? offset ?",
        [match, limit, offset])]


def query_words(archive: Archive) -> list[tuple[str, ...]]:
    """The bench's word queries, the commonest words with impacts, some of middling frequency (impacts in a
    few blocks only), rare ones, and two- and three-word combinations of them."""
    common = [term for (term,) in archive.conn.execute(
        "select term from search_impacts group by term order by sum(df) desc limit 12")]
    middling = [term for (term,) in archive.conn.execute(
        "select term from search_impacts group by term having count(*) between 1 and 3 limit 6")]
    rare = [term for (term,) in archive.conn.execute(
        "select term from articles_fts_v where doc between 2 and 40 limit 6")] if _has_vocab(archive) else []
    singles = [(word,) for word in common + middling + rare]
    rng = random.Random(22)
    pairs = [tuple(rng.sample(common, 2)) for _ in range(6)] + [(common[0], middling[0]), (common[1], rare[0])]
    triples = [tuple(rng.sample(common, 3)) for _ in range(3)]
    bench = [parse_search(text)[0] for text in QUERIES if not parse_search(text)[1]]
    return [words for words in bench + singles + pairs + triples if words]


def _has_vocab(archive: Archive) -> bool:
    archive.conn.execute("create virtual table if not exists temp.articles_fts_v using fts5vocab(main, articles_fts, row)")
    return True


def assert_same(archive: Archive, words_list, pages=((20, 0), (1, 0), (7, 13), (50, 40), (20, 980))) -> int:
    """Every query's every page as FTS5 ranks it; returns how many answers came from impacts."""
    answered = 0
    for words in words_list:
        for limit, offset in pages:
            want = fts5_ranking(archive, words, limit, offset)
            got = ranked_snapshot(archive.conn, words, offset + limit)
            if got is not None:
                answered += 1
                assert got[offset:] == want, (words, limit, offset)
    return answered


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    archive = Archive(tmp_path_factory.mktemp("impacts") / "a.db", batch_size=1000, commit_interval=3600)
    store(archive, synthetic_writes(ARTICLES))
    archive.impacts.build_committed(tail=True)  # as at the end of a run: the open block too
    yield archive
    archive.close()


def test_full_blocks_are_built_between_batches(archive):
    built = [block for (block,) in archive.conn.execute("select block from search_blocks order by block")]
    assert built == list(range(ARTICLES // BLOCK + 1))  # every full block, and the open tail as it is
    # The lengths kept are FTS5's own.
    lengths = impacts._lengths(archive.conn.execute("select lengths from search_blocks where block = 3").fetchone()[0])
    for rowid, size in archive.conn.execute(
            "select id, sz from articles_fts_docsize where id between ? and ?", [3 * BLOCK, 4 * BLOCK - 1]):
        assert lengths[rowid - 3 * BLOCK] == sum(impacts.varints(size))


def test_ranking_is_fts5s_for_every_query_page_and_offset(archive):
    words_list = query_words(archive)
    assert len(words_list) > 40
    assert assert_same(archive, words_list) > 150


def test_search_pages_are_the_joined_querys(archive):
    assert_search_is_the_joined_query(archive, ("الحكومة", "الاقتصاد", "اجتماع", "الأمن العام", "القدس غزة"))


def assert_search_is_the_joined_query(archive: Archive, texts) -> None:
    for text in texts:
        for limit, offset in ((20, 0), (5, 3), (20, 40)):
            got = [row["article_id"] for row in archive.search(text, limit=limit, offset=offset)]
            want = [row["article_id"] for row in archive.rows(
                "select a.article_id from articles_fts join articles a on a.rowid = articles_fts.rowid"
                " where articles_fts match ? order by bm25(articles_fts) limit ? offset ?",
                [" ".join(f'"{w}"' for w in parse_search(text)[0]), limit, offset])]
            assert got == want, (text, limit, offset)


def test_frequent_words_score_few_blocks_and_ties_keep_rowid_order(archive):
    common = [term for (term,) in archive.conn.execute(
        "select term from search_impacts group by term order by sum(df) desc limit 5")]
    skipped = 0
    for word in common:
        stats: dict = {}
        assert ranked_snapshot(archive.conn, [word], 20, stats) == fts5_ranking(archive, [word], 20)
        assert stats["known"] == ARTICLES // BLOCK + 1 and stats["fts_runs"] == 0  # FTS5 not asked to rank
        skipped += stats["known"] - stats["scored"]
    assert skipped > 0  # the bound cut some blocks off
    # Equal scores exist among the compared answers, so the tie order was checked too.
    scores = [value for (value,) in archive.conn.execute(
        "select bm25(articles_fts) from articles_fts where articles_fts match ? order by bm25(articles_fts)"
        " limit 1000", [f'"{common[0]}"'])]
    assert len(set(scores)) < len(scores)
    assert assert_same(archive, [(common[0],)], pages=((1000, 0), (300, 500))) == 2


def test_changed_deleted_and_restored_articles_never_read_stale_impacts(tmp_path):
    archive = Archive(tmp_path / "c.db", batch_size=1000, commit_interval=3600)
    try:
        writes = synthetic_writes(5 * BLOCK + 100)
        store(archive, writes)
        words_list = query_words(archive)[:30]
        assert_same(archive, words_list, pages=((20, 0), (10, 30)))
        # Changed bodies in block 1 (another article's paragraphs: a reparse-like change), a row deleted in
        # block 3 (an article demoted to an alias), one re-stored unchanged in block 0.
        other = synthetic_writes(40, first_id=50_000, seed=9)
        changed = []
        for index, write in enumerate(writes[BLOCK + 10:BLOCK + 50]):
            record = {**write.record, "paragraphs": other[index].record["paragraphs"], "title": other[index].record["title"]}
            fp = Fingerprint(record["paragraphs"])
            changed.append(ArticleWrite(record, content_hash=fp.content_hash, band_hashes=fp.band_hashes,
                                        body_folded=fp.folded, seen_at=SEEN))
        archive.upsert_articles(changed)
        archive.upsert_articles([replace(writes[5], stored=None)])
        victim = writes[3 * BLOCK + 7].record["article_id"]
        archive.demote_to_alias("alhadath", victim, of=writes[0].record["article_id"])
        # Before the commit the writer's own connection already sees its changes: blocks 1 and 3 are dirty.
        archive.flush()
        dirty = {block for (block,) in archive.conn.execute("select block from search_blocks")}
        assert 1 not in dirty and 3 not in dirty and 0 in dirty
        # Within the open batch impacts do not answer (FTS5's totals are in memory); search ranks as before.
        assert ranked_snapshot(archive.conn, ["حكوم"], 20) is None
        assert [row["article_id"] for row in archive.search("الحكومة")] == [row["article_id"] for row in archive.rows(
            "select a.article_id from articles_fts join articles a on a.rowid = articles_fts.rowid where articles_fts"
            " match '\"حكوم\"' order by bm25(articles_fts) limit 20")]
        # Committed, their impacts not rebuilt yet: blocks 1 and 3 are scored by FTS5.
        archive.commit()
        assert_same(archive, words_list, pages=((20, 0), (10, 30)))
        assert archive.impacts.build_committed() == 2  # from the stored rows
        assert {block for (block,) in archive.conn.execute("select block from search_blocks")} >= {0, 1, 2, 3, 4}
        assert_same(archive, words_list, pages=((20, 0), (10, 30)))
        # Impacts missing for some blocks: FTS5 scores those.
        archive.conn.execute("delete from search_blocks where block in (0, 2, 4)")
        archive.conn.commit()
        assert_same(archive, words_list, pages=((20, 0), (10, 30)))
        # An archive from before impacts: the migration marks every block to do; until built, FTS5 ranks.
        path = archive.path
        for name in ("search_blocks", "search_impacts", "search_postings", "search_dirty"):
            archive.conn.execute(f"drop table {name}")
        archive.conn.execute("delete from _sqlite_migrations where name = 'm2xx_search3_search_impacts'")
        archive.conn.commit()
        archive.conn.close()  # as that older code left it
        archive = Archive(path, batch_size=1000, commit_interval=3600)
        assert archive.conn.execute("select count(*) from search_blocks").fetchone()[0] == 0
        assert assert_same(archive, words_list, pages=((20, 0), (10, 30))) == 0  # no impacts: FTS5 ranks
        assert_search_is_the_joined_query(archive, ("الحكومة", "الاقتصاد"))
        assert impacts.build_all(archive.conn) == 6  # the open tail too
        archive.conn.commit()
        assert assert_same(archive, words_list, pages=((20, 0), (10, 30))) > 0
        stats: dict = {}
        ranked_snapshot(archive.conn, [words_list[1][0]], 20, stats)
        assert stats["known"] == 6 and stats["fts_runs"] == 0
        # More articles in the open block: it is marked again, FTS5 ranks it until it is rebuilt.
        store(archive, synthetic_writes(300, first_id=60_000, seed=11))
        stats = {}
        ranked_snapshot(archive.conn, [words_list[1][0]], 20, stats)
        assert stats["known"] == 5 and stats["fts_runs"] == 1
        assert assert_same(archive, words_list, pages=((20, 0), (10, 30))) > 0
    finally:
        archive.close()


def test_the_writer_builds_filled_blocks_at_close(tmp_path):
    archive = Archive(tmp_path / "close.db", batch_size=1000, commit_interval=3600)
    writes = synthetic_writes(2 * BLOCK + 10)
    archive.upsert_articles(writes)
    archive.commit()
    assert archive.conn.execute("select count(*) from search_blocks").fetchone()[0] == 0
    archive.close()
    archive = Archive(tmp_path / "close.db")
    try:
        assert [block for (block,) in archive.conn.execute("select block from search_blocks")] == [0, 1, 2]
        assert [block for (block,) in archive.conn.execute("select block from search_dirty")] == []
    finally:
        archive.close()


def test_impacts_do_not_answer_what_they_do_not_cover(archive):
    # A quoted phrase, a filter or a word FTS5 would split or fold are ranked as before (``search`` checks).
    assert ranked_snapshot(archive.conn, ["abc-def"], 20) is None
    assert ranked_snapshot(archive.conn, ["ABC"], 20) is None
    assert ranked_snapshot(archive.conn, [], 20) is None
    assert ranked_snapshot(archive.conn, ["a", "b", "c", "d", "e"], 20) is None
    assert BLOCK == 1 << BLOCK_BITS


def test_arshif_migrate_builds_the_impacts_an_older_archive_lacks(tmp_path):
    # An archive from before impacts: the tables dropped and the migration forgotten, as older code left it.
    path = tmp_path / "old.db"
    archive = Archive(path, batch_size=1000, commit_interval=3600)
    store(archive, synthetic_writes(2 * BLOCK + 10))
    words_list = query_words(archive)[:10]
    for name in ("search_blocks", "search_impacts", "search_postings", "search_dirty"):
        archive.conn.execute(f"drop table {name}")
    archive.conn.execute("delete from _sqlite_migrations where name = 'm2xx_search3_search_impacts'")
    archive.conn.commit()
    archive.conn.close()
    done = subprocess.run([sys.executable, "-m", "crawler", "migrate", "--db", str(path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "m2xx_search3_search_impacts" in done.stderr and "built for 3 block(s)" in done.stderr
    archive = Archive(path)
    try:
        assert impacts.blocks_due(archive.conn) == 0
        assert [block for (block,) in archive.conn.execute("select block from search_blocks")] == [0, 1, 2]
        answered = 0
        for words in words_list:
            stats: dict = {}
            if ranked_snapshot(archive.conn, list(words), 20, stats) is not None:
                answered += 1
                assert stats["known"] == 2, words  # the two full blocks by impacts; the 10-article tail holds no word 32 times
        assert answered
        assert assert_same(archive, words_list, pages=((20, 0), (10, 30))) > 0
    finally:
        archive.close()
    again = subprocess.run([sys.executable, "-m", "crawler", "migrate", "--db", str(path)],
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and "up to date" in again.stderr


def test_a_small_archives_writer_builds_no_impacts_and_ranks_the_same(tmp_path, monkeypatch):
    monkeypatch.setattr(impacts, "MIN_BLOCKS", 3)
    archive = Archive(tmp_path / "small.db", batch_size=1000, commit_interval=3600)
    archive.upsert_articles(synthetic_writes(2 * BLOCK + 10))
    archive.close()  # 3 blocks, the open one included: under MIN_BLOCKS full blocks, nothing built
    archive = Archive(tmp_path / "small.db")
    try:
        assert archive.conn.execute("select count(*) from search_blocks").fetchone()[0] == 0
        assert impacts.blocks_due(archive.conn) == 3  # still marked: built once the archive grows, or by migrate
        assert_search_is_the_joined_query(archive, ("الحكومة", "الاقتصاد"))
    finally:
        archive.close()
