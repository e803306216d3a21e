"""Seeding the shared queue: ``arshif backfill --redis`` and ``arshif crawl --redis``.

The spider builds the requests exactly as in one process (``backfill_requests`` for ids; ``start`` for a
crawl: home page, sitemap, open failures), and they go straight into scrapy-redis's queue — past the dupe
filter, which would otherwise drop an id it saw queued before. That is what makes seeding the repair for
requests lost in flight: scrapy-redis marks a request seen when it is queued, so a worker killed with
requests in hand loses them for good (rmax/scrapy-redis#177, #149). The archive is the source of truth:
seeding again asks it which ids in the range are neither stored nor missed (open failures are asked
again, as a single-process rerun does), and queues those.

The archive is read where it is (``--db``, read-only use: the writer may be running); a seeder on a
machine without the archive asks the writer's sets in Redis instead.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scrapy.statscollectors import StatsCollector
from scrapy_redis import picklecompat
from scrapy_redis.queue import PriorityQueue

from crawler.distributed.connection import connect, display_url, retrying
from crawler.distributed.keys import Keys
from crawler.distributed.run import META as RUN_META
from crawler.distributed.run import RunSettings, publish
from crawler.distributed.state import RedisArchiveState
from crawler.storage import Archive
from pipelines.context import RunContext
from pipelines.state import SqliteArchiveState

logger = logging.getLogger(__name__)

PUSH_CHUNK = 2000


@dataclass
class SeedResult:
    queued: int  # requests put in the shared queue
    waiting: int  # requests in the queue afterwards (all workers' work left)
    source: str  # where "already recorded" was read: the archive file or redis


class _SeedingCrawler:
    """What the spider's request builders use of a crawler: the run's context, settings and stats
    (the sitemap request reads its size cap from the settings)."""

    def __init__(self, context: RunContext, settings) -> None:
        self.arshif_context = context
        self.settings = settings
        self.stats = StatsCollector(self)  # Scrapy's own (it reads only the settings of its crawler)


def _spider(site: str, redis_url: str, db_path: str | Path | None, arguments: dict[str, Any]):
    from scrapy.settings import Settings

    from spiders.loader import SiteSpiderLoader

    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    spidercls = SiteSpiderLoader.from_settings(settings).load(site)
    spider = spidercls(**arguments)
    if db_path is not None and Path(db_path).exists():
        archive = Archive(db_path)
        state, source = SqliteArchiveState(archive), str(db_path)
    else:
        archive, state, source = None, RedisArchiveState(connect(redis_url), redis_url), "redis"
        logger.info("no archive at %s: asking the writer's sets in redis what is recorded", db_path)
    context = RunContext(archive=None, site=spider.site, run_id=None, **spider.run_arguments(), state=state)
    spider.crawler = _SeedingCrawler(context, settings)
    return spider, archive, source


def _publish(redis_url: str, spider, since: str | None, until: str | None) -> int:
    """The round's settings for the workers (``crawler.distributed.run``); the version requests carry."""
    client = connect(redis_url)
    keys = Keys(spider.site.name)
    settings = RunSettings.of(spider.window, max_pages=spider.max_pages, refresh=spider.refresh, since=since,
                              until=until)
    queued = retrying(lambda: client.zcard(keys.requests), what="reading the queue", url=redis_url)
    return retrying(lambda: publish(client, spider.site.name, settings, queued=queued),
                    what="publishing the round's settings", url=redis_url)


def _push(redis_url: str, spider, requests, version: int) -> tuple[int, int]:
    client = connect(redis_url)
    keys = Keys(spider.site.name)
    count = 0
    pipe = client.pipeline(transaction=False)
    queue = PriorityQueue(server=pipe, spider=spider, key=keys.requests, serializer=picklecompat)
    for request in requests:
        request.meta[RUN_META] = version
        queue.push(request)
        count += 1
        if count % PUSH_CHUNK == 0:
            retrying(pipe.execute, what="queueing requests", url=redis_url)
    retrying(pipe.execute, what="queueing requests", url=redis_url)
    waiting = retrying(lambda: client.zcard(keys.requests), what="reading the queue", url=redis_url)
    return count, waiting


def seed_backfill(site: str, redis_url: str, *, ids: str, db_path: str | Path | None = None,
                  base_url: str | None = None, refresh: bool = False, retry_misses: bool = False,
                  polite: Any = "auto", since: str | None = None, until: str | None = None) -> SeedResult:
    """Queue a request for every id of ``ids`` the archive has not recorded (see the module docstring);
    with ``since``/``until`` the workers store only the articles published inside that window."""
    arguments = {"mode": "backfill", "ids": ids, "base_url": base_url, "refresh": refresh,
                 "retry_misses": retry_misses, "polite": polite, "since": since, "until": until}
    spider, archive, source = _spider(site, redis_url, db_path, arguments)
    try:
        version = _publish(redis_url, spider, since, until)
        queued, waiting = _push(redis_url, spider, spider.backfill_requests(), version)
    finally:
        if archive is not None:
            archive.close()
    logger.info("seeded %d ids into %s on %s (%d requests waiting)", queued, Keys(spider.site.name).requests,
                display_url(redis_url), waiting)
    return SeedResult(queued, waiting, source)


def seed_crawl(site: str, redis_url: str, *, db_path: str | Path | None = None, base_url: str | None = None,
               refresh: bool = False, polite: Any = "auto", since: str | None = None, until: str | None = None,
               max_pages: int | None = None) -> SeedResult:
    """Queue a discovery round: the home page, the sitemap and the open article failures; the workers walk
    the listings under the round's ``since``/``until``/``max_pages`` as one process would.

    A new round (the queue is empty) also clears the dupe filter and the round's asked ids: with
    ``SCHEDULER_PERSIST`` they would still hold the pages of the previous round and hide this round's new
    articles behind them.
    """
    arguments = {"mode": "crawl", "base_url": base_url, "refresh": refresh, "polite": polite, "since": since,
                 "until": until, "max_pages": max_pages}
    spider, archive, source = _spider(site, redis_url, db_path, arguments)
    keys = Keys(spider.site.name)  # the site's name, also when ``site`` is a `crawl --url` outlet's URL
    client = connect(redis_url)

    async def collect():
        return [request async for request in spider.start()]

    try:
        version = _publish(redis_url, spider, since, until)
        if retrying(lambda: client.zcard(keys.requests), what="reading the queue", url=redis_url) == 0:
            retrying(lambda: client.delete(keys.dupefilter, keys.requested), what="starting a new round",
                     url=redis_url)
        requests = asyncio.run(collect())
        queued, waiting = _push(redis_url, spider, requests, version)
    finally:
        if archive is not None:
            archive.close()
    return SeedResult(queued, waiting, source)
