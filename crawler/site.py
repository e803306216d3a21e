"""A news site as data: its URL rules, timezone and optional selectors.

Each outlet is one small module under ``spiders/`` that declares a ``SITE = Site(...)``; the generic
machinery (extraction, spiders, storage) only ever reads these fields.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit


@dataclass(frozen=True)
class Site:
    name: str
    base_url: str  # scheme + host of the real site, e.g. "https://www.alhadath.ps"
    domains: tuple[str, ...]  # hosts that belong to the site, without "www."
    article_path: re.Pattern[str]  # group 1 = numeric article id
    listing_path: re.Pattern[str] | None = None  # group 1 = category id, group "page" = page number
    tag_path: re.Pattern[str] | None = None  # links of an article's tags
    timezone: str = "UTC"
    # The outlet's first year: an extracted publication date before it is a misreading, never stored.
    founded: int | None = None
    own_names: tuple[str, ...] = ()  # the outlet's own name as it appears in bylines (a source, not an author)
    # Optional CSS selectors per record field, tried before the generic fallbacks; a miss falls through.
    # Fields: title, subtitle, published, byline, caption, paragraphs, category, tags.
    selectors: dict[str, str] = field(default_factory=dict)
    # The publication timestamp as the page prints it; the extractor anchors the article's text layout
    # on its first occurrence in the main block (title before it, caption, byline and body after it).
    timestamp_pattern: re.Pattern[str] | None = None
    # "id": the article URL's group (``id`` or the first) is the article number; "url": articles are keyed
    # by ``url_key`` of their path (WordPress permalinks, slug-only CMSes: no number in the URL).
    key: str = "id"
    # Where a crawl finds articles: any of home, listings, ids, sitemaps, feeds, wp-json.
    sources: tuple[str, ...] = ("home", "listings", "ids", "sitemaps", "feeds")
    sitemaps: tuple[str, ...] = ("/sitemap.xml",)  # paths of sitemaps (or sitemap indexes) to read
    feeds: tuple[str, ...] = ()  # feed paths beyond those the home page announces and the common ones
    wp_json: str = ""  # the WordPress REST API's posts route, e.g. "/wp-json/wp/v2/posts"

    def article_id(self, url: str) -> int | None:
        """The article's key: for ``key = "id"`` the number in its URL, whatever its encoding (raw,
        %-encoded, double-encoded); for ``key = "url"`` ``url_key`` of its path. None: not an article URL."""
        path = unquote_fully(urlsplit(url.strip()).path)
        match = self.article_path.match(path)
        if not match:
            return None
        if self.key == "url":
            return url_key(path)
        return int(match.group("id") if "id" in match.re.groupindex else match.group(1))

    def canonical_url(self, article_id: int) -> str:
        """The article's URL from its key; "" for ``key = "url"`` (a key names no URL: callers keep it)."""
        return "" if self.key == "url" else f"{self.base_url}/article/{article_id}"

    def owns(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
        return host in self.domains


def unquote_fully(path: str, rounds: int = 4) -> str:
    """Percent-decoding repeated until stable: links appear raw, %-encoded and double-encoded."""
    for _ in range(rounds):
        unquoted = unquote(path)
        if unquoted == path:
            break
        path = unquoted
    return path


def url_key(path: str) -> int:
    """A stable key for an article without a number: SHA-1 of its normalized path, in [2**62, 2**63).

    Normalized: percent-decoded until stable, trailing ``/`` dropped, so ``/2024/04/29/خبر/`` and
    ``/2024/04/29/%d8%ae%d8%a8%d8%b1`` are one key. In that range it never meets a real numeric id, and it
    fits SQLite's signed 64-bit integers: the archive keeps keying articles by ``article_id``.
    """
    normal = unquote_fully(path).rstrip("/") or "/"
    digest = int.from_bytes(hashlib.sha1(normal.encode("utf-8", "surrogatepass")).digest()[:8], "big")
    return (1 << 62) | (digest & ((1 << 62) - 1))


SITE_MODULES = ("alhadath",)  # sites with a spider module of their own; every other site is a TOML file
SITE_FILES = Path(__file__).resolve().parent / "sites"  # the site files shipped with arshif


def load_site(path: str | Path) -> Site:
    """A site from its TOML file (``crawler/sites/wpnews.toml`` is an example)."""
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    urls, discovery, layout = data.get("urls", {}), data.get("discovery", {}), data.get("layout", {})
    optional = lambda pattern: re.compile(pattern) if pattern else None  # noqa: E731
    return Site(name=data["name"], base_url=data["base_url"].rstrip("/"), domains=tuple(data["domains"]),
                article_path=re.compile(urls["article"]), listing_path=optional(urls.get("listing")),
                tag_path=optional(urls.get("tag")), timezone=data.get("timezone", "UTC"),
                founded=data.get("founded"), own_names=tuple(data.get("own_names", ())),
                selectors=dict(data.get("selectors", {})), timestamp_pattern=optional(layout.get("timestamp")),
                key=data.get("key", "id"), sources=tuple(discovery.get("sources", Site.sources)),
                sitemaps=tuple(discovery.get("sitemaps", Site.sitemaps)), feeds=tuple(discovery.get("feeds", ())),
                wp_json=discovery.get("wp_json", ""))


def _site_folders() -> list[Path]:
    extra = [Path(p) for p in os.environ.get("ARSHIF_SITES", "").split(os.pathsep) if p]
    return [*extra, SITE_FILES]


def site_names() -> list[str]:
    files = {path.stem for folder in _site_folders() if folder.is_dir() for path in folder.glob("*.toml")}
    return [*SITE_MODULES, *sorted(files - set(SITE_MODULES))]


# With no site file, which links are articles: a path whose last segment is a slug of three words or more
# ("/2024/04/29/قصف-على-غزة/", "/news/قصف-على-غزة", "/article/42/قصف-على-غزة"), outside the sections,
# tags, authors, pages and feeds every CMS has.
GUESSED_ARTICLE = (r"^/(?!(?:category|categories|tag|tags|section|sections|author|authors|page|feed|rss|wp-json"
                   r"|search|wp-content|uploads|images|static|assets)(?:/|$))(?:[^/?#]+/)*"
                   r"[^/?#.]+?[-_][^/?#.]+?[-_][^/?#.]+/?$")


def site_from_url(url: str) -> Site:
    """A zero-config site for ``arshif crawl --url``: keyed by URL, found from the home page's links (and the
    pages they lead to), feeds and sitemaps, read by the generic extractor. Dates keep the offsets the pages
    print (article:published_time, JSON-LD, <time datetime>); a date printed without one is read as UTC."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise KeyError(f"not a site URL: {url!r} (use e.g. https://outlet.example/)")
    host = parts.hostname.lower().removeprefix("www.")
    return Site(name=host, base_url=f"{parts.scheme}://{parts.netloc}", domains=(host,),
                article_path=re.compile(GUESSED_ARTICLE), key="url",
                sources=("home", "links", "feeds", "sitemaps"), sitemaps=("/sitemap.xml", "/sitemap_index.xml"))


@lru_cache(maxsize=64)
def get_site(name: str) -> Site:
    """A site by name (a spider module's, or a TOML file in ``ARSHIF_SITES`` or ``crawler/sites``), a path
    to a site file, or a URL (``site_from_url``: no site file)."""
    if name.startswith(("http://", "https://")):
        return site_from_url(name)
    if name in SITE_MODULES:
        return importlib.import_module(f"spiders.{name}").SITE
    if name.endswith(".toml") and Path(name).is_file():
        return load_site(name)
    for folder in _site_folders():
        if (folder / f"{name}.toml").is_file():
            return load_site(folder / f"{name}.toml")
    raise KeyError(f"unknown site {name!r}; known: {', '.join(site_names())}")


def site_for_url(url: str) -> Site | None:
    for name in site_names():
        site = get_site(name)
        if site.owns(url):
            return site
    return None
