"""A crawl's pipelines with new articles held back (``RunContext(hold=…)``, ``ARSHIF_HOLD_NEW``): the Scrapy chain
gives exactly what it gives item at a time. Per item: the feed's item or the named drop, the stats, the spider's
answers about the archive (stored ids, stored dates, misses) asked between items, and what another connection sees
committed after each step (what a ``kill -9`` there would leave); at the end, every table row for row, rowids and
the search index's vocabulary included."""

from __future__ import annotations

import itertools
import sqlite3
from collections import Counter
from types import SimpleNamespace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scrapy import signals
from scrapy.exceptions import DropItem
from scrapy.signalmanager import SignalManager

from crawler.ingest import AliasItem, ArticleItem, FetchInfo, MissItem
from crawler.sites import get_site
from crawler.storage import Archive
from pipelines.clean import CleanPipeline
from pipelines.context import RunContext
from pipelines.dedupe import DedupePipeline
from pipelines.store import StorePipeline
from pipelines.validate import DateWindowPipeline, ValidatePipeline
from tests.test_ingest_batch import BODIES, FETCHED, SITE, TITLES, dump
from tests.test_dedupe import words
from tests.test_storage import record

PIPELINES = (CleanPipeline, ValidatePipeline, DateWindowPipeline, DedupePipeline, StorePipeline)


class Stats(Counter):
    def inc_value(self, key, count=1, start=0):
        self[key] += count

    def get_value(self, key, default=None):
        return self.get(key, default)


def article(article_id: int, body: str, title: str) -> dict:
    return record(article_id, title=title, paragraphs=[body])


def committed(path) -> tuple:
    """What a reader (another connection) sees committed: what a ``kill -9`` now would leave."""
    conn = sqlite3.connect(path)
    try:
        return tuple(conn.execute(f"select {columns} from {table} order by 1").fetchall() for table, columns in (
            ("articles", "article_id, version, near_duplicate_of"), ("aliases", "alias_url, article_id"),
            ("misses", "article_id"), ("failures", "url, reason")))
    finally:
        conn.close()


def run(path, steps, *, hold: int, commit_every: int, interval: float):
    """Push ``steps`` through the Scrapy chain (an article record, an outcome item, a read of the spider's state, a
    commit) into a fresh archive; what each step gave, what was committed after it, and every table at the end."""
    archive = Archive(path, batch_size=commit_every, commit_interval=interval)
    run_id = archive.start_run(SITE, command="crawl", args={})
    crawler = SimpleNamespace(stats=Stats(), settings={}, signals=SignalManager(), spider=None)
    crawler.arshif_context = context = RunContext(archive=archive, site=get_site(SITE), run_id=run_id,
                                                  command="crawl", hold=hold)
    assert (context.batch is not None) == (hold > 0)
    feed: list = []

    def fed(item, **_):
        feed.append(dict(item))

    crawler.signals.connect(fed, signal=signals.item_scraped)
    pipelines = [cls.from_crawler(crawler) for cls in PIPELINES]
    seen = []
    for kind, value in steps:
        if kind == "item":
            item = ArticleItem(value, fetch=FetchInfo(url=value["url"], fetched_at=FETCHED)) \
                if isinstance(value, dict) else value
            try:
                for pipeline in pipelines:
                    item = pipeline.process_item(item)
                seen.append(("fed", dict(item)))
            except DropItem as drop:
                seen.append(("dropped", type(drop).__name__, str(drop)))
        elif kind == "stored_ids":
            seen.append(("stored", sorted(context.state.stored_ids(SITE, iter(value)))))
        elif kind == "changed_at":
            seen.append(("changed", sorted(context.state.changed_at(SITE, iter(value)).items())))
        elif kind == "known_misses":
            seen.append(("misses", sorted(context.state.known_misses(SITE, value))))
        else:  # the owner's timer
            archive.commit_if_due()
        seen.append(("committed", committed(path)))
    for pipeline in pipelines:
        if hasattr(pipeline, "close_spider"):
            pipeline.close_spider()
    counts = archive.committed_run_counts(run_id)
    archive.close()
    # PyDispatcher's registry is global: a receiver left connected would see the next run's feed lines.
    crawler.signals.disconnect(fed, signal=signals.item_scraped)
    return seen, feed, dict(crawler.stats), counts, dump(path)


_paths = itertools.count()

