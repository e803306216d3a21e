"""``crawler.ingest.batch``: new articles' writes held back and made together give exactly what item-at-a-time
gives: the same outcomes, in order, and the same archive (every table, row for row, rowids included, and the
search index's vocabulary)."""

from __future__ import annotations

import itertools
import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.ingest import AliasItem, ArticleItem, FetchInfo, Ingest, MissItem
from crawler.ingest.batch import Batch, FlushFailed
from crawler.sites import get_site
from crawler.storage import Archive
from tests.test_dedupe import chain_bodies, star_bodies, words
from tests.test_storage import record

SITE = "alhadath"
FETCHED = "2026-01-01T00:00:00+00:00"
# Bodies that make every verdict: a chain of near duplicates (neighbours J = 0.904), a star (centre–leaf 0.904),
# unrelated ones, a body and its copy under the spelling variants the fold erases, and short boilerplate.
CHAIN = [" ".join(body) for body in chain_bodies(4)]
STAR = [" ".join(body) for body in star_bodies(2)]
BODIES = [*CHAIN, *STAR, " ".join(words(7000, 7200)), " ".join(words(8000, 8040)),
          "شاهد الفيديو", "بالصور"]
TITLES = ["خبر", "فيديو: اقتحام", "فيديو: مسيرة"]
# Clock columns (when a row was written, not what it holds) are left out of the comparison: every "…_at" but the
# record's dates and the articles' own, which come from the fixed fetch time.
KEPT_DATES = {"published_at", "modified_at"}
FETCH_DATES = {"first_seen_at", "last_seen_at", "updated_at", "replaced_at"}


def clock(table: str, column: str) -> bool:
    return column.endswith("_at") and column not in KEPT_DATES and not (
        table in ("articles", "article_versions") and column in FETCH_DATES)


def article(article_id: int, body: str, title: str) -> ArticleItem:
    rec = record(article_id, title=title, paragraphs=[body])
    return ArticleItem(rec, fetch=FetchInfo(url=rec["url"], fetched_at=FETCHED))


def fresh(item):
    """The same item as a new object (the runs must not share verdicts or fingerprints)."""
    if isinstance(item, ArticleItem):
        return ArticleItem(dict(item), fetch=item.fetch)
    return item


def run(path, items, *, hold: int | None, commit_every: int, window: int = 0):
    """Record ``items`` into a fresh archive (``hold`` None: item at a time, else through a ``Batch``, its lookups
    asked ``window`` items at a time when given, as the distributed writer does): the outcomes and every table's
    rows."""
    with Archive(path, batch_size=commit_every) as archive:
        ingest = Ingest(archive, get_site(SITE), archive.start_run(SITE, command="test", args={}))
        writer = Batch(ingest, hold=hold) if hold is not None else ingest
        items = [fresh(item) for item in items]
        outcomes = []
        for index, item in enumerate(items):
            if window and index % window == 0:
                writer.prefetch(items[index : index + window])
            outcomes.append(writer.record(item))
        writer.commit()
    return outcomes, dump(path)


def dump(path) -> dict[str, list]:
    conn = sqlite3.connect(path)
    try:
        conn.execute("create virtual table temp.vocab using fts5vocab(main, articles_fts, instance)")
        tables = [name for (name,) in conn.execute(
            "select name from sqlite_master where type = 'table' and name not like 'sqlite_%'"
            " and name not like 'articles_fts%' and name not glob '_*'"
            " and name != 'crawl_runs' order by name")]
        found = {"fts5vocab": conn.execute("select * from temp.vocab order by 1, 2, 3, 4").fetchall()}
        for table in tables:
            cursor = conn.execute(f"select * from {table}")
            names = [column[0] for column in cursor.description]
            keep = [index for index, name in enumerate(names) if not clock(table, name)]
            found[table] = sorted((tuple(row[index] for index in keep) for row in cursor), key=repr)
        found["rowids"] = conn.execute("select rowid, article_id from articles order by rowid").fetchall()
        return found
    finally:
        conn.close()


_paths = itertools.count()

