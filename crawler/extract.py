"""One page's bytes → the article record (crawler.items.ArticleRecord), or None when it holds no article.

The page is decoded once, parsed once with lxml and walked once into text *lines* (the page as it reads
top to bottom, with a few DOM facts per line: inside a link, in page chrome, an image, a figcaption).
Each field is then read by an ordered chain; the first stage that yields a value wins and is named in
``Extraction.sources``:

- ``selector``    the site's own CSS selectors (``Site.selectors``: small data, a miss falls through);
- ``jsonld``      schema.org NewsArticle (also inside ``@graph``);
- ``meta``        OpenGraph, ``article:published_time``, ``<link rel=canonical>``;
- ``time``        the ``<time datetime>`` of the main block (never a sidebar's);
- ``layout``      the text layout of the site notes: title, ``2016-02-19 11:15:08 PM``, [repeated title,
                  caption], byline, paragraphs — anchored on the main block's timestamp;
- ``trafilatura`` the body of pages of unknown sites.

No Scrapy and no I/O here: the spider, the CLI and the tests all call ``extract_article``.
"""

from __future__ import annotations

import codecs
import json
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from urllib.parse import unquote, urljoin, urlsplit

from lxml import etree
from lxml.cssselect import CSSSelector

from crawler.bylines import author_from_title, fold_cached, parse_byline
from crawler.dates import parse_date
from crawler.items import ArticleRecord
from crawler.site import Site, get_site, site_for_url
from crawler.text import clean_text

# ---------------------------------------------------------------------------------------------
# Decoding: HTTP charset → BOM → <meta> charset → detection


_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
# <meta charset="windows-1256"> and <meta http-equiv="Content-Type" content="text/html; charset=...">
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
_META_PRESCAN = 16384  # bytes searched for <meta charset>: long heads put it late
_SERVER_DEFAULTS = frozenset(("iso8859-1", "cp1252", "ascii"))  # codecs' names of what servers send unasked
# "ال" — the commonest Arabic bigram — is C7 E1 in windows-1256 and C7 E4 in ISO-8859-6.
_ARABIC_8BIT = ("cp1256", "iso8859-6")


@lru_cache(maxsize=64)
def _codec(label: str | None) -> str | None:
    """Python's name for a charset label ("windows-1256" → "cp1256"); None for an unknown label."""
    if not label:
        return None
    try:
        return codecs.lookup(label.strip().strip("\"'").lower()).name
    except LookupError:
        return None


def decode(body: bytes, encoding: str | None = None) -> tuple[str, str]:
    """(text, codec used): the HTTP charset, else a BOM, else <meta> charset, else detection.

    Two declarations are weak: an HTTP UTF-8 that the bytes are not (a misconfigured server), and an
    HTTP ISO-8859-1/windows-1252/ASCII — what servers send by default — when the page says otherwise
    (BOM, <meta>) or is valid UTF-8.
    """
    declared = _codec(encoding)
    if declared and declared != "utf-8" and declared not in _SERVER_DEFAULTS:
        return body.decode(declared, "replace"), declared
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body[len(bom):].decode(codec, "replace"), codec
    match = _META_CHARSET.search(body, 0, _META_PRESCAN)
    in_page = _codec(match.group(1).decode("ascii")) if match else None
    if in_page and in_page != "utf-8" and declared != "utf-8":
        return body.decode(in_page, "replace"), in_page
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    for fallback in (in_page, declared):
        if fallback and fallback != "utf-8":
            return body.decode(fallback, "replace"), fallback
    return _detect_arabic_8bit(body)


def _detect_arabic_8bit(body: bytes) -> tuple[str, str]:
    """windows-1256 or ISO-8859-6: whichever reads more "ال" and fewer undecodable bytes."""
    best = None
    for codec in _ARABIC_8BIT:
        text = body.decode(codec, "replace")
        score = text.count("ال") * 4 - text.count("\ufffd") * 8
        if best is None or score > best[0]:
            best = (score, text, codec)
    return best[1], best[2]


# ---------------------------------------------------------------------------------------------
# One walk over the tree: text lines and the metadata met on the way

