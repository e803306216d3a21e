"""Retries that honour ``Retry-After`` (429 Too Many Requests, 503 Service Unavailable).

Scrapy's RetryMiddleware retries at once; a server that says "come back in 30 seconds" deserves to be
listened to. This waits the announced delay (capped by ``RETRY_AFTER_MAX``) before the retry — only that
request waits, the crawl goes on. When the retries run out the response goes on to the spider's errback,
which records the failure.
"""

from __future__ import annotations

import asyncio
from email.utils import parsedate_to_datetime
from datetime import datetime, timezone

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.utils.response import response_status_message


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """``Retry-After: 120`` or ``Retry-After: Wed, 21 Oct 2026 07:28:00 GMT`` → seconds to wait."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


class RetryAfterMiddleware(RetryMiddleware):
    def __init__(self, settings) -> None:
        super().__init__(settings)
        self.max_delay = settings.getfloat("RETRY_AFTER_MAX", 120.0)

    async def process_response(self, request, response, spider=None):
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        delay = retry_after_seconds(response.headers.get(b"Retry-After"))
        if delay:
            self.crawler.stats.inc_value("arshif/retry_after_waits")
            await asyncio.sleep(min(delay, self.max_delay))
        return retry
