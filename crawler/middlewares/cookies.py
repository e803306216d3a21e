"""Scrapy's cookie middleware, without its one network fetch, and loaded only once a crawl meets a cookie.

- Offline: ``scrapy.downloadermiddlewares.cookies`` asks ``tldextract`` whether a cookie's domain is a public
  suffix; tldextract's default downloads the Public Suffix List from GitHub the first time (a packet off loopback
  from a crawl of our own mirror, and a stall on a closed network). Its bundled snapshot is enough to refuse
  ``Domain=co.uk`` cookies.
- Lazy: importing that module imports tldextract, and with it requests, urllib3, chardet and filelock (164
  modules): 6.7% of the instructions of an hourly run that finds nothing new (3.09 G → 2.88 G, callgrind), for a
  middleware that has nothing to do until a response sets a cookie or a request carries one. Until then its
  answer is known without it: an empty jar adds no Cookie header, and Scrapy's middleware drops any Cookie header
  a request was given (unless ``dont_merge_cookies``), which is all this one does meanwhile. From the first cookie
  on, every request and response goes through Scrapy's own middleware (built then, with an empty jar as it would
  have had): the same headers as with it from the start (tests/test_cookies_lazy.py).
"""

from __future__ import annotations

from typing import Any

from scrapy.exceptions import NotConfigured


def _offline_cookies_middleware() -> type:
    """Scrapy's CookiesMiddleware, its public-suffix check made offline (its bundled list)."""
    import scrapy.downloadermiddlewares.cookies as scrapy_cookies
    from tldextract import TLDExtract

    scrapy_cookies._split_domain = TLDExtract(suffix_list_urls=(), include_psl_private_domains=True)
    return scrapy_cookies.CookiesMiddleware


class OfflineCookiesMiddleware:
    """Scrapy's CookiesMiddleware (offline suffix list), built at the first cookie the crawl meets (see above)."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.cookies: Any = None  # Scrapy's middleware, once a cookie was met

    @classmethod
    def from_crawler(cls, crawler: Any) -> OfflineCookiesMiddleware:
        if not crawler.settings.getbool("COOKIES_ENABLED"):
            raise NotConfigured
        return cls(crawler)

    def _middleware(self) -> Any:
        if self.cookies is None:
            self.cookies = _offline_cookies_middleware().from_crawler(self.crawler)
        return self.cookies

    def process_request(self, request: Any, spider: Any = None) -> None:
        if self.cookies is None and not request.cookies:
            # What Scrapy's middleware does with an empty jar and a request carrying no cookie.
            if not request.meta.get("dont_merge_cookies", False):
                request.headers.pop("Cookie", None)
            return None
        return self._middleware().process_request(request)

    def process_response(self, request: Any, response: Any, spider: Any = None) -> Any:
        if self.cookies is None and b"Set-Cookie" not in response.headers:
            return response  # no cookie to keep (Scrapy's middleware would only read the headers)
        return self._middleware().process_response(request, response)
