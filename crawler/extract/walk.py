"""One walk over the tree: the page's text lines in reading order and the metadata met on the way."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from lxml import etree

from crawler.bylines import fold_cached
from crawler.extract.body import _R_BLOCK as _B_BLOCK
from crawler.extract.body import _R_CHROME as _B_CHROME
from crawler.extract.body import _R_HEADING as _B_HEADING
from crawler.extract.body import _R_LINK as _B_LINK
from crawler.extract.body import _R_SKIP as _B_SKIP
from crawler.extract.body import _ROLES as _BLOCK_ROLES
from crawler.extract.body import Block, _chrome_named
from crawler.text import clean_text

# What each tag does to the walk; any other tag (span, b, font, …) is inline text.
_BLOCK, _SKIP, _LINK, _IMAGE, _METADATA, _CHROME, _ARTICLE, _HEADING, _FIGCAPTION, _PAGE_REGION = range(10)
_TAGS = {
    **dict.fromkeys("address blockquote body center dd details dir div dl dt fieldset figure hr html li ol p pre "
                    "section summary table tbody td tfoot th thead tr ul caption".split(), _BLOCK),
    **dict.fromkeys("script style noscript template iframe svg select textarea object embed head".split(), _SKIP),
    "a": _LINK, "br": _BLOCK, "img": _IMAGE, "amp-img": _IMAGE, "time": _METADATA, "meta": _METADATA, "link": _METADATA,
    **dict.fromkeys("nav aside form button menu".split(), _CHROME),  # page chrome wherever it is
    **dict.fromkeys(("header", "footer"), _PAGE_REGION),  # chrome outside <article>, the article's own inside
    "article": _ARTICLE, "main": _ARTICLE,
    **dict.fromkeys("h1 h2 h3 h4 h5 h6".split(), _HEADING),
    "figcaption": _FIGCAPTION,
}
# Each tag's (role, the density body's blocks' role: ``body._ROLES``), one lookup an element. A comment's,
# processing instruction's and entity's blocks' role is -1 (the lines read a comment's text, the blocks do not).
# The commonest kinds have a short path through the walk's loop, told by identity: _INLINE (any tag of no role:
# span, b, font, …), _BOTH_BLOCK (a block to both readings: br, div, td, tr, p, li, …), _BOTH_LINK (<a>); one
# of them whose class or id names chrome takes the full path, as an equal tuple of another identity (``_NAMED``).
_INLINE = (None, 0)
_BOTH_BLOCK = (_BLOCK, _B_BLOCK)
_BOTH_LINK = (_LINK, _B_LINK)
_NAMED = {kind: tuple(list(kind)) for kind in (_INLINE, _BOTH_BLOCK, _BOTH_LINK)}  # (new tuple objects)
_KINDS: dict = {}
for _tag in (*_TAGS, *_BLOCK_ROLES):
    _kind = (_TAGS.get(_tag), _BLOCK_ROLES.get(_tag, 0))
    _KINDS[_tag] = next((kind for kind in (_BOTH_BLOCK, _BOTH_LINK) if kind == _kind), _kind)
_KINDS["body"] = _KINDS["html"] = tuple(list(_BOTH_BLOCK))  # (the blocks' <body> starts there; no chrome test)
_KINDS.update(dict.fromkeys((etree.Comment, etree.ProcessingInstruction, etree.Entity), (None, -1)))


def text_content(el: etree._Element) -> str:
    return clean_text("".join(el.itertext()))


def fold(text: str) -> str:
    return fold_cached(text) if text else ""


def folds_to(text: str, folded: set[str], heads: frozenset[str] | None = None) -> bool:
    """``fold(text) in folded``, without folding a paragraph that cannot be one of them (most of a body's):
    fold keeps a text's word characters in order and splits where it has whitespace, so the fold of its first
    whitespace-separated token (short, and cached: "وقال", "The") is the fold's first word or words. No
    member starting with those words: not one of them (a paragraph's fold costs ~10 µs, its first word's ~0).
    ``heads``: ``fold_heads(folded)``, for a caller asking of many texts (one set lookup a text, not a pass
    over the members)."""
    if not folded:
        return False
    head = fold(text.split(None, 1)[0])
    if head and (head not in heads if heads is not None
                 else not any(member == head or member.startswith(head + " ") for member in folded)):
        return False
    return fold(text) in folded


def fold_heads(folded: set[str]) -> frozenset[str]:
    """Each member of ``folded`` and each of its leading parts that ends before a space ("a b c" → "a b c",
    "a", "a b"): a fold ``head`` has ``member == head or member.startswith(head + " ")`` for some member
    exactly when it is one of them."""
    heads = set(folded)
    for member in folded:
        at = member.find(" ")
        while at >= 0:
            heads.add(member[:at])
            at = member.find(" ", at + 1)
    return frozenset(heads)


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
    # (<a href>, line, in chrome, its href): the href the walk read to tell a link, kept for the fields that read
    # it (``PageFields._link_elements``: one lxml attribute read a link, ~23 a cut page and ~170 a whole one).
    links: list[tuple[etree._Element, int, bool, str]] = field(default_factory=list)
    # (<body>, its blocks, whether chrome was left unread): ``body.blocks(body, lazy_chrome=True)`` read by the
    # walk itself (``walk``'s ``blocks``), for ``body.story_blocks``; None when not read.
    blocks: tuple[etree._Element, list[Block], bool] | None = None


def walk(root: etree._Element, timestamp: re.Pattern[str] | None = None, *, head: etree._Element | None = None,
         context: tuple[int, int, int, int] = (0, 0, 0, 0), blocks: bool = False) -> Page:
    """The page's text lines in reading order: block elements and <br> end a line, <img> is a line.

    A ``timestamp`` sharing its line with other text (``<li><a>title</a> 2016-02-19 11:15:08 PM</li>``)
    gets a line of its own, so that lines, links and <time>s keep one numbering.

    Walking one region of a page (``root`` a block inside it: ``crawler.extract.template``): ``head`` is
    the page's <head>, read first as the whole walk would; ``context`` the (chrome, article, heading,
    figcaption) depth the region's ancestors put it in; the text after the region (its tail) is not read.

    ``blocks``: also read the density body's blocks of the page's <body> (``body.blocks(body,
    lazy_chrome=True)``, kept in ``Page.blocks``) in the same loop, where this walk passes through all of that
    <body>: a whole page, or a region that is the <body>'s only element (a cut page, ``crawler.extract.cut``).
    Both read the same ~140 elements of a cut page; one loop shares each element's ``.text`` and ``.tail`` (a
    UTF-8 → str conversion an access) and the loop itself. The blocks' reading keeps its own state: it skips
    more than the lines do (<nav>, <figure>, chrome-named boxes), and there it only waits for the skipped
    element's end, whose tail it reads."""
    page = Page(stamp_pattern=timestamp)
    needed = required_char(timestamp) if timestamp is not None else ""
    if head is not None:
        _read_head(head, page)
    region = root if head is not None else None
    lines = page.lines
    links = page.links
    maybe_stamps = page.maybe_stamps
    frags: list[str] = []
    linked = in_link = 0
    chrome, article, heading, figcaption = context

    # The last text cleaned, as (joined fragments, clean_text of them): a paragraph's line and its block are
    # most often the same fragments, cleaned once (``blocks``; NFC and printable checks of a paragraph, ~1-3 µs).
    cleaned_joined = cleaned_text = ""

    def flush() -> None:
        nonlocal linked, cleaned_joined, cleaned_text
        joined = "".join(frags)
        if joined == cleaned_joined:
            text = cleaned_text
        else:
            text = clean_text(joined)
            if blocks:
                cleaned_joined, cleaned_text = joined, text
        frags.clear()
        if text:
            share = linked / len(text)  # (min(1.0, share) without a builtin's call: once a line)
            line = Line(text, share if share < 1.0 else 1.0, chrome > 0, heading > 0, figcaption > 0)
            match = timestamp.search(text) if timestamp is not None and len(text) <= 300 and needed in text else None
            if match is None or match.group(0) == text:
                if timestamp is not None and (match is not None or len(text) > 300):
                    maybe_stamps.append(len(lines))
                lines.append(line)
            else:
                before = text[: match.start()].rstrip(_JOINERS)
                for part in ("" if _DATE_LABEL.match(fold(before)) else before, match.group(0),
                             text[match.end():].lstrip(_JOINERS)):
                    if part:
                        maybe_stamps.append(len(lines))
                        lines.append(replace(line, text=part))
        linked = 0

    # The density body's blocks (``blocks``): the same state as ``body.blocks``' loop, ``b_`` before each name.
    b_body = _blocks_body(root, region) if blocks else None
    b_out: list[Block] = []
    b_frags: list[str] = []
    b_owners: list[etree._Element] = []
    b_chrome: list[etree._Element] = []
    b_linked = b_in_link = b_in_heading = 0
    b_pending = b_lazy = False
    b_skipping = None  # the element whose subtree the blocks do not read: only its end (its tail) is
    b_live = False  # the blocks read the element met: inside that <body>, not in a subtree they skip

    def b_flush() -> None:
        nonlocal b_linked, b_pending, cleaned_joined, cleaned_text
        if b_frags:
            joined = "".join(b_frags)
            if joined == cleaned_joined:
                text = cleaned_text
            else:
                text = clean_text(joined)
                cleaned_joined, cleaned_text = joined, text
            b_frags.clear()
            if text:
                b_out.append(Block(text, b_owners[-1], min(b_linked, len(text)), b_in_heading > 0,
                                   b_chrome[0] if b_chrome else None))
        b_linked = 0
        b_pending = False

    if b_body is not None and region is not None:  # the <body>'s start, which the region's walk does not meet
        b_live = True
        b_owners.append(b_body)
        text = b_body.text
        if text:
            if not text.isspace():
                b_frags.append(text)
            else:
                b_pending = True

    kind_of = _KINDS.get
    # Each element's (role, blocks' role) from its start to its end: one lookup an element (``el.tag`` makes a
    # new str an access, UTF-8 decoded, its hash computed again by each lookup); a list's append and pop cost
    # less. iterwalk gives every element an end, one skipped by ``skip_subtree`` too, in nesting order.
    open_kinds: list = []
    push_kind = open_kinds.append
    pop_kind = open_kinds.pop
    # The commonest roles are tested first: this loop runs twice per element of every page.
    walker = etree.iterwalk(root, events=("start", "end"))
    for event, el in walker:
        if event == "start":
            tag = el.tag
            kind = kind_of(tag, _INLINE)
            if kind is _INLINE or kind is _BOTH_BLOCK or kind is _BOTH_LINK:  # the short path
                # (unless its class or id names chrome; the names looked at here first: most elements of the short
                # path with attributes have neither, e.g. <a href>, <font size>, and skip the test's call)
                if b_live and (names := el.keys()) and ("class" in names or "id" in names) and _chrome_named(el):
                    kind = _NAMED[kind]
                else:
                    push_kind(kind)
                    if kind is _BOTH_BLOCK:
                        if b_live:
                            if b_frags or b_pending:
                                b_flush()
                            b_owners.append(el)
                        if frags:
                            flush()
                    elif kind is _BOTH_LINK:
                        if b_live:
                            b_in_link += 1
                        in_link += 1
                        href = el.get("href")
                        if href:
                            links.append((el, len(lines), chrome > 0, href))
                    text = el.text
                    if text:
                        if b_live:
                            if b_frags or not text.isspace():
                                b_frags.append(text)
                            else:
                                b_pending = True
                            if b_in_link:
                                b_linked += len(text)
                        if frags or not text.isspace():
                            frags.append(text)
                            if in_link:
                                linked += len(text.strip())
                    continue
            push_kind(kind)
            role, b_role = kind
            text = None
            read = False  # el.text read (by the blocks, which never read one the lines skip: a script's)
            if (b_live or el is b_body) and b_role >= 0:  # (a comment's text is none of the blocks': -1)
                b_live = True
                if b_role == _B_SKIP:
                    b_skipping = el
                    b_live = False
                else:
                    if b_role == _B_CHROME or (tag != "body" and tag != "html" and _chrome_named(el)):
                        if b_frags or b_pending:
                            b_flush()
                        if not b_chrome and not b_in_heading and b_role != _B_CHROME \
                                and next(el.iter("h1"), None) is None:  # (lazy_chrome)
                            b_skipping = el
                            b_live = False
                            b_lazy = True
                        else:
                            b_chrome.append(el)
                    if b_skipping is None:
                        if b_role >= _B_BLOCK:
                            if b_frags or b_pending:
                                b_flush()
                            b_owners.append(el)
                            if b_role == _B_HEADING:
                                b_in_heading += 1
                        elif b_role == _B_LINK:
                            b_in_link += 1
                        text = el.text
                        read = True
                        if text:
                            if b_frags or not text.isspace():
                                b_frags.append(text)
                            else:
                                b_pending = True
                            b_linked += len(text) if b_in_link else 0
            if role is not None:
                if role == _BLOCK:
                    if frags:
                        flush()
                elif role == _LINK:
                    in_link += 1
                    href = el.get("href")
                    if href:
                        links.append((el, len(lines), chrome > 0, href))
                elif role == _SKIP:
                    if tag == "head":
                        _read_head(el, page)
                    elif tag == "script" and "ld+json" in (el.get("type") or ""):
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
            if not read:
                text = el.text
            if text and (frags or not text.isspace()):  # a line's leading whitespace is nothing to keep
                frags.append(text)
                if in_link:
                    linked += len(text.strip())
        else:
            kind = pop_kind()
            tail = el.tail
            if kind is _INLINE or kind is _BOTH_BLOCK or kind is _BOTH_LINK:  # (not the blocks' skipped
                if kind is _BOTH_BLOCK:  # element, nor one of their chrome)
                    if frags:
                        flush()
                    if b_live:
                        if b_frags or b_pending:
                            b_flush()
                        b_owners.pop()
                elif kind is _BOTH_LINK:
                    in_link -= 1
                    if b_live:
                        b_in_link -= 1
                if tail:
                    if b_live:
                        if b_frags or not tail.isspace():
                            b_frags.append(tail)
                        else:
                            b_pending = True
                        if b_in_link:
                            b_linked += len(tail)
                    if (frags or not tail.isspace()) and el is not region:
                        frags.append(tail)
                        if in_link:
                            linked += len(tail.strip())
                continue
            role, b_role = kind
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
            if b_live or el is b_skipping:
                if el is b_skipping:
                    b_skipping = None
                    b_live = True
                else:  # (a comment's blocks' role, -1, is none of these)
                    if b_role >= _B_BLOCK:
                        if b_frags or b_pending:
                            b_flush()
                        b_owners.pop()
                        if b_role == _B_HEADING:
                            b_in_heading -= 1
                    elif b_role == _B_LINK:
                        b_in_link -= 1
                    if b_chrome and b_chrome[-1] is el:
                        if b_frags or b_pending:
                            b_flush()
                        b_chrome.pop()
                if tail:  # the text after an element belongs to its parent's block
                    if b_frags or not tail.isspace():
                        b_frags.append(tail)
                    else:
                        b_pending = True
                    b_linked += len(tail) if b_in_link else 0
                if el is b_body:
                    b_live = False
            if tail and (frags or not tail.isspace()) and el is not region:
                frags.append(tail)
                if in_link:
                    linked += len(tail.strip())
    if frags:
        flush()
    if b_body is not None:
        if region is not None:  # the <body>'s end
            if b_frags or b_pending:
                b_flush()
            b_owners.pop()
            tail = b_body.tail
            if tail:
                if b_frags or not tail.isspace():
                    b_frags.append(tail)
                else:
                    b_pending = True
        b_flush()
        page.blocks = (b_body, b_out, b_lazy)
    return page


