"""``arshif worker``: the ordinary spider and extraction, fed by the shared queue, feeding the writer.

A worker is the single-process crawl with these parts swapped (``worker_settings``):

- the scheduler: scrapy-redis's (``crawler.distributed.scheduler.RedisScheduler``), with its shared
  priority queue and dupe filter, ``SCHEDULER_PERSIST`` on (one worker stopping never clears the queue);
- the archive's owner: ``WorkerRun`` instead of ``pipelines.owner.ArchiveOwner``. It gives the run a
  context with no archive: the spider's questions go to ``RedisArchiveState`` (the writer's sets) and
  every item (after clean → validate → date window; dedupe is the writer's) goes to ``RedisItemSender``,
  which pushes it to the ``items`` list;
- the spider is the site's own class, told by two settings that it is one of several workers:
  ``ARSHIF_SHARED_ROUND`` (it yields no start requests: seeding does, ``arshif backfill/crawl --redis``,
  and publishes the round's settings, ``run``: the date window, --max-pages, --refresh, which the worker
  applies before the first request of a new round; walks complete as they end, not when it stops) and
  ``ARSHIF_WALK_BOOK`` (``redis_walk_book``: the listing walks' rules keep their state in Redis, the walk
  book's ``RedisWalkBook``: the ids asked for, a --since page's gate, each walk's outstanding requests).

With ``--warc DIR`` it keeps WARC files as a single process does (``WorkerWarcCapture``: one set of files
per worker, named after its host and pid).

It runs until stopped (SIGTERM/Ctrl-C: in-flight requests finish first) or, with ``exit_when_idle``,
once it found the queue empty for that many seconds. Politeness is per site: ``SharedRateLimit``
(``crawler.distributed.limiter``) holds all workers together to the site's rate.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import signal
import socket
import threading
import time
from typing import Any

from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.utils.asyncio import create_looping_call

from crawler.distributed.connection import UNAVAILABLE, Backoff, connect, display_url, retrying
from crawler.distributed.keys import Keys
from crawler.distributed.run import load_round
from crawler.distributed.state import RedisArchiveState
from crawler.errors import EXIT_INTERRUPTED
from crawler.walkbook import RedisWalkBook
from crawler.warc import WarcCaptureMiddleware
from pipelines.context import RunContext
from pipelines.items import to_message
from spiders.base import ARTICLE_REQUESTS, LISTING_REQUESTS

logger = logging.getLogger(__name__)

SENT = "arshif/distributed/items_sent"
# A stopping worker leaves this many seconds after SIGTERM/SIGINT however far its graceful stop got (a
# hung Redis blocks the event loop; `docker stop` waits 10 s before SIGKILL). A second signal: at once.
STOP_DEADLINE = 5.0
# At the deadline, the items still held are offered to Redis once more, for at most this long (a thread
# joined with this timeout: redis-py's own timeouts are per socket operation, and one LPUSH on a fresh
# connection to a paused Redis took ~4 s: connect, the on-connect handshake, each retried once).
LAST_OFFER = 0.5
CLOSE_PATIENCE = 3.0  # seconds of it a stopping worker gives Redis to take its last items
# Redis calls run on Scrapy's event loop: a hung Redis must not hold it longer than this per call.
SOCKET_TIMEOUT = 5.0
QUEUE_POLL = 0.25  # seconds between an idle worker's looks at the shared queue (Scrapy's own: 5)


class RedisItemSender:
    """The worker's ``OutcomeWriter``: each item, as JSON, onto the ``items`` list for the writer.

    Redis unreachable: items wait in memory (in order) and go out once it is back; the spider goes on.
    """

    def __init__(self, client, keys: Keys, url: str) -> None:
        self.client, self.keys, self.url = client, keys, url
        self.backoff = Backoff(url)
        self.unsent: list[bytes] = []

    def record(self, item, stats: Any) -> None:
        self.unsent.append(json.dumps(to_message(item), ensure_ascii=False).encode())
        stats.inc_value(SENT)
        self.flush()

    def flush(self) -> bool:
        """Push what waits; False if Redis is unreachable (it is tried again later)."""
        if not self.unsent or self.backoff.waiting:
            return not self.unsent
        try:
            self.client.lpush(self.keys.items, *self.unsent)
        except UNAVAILABLE as exc:
            self.backoff.failed(exc, f"sending {len(self.unsent)} items")
            return False
        self.unsent.clear()
        self.backoff.succeeded()
        return True


class WorkerWarcCapture(WarcCaptureMiddleware):
    """WARC capture in a worker: the single process's middleware, with files named after this machine too
    (``arshif-<host>-<UTC time>-<pid>-<serial>.warc.gz``), so two workers never share a file name even
    when their WARC directories are gathered into one (``arshif reparse --warc``, ``export --format wacz``
    read one directory). The article's ``warc_record`` pointer travels to the writer with the item."""

    @classmethod
    def from_crawler(cls, crawler):
        middleware = super().from_crawler(crawler)
        middleware.writer.prefix = f"arshif-{warc_host()}"
        return middleware


