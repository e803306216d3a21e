"""The entry points: an ``Extractor`` (which owns the templates it learns) and the one-call API.

A spider, a reparse or a probe holds one ``Extractor`` for its run: the story block of a site's pages is
learned from its first pages (``crawler.extract.template``) and belongs to that run, not to the process —
two spiders in one process, or a test after another, never share what the other learned.

``extract_article(body, url)`` / ``extract_with_trace(...)`` stay the one-call API: without ``extractor=``
they use the module's default Extractor (one per process, as the spider-less callers — the CLI's
``arshif extract``, benchmarks, tests — always had).
"""

from __future__ import annotations

import codecs
import re
from collections import Counter
from dataclasses import replace
from datetime import datetime

from lxml import etree

from crawler.extract.cleaning import drop_archive_toolbar
from crawler.extract.cut import Cut, cut_parser, markup_spans
from crawler.extract.decode import decode, exact_utf8, holds, parse, parse_utf8, parsed_bytes
from crawler.extract.fields import Extraction
from crawler.extract.generic import GenericFields
from crawler.extract.known import KnownSiteFields
from crawler.extract.template import Templates
from crawler.extract.walk import walk
from crawler.items import ArticleRecord
from crawler.sites import Site, get_site, site_for_url, url_host


class Extractor:
    """Reads article pages into records; learns each known site's story block as it goes."""

    def __init__(self) -> None:
        self.templates = Templates()
        self.offsets = Offsets()

    def extract_article(self, body: bytes, url: str, *, site: str | Site | None = None,
                        encoding: str | None = None, now: datetime | None = None) -> ArticleRecord | None:
        """One article's record, or None when the page holds no article (soft-404, listing, error page).

        ``site``: a site name ("alhadath"), a ``Site`` (e.g. with other selectors), or None for the site
        owning ``url`` — any other page is read generically. ``encoding``: the HTTP charset, if any.
        """
        extraction = self.extract_with_trace(body, url, site=site, encoding=encoding, now=now)
        return extraction.record if extraction else None

    def _by_host(self, host: str, body: bytes, text: str | None, codec: str, exact: bool, url: str,
                 now: datetime | None) -> Extraction | None:
        """A page of a site with no site file, by the generic chain through the template of its host: once the
        host has given a few pages, its story block is learned from the chain's own answers (template)."""
        whole: list[etree._Element | None] = []
        source = parsed_bytes(text, body if exact else None)
        key = "//" + host
        storyless = self.templates.storyless(key)
        story: list[bool] = []  # per build: True a record, False a title and no story
        skipped: list[bool] = []
        shared: dict = {}  # the builds' readings of a tree of this page (``GenericFields.shared``)

        def parse_whole() -> etree._Element | None:
            if not whole:  # (bytes ``parsed_bytes`` took are those ``parse`` would parse as they are)
                whole.append(parse_utf8(source) if source is not None else parse(text, body if exact else None))
            return whole[0]

        def build(tree, region, context) -> Extraction | None:
            owner = _site_of_page(tree)
            if owner is not None:
                raise _OwnedPage(owner)
            page = walk(tree, None, blocks=True) if region is None \
                else walk(region, None, head=tree.find("head"), context=context, blocks=True)
            fields = GenericFields(tree, page, None, url, codec, now)
            fields.storyless = storyless
            fields.shared = shared
            if not whole or tree is not whole[0]:  # the block's bytes alone were parsed (crawler.extract.cut)
                cut = self.templates.sites[key].parsed
                fields.partial = _PartialPage(cut, source).answers
            extraction = fields.build()
            if extraction is not None or fields.no_story:
                story.append(extraction is not None)
                skipped.append(fields.skipped)
            return None if fields.needs_whole else extraction

        extraction = self.templates.extract(key, parse_whole, build, lambda extraction: extraction.record,
                                            source=source, selectors=["h1"], learn_after=HOST_LEARN_AFTER,
                                            trial=HOST_TRIAL, settled=lambda: story[-1:] == [False])
        self.templates.story_seen(key, True if extraction is not None else (False if False in story else None),
                                 any(skipped))
        return extraction

    def extract_with_trace(self, body: bytes, url: str, *, site: str | Site | None = None,
                           encoding: str | None = None, now: datetime | None = None) -> Extraction | None:
        """Like ``extract_article``, with the stage each field came from (for the quality monitor).

        ``now``: when the page was fetched (default: now); a publication date after it is a misreading.
        """
        if not body:
            return None
        site_model = _named_site(site, url)
        if site_model is not None and site_model.guessed:  # `crawl --url`: no timezone known but the pages'
            text, codec = decode(body, encoding)  # (their text is read: the offsets they print)
            exact = codec == "utf-8" and not body.startswith(codecs.BOM_UTF8) and "\ufffd" not in text
            site_model = self.offsets.learn(site_model, text)
        else:
            # Strict UTF-8 bytes are parsed as they are: their text is not built (``exact_utf8``: ~0.012 ms where
            # decoding a 94 KB page of scripts with an Arabic title cost ~0.08 ms); ``parse`` decodes it if it must.
            exact = exact_utf8(body, encoding)
            text, codec = (None, "utf-8") if exact else decode(body, encoding)
        root = None
        if site_model is None:
            host = url_host(url)
            # The Wayback toolbar's ids; on the bytes alone where the codec writes ASCII as itself (a str
            # search of a 115 KB Arabic page costs as much as the bytes' again: ~0.1 ms, 8% of a template page).
            # By memmem (``decode.holds``): CPython's searches test one byte of the needle at each step and skip on a
            # filter that Arabic UTF-8 bytes and CSS pass too often (120 KB: ``in`` 0.062, rfind 0.022 ms, memmem less).
            archived = holds(body, b"wm-ipp") or (codec not in _ASCII_AS_ITSELF and text.rfind("wm-ipp") >= 0)
            if host and not archived:
                try:
                    return self._by_host(host, body, text, codec, exact, url, now)
                except _OwnedPage as owned:  # its canonical link names a site we know: read as that site
                    site_model = owned.site
            else:
                root = parse(text, body if exact else None)
                if root is None:
                    return None
                site_model = _site_of_page(root)
                if site_model is None:
                    if archived:
                        drop_archive_toolbar(root)
                    return GenericFields(root, walk(root, None, blocks=True), None, url, codec, now).build()
        stamp = site_model.timestamp_pattern

        source = parsed_bytes(text, body if exact else None) if root is None else None
        # A windows-1256 page is cut as its bytes too, the cut decoded as the whole text is (``cut.cut_parser``).
        one_byte = cut_parser(codec) if source is None and root is None and text is not None else None
        shared: dict = {}  # what this page's builds share (``PageFields.shared``)

        def parse_whole() -> etree._Element | None:
            if root is not None:
                return root
            return parse_utf8(source) if source is not None else parse(text, body if exact else None)

        def build(tree, region, context) -> Extraction | None:
            page = walk(tree, stamp) if region is None else walk(region, stamp, head=tree.find("head"),
                                                                  context=context)
            fields = KnownSiteFields(tree, page, site_model, url, codec, now)
            fields.shared = shared
            return fields.build()

        # A known site's pages share a layout: walk only the story's block once it is known, and parse only
        # that block's bytes where they allow it (see template and cut).
        return self.templates.extract(site_model.name, parse_whole, build, lambda extraction: extraction.record,
                                      source=source if one_byte is None else body,
                                      selectors=list(site_model.selectors.values()),
                                      parse_cut=parse_utf8 if one_byte is None else one_byte)


