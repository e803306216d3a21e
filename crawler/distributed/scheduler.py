"""scrapy-redis's scheduler, made to wait out Redis outages instead of crashing the worker.

scrapy-redis (0.9) works with Scrapy 2.19 as it is: the engine accepts its ``Scheduler`` (it has the five
methods of ``BaseScheduler``), and its queue serializes requests with ``Request.to_dict``. What it does
not do is survive Redis going away: ``from_settings`` pings once and raises, ``next_request`` and
``enqueue_request`` raise ``ConnectionError`` into the engine, which logs a traceback per call and, for
a request the spider yielded, loses it. This subclass (the shim) keeps the requests it could not queue in
memory and pushes them once Redis is back, answers "nothing now" while Redis is down (with the
connection module's backoff and log line), and reports pending work meanwhile so the worker does not
close. (It also counts its stats without the ``spider`` argument Scrapy 2.19 deprecates.) Everything
else is scrapy-redis's: the priority queue, the dupe filter, ``SCHEDULER_PERSIST``.
"""

from __future__ import annotations

import logging

from scrapy.core.scheduler import BaseScheduler
from scrapy_redis.scheduler import Scheduler

from crawler.distributed.connection import UNAVAILABLE, Backoff, connect, retrying
from crawler.distributed.run import META as RUN_META, load_round

logger = logging.getLogger(__name__)


class RedisScheduler(Scheduler, BaseScheduler):
    @classmethod
    def from_settings(cls, settings):
        from scrapy_redis import defaults

        url = settings.get("REDIS_URL")
        server = connect(url, socket_timeout=5.0)  # on the event loop: a hung Redis holds it at most this long
        retrying(server.ping, what="starting the worker", url=url)
        instance = cls(
            server=server,
            persist=settings.getbool("SCHEDULER_PERSIST"),
            flush_on_start=False,
            queue_key=settings.get("SCHEDULER_QUEUE_KEY", defaults.SCHEDULER_QUEUE_KEY),
            queue_cls=settings.get("SCHEDULER_QUEUE_CLASS", defaults.SCHEDULER_QUEUE_CLASS),
            dupefilter_key=settings.get("SCHEDULER_DUPEFILTER_KEY", defaults.SCHEDULER_DUPEFILTER_KEY),
            dupefilter_cls=settings.get("DUPEFILTER_CLASS", defaults.SCHEDULER_DUPEFILTER_CLASS),
        )
        instance.url = url
        instance.backoff = Backoff(url)
        instance.unsent = []  # requests to queue once Redis is back
        return instance

    def open(self, spider):
        self.spider = spider
        from scrapy.utils.misc import load_object

        self.queue = load_object(self.queue_cls)(server=self.server, spider=spider, key=self.queue_key,
                                                 serializer=self.serializer)
        self.df = load_object(self.dupefilter_cls).from_spider(spider)
        queued = retrying(lambda: len(self.queue), what="reading the queue", url=self.url)
        logger.info("shared queue %s: %d requests waiting", self.queue_key, queued)

    def close(self, reason):
        if self.unsent:
            logger.warning("%d requests could not be queued in Redis before the worker stopped; seeding again"
                           " puts back what the archive lacks", len(self.unsent))
        # SCHEDULER_PERSIST is always on here: never flush the shared queue because one worker stops.

    def _available(self) -> bool:
        if self.backoff.waiting:
            return False
        if not self.unsent:
            return True
        try:
            while self.unsent:
                self.queue.push(self.unsent[0])
                self.unsent.pop(0)
        except UNAVAILABLE as exc:
            self.backoff.failed(exc, "queueing requests")
            return False
        self.backoff.succeeded()
        return True

    def enqueue_request(self, request) -> bool:
        # The round a page belongs to travels with the requests it leads to: whichever worker takes one
        # applies that round's settings first (crawler.distributed.run; seeded requests carry it already).
        request.meta.setdefault(RUN_META, getattr(self.spider, "run_version", 0))
        if self._available():
            try:
                if not request.dont_filter and self.df.request_seen(request):
                    self.df.log(request, self.spider)
                    return False
                self.queue.push(request)
                self.stats.inc_value("scheduler/enqueued/redis")
                return True
            except UNAVAILABLE as exc:
                self.backoff.failed(exc, "queueing a request")
        self.unsent.append(request)  # already judged new or dont_filter: queue it as is once Redis is back
        return True

    def next_request(self):
        if not self._available():
            return None
        try:
            request = self.queue.pop()
        except UNAVAILABLE as exc:
            self.backoff.failed(exc, "taking a request")
            return None
        self.backoff.succeeded()
        if request is not None:
            self.stats.inc_value("scheduler/dequeued/redis")
            version = request.meta.get(RUN_META)
            if version and version != getattr(self.spider, "run_version", version):
                load_round(self.spider, self.server, self.url)  # the first request of a new round: its settings first
        return request

    def has_pending_requests(self) -> bool:
        if self.unsent or self.backoff.waiting:
            return True
        try:
            return len(self) > 0
        except UNAVAILABLE as exc:
            self.backoff.failed(exc, "reading the queue")
            return True