def warc_host() -> str:
    return re.sub(r"[^A-Za-z0-9.-]+", "-", socket.gethostname()).strip("-.") or "worker"


def worker_settings(site: str, redis_url: str, *, rate: float | None = None, exit_when_idle: float = 0,
                    warc_dir: str | None = None) -> dict:
    """The settings that turn a crawl process into a worker (on top of ``crawler.settings``)."""
    from crawler import settings as project

    keys = Keys(site)
    downloader = {**project.DOWNLOADER_MIDDLEWARES, "crawler.distributed.limiter.SharedRateLimit": 120}
    downloader["crawler.distributed.worker.WorkerWarcCapture"] = downloader.pop("crawler.warc.WarcCaptureMiddleware")
    pipelines = {name: order for name, order in project.ITEM_PIPELINES.items() if "Dedupe" not in name}
    extensions = {**project.EXTENSIONS, "pipelines.owner.ArchiveOwner": None,
                  "crawler.distributed.worker.WorkerRun": 1000}
    return {
        "SCHEDULER": "crawler.distributed.scheduler.RedisScheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_PERSIST": True,
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
        "SCHEDULER_QUEUE_KEY": keys.requests,
        "SCHEDULER_DUPEFILTER_KEY": keys.dupefilter,
        "REDIS_URL": redis_url,
        "ARSHIF_REDIS_URL": redis_url,
        "ARSHIF_SITE": site,
        "ARSHIF_RATE": rate,  # None: decided when the spider knows its politeness (WorkerRun)
        "ARSHIF_EXIT_WHEN_IDLE": exit_when_idle,
        "ITEM_PIPELINES": pipelines,
        "EXTENSIONS": extensions,
        "DOWNLOADER_MIDDLEWARES": downloader,
        "ARSHIF_WARC_DIR": warc_dir,  # None: no capture
        "ARSHIF_SHARED_ROUND": True,  # the spider: seeded elsewhere, one of several (spiders.base)
        "ARSHIF_WALK_BOOK": "crawler.distributed.worker.redis_walk_book",
    }


def redis_walk_book(spider) -> RedisWalkBook:
    """The worker's walk book (``ARSHIF_WALK_BOOK``): the round's walk state under the site's keys in
    Redis (e.g. ``arshif:alhadath:requested``), each call in the worker's retry loop."""
    url = spider.crawler.settings.get("ARSHIF_REDIS_URL")
    return RedisWalkBook(connect(url, socket_timeout=SOCKET_TIMEOUT), Keys(spider.site.name).prefix,
                         run=lambda call, what: retrying(call, what=what, url=url))


class WorkerRun:
    """Extension: the worker's run context (Redis state and item sender), idling and stopping."""

    def __init__(self, crawler, context: RunContext, sender: RedisItemSender, url: str) -> None:
        self.crawler, self.context, self.sender, self.url = crawler, context, sender, url
        self.exit_when_idle = crawler.settings.getfloat("ARSHIF_EXIT_WHEN_IDLE", 0)
        self.last_active = time.monotonic()
        self.timer = self.poll = None
        for handler, event in ((self.spider_opened, signals.spider_opened),
                               (self.spider_idle, signals.spider_idle),
                               (self.active, signals.response_received),
                               (self.spider_closed, signals.spider_closed)):
            crawler.signals.connect(handler, signal=event)

    @classmethod
    def from_crawler(cls, crawler) -> WorkerRun:
        settings, spider = crawler.settings, crawler.spider
        url = settings.get("ARSHIF_REDIS_URL")
        keys = Keys(spider.site.name)
        sender = RedisItemSender(connect(url, socket_timeout=SOCKET_TIMEOUT), keys, url)
        context = RunContext(archive=None, site=spider.site, run_id=None, **spider.run_arguments(),
                             state=RedisArchiveState(connect(url, socket_timeout=SOCKET_TIMEOUT), url),
                             writer=sender)
        crawler.arshif_context = context
        return cls(crawler, context, sender, url)

    def spider_opened(self, spider) -> None:
        StopWatch(self.sender, self.url).install()  # after Scrapy's own handlers: it wraps them
        load_round(spider, self.sender.client, self.url)  # the window, --max-pages, --refresh the seeding command was given
        self.timer = create_looping_call(self.sender.flush)
        self.timer.start(1.0, now=False)
        # Requests other processes queue do not wake this engine: left alone it asks the shared queue again
        # only on its 5 s heartbeat, so an idle worker joined a seeded run up to 5 s late (the whole 4-worker
        # benchmark run lasts ~15 s). One Redis pop per poll while idle; nothing while the downloader is full.
        self.poll = create_looping_call(self.wake)
        self.poll.start(QUEUE_POLL, now=False)
        logger.info("worker for %s on redis %s: fetching from %s", spider.site.name, display_url(self.url),
                    spider.base_url)

    def wake(self) -> None:
        slot = getattr(self.crawler.engine, "_slot", None)  # Scrapy's engine slot: its nextcall runs the scheduler
        if slot is not None:
            slot.nextcall.schedule()

    def active(self, *args, **kwargs) -> None:
        self.last_active = time.monotonic()

    def spider_idle(self, spider) -> None:
        """Keep waiting for work, unless asked to exit after ``exit_when_idle`` seconds without any."""
        if self.sender.unsent:
            raise DontCloseSpider
        if self.exit_when_idle and time.monotonic() - self.last_active >= self.exit_when_idle:
            logger.info("worker: the shared queue stayed empty for %.0fs: stopping", self.exit_when_idle)
            return
        raise DontCloseSpider

    def spider_closed(self, spider, reason: str) -> None:
        for timer in (self.timer, self.poll):
            if timer is not None and timer.running:
                timer.stop()
        if self.sender.unsent:
            count = len(self.sender.unsent)
            try:
                retrying(lambda: self.sender.client.lpush(self.sender.keys.items, *self.sender.unsent),
                         what=f"sending the last {count} items", url=self.url, give_up_after=CLOSE_PATIENCE)
                self.sender.unsent.clear()
            except UNAVAILABLE:
                logger.error("worker stopping with %d items Redis never took: seeding again fetches those"
                             " ids anew", count)
        stats = self.crawler.stats
        logger.info("worker stopped (%s): %d pages, %d items sent; asked for %d listing pages, %d articles",
                    reason, stats.get_value("response_received_count", 0), stats.get_value(SENT, 0),
                    stats.get_value(LISTING_REQUESTS, 0), stats.get_value(ARTICLE_REQUESTS, 0))


