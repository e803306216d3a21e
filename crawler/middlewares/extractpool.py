"""Extraction over worker processes in the crawl (``ARSHIF_EXTRACT_JOBS``, ``arshif crawl --extract-jobs N``).

The spider's one CPU-heavy step is extracting an article page (~1–2 ms of lxml and Python a page): in the
Scrapy process it takes turns with downloading, the pipelines and SQLite on one core. With N jobs,
``ExtractPoolMiddleware`` (a downloader middleware, outermost: it sees the final response, after retries,
redirects and the WARC capture) hands each article response's ``PageTask`` to an ``ExtractPool`` of N
processes and waits, without blocking the reactor, for the ``PageResult``; the spider's ``parse_article``
then finds it in ``request.meta`` instead of extracting (``spiders.base``). Everything that decides what is
stored — the item pipelines, ``crawler.ingest``, SQLite — stays in the crawl's process, in one writer.

- Each worker keeps its own ``Extractor`` (templates learned from the pages it gets, checked against the
  full chain on a sample): records are those of in-process extraction, in whatever order results come.
- A worker also makes each record's dedupe fingerprint (``crawler.ingest.clean.carried_fingerprint``): the
  writer's dedupe takes it for the very body it cleaned (same content hash) and skips the MinHash signature.
- A worker that dies (OOM killer, SIGKILL) fails only the page it held: the page is recorded as a failure
  (``extraction worker died (exit code -9)``; the next crawl asks it again) and a new worker takes its place.
- In flight: one page per busy worker, the rest wait in the parent; the downloader counts a response as
  active until it left the middlewares, so pages held here are at most CONCURRENT_REQUESTS.
- The workers are started by a fork server (single-threaded, with the extractor imported once), not by
  forking the crawl's multi-threaded process; they ignore SIGINT and end when the spider closes, or when
  their pipe closes because the crawl's process is gone.

``0`` (the library default) extracts in the Scrapy process, as before; ``-1`` means ``auto``: one job
fewer than the machine's cores (none on a one-core machine).
"""

from __future__ import annotations

import logging
import os
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from multiprocessing import connection, get_context
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred

from crawler.ingest.clean import carried_fingerprint
from crawler.extract.work import EXIT_ON_ENV, PageResult, PageTask, serve
from crawler.statkeys import EXTRACT_WORKER_CPU

logger = logging.getLogger(__name__)

EXTRACTED = "arshif_extracted"  # request.meta key: the PageResult the pool gave for the response


def extract_jobs(value: Any, cpus: int | None = None) -> int:
    """The number of worker processes for a setting's value: N, 0 (in process) or -1 (auto: cores − 1)."""
    jobs = int(value)
    if jobs < 0:
        cpus = cpus or os.cpu_count() or 1
        return max(0, cpus - 1)
    return jobs