articles = st.builds(article, st.integers(1, 9), st.sampled_from(BODIES), st.sampled_from(TITLES))
others = st.one_of(
    st.builds(lambda i: MissItem(SITE, i, f"https://www.alhadath.ps/article/{i}", "http 404", 404), st.integers(1, 12)),
    st.builds(lambda i, of: AliasItem(SITE, i, f"https://www.alhadath.ps/article/{i}", of), st.integers(10, 12),
              st.integers(1, 9)),
)
sequences = st.lists(st.one_of(articles, articles, articles, articles, others), min_size=1, max_size=14)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=sequences, hold=st.integers(1, 6), commit_every=st.sampled_from([3, 7, 100]),
       window=st.integers(0, 8))
def test_a_batch_gives_the_verdicts_and_the_archive_of_item_at_a_time(tmp_path, items, hold, commit_every, window):
    one = run(tmp_path / f"one{next(_paths)}.db", items, hold=None, commit_every=commit_every)
    batched = run(tmp_path / f"batch{next(_paths)}.db", items, hold=hold, commit_every=commit_every, window=window)
    assert batched[0] == one[0]
    assert batched[1] == one[1]


def test_new_articles_are_held_and_written_together(tmp_path):
    """Unrelated new articles wait in the batch (the archive has none of them) until the hold is full."""
    with Archive(tmp_path / "a.db") as archive:
        batch = Batch(Ingest(archive, get_site(SITE), None), hold=3)
        for article_id in (1, 2):
            batch.record(article(article_id, " ".join(words(1000 * article_id, 1000 * article_id + 60)), "خبر"))
        assert archive.stored_ids(SITE, [1, 2]) == set()
        batch.record(article(3, " ".join(words(3000, 3060)), "خبر"))
        assert archive.stored_ids(SITE, [1, 2, 3]) == {1, 2, 3}


def test_an_item_that_may_see_a_held_article_is_decided_after_it_is_written(tmp_path):
    """An exact copy, a near duplicate and an update of held articles: each finds them in the archive."""
    with Archive(tmp_path / "a.db") as archive:
        batch = Batch(Ingest(archive, get_site(SITE), None), hold=50)
        batch.record(article(1, CHAIN[0], "خبر"))
        near = batch.record(article(2, CHAIN[1], "خبر"))
        copy = batch.record(article(3, CHAIN[0], "خبر"))
        update = batch.record(article(2, CHAIN[2], "خبر"))
        batch.commit()
        assert (near.near_duplicate_of, copy.of, update.kind) == (1, 1, "updated")


def test_a_failed_write_of_the_held_articles_leaves_none_of_them(tmp_path, monkeypatch):
    from crawler.storage.bands import BandKeys

    with Archive(tmp_path / "a.db") as archive:
        batch = Batch(Ingest(archive, get_site(SITE), None), hold=50)
        for article_id in (1, 2):
            batch.record(article(article_id, " ".join(words(1000 * article_id, 1000 * article_id + 60)), "خبر"))

        def full(*args, **kwargs):
            raise sqlite3.OperationalError("database or disk is full")

        monkeypatch.setattr(BandKeys, "add_many", full)  # after the rows' INSERT: they must go too
        with pytest.raises(FlushFailed):
            batch.flush()
        assert archive.stored_ids(SITE, [1, 2]) == set() and archive._unindexed == {}
        monkeypatch.undo()
        batch.record(article(1, " ".join(words(1000, 1060)), "خبر"))
        batch.commit()
        assert archive.stored_ids(SITE, [1, 2]) == {1}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=sequences)
def test_many_lookups_at_once_answer_as_one_at_a_time(tmp_path, items):
    """``Archive.stored_and_copies`` gives each (id, hash) what ``stored_and_copy`` gives it, on any archive."""
    from crawler.dedupe import Fingerprint, is_evidence

    path = tmp_path / f"l{next(_paths)}.db"
    run(path, items, hold=None, commit_every=3)
    hashes = [Fingerprint([body]).content_hash for body in BODIES if is_evidence(Fingerprint([body]).folded)]
    asked = [(article_id, content_hash) for article_id in range(1, 13) for content_hash in hashes]
    with Archive(path) as archive:
        for article_id, content_hash in asked:
            many = archive.stored_and_copies(SITE, [(article_id, content_hash)])
            assert many[article_id] == archive.stored_and_copy(SITE, article_id, content_hash)
        many = archive.stored_and_copies(SITE, [(article_id, hashes[article_id % len(hashes)])
                                                for article_id in range(1, 13)])
        assert many == {article_id: archive.stored_and_copy(SITE, article_id, hashes[article_id % len(hashes)])
                        for article_id in range(1, 13)}


