"""Quality monitor: at the end of a run, say loudly when the site's pages stopped looking like articles.

The spider reports every page it parsed at an article URL with one call::

    from crawler.monitor import PageTally, record_extraction
    record_extraction(self.crawler.stats, extraction)   # an Extraction, a record dict, or None
    record_extraction(self.crawler.stats, None, no_article_kind(body, charset, known_miss=...))
    tally = PageTally(self.crawler.stats); tally.record(extraction); tally.flush()   # the same, in batches

which counts, in Scrapy stats (so they also land in ``crawl_runs`` counts):

- ``arshif/pages/article`` / ``arshif/pages/no_article``: pages that did / did not yield an article, and
  of the latter ``.../no_article/not_found`` (the page says "not found") and ``.../no_article/known_miss``
  (an id recorded as a miss, asked again): the rest are *unreadable* (``crawler.alarms``);
- ``arshif/field/<key>/found``: article pages where the record key is non-empty;
- ``arshif/field/<key>/<stage>``: article pages where the extractor took the key from that stage
  ("selector", "jsonld", "meta", "time", "layout", "density", "trafilatura").

At ``spider_closed`` :class:`QualityMonitor` alarms on what a user of the archive loses, and only that:

- coverage of title, date, byline and ≥1 paragraph among article pages (``ARSHIF_QUALITY_MIN_COVERAGE``,
  a share, or a ``{"byline": 0.5, ...}`` dict to set fields apart);
- unreadable article-URL pages, for runs of any size: ``crawler.alarms.judge`` (this run and its streak of
  bad runs against the site's history; ``ARSHIF_QUALITY_MAX_NO_ARTICLE_SHARE``, ``ARSHIF_QUALITY_ALPHA``);
- a sudden drop from the previous runs: each of those rates against the median of the last
  ``ARSHIF_QUALITY_BASELINE_RUNS`` judged runs on the same archive (read through ``Archive.recent_runs``),
  alarming when it fell by more than ``ARSHIF_QUALITY_MAX_DROP`` (0.2 = 20 points): bylines at 95% for weeks
  and 60% today is news even where the configured minimum is 50%.

The share of found fields that the site's own CSS selectors delivered is reported as information, never an
alarm: the real site's markup is unknown, so ``selectors={"title": "h1"}`` is a guess, and a run whose
fields are all extracted by the fallbacks has lost nothing (``arshif probe`` says what to put there).

Runs with fewer than ``ARSHIF_QUALITY_MIN_PAGES`` pages (an hourly run may see three new articles) are
judged on their unreadable pages only, against the history ("alarm" or "unjudged"). The verdict goes to stats ``arshif/quality/status`` ("ok" | "alarm" | "unjudged") and
``arshif/quality/reason``, one log line, and ``crawl_runs.alarm_reason``; ``pipelines.owner.ArchiveOwner``
(listed after this extension) makes "alarm" the run's status, and the crawl command exits with code 5.
"""

from __future__ import annotations

import logging
import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from crawler.alarms import (
    KNOWN_MISS,
    NOT_FOUND,
    PAGES_ARTICLE,
    PAGES_KNOWN_MISS,
    PAGES_NO_ARTICLE,
    PAGES_NOT_FOUND,
    PageCounts,
    PastRun,
    Rule,
    judge,
)

logger = logging.getLogger(__name__)

PREFIX = "arshif/"
QUALITY_STATUS = "arshif/quality/status"
QUALITY_REASON = "arshif/quality/reason"

STATUS_OK = "ok"
STATUS_ALARM = "alarm"
STATUS_UNJUDGED = "unjudged"

# The fields a reader of the archive cannot do without, and the record key that holds each.
MONITORED_FIELDS: dict[str, str] = {
    "title": "title",
    "date": "published_at",
    "byline": "byline_raw",
    "paragraphs": "paragraphs",
}
# Names an extractor may give the same field in its ``sources`` (the date is read from its raw text).
_SOURCE_ALIASES: dict[str, tuple[str, ...]] = {
    "published_at": ("published_raw", "date", "published"),
    "byline_raw": ("byline", "authors"),
    "paragraphs": ("body",),
}

