"""Quality monitor: at the end of a run, say loudly when the site's pages stopped looking like articles.

The spider reports every page it parsed at an article URL with one call::

    from crawler.monitor import record_extraction
    record_extraction(self.crawler.stats, extraction)   # an Extraction, a record dict, or None

which counts, in Scrapy stats (so they also land in ``crawl_runs`` counts):

- ``arshif/pages/article`` / ``arshif/pages/no_article``: pages that did / did not yield an article;
- ``arshif/field/<key>/found``: article pages where the record key is non-empty;
- ``arshif/field/<key>/<stage>``: article pages where the extractor took the key from that stage
  ("selector", "jsonld", "meta", "time", "layout", "trafilatura").

At ``spider_closed`` :class:`QualityMonitor` judges three signals against settings:

- coverage of title, date, byline and ≥1 paragraph among article pages (``ARSHIF_QUALITY_MIN_COVERAGE``,
  a share, or a ``{"byline": 0.5, ...}`` dict to set fields apart);
- the share of article-URL pages that yielded no article (``ARSHIF_QUALITY_MAX_NO_ARTICLE_SHARE``);
- for a site that declares CSS selectors, the share of found fields its selectors delivered
  (``ARSHIF_QUALITY_MIN_SELECTOR_SHARE``). The fallbacks may survive a redesign with every field still
  found; this is what notices that the site's own markup is gone.

Runs with fewer than ``ARSHIF_QUALITY_MIN_PAGES`` pages are not judged (an hourly run may see three new
articles). The verdict goes to stats ``arshif/quality/status`` ("ok" | "alarm" | "unjudged") and
``arshif/quality/reason``, one log line, and ``crawl_runs.alarm_reason``; ``pipelines.owner.ArchiveOwner``
(listed after this extension) makes "alarm" the run's status, and the crawl command exits with code 5.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

logger = logging.getLogger(__name__)

PREFIX = "arshif/"
PAGES_ARTICLE = "arshif/pages/article"
PAGES_NO_ARTICLE = "arshif/pages/no_article"
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
    "ARSHIF_QUALITY_MIN_SELECTOR_SHARE": 0.5,
}


def field_key(record_key: str, what: str) -> str:
    return f"{PREFIX}field/{record_key}/{what}"


def record_extraction(stats: Any, extraction: Any) -> None:
    """Count one parsed article-URL page: an ``Extraction`` (record + sources), a bare record, or None."""
    record, sources = _unpack(extraction)
    if record is None:
        stats.inc_value(PAGES_NO_ARTICLE)
        return
    stats.inc_value(PAGES_ARTICLE)
    for key, value in record.items():
        if _present(value):
            stats.inc_value(field_key(key, "found"))
    for key, stage in (sources or {}).items():
        if stage:
            stats.inc_value(field_key(_record_key(key), str(stage)))


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
    min_selector_share: float = DEFAULTS["ARSHIF_QUALITY_MIN_SELECTOR_SHARE"]

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
            min_selector_share=settings.getfloat(
                "ARSHIF_QUALITY_MIN_SELECTOR_SHARE", DEFAULTS["ARSHIF_QUALITY_MIN_SELECTOR_SHARE"]
            ),
        )


@dataclass(frozen=True)
class QualityReport:
    status: str
    reasons: tuple[str, ...]
    article_pages: int
    no_article_pages: int
    coverage: Mapping[str, float]
    selector_share: Mapping[str, float]

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
        if self.selector_share:
            head += "; selectors " + ", ".join(f"{k} {_pct(v)}" for k, v in self.selector_share.items())
        if self.alarm:
            return f"QUALITY ALARM ({self.reason}) — {head}"
        return f"quality ok — {head}"


def assess(
    stats: Mapping[str, Any], thresholds: Thresholds, selector_fields: tuple[str, ...] = ()
) -> QualityReport:
    """Judge a run from its stats. ``selector_fields``: record keys the site declares selectors for."""
    articles = int(stats.get(PAGES_ARTICLE, 0))
    no_article = int(stats.get(PAGES_NO_ARTICLE, 0))
    pages = articles + no_article
    if pages < thresholds.min_pages:
        return QualityReport(
            STATUS_UNJUDGED, (f"{pages} article-URL pages < {thresholds.min_pages}",), articles, no_article, {}, {}
        )

    reasons: list[str] = []
    no_article_share = no_article / pages
    if no_article_share > thresholds.max_no_article_share:
        reasons.append(
            f"{_pct(no_article_share)} of article pages yielded no article (max {_pct(thresholds.max_no_article_share)})"
        )

    coverage = {
        name: (int(stats.get(field_key(key, "found"), 0)) / articles if articles else 0.0)
        for name, key in MONITORED_FIELDS.items()
    }
    if articles:
        for name, share in coverage.items():
            minimum = thresholds.min_coverage.get(name, 0.0)
            if share < minimum:
                reasons.append(f"{name} found on {_pct(share)} of articles (min {_pct(minimum)})")

    selector_share: dict[str, float] = {}
    for key in selector_fields:
        found = int(stats.get(field_key(key, "found"), 0))
        if found:
            selector_share[key] = int(stats.get(field_key(key, "selector"), 0)) / found
    weak = {k: v for k, v in selector_share.items() if v < thresholds.min_selector_share}
    if weak:
        listed = ", ".join(f"{k} {_pct(v)}" for k, v in weak.items())
        reasons.append(
            f"site selectors matched only {listed} of found fields (min {_pct(thresholds.min_selector_share)}): "
            "layout changed?"
        )

    status = STATUS_ALARM if reasons else STATUS_OK
    return QualityReport(status, tuple(reasons), articles, no_article, coverage, selector_share)


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
        self.report = assess(stats.get_stats(), self.thresholds, selector_fields(spider, self.crawler.settings))
        stats.set_value(QUALITY_STATUS, self.report.status)
        if self.report.reasons:
            stats.set_value(QUALITY_REASON, self.report.reason)
        log = logger.error if self.report.alarm else logger.info
        log(self.report.summary())
        # The run's row gets the status and reason from the archive's owner (pipelines.owner.ArchiveOwner),
        # which runs after this one (it reads QUALITY_STATUS and QUALITY_REASON).


def selector_fields(spider: Any, settings: Any) -> tuple[str, ...]:
    """Record keys with site selectors: setting ARSHIF_QUALITY_SELECTOR_FIELDS, else ``spider.site``."""
    configured = settings.getlist("ARSHIF_QUALITY_SELECTOR_FIELDS")
    if configured:
        return tuple(configured)
    site = getattr(spider, "site", None)
    selectors = getattr(site, "selectors", None) or {}
    return tuple(_record_key(key) for key in selectors)