# lxml's plain HTML parser: lxml.html's element classes would cost a Python lookup per element.
# Nothing here looks an element up by id: the parser need not index them.
_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True, no_network=True, collect_ids=False)
# Bytes known to be UTF-8 are parsed as they are (libxml2 decodes them a little faster than it reads a
# Python str); the encoding is forced, so a stray <meta charset> in the page changes nothing.
_UTF8_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True, no_network=True, collect_ids=False,
                                encoding="utf-8")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>")

# What each tag does to the walk; any other tag (span, b, font, …) is inline text.
_BLOCK, _SKIP, _LINK, _IMAGE, _METADATA, _CHROME, _ARTICLE, _HEADING, _FIGCAPTION, _PAGE_REGION = range(10)
_TAGS = {
    **dict.fromkeys("address blockquote body center dd details dir div dl dt fieldset figure hr html li ol p pre "
                    "section summary table tbody td tfoot th thead tr ul caption".split(), _BLOCK),
    **dict.fromkeys("script style noscript template iframe svg select textarea object embed head".split(), _SKIP),
    "a": _LINK, "br": _BLOCK, "img": _IMAGE, "time": _METADATA, "meta": _METADATA, "link": _METADATA,
    **dict.fromkeys("nav aside form button menu".split(), _CHROME),  # page chrome wherever it is
    **dict.fromkeys(("header", "footer"), _PAGE_REGION),  # chrome outside <article>, the article's own inside
    "article": _ARTICLE, "main": _ARTICLE,
    **dict.fromkeys("h1 h2 h3 h4 h5 h6".split(), _HEADING),
    "figcaption": _FIGCAPTION,
}


def _text_content(el: etree._Element) -> str:
    return clean_text("".join(el.itertext()))


# What joins a timestamp to the text beside it on one line: "title | 2016-02-19 …", "نشر في: 2016-02-19 …".
_JOINERS = " |•·/،,"
_DATE_LABEL = re.compile(r"^(?:تاريخ النشر|تاريخ|التاريخ|نشر في|نشر بتاريخ|نشر|بتاريخ|اخر تحديث)?\s*:?$")


@dataclass(slots=True)
class Line:
    text: str  # clean_text()-ed
    linked: float  # share of the characters that sit inside <a>
    chrome: bool  # inside nav/aside/form, or header/footer outside <article>
    heading: bool
    figcaption: bool
    image: tuple[str, str] | None = None  # (src, alt) of an <img> line


@dataclass(slots=True)
class Page:
    lines: list[Line] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)  # first content per property/name/itemprop
    meta_all: dict[str, list[str]] = field(default_factory=dict)  # article:tag and the like
    canonical: str = ""
    base_href: str = ""
    title_tag: str = ""
    jsonld: list[str] = field(default_factory=list)
    times: list[tuple[str, int]] = field(default_factory=list)  # (datetime attribute, line index)
    # Lines that may be the walk's timestamp: all but those its search already found none in.
    stamp_pattern: re.Pattern[str] | None = None
    maybe_stamps: list[int] = field(default_factory=list)
    links: list[tuple[etree._Element, int, bool]] = field(default_factory=list)  # (<a href>, line, in chrome)