ids = st.one_of(st.lists(st.integers(1, 12), max_size=4), st.just(list(range(1, 13))))
articles = st.builds(article, st.integers(1, 9), st.sampled_from(BODIES), st.sampled_from(TITLES))
invalid = st.builds(lambda i: {**article(i, BODIES[0], "خبر"), "title": " "}, st.integers(1, 9))
others = st.one_of(
    st.builds(lambda i: MissItem(SITE, i, f"https://www.alhadath.ps/article/{i}", "http 404", 404), st.integers(1, 12)),
    st.builds(lambda i, of: AliasItem(SITE, i, f"https://www.alhadath.ps/article/{i}", of), st.integers(10, 12),
              st.integers(1, 9)),
)
steps = st.lists(st.one_of(
    st.tuples(st.just("item"), st.one_of(articles, articles, articles, articles, invalid, others)),
    st.tuples(st.sampled_from(["stored_ids", "changed_at", "known_misses"]), ids),
    st.tuples(st.just("tick"), st.none()),
), min_size=1, max_size=16)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps, hold=st.integers(1, 6), commit_every=st.sampled_from([3, 7, 100]),
       interval=st.sampled_from([0.0, 10.0**6]))
def test_held_articles_change_nothing_a_crawl_sees(tmp_path, steps, hold, commit_every, interval):
    one = run(tmp_path / f"one{next(_paths)}.db", steps, hold=0, commit_every=commit_every, interval=interval)
    held = run(tmp_path / f"held{next(_paths)}.db", steps, hold=hold, commit_every=commit_every, interval=interval)
    for name, mine, theirs in zip(("steps", "feed", "stats", "run counts", "tables"), held, one):
        assert mine == theirs, name


def test_articles_are_held_and_every_commit_writes_them_first(tmp_path):
    """Unrelated new articles wait (the archive has none of them), but the spider's state counts them stored; the
    owner's timer, once the batch is due, and the store pipeline's close commit them."""
    path = tmp_path / "a.db"
    archive = Archive(path, batch_size=500, commit_interval=10.0**6)
    crawler = SimpleNamespace(stats=Stats(), settings={}, signals=SignalManager(), spider=None)
    crawler.arshif_context = context = RunContext(archive=archive, site=get_site(SITE), run_id=None, command="crawl",
                                                  hold=50)
    pipelines = [cls.from_crawler(crawler) for cls in PIPELINES]
    for article_id in (1, 2, 3):
        item = ArticleItem(article(article_id, " ".join(words(1000 * article_id, 1000 * article_id + 60)), "خبر"),
                           fetch=FetchInfo(url="https://www.alhadath.ps/x", fetched_at=FETCHED))
        for pipeline in pipelines:
            item = pipeline.process_item(item)
    assert context.batch.held == 3 and archive.pending_writes == 0
    assert archive.stored_ids(SITE, [1, 2, 3]) == set()  # not written yet
    assert context.state.stored_ids(SITE, [1, 2, 3, 4]) == {1, 2, 3}  # but stored for the spider
    archive.commit_if_due()  # not due: still held
    assert context.batch.held == 3
    archive.commit_interval = 0.0
    archive.commit_if_due()  # due: written, then committed
    assert context.batch.held == 0 and committed(path)[0] == [(1, 1, None), (2, 1, None), (3, 1, None)]
    archive.commit_interval = 10.0**6
    item = ArticleItem(article(7, " ".join(words(7000, 7060)), "خبر"),
                       fetch=FetchInfo(url="https://www.alhadath.ps/x", fetched_at=FETCHED))
    for pipeline in pipelines:
        item = pipeline.process_item(item)
    assert context.batch.held == 1
    assert context.state.changed_at(SITE, [7]) == {7: "2016-02-19T23:15:08+02:00"}  # written first to be read
    assert context.batch.held == 0
    pipelines[-1].close_spider()
    assert [row[0] for row in committed(path)[0]] == [1, 2, 3, 7]
    archive.close()


def test_a_rollback_drops_the_held_articles(tmp_path):
    archive = Archive(tmp_path / "a.db", batch_size=500, commit_interval=10.0**6)
    context = RunContext(archive=archive, site=get_site(SITE), run_id=None, command="crawl", hold=50)
    item = ArticleItem(article(1, BODIES[-3], "خبر"), fetch=FetchInfo(url="https://www.alhadath.ps/x", fetched_at=FETCHED))
    context.writer.record(context.dedupe(context.ingest.clean(item)), Stats())
    assert context.batch.held == 1
    archive.rollback()
    archive.commit()
    assert context.batch.held == 0 and archive.stored_ids(SITE, [1]) == set()
    archive.close()


def test_a_crawl_holds_new_articles_by_default():
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("crawler.settings")
    assert settings.getint("ARSHIF_HOLD_NEW") == 100