def _blocks_body(root: etree._Element, region: etree._Element | None) -> etree._Element | None:
    """The <body> whose blocks ``walk`` can read in its loop (``blocks``), else None: that of a whole page
    (``root.find("body")``, where ``story_blocks`` looks), or a region's parent <body> holding it alone."""
    if region is None:
        return root.find("body")
    parent = region.getparent()
    if parent is not None and parent.tag == "body" and len(parent) == 1:
        return parent
    return None


_REQUIRED: dict[re.Pattern[str], str] = {}
_COMMON = " .,-/"  # a required character among these is kept only when no other is required


def required_char(pattern: re.Pattern[str]) -> str:
    """A character every match of ``pattern`` holds ("" when none is known): a line without it is not searched.
    A timestamp pattern starts with ``\\b\\d``, which the regex engine tries at every character of every line
    (~3 µs a paragraph of 220 characters); the line's lack of ":" is found in ~0.05 µs. Only the pattern's
    top-level literal characters count (each must occur in any match), and only ASCII ones that are no letter
    (no case to fold under re.I): for alhadath's ``\\b\\d{4}-\\d{2}-\\d{2} \\d{1,2}:\\d{2}:\\d{2} [AaPp][Mm]\\b``, ":"."""
    found = _REQUIRED.get(pattern)
    if found is None:
        try:
            from re import _constants, _parser  # (CPython's own parser of the pattern it compiled)

            chars = {chr(value) for op, value in _parser.parse(pattern.pattern, pattern.flags)
                     if op is _constants.LITERAL}
        except Exception:  # another Python's internals: search every line, as before
            chars = set()
        chars = sorted(c for c in chars if c.isascii() and not c.isalpha())
        found = next((c for c in chars if c not in _COMMON), chars[0] if chars else "")
        if len(_REQUIRED) >= 256:
            _REQUIRED.clear()
        _REQUIRED[pattern] = found
    return found


