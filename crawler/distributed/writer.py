"""``arshif store``: the one process that writes the SQLite archive in the distributed mode.

    with ArchiveLock(db):                       # exactly one writer per archive file (exit code 6 if taken)
        result = run_store(StoreOptions(site="alhadath", redis_url=url, db_path=db))

Reliable hand-over from Redis (the "reliable queue" pattern): items are moved, never popped —
``LMOVE``/``BLMOVE`` from ``items`` into ``items:processing`` — and the processing list is emptied only
after the SQLite commit that holds them. A writer killed at any point leaves its batch in processing;
the next writer applies it again before anything else (``recover``). Every write is idempotent by
(site, id) — an article stored again is "unchanged", an alias or a miss is an upsert — so applying twice
is harmless, while applying never would lose the item.

Each item runs through the same code as in one process: the ingest core (``crawler.ingest.Ingest.record``:
dedupe, then store; misses, failures, aliases, walks as they come), new articles' writes held back and made
a hundred at a time (``crawler.ingest.batch``: the same verdicts and rows, all written before the commit). After each commit the writer adds
the batch's ids to the Redis sets the workers read (``crawler.distributed.state``); it rebuilds them
from SQLite at start and whenever Redis comes back without them (restarted without AOF).

An item that cannot be applied (a bug, a malformed message) is logged and kept on ``items:dead``, so
one bad item neither stops the writer nor loops it.
"""

from __future__ import annotations

import contextlib

import json
import logging
import os
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from crawler.distributed.connection import Backoff, connect, display_url, retrying
from crawler.distributed.keys import Keys
from crawler.distributed.lease import TTL as LEASE_TTL
from crawler.distributed.lease import WriterLease
from crawler.distributed.state import load_sets, settle_walks
from crawler.errors import LockedError
from crawler.ingest import Aliased, ArticleItem, Ingest, Missed, WalksRecorded, from_message
from crawler.ingest.batch import Batch, FlushFailed
from crawler.sites import get_site
from crawler.storage import Archive, ArchiveFull, RunCounts

logger = logging.getLogger(__name__)

# Move up to ARGV[1] items from the tail of KEYS[1] to the head of KEYS[2] in one round trip.
TAKE = """
local taken = {}
for i = 1, tonumber(ARGV[1]) do
  local item = redis.call('LMOVE', KEYS[1], KEYS[2], 'RIGHT', 'LEFT')
  if not item then break end
  taken[#taken + 1] = item
end
return taken
"""
APPLIED = "arshif/distributed/items_applied"
DEAD = "arshif/distributed/items_dead"
# Seconds a stopping writer still waits for Redis (to settle its last batch, or to answer at all) before it
# leaves anyway: what it took stays in Redis's processing list and the next writer applies it again. Well
# under the 10 s `docker stop` waits before SIGKILL (systemd: 90 s).
STOP_GRACE = 5.0
# Items whose dedupe lookups are asked at once (crawler.ingest.batch.Batch.prefetch). Any write but a new
# article's (an alias, an update, a miss) makes the rest of them ask again one by one: a window, not the batch.
PREFETCH = 50


class StopNow(KeyboardInterrupt):
    """Leave now: the stop's grace ran out while Redis did not answer, Redis is down, or a second signal
    came. Raised from the signal handler only while the loop waits for Redis (never inside a SQLite write),
    or at the loop's next Redis call; nothing is lost (see the module's reliable hand-over)."""


@dataclass
class StoreOptions:
    site: str = "alhadath"
    redis_url: str = "redis://127.0.0.1:6379/0"
    db_path: str | Path = "arshif.db"
    batch_size: int = 500
    exit_when_idle: float = 0  # seconds with nothing to do before stopping (0: run until stopped)
    progress_interval: float = 10.0


@dataclass
class StoreResult:
    run_id: int
    items: int
    dead: int
    recovered: int
    elapsed: float
    counts: RunCounts
    stats: dict[str, Any] = field(default_factory=dict)