DEFAULTS: dict[str, Any] = {
    "ARSHIF_QUALITY_MIN_PAGES": 10,
    "ARSHIF_QUALITY_MIN_COVERAGE": 0.8,
    "ARSHIF_QUALITY_MAX_NO_ARTICLE_SHARE": 0.3,
    "ARSHIF_QUALITY_MAX_DROP": 0.2,
    "ARSHIF_QUALITY_BASELINE_RUNS": 5,
    "ARSHIF_QUALITY_ALPHA": 1e-3,
}
_NO_ARTICLE_KEYS = {NOT_FOUND: PAGES_NOT_FOUND, KNOWN_MISS: PAGES_KNOWN_MISS}


def field_key(record_key: str, what: str) -> str:
    return f"{PREFIX}field/{record_key}/{what}"


def record_extraction(stats: Any, extraction: Any, no_article: str | None = None) -> None:
    """Count one parsed article-URL page: an ``Extraction`` (record + sources), a bare record, or None.

    ``no_article``: for a page without an article, why (``crawler.alarms.no_article_kind``: "not_found",
    "known_miss" or "unreadable", the default) — only unreadable pages count against the layout.
    A crawl counts through a ``PageTally`` instead (the same keys, merged into the stats in batches)."""
    tally = PageTally(stats)
    tally.record(extraction, no_article)
    tally.flush()


class PageTally:
    """``record_extraction``'s counters for one run, kept in a dict and merged into Scrapy's stats every
    ``every`` pages and by ``flush()`` (the spider flushes when it closes, before any extension reads them).

    Why: ~30 counters a page, each ``stats.inc_value`` going through Scrapy 2.19's deprecation wrapper
    (~1.5 µs a call against ~0.1 µs for a dict): 1,000 real-weight articles made ~30,000 such calls. The
    final stats are the same numbers; only a reader in the middle of a run sees them up to ``every`` pages late."""

    def __init__(self, stats: Any, every: int = 100) -> None:
        self.stats = stats
        self.every = every
        self.counts: dict[str, int] = {}
        self.pages = 0

    def record(self, extraction: Any, no_article: str | None = None) -> None:
        """Count one page, as ``record_extraction`` does."""
        counts = self.counts
        get = counts.get
        record, sources = _unpack(extraction)
        if record is None:
            counts[PAGES_NO_ARTICLE] = get(PAGES_NO_ARTICLE, 0) + 1
            if no_article in _NO_ARTICLE_KEYS:
                key = _NO_ARTICLE_KEYS[no_article]
                counts[key] = get(key, 0) + 1
        else:
            counts[PAGES_ARTICLE] = get(PAGES_ARTICLE, 0) + 1
            for key, value in record.items():  # the keys are built once per (field, stage)
                if _present(value):
                    key = _FOUND.get(key) or _FOUND.setdefault(key, field_key(key, "found"))
                    counts[key] = get(key, 0) + 1
            for key, stage in (sources or {}).items():
                if stage:
                    pair = (key, stage)
                    key = _STAGES.get(pair) or _STAGES.setdefault(pair, field_key(_record_key(key), str(stage)))
                    counts[key] = get(key, 0) + 1
        self.pages += 1
        if self.pages >= self.every:
            self.flush()

    def count(self, key: str, value: float = 1) -> None:
        """Another per-page counter of the run, merged with the rest (e.g. pages a template read)."""
        self.counts[key] = self.counts.get(key, 0) + value

    def flush(self) -> None:
        """Merge what was counted since the last flush into the stats (one ``inc_value`` per key)."""
        inc = self.stats.inc_value
        for key, count in self.counts.items():
            inc(key, count)
        self.counts.clear()
        self.pages = 0


_FOUND: dict[str, str] = {}
_STAGES: dict[tuple[str, Any], str] = {}


