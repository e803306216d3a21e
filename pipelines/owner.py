"""The archive's one owner in a crawl: ``ArchiveOwner`` (an extension).

``ArchiveOwner.from_crawler`` opens the archive (``ARSHIF_DB``), starts the run's row in ``crawl_runs``
and puts the run's ``RunContext`` on the crawler (``pipelines.context``); while the crawl runs it commits
an open batch on time (a polite crawl may go quiet between items); at ``spider_closed`` it records what
the spider reports at the end (``spider.closing_items(reason)``: completed listing walks), commits,
records the run's counts, status and alarm reason, and closes the archive. The run's result
(``RunOutcome``) stays on the extension for the runner: it never reopens the archive to learn it.

Each item becomes archive writes in the Scrapy-free ingest core (``crawler.ingest.Ingest``, on the
context); the same core serves ``reparse`` and the distributed ``arshif store`` writer.

Listed last in EXTENSIONS so that its ``spider_closed`` runs after extensions that judge the run
(the quality monitor).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call
from scrapy.utils.defer import deferred_from_coro

from crawler.provenance import result_settings
from crawler.monitor import QUALITY_REASON, QUALITY_STATUS
from crawler.storage import Archive, ArchiveFull, ArchiveSummary, RunCounts
from pipelines.context import RunContext, counts_from_stats, run_status, unreachable

logger = logging.getLogger(__name__)

RUN_ID = "arshif/run_id"
RUN_STATUS = "arshif/run_status"
DISK_FULL = "disk_full"  # finish reason of a run stopped by ArchiveFull (the runner exits 7)


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
            batch_size=settings.getint("ARSHIF_COMMIT_EVERY", 500),
            commit_interval=settings.getfloat("ARSHIF_COMMIT_INTERVAL", 5.0),
        )
        run_id = archive.start_run(spider.site.name, command=run["command"], args=run["args"],
                                   settings=result_settings(settings))
        context = RunContext(archive=archive, site=spider.site, run_id=run_id, **run)
        crawler.arshif_context = context
        return cls(crawler, context)

    def spider_opened(self, spider) -> None:
        self.crawler.stats.set_value(RUN_ID, self.context.run_id)
        self.timer = create_looping_call(self.tick)
        self.timer.start(max(1.0, self.context.archive.commit_interval), now=False)

    def tick(self) -> None:
        """Note how far the run got in its row (kept if the process dies: crawler.runstate), then commit an
        open batch that is due."""
        archive = self.context.archive
        archive.note_run_progress(self.context.run_id, int(self.crawler.stats.get_value("response_received_count", 0)))
        archive.commit_if_due()

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