class Offsets:
    """The UTC offset an outlet known by its URL alone prints (``Site.guessed``), learned from its pages.

    Its pages' machine-readable times carry offsets (``article:modified_time``, JSON-LD ``datePublished``,
    ``<time datetime>``: e.g. 2024-03-05T10:00:00+02:00); a time printed for people has none ("10:00").
    Each page's offsets are counted before it is read, and a time without one is read at the commonest
    whole-hour offset seen so far (as the zone Etc/GMT-2 for +02:00: a fixed offset, not the outlet's DST
    rules). No offset seen yet: UTC, as before. Half-hour offsets (+05:30) are not applied.
    """

    # An ISO time with an explicit offset, as metadata writes it; "Z" counts as +00:00.
    # It starts at the literal "T" and looks behind for the day: the regex engine then jumps from one "T" to the
    # next instead of trying a year at every character (2.2 → 0.04 ms on a 113 KB page; same matches).
    _STAMP = re.compile(r"T(?<=\b\d{4}-\d{2}-\d{2}T)\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:([+-])(\d{2}):?(\d{2})|Z)\b")

    def __init__(self) -> None:
        self.seen: dict[str, Counter[int]] = {}  # site name → minutes east of UTC → pages printing it

    def learn(self, site: Site, text: str) -> Site:
        """``site`` with the timezone its pages so far (this one included) print."""
        counts = self.seen.setdefault(site.name, Counter())
        page = set()
        for match in self._STAMP.finditer(text[:200_000]):
            sign, hours, minutes = match.groups()
            page.add(0 if sign is None else (1 if sign == "+" else -1) * (int(hours) * 60 + int(minutes)))
        counts.update(page)
        if not counts:
            return site
        minutes = counts.most_common(1)[0][0]
        if minutes % 60 or not -12 <= minutes // 60 <= 14:
            return site
        hours = minutes // 60
        return replace(site, timezone="UTC" if hours == 0 else f"Etc/GMT{-hours:+d}")


