"""What both extractors read the same way: the page's record from its fields, identity, images, dates.

``PageFields`` holds one parsed page (tree, walked lines, JSON-LD) and the ``Chain`` that records each
field's stage; ``known.KnownSiteFields`` and ``generic.GenericFields`` add their own chains for the title,
the date, the body and the authors, and override the few readings that differ (an unknown site's byline in
another script is no Arabic byline; its language is its own).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

from lxml import etree

from crawler.bylines import Byline, author_from_title, parse_byline
from crawler.dates import ParsedDate, parse_date
from crawler.extract.dates import EARLIEST_YEAR, in_window
from crawler.extract.layout import NOT_FOUND, Layout
from crawler.extract.metadata import jsonld_article, ld_image, ld_list, ld_text
from crawler.extract.selectors import URL_PATH, select_texts
from crawler.extract.stage import Chain
from crawler.extract.walk import Page, fold, text_content
from crawler.items import ArticleRecord
from crawler.sites import Site
from crawler.sites.model import percent_decoded
from crawler.text import clean_text

ARABIC = re.compile("[\u0600-\u06ff]")


@dataclass(frozen=True)
class Extraction:
    record: ArticleRecord
    sources: dict[str, str]  # field → the stage that gave it (see crawler.extract's docstring)


class PageFields:
    """One parsed page's fields, each read by an ordered chain; ``build()`` gives the Extraction or None."""

    def __init__(self, root, page: Page, site: Site | None, url: str, codec: str, now: datetime | None = None):
        self.root, self.page, self.site, self.url, self.codec = root, page, site, url, codec
        self.chain = Chain()
        self.sources = self.chain.sources
        self.ld = jsonld_article(page.jsonld) if page.jsonld else {}
        self.own_names: tuple[str, ...] = self._own_names()
        self.timezone = site.timezone if site else "UTC"
        self.now = now or datetime.now(timezone.utc)
        self.earliest_year = site.founded if site and site.founded else EARLIEST_YEAR

    def _own_names(self) -> tuple[str, ...]:
        return self.site.own_names if self.site else ()

    def build(self) -> Extraction | None:
        raise NotImplementedError

    def pick(self, name: str, *stages: tuple[str, object]):
        """The first non-empty value of (stage, value) pairs; records the stage under ``name``."""
        return self.chain.first(name, stages)

    def select(self, name: str) -> list[str]:
        """The site's own CSS selector's texts for field ``name`` (none for an unknown site)."""
        if self.shared is None or self.site is None or name not in self.site.selectors:  # (most: no selector)
            return select_texts(self.root, self.site, name)
        key = ("select", name, self.root)  # (the tree itself: a check page's region and full builds share it)
        texts = self.shared.get(key)
        if texts is None:
            texts = self.shared[key] = select_texts(self.root, self.site, name)
        return list(texts)

    # What the builds of one page share (``Templates.extract``: a checked page is built whole, by its story block
    # and by its cut bytes): readings that depend only on what they have in common — the URL, the same tree —
    # each made once, e.g. ``select("title")`` over the whole page's tree for its full and region builds. Set by
    # the caller for one page (None: nothing shared).
    shared: dict | None = None

    # -- readings that differ between the extractors ------------------------------------------

    def _byline(self, byline_raw: str) -> Byline:
        return parse_byline(byline_raw, own_names=self.own_names)

    def _byline_authors(self, byline_raw: str, authors: list[str]) -> list[str]:
        return authors

    def _title_writer(self, writer: str | None) -> str | None:
        return writer

    def _site_name(self, url: str) -> str:
        return self.site.name if self.site else (urlsplit(url).hostname or "").removeprefix("www.")

    def _language(self, title: str) -> str:
        return "ar"

    def _category(self, layout: Layout) -> str:
        return self._metadata_category() or ""

    def _tags(self, layout: Layout) -> list[str]:
        return list(dict.fromkeys(self._metadata_tags() or []))

    # -- the record -----------------------------------------------------------------------------

    def _record(self, title: str, published, layout: Layout, paragraphs: list[str]) -> ArticleRecord:
        ld, meta = self.ld, self.page.meta
        byline_raw = self.pick("byline_raw", ("selector", first(self.select("byline"))),
                               ("layout", layout.byline), ("jsonld", ld_text(ld.get("author"))),
                               ("meta", clean_text(meta.get("author")))) or ""
        byline = self._byline(byline_raw)
        authors = list(byline.authors)
        if authors:
            authors = self._byline_authors(byline_raw, authors)
        return self._record_with(title, published, layout, paragraphs, byline_raw, authors, byline)

    def _record_with(self, title, published, layout: Layout, paragraphs, byline_raw: str, authors: list[str],
                     byline) -> ArticleRecord:
        ld, meta = self.ld, self.page.meta
        if not authors and not byline.agencies:
            writer = self._title_writer(author_from_title(title))
            if writer and (not byline_raw or writer == byline_raw):
                authors = [writer]
                self.sources.setdefault("authors", "layout")
        ld_image_url, ld_caption = ld_image(ld.get("image"))
        caption = self.pick("caption", ("selector", first(self.select("caption"))),
                            ("jsonld", ld_caption), ("layout", layout.caption)) or ""
        image_url = self.pick("images", ("layout", layout.image[0] if layout.image else ""),
                              ("jsonld", ld_image_url), ("meta", meta.get("og:image", "").strip()))
        modified = self._date("modified_at", ("jsonld", ld.get("dateModified")),
                              ("meta", meta.get("article:modified_time")))
        article_id, url = self._identity()
        return {
            "site": self._site_name(url),
            "article_id": article_id,
            "url": url,
            "title": title,
            "subtitle": self.pick("subtitle", ("selector", first(self.select("subtitle"))),
                                  ("jsonld", ld_text(ld.get("alternativeHeadline")))) or "",
            "published_at": published.value.isoformat() if published else None,
            "published_raw": published.raw.strip() if published else "",
            "published_hijri": published.hijri if published else None,
            "modified_at": modified.value.isoformat() if modified else None,
            "byline_raw": byline_raw,
            "authors": authors,
            "agencies": list(byline.agencies),
            "dateline": byline.dateline,
            "paragraphs": paragraphs,
            "images": [{"url": self._absolute(image_url), "caption": caption}] if image_url else [],
            "category": self._category(layout),
            "tags": self._tags(layout),
            "language": self._language(title),
            "encoding": self.codec,
        }

    def _read_date(self, raw) -> ParsedDate | None:
        """A date as a known site's metadata and layout write it, in the window of plausible dates."""
        if raw and isinstance(raw, str):
            parsed = parse_date(raw.strip(), tz=self.timezone)
            if parsed is not None and in_window(parsed, self.now, self.earliest_year):
                return parsed
        return None

    def _date(self, name: str, *stages):
        return self.chain.first(name, stages, self._read_date)

    def _metadata_category(self) -> str | None:
        return self.pick("category", ("selector", first(self.select("category"))),
                         ("jsonld", ld_text(self.ld.get("articleSection"))),
                         ("meta", clean_text(self.page.meta.get("article:section"))))

    def _metadata_tags(self) -> list[str] | None:
        meta_tags = [clean_text(tag) for tag in self.page.meta_all.get("article:tag", []) if clean_text(tag)]
        return self.pick("tags", ("selector", self.select("tags")), ("jsonld", ld_list(self.ld.get("keywords"))),
                         ("meta", meta_tags))

    def _main_time(self, layout: Layout) -> str:
        """The <time datetime> between the main title and the body: never a sidebar's."""
        if layout.title_index < 0:
            return ""
        end = layout.body_start if layout.body_start >= 0 else layout.title_index + 3
        for value, index in self.page.times:
            if layout.title_index <= index <= end:
                return value
        return ""

    def _declares_article(self) -> bool:
        return bool(self.ld) or self.page.meta.get("og:type", "").strip().lower() == "article"

    def _not_found(self) -> bool:
        """A soft-404: "الصفحة غير موجودة" (page not found) as the page title or a heading."""
        texts = [self.page.title_tag] + [line.text for line in self.page.lines if line.heading]
        return any(NOT_FOUND.search(fold(text)) for text in texts
                   if "موجود" in text or "found" in text.lower())

    def _identity(self) -> tuple[int | None, str]:
        canonical = self.page.canonical or self.page.meta.get("og:url", "")
        if self.site is not None:
            article_id = self._article_id(self.url)
            if article_id is None and canonical:
                article_id = self._article_id(canonical)
            if article_id is not None:
                if self.site.canonical_path is None:  # a key made from the URL names no URL: the fetched one
                    return article_id, self.url
                return article_id, self.site.canonical_url(article_id)
        return None, self._absolute(canonical) if canonical else self.url

    def _article_id(self, url: str) -> int | None:
        """``site.article_id(url)``, once per page and URL (``shared``): the URL's %-decoding is ~3% of a page."""
        if self.shared is None:
            return self.site.article_id(url)
        key = ("article_id", url)
        if key not in self.shared:
            self.shared[key] = self.site.article_id(url)
        return self.shared[key]

    def _absolute(self, link: str) -> str:
        if not link:
            return ""
        link = link.strip()
        if not self.page.base_href:  # what urljoin gives them (two urljoins cost ~0.02 ms a page):
            if _PLAIN_ABSOLUTE.fullmatch(link):
                return link
            if _PLAIN_PATH.fullmatch(link) and "/." not in link:
                page = urlsplit(self.url)
                if page.scheme in ("http", "https") and page.netloc:
                    return f"{page.scheme}://{page.netloc}{link}"
        return urljoin(urljoin(self.url, self.page.base_href), link)

    def _links(self, pattern: re.Pattern[str] | None, start: int, end: int) -> Iterator[tuple[int, str, str]]:
        """(line index, text, decoded path) of non-chrome links whose path matches ``pattern``, in page order."""
        for index, el, path in self._link_elements(pattern, start, end):
            yield index, text_content(el), path

    def _link_elements(self, pattern: re.Pattern[str] | None, start: int, end: int,
                       decode: bool = True) -> Iterator[tuple[int, etree._Element, str]]:
        """``_links`` with each link's element for its text: for a caller that reads the text of a few only;
        ``decode=False``: the path as the href writes it (for a caller that does not read it)."""
        if pattern is None:
            return
        if self._link_paths is None:  # the category and the tags both look: each href read once
            self._link_paths = [[index, el, None, href] for el, index, chrome, href in self.page.links if not chrome]
        prefix = path_prefix(pattern)
        for link in self._link_paths:  # (in line order: the walk numbers its links as it meets them)
            index, el, path, href = link
            if index >= end:
                break
            if index < start:
                continue
            if path is None:
                # A path that must start with "/tag/" is part of the href: an href without it is passed over
                # without splitting it (most of a page's links: ~1.5 µs each for the regex over ~135 characters).
                if prefix not in href:
                    continue
                path = link[2] = URL_PATH.match(href.strip()).group(1)
            if pattern.match(path):
                yield index, el, percent_decoded(path) if decode else path

    _link_paths: list[list] | None = None  # [line index, <a>, its path or None until split, its href]

    def _markup(self) -> str:
        if self._markup_cache is None:
            self._markup_cache = etree.tostring(self.root, encoding="unicode")
        return self._markup_cache

    _markup_cache: str | None = None


