"""The crawl's Scrapy stats collector: Scrapy's ``MemoryStatsCollector`` without its per-access wrapper.

Scrapy 2.13+ routes every attribute read of a stats collector through a Python ``__getattribute__`` that wraps
the public methods in a check for the deprecated ``spider=`` argument, and pays a raised ``AttributeError`` for
every other attribute (``self._stats`` inside ``inc_value`` included): ~1.7 µs a call where the dict update
is 0.1 µs. A crawl makes ~15,000 such calls per 1,000 articles (the downloader's, the scheduler's, the
pipelines' outcome counts): in a py-spy profile of a 1,000-article crawl the wrapper was 2.3 % of the
process's busy samples (bench/results.md, crawl4). Same stats, same methods, same ``spider_stats`` at close;
only the deprecation warning for a ``spider=`` argument is gone (no caller here passes one).
"""

from __future__ import annotations

from scrapy.statscollectors import MemoryStatsCollector


class PlainStatsCollector(MemoryStatsCollector):
    """``MemoryStatsCollector`` with plain attribute access (``STATS_CLASS``)."""

    __getattribute__ = object.__getattribute__
