"""The layout alarm for runs of any size: is this run's share of unreadable article pages news, given the site's
history? Scrapy-free (``crawler.monitor`` calls it at the end of a run; ``bench/bench_alarms.py`` simulates it).

Three kinds of article-URL page hold no article, and only one is the layout's fault:

- ``not_found``: the page says so ("الصفحة غير موجودة" / "page not found" in its title or a heading): a soft-404,
  an id that never existed — a gap-filling backfill may see nothing else;
- ``known_miss``: an id the archive had already recorded as a miss, asked again (``--retry-misses``);
- ``unreadable``: any other 200 page at an article URL without an article — what a changed layout gives.

(An HTTP 404/410 is not a parsed page at all: it never reaches the monitor.)

The rule (``judge``), for the unreadable share:

1. Evidence: this run's article-URL pages, plus — when this run has unreadable pages — the pages of the
   consecutive earlier runs that yielded no article at all and had unreadable pages (a streak of bad runs;
   runs that fetched no article page neither break nor extend it). An hourly crawl fetches 2–5 article
   pages: a break that gives one unreadable page an hour adds up over two or three runs.
2. Baseline: the site's normal unreadable rate, from the runs before the evidence that ended "ok" (up to
   ``history_pages`` article pages), smoothed toward a prior (``prior_rate``, weight ``prior_pages``):
   ``p0 = (unreadable + prior_rate * prior_pages) / (pages + prior_pages)``. With 500 healthy pages and none
   unreadable, p0 ≈ 0.002; with no history at all, p0 = ``prior_rate`` (0.05).
3. Alarm when the evidence's unreadable share exceeds ``max_share`` (0.3) and either the evidence holds at
   least ``min_pages`` (10) pages, or seeing that many unreadable pages at rate p0 is improbable:
   ``P(X ≥ U | Binomial(P, p0)) < alpha`` (1e-3).

So after healthy history, 2 unreadable of 2 (p ≈ 4e-6) alarms at once, 1 of 1 waits for the next run with an
article page; a first-ever run with no history alarms on 3 of 3 unreadable (1.3e-4) but not on 2 of 2 (2.5e-3).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# The keys of a run's Scrapy stats (shared with crawler.monitor, which counts them).
PAGES_ARTICLE = "arshif/pages/article"
PAGES_NO_ARTICLE = "arshif/pages/no_article"  # all three kinds
PAGES_NOT_FOUND = "arshif/pages/no_article/not_found"
PAGES_KNOWN_MISS = "arshif/pages/no_article/known_miss"

NOT_FOUND = "not_found"
KNOWN_MISS = "known_miss"
UNREADABLE = "unreadable"

# "Page not found" as a page's title or a heading says it. Folded forms (ة→ه) and English; the same
# words the extractor's soft-404 test reads (crawler.extract.layout.NOT_FOUND), searched in the raw page.
_NOT_FOUND_TEXT = re.compile(r"الصفح[ةه] (?:المطلوب[ةه] )?غير موجود[ةه]|page not found", re.IGNORECASE)
_TITLE_OR_HEADING = re.compile(r"<(title|h[1-3])\b[^>]*>(.*?)</\1\s*>", re.IGNORECASE | re.DOTALL)


def declares_not_found(text: str) -> bool:
    """True when the page's <title> or an <h1>–<h3> says "page not found" (a soft-404, not a layout change)."""
    return any(_NOT_FOUND_TEXT.search(inner) for _, inner in _TITLE_OR_HEADING.findall(text))


def no_article_kind(body: bytes, encoding: str | None = None, *, known_miss: bool = False) -> str:
    """Why a 200 page at an article URL gave no article: ``known_miss``, ``not_found`` or ``unreadable``."""
    if known_miss:
        return KNOWN_MISS
    from crawler.extract.decode import decode  # the page's own charset rules

    text, _ = decode(body, encoding)
    return NOT_FOUND if declares_not_found(text) else UNREADABLE


@dataclass(frozen=True)
class PageCounts:
    """A run's article-URL pages: ``articles`` yielded an article, ``unreadable`` did not (layout's fault)."""

    articles: int = 0
    unreadable: int = 0

    @property
    def pages(self) -> int:
        return self.articles + self.unreadable

    def __add__(self, other: "PageCounts") -> "PageCounts":
        return PageCounts(self.articles + other.articles, self.unreadable + other.unreadable)

    @classmethod
    def from_stats(cls, stats: Mapping[str, Any]) -> "PageCounts":
        """From a run's stats; runs recorded before the kinds were counted have every no-article unreadable."""
        def get(key: str) -> int:
            return int(stats.get(key, 0) or 0)

        excused = get(PAGES_NOT_FOUND) + get(PAGES_KNOWN_MISS)
        return cls(get(PAGES_ARTICLE), max(0, get(PAGES_NO_ARTICLE) - excused))


@dataclass(frozen=True)
class PastRun:
    counts: PageCounts
    ok: bool  # ended "ok" (alarmed runs make no baseline)


@dataclass(frozen=True)
class Rule:
    max_share: float = 0.3
    min_pages: int = 10
    alpha: float = 1e-3
    history_pages: int = 500
    prior_rate: float = 0.05
    prior_pages: int = 20


@dataclass(frozen=True)
class Verdict:
    alarm: bool
    evidence: PageCounts  # this run and its streak of bad runs
    runs: int  # how many runs the evidence spans
    baseline_rate: float  # p0
    surprise: float  # P(X >= unreadable | Binomial(pages, p0))
    history_pages: int  # article pages the baseline was read from
    max_share: float = Rule.max_share

    def reason(self) -> str:
        e = self.evidence
        where = "this run" if self.runs == 1 else f"the last {self.runs} runs"
        share = e.unreadable / e.pages if e.pages else 0.0
        return (f"{e.unreadable} of {e.pages} article pages ({share:.0%}) in {where} yielded no article"
                f" (max {self.max_share:.0%}; the site's usual rate {self.baseline_rate:.1%} over"
                f" {self.history_pages} pages, p={self.surprise:.1e})")


def binomial_tail(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p)."""
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    return min(1.0, sum(math.comb(n, i) * p ** i * (1 - p) ** (n - i) for i in range(k, n + 1)))


def judge(current: PageCounts, previous: Iterable[PastRun], rule: Rule = Rule()) -> Verdict:
    """The unreadable-page verdict for a run; ``previous``: earlier runs of the site, newest first."""
    previous = list(previous)
    evidence, runs, rest = current, 1, previous
    if current.unreadable:
        for index, run in enumerate(previous):
            if run.counts.pages == 0:
                continue
            if run.counts.articles == 0 and run.counts.unreadable > 0:
                evidence, runs = evidence + run.counts, runs + 1
                continue
            rest = previous[index:]
            break
        else:
            rest = []
    history = PageCounts()
    for run in rest:
        if history.pages >= rule.history_pages:
            break
        if run.ok:
            history = history + run.counts
    p0 = (history.unreadable + rule.prior_rate * rule.prior_pages) / (history.pages + rule.prior_pages)
    surprise = binomial_tail(evidence.unreadable, evidence.pages, p0)
    share = evidence.unreadable / evidence.pages if evidence.pages else 0.0
    alarm = share > rule.max_share and (evidence.pages >= rule.min_pages or surprise < rule.alpha)
    return Verdict(alarm, evidence, runs, p0, surprise, history.pages, rule.max_share)
