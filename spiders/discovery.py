"""Discovery beyond listings: the sitemap and RSS/Atom feeds, read as untrusted XML (``crawler.feeds``).

A mixin of ``spiders.base.ArchiveSpider``. Sitemaps: ``/sitemap.xml`` and the sitemaps an index names.
Feeds: those the home page announces (``<link rel="alternate" type="application/rss+xml">``) and the
common paths (``/rss/news.xml``, ``/feed``, ``/rss``). Both are optional: a 403/404/410 or an HTML page
where XML was expected is only logged; an XML document that is unsafe (a DTD, entities), too big after
gunzip (``ARSHIF_XML_MAXSIZE``) or not well-formed, and a transport failure after retries, are failure
rows (``bad xml: …``, ``too large: …``) like any other page.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime

from scrapy.http import Request, Response

from crawler.dates import parse_date
from crawler.feeds import COMMON_FEED_PATHS, feed_links, parse_feed, parse_sitemap
from crawler.middlewares.reasons import BadXml
from pipelines.items import FailureItem, FailureResolved

logger = logging.getLogger(__name__)

FEEDS_READ = "arshif/feeds/read"
FEED_ARTICLES = "arshif/feeds/articles"  # article requests that came from a feed
SITEMAP_ARTICLES = "arshif/sitemaps/articles"
_OPTIONAL = [403, 404, 410]


class DiscoveryMixin:
    def xml_request(self, url: str, callback) -> Request:
        cap = self.crawler.settings.getint("ARSHIF_XML_MAXSIZE")
        return Request(url, callback=callback, errback=self.failed,
                       meta={"handle_httpstatus_list": _OPTIONAL, "download_maxsize": cap})

    def in_site(self, url: str) -> bool:
        """On the site's real host, or on the crawl's base URL (the mirror's sitemaps name its own host)."""
        return self.site.owns(url) or url.startswith(self.base_url)

    def sitemap_request(self, url: str) -> Request:
        return self.xml_request(url, self.parse_sitemap)

    def feed_requests(self, home: Response) -> Iterator[Request]:
        """The feeds the home page announces, then the common paths (each asked once a run)."""
        urls = [self.to_base(url) for url in feed_links(home)]
        urls += [self.base_url + path for path in (*self.site.discovery.feeds, *COMMON_FEED_PATHS)]
        for url in dict.fromkeys(urls):
            if self.in_site(url):
                yield self.xml_request(url, self.parse_feed)

    def read_document(self, response: Response, parse):
        """``parse(body)``, or None: absent (4xx, HTML) is logged, a bad document is a failure item."""
        kind = (response.headers.get("Content-Type") or b"").decode("latin-1").lower()
        if response.status != 200 or "html" in kind:
            logger.debug("nothing at %s (%s %s)", response.url, response.status, kind or "no type")
            return None, None
        try:
            return parse(response.body, max_size=self.crawler.settings.getint("ARSHIF_XML_MAXSIZE")), None
        except BadXml as exc:
            logger.warning("%s: %s", response.url, exc)
            return None, FailureItem(self.site.name, self.to_real(response.url), str(exc), http_status=200)

    def parse_sitemap(self, response: Response):
        sitemap, failure = self.read_document(response, parse_sitemap)
        if sitemap is None:
            if failure is not None:
                yield failure
            return
        yield FailureResolved(self.site.name, self.to_real(response.url))
        if sitemap.kind == "sitemapindex":
            for entry in sitemap.entries:
                if self.in_site(entry["loc"]) and not self._before_since(entry.get("lastmod")):
                    yield self.sitemap_request(self.to_base(entry["loc"]))
            return
        yield from self.discovered(((entry["loc"], entry.get("lastmod")) for entry in sitemap.entries),
                                   SITEMAP_ARTICLES)

    def parse_feed(self, response: Response):
        entries, failure = self.read_document(response, parse_feed)
        if entries is None:
            if failure is not None:
                yield failure
            return
        self.crawler.stats.inc_value(FEEDS_READ)
        yield FailureResolved(self.site.name, self.to_real(response.url))
        yield from self.discovered(((entry.link, entry.published) for entry in entries), FEED_ARTICLES)

    def discovered(self, entries, stat: str) -> Iterator[Request]:
        """Article requests for (url, date) pairs not stored nor asked yet, and not before --since.

        A stored article is asked again when its entry's date (a sitemap's ``lastmod``) is later than the
        time its stored version says it last changed: an hourly run over a sitemap refetches the articles
        edited since, and only those (the change is versioned)."""
        links: dict[int, str] = {}
        dates: dict[int, str | datetime] = {}
        for url, when in entries:
            article_id = self.site.article_id(url)
            if article_id is not None and not self._before_since(when):
                links.setdefault(article_id, self.to_base(url))
                if when:
                    dates[article_id] = when
        stored = set() if self.refresh else self.state.stored_ids(self.site.name, links)
        if stored and dates:
            stored -= self._changed_since_stored(stored & set(dates), dates)
        for article_id, url in links.items():
            if article_id not in stored and not self.book.asked(article_id):
                self.crawler.stats.inc_value(stat)
                yield self.article_request(article_id, url)

    def _changed_since_stored(self, ids: set[int], dates: dict[int, str | datetime]) -> set[int]:
        changed = set()
        for article_id, stored_at in self.state.changed_at(self.site.name, ids).items():
            when, then = self._instant(dates[article_id]), self._instant(stored_at)
            if when is not None and then is not None and when > then:
                changed.add(article_id)
        return changed

    def _instant(self, when: str | datetime) -> datetime | None:
        if isinstance(when, str):
            parsed = parse_date(when, tz=self.site.timezone)
            when = parsed.value if parsed is not None else None
        return when

    def _before_since(self, when: str | datetime | None) -> bool:
        if self.window.since is None or not when:
            return False
        if isinstance(when, str):
            parsed = parse_date(when, tz=self.site.timezone)
            when = parsed.value if parsed is not None else None
        return when is not None and self.window.before(when)
