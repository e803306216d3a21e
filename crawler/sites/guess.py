"""A site known only by its URL (``arshif crawl --url https://outlet.example/``): no site file.

Keyed by URL (``url_key``); its articles are the in-site links whose last path segment is a slug of three
words or more ("/2024/04/29/قصف-على-غزة/", "/news/قصف-على-غزة", "/article/42/قصف-على-غزة"), outside the
sections, tags, authors, pages and feeds every CMS has; found from the home page, the pages it leads to
("links": sections and their next pages), the feeds it announces and the usual sitemap paths; read by the
generic extractor. Dates keep the offsets the pages print (article:published_time, JSON-LD,
``<time datetime>``); a time printed without one is read at the offset the pages print
(``crawler.extract.extractor.Offsets``), UTC until one is seen.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from crawler.sites.model import Discovery, Site

GUESSED_ARTICLE = (r"^/(?!(?:category|categories|tag|tags|section|sections|author|authors|page|feed|rss|wp-json"
                   r"|search|wp-content|uploads|images|static|assets)(?:/|$))(?:[^/?#]+/)*"
                   r"[^/?#.]+?[-_][^/?#.]+?[-_][^/?#.]+/?$")


def is_site_url(name: str) -> bool:
    return name.startswith(("http://", "https://"))


def site_from_url(url: str) -> Site:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not a site URL: {url!r} (use e.g. https://outlet.example/)")
    host = parts.hostname.lower().removeprefix("www.")
    return Site(name=host, base_url=f"{parts.scheme}://{parts.netloc}", domains=(host,),
                article_path=re.compile(GUESSED_ARTICLE), key="url", guessed=True,
                discovery=Discovery(sources=("home", "links", "feeds", "sitemaps"),
                                    sitemaps=("/sitemap.xml", "/sitemap_index.xml")))