def region_context(region: etree._Element) -> tuple[int, int, int, int] | None:
    """The (chrome, article, heading, figcaption) depth the whole walk would be at when it enters
    ``region``; None when an ancestor is one the walk skips or a link (no region to walk alone).

    The same counting as ``walk``'s start events: there it stays inline, as this loop runs per element."""
    ancestors = list(region.iterancestors())
    ancestors.reverse()
    chrome = article = heading = figcaption = 0
    for el in ancestors:
        role = _TAGS.get(el.tag)
        if role == _SKIP or role == _LINK:
            return None
        if role == _CHROME or (role == _PAGE_REGION and not article):
            chrome += 1
        elif role == _ARTICLE:
            article += 1
        elif role == _HEADING:
            heading += 1
        elif role == _FIGCAPTION:
            figcaption += 1
    return chrome, article, heading, figcaption


def context_roles() -> dict[str, int]:
    """The tags that set ``region_context``: name → the context slot it counts in (0 chrome, 1 article,
    2 heading, 3 figcaption), or -1 for a tag a walkable region may not sit inside (a link, a skipped
    element) or whose count depends on the others (header/footer). For ``crawler.extract.cut``, which
    counts them in a page's raw bytes."""
    slots = {_CHROME: 0, _ARTICLE: 1, _HEADING: 2, _FIGCAPTION: 3, _SKIP: -1, _LINK: -1, _PAGE_REGION: -1}
    return {tag: slots[role] for tag, role in _TAGS.items() if role in slots}


def _read_head(head: etree._Element, page: Page) -> None:
    for el in head.iter("meta", "link", "title", "script", "base"):
        tag = el.tag
        if tag == "title":
            page.title_tag = page.title_tag or text_content(el)
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
