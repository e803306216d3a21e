"""The pages' bodies on their way to an extraction worker: the shared memory ring (``crawler.middlewares.bodyring``)."""

from __future__ import annotations

import json
import os

from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.extract.extractor import Extractor
from crawler.extract.work import EXIT_ON_ENV, PageTask, extract_page
from crawler.middlewares import bodyring
from crawler.middlewares.bodyring import BodyRing, RingPipe
from crawler.middlewares.extractpool import ExtractPool, _Worker
from crawler.sites import get_site
from tests.test_extract import FIXTURES
from tests.test_extractpool import Pipe, page, shared_memory_of_ours


def ring_files() -> list[str]:
    """This process's open descriptors on a ring (``memfd:`` files are named in /proc/self/fd)."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # the listing's own descriptor, closed by now
            continue
        if "arshif-extract-bodies" in target:
            found.append(target)
    return found


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.integers(0, 300), st.just(-1)), max_size=60))
def test_the_ring_keeps_every_body_it_holds_intact_and_frees_them_oldest_first(steps):
    # Bodies of 0–300 bytes in a 1,000-byte ring, -1 = the worker answered the oldest. Each body held reads back
    # as written (no later body overwrote it); a body is refused only when no free stretch can take it.
    ring = BodyRing(1000)
    try:
        held: list[tuple[int, bytes]] = []
        for number, length in enumerate(steps):
            if length < 0:
                if held:
                    ring.release()
                    held.pop(0)
                continue
            body = bytes([number % 251]) * length
            start = ring.put(body)
            if start is None:
                assert (length > ring.size) if not held else _refused_rightly(ring, held, length), (held, length)
                continue
            held.append((start, body))
            for held_start, held_body in held:
                assert ring.map[held_start:held_start + len(held_body)] == held_body
        assert ring.held == len(held)
    finally:
        ring.close()


def _refused_rightly(ring: BodyRing, held: list[tuple[int, bytes]], length: int) -> bool:
    """A ring holding bodies in FIFO order has at most two free stretches: from the newest's end up to the
    oldest's start (wrapped), or after the newest and before the oldest (not wrapped)."""
    oldest, newest = held[0][0], held[-1][0] + len(held[-1][1])
    if held[-1][0] < oldest:  # wrapped
        return newest + length > oldest
    return newest + length > ring.size and length > oldest


def test_a_page_crosses_as_its_place_in_the_ring_and_the_worker_reads_its_bytes():
    ring = BodyRing()
    try:
        worker = _Worker(pool=None, process=None, conn=Pipe(), buffer=1 << 20, ring=ring)
        first, second = page(1), page(2)
        starts = [ring.put(first.body), ring.put(second.body)]
        assert worker.send([first, second], starts)
        (_site, pages), = worker.conn.sent
        assert [body for body, *_rest in pages] == [(starts[0], len(first.body)), (starts[1], len(second.body))]
        # The worker's end reads the bytes from its own mapping of the same memory.
        seen = RingPipe(worker.conn, bodyring._mapped(_Dup(os.dup(ring.fd)), ring.size))
        _site, read = seen.recv()
        assert [body for body, *_rest in read] == [first.body, second.body]
        assert [rest for _body, *rest in read] == [rest for _body, *rest in pages]
    finally:
        ring.close()


class _Dup:
    def __init__(self, fd: int) -> None:
        self.fd = fd

    def detach(self) -> int:
        return self.fd


def fixture_pages() -> list[PageTask]:
    """The mirror's article layouts (6–11 KB each), as a crawl hands them over."""
    tasks = []
    for number, html in enumerate(sorted(FIXTURES.glob("mirror_default_*.html")), 1):
        spec = json.loads(html.with_suffix(".json").read_text(encoding="utf-8"))
        tasks.append(PageTask(html.read_bytes(), spec["request"]["url"], get_site("alhadath"), None, number))
    return tasks