def test_an_id_met_again_in_one_window_is_an_update_of_the_held_article(tmp_path):
    """Looked up for both at once, before either was written: the second answer is stale and not taken."""
    with Archive(tmp_path / "a.db") as archive:
        batch = Batch(Ingest(archive, get_site(SITE), None), hold=50)
        items = [article(1, CHAIN[0], "خبر"), article(1, " ".join(words(7000, 7200)), "خبر")]
        batch.prefetch(items)
        first, second = (batch.record(item) for item in items)
        batch.commit()
        assert (first.kind, second.kind) == ("new", "updated")


def test_a_full_disk_while_writing_held_articles_is_the_archives_own_error(tmp_path, monkeypatch):
    """``ArchiveFull`` goes through as it is (the commands exit on it with their disk-full code), not wrapped."""
    from crawler.storage import ArchiveFull

    def full(self, writes):
        raise ArchiveFull("disk full")

    with Archive(tmp_path / "a.db") as archive:
        batch = Batch(Ingest(archive, get_site(SITE), None), hold=50)
        batch.record(article(1, " ".join(words(1000, 1060)), "خبر"))
        monkeypatch.setattr(Archive, "insert_new", full)
        with pytest.raises(ArchiveFull):
            batch.flush()


def test_a_real_full_disk_while_writing_held_articles_stops_as_archive_full(tmp_path, monkeypatch):
    """SQLite's own SQLITE_FULL (the archive's page cap, as tests/test_storage_hazards.py): the connection rolls the
    whole open batch back, and ``ArchiveFull`` (the commands' exit 7) comes out, not an error about the savepoint
    the rollback took with it."""
    from crawler.storage import ArchiveFull
    from crawler.storage.connection import MAX_PAGE_COUNT_ENV

    path = tmp_path / "f.db"
    with Archive(path) as archive:
        pages = archive.db.execute("PRAGMA page_count").fetchone()[0]
    monkeypatch.setenv(MAX_PAGE_COUNT_ENV, str(pages + 12))
    archive = Archive(path, batch_size=1000)
    try:
        batch = Batch(Ingest(archive, get_site(SITE), None), hold=20)
        with pytest.raises(ArchiveFull, match="database or disk is full"):
            for article_id in range(1, 1000):
                batch.record(article(article_id, " ".join(words(100 * article_id, 100 * article_id + 400)), "خبر"))
            batch.commit()
        assert not archive.db.conn.in_transaction
        assert archive.db.execute("select count(*) from articles").fetchone()[0] == 0  # the open batch went whole
        assert archive.integrity_check() == "ok"
    finally:
        archive.close()


@pytest.mark.parametrize("hold", [None, 1])
def test_an_id_demoted_and_stored_again_goes_on_from_its_versions(tmp_path, hold):
    """Found by the comparison above (a bug of item-at-a-time too): 2 stored, updated (version 1 kept), demoted
    to an alias when 1 came with its body, stored again with another body, then updated: its row went back to
    version 1 and the update's ``article_versions`` row failed UNIQUE. Now it goes on from its last version,
    and the archive's check finds its history neither orphaned while it is an alias nor out of order."""
    from crawler.storage.health import check_archive

    items = [article(2, CHAIN[0], "خبر"), article(2, CHAIN[1], "خبر"), article(1, CHAIN[1], "خبر"),
             article(2, CHAIN[0], "خبر"), article(2, CHAIN[0], "فيديو: اقتحام")]
    path = tmp_path / "a.db"
    outcomes, _ = run(path, items[:3], hold=hold, commit_every=3)
    assert [o.kind for o in outcomes] == ["new", "updated", "new"] and outcomes[2].replaced == 2
    assert [f.name for f in check_archive(path) if f.name.startswith("versions")] == []  # 2's history, as an alias
    with Archive(path, batch_size=3) as archive:
        ingest = Ingest(archive, get_site(SITE), None)
        writer = Batch(ingest, hold=hold) if hold is not None else ingest
        assert [writer.record(fresh(item)).kind for item in items[3:]] == ["new", "updated"]
        writer.commit()
        versions = [v["version"] for v in archive.article_versions(SITE, 2)]
        row = archive.db.execute("select version from articles where site = ? and article_id = 2", [SITE]).fetchone()
    assert versions == list(range(1, row[0]))
    assert [f.name for f in check_archive(path) if f.name.startswith("versions")] == []