class StopWatch:
    """Bounds a worker's stop: Scrapy's graceful stop (SIGTERM/SIGINT: in-flight requests finish, the last
    items go to Redis) gets ``STOP_DEADLINE`` seconds; a second signal, or the deadline with the event loop
    held by a Redis that does not answer, ends the process at once. Items not yet handed to Redis are
    offered to it one last time (``LAST_OFFER``); what is left is fetched again by seeding again (the writer's sets
    say what the archive lacks), so nothing is lost but time. Exit code 8 (interrupted)."""

    def __init__(self, sender: RedisItemSender, url: str) -> None:
        self.sender, self.url = sender, url
        self.requested = False

    def install(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, functools.partial(self.on_signal, signal.getsignal(sig)))

    def on_signal(self, previous, signum, frame) -> None:
        if self.requested:
            self.leave(f"signal {signum} again")
        self.requested = True
        timer = threading.Timer(STOP_DEADLINE, self.leave, args=(f"not stopped {STOP_DEADLINE:.0f}s after the signal",))
        timer.daemon = True  # a worker that stopped in time exits without waiting for it
        timer.start()
        if callable(previous):
            previous(signum, frame)  # Scrapy's: a graceful stop

    def leave(self, why: str) -> None:
        unsent = list(self.sender.unsent)
        if unsent and self.offer(unsent):
            unsent = []
        # Not confirmed is not lost: seeding again asks for those ids (and an LPUSH a paused Redis reads
        # after we left only duplicates an item the writer stores idempotently).
        logger.error("worker: %s: leaving now (%d items Redis did not confirm: seeding again fetches those ids)",
                     why, len(unsent))
        for handler in logging.getLogger().handlers:
            handler.flush()
        os._exit(EXIT_INTERRUPTED)

    def offer(self, items: list[bytes]) -> bool:
        """One last LPUSH of ``items``, given ``LAST_OFFER`` seconds in all, whatever Redis does."""
        taken = threading.Event()

        def push() -> None:
            try:
                connect(self.url, socket_timeout=LAST_OFFER).lpush(self.sender.keys.items, *items)
                taken.set()
            except Exception:  # Redis down or hung
                pass

        threading.Thread(target=push, name="arshif-last-offer", daemon=True).start()
        return taken.wait(LAST_OFFER)


def run_worker(site: str, redis_url: str, *, base_url: str | None = None, polite: bool | None = None,
               rate: float | None = None, exit_when_idle: float = 0, log_level: str = "INFO",
               warc_dir: str | None = None, settings: dict | None = None,
               log_file: str | None = None) -> dict[str, Any]:
    """Run one worker until it is stopped (or idle, see ``exit_when_idle``); returns its Scrapy stats."""
    from crawler.config import crawler_process
    from crawler.runner import CrawlOptions, check_options, project_settings

    options = CrawlOptions(site=site, base_url=base_url, polite=polite, log_level=log_level, log_file=log_file,
                           settings={**worker_settings(site, redis_url, rate=rate, exit_when_idle=exit_when_idle,
                                                             warc_dir=warc_dir),
                                     **(settings or {})})
    check_options(options, archive=False)
    process = crawler_process(project_settings(options))
    crawler = process.create_crawler(process.spider_loader.load(site))
    process.crawl(crawler, **options.spider_arguments())
    process.start()
    return crawler.stats.get_stats() if crawler.stats else {}
