"""A news site as data (``Site``): its URL rules, article key, timezone, selectors and discovery sources.

A ``Site`` is loaded from a TOML file (``crawler.sites.registry``); everything that asks "is this link an
article of the site, which one, and where is it on the host we fetch from" asks it here, once:

    site = get_site("alhadath")
    site.article_key("https://www.alhadath.ps/article/16768/x")         # 16768
    site.listing("/category/9/slug/page/2")                             # (9, 2)
    site.to_base("https://www.alhadath.ps/article/5", "http://127.0.0.1:8000")   # http://127.0.0.1:8000/article/5
    site.to_real("http://127.0.0.1:8000/article/5", "http://127.0.0.1:8000")     # https://www.alhadath.ps/article/5

Scrapy-free and I/O-free: the extractor, the storage layer's callers and the applications all read it.
"""

from __future__ import annotations

import hashlib
import importlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urljoin, urlsplit

KEY_RULES = ("id", "url")
DISCOVERY_SOURCES = ("home", "listings", "ids", "sitemaps", "feeds", "wp-json", "links")  # links: every page followed
SELECTOR_FIELDS = ("title", "subtitle", "published", "byline", "caption", "paragraphs", "category", "tags")
URL_KEY_LOW = 2**62  # url keys live in [2**62, 2**63): far above any numeric article id a CMS hands out

LinkKind = Literal["article", "listing", "tag", "other"]


@dataclass(frozen=True)
class Discovery:
    """Where a crawl finds article URLs besides following links (``[discovery]`` of a site file)."""

    sources: tuple[str, ...] = ("home", "listings")
    sitemaps: tuple[str, ...] = ()  # paths on the site, e.g. ("/sitemap_index.xml",)
    feeds: tuple[str, ...] = ()  # paths, e.g. ("/feed/",)
    wp_json: str = ""  # e.g. "/wp-json/wp/v2/posts"


