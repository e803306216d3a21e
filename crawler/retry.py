"""Retries that honour ``Retry-After`` (429 Too Many Requests, 503 Service Unavailable) without stalling.

Scrapy's RetryMiddleware retries at once (scrapy/scrapy#3849); a server that says "come back in 30
seconds" deserves to be listened to. Waiting inside the downloader (``await asyncio.sleep``) keeps the
request in the downloader's active set: 16 sleeping 429s would stall a crawl of CONCURRENT_REQUESTS=16.
So the retry (built by Scrapy's public ``get_retry_request``, which counts attempts) is handed back to the
engine after the announced delay (capped by ``RETRY_AFTER_MAX``), and the original request ends quietly
(``RetryScheduled``, its errback detached: the retry carries it). While retries wait, the spider is kept
open. When the retries run out the response goes on to the spider's errback, which records the failure.
Requests the engine downloads directly (robots.txt: no callback) are retried at once, never delayed.
"""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from scrapy import signals
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.response import response_status_message

RETRY_AFTER_WAITS = "arshif/retry_after_waits"


class RetryScheduled(IgnoreRequest):
    """This request ends here: its retry is scheduled for later (never reaches an errback)."""


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
        self.waiting: set = set()  # delayed calls of retries not yet handed back

    @classmethod
    def from_crawler(cls, crawler):
        middleware = super().from_crawler(crawler)
        crawler.signals.connect(middleware.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def process_response(self, request, response, spider=None):
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        delay = retry_after_seconds(response.headers.get(b"Retry-After"))
        if not delay or request.callback is NO_CALLBACK:
            return retry
        self.crawler.stats.inc_value(RETRY_AFTER_WAITS)
        self._enqueue_later(retry, min(delay, self.max_delay))
        request.errback = None  # the retry carries the errback; this attempt ends without a word
        raise RetryScheduled(f"retry of {request.url} in {min(delay, self.max_delay):.0f}s (Retry-After)")

    def _enqueue_later(self, retry, delay: float) -> None:
        from twisted.internet import reactor

        def enqueue() -> None:
            self.waiting.discard(call)
            self.crawler.engine.crawl(retry)

        call = reactor.callLater(delay, enqueue)
        self.waiting.add(call)

    def spider_idle(self, spider) -> None:
        if self.waiting:
            raise DontCloseSpider

    def spider_closed(self, spider) -> None:
        for call in list(self.waiting):
            if call.active():
                call.cancel()
        self.waiting.clear()