class StoreLoop:
    def __init__(self, options: StoreOptions, archive: Archive, run_id: int) -> None:
        self.options, self.archive, self.run_id = options, archive, run_id
        self.url = options.redis_url
        self.site = get_site(options.site)
        self.keys = Keys(self.site.name)
        self.client = connect(self.url)
        self.backoff = Backoff(self.url)
        self.take = self.client.register_script(TAKE)
        self.ingest = Ingest(archive, self.site, run_id)
        # New articles' writes held back and made together (crawler.ingest.batch), all before the batch's commit.
        self.batch = Batch(self.ingest)
        self.applied = self.dead = 0
        self.stopping = False  # asked to stop: finish the batch in hand, settle it, leave
        self.abort = False  # leave at the next Redis call, settled or not (StopNow)
        self.in_redis = False  # waiting for Redis now: a signal may interrupt the wait (StopNow)
        self.lease: WriterLease | None = None  # run_store's, held for the whole run
        self.redis_run_id: str | None = None
        self.recovered = 0

    def _redis(self, call, what: str):
        """``call()`` on Redis, retried while Redis is away — unless the writer is stopping: then a Redis
        that is down ends the wait at once, and a hung one at the end of ``STOP_GRACE`` (``interrupt``)."""
        if self.abort:
            raise StopNow
        self.in_redis = True
        try:
            return retrying(call, what=what, url=self.url, backoff=self.backoff, sleep=self._wait)
        finally:
            self.in_redis = False

    def _wait(self, seconds: float) -> None:
        if self.stopping:
            raise StopNow  # Redis is down and we are asked to stop: what we took stays in Redis
        time.sleep(seconds)

    def interrupt(self) -> None:
        """From a signal handler: leave now if waiting for Redis, else at the next Redis call."""
        self.abort = True
        if self.in_redis:
            raise StopNow

    # -- start ---------------------------------------------------------------------------------

    def sync_sets(self) -> None:
        """The workers' sets from SQLite, once per Redis server lifetime (its run_id)."""
        server = self._redis(lambda: self.client.info("server"), "reading the server id")
        if server.get("run_id") == self.redis_run_id:
            return
        stored, misses, walks = self._redis(lambda: load_sets(self.client, self.archive, self.site.name),
                                            "loading the stored ids")
        self.redis_run_id = server.get("run_id")
        logger.info("redis sets for the workers: %d stored ids, %d misses, %d complete walks",
                    stored, misses, walks)

    def recover(self) -> int:
        """Apply again what a stopped writer left in processing (it may or may not be committed)."""
        left = self._redis(lambda: self.client.lrange(self.keys.processing, 0, -1), "reading processing")
        if left:
            logger.warning("re-applying %d items a stopped writer left in %s", len(left), self.keys.processing)
            self.apply(list(reversed(left)))  # the list's head is the newest
        self.recovered = len(left)
        return len(left)

    # -- the loop ------------------------------------------------------------------------------

    def take_batch(self, block: float = 1.0) -> list[bytes]:
        size = self.options.batch_size
        batch = self._redis(lambda: self.take(keys=[self.keys.items, self.keys.processing], args=[size]),
                            "taking items")
        if batch:
            return batch
        first = self._redis(lambda: self.client.blmove(self.keys.items, self.keys.processing, block,
                                                       "RIGHT", "LEFT"), "waiting for items")
        if first is None:
            return []
        more = self._redis(lambda: self.take(keys=[self.keys.items, self.keys.processing], args=[size - 1]),
                           "taking items")
        return [first, *more]

    def apply(self, batch: list[bytes]) -> None:
        """Write the batch into SQLite, commit, then tell Redis (sets, dead items, empty processing)."""
        stored, misses, walks, dead = [], [], [], []
        items: list[Any] = []
        for raw in batch:
            try:
                items.append(from_message(json.loads(raw)))
            except Exception as exc:  # noqa: BLE001 - recorded in its turn below, as it always was
                items.append(exc)
        for index, (raw, item) in enumerate(zip(batch, items)):
            if index % PREFETCH == 0:  # dedupe's first lookup for the next items, in one round trip
                self.batch.prefetch([ahead for ahead in items[index : index + PREFETCH]
                                     if not isinstance(ahead, Exception)])
            try:
                if isinstance(item, Exception):
                    raise item
                outcome = self.batch.record(item)
                if isinstance(item, ArticleItem):
                    stored.append(item["article_id"])
                elif isinstance(outcome, Aliased) and outcome.alias_id is not None:
                    stored.append(outcome.alias_id)
                elif isinstance(outcome, Missed):  # a stored id's "miss" is a failed extraction: not one
                    misses.append(outcome.article_id)
                elif isinstance(outcome, WalksRecorded):
                    walks.extend(outcome.categories)
                self.applied += 1
            except (ArchiveFull, FlushFailed):  # the archive's fault, not the item's: the batch stays in processing
                raise
            except Exception:
                logger.exception("could not apply an item (kept on %s): %.300r", self.keys.dead, raw)
                dead.append(raw)
                self.dead += 1
        self.batch.commit()  # the held articles written, then committed: only then is Redis told
        # How far the archive now says those walks reached (to the end, or down to a --since), as recorded.
        reach = {c: down for c, down in self.archive.listing_walk_reach(self.site.name).items() if c in walks} \
            if walks else {}
        changed = self.archive.changed_at(self.site.name, stored) if stored else {}

        def settle():
            pipe = self.client.pipeline(transaction=True)
            for key, members in ((self.keys.stored, stored), (self.keys.misses, misses)):
                if members:
                    pipe.sadd(key, *members)
            if changed:
                pipe.hset(self.keys.changed, mapping=changed)
            settle_walks(pipe, self.keys, reach)
            if dead:
                pipe.lpush(self.keys.dead, *dead)
            pipe.delete(self.keys.processing)
            pipe.execute()

        self._redis(settle, "settling a committed batch")

    def waiting(self) -> int:
        return self._redis(lambda: self.client.llen(self.keys.items), "reading the queue length")

    def run(self) -> None:
        self.sync_sets()
        self.recover()
        started = last_report = last_sync = last_work = time.monotonic()
        reported = 0
        while not self.stopping:
            if self.lease is not None and self.lease.lost:
                raise LockedError(f"another writer took this queue over ({self.keys.writer}): stopped")
            batch = self.take_batch()
            now = time.monotonic()
            if batch:
                self.apply(batch)
                last_work = now
            elif self.options.exit_when_idle and now - last_work >= self.options.exit_when_idle:
                logger.info("store: nothing to write for %.0fs: stopping", self.options.exit_when_idle)
                break
            if now - last_sync >= LEASE_TTL / 3:
                self.sync_sets()  # a no-op unless Redis restarted
                last_sync = now
            if now - last_report >= self.options.progress_interval:
                applied = self.applied
                logger.info("store: %d items written (%.0f/s), %d waiting in redis", applied,
                            (applied - reported) / (now - last_report), self.waiting())
                reported, last_report = applied, now
        logger.info("store: %d items written in %.1fs", self.applied, time.monotonic() - started)


