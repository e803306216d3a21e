"""Progress of a long run: a live status line on a terminal, plain periodic log lines elsewhere.

    1,204 pages · 1,050 new · 31 aliases · 98 misses · 2 failures · 9.8 pages/s · 4,210/5,001 ids · ETA 1m21s

It only reads Scrapy stats: the keys the pipelines set (``COUNTERS``). They count what the run's summary and
``crawl_runs`` row count: "new" is articles first stored by this run and still articles (one the run stored
and then demoted to an alias of an older copy counts as an alias only).
An id-range backfill sets ``arshif/ids/total`` (ids it will ask for) and, per id settled,
``arshif/ids/done``; without the latter, new + aliases + misses + failures stand in for it.

Settings: ``ARSHIF_PROGRESS`` = "auto" (live line if stderr is a terminal, else log lines) | "tty" |
"log" | "off"; ``ARSHIF_PROGRESS_INTERVAL`` seconds between log lines (default 30; the live line
refreshes every second).
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Mapping
from typing import Any, TextIO

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call

from crawler.statkeys import ALIASES, FAILURES, MISSES, STORED

logger = logging.getLogger(__name__)

ERASE_LINE = "\r\x1b[K"  # back to the line's start, erase it
IDS_TOTAL = "arshif/ids/total"
IDS_DONE = "arshif/ids/done"

# label → the stat key that holds it (Scrapy's pages; the pipelines' own counters).
COUNTERS: dict[str, str] = {
    "pages": "response_received_count",
    "new": STORED,
    "aliases": ALIASES,
    "misses": MISSES,
    "failures": FAILURES,
}
_SETTLED = ("new", "aliases", "misses", "failures")


def set_id_total(stats: Any, total: int) -> None:
    """A backfill announces how many ids it will ask for (enables the ETA)."""
    stats.set_value(IDS_TOTAL, total)


def counters(stats: Mapping[str, Any]) -> dict[str, int]:
    return {label: int(stats.get(key, 0) or 0) for label, key in COUNTERS.items()}


def progress_line(stats: Mapping[str, Any], elapsed: float) -> str:
    counts = counters(stats)
    parts = [f"{counts['pages']:,} pages", f"{counts['new']:,} new"]
    parts += [f"{counts[label]:,} {label}" for label in ("aliases", "misses", "failures")]
    rate = counts["pages"] / elapsed if elapsed > 0 else 0.0
    parts.append(f"{rate:.1f} pages/s")
    total = int(stats.get(IDS_TOTAL, 0) or 0)
    if total:
        done = int(stats.get(IDS_DONE, 0) or 0) or sum(counts[label] for label in _SETTLED)
        done = min(done, total)
        parts.append(f"{done:,}/{total:,} ids")
        id_rate = done / elapsed if elapsed > 0 else 0.0
        parts.append(f"ETA {format_duration((total - done) / id_rate)}" if id_rate > 0 else "ETA ?")
    return " · ".join(parts)


def format_duration(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


class ProgressDisplay:
    """Scrapy extension: the live line (terminal) or a log line every interval (cron, files)."""

    def __init__(self, stats: Any, live: bool, interval: float, stream: TextIO | None = None) -> None:
        self.stats = stats
        self.live = live
        self.interval = interval
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self.task: Any = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> "ProgressDisplay":
        mode = crawler.settings.get("ARSHIF_PROGRESS", "auto")
        if mode == "off":
            raise NotConfigured
        live = mode == "tty" or (mode == "auto" and sys.stderr.isatty())
        interval = 1.0 if live else crawler.settings.getfloat("ARSHIF_PROGRESS_INTERVAL", 30.0)
        display = cls(crawler.stats, live, interval)
        crawler.signals.connect(display.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(display.spider_closed, signal=signals.spider_closed)
        return display

    def spider_opened(self, spider: Any) -> None:
        self.started = time.monotonic()
        if self.live:
            self.share_terminal_with_log()
        self.task = create_looping_call(self.tick)
        self.task.start(self.interval, now=False)

    def tick(self) -> None:
        self._show("progress")

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()
        self._show("finished", end="\n")
        for handler in logging.getLogger().handlers:
            handler.removeFilter(self._erase_before_log)

    def _show(self, label: str, end: str = "") -> None:
        line = progress_line(self.stats.get_stats(), time.monotonic() - self.started)
        if self.live:
            self.stream.write(f"{ERASE_LINE}{line}{end}")
            self.stream.flush()
        else:
            logger.info("%s: %s", label, line)

    def share_terminal_with_log(self) -> None:
        """A log line printed to our terminal first erases the live line (redrawn at the next tick)."""
        for handler in logging.getLogger().handlers:
            if getattr(handler, "stream", None) is self.stream:
                handler.addFilter(self._erase_before_log)

    def _erase_before_log(self, record: logging.LogRecord) -> bool:
        self.stream.write(ERASE_LINE)
        return True