def test_a_pool_extracts_through_its_rings_and_leaves_no_shared_memory_behind(monkeypatch):
    # A ring that holds the smaller pages one or two at a time: the largest page travels in the message, the others
    # wait for room; a worker killed with bodies in its ring takes its ring with it (its successor gets a new one).
    # The records are in-process extraction's; nothing is left in /dev/shm, and no ring stays open in the crawl's
    # process once the pool is closed.
    tasks = fixture_pages()
    sizes = sorted(len(task.body) for task in tasks)
    assert len(tasks) >= 6 and sizes[-1] > sizes[-2]
    monkeypatch.setattr(BodyRing.__init__, "__defaults__", (sizes[-1] - 1,))
    victim = tasks[3].article_id
    monkeypatch.setenv(EXIT_ON_ENV, str(victim))
    assert ring_files() == []
    pool = ExtractPool(1)
    try:
        assert len(ring_files()) == 2  # one ring: its file and the mapping's own duplicate (CPython's mmap)
        with pool._lock:  # all queued before the first hand-out: the ring fills and the rest wait for room
            futures = [pool.submit(task) for task in tasks]
        results = [future.result(timeout=60) for future in futures]
        assert [result.error for result in results] == [
            "extraction worker died (exit code 70)" if task.article_id == victim else None for task in tasks]
        assert pool.replaced == 1
        assert len(ring_files()) == 2  # the dead worker's ring closed, its successor's open
        assert pool._workers[0].ring.held == 0
    finally:
        pool.close()
    assert ring_files() == []
    assert shared_memory_of_ours() == []
    extractor = Extractor()  # what a worker read is the page's bytes: in-process extraction's records
    expected = [extract_page(extractor, task).extraction for task in tasks if task.article_id != victim]
    got = [result.extraction for result in results if result.error is None]
    assert all(extraction is not None for extraction in expected)
    assert [e.record for e in got] == [e.record for e in expected]


def test_where_no_ring_can_be_made_the_bodies_cross_in_the_messages_with_the_same_records(monkeypatch):
    # memfd_create is Linux's: elsewhere a worker is started without a ring and every page's bytes go down its
    # pipe, as before the rings; the records are in-process extraction's and no ring is ever opened.
    from crawler.middlewares import extractpool

    monkeypatch.setattr(extractpool, "rings_available", lambda: False)
    tasks = fixture_pages()
    pool = ExtractPool(1)
    try:
        assert pool._workers[0].ring is None and ring_files() == []
        futures = [pool.submit(task) for task in tasks]
        results = [future.result(timeout=60) for future in futures]
    finally:
        pool.close()
    assert ring_files() == []
    extractor = Extractor()
    expected = [extract_page(extractor, task).extraction for task in tasks]
    assert [result.error for result in results] == [None] * len(tasks)
    assert [result.extraction.record for result in results] == [e.record for e in expected]


def numpy_in_the_worker(record: dict) -> dict:
    """A ``derive`` that does what the worker's dedupe fingerprint does once it has 128 bodies (import numpy),
    then reports the threads of the worker's process and the BLAS setting it imported numpy under."""
    import numpy

    numpy.arange(64).min()
    return {"threads": len(os.listdir("/proc/self/task")), "blas": os.environ.get("OPENBLAS_NUM_THREADS"),
            "numpy": "numpy" in __import__("sys").modules}


def test_numpy_in_a_worker_starts_no_blas_threads():
    # OpenBLAS starts a thread per core when numpy loads, each spinning ~26 ms for work that never comes: the
    # worker sets one BLAS thread before anything imports numpy.
    pool = ExtractPool(1, derive=numpy_in_the_worker)
    try:
        result = pool.submit(fixture_pages()[0]).result(timeout=60)
    finally:
        pool.close()
    assert result.error is None and result.carried["numpy"]
    assert result.carried["blas"] == "1"
    assert result.carried["threads"] == 1  # the worker's own thread only (with two cores OpenBLAS adds one)