# Codecs in which an ASCII character of the text comes from that very byte (and only from it): text holding
# "wm-ipp" means bytes holding b"wm-ipp" (not so for UTF-16 or EBCDIC).
_ASCII_AS_ITSELF = frozenset(("utf-8", "cp1256", "iso8859-6", "cp1252", "iso8859-1", "ascii"))

HOST_LEARN_AFTER = 3  # a host's pages before its template is learned: a site seen once or twice pays nothing
HOST_TRIAL = 3  # pages a host's new template runs beside the full chain, and must agree on, before it serves


class _OwnedPage(Exception):
    """A page under an unknown host whose canonical link names a site with a site file."""

    def __init__(self, site: Site):
        super().__init__(site.name)
        self.site = site


class _PartialPage:
    """Whether a generic stage that reads the whole page gives the same answer from a cut page (its <head> and
    story block alone), asked by ``GenericFields`` before such a stage runs on one:

    - "htmldate" never: it reads every date on the page (the header's visit day included);
    - "markup" (byline elements: class="author", rel="author", …) only when no author-like word occurs in a
      tag of the page's bytes outside the cut (those before and after the block, as the cut found them): e.g.
      a "writers" box in the sidebar would have answered first on the whole page;
    - "trafilatura" never: it weighs the block against the rest of the page, and on the block alone it
      keeps other lines (one of the first 40 real-weight alhadath mirror pages differed).

    The body read by DOM shape and text density (``crawler.extract.body``) asks nothing: it reads the
    block's own containers; the template's trial and every-Nth-page check compare it with the whole page's.
    """

    def __init__(self, cut: Cut | None, source: bytes | None):
        self.cut, self.source = cut, source

    def answers(self, stage: str) -> bool:
        if stage == "markup":
            outside = self.cut.outside(self.source) if self.cut is not None and self.source else None
            if outside is None:
                return False
            # The <body> tag apart (``Cut.outside``): a rest the same from page to page is counted once. Whether a
            # word stands in a tag of the rest is the same alone as after that tag (it ends in ">" and holds no
            # other "<").
            body_tag, before, after, spans = outside
            return not (body_tag and _author_words(body_tag)) and not self.cut.count_before(before, _author_words) \
                and not _author_words_outside_raw_text(after, spans)
        return False


_AUTHOR_WORDS = (b"author", b"autor", b"auteur", b"byline", b"writer", b"reporter")  # markup_authors' words


