"""A callback runs to its end before anything it yielded is processed.

Scrapy hands a callback's output to ``CONCURRENT_ITEMS`` asyncio tasks and starts that many for every
response, whatever it yields: at the default 100 that is ~0.7 ms of CPU per response, a fifth of a bare
spider's. Our pipelines are synchronous, so those tasks buy nothing, and ``crawler/settings.py`` sets
CONCURRENT_ITEMS to 1. But the queue between the callback and the tasks holds ``2 × CONCURRENT_ITEMS``
outputs: at 1, a callback that yields a third output waits until the first two went through the
pipelines, and other responses' callbacks run in between. The spider's bookkeeping (ids asked for, pages
waiting on their articles under --since, --until probes) counts on a callback finishing first — as it
did at 100 for every callback that yields up to 200 outputs. This middleware drains the output before
Scrapy sees it, so every callback runs whole.

An exception in the middle of a callback stays where it was: what came before it is processed, then the
exception goes to Scrapy's error handling, as without this middleware.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any


class WholeCallbackMiddleware:
    """Spider middleware, outermost (``SPIDER_MIDDLEWARES``: 1): outputs leave once the callback ended."""

    async def process_spider_output(self, response: Any, result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        done: list[Any] = []
        try:
            async for output in result:
                done.append(output)
        except Exception:
            # What came before the exception is processed, then the exception goes on to Scrapy's error
            # handling (the same object: one no middleware handled is not offered to them twice).
            for output in done:
                yield output
            raise
        for output in done:
            yield output
