"""A page's links, read once: every ``<a href>`` made absolute and judged by the site's URL rules.

The listing walk asks three questions of each home or listing page — which articles it links to, where
its next page is, which links form its main list (``spiders.base.main_block_ids``) — and each used to scan
the page's anchors and join their URLs again. A listing page of real weight holds ~150 anchors (mega menu,
"most read", footer), most of them the same on every page: a page's anchors are read once (cached while
the response lives), and the join and the URL rules are cached across pages per href.

    reader = LinkReader(site, "http://127.0.0.1:8000", spider.to_base)
    for element, link in reader.anchors(response):
        link.url, link.fetch, link.in_site, link.article_id, link.listing   # listing: (category, page)

What the walk reads of a page — its article links, its main list, the listings it links to — is
``page_links(reader, site, response)`` (``PageLinks``). For a listing page the crawl's extraction worker
reads it (``ListingJob``, in ``PageTask.read``): the page's decode, its lxml parse and the anchors, ~9.9 M
instructions a real-weight listing page, leave the crawl's process, which keeps ~0.6 M for the hand-over
(bench/results.md, crawl10).
The worker builds the same ``HtmlResponse`` from the same bytes, URL and Content-Type (all that Scrapy's
decoding and base URL read), so its answer is the one the spider would have made.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin, urlsplit
from weakref import WeakKeyDictionary

from scrapy.http import HtmlResponse, Response
from scrapy.http.headers import Headers
from scrapy.utils.response import get_base_url

from crawler.sites import Site

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_MAX_CACHED = 50_000  # hrefs (and URLs) remembered; past it the caches start again


@dataclass(frozen=True, slots=True)
class Link:
    url: str  # absolute, as ``response.urljoin(href.strip())``
    fetch: str  # the same path on the crawl's base URL (``to_base``), for a link in the site; else ``url``
    in_site: bool  # on the site's real host or on the crawl's base URL
    article_id: int | None  # ``Site.article_id(url)``
    listing: tuple[int | str, int] | None  # ``Site.listing(url)``: (category, page number)


class LinkReader:
    def __init__(self, site: Site, base_url: str, to_base: Callable[[str], str]) -> None:
        self.site = site
        self.base_url = base_url
        self.to_base = to_base
        self._joined: dict[tuple[str, str], str] = {}
        self._links: dict[str, Link] = {}
        self._pages: WeakKeyDictionary[Response, list[tuple[Any, Link]]] = WeakKeyDictionary()

    def anchors(self, response: Response) -> list[tuple[Any, Link]]:
        """(lxml element, its ``Link``) of every ``<a href>`` of the page, in document order."""
        found = self._pages.get(response)
        if found is None:
            base = get_base_url(response)
            parts = urlsplit(base)
            keys = (parts.scheme, f"{parts.scheme}://{parts.netloc}", base)
            found = [(element, self.link(self.join(base, keys, href.strip())))
                     for element in response.selector.root.iter("a")
                     if (href := element.get("href")) is not None]
            self._pages[response] = found
        return found

    def articles(self, response: Response) -> dict[int, str]:
        """Article ids linked from the page (sidebars included), in page order → a URL to fetch each."""
        found: dict[int, str] = {}
        for _element, link in self.anchors(response):
            if link.in_site and link.article_id is not None and link.article_id not in found:
                found[link.article_id] = link.fetch
        return found

    def listings(self, response: Response) -> list[tuple[str, int | str, int]]:
        """(URL on base_url, category, page number) of every category listing the page links to, in page order."""
        return [(link.fetch, *link.listing) for _element, link in self.anchors(response)
                if link.in_site and link.listing is not None]

    def join(self, base: str, keys: tuple[str, str, str], href: str) -> str:
        """``urljoin(base, href)``, cached under what the result depends on (``keys``): the base's scheme
        for an absolute or scheme-relative href, its origin for a path ("/category/3"), else the whole base."""
        if href.startswith("//") or _SCHEME.match(href):
            key = (keys[0], href)
        elif href.startswith("/"):
            key = (keys[1], href)
        else:
            key = (keys[2], href)
        url = self._joined.get(key)
        if url is None:
            if len(self._joined) >= _MAX_CACHED:
                self._joined.clear()
            url = self._joined[key] = urljoin(base, href)
        return url

    def link(self, url: str) -> Link:
        link = self._links.get(url)
        if link is None:
            if len(self._links) >= _MAX_CACHED:
                self._links.clear()
            in_site = self.site.owns(url) or url.startswith(self.base_url)
            link = self._links[url] = Link(url, self.to_base(url) if in_site else url, in_site,
                                           self.site.article_id(url), self.site.listing(url))
        return link


@dataclass(frozen=True, slots=True)
class PageLinks:
    """What the walk reads of a home or listing page."""

    articles: dict[int, str]  # ``LinkReader.articles``
    listed: set[int]  # ``main_block_ids``: the page's main list
    listings: list[tuple[str, int | str, int]]  # ``LinkReader.listings``


def page_links(reader: LinkReader, site: Site, response: Response) -> PageLinks:
    articles = reader.articles(response)
    return PageLinks(articles, main_block_ids(response, site, articles, reader), reader.listings(response))


def main_block_ids(response: Response, site: Site, links: dict[int, str],
                   reader: LinkReader | None = None) -> set[int]:
    """The article ids of the page's main list, without sidebars ("most read") or other chrome.

    No class names are known for the real site, so this goes by DOM shape: the deepest element that holds
    at least half of the page's distinct article links is the list; sidebars hold fewer. ``reader``: the
    spider's, when the page's anchors were read already.
    """
    reader = reader or LinkReader(site, site.base_url, lambda url: url)
    held: dict[Any, set[int]] = {}
    depth: dict[Any, int] = {}
    for element, link in reader.anchors(response):
        article_id = link.article_id
        if article_id is None or article_id not in links:
            continue
        for level, ancestor in enumerate(reversed(list(element.iterancestors()))):
            held.setdefault(ancestor, set()).add(article_id)
            depth[ancestor] = level
    if not held:
        return set()
    enough = max(2, (len(links) + 1) // 2)
    blocks = [element for element, ids in held.items() if len(ids) >= enough]
    if not blocks:
        return set(links)
    return held[max(blocks, key=depth.__getitem__)]


@dataclass(frozen=True, slots=True)
class ListingJob:
    """A listing page's ``PageLinks``, read in an extraction worker (``crawler.extract.work``, ``PageTask.read``).

    It carries what the spider's reading depends on beyond the body: the URL fetched (relative links join
    to it), the crawl's base URL (which links are in the site, and the URL to fetch each) and the answer's
    Content-Type (Scrapy decodes by it). E.g. ``ListingJob("http://127.0.0.1:8000/category/3/page/2",
    "http://127.0.0.1:8000", b"text/html; charset=utf-8")``."""

    fetched: str
    base_url: str
    content_type: bytes | None

    def __call__(self, task: Any) -> PageLinks:
        headers = Headers({b"Content-Type": self.content_type} if self.content_type is not None else {})
        response = HtmlResponse(self.fetched, body=task.body, headers=headers)
        return page_links(_worker_reader(task.site, self.base_url), task.site, response)


_reader: tuple[Site, str, LinkReader] | None = None  # a worker's, kept across its pages (its caches are per href)


def _worker_reader(site: Site, base_url: str) -> LinkReader:
    global _reader
    if _reader is None or _reader[0] is not site or _reader[1] != base_url:
        _reader = (site, base_url, LinkReader(site, base_url, lambda url: site.to_base(url, base_url)))
    return _reader[2]