def run_store(options: StoreOptions) -> StoreResult:
    """Write what the workers send into the archive until SIGTERM/SIGINT (or idle, see ``exit_when_idle``).

    The caller holds the archive's lock (``crawler.lock.ArchiveLock``); the queue's lease is taken here
    before anything is written (``LockedError`` if another writer holds it)."""
    started = time.monotonic()
    # A signal once the lease is held stops cleanly: the batch in hand is committed and settled, the lease
    # given back. Redis down, or not answering within STOP_GRACE, or a second signal: it leaves at once,
    # its taken items left in Redis's processing list. Before the lease (e.g. waiting for Redis to answer
    # at start) a signal interrupts at once.
    stop = SimpleNamespace(requested=False, loop=None, leased=False)

    def on_signal(signum, frame):
        if not stop.leased:
            stop.requested = True  # if the lease turns out to be ours already, this is a stop like any other
            raise KeyboardInterrupt
        loop = stop.loop
        if stop.requested:
            logger.warning("store: signal %d again: stopping now (the batch in hand stays in Redis)", signum)
            if loop is not None:
                loop.abort = True
            raise StopNow
        logger.info("store: stopping after the current batch (signal %d)", signum)
        stop.requested = True
        signal.setitimer(signal.ITIMER_REAL, STOP_GRACE)
        if loop is not None:
            loop.stopping = True
            if loop.in_redis and loop.backoff.down_since is not None:
                loop.interrupt()  # Redis is down: nothing to wait for

    def on_grace_over(signum, frame):
        logger.warning("store: Redis did not answer within %.0fs of the stop: leaving (the batch in hand stays"
                       " in Redis for the next writer)", STOP_GRACE)
        if stop.loop is not None:
            stop.loop.interrupt()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    previous[signal.SIGALRM] = signal.signal(signal.SIGALRM, on_grace_over)
    try:
        lease, same_writer = writer_lease(options)
        try:
            lease.acquire(same_writer)
            stop.leased = True
        except KeyboardInterrupt:
            # The signal came while the lease was being taken. Redis may have set it a few bytecodes before
            # the handler ran (e.g. a supervisor that sends SIGTERM as soon as it sees the lease): then the
            # lease is ours and the signal is a clean stop (exit 0, the run recorded as a shutdown), not an
            # abort that leaves the lease to expire. Not ours, or Redis not answering: interrupted at once.
            if not lease.holds():
                raise
            lease.keep()
            stop.leased = True
        aborted = False
        try:
            return _store(options, lease, started, stop)
        except StopNow:
            aborted = True
            raise
        finally:
            # A writer that left without Redis does not wait for it again: its lease expires by itself.
            lease.release(wait=not (aborted or (stop.loop is not None and stop.loop.abort)))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def writer_name(db_path: str | Path) -> str:
    """What the lease holds: "<host> pid <pid> <archive path>" (named in the error a second writer gets)."""
    return f"{socket.gethostname()} pid {os.getpid()} {Path(db_path).resolve()}"


