"""The pages' bytes on their way to an extraction worker, through shared memory instead of its pipe.

An article page of real weight is ~110 KB; sent down the worker's pipe it was copied four times (pickled,
into the kernel's socket buffer, out of it, unpickled). Each worker now has a ``BodyRing``: an anonymous
shared memory file (``memfd_create``: no name in /dev/shm, nothing to unlink; the kernel frees it when the
last process holding it ends, crawl or worker, however it ends) mapped by the crawl's process and by the
worker. The crawl's process copies a body in once; the pipe carries ``(start, length)`` and the URL; the
worker copies it out once (``bytes``, as the extractor takes).

A worker answers its pages in order, so the bodies it holds are freed in the order they were written: a ring.
E.g. 4 MiB, pages of 110 KB: ~38 pages fit; with 8 pages in flight a worker never waits for room. A body that
does not fit (more than the ring, or the ring holding older ones) travels in the message as before.

This module imports no Scrapy: the worker processes import it (``serve_ring``), not the crawl's middlewares.
"""

from __future__ import annotations

import mmap
import os
from collections import deque
from collections.abc import Callable
from multiprocessing import reduction
from typing import Any

from crawler.extract.work import serve

RING_BYTES = 4 * 1024 * 1024  # per worker; about PIPELINE_DEPTH (8) pages of the heaviest real weight, 4 times


class BodyRing:
    """A worker's ring of page bodies (the crawl's side): ``put(body)`` → where it was written, or None when it
    does not fit now; ``release()`` frees the oldest body still held (the worker answered it)."""

    def __init__(self, size: int = RING_BYTES) -> None:
        self.size = size
        self.fd = os.memfd_create("arshif-extract-bodies", os.MFD_CLOEXEC)
        try:
            os.ftruncate(self.fd, size)
            self.map = mmap.mmap(self.fd, size)
        except OSError:
            os.close(self.fd)
            raise
        self._spans: deque[tuple[int, int]] = deque()  # (start, end) of each body held, oldest first
        self._head = 0  # where the next body goes when it fits there

    def put(self, body: bytes) -> int | None:
        length = len(body)
        if not self._spans:
            self._head = 0
            start = 0 if length <= self.size else None
        else:
            first = self._spans[0][0]
            if self._spans[-1][0] < first:  # wrapped: free from the head up to the oldest body
                start = self._head if self._head + length <= first else None
            elif self._head + length <= self.size:  # free from the head to the end, and from 0 to the oldest
                start = self._head
            else:
                start = 0 if length <= first else None
        if start is None:
            return None
        self.map[start:start + length] = body
        self._spans.append((start, start + length))
        self._head = start + length
        return start

    def release(self) -> None:
        self._spans.popleft()

    def clear(self) -> None:
        self._spans.clear()

    @property
    def held(self) -> int:
        return len(self._spans)

    def close(self) -> None:
        if self.fd < 0:
            return
        self.map.close()
        os.close(self.fd)
        self.fd = -1

    def handle(self) -> RingHandle:
        """What the worker process is started with (its file descriptor crosses with the process's pipe)."""
        return RingHandle(self.fd, self.size)


class RingHandle:
    """The ring as a worker gets it: pickled for a ``forkserver`` process, its descriptor is passed like the
    worker's pipe (``reduction.DupFd``: the fork server hands the duplicate to the new process)."""

    def __init__(self, fd: int, size: int) -> None:
        self.fd, self.size = fd, size

    def __reduce__(self):
        return _mapped, (reduction.DupFd(self.fd), self.size)


def _mapped(fd: Any, size: int) -> mmap.mmap:
    fd = fd.detach()
    try:
        return mmap.mmap(fd, size)
    finally:
        os.close(fd)  # the mapping holds the file


class RingPipe:
    """The worker's end of its pipe, as ``serve`` reads it: a page whose body is ``(start, length)`` gets its
    bytes from the ring; answers go down the pipe unchanged."""

    def __init__(self, conn: Any, ring: mmap.mmap) -> None:
        self.conn, self.ring = conn, ring

    def recv(self) -> Any:
        message = self.conn.recv()
        if message is None:
            return None
        site, pages = message
        return site, [(self.ring[body[0]:body[0] + body[1]] if type(body) is tuple else body, *rest)
                      for body, *rest in pages]

    def send(self, answer: Any) -> None:
        self.conn.send(answer)


# The thread counts numpy's BLAS libraries (OpenBLAS in numpy's wheels; MKL or an OpenMP build elsewhere) read at load.
BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def rings_available() -> bool:
    """Whether this system can make a ring: ``memfd_create`` is Linux's. Elsewhere a worker gets no ring and
    every body crosses in its message, as before the rings (the same records, one more copy a page)."""
    return hasattr(os, "memfd_create")


def serve_ring(conn: Any, ring: mmap.mmap | None, exit_on: str | None = None,
               derive: Callable[[dict], dict] | None = None) -> None:
    """An extraction worker's loop (``crawler.extract.work.serve``) with its pages' bodies in ``ring`` (None:
    no ring, the bodies are in the messages).

    One BLAS thread: the worker's dedupe fingerprint imports numpy (``crawler.dedupe``), whose OpenBLAS
    starts a thread per core at load, each spinning ~26 ms waiting for work numpy never gives it here (no
    matrix product: only array indexing and minima). Set before numpy's import, which reads it then; a value
    the operator set is kept."""
    for variable in BLAS_THREADS:
        os.environ.setdefault(variable, "1")
    serve(RingPipe(conn, ring) if ring is not None else conn, exit_on, derive)
