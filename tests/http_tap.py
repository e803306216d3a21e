"""A loopback TCP tap in front of the mirror: counts the HTTP requests it passes (with their times) and
can add latency to each. For the distributed rate test (what the site sees from all workers together)
and the distributed benchmark (a slow site: ~150 ms per response, without the mirror's 2.5 s ``slow``).

    with HttpTap(mirror.base_url, latency=0.15) as tap:
        tap.base_url        # crawl this instead of the mirror
        tap.times           # time.monotonic() of every request head that went through

Requests are counted by their head's end (``\\r\\n\\r\\n``) in the client → server stream: crawlers send GETs
without bodies. One request per connection at a time (Scrapy does not pipeline), so delaying the request
delays its response by the same amount.
"""

from __future__ import annotations

import asyncio
import threading
import time
from urllib.parse import urlsplit


class HttpTap:
    def __init__(self, upstream: str, *, latency: float = 0.0) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname, parts.port)
        self.latency = latency
        self.times: list[float] = []
        self.loop = asyncio.new_event_loop()
        self.server = None
        self.port = 0
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> HttpTap:
        self.thread.start()
        self.server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._serve, "127.0.0.1", 0, backlog=256), self.loop).result(10)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        async def close():
            self.server.close()

        if self.server is not None:
            asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    def __enter__(self) -> HttpTap:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    async def _serve(self, client_reader, client_writer) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            client_writer.close()
            return

        async def pump(reader, writer, count: bool) -> None:
            tail = b""
            try:
                while data := await reader.read(65536):
                    if count and (heads := (tail + data).count(b"\r\n\r\n")):
                        self.times.extend([time.monotonic()] * heads)
                        if self.latency:
                            await asyncio.sleep(self.latency)
                    tail = (tail + data)[-3:]
                    writer.write(data)
                    await writer.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                writer.close()

        await asyncio.gather(pump(client_reader, upstream_writer, True),
                             pump(upstream_reader, client_writer, False))


def busiest_window(times: list[float], seconds: float = 10.0) -> int:
    """The most requests in any window of ``seconds`` (windows start at each request)."""
    times = sorted(times)
    best, end = 0, 0
    for start, first in enumerate(times):
        while end < len(times) and times[end] < first + seconds:
            end += 1
        best = max(best, end - start)
    return best