def _unpack(extraction: Any) -> tuple[Mapping[str, Any] | None, Mapping[str, str] | None]:
    if extraction is None:
        return None, None
    if isinstance(extraction, Mapping):
        return extraction, None
    return getattr(extraction, "record", None), getattr(extraction, "sources", None)


def _present(value: Any) -> bool:
    return value is not None and value != "" and value != [] and value != {}


def _record_key(source_key: str) -> str:
    for record_key, aliases in _SOURCE_ALIASES.items():
        if source_key in aliases:
            return record_key
    return source_key


@dataclass(frozen=True)
class Thresholds:
    min_pages: int = DEFAULTS["ARSHIF_QUALITY_MIN_PAGES"]
    min_coverage: Mapping[str, float] = field(
        default_factory=lambda: dict.fromkeys(MONITORED_FIELDS, DEFAULTS["ARSHIF_QUALITY_MIN_COVERAGE"])
    )
    max_no_article_share: float = DEFAULTS["ARSHIF_QUALITY_MAX_NO_ARTICLE_SHARE"]
    max_drop: float = DEFAULTS["ARSHIF_QUALITY_MAX_DROP"]
    baseline_runs: int = DEFAULTS["ARSHIF_QUALITY_BASELINE_RUNS"]
    alpha: float = DEFAULTS["ARSHIF_QUALITY_ALPHA"]

    def rule(self) -> Rule:
        """The layout rule of ``crawler.alarms`` with these thresholds."""
        return Rule(max_share=self.max_no_article_share, min_pages=self.min_pages, alpha=self.alpha)

    @classmethod
    def from_settings(cls, settings: Any) -> "Thresholds":
        coverage = settings.get("ARSHIF_QUALITY_MIN_COVERAGE", DEFAULTS["ARSHIF_QUALITY_MIN_COVERAGE"])
        if isinstance(coverage, Mapping):
            default = DEFAULTS["ARSHIF_QUALITY_MIN_COVERAGE"]
            per_field = {name: float(coverage.get(name, default)) for name in MONITORED_FIELDS}
        else:
            per_field = dict.fromkeys(MONITORED_FIELDS, float(coverage))
        return cls(
            min_pages=settings.getint("ARSHIF_QUALITY_MIN_PAGES", DEFAULTS["ARSHIF_QUALITY_MIN_PAGES"]),
            min_coverage=per_field,
            max_no_article_share=settings.getfloat(
                "ARSHIF_QUALITY_MAX_NO_ARTICLE_SHARE", DEFAULTS["ARSHIF_QUALITY_MAX_NO_ARTICLE_SHARE"]
            ),
            max_drop=settings.getfloat("ARSHIF_QUALITY_MAX_DROP", DEFAULTS["ARSHIF_QUALITY_MAX_DROP"]),
            baseline_runs=settings.getint("ARSHIF_QUALITY_BASELINE_RUNS", DEFAULTS["ARSHIF_QUALITY_BASELINE_RUNS"]),
            alpha=settings.getfloat("ARSHIF_QUALITY_ALPHA", DEFAULTS["ARSHIF_QUALITY_ALPHA"]),
        )


@dataclass(frozen=True)
class QualityReport:
    status: str
    reasons: tuple[str, ...]
    article_pages: int
    no_article_pages: int  # unreadable: no article, not a soft-404, not a known miss asked again
    coverage: Mapping[str, float]
    selector_share: Mapping[str, float]  # information only
    baseline: Mapping[str, float] = field(default_factory=dict)  # median rates of the previous runs

    @property
    def alarm(self) -> bool:
        return self.status == STATUS_ALARM

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)

    def summary(self) -> str:
        pages = self.article_pages + self.no_article_pages
        if self.status == STATUS_UNJUDGED:
            return f"quality not judged: {self.reason}"
        measured = ", ".join(f"{name} {_pct(share)}" for name, share in self.coverage.items())
        head = f"{pages} article-URL pages, {self.article_pages} articles; coverage {measured}"
        if self.baseline:
            head += "; previous runs " + ", ".join(f"{k} {_pct(v)}" for k, v in self.baseline.items())
        if self.selector_share:
            head += "; site selectors delivered " + ", ".join(
                f"{k} {_pct(v)}" for k, v in self.selector_share.items()) + " of found fields (information)"
        if self.alarm:
            return f"QUALITY ALARM ({self.reason}) — {head}"
        return f"quality ok — {head}"


