"""A page's links, read once: every ``<a href>`` made absolute and judged by the site's URL rules.

The listing walk asks three questions of each home or listing page — which articles it links to, where
its next page is, which links form its main list (``spiders.base.main_block_ids``) — and each used to scan
the page's anchors and join their URLs again. A listing page of real weight holds ~150 anchors (mega menu,
"most read", footer), most of them the same on every page: a page's anchors are read once (cached while
the response lives), and the join and the URL rules are cached across pages per href.

    reader = LinkReader(site, "http://127.0.0.1:8000", spider.to_base)
    for element, link in reader.anchors(response):
        link.url, link.fetch, link.in_site, link.article_id, link.listing   # listing: (category, page)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin, urlsplit
from weakref import WeakKeyDictionary

from scrapy.http import Response
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