@dataclass(frozen=True)
class Site:
    name: str
    base_url: str  # scheme + host of the real site, e.g. "https://www.alhadath.ps"
    domains: tuple[str, ...]  # hosts that belong to the site, without "www."
    article_path: re.Pattern[str]  # group "id" (key = "id"): the article number
    listing_path: re.Pattern[str] | None = None  # group "category", group "page" = page number
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
    # "id": the article URL's group "id" is the archive's key; "url": a key made from the URL's path (url_key).
    key: str = "id"
    # The article's canonical path by key, e.g. "/article/{id}" (key = "id" only: a url key has no inverse).
    canonical_path: str | None = None
    discovery: Discovery = Discovery()
    hook: str = ""  # "module:function" for what data cannot say (``load_hook``)
    source: Path | None = field(default=None, compare=False)  # the file it was read from
    # Built from a URL alone (`crawl --url`, ``crawler.sites.guess``): no file, no selectors, generic reading.
    guessed: bool = False

    # -- articles -------------------------------------------------------------------------------

    def article_key(self, url: str) -> int | None:
        """The archive key of an article URL (raw, %-encoded or double-encoded), None for any other URL.

        key = "id": the number in the pattern's group "id" (group 1 without one): /article/16768/x → 16768.
        key = "url": ``url_key`` of the path, in [2**62, 2**63), so it never meets a numeric id.
        """
        path = unquote_fully(urlsplit(url.strip()).path)
        match = self.article_path.match(path)
        if match is None:
            return None
        if self.key == "url":
            return url_key(path)
        return int(match.group("id") if "id" in self.article_path.groupindex else match.group(1))

    article_id = article_key  # the archive's column is ``article_id``: both names read the same key

    def canonical_url(self, article_id: int) -> str:
        """The article's URL on the real site, from its key (key = "id" with ``[urls] canonical``)."""
        if self.canonical_path is None:
            raise ValueError(f"site {self.name!r} has no [urls] canonical path: no URL can be made from key "
                             f"{article_id}")
        return self.base_url + self.canonical_path.format(id=article_id)

    # -- links ----------------------------------------------------------------------------------

    def owns(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
        return host in self.domains

    def listing(self, url: str) -> tuple[int | str, int] | None:
        """(category, page number) of a listing URL, else None. A numeric category is an int
        ("/category/9/slug/page/2" → (9, 2)); the page is 1 when the URL names none."""
        if self.listing_path is None:
            return None
        match = self.listing_path.match(unquote_fully(urlsplit(url).path))
        if match is None:
            return None
        groups = self.listing_path.groupindex
        category = match.group("category") if "category" in groups else match.group(1)
        page = match.group("page") if "page" in groups else None
        return (int(category) if category and category.isdigit() else category or ""), int(page or 1)

    def is_tag(self, url: str) -> bool:
        return self.tag_path is not None and self.tag_path.match(unquote_fully(urlsplit(url).path)) is not None

    def link_kind(self, url: str) -> LinkKind:
        """What a link of the site points to, by the URL patterns (article first, then listing, then tag)."""
        if self.article_key(url) is not None:
            return "article"
        if self.listing(url) is not None:
            return "listing"
        return "tag" if self.is_tag(url) else "other"

    # -- hosts: the real site and the one we fetch from (the mirror, with the same paths) ----------

    def on_site(self, url: str, base_url: str) -> bool:
        """A link of the site: relative, or on its real host, or on the host we fetch from (``base_url``)."""
        return self.owns(url) or urlsplit(urljoin(base_url + "/", url)).hostname == urlsplit(base_url).hostname

    def to_base(self, url: str, base_url: str) -> str:
        """A link of the site (``on_site``) → the same path on ``base_url``; any other URL unchanged.
        ("https://www.alhadath.ps/article/5", "http://127.0.0.1:8000") → "http://127.0.0.1:8000/article/5"."""
        parts = urlsplit(urljoin(base_url + "/", url))
        if self.owns(url) or parts.hostname == urlsplit(base_url).hostname:
            return base_url + parts.path + (f"?{parts.query}" if parts.query else "")
        return url

    def to_real(self, url: str, base_url: str) -> str:
        """A URL fetched from ``base_url`` → the same path on the real site (what records name)."""
        if url.startswith(base_url):
            return self.base_url + url[len(base_url):]
        return url

    def on_real_host(self, url: str) -> str:
        """Any URL's path and query on the real site, whatever host it was fetched from (the fetch URL of a
        stored page, whose base URL is not recorded)."""
        parts = urlsplit(url)
        return self.base_url + parts.path + (f"?{parts.query}" if parts.query else "")

    def load_hook(self) -> Callable[..., Any] | None:
        """The site's ``hook`` ("module:function"), imported on first use; None without one."""
        if not self.hook:
            return None
        module, _, name = self.hook.partition(":")
        return getattr(importlib.import_module(module), name)


def url_key(path: str) -> int:
    """A stable positive 63-bit key for an article known only by its URL, in [2**62, 2**63).

    From the SHA-1 of the normalized path: percent-decoded until stable, Unicode NFC, repeated slashes
    collapsed, no trailing slash, no query or fragment. "/2024/05/01/%D8%BA%D8%B2%D8%A9/" and
    "/2024/05/01/غزة" get the same key, in every process (no ``hash()`` salt).
    """
    path = unquote_fully(urlsplit(path.strip()).path)
    path = re.sub(r"/{2,}", "/", unicodedata.normalize("NFC", path)).rstrip("/") or "/"
    digest = int.from_bytes(hashlib.sha1(path.encode("utf-8")).digest()[:8], "big")
    return URL_KEY_LOW + digest % URL_KEY_LOW


def unquote_fully(path: str, rounds: int = 4) -> str:
    """Percent-decoding repeated until stable: links appear raw, %-encoded and double-encoded."""
    for _ in range(rounds):
        unquoted = percent_decoded(path)
        if unquoted == path:
            break
        path = unquoted
    return path


# A run of %XX escapes (what urllib's decoder turns into bytes; a "%" not before two hex digits stays as it is).
_ESCAPES = re.compile(r"(?:%[0-9A-Fa-f]{2})+")


def percent_decoded(text: str) -> str:
    """``urllib.parse.unquote(text)`` (UTF-8, errors replaced), a run of escapes at a time where ``text`` is ASCII.

    urllib decodes an ASCII string one escape at a time in Python (a %-encoded Arabic slug of 100 letters: 200
    escapes, ~30 µs, the costliest step of reading an article page's id); here each run of escapes becomes its
    bytes by ``bytes.fromhex`` (as latin-1 characters, one a byte), and the whole is then read as UTF-8 with
    errors replaced, as urllib reads it: "/article/5/%D8%BA%D8%B2%D8%A9" → "/article/5/غزة" in ~1/4 of the time.
    A string with other characters goes to urllib (it keeps them as they are).
    """
    if "%" not in text:
        return text
    if not text.isascii():
        return unquote(text)
    return _ESCAPES.sub(_escaped_bytes, text).encode("latin-1").decode("utf-8", "replace")


def _escaped_bytes(match: re.Match[str]) -> str:
    return bytes.fromhex(match[0].replace("%", "")).decode("latin-1")