def rates(stats: Mapping[str, Any], min_pages: int = 1) -> dict[str, float] | None:
    """What a user gets from a run's article-URL pages: the share of readable ones (not soft-404s or known
    misses) that held an article ("articles") and each monitored field's coverage among those; None below
    ``min_pages`` pages (too few to compare)."""
    counts = PageCounts.from_stats(stats)
    articles, pages = counts.articles, counts.pages
    if pages < max(1, min_pages):
        return None
    found = {name: int(stats.get(field_key(key, "found"), 0) or 0) / articles if articles else 0.0
             for name, key in MONITORED_FIELDS.items()}
    return {"articles": articles / pages, **found}


def baseline(previous: list[Mapping[str, Any]], thresholds: Thresholds) -> dict[str, float]:
    """The median of each rate over the previous runs' stats (newest first) that had enough pages."""
    judged = [r for r in (rates(stats, thresholds.min_pages) for stats in previous) if r is not None]
    judged = judged[: thresholds.baseline_runs]
    if not judged:
        return {}
    return {name: statistics.median(r[name] for r in judged) for name in judged[0]}


def assess(
    stats: Mapping[str, Any], thresholds: Thresholds, selector_fields: tuple[str, ...] = (),
    previous: list[Mapping[str, Any]] = (), history: list[PastRun] | None = None,
    relative_only: tuple[str, ...] = (),
) -> QualityReport:
    """Judge a run from its stats. ``selector_fields``: record keys the site declares selectors for
    (their share is reported, not judged); ``previous``: earlier runs' stats, newest first; ``history``: the
    same runs with their status (``PastRun``; default: ``previous``, all counted as ok) for the layout rule
    of ``crawler.alarms`` — the one judgement a run of any size gets. ``relative_only``: fields judged only
    against the site's earlier runs (the drop rule), not against the absolute minimum (``unjudged_minimums``)."""
    counts = PageCounts.from_stats(stats)
    articles, unreadable, pages = counts.articles, counts.unreadable, counts.pages
    if history is None:
        history = [PastRun(PageCounts.from_stats(run), ok=True) for run in previous]
    layout = judge(counts, history, thresholds.rule())
    if pages < thresholds.min_pages:
        if layout.alarm:
            return QualityReport(STATUS_ALARM, (layout.reason(),), articles, unreadable, {}, {})
        return QualityReport(
            STATUS_UNJUDGED, (f"{pages} article-URL pages < {thresholds.min_pages}: only the unreadable pages"
                              f" were judged, against the site's history (usual rate {layout.baseline_rate:.1%})",),
            articles, unreadable, {}, {}
        )

    reasons: list[str] = []
    if layout.alarm:
        reasons.append(layout.reason())

    coverage = {
        name: (int(stats.get(field_key(key, "found"), 0)) / articles if articles else 0.0)
        for name, key in MONITORED_FIELDS.items()
    }
    if articles:
        for name, share in coverage.items():
            minimum = thresholds.min_coverage.get(name, 0.0)
            if share < minimum and name not in relative_only:
                reasons.append(f"{name} found on {_pct(share)} of articles (min {_pct(minimum)})")

    before = baseline(list(previous), thresholds)
    now = rates(stats) or {}
    for name, usual in before.items():
        if usual - now.get(name, 0.0) > thresholds.max_drop:
            what = "pages with an article" if name == "articles" else f"{name} coverage"
            reasons.append(f"{what} fell to {_pct(now.get(name, 0.0))} from {_pct(usual)} in the previous runs")

    selector_share: dict[str, float] = {}
    for key in selector_fields:
        found = int(stats.get(field_key(key, "found"), 0))
        if found:
            selector_share[key] = int(stats.get(field_key(key, "selector"), 0)) / found

    status = STATUS_ALARM if reasons else STATUS_OK
    return QualityReport(status, tuple(reasons), articles, unreadable, coverage, selector_share, before)


