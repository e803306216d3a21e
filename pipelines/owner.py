"""The archive's one owner in a crawl: ``ArchiveOwner`` (an extension) and its ``ArchiveWriter``.

``ArchiveOwner.from_crawler`` opens the archive (``ARSHIF_DB``), starts the run's row in ``crawl_runs``
and puts the run's ``RunContext`` on the crawler (``pipelines.context``); while the crawl runs it commits
an open batch on time (a polite crawl may go quiet between items); at ``spider_closed`` it records what
the spider reports at the end (``spider.closing_items(reason)``: completed listing walks), commits,
records the run's counts, status and alarm reason, and closes the archive. The run's result
(``RunOutcome``) stays on the extension for the runner: it never reopens the archive to learn it.

``ArchiveWriter`` turns each item into archive writes (``record``): an article as dedupe decided
(``item.verdict``), and every outcome item of ``pipelines.items``. The same writer serves any process
that stores items (the distributed ``arshif store`` writer runs dedupe, then ``record``).

Listed last in EXTENSIONS so that its ``spider_closed`` runs after extensions that judge the run
(the quality monitor).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call
from scrapy.utils.defer import deferred_from_coro

from crawler.provenance import result_settings
from crawler.monitor import QUALITY_REASON, QUALITY_STATUS
from crawler.storage import Archive, ArchiveFull, ArchiveSummary, ArticleWrite, Outcome, RunCounts
from pipelines.context import (
    ALIASES,
    FAILURES,
    MISSES,
    NEAR_DUPLICATES,
    STORED,
    UNCHANGED,
    UPDATED,
    RunContext,
    counts_from_stats,
    run_status,
    unreachable,
)
from pipelines.items import (
    AliasItem,
    ArticleItem,
    FailureItem,
    FailureResolved,
    MissItem,
    OutcomeItem,
    WalksComplete,
)

logger = logging.getLogger(__name__)

_OUTCOME_STATS = {Outcome.NEW: STORED, Outcome.UPDATED: UPDATED, Outcome.UNCHANGED: UNCHANGED}
RUN_ID = "arshif/run_id"
RUN_STATUS = "arshif/run_status"
DISK_FULL = "disk_full"  # finish reason of a run stopped by ArchiveFull (the runner exits 7)


class ArchiveWriter:
    """Every write a crawl makes, one item at a time, into the archive's open batch."""

    def __init__(self, archive: Archive, site: str, run_id: int | None) -> None:
        self.archive = archive
        self.site = site
        self.run_id = run_id

    def record(self, item: ArticleItem | OutcomeItem, stats: Any) -> None:
        if isinstance(item, ArticleItem):
            self._article(item, stats)
        elif isinstance(item, MissItem):
            self.archive.record_miss(item.site, item.article_id, url=item.url, reason=item.reason,
                                     http_status=item.http_status, run_id=self.run_id)
            stats.inc_value(MISSES)
        elif isinstance(item, FailureItem):
            self.archive.record_failure(item.site, item.url, reason=item.reason, attempts=item.attempts,
                                        http_status=item.http_status, article_id=item.article_id,
                                        run_id=self.run_id)
            stats.inc_value(FAILURES)
        elif isinstance(item, FailureResolved):
            self.archive.resolve_failure(item.site, item.url)
        elif isinstance(item, AliasItem):
            if self.archive.add_alias(item.record(), of=item.of, kind=item.alias_kind,
                                      similarity=item.similarity, run_id=self.run_id):
                stats.inc_value(ALIASES)
        elif isinstance(item, WalksComplete):
            down_to = datetime.fromisoformat(item.down_to) if item.down_to else None
            self.archive.mark_listing_walks_complete(item.site, item.categories, run_id=self.run_id, down_to=down_to)
        else:
            raise TypeError(f"the archive does not record {type(item).__name__} items")

    def _article(self, item: ArticleItem, stats: Any) -> None:
        """Write the article (or its alias) as dedupe decided."""
        archive, site, run_id = self.archive, self.site, self.run_id
        verdict, fetch = item.verdict, item.fetch
        if verdict is None or item.fingerprint is None:
            raise ValueError(f"article {item.get('article_id')} has no dedupe verdict: run the dedupe pipeline first")
        record = dict(item)
        if verdict.kind == "exact":
            if archive.add_alias(record, of=verdict.of, kind="exact", similarity=1.0, run_id=run_id):
                stats.inc_value(ALIASES)
            return
        write = ArticleWrite(
            record=record,
            content_hash=item.fingerprint.content_hash,
            band_hashes=item.fingerprint.band_hashes,
            body_folded=item.fingerprint.folded,
            near_duplicate_of=verdict.near_duplicate_of,
            similarity=verdict.similarity,
            seen_at=fetch.fetched_at if fetch else None,
            warc_record=fetch.warc_record if fetch else None,
            run_id=run_id,
            stored=verdict.kind == "update",  # dedupe found its row ("new", "replaces": none)
        )
        [outcome] = archive.upsert_articles([write])
        stats.inc_value(_OUTCOME_STATS[outcome])
        if verdict.near_duplicate_of is not None and outcome is not Outcome.UNCHANGED:
            stats.inc_value(NEAR_DUPLICATES)
        if verdict.kind == "replaces":
            archive.demote_to_alias(site, verdict.of, of=record["article_id"], run_id=run_id)
            stats.inc_value(ALIASES)
        for other_id, similarity in verdict.repoint:
            archive.set_near_duplicate(site, other_id, of=record["article_id"], similarity=similarity)
        for other_id, of, similarity in verdict.relink:
            archive.set_near_duplicate(site, other_id, of=of, similarity=similarity)


