"""Politeness per site, not per worker: one token bucket in Redis that every worker draws from.

Four workers at "one request a second" must not become four requests a second on the site. Before each
request a worker reserves the next free slot of the site's bucket (``RESERVE``, one atomic Lua script on
Redis's own clock, so workers on machines with skewed clocks still agree) and waits until that slot. The
bucket holds at most ``burst`` tokens (default 1: slots exactly ``1/rate`` apart), so any window of
``w`` seconds sees at most ``rate * w + burst`` requests leave all workers together.

A slot reserved by a worker that dies before using it is simply lost: the site sees fewer requests, never
more. Redis unreachable: the request waits (with the usual backoff and log line) rather than going out
unmetered.

The rate: ``ARSHIF_RATE`` (requests/s per site; ``arshif worker --rate``). Default: the polite 1 request a
second (``DOWNLOAD_DELAY``) for a real site; off for a loopback base URL (our mirror) unless a rate is
given, as politeness is everywhere else.
"""

from __future__ import annotations

import asyncio
import logging

import redis

from crawler.distributed.connection import UNAVAILABLE, Backoff

logger = logging.getLogger(__name__)

# KEYS[1]: the bucket (a hash: "tat" = theoretical arrival time of the next request, in µs on Redis's clock)
# ARGV[1]: µs between two requests (1e6 / rate); ARGV[2]: burst (tokens the bucket holds when full)
# Returns the µs to wait before sending (0: at once). The generic cell rate algorithm, i.e. a token
# bucket kept as one timestamp: each reservation moves the timestamp one interval on.
RESERVE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000000 + tonumber(now_parts[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('HGET', KEYS[1], 'tat') or '0')
if tat < now then tat = now end
local allowed_at = tat - (burst - 1) * interval
local wait = allowed_at - now
if wait < 0 then wait = 0 end
redis.call('HSET', KEYS[1], 'tat', string.format('%d', tat + interval))
redis.call('PEXPIRE', KEYS[1], math.floor((tat + interval - now) / 1000) + 60000)
return wait
"""


class TokenBucket:
    """``TokenBucket(client, key, rate=5).reserve()`` → seconds to wait before the next request."""

    def __init__(self, client: redis.Redis, key: str, rate: float, burst: int = 1) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, got {rate}")
        self.key, self.rate, self.burst = key, float(rate), max(1, int(burst))
        self.interval_us = int(round(1_000_000 / self.rate))
        self._script = client.register_script(RESERVE)

    def reserve(self) -> float:
        return int(self._script(keys=[self.key], args=[self.interval_us, self.burst])) / 1_000_000


def default_rate(settings) -> float:
    """``ARSHIF_RATE`` if given; else the polite one request per ``DOWNLOAD_DELAY`` (0, i.e. off, once the
    spider switched politeness off for a loopback base URL)."""
    rate = settings.get("ARSHIF_RATE")
    if rate not in (None, ""):
        return float(rate)
    delay = settings.getfloat("DOWNLOAD_DELAY", 0.0)
    return 1.0 / delay if delay > 0 else 0.0


class SharedRateLimit:
    """Downloader middleware: every request waits for its slot in the site's shared bucket.

    Built only in worker processes (``crawler.distributed.worker``), with ``ARSHIF_RATE`` > 0.
    """

    def __init__(self, bucket: TokenBucket, url: str) -> None:
        self.bucket = bucket
        self.backoff = Backoff(url)

    @classmethod
    def from_crawler(cls, crawler):
        from scrapy.exceptions import NotConfigured

        from crawler.distributed.connection import connect
        from crawler.distributed.keys import Keys

        settings = crawler.settings
        url = settings.get("ARSHIF_REDIS_URL")
        rate = default_rate(settings)
        if rate <= 0 or not url:
            logger.info("shared rate limit: off (politeness off, no --rate)")
            raise NotConfigured
        site = settings.get("ARSHIF_SITE")
        bucket = TokenBucket(connect(url, socket_timeout=10.0), Keys(site).rate, rate,
                             settings.getint("ARSHIF_RATE_BURST", 1))
        logger.info("shared rate limit for %s: %.2f requests/s across all workers", site, rate)
        return cls(bucket, url)

    async def process_request(self, request, spider=None):
        while True:
            try:
                wait = self.bucket.reserve()
            except UNAVAILABLE as exc:
                await asyncio.sleep(self.backoff.failed(exc, "taking a request slot"))
                continue
            self.backoff.succeeded()
            break
        if wait > 0:
            await asyncio.sleep(wait)
        return None
