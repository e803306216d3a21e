"""Run a crawl or a backfill in this process and say how it went: the library under `arshif crawl`.

    from crawler.runner import CrawlOptions, run_crawl
    result = run_crawl(CrawlOptions(site="alhadath", db_path="arshif.db", base_url="http://127.0.0.1:8000"))
    print(format_summary(result))

Scrapy's reactor cannot be restarted, so ``run_crawl`` runs once per process (tests start
``python -m crawler crawl ...`` as subprocesses). Extra Scrapy settings go in ``CrawlOptions.settings``
(e.g. ``{"ARSHIF_WARC_DIR": "warc/", "EXTENSIONS": {...}}``); they override the project settings.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy.settings import Settings

from crawler.arguments import SpiderArgumentError, parse_id_ranges, parse_window, politeness
from crawler.config import apply_environment, crawler_process, quiet_scrapy
from crawler.errors import (
    AlarmError,
    ArshifError,
    FailedRunError,
    InterruptedRunError,
    UnreachableError,
    UsageError,
)
from crawler.monitor import QUALITY_REASON
from crawler.progress import format_duration
from crawler.middlewares.reasons import ROBOTS_UNAVAILABLE
from crawler.sites import SiteFileError, get_site
from crawler.storage import ArchiveSummary, RunCounts, check_archive_path


@dataclass
class CrawlOptions:
    site: str = "alhadath"
    db_path: str | Path = "arshif.db"
    mode: str = "crawl"  # "crawl" | "backfill"
    base_url: str | None = None
    ids: str | None = None  # backfill: "30000-35000" or "1-5,9"
    since: str | None = None
    until: str | None = None
    max_pages: int | None = None
    refresh: bool = False
    retry_misses: bool = False
    polite: bool | None = None  # None: off for a loopback base URL, on otherwise
    log_level: str = "INFO"
    log_file: str | None = None  # the whole log goes there instead of stderr (the summary stays on stdout)
    settings: dict[str, Any] = field(default_factory=dict)  # -s NAME=VALUE: above the environment's

    def spider_arguments(self) -> dict[str, Any]:
        arguments: dict[str, Any] = {"mode": self.mode, "refresh": self.refresh, "retry_misses": self.retry_misses,
                                     "polite": "auto" if self.polite is None else self.polite}
        for key in ("base_url", "ids", "since", "until", "max_pages"):
            if getattr(self, key) is not None:
                arguments[key] = getattr(self, key)
        return arguments


@dataclass
class CrawlResult:
    run_id: int
    status: str  # ok | alarm | failed | interrupted (crawl_runs.status)
    finish_reason: str
    counts: RunCounts
    elapsed: float  # seconds
    summary: ArchiveSummary  # the whole archive after the run
    stats: dict[str, Any]
    disk_full: str | None = None  # the archive's disk filled up: the run stopped (crawler.storage.ArchiveFull)


def check_options(options: CrawlOptions, *, archive: bool = True) -> None:
    """Reject bad arguments before Scrapy starts (a UsageError with a one-line message); ``archive``: the
    run writes ``options.db_path`` (not a worker's: it never opens the archive)."""
    try:
        site = get_site(options.site)
    except (KeyError, SiteFileError) as exc:
        raise UsageError(str(exc)) from None
    check_base_url(options.base_url)
    if archive:
        check_archive_path(options.db_path, create=True)  # a missing folder or a damaged file: before Scrapy
    try:
        if options.mode == "backfill" and site.key == "id":  # a site keyed by URL backfills from its sources
            parse_id_ranges(options.ids or "")
        parse_window(options.since, options.until, tz=site.timezone)
        politeness(options.base_url or site.base_url, options.polite)
    except SpiderArgumentError as exc:
        raise UsageError(str(exc)) from None
    if options.max_pages is not None and options.max_pages < 1:
        raise UsageError("--max-pages must be at least 1")


def check_base_url(url: str | None) -> None:
    """``--base-url``: an http(s) URL with a host, e.g. http://127.0.0.1:8000 (``notaurl`` or ``ftp://…``
    would otherwise reach Twisted and end as tracebacks and "site unreachable")."""
    if url is None:
        return
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - raises ValueError on a port that is no number
    except ValueError:
        parts = parts._replace(netloc="")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"bad --base-url {url!r}: give an http(s) URL with a host, e.g. http://127.0.0.1:8000")