@dataclass
class RunOutcome:
    """How the run ended, as recorded in its ``crawl_runs`` row."""

    run_id: int
    status: str  # ok | alarm | failed | interrupted
    finish_reason: str  # Scrapy's: finished | shutdown | cancelled | closespider_* | ...
    counts: RunCounts
    summary: ArchiveSummary  # the whole archive (this site) after the run
    unreachable: bool = False  # requests sent, not one answered
    alarm_reason: str | None = None
    disk_full: str | None = None  # why the archive refused a write (the run stopped: exit 7)


class ArchiveOwner:
    """Extension: the one owner of the archive in a crawl (see the module's docstring)."""

    def __init__(self, crawler, context: RunContext) -> None:
        self.crawler = crawler
        self.context = context
        self.timer = None
        self.outcome: RunOutcome | None = None
        self.disk_full: str | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.item_error, signal=signals.item_error)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler) -> ArchiveOwner:
        spider = crawler.spider
        if spider is None or not hasattr(spider, "run_arguments"):
            raise NotConfigured("ArchiveOwner: the spider does not derive from spiders.base.ArchiveSpider")
        settings = crawler.settings
        run = spider.run_arguments()
        archive = Archive(
            settings.get("ARSHIF_DB", "arshif.db"),
            batch_size=settings.getint("ARSHIF_COMMIT_EVERY", 100),
            commit_interval=settings.getfloat("ARSHIF_COMMIT_INTERVAL", 5.0),
        )
        run_id = archive.start_run(spider.site.name, command=run["command"], args=run["args"],
                                   settings=result_settings(settings))
        context = RunContext(archive=archive, site=spider.site, run_id=run_id, **run)
        crawler.arshif_context = context
        return cls(crawler, context)

    def spider_opened(self, spider) -> None:
        self.crawler.stats.set_value(RUN_ID, self.context.run_id)
        self.timer = create_looping_call(self.context.archive.commit_if_due)
        self.timer.start(max(1.0, self.context.archive.commit_interval), now=False)

    def item_error(self, item, response, spider, failure) -> None:
        """The archive's disk is full: stop fetching (what is committed stays; a rerun fetches the rest)."""
        if failure.check(ArchiveFull) and self.disk_full is None:
            self.disk_full = str(failure.value)
            logger.error("disk full: %s: %s", self.context.archive.path, failure.value)
            deferred_from_coro(self.crawler.engine.close_spider_async(reason=DISK_FULL))

    def spider_closed(self, spider, reason: str) -> None:
        context, stats = self.context, self.crawler.stats
        archive = context.archive
        if self.timer is not None and self.timer.running:
            self.timer.stop()
        try:
            self._record_closing(spider, reason)
        except ArchiveFull as exc:
            self.disk_full = self.disk_full or str(exc)
        values = stats.get_stats()
        status = run_status(reason, values)
        alarm_reason = values.get(QUALITY_REASON) if values.get(QUALITY_STATUS) == "alarm" else None
        # Counted from the committed rows, not from the stats: a rolled-back batch stored nothing.
        counts = replace(counts_from_stats(values), **archive.committed_run_counts(context.run_id))
        try:
            if alarm_reason:
                archive.set_alarm_reason(context.run_id, alarm_reason)
            archive.finish_run(context.run_id, finish_reason=reason, status=status, counts=counts, stats=values)
        except ArchiveFull as exc:  # not even the run's row fits: it stays "running", the log says why
            self.disk_full = self.disk_full or str(exc)
            logger.error("disk full: could not record run %s's end: %s", context.run_id, exc)
        stats.set_value(RUN_STATUS, status)
        self.outcome = RunOutcome(run_id=context.run_id, status=status, finish_reason=reason, counts=counts,
                                  summary=archive.summary(context.site.name), unreachable=unreachable(values),
                                  alarm_reason=alarm_reason, disk_full=self.disk_full)
        archive.close()
        logger.info("run %s %s (%s): archive %s committed", context.run_id, status, reason, archive.path)

    def _record_closing(self, spider, reason: str) -> None:
        closing = getattr(spider, "closing_items", None)
        for item in closing(reason) if closing is not None and reason != DISK_FULL else ():
            self.context.writer.record(item, self.crawler.stats)
        self.context.archive.commit()
