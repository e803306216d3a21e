"""Size caps that end as a "too large" failure row, whichever way the body was too big.

Scrapy enforces ``DOWNLOAD_MAXSIZE`` three ways: a declared Content-Length over the cap (an error with a
message), a body that grows past it while streaming (a bare ``DownloadCancelledError``: no message, no
size), and a gzip/deflate/brotli body that inflates past it (``IgnoreRequest`` from HttpCompression). The
second would read as a mysterious cancellation; this middleware counts the bytes received per request and
turns it into ``TooLarge`` with the size. (The other two are named by ``reasons.failure_reason``.)
"""

from __future__ import annotations

from scrapy import signals
from scrapy.exceptions import DownloadCancelledError

from crawler.middlewares.reasons import TooLarge

RECEIVED = "arshif_bytes_received"


class SizeCapMiddleware:
    def __init__(self, crawler) -> None:
        self.maxsize = crawler.settings.getint("DOWNLOAD_MAXSIZE")
        crawler.signals.connect(self.bytes_received, signal=signals.bytes_received)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def bytes_received(self, data, request, spider=None) -> None:
        request.meta[RECEIVED] = request.meta.get(RECEIVED, 0) + len(data)

    def process_exception(self, request, exception, spider=None):
        if isinstance(exception, DownloadCancelledError) and not str(exception):
            cap = request.meta.get("download_maxsize", self.maxsize)
            received = request.meta.get(RECEIVED, 0)
            if cap and received > cap:
                raise TooLarge(f"{received:,} bytes received, over the {cap:,}-byte cap (DOWNLOAD_MAXSIZE)")
        return None