def judge_run(stats: Mapping[str, Any], thresholds: Thresholds, runs: list[tuple[str, Mapping[str, Any]]],
              selector_fields: tuple[str, ...] = (), relative_only: tuple[str, ...] = ()) -> QualityReport:
    """``assess`` a run against the archive's earlier runs of its site: (status, stats), newest first, as
    ``Archive.recent_runs`` gives them (the extension's and the alarm simulation's one way in)."""
    previous = [run for status, run in runs if status in ("ok", "alarm")][: thresholds.baseline_runs * 4]
    history = [PastRun(PageCounts.from_stats(run), ok=status == "ok") for status, run in runs]
    return assess(stats, thresholds, selector_fields, previous, history, relative_only=relative_only)


def _pct(share: float) -> str:
    return f"{share:.0%}"


class QualityMonitor:
    """Scrapy extension; ``ARSHIF_QUALITY_ENABLED = False`` turns it off."""

    def __init__(self, crawler: Any, thresholds: Thresholds) -> None:
        self.crawler = crawler
        self.thresholds = thresholds
        self.report: QualityReport | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> "QualityMonitor":
        if not crawler.settings.getbool("ARSHIF_QUALITY_ENABLED", True):
            raise NotConfigured
        monitor = cls(crawler, Thresholds.from_settings(crawler.settings))
        crawler.signals.connect(monitor.spider_closed, signal=signals.spider_closed)
        return monitor

    def spider_closed(self, spider: Any, reason: str) -> None:
        stats = self.crawler.stats
        self.report = judge_run(stats.get_stats(), self.thresholds, previous_runs(self.crawler),
                                selector_fields(spider, self.crawler.settings), unjudged_minimums(spider))
        stats.set_value(QUALITY_STATUS, self.report.status)
        if self.report.reasons:
            stats.set_value(QUALITY_REASON, self.report.reason)
        log = logger.error if self.report.alarm else logger.info
        log(self.report.summary())
        # The run's row gets the status and reason from the archive's owner (pipelines.owner.ArchiveOwner),
        # which runs after this one (it reads QUALITY_STATUS and QUALITY_REASON).


def previous_runs(crawler: Any, limit: int = 500) -> list[tuple[str, Mapping[str, Any]]]:
    """(status, stats) of the archive's earlier finished runs of this site, newest first (none without an
    archive): the baseline of the drop rule and the history of the layout rule."""
    context = getattr(crawler, "arshif_context", None)
    archive = getattr(context, "archive", None)
    if archive is None:
        return []
    return archive.recent_runs(context.site.name, before_run=context.run_id, limit=limit)


def unjudged_minimums(spider: Any) -> tuple[str, ...]:
    """Fields a run is judged on only against its site's earlier runs. Bylines of a site known by its URL
    alone (``crawl --url``): how many pages print a byline is the outlet's habit, and without selectors a
    byline set apart by markup only (e.g. a span beside the date) is not read; a first run's 56% says
    nothing is broken. A later fall from the usual share still alarms, and titles, dates and bodies keep
    their minimum, so a broken layout is still caught."""
    site = getattr(spider, "site", None)
    return ("byline",) if getattr(site, "guessed", False) else ()


def selector_fields(spider: Any, settings: Any) -> tuple[str, ...]:
    """Record keys with site selectors: setting ARSHIF_QUALITY_SELECTOR_FIELDS, else ``spider.site``."""
    configured = settings.getlist("ARSHIF_QUALITY_SELECTOR_FIELDS")
    if configured:
        return tuple(configured)
    site = getattr(spider, "site", None)
    selectors = getattr(site, "selectors", None) or {}
    return tuple(_record_key(key) for key in selectors)