def project_settings(options: CrawlOptions) -> Settings:
    """The run's Scrapy settings, in crawler.config's order: project defaults, quiet INFO logging,
    ``ARSHIF_*`` environment variables, then the command line (options, ``-s``)."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.setdict(quiet_scrapy(options.log_level), priority="project")
    apply_environment(settings, os.environ)
    settings.set("ARSHIF_DB", str(options.db_path), priority="cmdline")
    settings.set("LOG_LEVEL", options.log_level, priority="cmdline")
    if options.log_file:
        settings.set("LOG_FILE", str(options.log_file), priority="cmdline")
    settings.setdict(options.settings, priority="cmdline")
    return settings


def run_crawl(options: CrawlOptions) -> CrawlResult:
    """Crawl (or backfill) into the archive at ``options.db_path``; returns when the run is over.

    The run's status, counts and the archive's summary come from the archive's owner
    (``pipelines.owner.ArchiveOwner``), which recorded them before it closed the archive.
    """
    from crawler.middlewares.extractpool import extract_jobs, start_fork_server
    from pipelines.owner import ArchiveOwner

    check_options(options)
    started = time.monotonic()
    settings = project_settings(options)
    if extract_jobs(settings.get("ARSHIF_EXTRACT_JOBS", 0)) > 0:
        start_fork_server()  # the extraction workers' server imports the extractor while Scrapy starts here
    process = crawler_process(settings)
    crawler = process.create_crawler(options.site)
    process.crawl(crawler, **options.spider_arguments())
    with fewer_collections():
        process.start()
    elapsed = time.monotonic() - started
    outcome, stats = _owner_outcome(crawler, ArchiveOwner)
    if outcome is None:
        raise UnreachableError("the crawl did not start (see the log above)")
    robots = stats.get(ROBOTS_UNAVAILABLE)
    error = None
    if robots:  # RFC 9309: a 5xx/unreachable robots.txt shut the host out (run recorded "failed")
        error = UnreachableError(f"{robots}: nothing fetched from that host for {cooldown(options):.0f}s "
                                 f"(RFC 9309 §2.3.1.4; run {outcome.run_id})")
    elif outcome.unreachable:
        error = UnreachableError(
            f"nothing reachable at {options.base_url or get_site(options.site).base_url} (run {outcome.run_id})"
        )
    if error is not None:
        error.run_id = outcome.run_id  # for crawler.notify
        raise error
    return CrawlResult(
        run_id=outcome.run_id,
        status=outcome.status,
        finish_reason=outcome.finish_reason,
        counts=outcome.counts,
        elapsed=elapsed,
        summary=outcome.summary,
        stats=stats,
        disk_full=outcome.disk_full,
    )


# The cyclic GC's youngest generation is collected every this many net container allocations during a crawl
# (Python's default: 700). A crawl allocates a few hundred thousand short-lived containers per 1,000 articles
# (requests, responses, Deferreds, records), nearly all freed by reference counting, yet at 700 each young
# collection also walks what survived since the last one: 1,000 real-weight articles, one extraction worker,
# GC callbacks timed (bench/results.md, crawl4): 0.27 CPU-s of collections during the crawl at 700, 0.06 at 5,000,
# ~0 at 100,000 (~5 % of the crawl's process). The few cycles a run makes wait a little longer to be freed.
CRAWL_GC_THRESHOLD = 10_000


@contextmanager
def fewer_collections(threshold: int = CRAWL_GC_THRESHOLD) -> Iterator[None]:
    """The crawl's GC thresholds while it runs (the process's own restored after: a caller's tests, a REPL)."""
    before = gc.get_threshold()
    gc.set_threshold(max(threshold, before[0]), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _owner_outcome(crawler, owner_class) -> tuple[Any, dict[str, Any]]:
    """The archive owner's record of the run and the run's stats; (None, {}) when the crawl never started
    (e.g. a spider argument refused before the engine was built: the crawler has no stats or extensions)."""
    try:
        stats = crawler.stats.get_stats() if crawler.stats is not None else {}
        owner = crawler.get_extension(owner_class)
    except RuntimeError:  # get_extension before the extension manager existed
        return None, {}
    return (owner.outcome if owner is not None else None), stats


def cooldown(options: CrawlOptions) -> float:
    return project_settings(options).getfloat("ROBOTSTXT_COOLDOWN")


def run_error(result: CrawlResult) -> ArshifError | None:
    """The error (and so the exit code) a run that was not "ok" ends with; None for an ok run.

    interrupted (SIGTERM/SIGINT: the current batch was committed first) → 8, failed → 9, alarm → 5.
    """
    if result.status == "interrupted":
        return InterruptedRunError(f"run {result.run_id} interrupted ({result.finish_reason}): its committed work"
                                   " is kept; rerun the same command to go on")
    if result.status == "failed":
        return FailedRunError(f"run {result.run_id} failed ({result.finish_reason}): see the log above")
    if result.status == "alarm":
        return AlarmError(f"run {result.run_id}: quality alarm — {result.stats.get(QUALITY_REASON, 'see the log')}")
    return None


def format_summary(result: CrawlResult) -> str:
    """A few lines for the end of a run: this run's counts, then the archive's totals."""
    c, s = result.counts, result.summary
    dates = f"{(s.first_published or '?')[:10]} … {(s.last_published or '?')[:10]}"
    return "\n".join([
        f"run {result.run_id}: {result.status} ({result.finish_reason}) in {format_duration(result.elapsed)}"
        f" — {c.pages:,} pages, {c.articles_new:,} new ({c.near_duplicates:,} near duplicates),"
        f" {c.articles_updated:,} updated,"
        f" {c.aliases:,} aliases, {c.misses:,} misses, {c.failures:,} failures",
        f"archive: {s.articles:,} articles ({s.near_duplicates:,} near duplicates), {s.aliases:,} aliases,"
        f" {s.misses:,} misses, {s.open_failures:,} open failures, {s.versions:,} older versions;"
        f" published {dates}",
    ])