def writer_lease(options: StoreOptions) -> tuple[WriterLease, Callable[[str], bool]]:
    """The queue's writer lease, not yet taken, and the test ``acquire`` needs: a holder on this host
    writing this archive is dead (we hold the archive's lock), so its lease is taken over at once; any
    other live holder → ``LockedError``."""
    name = writer_name(options.db_path)
    host, _, rest = name.partition(" pid ")
    path = rest.partition(" ")[2]

    def same_writer(holder: str) -> bool:
        holder_host, _, holder_rest = holder.partition(" pid ")
        return (holder_host, holder_rest.partition(" ")[2]) == (host, path)

    # Lease calls are tiny: 5 s without an answer is a hung Redis, not a slow one (a renewal is retried).
    lease = WriterLease(connect(options.redis_url, socket_timeout=5.0), Keys(get_site(options.site).name).writer, name,
                        url=options.redis_url)
    return lease, same_writer


def _store(options: StoreOptions, lease: WriterLease, started: float, stop: SimpleNamespace) -> StoreResult:
    archive = Archive(options.db_path, batch_size=10**9, commit_interval=10**9)  # commits are the loop's
    run_id = archive.start_run(options.site, command="store",
                               args={"redis": display_url(options.redis_url), "batch_size": options.batch_size})
    loop = StoreLoop(options, archive, run_id)
    loop.lease = lease
    stop.loop = loop
    loop.stopping = stop.requested  # a signal that came before the loop existed
    reason = "finished"
    try:
        loop.run()
    except StopNow:
        loop.stopping = True  # recorded as a shutdown, like a stop that settled its last batch
    except BaseException as exc:
        reason = "failed"
        with contextlib.suppress(AttributeError):
            exc.run_id = run_id  # for crawler.notify (the incident names the run)
        raise
    finally:
        stats = {**{f"arshif/ingest/{key}": value for key, value in loop.ingest.counts.as_dict().items()},
                 APPLIED: loop.applied, DEAD: loop.dead}
        counts = loop.ingest.counts.run_counts(dropped=0)
        if loop.abort:
            archive.rollback()  # a batch cut short: still in Redis's processing list, applied again next time
        archive.commit()
        archive.finish_run(run_id, finish_reason=reason if not loop.stopping else "shutdown",
                           status="ok" if reason == "finished" else "failed", counts=counts, stats=stats)
        archive.close()
    return StoreResult(run_id=run_id, items=loop.applied, dead=loop.dead,
                       recovered=loop.recovered, elapsed=time.monotonic() - started, counts=counts, stats=stats)
