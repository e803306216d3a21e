"""One crawl's link to the archive, shared by its spider, pipelines and extensions.

The spider opens it (``RunContext.open``) when Scrapy builds it, which also starts the run's row in
``crawl_runs``; every other component finds it with ``run_context(crawler)``. ``ArchiveRun`` (an
extension) commits, records the run's counts and status, and closes the archive at ``spider_closed``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from scrapy import signals
from scrapy.utils.asyncio import create_looping_call

from crawler.monitor import QUALITY_STATUS
from crawler.site import Site
from crawler.storage import Archive, RunCounts

logger = logging.getLogger(__name__)

# Scrapy stats the pipelines and the spider keep (also read by crawler.progress).
STORED = "arshif/articles/stored"
UPDATED = "arshif/articles/updated"
UNCHANGED = "arshif/articles/unchanged"
ALIASES = "arshif/aliases"
NEAR_DUPLICATES = "arshif/near_duplicates"
MISSES = "arshif/misses"
FAILURES = "arshif/failures"
OUTSIDE_WINDOW = "arshif/outside_window"


@dataclass
class RunContext:
    archive: Archive
    site: Site
    run_id: int
    command: str
    since: datetime | None = None
    until: datetime | None = None
    refresh: bool = False
    args: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def open(cls, crawler, *, site: Site, command: str, args: Mapping[str, Any], **options: Any) -> RunContext:
        settings = crawler.settings
        archive = Archive(
            settings.get("ARSHIF_DB", "arshif.db"),
            batch_size=settings.getint("ARSHIF_COMMIT_EVERY", 100),
            commit_interval=settings.getfloat("ARSHIF_COMMIT_INTERVAL", 5.0),
        )
        run_id = archive.start_run(site.name, command=command, args=args)
        context = cls(archive=archive, site=site, run_id=run_id, command=command, args=dict(args), **options)
        crawler.arshif_context = context
        return context

    def in_window(self, published: datetime | None) -> bool:
        if published is None:
            return self.since is None and self.until is None
        return (self.since is None or published >= self.since) and (self.until is None or published <= self.until)


def run_context(crawler) -> RunContext:
    context = getattr(crawler, "arshif_context", None)
    if context is None:
        raise RuntimeError("no archive for this crawl: the spider must derive from spiders.base.ArchiveSpider")
    return context


class ArchiveStep:
    """Base of the pipelines: built by from_crawler, with the run's context at hand."""

    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.context = run_context(crawler)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)


def counts_from_stats(stats: Mapping[str, Any]) -> RunCounts:
    dropped = sum(v for k, v in stats.items() if k.startswith("item_dropped_reasons_count/"))
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


def run_status(finish_reason: str, stats: Mapping[str, Any]) -> str:
    if finish_reason != "finished":
        return "interrupted" if finish_reason in ("shutdown", "cancelled") else "failed"
    return "alarm" if stats.get(QUALITY_STATUS) == "alarm" else "ok"


class ArchiveRun:
    """Extension: at the end of a crawl, commit the last batch and record the run in ``crawl_runs``.

    Listed last in EXTENSIONS so that it runs after extensions that judge the run (quality monitor).
    """

    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.timer = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler) -> ArchiveRun:
        return cls(crawler)

    def spider_opened(self, spider) -> None:
        context = getattr(self.crawler, "arshif_context", None)
        if context is None:
            return
        self.crawler.stats.set_value("arshif/run_id", context.run_id)
        # A slow (polite) crawl may go quiet between items: its open batch is still committed on time.
        self.timer = create_looping_call(context.archive.commit_if_due)
        self.timer.start(max(1.0, context.archive.commit_interval), now=False)

    def spider_closed(self, spider, reason: str) -> None:
        context = getattr(self.crawler, "arshif_context", None)
        if context is None:
            return
        if self.timer is not None and self.timer.running:
            self.timer.stop()
        stats = self.crawler.stats.get_stats()
        status = run_status(reason, stats)
        context.archive.commit()
        context.archive.finish_run(
            context.run_id, finish_reason=reason, status=status, counts=counts_from_stats(stats), stats=stats
        )
        self.crawler.stats.set_value("arshif/run_status", status)
        context.archive.close()
        logger.info("run %s %s (%s): archive %s committed", context.run_id, status, reason, context.archive.path)
