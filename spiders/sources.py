"""Discovery for outlets without numeric ids: a backfill through WordPress's REST API, else the sitemaps.

A mixin of ``spiders.base.ArchiveSpider``, used when the site is keyed by URL (``Site.key == "url"``):
such a site has no id range to count through, so ``arshif backfill`` asks

- ``/wp-json/wp/v2/posts?page=N&per_page=100`` (``Site.discovery.wp_json``), every page the first one's
  ``X-WP-TotalPages`` header announces: 100 permalinks a request, complete, newest first;
- and when that answers anything but a JSON list (404 or 403 on hardened sites, an HTML page, a
  transport failure), the site's sitemaps (``Site.discovery.sitemaps``, indexes followed to their children).

A site known only by its URL (``arshif crawl --url``, ``crawler.sites.guess.site_from_url``) has no listing rules
either: from the home page on, every in-site page that is not an article is read for article links and
the pages it leads to (sections, their next pages), each once a run, at most ``MAX_FOLLOWED_PAGES``.

Either way the permalinks go through ``discovered``: keyed by ``Site.article_id`` (``url_key``), stored
ones skipped, each asked once.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from urllib.parse import urlsplit

from scrapy.http import Request, Response
from twisted.python.failure import Failure

logger = logging.getLogger(__name__)

WP_PER_PAGE = 100  # WordPress's maximum per_page
WP_JSON_ARTICLES = "arshif/wp-json/articles"
WP_JSON_PAGES = "arshif/wp-json/pages"
WP_JSON_CLOSED = "arshif/wp-json/closed"  # the API did not answer: the backfill went through the sitemaps
PAGE_ARTICLES = "arshif/pages/articles"  # article requests from followed pages (a site without listing rules)
PAGES_FOLLOWED = "arshif/pages/followed"
MAX_FOLLOWED_PAGES = 5000
_NOT_A_PAGE = re.compile(r"\.(?:jpe?g|png|gif|webp|svg|css|js|pdf|xml|json|mp4|mp3|zip)$|^/(?:wp-json|feed)(?:/|$)", re.I)


def wp_posts(body: bytes) -> list[tuple[str, str | None]] | None:
    """(permalink, publication time in UTC) of each post of a ``/wp/v2/posts`` answer; None if the body is
    not such an answer (an error object, an HTML page)."""
    try:
        posts = json.loads(body)
    except ValueError:
        return None
    if not isinstance(posts, list):
        return None
    out = []
    for post in posts:
        if isinstance(post, dict) and isinstance(post.get("link"), str):
            gmt = post.get("date_gmt")
            out.append((post["link"], f"{gmt}+00:00" if isinstance(gmt, str) else None))
    return out


class OutletSources:
    def outlet_backfill_requests(self) -> Iterator[Request]:
        if "wp-json" in self.site.discovery.sources and self.site.discovery.wp_json:
            yield self.wp_json_request(1)
        else:
            yield from self.sitemap_requests()

    def sitemap_requests(self) -> Iterator[Request]:
        for path in self.site.discovery.sitemaps:
            yield self.sitemap_request(self.base_url + path)

    def wp_json_request(self, page: int) -> Request:
        self.crawler.stats.inc_value(WP_JSON_PAGES)
        return Request(f"{self.base_url}{self.site.discovery.wp_json}?page={page}&per_page={WP_PER_PAGE}",
                       callback=self.parse_wp_json, errback=self.wp_json_failed, cb_kwargs={"page": page},
                       meta={"handle_httpstatus_list": [400, 401, 403, 404, 410], "wp_page": page},
                       dont_filter=True)

    def parse_wp_json(self, response: Response, page: int):
        posts = wp_posts(response.body) if response.status == 200 else None
        if posts is None:
            if page == 1:
                yield from self._wp_json_closed(f"http {response.status}")
            else:
                logger.warning("wp-json page %d: no posts list (http %s)", page, response.status)
            return
        if page == 1:
            try:
                pages = int(response.headers.get("X-WP-TotalPages", b"1").decode())
            except ValueError:
                pages = 1
            for n in range(2, pages + 1):
                yield self.wp_json_request(n)
        yield from self.discovered(posts, WP_JSON_ARTICLES)

    def wp_json_failed(self, failure: Failure):
        yield from self.failed(failure)
        if failure.request.meta.get("wp_page") == 1:
            yield from self._wp_json_closed("no answer")

    def _wp_json_closed(self, why: str) -> Iterator[Request]:
        logger.info("wp-json did not answer (%s): backfill through the sitemaps", why)
        self.crawler.stats.inc_value(WP_JSON_CLOSED)
        yield from self.sitemap_requests()

    # -- a site without listing rules: follow its pages ----------------------------------------------------

    def follow_pages(self, response: Response) -> Iterator[Request]:
        """A request for each in-site link of the page that is not an article and was not followed yet."""
        followed = self.__dict__.setdefault("followed_pages", set())
        for _element, link in self.links.anchors(response):
            if not link.in_site or link.article_id is not None:
                continue
            url = link.fetch.split("#", 1)[0]
            if url in followed or _NOT_A_PAGE.search(urlsplit(url).path):
                continue
            if len(followed) >= MAX_FOLLOWED_PAGES:
                logger.warning("stopped following pages at %d (MAX_FOLLOWED_PAGES)", MAX_FOLLOWED_PAGES)
                return
            followed.add(url)
            self.crawler.stats.inc_value(PAGES_FOLLOWED)
            yield Request(url, callback=self.parse_page, errback=self.failed,
                          meta={"handle_httpstatus_list": [403, 404, 410]})

    def parse_page(self, response: Response):
        kind = (response.headers.get("Content-Type") or b"").decode("latin-1").lower()
        if response.status != 200 or "html" not in kind:
            return
        # A link of another form redirected to an article ("/article/42" → "/article/42/slug"): read it here.
        article_id = self.site.article_id(self.to_real(response.url))
        if article_id is not None:
            if self.book.ask((article_id,)):  # not asked before: now it is
                self.article_urls.setdefault(article_id, self.to_real(response.url))
                yield from self.parse_article(response, article_id)
            return
        articles = ((link.url, None) for _element, link in self.links.anchors(response)
                    if link.in_site and link.article_id is not None)
        yield from self.discovered(articles, PAGE_ARTICLES)
        yield from self.follow_pages(response)
