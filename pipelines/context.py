"""One crawl's link to the archive: the run's context, found by every component with ``run_context``.

Exactly one component owns the archive: ``pipelines.owner.ArchiveOwner`` (an extension built by
``from_crawler``) opens it, starts the run's row in ``crawl_runs``, keeps the commit rhythm and finishes
the run. It puts a ``RunContext`` on the crawler:

- ``state`` (``pipelines.state.ArchiveState``): the spider's read-only questions;
- ``ingest`` (``crawler.ingest.Ingest``): the Scrapy-free core that cleans, validates, dedupes and stores;
- ``writer`` (``OutcomeWriter``): where items end; the store pipeline hands it every item, and code that
  cannot yield an item (a pipeline that drops one, a downloader middleware) calls ``record_outcome``.
  In one process it is ``IngestWriter`` (the ingest, its outcomes mirrored into Scrapy stats);
- ``archive``: the open SQLite archive (None in a distributed worker, whose context has a Redis-backed
  state, no ingest, and a writer that pushes items to Redis).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from crawler.dates import DateWindow
from crawler.ingest import Aliased, Failed, Ingest, Missed, Outcome, OutsideWindow, Stored
from crawler.ingest.items import ArticleItem, FailureItem, OutcomeItem
from crawler.middlewares.reasons import ROBOTS_UNAVAILABLE
from crawler.monitor import QUALITY_STATUS
from crawler.sites import Site
from crawler.storage import Archive, RunCounts
from pipelines.state import ArchiveState, SqliteArchiveState

# Scrapy stats the owner and the pipelines keep (named in crawler.statkeys; also read by crawler.progress).
from crawler.statkeys import (  # noqa: E402,F401
    ALIASES, FAILURES, MISSES, NEAR_DUPLICATES, OUTSIDE_WINDOW, STORED, UNCHANGED, UPDATED,
)


class OutcomeWriter(Protocol):
    def record(self, item: ArticleItem | OutcomeItem, stats: Any) -> Outcome | None:
        """Record the item (an article after dedupe, or any outcome item); count it in ``stats``."""


_STORED_STATS = {"new": STORED, "updated": UPDATED, "unchanged": UNCHANGED}


def tally(stats: Any, outcome: Outcome) -> None:
    """Mirror one ingest outcome into Scrapy stats (the keys progress, the monitor and run rows read)."""
    if isinstance(outcome, Stored):
        stats.inc_value(_STORED_STATS[outcome.kind])
        if outcome.near_duplicate_of is not None and outcome.kind != "unchanged":
            stats.inc_value(NEAR_DUPLICATES)
        if outcome.replaced is not None:
            stats.inc_value(ALIASES)
            if outcome.replaced_new:
                stats.inc_value(STORED, -1)
    elif isinstance(outcome, Aliased):
        if outcome.added:
            stats.inc_value(ALIASES)
    elif isinstance(outcome, Missed):
        stats.inc_value(MISSES)
    elif isinstance(outcome, Failed):
        stats.inc_value(FAILURES)
    elif isinstance(outcome, OutsideWindow):
        stats.inc_value(OUTSIDE_WINDOW)


class IngestWriter:
    """The ``OutcomeWriter`` of a crawl in one process: the ingest records, the stats count."""

    def __init__(self, ingest: Ingest) -> None:
        self.ingest = ingest

    def record(self, item: ArticleItem | OutcomeItem, stats: Any) -> Outcome:
        outcome = self.ingest.record(item)
        tally(stats, outcome)
        return outcome


@dataclass
class RunContext:
    archive: Archive | None
    site: Site
    run_id: int | None
    command: str
    window: DateWindow = DateWindow()  # --since/--until
    refresh: bool = False
    args: dict[str, Any] = field(default_factory=dict)
    state: ArchiveState | None = None  # default: the archive's (SqliteArchiveState)
    writer: OutcomeWriter | None = None  # default: the archive's ingest (IngestWriter)
    ingest: Ingest | None = None  # built over the archive (None without one: a distributed worker)

    def __post_init__(self) -> None:
        if self.archive is not None:
            self.state = self.state or SqliteArchiveState(self.archive)
            self.ingest = self.ingest or Ingest(self.archive, self.site, self.run_id, window=self.window)
            self.writer = self.writer or IngestWriter(self.ingest)

    def in_window(self, published: datetime | None) -> bool:
        return self.window.contains(published)


def run_context(crawler) -> RunContext:
    context = getattr(crawler, "arshif_context", None)
    if context is None:
        raise RuntimeError("no archive for this crawl: enable pipelines.owner.ArchiveOwner (EXTENSIONS) and use "
                           "a spider derived from spiders.base.ArchiveSpider")
    return context


def record_outcome(crawler, item: OutcomeItem) -> None:
    """Record an outcome from code that cannot yield it as an item (a middleware, a dropping pipeline)."""
    run_context(crawler).writer.record(item, crawler.stats)


def record_failure(crawler, request, reason: str, *, http_status: int | None = None) -> None:
    """A request given up for good (e.g. by a downloader middleware): one failures row, never a silent drop.

    An article request (``meta["article_id"]``) is recorded under its canonical URL, so the next crawl
    asks for it again; any other page under its real-site URL.
    """
    spider = crawler.spider
    article_id = request.meta.get("article_id")
    if article_id is not None:
        url = spider.article_url(article_id) if hasattr(spider, "article_url") else spider.site.canonical_url(article_id)
    else:
        url = spider.to_real(request.url) if hasattr(spider, "to_real") else request.url
    attempts = int(request.meta.get("retry_times", 0)) + 1
    record_outcome(crawler, FailureItem(spider.site.name, url, reason, attempts=attempts, http_status=http_status,
                                        article_id=article_id))


class ArchiveStep:
    """Base of the pipelines: built by from_crawler, with the run's context at hand."""

    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.context = run_context(crawler)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)


def counts_from_stats(stats: Mapping[str, Any]) -> RunCounts:
    # Records not stored (invalid, outside the window); outcome items kept out of the feed are no records.
    dropped = sum(v for k, v in stats.items() if k.startswith("item_dropped_reasons_count/")
                  and k != "item_dropped_reasons_count/RecordedOutcome")
    return RunCounts(
        pages=int(stats.get("response_received_count", 0)),
        articles_new=int(stats.get(STORED, 0)),
        articles_updated=int(stats.get(UPDATED, 0)),
        articles_unchanged=int(stats.get(UNCHANGED, 0)),
        aliases=int(stats.get(ALIASES, 0)),
        near_duplicates=int(stats.get(NEAR_DUPLICATES, 0)),
        misses=int(stats.get(MISSES, 0)),
        failures=int(stats.get(FAILURES, 0)),
        dropped=int(dropped),
    )


def unreachable(stats: Mapping[str, Any]) -> bool:
    """Requests sent and not one answered. (A resumed backfill with nothing left to ask sends none.)"""
    return bool(stats.get("downloader/request_count")) and not stats.get("response_received_count")


def run_status(finish_reason: str, stats: Mapping[str, Any]) -> str:
    if unreachable(stats) or stats.get(ROBOTS_UNAVAILABLE):
        return "failed"
    if finish_reason != "finished":
        return "interrupted" if finish_reason in ("shutdown", "cancelled") else "failed"
    return "alarm" if stats.get(QUALITY_STATUS) == "alarm" else "ok"