class ExtractPool:
    """``jobs`` extraction worker processes; ``submit(task)`` → a ``Future`` of its ``PageResult``, never an
    exception: a worker that died answers with ``PageResult(error=...)``. Thread-safe; one dispatcher thread.

    ``derive``: more pure work per record in the workers (default: the dedupe fingerprint of its cleaned body,
    which the writer takes instead of computing the MinHash signature itself)."""

    def __init__(self, jobs: int, derive: Callable[[dict], dict] | None = carried_fingerprint) -> None:
        if jobs < 1:
            raise ValueError("an extraction pool needs at least one job")
        self._context = get_context("forkserver")
        self._context.set_forkserver_preload(["crawler.extract.work"])
        self._derive = derive
        self._pending: deque[tuple[PageTask, Future]] = deque()
        self._lock = threading.Lock()
        self._closed = False
        self._wake_read, self._wake_write = os.pipe()
        self.replaced = 0  # workers that died and were replaced
        self._workers = [self._start() for _ in range(jobs)]
        self._thread = threading.Thread(target=self._dispatch, name="arshif-extract-pool", daemon=True)
        self._thread.start()

    def _start(self) -> _Worker:
        ours, theirs = self._context.Pipe()
        process = self._context.Process(target=serve, args=(theirs, os.environ.get(EXIT_ON_ENV), self._derive),
                                        name="arshif-extract", daemon=True)
        process.start()
        theirs.close()
        return _Worker(process, ours)

    def submit(self, task: PageTask) -> Future:
        future: Future = Future()
        with self._lock:
            if self._closed:
                future.set_result(PageResult(error="extraction pool closed"))
                return future
            self._pending.append((task, future))
        os.write(self._wake_write, b"x")
        return future

    def close(self) -> None:
        """Stop the workers (a page still held answers "extraction pool closed"); idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        os.write(self._wake_write, b"x")
        self._thread.join(timeout=10)
        os.close(self._wake_read)
        os.close(self._wake_write)

    # -- the dispatcher thread ---------------------------------------------------------------

    def _dispatch(self) -> None:
        try:
            while not self._closed:
                self._hand_out()
                busy = [worker for worker in self._workers if worker.held is not None]
                ready = connection.wait([self._wake_read, *(w.conn for w in busy),
                                         *(w.process.sentinel for w in self._workers)])
                if self._wake_read in ready:
                    os.read(self._wake_read, 4096)
                for index, worker in enumerate(self._workers):
                    if worker.held is not None and worker.conn in ready:
                        self._receive(index, worker)
                    elif worker.process.sentinel in ready:
                        self._died(index, worker)
        finally:
            self._stop_all()

    def _hand_out(self) -> None:
        for index, worker in enumerate(self._workers):
            if worker.held is not None:
                continue
            with self._lock:
                if not self._pending:
                    return
                task, future = self._pending.popleft()
            try:
                worker.conn.send(task)
            except (OSError, ValueError):  # the worker died before taking it: it counts as the one that died
                worker.held = (task, future)
                self._died(index, worker)
                continue
            worker.held = (task, future)

    def _receive(self, index: int, worker: _Worker) -> None:
        try:
            result = worker.conn.recv()
        except (EOFError, OSError):
            self._died(index, worker)
            return
        _task, future = worker.held
        worker.held = None
        future.set_result(result)

    def _died(self, index: int, worker: _Worker) -> None:
        worker.process.join(timeout=5)
        code = worker.process.exitcode
        worker.conn.close()
        if worker.held is not None:
            task, future = worker.held
            logger.error("extraction worker died (exit code %s) on %s: the page is recorded as a failure",
                         code, task.url)
            future.set_result(PageResult(error=f"extraction worker died (exit code {code})"))
        self.replaced += 1
        self._workers[index] = self._start()

    def _stop_all(self) -> None:
        for worker in self._workers:
            if worker.held is not None:
                worker.held[1].set_result(PageResult(error="extraction pool closed"))
                worker.held = None
            try:
                worker.conn.send(None)
            except (OSError, ValueError):
                pass
        for worker in self._workers:
            worker.process.join(timeout=2)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(timeout=2)
            worker.conn.close()
        with self._lock:
            left, self._pending = list(self._pending), deque()
        for _task, future in left:
            future.set_result(PageResult(error="extraction pool closed"))


class _Worker:
    def __init__(self, process, conn) -> None:
        self.process, self.conn = process, conn
        self.held: tuple[PageTask, Future] | None = None  # the page it works on


def deferred_of(future: Future) -> Deferred:
    """A Deferred fired in the reactor's thread with the future's result (any reactor)."""
    from twisted.internet import reactor

    deferred: Deferred = Deferred()
    future.add_done_callback(lambda done: reactor.callFromThread(deferred.callback, done.result()))
    return deferred


class ExtractPoolMiddleware:
    """Downloader middleware (``DOWNLOADER_MIDDLEWARES``: 10, outermost): article responses extracted by the pool."""

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        self.pool: ExtractPool | None = None

    @classmethod
    def from_crawler(cls, crawler) -> ExtractPoolMiddleware:
        jobs = extract_jobs(crawler.settings.get("ARSHIF_EXTRACT_JOBS", 0))
        if jobs < 1:
            raise NotConfigured  # extraction in the crawl's process (no message: Scrapy would warn)
        middleware = cls(jobs)
        middleware.crawler = crawler
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.close, signal=signals.spider_closed)
        crawler.signals.connect(middleware.close, signal=signals.engine_stopped)
        return middleware

    def spider_opened(self, spider) -> None:
        if hasattr(spider, "page_task"):
            self.pool = ExtractPool(self.jobs)
            logger.info("extraction in %d worker process%s", self.jobs, "es" if self.jobs > 1 else "")

    def close(self, *args: Any, **kwargs: Any) -> None:
        if self.pool is not None:
            self.pool.close()
            self.pool = None

    async def process_response(self, request, response):
        if self.pool is None or not 200 <= response.status < 300:
            return response
        task = self.crawler.spider.page_task(request, response)
        if task is None:  # not an article page
            return response
        result = await maybe_deferred_to_future(deferred_of(self.pool.submit(task)))
        self.crawler.stats.inc_value(EXTRACT_WORKER_CPU, result.cpu)  # the workers' CPU is not the crawl's own
        request.meta[EXTRACTED] = result
        return response
