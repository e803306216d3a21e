"""Each field's ordered chain over one parsed page, and the public entry points."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from urllib.parse import unquote, urljoin, urlsplit

from lxml import etree

from crawler.bylines import Byline, author_from_title, parse_byline
from crawler.dates import parse_date
from crawler.extract.decode import decode, parse, parsed_bytes
from crawler.extract.generic import (EARLIEST_YEAR, DateChain, byline_names, choose_title, host_label,
                                     drop_archive_toolbar, drop_related_boxes, htmldate_date, in_window, ld_persons, markup_authors, meta_date, page_language, person_names, unescape, url_date,
                                     visible_dates)
from crawler.extract.layout import NOT_FOUND, Layout, read_layout
from crawler.extract.metadata import jsonld_article, jsonld_by_id, ld_image, ld_list, ld_text
from crawler.extract.selectors import URL_PATH, select_texts
from crawler.extract.template import TEMPLATES
from crawler.extract.walk import Page, fold, text_content, walk
from crawler.items import ArticleRecord
from crawler.sites import Site, get_site, site_for_url
from crawler.text import clean_text

@dataclass(frozen=True)
class Extraction:
    record: ArticleRecord
    sources: dict[str, str]  # field → the stage that gave it (see crawler.extract's docstring)


def extract_article(body: bytes, url: str, *, site: str | Site | None = None,
                    encoding: str | None = None, now: datetime | None = None) -> ArticleRecord | None:
    """One article's record, or None when the page holds no article (soft-404, listing, error page).

    ``site``: a site name ("alhadath"), a ``Site`` (e.g. with other selectors), or None for the site
    owning ``url`` — any other page is read generically. ``encoding``: the HTTP charset, if any.
    """
    extraction = extract_with_trace(body, url, site=site, encoding=encoding, now=now)
    return extraction.record if extraction else None


def extract_with_trace(body: bytes, url: str, *, site: str | Site | None = None,
                       encoding: str | None = None, now: datetime | None = None) -> Extraction | None:
    """Like ``extract_article``, with the stage each field came from (for the quality monitor).

    ``now``: when the page was fetched (default: now); a publication date after it is a misreading.
    """
    if not body:
        return None
    text, codec = decode(body, encoding)
    exact = codec == "utf-8" and not body.startswith(codecs.BOM_UTF8) and "\ufffd" not in text
    site_model = _named_site(site, url)
    if site_model is None:
        root = parse(text, body if exact else None)
        if root is None:
            return None
        site_model = _site_of_page(root)
        if site_model is None:
            if b"wm-ipp" in body or "wm-ipp" in text:
                drop_archive_toolbar(root)
            return _Builder(root, walk(root, None), None, url, codec, now).build()
    else:
        root = None
    stamp = site_model.timestamp_pattern

    def parse_whole() -> etree._Element | None:
        return root if root is not None else parse(text, body if exact else None)

    def build(tree, region, context) -> Extraction | None:
        page = walk(tree, stamp) if region is None else walk(region, stamp, head=tree.find("head"), context=context)
        return _Builder(tree, page, site_model, url, codec, now).build()

    # A known site's pages share a layout: walk only the story's block once it is known, and parse only
    # that block's bytes where they allow it (see template and cut).
    return TEMPLATES.extract(site_model.name, parse_whole, build, lambda extraction: extraction.record,
                             source=parsed_bytes(text, body if exact else None) if root is None else None,
                             selectors=list(site_model.selectors.values()))


def _named_site(name: str | Site | None, url: str) -> Site | None:
    """The named site, else the one owning the URL (else ``_site_of_page`` asks the page)."""
    if isinstance(name, Site):
        return name
    if name:
        return get_site(name)
    return site_for_url(url)


def _site_of_page(root: etree._Element) -> Site | None:
    """The site the page's canonical link names."""
    for href in _CANONICAL(root):
        site = site_for_url(href.strip())
        if site is not None:
            return site
    return None


_ARABIC = re.compile("[\u0600-\u06ff]")
_CANONICAL = etree.XPath("//link[@rel='canonical']/@href | //meta[@property='og:url']/@content")