# An absolute http(s) URL that urljoin returns as it is, whatever the base: a lower-case scheme, a host, and only
# characters urlsplit neither strips nor splits on (no whitespace or controls, no ";" "?" "#" whose empty
# parameters, query or fragment urlunsplit would drop, no "[" "]" it checks as an IPv6 host, ASCII only).
# E.g. https://www.alhadath.ps/article/60/%D8%A7 (a canonical link, an og:image). Others go through urljoin.
_PLAIN_ABSOLUTE = re.compile(r"https?://[A-Za-z0-9.\-_~:@!$&'()*+,=%]+(?:/[A-Za-z0-9.\-_~:@!$&'()*+,=%/]*)?")
# A path from the root of the same characters (not "//", a host; the caller also wants no "." or ".." segment,
# which urljoin would resolve): urljoin puts the page's scheme and host before it, e.g. a WordPress
# canonical link "/2014/11/01/%d9%88…/" on https://wpnews.example/….
_PLAIN_PATH = re.compile(r"/(?!/)[A-Za-z0-9.\-_~:@!$&'()*+,=%/]*")


# The start of a regex that only a literal can match: "^/tag/(\d+)(?:/|$)" → "/tag/". Characters no regex
# gives a meaning to, up to the first other one; the last is dropped when a quantifier follows it ("/tags?/"
# → "/tag"); no prefix for a pattern with an alternative outside any group ("^/tag/|^/topic/") or with the
# case-blind or verbose flag.
_LITERAL_START = re.compile(r"\^?([A-Za-z0-9/_\-=&;,:@~!%]*)")


@lru_cache(maxsize=64)
def path_prefix(pattern: re.Pattern[str]) -> str:
    """A string that every path ``pattern.match``es starts with ("" where none can be told)."""
    source = pattern.pattern
    if not isinstance(source, str) or pattern.flags & (re.IGNORECASE | re.VERBOSE) or _top_level_bar(source):
        return ""
    literal = _LITERAL_START.match(source)[1]
    if source[len(literal) + source.startswith("^"):][:1] in ("?", "*", "+", "{"):
        literal = literal[:-1]
    return literal


def _top_level_bar(source: str) -> bool:
    """Whether a "|" outside every group, class and escape splits the pattern into alternatives."""
    depth, at, in_class = 0, 0, False
    while at < len(source):
        char = source[at]
        if char == "\\":
            at += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            at += 1 + source.startswith("^", at + 1)  # "[]…]" and "[^]…]": that "]" is a member
            at += source.startswith("]", at)
            continue
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth <= 0:
            return True
        at += 1
    return False


def first(values: list[str]) -> str:
    return values[0] if values else ""
