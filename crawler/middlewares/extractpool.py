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
- A listing page's links (its decode, parse and anchors) are read by a worker too (``PageTask.read``, the
  spider's ``page_task``), so that CPU leaves the crawl's process; the answer is what the spider reads itself.
- A worker also makes each record's dedupe fingerprint and the body's search form
  (``crawler.ingest.clean.carried_fingerprint``): the writer's dedupe takes them for the very paragraphs it
  cleaned (same digest) and skips the fold, the MinHash signature and the search form.
- A worker that dies (OOM killer, SIGKILL) fails only the page it held: the page is recorded as a failure
  (``extraction worker died (exit code -9)``; the next crawl asks it again) and a new worker takes its place.
- The hand-over is the reactor's own: it reads the workers' pipes (``reactor.addReader``), with no
  dispatcher thread taking the GIL from it. A page's body crosses in the worker's shared memory ring
  (``crawler.middlewares.bodyring``: copied in once, out once; the pipe carries where it is), its URL, charset
  and id down the pipe; the ``Site`` crosses once per worker (not re-pickled per page: it is the same object
  for the whole run).
- In flight: up to ``PIPELINE_DEPTH`` (8) pages per worker (sent a few to a message when the queue is deep, so a
  worker finds its next page waiting when it finishes one), the rest wait in the parent; the downloader
  counts a response as active until it left the middlewares, so pages held here are at most
  CONCURRENT_REQUESTS. A worker answers page by page, in order: when it dies, the page it was on fails and
  the pages it had not started go to the next worker.
- The workers are started by a fork server (single-threaded, with the extractor imported once), not by
  forking the crawl's multi-threaded process; they ignore SIGINT and end when the spider closes, or when
  their pipe closes because the crawl's process is gone.

``0`` (the library default) extracts in the Scrapy process, as before; ``-1`` means ``auto``: one job
fewer than the machine's cores (none on a one-core machine).
"""

from __future__ import annotations

import logging
import os
import select
import socket
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

from crawler.arguments import usable_cores
from crawler.ingest.clean import carried_fingerprint
from crawler.extract.work import EXIT_ON_ENV, PageResult, PageTask
from crawler.middlewares.bodyring import BodyRing, rings_available, serve_ring
from crawler.statkeys import EXTRACT_WORKER_CPU

logger = logging.getLogger(__name__)

EXTRACTED = "arshif_extracted"  # request.meta key: the PageResult the pool gave for the response
# Pages a worker holds at most (the one it works on and those waiting in its pipe); it is topped up when it
# holds half of that or fewer, so with a deep queue a message carries 4 pages or more. Crawl's process CPU
# for 1,000 real-weight ids with one worker (bench/results.md, crawlx): depth 1 5.3–6.0 s, 4 4.6–4.7 s, 8 4.3–4.6 s.
PIPELINE_DEPTH = 8
CLOSED = "extraction pool closed"
# The pipe's send buffer asked for (the kernel may give less: net.core.wmem_max): pages sent to a busy
# worker wait there, and a send that does not fit would block the reactor until the worker reads.
SEND_BUFFER = 4 * 1024 * 1024

Done = Callable[[PageResult], None]


def fork_server() -> Any:
    """The workers' ``multiprocessing`` context: a fork server that imported the extractor once."""
    context = get_context("forkserver")
    # The extractor (crawler.extract.work, through bodyring) and the workers' default ``derive``
    # (``carried_fingerprint``: its package imports crawler.ingest and crawler.storage, ~100 modules): imported
    # once, in the server, which starts as the crawl begins (``start_fork_server``), on the core the crawl's
    # start-up leaves idle. Not preloaded, every worker imported crawler.ingest itself as its first page came in:
    # ~0.3 CPU-s in that page (its median 3.6 ms; bench/results.md, crawl6), in the thick of the crawl.
    # Scrapy's responses too (~0.3 CPU-s, imported once here, not in each worker on its first listing page): a
    # worker reads a listing page's links with the spider's own code on an ``HtmlResponse`` (spiders.links.ListingJob).
    context.set_forkserver_preload(["crawler.middlewares.bodyring", carried_fingerprint.__module__,
                                    "scrapy.http", "scrapy.utils.response"])
    return context