def walk(root: etree._Element, timestamp: re.Pattern[str] | None = None) -> Page:
    """The page's text lines in reading order: block elements and <br> end a line, <img> is a line.

    A ``timestamp`` sharing its line with other text (``<li><a>title</a> 2016-02-19 11:15:08 PM</li>``)
    gets a line of its own, so that lines, links and <time>s keep one numbering.
    """
    page = Page(stamp_pattern=timestamp)
    lines = page.lines
    links = page.links
    maybe_stamps = page.maybe_stamps
    frags: list[str] = []
    linked = in_link = chrome = article = heading = figcaption = 0

    def flush() -> None:
        nonlocal linked
        text = clean_text("".join(frags))
        frags.clear()
        if text:
            line = Line(text, min(1.0, linked / len(text)), chrome > 0, heading > 0, figcaption > 0)
            match = timestamp.search(text) if timestamp is not None and len(text) <= 300 else None
            if match is None or match.group(0) == text:
                if timestamp is not None and (match is not None or len(text) > 300):
                    maybe_stamps.append(len(lines))
                lines.append(line)
            else:
                before = text[: match.start()].rstrip(_JOINERS)
                for part in ("" if _DATE_LABEL.match(_fold(before)) else before, match.group(0),
                             text[match.end():].lstrip(_JOINERS)):
                    if part:
                        maybe_stamps.append(len(lines))
                        lines.append(replace(line, text=part))
        linked = 0

    role_of = _TAGS.get
    # The commonest roles are tested first: this loop runs twice per element of every page.
    walker = etree.iterwalk(root, events=("start", "end"))
    for event, el in walker:
        role = role_of(el.tag)
        if event == "start":
            if role is not None:
                if role == _BLOCK:
                    if frags:
                        flush()
                elif role == _LINK:
                    in_link += 1
                    if el.get("href"):
                        links.append((el, len(lines), chrome > 0))
                elif role == _SKIP:
                    if el.tag == "head":
                        _read_head(el, page)
                    elif el.tag == "script" and "ld+json" in (el.get("type") or ""):
                        page.jsonld.append(el.text or "")
                    walker.skip_subtree()
                    continue
                elif role == _METADATA:
                    _read_metadata(el, page, len(lines))
                else:
                    if frags:
                        flush()
                    if role == _IMAGE:
                        src = el.get("src") or ""
                        if not src or src.startswith("data:"):  # a lazy-loading placeholder
                            src = el.get("data-src") or el.get("data-original") or el.get("data-lazy-src") or src
                        lines.append(Line("", 0.0, chrome > 0, False, False,
                                          (src.strip(), clean_text(el.get("alt") or el.get("title") or ""))))
                    elif role == _CHROME or (role == _PAGE_REGION and not article):
                        chrome += 1
                    elif role == _ARTICLE:
                        article += 1
                    elif role == _HEADING:
                        heading += 1
                    elif role == _FIGCAPTION:
                        figcaption += 1
            text = el.text
            if text and (frags or not text.isspace()):  # a line's leading whitespace is nothing to keep
                frags.append(text)
                if in_link:
                    linked += len(text.strip())
        else:
            if role is not None:
                if role == _BLOCK:
                    if frags:
                        flush()
                elif role == _LINK:
                    in_link -= 1
                elif role != _SKIP and role != _METADATA:
                    if frags:
                        flush()
                    if role == _CHROME or (role == _PAGE_REGION and not article):
                        chrome -= 1
                    elif role == _ARTICLE:
                        article -= 1
                    elif role == _HEADING:
                        heading -= 1
                    elif role == _FIGCAPTION:
                        figcaption -= 1
            tail = el.tail
            if tail and (frags or not tail.isspace()):
                frags.append(tail)
                if in_link:
                    linked += len(tail.strip())
    if frags:
        flush()
    return page


def _read_head(head: etree._Element, page: Page) -> None:
    for el in head.iter("meta", "link", "title", "script", "base"):
        tag = el.tag
        if tag == "title":
            page.title_tag = page.title_tag or _text_content(el)
        elif tag == "script":
            if "ld+json" in (el.get("type") or ""):
                page.jsonld.append(el.text or "")
        elif tag == "base":
            page.base_href = page.base_href or (el.get("href") or "")
        else:
            _read_metadata(el, page, 0)


def _read_metadata(el: etree._Element, page: Page, line_index: int) -> None:
    tag = el.tag
    if tag == "time":
        value = el.get("datetime")
        if value:
            page.times.append((value, line_index))
    elif tag == "link":
        if "canonical" in (el.get("rel") or "").lower().split() and not page.canonical:
            page.canonical = (el.get("href") or "").strip()
    else:
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
        content = el.get("content")
        if key and content is not None:
            page.meta_all.setdefault(key, []).append(content)
            page.meta.setdefault(key, content)


# ---------------------------------------------------------------------------------------------
# Standard metadata: JSON-LD NewsArticle, OpenGraph


_ARTICLE_TYPES = frozenset(
    "Article NewsArticle ReportageNewsArticle OpinionNewsArticle AnalysisNewsArticle BackgroundNewsArticle "
    "BlogPosting Report ScholarlyArticle LiveBlogPosting".split()
)


