"""One article page's pure CPU work, the same in the crawl's process and in an extraction worker process.

``extract_page_or_failure(extractor, task)`` is what the spider does with an article response (``PageTask``: the
body, the real URL, the site, the HTTP charset); ``serve(conn)`` is an extraction worker process's loop
(``crawler.middlewares.extractpool``): it keeps its own ``Extractor`` — so its own templates, learned from
the pages it is given and checked against the full chain on a sample as in the crawl's process — and
answers each task with a ``PageResult`` (the ``Extraction``: record and stage provenance, and whether a
template read the page).

A task may instead carry other pure work the spider would do on a page (``PageTask.read``: e.g. a listing
page's links, ``spiders.links.ListingJob``), so it runs on the worker's core instead of the crawl's: the
worker answers ``PageResult(read=task.read(task))``. The callable crosses by reference (a module-level class
and its fields), and the worker imports its module the first time.

A worker never touches the archive: the crawl's process stays its one writer.
"""

from __future__ import annotations

import logging

import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from crawler.extract.extractor import Extractor
from crawler.extract.fields import Extraction
from crawler.sites import Site

# Test hook (tests/test_extractpool.py): a worker given this article id exits at once (os._exit), as a
# worker killed by the OOM killer would, e.g. ARSHIF_TEST_EXTRACT_EXIT_ON=42. Read from the crawl's
# environment when the pool starts a worker (a fork server's own environment is that of its first pool).
EXIT_ON_ENV = "ARSHIF_TEST_EXTRACT_EXIT_ON"


logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PageTask:
    """One article response to extract (what crosses to a worker process)."""

    body: bytes
    url: str  # on the real host (records keep real URLs)
    site: Site
    encoding: str | None = None  # the charset the HTTP answer declared
    article_id: int | None = None
    now: datetime | None = None
    read: Callable[[PageTask], object] | None = None  # not an article: this instead of extracting (see above)


@dataclass(frozen=True)
class PageResult:
    """What came of a ``PageTask``: its extraction (None: no article in the page), or the error that stopped it."""

    extraction: Extraction | None = None
    template: bool = False  # a learned template read the page (its block only), not the full chain
    error: str | None = None  # e.g. "extraction worker died (exit code -9)": the page is a failure
    carried: dict | None = None  # the body's dedupe fingerprint (``Fingerprint.carried``), when the worker made it
    cpu: float = 0.0  # a worker's CPU seconds for this page (task in, extraction, answer out): its share of the run
    read: object = None  # what ``PageTask.read`` answered (a task that carries one)


def extract_page(extractor: Extractor, task: PageTask) -> PageResult:
    """The page's extraction by ``extractor`` (its templates learn from it)."""
    served = extractor.templates.served
    extraction = extractor.extract_with_trace(task.body, task.url, site=task.site, encoding=task.encoding,
                                              now=task.now)
    return PageResult(extraction, template=extractor.templates.served > served)


def extract_page_or_failure(extractor: Extractor, task: PageTask,
                            derive: Callable[[dict], dict] | None = None) -> PageResult:
    """``extract_page`` (then ``derive`` on the record found), with a bug in the extractor made that page's
    failure (``PageResult.error``: a ``failures`` row, the page asked again by the next run, its traceback in
    the log) instead of an exception: the same outcome in a worker process and in the crawl's own process."""
    try:
        if task.read is not None:
            return PageResult(read=task.read(task))
        result = extract_page(extractor, task)
        if derive is not None and result.extraction is not None:
            result = replace(result, carried=derive(result.extraction.record))
        return result
    except Exception as exc:  # noqa: BLE001 - one page's bug must not end the run or a worker's templates
        logger.exception("extraction of %s failed", task.url)
        return PageResult(error=f"extraction failed: {type(exc).__name__}: {exc}")


def serve(conn, exit_on: str | None = None, derive: Callable[[dict], dict] | None = None) -> None:
    """An extraction worker's loop, until ``None`` or the pipe closes: a message of a few pages in
    (``(site or None, [(body, url, encoding, article_id, now, read), ...])``: the ``Site`` only when it changed, so
    it is not pickled again for every page), one ``PageResult`` out per page, in order, as each is done.

    ``derive(record)``: more pure work on each record found, whose answer travels as ``PageResult.carried``
    (the crawl passes ``crawler.ingest.clean.carried_fingerprint``: the writer then skips the MinHash).

    Ctrl-C reaches the whole process group: the worker ignores it, and the crawl's process, which decides
    how to stop, ends the workers (``ExtractPool.close``)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    extractor = Extractor()
    site: Site | None = None
    # From 0, not from now: a forked worker's CPU clock starts at its fork, so its first page also carries the
    # worker's own start (the Extractor above); the fork server's imports, done once, are in no page.
    spent = 0.0
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):  # the crawl's process is gone
            return
        if message is None:
            return
        sent_site, pages = message
        site = sent_site if sent_site is not None else site
        for body, url, encoding, article_id, now, read in pages:
            if exit_on and str(article_id) == exit_on:
                os._exit(70)
            result = extract_page_or_failure(extractor, PageTask(body, url, site, encoding, article_id, now, read),
                                             derive)
            now_cpu = time.process_time()
            conn.send(replace(result, cpu=now_cpu - spent))  # pickling the answer is counted with the next page
            spent = now_cpu