def _author_words(data: bytes) -> bool:
    """Whether an author-like word stands inside a tag (``<span class="byline">``), not in text or scripts
    (``"author": …`` in a page's JSON state): what markup_authors could answer from. (A literal find per
    word on the lowered bytes: one case-insensitive regex of the words costs ~8× more on a 120 KB page.)"""
    lowered = data.lower()
    return _words_in_tags(lowered, 0, len(lowered))


def _author_words_outside_raw_text(data: bytes, spans: list[tuple[int, int]] | None = None) -> bool:
    """``_author_words`` less the contents of raw-text elements and comments (``cut.markup_spans``: no element
    in them), most of the bytes after a page's story block, where six finds cost about half an lxml parse of
    the page (0.21 → 0.06 ms on the slug family's). (Before the block, mostly menus, the plain search is
    faster.) ``spans``: ``markup_spans(data)`` where the caller has them (the cut found them in its own search
    for metadata after the block: ``Cut.outside``); lowering changes no byte they are found by. Then only the
    spans are lowered, not the scripts between them (~55 KB after a real-weight page's block)."""
    if spans is None:
        lowered = data.lower()
        return any(_words_in_tags(lowered, start, end) for start, end in markup_spans(lowered))
    # (A "<" or ">" is the same byte lowered or not: whether a word stands in a tag is asked of ``data``.)
    return any(_words_in_tags(data, start, end, data[start:end].lower()) for start, end in spans)


def _words_in_tags(data: bytes, start: int, end: int, part: bytes | None = None) -> bool:
    """Whether an author word in ``data[start:end]`` (lowered: ``part``, else ``data`` is) stands inside a tag;
    a "<" or ">" is the same byte lowered or not, so ``data`` itself answers that."""
    part = data[start:end] if part is None else part
    for word in _AUTHOR_WORDS:
        at = part.find(word)
        while at >= 0:
            if data.rfind(b"<", 0, start + at) > data.rfind(b">", 0, start + at):
                return True
            at = part.find(word, at + len(word))
    return False


DEFAULT = Extractor()  # the one-call API's: what it learns lives as long as the process


def extract_article(body: bytes, url: str, *, site: str | Site | None = None, encoding: str | None = None,
                    now: datetime | None = None, extractor: Extractor | None = None) -> ArticleRecord | None:
    """``Extractor.extract_article`` with ``extractor`` (default: the module's ``DEFAULT``)."""
    return (extractor or DEFAULT).extract_article(body, url, site=site, encoding=encoding, now=now)


def extract_with_trace(body: bytes, url: str, *, site: str | Site | None = None, encoding: str | None = None,
                       now: datetime | None = None, extractor: Extractor | None = None) -> Extraction | None:
    """``Extractor.extract_with_trace`` with ``extractor`` (default: the module's ``DEFAULT``)."""
    return (extractor or DEFAULT).extract_with_trace(body, url, site=site, encoding=encoding, now=now)


def _named_site(name: str | Site | None, url: str) -> Site | None:
    """The named site, else the one owning the URL (else ``_site_of_page`` asks the page)."""
    if isinstance(name, Site):
        return name
    if name:
        return get_site(name)
    return site_for_url(url)


def _site_of_page(root: etree._Element) -> Site | None:
    """The site the page's canonical link names."""
    asked = None
    for href in _canonical_links(root):
        href = href.strip()
        if href == asked:  # og:url most often repeats the canonical link: asked once (~3 µs a URL)
            continue
        site = site_for_url(href)
        if site is not None:
            return site
        asked = href
    return None


def _canonical_links(root: etree._Element):
    """What ``//link[@rel='canonical']/@href | //meta[@property='og:url']/@content`` selects, in document
    order: lxml's tag filter walks the tree in C, where the XPath's two ``//`` scans cost 0.05 ms a cut page."""
    for el in root.iter("link", "meta"):
        if el.tag == "link":
            if el.get("rel") == "canonical" and (href := el.get("href")) is not None:
                yield href
        elif el.get("property") == "og:url" and (content := el.get("content")) is not None:
            yield content