def jsonld_article(blocks: list[str]) -> dict:
    """The first schema.org Article (any kind) in the page's JSON-LD blocks, ``@graph`` included."""
    for block in blocks:
        try:
            data = json.loads(block)
        except (ValueError, RecursionError):
            continue
        stack = [data]
        while stack:
            node = stack.pop(0)
            if isinstance(node, list):
                stack.extend(node)
            elif isinstance(node, dict):
                kinds = node.get("@type")
                kinds = kinds if isinstance(kinds, list) else [kinds]
                if any(isinstance(kind, str) and kind in _ARTICLE_TYPES for kind in kinds):
                    return node
                stack.extend(value for key, value in node.items() if key in ("@graph", "mainEntity"))
    return {}


def _ld_text(value) -> str:
    """A JSON-LD value as text: a string, the name of an object, or names of a list joined by "، "."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return _ld_text(value.get("name") or value.get("@value") or "")
    if isinstance(value, list):
        return "، ".join(filter(None, map(_ld_text, value)))
    return ""


def _ld_list(value) -> list[str]:
    if isinstance(value, str):
        return [clean_text(part) for part in value.split(",") if clean_text(part)]
    if isinstance(value, list):
        return [text for text in map(_ld_text, value) if text]
    return []


def _ld_image(value) -> tuple[str, str]:
    """(url, caption) of a JSON-LD image: a URL, an ImageObject or a list of either."""
    if isinstance(value, list):
        value = value[0] if value else ""
    if isinstance(value, dict):
        return _ld_text(value.get("url") or value.get("contentUrl") or ""), _ld_text(value.get("caption") or "")
    return (_ld_text(value), "")


# ---------------------------------------------------------------------------------------------
# The text layout


# Page chrome announced by a label line; body paragraphs end there. Compared on fold_arabic()-ed text,
# e.g. "اقرأ أيضاً" → "اقرا ايضا", "الأكثر قراءة" → "الاكثر قراءه".
_CHROME_LABEL = re.compile(
    r"^(?:اقرا ايضا|اقرا المزيد|الاكثر (?:قراءه|مشاهده|تداولا)|(?:اخبار|مواضيع|مقالات) ذات صله|ذات صله"
    r"|الكلمات الداله|كلمات داله|كلمات مفتاحيه|الوسوم|وسوم|شارك(?: المقال| الخبر| عبر| على)?|مشاركه"
    r"|تابعونا|تابعنا|اشترك في|جميع الحقوق محفوظه|حقوق النشر|طباعه|ارسل لصديق|التعليقات|اضف تعليق)\b"
)
_NOT_FOUND = re.compile(r"الصفحه (?:المطلوبه )?غير موجوده|page not found")
_SENTENCE_END = re.compile(r"[.!؟?]\s*$")
_BYLINE_MAX_CHARS = 100
_BYLINE_MAX_WORDS = 12
_LINKY = 0.5  # a line at least half link text is navigation, not body


@dataclass(slots=True)
class Layout:
    title: str = ""
    title_index: int = -1
    published_raw: str = ""
    repeated_title: bool = False
    image: tuple[str, str] | None = None
    caption: str = ""
    byline: str = ""
    paragraphs: list[str] = field(default_factory=list)
    body_start: int = -1
    body_end: int = -1


def _fold(text: str) -> str:
    return fold_cached(text) if text else ""


def _is_chrome_line(line: Line) -> bool:
    """Chrome: in nav/aside/footer, mostly links, or a short label line ("اقرأ أيضا", "الوسوم: …").

    A label must be short or carry links: "شارك المئات في المسيرة …" is a paragraph, not a share box.
    """
    if line.chrome or line.linked >= _LINKY:
        return True
    return (len(line.text) <= 40 or line.linked >= 0.3) and bool(_CHROME_LABEL.match(_fold(line.text)))


def _bylineish(text: str, own_names: tuple[str, ...]) -> bool:
    """Short, no sentence end, and read as a byline (outlet, agency, city or a writer's name)."""
    if not text or len(text) > _BYLINE_MAX_CHARS or len(text.split()) > _BYLINE_MAX_WORDS:
        return False
    if _SENTENCE_END.search(text):
        return False
    return bool(parse_byline(text, own_names=own_names)) or any(text.startswith(n) for n in own_names)


def _timestamp_lines(page: Page, pattern: re.Pattern[str]) -> list[int]:
    """The lines that are a timestamp; only the walk's candidates when it searched the same pattern."""
    lines = page.lines
    maybe = page.maybe_stamps if pattern is page.stamp_pattern else range(len(lines))
    return [i for i in maybe if lines[i].text and pattern.fullmatch(lines[i].text)]


def _previous_text(lines: list[Line], index: int) -> int:
    index -= 1
    while index >= 0 and not lines[index].text:
        index -= 1
    return index


def _next_text(lines: list[Line], index: int) -> int:
    index += 1
    while index < len(lines) and not lines[index].text:
        index += 1
    return index if index < len(lines) else -1


def _choose_timestamp(lines: list[Line], candidates: list[int], title_hints: list[str]) -> int:
    """The main block's timestamp among all (sidebars print theirs too, sometimes earlier in the source).

    The main one is followed by the body — much non-link text before the next timestamp — and is
    preceded by the title that <title>/og:title/<h1> also name; a sidebar's sits between links.
    """
    best, best_score = -1, None
    for n, index in enumerate(candidates):
        end = candidates[n + 1] if n + 1 < len(candidates) else len(lines)
        body = sum(len(line.text) for line in lines[index + 1: end]
                   if line.text and not line.chrome and line.linked < _LINKY)
        score = min(body, 20_000)
        title_index = _previous_text(lines, index)
        named_above = title_index >= 0 and _names_title(lines[title_index].text, title_hints)
        if title_index >= 0:
            if named_above:
                score += 100_000
            if lines[title_index].linked >= _LINKY:
                score -= 5_000
        after = _next_text(lines, index)
        if after >= 0 and title_index >= 0 and not named_above and _names_title(lines[after].text, title_hints):
            score += 100_000  # a date printed above its title
        if lines[index].chrome:
            score -= 50_000
        if best_score is None or score > best_score:
            best, best_score = index, score
    return best


def _names_title(text: str, hints: list[str]) -> bool:
    """``text`` is the title that <title>, og:title or <h1> also give (exactly, or inside "… | الحدث")."""
    long = len(text) >= 8
    for hint in hints:
        if text == hint or (long and text in hint):
            return True
    text = _fold(text)
    long = len(text) >= 8
    for hint in hints:
        hint = _fold(hint)
        if text == hint or (long and text in hint):
            return True
    return False


def read_layout(page: Page, site: Site | None, title_hints: list[str], anchor_title: str,
                own_names: tuple[str, ...]) -> Layout:
    """Title, timestamp, lead image, caption, byline and paragraphs as the page's text lays them out."""
    lines = page.lines
    layout = Layout()
    stamp = -1
    if site is not None and site.timestamp_pattern is not None:
        candidates = _timestamp_lines(page, site.timestamp_pattern)
        if candidates:
            stamp = _choose_timestamp(lines, candidates, title_hints)
    if stamp >= 0:
        layout.published_raw = lines[stamp].text
        layout.title_index = _previous_text(lines, stamp)
        after = _next_text(lines, stamp)
        if after >= 0 and title_hints and _names_title(lines[after].text, title_hints) \
                and (layout.title_index < 0 or not _names_title(lines[layout.title_index].text, title_hints)):
            layout.title_index = after  # the date printed above the title; the title line is skipped below
        if layout.title_index >= 0:
            layout.title = lines[layout.title_index].text
        position = stamp + 1
    else:
        # No printed timestamp: anchor on the title that metadata or <h1> gave, then skip a date line.
        position = _find_title_line(lines, anchor_title)
        if position < 0:
            return layout
        layout.title, layout.title_index = lines[position].text, position
        position += 1
        if position < len(lines) and len(lines[position].text) <= 60 and parse_date(lines[position].text):
            layout.published_raw = lines[position].text
            position += 1
    position = _read_head_lines(lines, position, layout, own_names)
    _read_paragraphs(lines, position, layout, site.timestamp_pattern if site else None)
    return layout


def _find_title_line(lines: list[Line], title: str) -> int:
    folded = _fold(title)
    if not folded:
        return -1
    for index, line in enumerate(lines):
        if line.text and _fold(line.text) == folded:
            return index
    return -1


def _read_head_lines(lines: list[Line], position: int, layout: Layout, own_names: tuple[str, ...]) -> int:
    """After the timestamp: [lead image, repeated title, caption,] byline. Returns the body's first line."""
    title = _fold(layout.title)
    while position < len(lines):
        line = lines[position]
        if line.image is not None:
            if layout.image is None and line.image[0] and not line.chrome:
                layout.image = line.image
            position += 1
        elif line.text and _fold(line.text) == title:
            layout.repeated_title = True
            position += 1
        else:
            break
    head = [i for i in range(position, min(position + 2, len(lines)))
            if lines[i].text and not _is_chrome_line(lines[i])]
    if not head or head[0] != position:
        return position
    first = lines[head[0]]
    second = lines[head[1]] if len(head) > 1 and head[1] == position + 1 else None
    second_is_byline = second is not None and _bylineish(second.text, own_names)
    if layout.image is None and not layout.repeated_title and not first.figcaption:
        if _bylineish(first.text, own_names):
            layout.byline = first.text
            return position + 1
        return position
    byline = parse_byline(first.text, own_names=own_names) if _bylineish(first.text, own_names) else None
    sourced = byline is not None and (byline.agencies or byline.dateline
                                      or any(first.text.startswith(name) for name in own_names))
    if sourced and not first.figcaption:
        layout.byline = first.text  # "الحدث - ا ف ب" right under the image: no caption
        return position + 1
    if first.figcaption or (second_is_byline and _caption_like(first.text)):
        layout.caption = first.text
        if second_is_byline:
            layout.byline = second.text
            return position + 2
        if byline is not None and byline.authors:
            layout.byline = first.text  # the author's photo, captioned with the name: the byline too
        return position + 1
    if byline is not None:
        # An opinion piece: the line under the author's photo is caption and byline at once.
        layout.caption = layout.byline = first.text
        return position + 1
    if _caption_like(first.text):
        layout.caption = first.text
        return position + 1
    return position


def _caption_like(text: str) -> bool:
    return len(text) <= 300 and not _SENTENCE_END.search(text)


def _same_text(text: str, others: list[str]) -> bool:
    """Equal to one of ``others``, up to letter variants (folding only when the lengths are close)."""
    for other in others:
        if text == other or (abs(len(text) - len(other)) <= 3 and _fold(text) == _fold(other)):
            return True
    return False


def _read_paragraphs(lines: list[Line], position: int, layout: Layout, stamp: re.Pattern[str] | None) -> None:
    """Body lines until the first chrome line (related links, share/tags line, footer, another timestamp)."""
    skip = [text for text in (layout.title, layout.caption, layout.byline) if text]
    layout.body_start = position
    index = position
    for index in range(position, len(lines)):
        line = lines[index]
        if not line.text:
            continue
        if _is_chrome_line(line) or (stamp is not None and stamp.fullmatch(line.text)) \
                or (line.heading and layout.paragraphs):
            break
        if not _same_text(line.text, skip):
            layout.paragraphs.append(line.text)
    else:
        index = len(lines)
    layout.body_end = index


# ---------------------------------------------------------------------------------------------
# Site selectors


_URL_PATH = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.-]*:)?(?://[^/?#]*)?([^?#]*)")


@lru_cache(maxsize=256)
def _selector(css: str) -> CSSSelector | None:
    try:
        return CSSSelector(css, translator="html")
    except Exception:  # a bad selector in site data is a miss, not a crash
        return None


def _select_texts(root: etree._Element, site: Site | None, name: str) -> list[str]:
    if site is None or name not in site.selectors:
        return []
    selector = _selector(site.selectors[name])
    if selector is None:
        return []
    texts = []
    for el in selector(root):
        value = el.get("datetime") or el.get("content") if name == "published" else None
        text = clean_text(value) if value else _text_content(el)
        if text:
            texts.append(text)
    return texts


# ---------------------------------------------------------------------------------------------
# The record


@dataclass(frozen=True)
class Extraction:
    record: ArticleRecord
    sources: dict[str, str]  # field → the stage that gave it: selector, jsonld, meta, time, layout, trafilatura


def extract_article(body: bytes, url: str, *, site: str | Site | None = None,
                    encoding: str | None = None) -> ArticleRecord | None:
    """One article's record, or None when the page holds no article (soft-404, listing, error page).

    ``site``: a site name ("alhadath"), a ``Site`` (e.g. with other selectors), or None for the site
    owning ``url`` — any other page is read generically. ``encoding``: the HTTP charset, if any.
    """
    extraction = extract_with_trace(body, url, site=site, encoding=encoding)
    return extraction.record if extraction else None


def extract_with_trace(body: bytes, url: str, *, site: str | Site | None = None,
                       encoding: str | None = None) -> Extraction | None:
    """Like ``extract_article``, with the stage each field came from (for the quality monitor)."""
    if not body:
        return None
    text, codec = decode(body, encoding)
    root = _parse(text, body if codec == "utf-8" and not body.startswith(codecs.BOM_UTF8) else None)
    if root is None:
        return None
    site_model = _site_model(site, url, root)
    page = walk(root, site_model.timestamp_pattern if site_model else None)
    return _Builder(root, page, site_model, url, codec).build()


def _parse(text: str, utf8: bytes | None = None) -> etree._Element | None:
    """The page's tree; ``utf8``: the very bytes ``text`` was strictly decoded from, parsed when unchanged."""
    if "\x00" in text or _XML_DECLARATION.match(text):
        text = _XML_DECLARATION.sub("", text.replace("\x00", ""), count=1)
        utf8 = None
    if not text or text.isspace():
        return None
    try:
        return etree.fromstring(text, _PARSER) if utf8 is None else etree.fromstring(utf8, _UTF8_PARSER)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return None


def _site_model(name: str | Site | None, url: str, root: etree._Element) -> Site | None:
    """The named site, else the one owning the URL, else the one the page's canonical link names."""
    if isinstance(name, Site):
        return name
    if name:
        return get_site(name)
    site = site_for_url(url)
    if site is None:
        for href in _CANONICAL(root):
            site = site_for_url(href.strip())
            if site is not None:
                break
    return site


_CANONICAL = etree.XPath("//link[@rel='canonical']/@href | //meta[@property='og:url']/@content")


class _Builder:
    """Runs each field's chain over one parsed page and records where each value came from."""

    def __init__(self, root, page: Page, site: Site | None, url: str, codec: str):
        self.root, self.page, self.site, self.url, self.codec = root, page, site, url, codec
        self.sources: dict[str, str] = {}
        self.ld = jsonld_article(page.jsonld) if page.jsonld else {}
        self.own_names = site.own_names if site else tuple(filter(None, [clean_text(page.meta.get("og:site_name"))]))
        self.timezone = site.timezone if site else "Asia/Hebron"

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
        # A logo heading (<h1><a>الحدث</a></h1>) is no title.
        selected_title = _first([t for t in _select_texts(self.root, self.site, "title") if t not in self.own_names])
        meta_title = self._meta_title()
        hints = [t for t in (selected_title, _ld_text(ld.get("headline")), meta_title, page.title_tag) if t]
        hints += [line.text for line in page.lines if line.heading and line.text][:3]
        anchor_title = selected_title or _ld_text(ld.get("headline")) or meta_title or self._first_heading()
        layout = read_layout(page, self.site, hints, anchor_title, self.own_names)

        title = self.pick("title", ("selector", selected_title), ("jsonld", _ld_text(ld.get("headline"))),
                          ("meta", meta_title), ("layout", layout.title))
        if not title:
            return None
        if layout.title and layout.title != title and len(layout.title) > len(title) \
                and _fold(layout.title).startswith(_fold(title.rstrip(".…"))):
            title = layout.title  # metadata cut the title short ("… " at 110 characters); the page prints it whole
            self.sources["title"] = "layout"
        published = self._published(layout)
        if published is None and self.site is not None and not self._declares_article():
            return None  # the site prints a timestamp on every article; without one this is no article
        paragraphs = self.pick("paragraphs", ("selector", _select_texts(self.root, self.site, "paragraphs")),
                               ("layout", layout.paragraphs if self.site is not None else None))
        if not paragraphs and self.site is None:
            paragraphs = self.pick("paragraphs", ("trafilatura", self._trafilatura_body(title, layout)))
        if not paragraphs:
            return None
        if self.site is None and published is None and not self._declares_article():
            return None  # an unknown site's page with no date and no article metadata: a listing or a page
        return Extraction(self._record(title, published, layout, paragraphs), self.sources)

    # -- fields ----------------------------------------------------------------------------

    def _record(self, title: str, published, layout: Layout, paragraphs: list[str]) -> ArticleRecord:
        ld, meta = self.ld, self.page.meta
        byline_raw = self.pick("byline_raw", ("selector", _first(_select_texts(self.root, self.site, "byline"))),
                               ("layout", layout.byline), ("jsonld", _ld_text(ld.get("author"))),
                               ("meta", clean_text(meta.get("author")))) or ""
        byline = parse_byline(byline_raw, own_names=self.own_names)
        authors = list(byline.authors)
        if not authors and not byline.agencies:
            writer = author_from_title(title)
            if writer and (not byline_raw or writer == byline_raw):
                authors = [writer]
                self.sources.setdefault("authors", "layout")
        ld_image_url, ld_caption = _ld_image(ld.get("image"))
        caption = self.pick("caption", ("selector", _first(_select_texts(self.root, self.site, "caption"))),
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
            "subtitle": self.pick("subtitle", ("selector", _first(_select_texts(self.root, self.site, "subtitle"))),
                                  ("jsonld", _ld_text(ld.get("alternativeHeadline")))) or "",
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
            "language": "ar",
            "encoding": self.codec,
        }

    def _published(self, layout: Layout):
        return self._date("published_at",
                          ("selector", _first(_select_texts(self.root, self.site, "published"))),
                          ("jsonld", self.ld.get("datePublished")),
                          ("meta", self.page.meta.get("article:published_time")),
                          ("time", self._main_time(layout)),
                          ("layout", layout.published_raw))

    def _date(self, name: str, *stages):
        for stage, raw in stages:
            if raw and isinstance(raw, str):
                parsed = parse_date(raw.strip(), tz=self.timezone)
                if parsed is not None:
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
        return any(_NOT_FOUND.search(_fold(text)) for text in texts
                   if "موجود" in text or "found" in text.lower())

    def _identity(self) -> tuple[int | None, str]:
        canonical = self.page.canonical or self.page.meta.get("og:url", "")
        if self.site is not None:
            article_id = self.site.article_id(self.url)
            if article_id is None and canonical:
                article_id = self.site.article_id(canonical)
            if article_id is not None:
                return article_id, self.site.canonical_url(article_id)
        return None, self._absolute(canonical) if canonical else self.url

    def _absolute(self, link: str) -> str:
        return urljoin(urljoin(self.url, self.page.base_href), link.strip()) if link else ""

    def _links(self, pattern: re.Pattern[str] | None, start: int, end: int) -> list[tuple[int, str, str]]:
        """(line index, text, decoded path) of non-chrome links whose path matches ``pattern``."""
        if pattern is None:
            return []
        found = []
        for el, index, chrome in self.page.links:
            if not chrome and start <= index < end:
                path = _URL_PATH.match(el.get("href", "").strip()).group(1)
                if pattern.match(path):
                    found.append((index, _text_content(el), unquote(path) if "%" in path else path))
        return found

    def _category(self, layout: Layout) -> str:
        selected = _first(_select_texts(self.root, self.site, "category"))
        found = self.pick("category", ("selector", selected), ("jsonld", _ld_text(self.ld.get("articleSection"))),
                          ("meta", clean_text(self.page.meta.get("article:section"))))
        if found or self.site is None or layout.title_index < 0:
            return found or ""
        # The breadcrumb: the section link nearest above the title, alone on its line and not part of a
        # menu (a line of several section links, or a run of three or more lines of them).
        links = self._links(self.site.listing_path, 0, max(layout.body_end, layout.title_index) + 1)
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
        selected = _select_texts(self.root, self.site, "tags")
        meta_tags = [clean_text(tag) for tag in self.page.meta_all.get("article:tag", []) if clean_text(tag)]
        found = self.pick("tags", ("selector", selected), ("jsonld", _ld_list(self.ld.get("keywords"))),
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
            result = trafilatura.bare_extraction(etree.tostring(self.root, encoding="unicode"),
                                                 include_comments=False, include_tables=True,
                                                 with_metadata=False)
        except Exception:  # trafilatura on hostile markup: no body rather than a crash
            return []
        body = getattr(result, "text", None) if result is not None else None
        if isinstance(result, dict):
            body = result.get("text")
        skip = {_fold(title), _fold(layout.byline), _fold(layout.caption), _fold(layout.published_raw)} - {""}
        return [text for text in map(clean_text, (body or "").split("\n")) if text and _fold(text) not in skip]


def _first(values: list[str]) -> str:
    return values[0] if values else ""


