"""The mirror's HTTP/1.1 server: a small Twisted protocol (keep-alive, GET/HEAD) around ``pages.render``.

A hand-rolled protocol rather than twisted.web: it is several times faster per request, and it can act
out the transport faults (a connection dropped without an answer, a body shorter than its Content-Length).
"""

from __future__ import annotations

import sys
import traceback
from typing import Callable

from twisted.internet import protocol
from zope.interface import implementer
from twisted.internet.interfaces import IPullProducer

from crawler.mirror import hazards
from crawler.mirror.model import MirrorConfig, text_hash
from crawler.mirror.pages import SLOW_SECONDS, Page, fault_for, render

_MAX_HEAD = 64 * 1024
# Rendered pages kept for the server's life, up to this many body bytes (then pages are rendered every time):
# a 1,000-id real-weight mirror holds ~120 MB of pages.
CACHE_BYTES = 256 * 1024 * 1024
_REASONS = {200: "OK", 301: "Moved Permanently", 302: "Found", 400: "Bad Request", 404: "Not Found",
            405: "Method Not Allowed", 429: "Too Many Requests", 431: "Request Header Fields Too Large",
            500: "Internal Server Error", 503: "Service Unavailable"}


class MirrorProtocol(protocol.Protocol):
    def __init__(self, factory: "MirrorFactory") -> None:
        self.factory = factory
        self.buffer = b""
        self.waiting = False  # a slow answer is pending: later pipelined requests wait their turn

    def dataReceived(self, data: bytes) -> None:
        self.buffer += data
        self._serve_buffered()

    def _serve_buffered(self) -> None:
        while not self.waiting and self.transport is not None and self.connected:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buffer) > _MAX_HEAD:
                    self._send(Page(431, {"Content-Type": "text/plain"}, b"header too large\n"), False, False)
                return
            head, self.buffer = self.buffer[:end].decode("latin-1"), self.buffer[end + 4:]
            if not self._serve(head):
                return

    def _serve(self, head: str) -> bool:
        """Answer one request; False when the connection is (being) closed."""
        lines = head.split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/"):
            self._send(Page(400, {"Content-Type": "text/plain"}, b"bad request\n"), False, False)
            return False
        method, target, version = parts
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        connection = headers.get("connection", "").lower()
        keep_alive = "close" not in connection if version == "HTTP/1.1" else "keep-alive" in connection
        if method not in ("GET", "HEAD"):
            self._send(Page(405, {"Content-Type": "text/plain", "Allow": "GET, HEAD"}, b"method not allowed\n"),
                       False, False)
            return False
        if target.startswith(("http://", "https://")):  # absolute-form request target
            target = "/" + target.split("/", 3)[-1] if target.count("/") >= 3 else "/"
        factory = self.factory
        host = headers.get("host")
        base_url = f"http://{host}" if host else factory.base_url
        if factory.config.hazards:
            hazard = hazards.act(factory.config, target, headers, base_url, factory.hazard_count(target))
            if isinstance(hazard, hazards.Act):
                factory.served += 1
                self._act(hazard)
                return False
            if hazard is not None:
                factory.served += 1
                self._send(hazard, method == "HEAD", keep_alive)
                return keep_alive
        count = factory.count(target)
        fault = fault_for(factory.config, target, count) if count else None
        if fault == "drop":
            self.transport.abortConnection()
            return False
        try:
            page = factory.render(target, count, base_url)
            if factory.config.hazards and target.split("?", 1)[0] in ("/", "/index.php", "/home"):
                page = hazards.decorate_home(factory.config, page)
        except Exception:  # a bug in a page: say so, on the wire and on stderr, and keep serving
            traceback.print_exc()
            page = Page(500, {"Content-Type": "text/plain; charset=utf-8"}, b"mirror bug: see its stderr\n")
        factory.served += 1
        if fault == "truncate":
            self._send(page, method == "HEAD", False, truncate=True)
            return False
        if fault == "slow":
            self.waiting = True
            factory.call_later(SLOW_SECONDS, self._send_late, page, method == "HEAD", keep_alive)
            return False
        self._send(page, method == "HEAD", keep_alive)
        return keep_alive

    def _act(self, hazard: "hazards.Act") -> None:
        """A transport-level hazard: hang, trickle, drop, or stream a big body (then close)."""
        if hazard.kind == "drop":
            self.transport.abortConnection()
            return
        self.waiting = True  # nothing pipelined behind it is answered
        lines = ["HTTP/1.1 200 OK", *(f"{k}: {v}" for k, v in hazard.headers.items()), "Server: arshif-mirror",
                 "Connection: close", "", ""]
        self.transport.write("\r\n".join(lines).encode("latin-1"))
        if hazard.kind == "trickle":
            self._trickle()
        elif hazard.kind == "stream":
            self.transport.registerProducer(_ChunkProducer(self.transport, hazard.chunks), False)

    def _trickle(self) -> None:
        if self.connected:
            self.transport.write(b" ")
            self.factory.call_later(hazards.TRICKLE_SECONDS, self._trickle)

    def _send_late(self, page: Page, head_only: bool, keep_alive: bool) -> None:
        self.waiting = False
        if not self.connected:
            return
        self._send(page, head_only, keep_alive)
        if keep_alive:
            self._serve_buffered()

    def _send(self, page: Page, head_only: bool, keep_alive: bool, truncate: bool = False) -> None:
        body = page.body
        length = len(body)
        if truncate:
            length, body = length + 1024, body[: len(body) // 2]
        lines = [f"HTTP/1.1 {page.status} {_REASONS.get(page.status, 'Status')}",
                 *(f"{k}: {v}" for k, v in page.headers.items()),
                 f"Content-Length: {length}", "Server: arshif-mirror",
                 f"Connection: {'keep-alive' if keep_alive else 'close'}", "", ""]
        self.transport.write("\r\n".join(lines).encode("latin-1") + (b"" if head_only else body))
        if not keep_alive:
            self.transport.loseConnection()


@implementer(IPullProducer)
class _ChunkProducer:
    """Writes the next chunk when the transport asks: a 60 MB body never sits in the send buffer."""

    def __init__(self, transport, chunks) -> None:
        self.transport, self.chunks = transport, chunks

    def resumeProducing(self) -> None:
        chunk = next(self.chunks, None)
        if chunk is None:
            self.transport.unregisterProducer()
            self.transport.loseConnection()
        else:
            self.transport.write(chunk)

    def stopProducing(self) -> None:
        self.chunks = iter(())


class MirrorFactory(protocol.Factory):
    def __init__(self, config: MirrorConfig, call_later: Callable) -> None:
        self.config = config
        self.call_later = call_later
        self.base_url = ""
        self.served = 0
        self.requests: dict[int, int] = {}  # request counts by URL hash; kept only when faults are on
        self.hazard_requests: dict[int, int] = {}  # the same for hazards
        self.pages: dict[tuple[str, str], Page] = {}  # rendered pages by (request target, base URL)
        self.cached_bytes = 0

    def render(self, target: str, count: int, base_url: str) -> Page:
        """``pages.render`` of the ``count``-th request of ``target``, rendered once per (target, base URL) when
        faults are off. Without faults a page is a function of the mirror's config, the target and the base URL
        alone (``render`` then ignores the count), and a page of the real weight costs ~1.4 ms of Python to
        render: a benchmark's crawls ask for the same 1,000 pages again and again, from one server, and would
        otherwise measure the server's rendering as much as the crawlers (bench/results.md, crawl9). With
        faults on, an answer depends on the count: rendered every time. A body is never changed after it is
        rendered (``Page`` is a tuple; ``hazards.decorate_home`` makes a new one)."""
        if self.config.fault_rates:
            return render(self.config, target, count or 1, base_url)
        key = (target, base_url)
        page = self.pages.get(key)
        if page is None:
            page = render(self.config, target, 1, base_url)
            if self.cached_bytes + len(page.body) <= CACHE_BYTES:
                self.pages[key] = page
                self.cached_bytes += len(page.body)
        return page

    def count(self, target: str) -> int:
        """How many times ``target`` was asked for, this request included (0 when faults are off)."""
        if not self.config.fault_rates:
            return 0
        key = text_hash(target)
        n = self.requests[key] = self.requests.get(key, 0) + 1
        return n

    def hazard_count(self, target: str) -> int:
        """How many times ``target`` was asked for, this request included (hazards on)."""
        key = text_hash(hazards.count_key(target))
        n = self.hazard_requests[key] = self.hazard_requests.get(key, 0) + 1
        return n

    def buildProtocol(self, addr) -> MirrorProtocol:
        return MirrorProtocol(self)


def serve(config: MirrorConfig, host: str = "127.0.0.1", port: int = 0, announce=print) -> None:
    """Serve until SIGINT/SIGTERM; ``announce`` gets the base URL once listening."""
    from twisted.internet import reactor

    factory = MirrorFactory(config, reactor.callLater)
    listening = reactor.listenTCP(port, factory, interface=host, backlog=128)
    address = listening.getHost()
    shown = f"[{address.host}]" if ":" in address.host else address.host
    factory.base_url = f"http://{shown}:{address.port}"
    # Announce once running: by then SIGINT/SIGTERM handlers that stop the reactor cleanly are in place.
    reactor.callWhenRunning(announce, factory.base_url)
    reactor.run()
    print(f"mirror stopped after {factory.served} responses", file=sys.stderr)
