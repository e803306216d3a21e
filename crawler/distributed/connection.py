"""Connecting to Redis, and waiting for it when it is gone.

Every process of the distributed mode (worker, writer, seeder) outlives a Redis restart: a call that
fails because Redis is unreachable, restarting or still loading its AOF is retried after a growing delay
(0.5 s doubling to 30 s) with one clear log line per attempt, never a crash loop, never a lost item.

    client = connect("redis://127.0.0.1:6379/0")
    retrying(lambda: client.lpush(key, value), what="sending an item", url=url)   # blocking callers
    backoff = Backoff(); ... backoff.failed(exc, "taking a request") → seconds to wait   # event-loop callers
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

import redis

from crawler.errors import UsageError

logger = logging.getLogger("arshif.redis")

T = TypeVar("T")

# What "Redis is not there right now" looks like (BusyLoadingError: restarted, still reading its AOF).
UNAVAILABLE = (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError)
FIRST_DELAY = 0.5
MAX_DELAY = 30.0


def check_url(url: str) -> str:
    parts = urlsplit(url or "")
    if parts.scheme not in ("redis", "rediss", "unix") or not (parts.hostname or parts.path):
        raise UsageError(f"bad --redis URL {url!r}: use e.g. redis://127.0.0.1:6379/0")
    return url


def display_url(url: str) -> str:
    """The URL without its password, for log lines."""
    parts = urlsplit(url)
    if parts.password:
        netloc = f"{parts.username or ''}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def connect(url: str, *, socket_timeout: float = 30.0) -> redis.Redis:
    """A client for ``url`` (bytes in, bytes out). Connecting is lazy: nothing fails here if Redis is down.

    redis-py's own retries (several, with jittered sleeps of up to 10 s) are replaced by one immediate
    retry — enough for a pooled connection a Redis restart closed — because a worker calls Redis from
    Scrapy's event loop, which must not sleep: the waiting is ``Backoff``'s, between calls.
    """
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return redis.Redis.from_url(check_url(url), socket_connect_timeout=5.0, socket_timeout=socket_timeout,
                                health_check_interval=15, retry=Retry(NoBackoff(), 1))


class Backoff:
    """The delay before the next attempt: 0.5 s, 1 s, 2 s … 30 s; back to the start after a success."""

    def __init__(self, url: str, first: float = FIRST_DELAY, cap: float = MAX_DELAY) -> None:
        self.url, self.first, self.cap = display_url(url), first, cap
        self.delay = 0.0
        self.down_since: float | None = None
        self.next_attempt = 0.0  # time.monotonic() before which callers should not try again

    @property
    def waiting(self) -> bool:
        return time.monotonic() < self.next_attempt

    def failed(self, exc: BaseException, what: str) -> float:
        now = time.monotonic()
        if self.down_since is None:
            self.down_since = now
        self.delay = self.first if self.delay == 0 else min(self.cap, self.delay * 2)
        self.next_attempt = now + self.delay
        logger.warning("redis %s unreachable while %s (%s: %s); retrying in %.1fs (down %.0fs)", self.url, what,
                       type(exc).__name__, str(exc)[:120] or "-", self.delay, now - self.down_since)
        return self.delay

    def succeeded(self) -> None:
        if self.down_since is not None:
            logger.warning("redis %s is back after %.1fs", self.url, time.monotonic() - self.down_since)
        self.delay, self.down_since, self.next_attempt = 0.0, None, 0.0


def retrying(call: Callable[[], T], *, what: str, url: str, backoff: Backoff | None = None,
             sleep: Callable[[float], None] = time.sleep, give_up_after: float | None = None) -> T:
    """``call()`` until Redis answers (for processes that may block: the writer, the seeder); with
    ``give_up_after`` seconds, the last error is raised once they have passed."""
    backoff = backoff or Backoff(url)
    deadline = None if give_up_after is None else time.monotonic() + give_up_after
    while True:
        try:
            result = call()
        except UNAVAILABLE as exc:
            if deadline is not None and time.monotonic() >= deadline:
                raise
            sleep(backoff.failed(exc, what))
            continue
        backoff.succeeded()
        return result