class _Builder:
    """Runs each field's chain over one parsed page and records where each value came from."""

    def __init__(self, root, page: Page, site: Site | None, url: str, codec: str, now: datetime | None = None):
        self.root, self.page, self.site, self.url, self.codec = root, page, site, url, codec
        self.sources: dict[str, str] = {}
        self.ld = jsonld_article(page.jsonld) if page.jsonld else {}
        self.own_names = site.own_names if site else tuple(filter(None, [clean_text(page.meta.get("og:site_name"))]))
        # Times printed without an offset: the site's zone; an unknown site's page says its own or is read as UTC.
        self.timezone = site.timezone if site else "UTC"
        self.now = now or datetime.now(timezone.utc)
        self.earliest_year = (site.founded if site and site.founded else EARLIEST_YEAR)
        self.generic_authors: tuple[list[str], str, str] | None = None  # (authors, byline_raw, stage)

    def pick(self, name: str, *stages: tuple[str, object]):
        """The first non-empty value of (stage, value) pairs; records the stage under ``name``."""
        for stage, value in stages:
            if value:
                self.sources[name] = stage
                return value
        return None

    def build(self) -> Extraction | None:
        page, ld = self.page, self.ld
        if self._not_found():
            return None
        if self.site is None:
            return self._build_generic()
        # A logo heading (<h1><a>الحدث</a></h1>) is no title.
        selected_title = first([t for t in select_texts(self.root, self.site, "title") if t not in self.own_names])
        meta_title = self._meta_title()
        hints = [t for t in (selected_title, ld_text(ld.get("headline")), meta_title, page.title_tag) if t]
        hints += [line.text for line in page.lines if line.heading and line.text][:3]
        anchor_title = selected_title or ld_text(ld.get("headline")) or meta_title or self._first_heading()
        layout = read_layout(page, self.site, hints, anchor_title, self.own_names)

        title = self.pick("title", ("selector", selected_title), ("jsonld", ld_text(ld.get("headline"))),
                          ("meta", meta_title), ("layout", layout.title))
        if not title:
            return None
        if layout.title and layout.title != title and len(layout.title) > len(title) \
                and fold(layout.title).startswith(fold(title.rstrip(".…"))):
            title = layout.title  # metadata cut the title short ("… " at 110 characters); the page prints it whole
            self.sources["title"] = "layout"
        published = self._published(layout)
        if published is None and self.site is not None and not self._declares_article():
            return None  # the site prints a timestamp on every article; without one this is no article
        paragraphs = self.pick("paragraphs", ("selector", select_texts(self.root, self.site, "paragraphs")),
                               ("layout", layout.paragraphs if self.site is not None else None))
        if not paragraphs and self.site is None:
            paragraphs = self.pick("paragraphs", ("trafilatura", self._trafilatura_body(title, layout)))
        if not paragraphs:
            return None
        if self.site is None and published is None and not self._declares_article():
            return None  # an unknown site's page with no date and no article metadata: a listing or a page
        return Extraction(self._record(title, published, layout, paragraphs), self.sources)

    def _build_generic(self) -> Extraction | None:
        """A page of a site we have no module for: a record whenever it holds a title and a body."""
        page, ld = self.page, self.ld
        names = self._outlet_names()
        h1 = next((text for text in (text_content(el) for el in self.root.iter("h1")) if text), "") \
            or next((line.text for line in page.lines if line.heading and line.text and not line.chrome), "")
        stage, title = choose_title(h1, ld_text(ld.get("headline")),
                                    page.meta.get("og:title") or page.meta.get("twitter:title") or "",
                                    page.title_tag, names)
        if not title:
            return None
        self.sources["title"] = stage
        hints = [t for t in (title, h1, page.title_tag) if t]
        layout = read_layout(page, None, hints, title, self.own_names)
        if layout.title_index < 0 and h1 and h1 != title:
            layout = read_layout(page, None, hints, h1, self.own_names)
        published = self._generic_published(layout)
        paragraphs = self.pick("paragraphs", ("trafilatura", self._trafilatura_body(title, layout)))
        if not paragraphs:
            return None
        self.generic_authors = self._generic_authors(layout, names)
        return Extraction(self._record(title, published, layout, paragraphs), self.sources)

    def _outlet_names(self) -> list[str]:
        """The outlet's own names: og:site_name, JSON-LD publisher, application-name, the domain's label."""
        meta = self.page.meta
        publisher = self.ld.get("publisher")
        return [clean_text(unescape(n)) for n in (*self.own_names, ld_text(publisher) if publisher else "",
                                                  meta.get("application-name") or "", meta.get("og:site_name") or "",
                                                  host_label(self.url)) if n and clean_text(n)]

    def _generic_published(self, layout: Layout):
        chain = DateChain(self.timezone, self.now, self.earliest_year)
        meta = self.page.meta
        stages = [("jsonld", self.ld.get("datePublished")), ("meta", meta_date(meta)),
                  ("time", self._main_time(layout)), ("layout", layout.published_raw),
                  *(("visible", text) for text in visible_dates(self.page.lines, layout.title_index,
                                                                layout.body_start)),
                  ("url", url_date(self.url)), ("jsonld", self.ld.get("dateCreated")),
                  ("time", self.page.times[0][0] if len(self.page.times) == 1 else ""),
                  ("htmldate", lambda: htmldate_date(self._markup(), self.url, self.now))]
        found = chain.first(stages) or chain.relative
        if found is None or found[0] not in ("jsonld", "meta", "time"):
            return self._found(found)
        from_url = url_date(self.url)
        days = (found[1].value.date() - date.fromisoformat(from_url)).days if from_url else 0
        if abs(days) > 1:
            # The URL is fixed when a story is first published; metadata often carries a later republication
            # (befifty.de/…/2017/7/12/… with a JSON-LD datePublished of 2019): the URL's day is the original.
            return self._found(chain.first([("url", from_url)]) or found)
        if found[1].value.utcoffset() == timedelta(0):
            # A time given in UTC may fall on the next or previous day of the publisher's own calendar
            # (twincities.com/2023/11/08/… with datePublished 2023-11-09T05:30:59Z): the day the URL or the
            # page's printed date names is the local one.
            local = [("url", from_url)] if abs(days) == 1 else []
            if not local and not from_url:
                local = [("visible", text) for text in visible_dates(self.page.lines, layout.title_index,
                                                                     layout.body_start)]
            other = DateChain(self.timezone, self.now, self.earliest_year).first(local)
            if other is not None and abs((found[1].value.date() - other[1].value.date()).days) == 1:
                return self._found(other)
        return self._found(found)

    def _found(self, found):
        if found is None:
            return None
        self.sources["published_at"] = found[0]
        return found[1]

    def _generic_authors(self, layout: Layout, names: list[str]) -> tuple[list[str], str, str]:
        own = {fold(name).casefold() for name in names}
        meta = self.page.meta
        ld_names, _ = ld_persons(self.ld.get("author"), lambda: jsonld_by_id(self.page.jsonld))
        meta_names = [meta.get(key, "") for key in ("author", "article:author", "parsely-author", "dc.creator",
                                                     "sailthru.author", "byl")]
        for stage, raw in (("jsonld", ld_names), ("meta", [m for m in meta_names if m and "://" not in m]),
                           ("layout", lambda: byline_names(self.page.lines, layout.title_index, layout.body_start)),
                           ("markup", lambda: markup_authors(self.root))):
            raw = raw() if callable(raw) else raw
            authors = person_names(raw, own)
            if authors:
                return authors, "، ".join(raw) if stage == "jsonld" else clean_text(raw[0]), stage
        return [], "", ""

    def _markup(self) -> str:
        if self._markup_cache is None:
            self._markup_cache = etree.tostring(self.root, encoding="unicode")
        return self._markup_cache

    _markup_cache: str | None = None

    # -- fields ----------------------------------------------------------------------------

    def _record(self, title: str, published, layout: Layout, paragraphs: list[str]) -> ArticleRecord:
        ld, meta = self.ld, self.page.meta
        if self.generic_authors and self.generic_authors[0]:
            authors, byline_raw, stage = self.generic_authors
            self.sources["byline_raw"] = self.sources["authors"] = stage
            byline = self._byline(byline_raw)
            return self._record_with(title, published, layout, paragraphs, byline_raw, authors, byline)
        byline_raw = self.pick("byline_raw", ("selector", first(select_texts(self.root, self.site, "byline"))),
                               ("layout", layout.byline), ("jsonld", ld_text(ld.get("author"))),
                               ("meta", clean_text(meta.get("author")))) or ""
        byline = self._byline(byline_raw)
        authors = list(byline.authors)
        if self.site is None and authors:
            # The byline grammar is Arabic news's ("الحدث - رام الله - name"); on other scripts its dashes
            # and words are no guide ("Audio: Antenne Brandenburg | Eva Kirchner-Rätsch" is no list of people).
            authors = person_names(authors, {fold(n).casefold() for n in self._outlet_names()}) \
                if _ARABIC.search(byline_raw) else []
        return self._record_with(title, published, layout, paragraphs, byline_raw, authors, byline)

    def _byline(self, byline_raw: str) -> Byline:
        """The byline grammar is Arabic news's (outlet - city - writer): an unknown site's byline in another
        script has no dateline or agency to read ("Anne-Marie Haddad" names no town "Anne")."""
        if self.site is None and not _ARABIC.search(byline_raw):
            return Byline()
        return parse_byline(byline_raw, own_names=self.own_names)

    def _record_with(self, title, published, layout: Layout, paragraphs, byline_raw: str, authors: list[str],
                     byline) -> ArticleRecord:
        ld, meta = self.ld, self.page.meta
        if not authors and not byline.agencies:
            writer = author_from_title(title)
            # "… - name" ends opinion titles on Arabic sites; elsewhere "Vanlife in Schweden - Skandinavien im
            # Wohnmobil" is a subtitle, so an unknown site's writer must be written in Arabic script.
            if writer and self.site is None and not _ARABIC.search(writer):
                writer = None
            if writer and (not byline_raw or writer == byline_raw):
                authors = [writer]
                self.sources.setdefault("authors", "layout")
        ld_image_url, ld_caption = ld_image(ld.get("image"))
        caption = self.pick("caption", ("selector", first(select_texts(self.root, self.site, "caption"))),
                            ("jsonld", ld_caption), ("layout", layout.caption)) or ""
        image_url = self.pick("images", ("layout", layout.image[0] if layout.image else ""),
                              ("jsonld", ld_image_url), ("meta", meta.get("og:image", "").strip()))
        modified = self._date("modified_at", ("jsonld", ld.get("dateModified")),
                              ("meta", meta.get("article:modified_time")))
        article_id, url = self._identity()
        return {
            "site": self.site.name if self.site else (urlsplit(url).hostname or "").removeprefix("www."),
            "article_id": article_id,
            "url": url,
            "title": title,
            "subtitle": self.pick("subtitle", ("selector", first(select_texts(self.root, self.site, "subtitle"))),
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
            "language": "ar" if self.site is not None else page_language(self.root, title),
            "encoding": self.codec,
        }

    def _published(self, layout: Layout):
        return self._date("published_at",
                          ("selector", first(select_texts(self.root, self.site, "published"))),
                          ("jsonld", self.ld.get("datePublished")),
                          ("meta", self.page.meta.get("article:published_time")),
                          ("time", self._main_time(layout)),
                          ("layout", layout.published_raw))

    def _date(self, name: str, *stages):
        for stage, raw in stages:
            if raw and isinstance(raw, str):
                parsed = parse_date(raw.strip(), tz=self.timezone)
                if parsed is not None and in_window(parsed, self.now, self.earliest_year):
                    self.sources[name] = stage
                    return parsed
        return None

    def _main_time(self, layout: Layout) -> str:
        """The <time datetime> between the main title and the body: never a sidebar's."""
        if layout.title_index < 0:
            return ""
        end = layout.body_start if layout.body_start >= 0 else layout.title_index + 3
        for value, index in self.page.times:
            if layout.title_index <= index <= end:
                return value
        return ""

    def _meta_title(self) -> str:
        """og:title without the outlet's name the title tag convention appends (``… | الحدث``)."""
        title = clean_text(self.page.meta.get("og:title") or self.page.meta.get("twitter:title"))
        for name in (*self.own_names, clean_text(self.page.meta.get("og:site_name"))):
            if name:
                for sep in (" | ", " - ", " – "):
                    title = title.removesuffix(sep + name).removeprefix(name + sep)
        return title

    def _first_heading(self) -> str:
        return next((line.text for line in self.page.lines if line.heading and line.text), "")

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
            article_id = self.site.article_id(self.url)
            if article_id is None and canonical:
                article_id = self.site.article_id(canonical)
            if article_id is not None:
                if self.site.canonical_path is None:  # a key made from the URL names no URL: the fetched one
                    return article_id, self.url
                return article_id, self.site.canonical_url(article_id)
        return None, self._absolute(canonical) if canonical else self.url

    def _absolute(self, link: str) -> str:
        return urljoin(urljoin(self.url, self.page.base_href), link.strip()) if link else ""

    def _links(self, pattern: re.Pattern[str] | None, start: int, end: int) -> Iterator[tuple[int, str, str]]:
        """(line index, text, decoded path) of non-chrome links whose path matches ``pattern``, in page order."""
        if pattern is None:
            return
        if self._link_paths is None:  # the category and the tags both look: each href read once
            self._link_paths = [(index, el, URL_PATH.match(el.get("href", "").strip()).group(1))
                                for el, index, chrome in self.page.links if not chrome]
        for index, el, path in self._link_paths:
            if start <= index < end and pattern.match(path):
                yield index, text_content(el), unquote(path) if "%" in path else path

    _link_paths: list[tuple[int, etree._Element, str]] | None = None

    def _category(self, layout: Layout) -> str:
        selected = first(select_texts(self.root, self.site, "category"))
        found = self.pick("category", ("selector", selected), ("jsonld", ld_text(self.ld.get("articleSection"))),
                          ("meta", clean_text(self.page.meta.get("article:section"))))
        if found or self.site is None or layout.title_index < 0:
            return found or ""
        # The breadcrumb: the section link nearest above the title, alone on its line and not part of a
        # menu (a line of several section links, or a run of three or more lines of them).
        links = list(self._links(self.site.listing_path, 0, max(layout.body_end, layout.title_index) + 1))
        per_line: dict[int, int] = {}
        for index, _, _ in links:
            per_line[index] = per_line.get(index, 0) + 1
        in_menu = {index for index in per_line
                   if sum(i in per_line for i in range(index - 2, index + 3)) >= 3
                   and any(all(j in per_line for j in range(k, k + 3)) for k in range(index - 2, index + 1))}
        lone = [(index, text) for index, text, _ in links
                if text and per_line[index] == 1 and index not in in_menu]
        above = [item for item in lone if item[0] <= layout.title_index]
        below = [item for item in lone if item[0] > layout.title_index]
        choice = above[-1] if above else (below[0] if below else None)
        return self.pick("category", ("layout", choice[1] if choice else "")) or ""

    def _tags(self, layout: Layout) -> list[str]:
        selected = select_texts(self.root, self.site, "tags")
        meta_tags = [clean_text(tag) for tag in self.page.meta_all.get("article:tag", []) if clean_text(tag)]
        found = self.pick("tags", ("selector", selected), ("jsonld", ld_list(self.ld.get("keywords"))),
                          ("meta", meta_tags))
        if found or self.site is None or layout.body_start < 0:
            return list(dict.fromkeys(found or []))
        # The first run of tag links after the body (a tag cloud elsewhere on the page is not the article's).
        run: list[str] = []
        last = None
        for index, text, path in self._links(self.site.tag_path, layout.body_start, 10**9):
            if last is not None and index - last > 3:
                break
            name = text or clean_text(path.rstrip("/").rsplit("/", 1)[-1].replace("_", " "))
            run.append(name)
            last = index
        return list(dict.fromkeys(self.pick("tags", ("layout", run)) or []))

    def _trafilatura_body(self, title: str, layout: Layout) -> list[str]:
        """Body paragraphs of an unknown site's page, without the title, byline and caption lines."""
        import trafilatura  # only unknown sites pay for it

        try:
            result = trafilatura.bare_extraction(self._markup(),
                                                 include_comments=False, include_tables=True,
                                                 with_metadata=False)
        except Exception:  # trafilatura on hostile markup: no body rather than a crash
            return []
        body = getattr(result, "text", None) if result is not None else None
        if isinstance(result, dict):
            body = result.get("text")
        skip = {fold(title), fold(layout.byline), fold(layout.caption), fold(layout.published_raw)} - {""}
        lines = [text for text in map(clean_text, (body or "").split("\n")) if text and fold(text) not in skip]
        lines = drop_related_boxes(lines) or lines
        # A date line opening the body ("12 آذار 2019" printed under the title) is the dateline, not text.
        while lines and len(lines[0]) <= 40 and any(ch.isdigit() for ch in lines[0]) \
                and parse_date(lines[0], tz=self.timezone) is not None and len(lines) > 1:
            lines.pop(0)
        return lines


def first(values: list[str]) -> str:
    return values[0] if values else ""