def start_fork_server() -> None:
    """Start the workers' fork server now, without waiting for it. The first worker's start waits until the
    server has imported the extractor (lxml, the extraction modules: ~0.3 CPU-s); started as the crawl begins,
    it does that on another core while the crawl's process imports Scrapy and builds the crawler, instead of
    holding the reactor at ``spider_opened`` (no request goes out meanwhile)."""
    from multiprocessing import forkserver

    fork_server()
    forkserver.ensure_running()


def extract_jobs(value: Any, cpus: int | None = None) -> int:
    """The number of worker processes for a setting's value: N, 0 (in process) or -1 (auto: cores − 1)."""
    jobs = int(value)
    if jobs < 0:
        cpus = cpus or usable_cores()
        return max(0, cpus - 1)
    return jobs


class ExtractPool:
    """``jobs`` extraction worker processes. ``hand(task, done)`` calls ``done(PageResult)`` once, never with
    an exception: a worker that died answers ``PageResult(error=...)``.

    Driven by the Twisted reactor (``reactor``: it reads the workers' pipes; every call in its thread), or
    without one by a small thread of its own (``submit(task)`` → a ``Future``: scripts and tests).

    ``derive``: more pure work per record in the workers (default: the dedupe fingerprint of its cleaned body,
    which the writer takes instead of computing the MinHash signature itself)."""

    def __init__(self, jobs: int, derive: Callable[[dict], dict] | None = carried_fingerprint,
                 reactor: Any = None, depth: int = PIPELINE_DEPTH) -> None:
        if jobs < 1:
            raise ValueError("an extraction pool needs at least one job")
        self._context = fork_server()
        self._derive = derive
        self._reactor = reactor
        self._depth = max(1, depth)
        self._pending: deque[tuple[PageTask, Done]] = deque()  # not yet handed to a worker
        self._lock = threading.RLock()  # only contended in the thread-driven mode
        self._closed = False
        self.replaced = 0  # workers that died and were replaced
        self.worker_cpu = 0.0  # CPU seconds the workers reported for their pages
        self._thread: threading.Thread | None = None
        if reactor is None:
            self._wake_read, self._wake_write = os.pipe()
        self._workers = [self._start() for _ in range(jobs)]
        if reactor is None:
            self._thread = threading.Thread(target=self._drive, name="arshif-extract-pool", daemon=True)
            self._thread.start()

    def _start(self) -> _Worker:
        ours, theirs = self._context.Pipe()
        ring = BodyRing() if rings_available() else None
        process = self._context.Process(target=serve_ring, name="arshif-extract", daemon=True,
                                        args=(theirs, ring.handle() if ring is not None else None,
                                              os.environ.get(EXIT_ON_ENV), self._derive))
        try:
            process.start()
        except BaseException:
            if ring is not None:
                ring.close()
            raise
        theirs.close()
        worker = _Worker(self, process, ours, widen(ours), ring)
        for reader in worker.readers if self._reactor is not None else ():
            self._reactor.addReader(reader)
        return worker

    # -- submitting --------------------------------------------------------------------------

    def hand(self, task: PageTask, done: Done) -> None:
        """Extract ``task`` in a worker; ``done(result)`` is called in the driver's thread (the reactor's)."""
        with self._lock:
            if self._closed:
                done(PageResult(error=CLOSED))
                return
            self._pending.append((task, done))
            if self._reactor is not None:
                self._hand_out()
                return
        os.write(self._wake_write, b"x")

    def submit(self, task: PageTask) -> Future:
        """``hand`` with a ``Future`` of the result (thread-safe in the thread-driven mode)."""
        future: Future = Future()
        self.hand(task, future.set_result)
        return future

    def close(self) -> None:
        """Stop the workers (a page still held or waiting answers "extraction pool closed"); idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        if self._thread is not None:
            os.write(self._wake_write, b"x")
            self._thread.join(timeout=10)
            os.close(self._wake_read)
            os.close(self._wake_write)
        else:
            self._stop_all()

    # -- the workers' answers ----------------------------------------------------------------

    def _hand_out(self) -> None:
        """Top up every worker holding half its depth or fewer, a few pages to a message (under the lock)."""
        if self._closed:
            return
        for worker in self._workers:
            if not self._pending:
                return
            room = self._depth - len(worker.held)
            if worker.held and room < (self._depth + 1) // 2:
                continue
            share = -(-len(self._pending) // len(self._workers))  # a shallow queue is shared, not taken by one
            batch: list[tuple[PageTask, Done, int | None]] = []
            size = worker.held_bytes
            while self._pending and len(batch) < min(room, share):
                body = self._pending[0][0].body
                start = worker.ring.put(body) if worker.ring is not None else None
                if start is None:  # in the message: a body larger than the ring (or no ring) …
                    if worker.ring is not None and worker.ring.held and len(body) <= worker.ring.size:
                        break  # … not one that waits for the worker to free room
                    size += len(body)
                    if (batch or worker.held) and size > worker.buffer:  # would wait in the pipe: not the reactor
                        break
                batch.append((*self._pending.popleft(), start))
            if not batch:
                continue
            worker.held.extend(batch)
            worker.held_bytes += sum(len(task.body) for task, _done, start in batch if start is None)
            if not worker.send([task for task, _done, _start in batch],
                               [start for _task, _done, start in batch]):  # it died: first read what it answered before
                # (a page it finished is no failure), then the page it was on fails and the rest go to its successor
                return self._readable(worker, ended=True)

    def _readable(self, worker: _Worker, ended: bool = False) -> None:
        """A worker's pipe has answers, or its end closed, or (``ended``) its process ended: deliver what it
        answered, replace it if it is gone, then hand out more."""
        answers: list[tuple[Done, PageResult]] = []
        with self._lock:
            if worker.gone:
                return
            try:
                while worker.ready():  # also true at the end of the pipe: recv then raises EOFError
                    result = worker.conn.recv()
                    task, done, start = worker.held.popleft()
                    if start is None:
                        worker.held_bytes -= len(task.body)
                    else:
                        worker.ring.release()
                    self.worker_cpu += result.cpu
                    answers.append((done, result))
            except (EOFError, OSError):
                ended = True
        for done, result in answers:  # outside the lock: a callback may hand more pages in
            done(result)
        with self._lock:
            if ended and not worker.gone and not self._closed:
                self._died(self._workers.index(worker), worker)
            self._hand_out()

    def _died(self, index: int, worker: _Worker) -> None:
        """The worker is gone: the page it was on fails, the ones it had not started go back to the queue."""
        worker.process.join(timeout=5)
        code = worker.process.exitcode
        worker.forget()
        if worker.held:
            task, done, _start = worker.held.popleft()
            logger.error("extraction worker died (exit code %s) on %s: the page is recorded as a failure",
                         code, task.url)
            self._pending.extendleft((task, done) for task, done, _start in reversed(worker.held))
            worker.held.clear()
            worker.held_bytes = 0
            done(PageResult(error=f"extraction worker died (exit code {code})"))
        self.replaced += 1
        self._workers[index] = self._start()

    def _stop_all(self) -> None:
        with self._lock:
            held = [(task, done) for worker in self._workers for task, done, _start in worker.held]
            held += self._pending
            self._pending = deque()
            for worker in self._workers:
                worker.held.clear()
                worker.held_bytes = 0
                worker.send(None)
        for worker in self._workers:
            worker.process.join(timeout=2)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(timeout=2)
            worker.forget()
        for _task, done in held:
            done(PageResult(error=CLOSED))

    # -- the thread-driven mode (no reactor) -------------------------------------------------

    def _drive(self) -> None:
        try:
            while not self._closed:
                with self._lock:
                    self._hand_out()
                    conns = {w.conn: w for w in self._workers}
                    sentinels = {w.process.sentinel: w for w in self._workers}
                ready = connection.wait([self._wake_read, *conns, *sentinels])
                if self._wake_read in ready:
                    os.read(self._wake_read, 4096)
                for ready_one in ready:
                    if ready_one in conns:
                        self._readable(conns[ready_one])
                    elif ready_one in sentinels:
                        self._readable(sentinels[ready_one], ended=True)
        finally:
            self._stop_all()


def widen(conn: Any, size: int = SEND_BUFFER) -> int:
    """Ask for a ``size`` send buffer on a ``multiprocessing`` pipe (a Unix socket pair); the bytes granted."""
    sock = socket.socket(fileno=os.dup(conn.fileno()))
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, size)
        return sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) // 2  # Linux reports twice what it grants
    except OSError:
        return 64 * 1024
    finally:
        sock.close()  # the duplicate only


class _Worker:
    """One worker process, its pipe (the reactor reads both through ``readers``) and its ring of bodies."""

    def __init__(self, pool: ExtractPool, process, conn, buffer: int, ring: BodyRing | None = None) -> None:
        self.pool, self.process, self.conn, self.buffer, self.ring = pool, process, conn, buffer, ring
        # Pages sent, in the order it answers them, with where each body is in the ring (None: in the message).
        self.held: deque[tuple[PageTask, Done, int | None]] = deque()
        self.held_bytes = 0  # the bodies' bytes sent in messages: at most ``buffer`` beyond the first page
        self.site: Any = None  # the Site it was last sent (sent again only when another)
        self.readers = (_Reader(self, lambda: conn.fileno(), ended=False),  # -1 once gone: the reactor knows
                        _Reader(self, lambda: process.sentinel, ended=True))
        self.gone = False

        # Whether the pipe has an answer (or its end): one poll object for the worker's life (``conn.poll()``
        # builds a selector each time: ~45 µs a call, 0.06 CPU-s of a 1,000-article crawl).
        self._answers = select.poll()
        if conn is not None and hasattr(conn, "fileno"):
            self._answers.register(conn.fileno(), select.POLLIN)

    def ready(self) -> bool:
        return bool(self._answers.poll(0))

    def send(self, tasks: list[PageTask] | None, starts: list[int | None] | None = None) -> bool:
        """Send a few pages (their body's place in the ring, ``starts``, or its bytes when None; URL, charset,
        id: the ``Site`` only when it changed), or None (stop)."""
        try:
            if tasks is None:
                self.conn.send(None)
                return True
            starts = starts or [None] * len(tasks)
            site = tasks[0].site
            if any(task.site is not site for task in tasks):  # one Site a message (a crawl has one)
                return all(self.send([task], [start]) for task, start in zip(tasks, starts))
            self.conn.send((site if site is not self.site else None,
                            [(task.body if start is None else (start, len(task.body)), task.url, task.encoding,
                              task.article_id, task.now, task.read) for task, start in zip(tasks, starts)]))
            self.site = site
            return True
        except (OSError, ValueError):
            return False

    def forget(self) -> None:
        """Stop reading this worker's pipe and close it (the reactor first: the fd number is reused)."""
        if self.gone:
            return
        self.gone = True
        for reader in self.readers if self.pool._reactor is not None else ():
            self.pool._reactor.removeReader(reader)
        self.conn.close()
        if self.ring is not None:
            self.ring.close()  # the worker's mapping, if it still runs, keeps the memory until it ends


class _Reader:
    """What the reactor watches for a worker (an ``IReadDescriptor``): its pipe (answers, or the end of the
    pipe), or its process sentinel (readable once the process ended: ``ended``)."""

    def __init__(self, worker: _Worker, fileno: Callable[[], int], ended: bool) -> None:
        self.worker, self._fileno, self.ended = worker, fileno, ended

    def fileno(self) -> int:
        return -1 if self.worker.gone else self._fileno()

    def doRead(self) -> None:
        self.worker.pool._readable(self.worker, ended=self.ended)

    def connectionLost(self, reason: Any) -> None:
        pass

    def logPrefix(self) -> str:
        return "arshif-extract"


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
            from twisted.internet import reactor

            self.pool = ExtractPool(self.jobs, reactor=reactor)
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
        deferred: Deferred = Deferred()
        self.pool.hand(task, deferred.callback)
        result = await maybe_deferred_to_future(deferred)
        self.crawler.stats.inc_value(EXTRACT_WORKER_CPU, result.cpu)  # the workers' CPU is not the crawl's own
        request.meta[EXTRACTED] = result
        return response
