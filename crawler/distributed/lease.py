"""One writer per queue: the writer's lease on ``arshif:<site>:writer``, a Redis key with an expiry.

``arshif store`` takes the archive's lock (one writer per archive file), but two writers against the
same queue with different ``--db`` files would split the workers' items between two archives. So the
writer also holds a lease in Redis: it is taken with ``SET NX EX`` and renewed every ``TTL / 3`` seconds
by a thread of the writer process while that process lives. A second writer finds the lease held and
stops at once with exit code 6 (``LockedError``, as for the archive's lock), naming the holder and how
long the lease has left. A killed writer renews nothing: its lease expires ``TTL`` seconds later and a
new writer starts then. A writer restarted on the same host for the same archive takes over at once
(holding the archive's lock, it knows the old one is dead).

    lease = WriterLease(client, Keys("alhadath").writer, "host pid 123 /data/archive.db", url=url)
    lease.acquire(same_writer=lambda holder: ...)   # LockedError if another live writer holds it
    ... lease.lost → True once another writer holds the key (the loop stops) ...
    lease.release()

Renewal is compare-and-set (``RENEW``): a writer never extends or overwrites another writer's lease. If
Redis lost the key (restarted without AOF) the lease is simply set again; if another writer holds it
(this one was cut off from Redis longer than ``TTL``), ``lost`` becomes true and the writer stops.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import redis

from crawler.distributed.connection import UNAVAILABLE, Backoff, retrying
from crawler.errors import LockedError

logger = logging.getLogger(__name__)

TTL = 15  # seconds a writer's lease outlives its last renewal

# KEYS[1]: the lease; ARGV[1]: this writer's name; ARGV[2]: TTL in s. 1: renewed (or set again), 0: held by another.
RENEW = """
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[2]))
  return 1
end
return 0
"""
# KEYS[1]: the lease; ARGV[1]: this writer's name. Deletes the lease only if it is still this writer's.
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class WriterLease:
    def __init__(self, client: redis.Redis, key: str, name: str, *, url: str, ttl: int = TTL) -> None:
        self.client, self.key, self.name, self.url, self.ttl = client, key, name, url, ttl
        self._renew = client.register_script(RENEW)
        self._release = client.register_script(RELEASE)
        self.lost = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self, same_writer: Callable[[str], bool] = lambda holder: False) -> None:
        """Take the lease, or raise ``LockedError`` naming the live writer that holds it.

        ``same_writer(holder)``: true when the holder is known dead (this host, this archive: we hold
        the archive's lock now), so its lease is taken over without waiting for it to expire."""
        taken = retrying(lambda: self.client.set(self.key, self.name, nx=True, ex=self.ttl),
                         what="taking the writer's lease", url=self.url)
        if not taken:
            holder = (retrying(lambda: self.client.get(self.key), what="reading the writer's lease",
                               url=self.url) or b"").decode()
            if holder and not same_writer(holder):
                left = retrying(lambda: self.client.ttl(self.key), what="reading the writer's lease", url=self.url)
                raise LockedError(
                    f"another `arshif store` writes this queue ({self.key}): {holder}. One writer per queue:"
                    f" stop that one first (a killed writer's lease expires {max(0, left)}s from now,"
                    f" at most {self.ttl}s after it died)")
            retrying(lambda: self.client.set(self.key, self.name, ex=self.ttl), what="taking the writer's lease",
                     url=self.url)
            if holder:
                logger.warning("taking over the writer's lease of a stopped writer on this host: %s", holder)
        self.keep()

    def keep(self) -> None:
        """Start renewing the lease (``acquire`` does; once is enough)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._keep, name="arshif-writer-lease", daemon=True)
            self._thread.start()

    def holds(self) -> bool:
        """Whether Redis holds this writer's name as the lease now: one try, False if Redis does not answer
        (e.g. an ``acquire`` cut short by a signal, which may or may not have set the key)."""
        try:
            return (self.client.get(self.key) or b"").decode() == self.name
        except Exception:
            return False

    def renew(self) -> bool:
        """Extend the lease; False (and ``lost``) once another writer holds it."""
        if not int(self._renew(keys=[self.key], args=[self.name, self.ttl])):
            if not self.lost:
                holder = (self.client.get(self.key) or b"").decode()
                logger.error("the writer's lease %s is held by another writer now (%s): stopping", self.key, holder)
            self.lost = True
        return not self.lost

    def _keep(self) -> None:
        backoff = Backoff(self.url)
        while not self._stop.wait(self.ttl / 3 if not backoff.delay else min(backoff.delay, self.ttl / 3)):
            try:
                if not self.renew():
                    return
                backoff.succeeded()
            except UNAVAILABLE as exc:
                backoff.failed(exc, "renewing the writer's lease")

    def release(self, *, wait: bool = True) -> None:
        """Give the lease back; ``wait=False`` (Redis down or hung, the writer leaving at once): stop
        renewing and let it expire after ``TTL`` instead of waiting for Redis to answer a release."""
        self._stop.set()
        if not wait:
            return
        if self._thread is not None:
            self._thread.join(5)
        if self.lost:
            return
        try:
            self._release(keys=[self.key], args=[self.name])
        except Exception:  # Redis gone: the lease expires by itself
            pass
