"""A news site as data: its URL rules, timezone and optional selectors.

Each outlet is one small module under ``spiders/`` that declares a ``SITE = Site(...)``; the generic
machinery (extraction, spiders, storage) only ever reads these fields.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass, field
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

    def article_id(self, url: str) -> int | None:
        """The numeric id of an article URL, whatever its encoding (raw, %-encoded, double-encoded)."""
        path = unquote_fully(urlsplit(url.strip()).path)
        match = self.article_path.match(path)
        return int(match.group(1)) if match else None

    def canonical_url(self, article_id: int) -> str:
        return f"{self.base_url}/article/{article_id}"

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


SITE_MODULES = ("alhadath",)


def get_site(name: str) -> Site:
    if name not in SITE_MODULES:
        raise KeyError(f"unknown site {name!r}; known: {', '.join(SITE_MODULES)}")
    return importlib.import_module(f"spiders.{name}").SITE


def site_for_url(url: str) -> Site | None:
    for name in SITE_MODULES:
        site = get_site(name)
        if site.owns(url):
            return site
    return None
