"""Parse only the story's block: a page's bytes cut to its <head> and the block the site's template names.

A template (``crawler.extract.template``) walks only the story's block, but the whole page is still
parsed — on a page of real weight most of its bytes are chrome (menus, boxes, footers, scripts, JSON
state), and parsing them costs about as much as all the rest of the extraction. Once a template is
adopted, the block's own start tag (``<main class="content">``, as the page wrote it) is kept, and a
later page of the site is parsed as ``<head>…</head>`` + ``<body>`` + that block's bytes only, when a
cheap look at the raw bytes shows that the whole parse would give the same record:

- the page's bytes are parsed as they are (strict UTF-8, see ``decode.parsed_bytes``) and have a ``</head>``;
- the start tag occurs once, after ``</head>`` — or, where the same start tag also opens another element
  (an old table layout's ``<table width="100%">`` around the story and again around the footer), the
  start tag with the few tags written just before it (``<td width="75%" valign="top"><table width="100%">``)
  occurs once; its element ends at the matching end tag (counting the same tag's start and end tags;
  comments and raw-text elements such as <script> skipped) — only tags the parser never closes by itself
  are cut so (div, main, article, section, table);
- outside the head and the block there is no metadata the walk reads (``<meta>``, ``<link>``, ``<time>``,
  ``<base>``, ``<title>``, JSON <script>) and nothing the site's selectors could match there (see
  ``selector_keys``: ``h1`` as a tag, ``.entry-meta .author`` by the class ``entry-meta`` inside a tag);
- the tags before the block put it at the same depth of chrome, article, heading and figcaption as the
  learning page, and inside no link or skipped element (counted in order; a stray end tag: no cut);
- the cut parses into a <body> holding that block alone.

Anything else — and a block that yields no record — takes the whole parse. The cut is only learned
when it reproduced the learning page's full record, and the template's every-Nth-page check compares
it with the full record again (a difference drops it). A page in windows-1256 or ISO-8859-6 is cut as its
bytes (its tags are ASCII there too) and the cut bytes decoded (``cut_parser``); pages of any other charset
are parsed whole.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from lxml import etree

from crawler.extract.decode import parse, parse_utf8
from crawler.extract.walk import context_roles

# The parser closes these only at their own end tag or an ancestor's: counting start and end tags finds
# the end. (A <p>, <li> or <td> also ends where the next one starts: no cut; a <td>'s <table> is cut instead.)
CUTTABLE = frozenset(("div", "main", "article", "section", "table"))
_MAX_LEAD = 3  # tags before a repeated start tag that may be kept with it to name the block once
_ROLES = context_roles()


def _tags(names) -> bytes:
    """A regex of tag names, any case, that fails fast on other tags.

    Each pattern here starts with a bare ``<``: the regex engine then jumps from one ``<`` to the next.
    The names are grouped by their first letter, so that at each ``<`` one test per letter turns most
    tags away (an alternation of the names under re.I at every ``<`` would cost more than the parse saves)."""
    by_first: dict[str, list[str]] = {}
    for name in names:
        by_first.setdefault(name[0], []).append(re.escape(name[1:]))
    groups = [f"[{first}{first.upper()}](?i:{'|'.join(sorted(rests, key=len, reverse=True))})"
              for first, rests in sorted(by_first.items())]
    return ("(?:" + "|".join(groups) + r")(?=[\s/>])").encode()


_HEAD_END = re.compile(rb"</head\s*>", re.I)
# Text the tokenizer reads as text, not tags: comments and raw-text elements.
_RAW_TEXT = ("script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes")


def _initials(names) -> bytes:
    """The first letters of ``names``, both cases: a look-ahead class that turns away, with one test at a "<",
    the tags none of a pattern's alternatives could match there (``</p>``, ``<a``, ``<li``: most of a page's)
    before the regex engine tries each alternative in turn (~0.7 µs at each "<" of a block for the 17 of
    ``_SKIPPED``; 4 ns a byte of a story block where its text between tags costs 0.4)."""
    return "".join(sorted({case for name in names for case in (name[0].lower(), name[0].upper())})).encode()


def _by_initial(names, rest: Callable[[str], bytes]) -> bytes:
    """``rest(name)`` for each of ``names`` as alternatives grouped by their first letter (any case), each group
    behind one test of that letter: ``[sS](?:rest(script)|rest(style))|…``. (The names differ past their first
    letter or are followed by a boundary: at one position at most one alternative of a group matches, as in the
    plain alternation.)"""
    by_first: dict[str, list[str]] = {}
    for name in names:
        by_first.setdefault(name[0].lower(), []).append(name)
    return b"|".join(b"[" + (first + first.upper()).encode() + b"](?:" + b"|".join(rest(name) for name in group) + b")"
                     for first, group in sorted(by_first.items()))


# A comment or raw-text element, whole (the text of ``<script>…</script>``).
_SKIPPED = rb"!--.*?-->|" + _by_initial(_RAW_TEXT, lambda name: b"(?i:" + name[1:].encode() + rb")(?=[\s/>])[^>]*>.*?</(?i:"
                                        + name.encode() + rb")\s*>")
_SKIPPED_FIRST = b"!" + _initials(_RAW_TEXT)  # what may follow the "<" of a ``_SKIPPED`` match
# A raw-text element's start tag with its attributes (quoted values may hold ">"), or a comment's start.
_RAW_START = re.compile(rb"<(?=[" + _SKIPPED_FIRST + rb"])(?:(" + _by_initial(_RAW_TEXT, lambda name: b"(?i:" + name[1:].encode() + b")")
                        + rb")(?=[\s/>])(?:[^>\"']|\"[^\"]*\"|'[^']*')*>|!--)")
_RAW_END = {name.encode(): re.compile(rb"</(?i:" + name.encode() + rb")(?=[\s/>])") for name in _RAW_TEXT}


def markup_spans(data: bytes, start: int = 0) -> Iterator[tuple[int, int]]:
    """(start, end) of the parts of ``data[start:]`` that may hold elements: all but the contents of raw-text
    elements (script, style, …) and comments, where the HTML tokenizer makes no element — after a page's story
    block most of its bytes (the vendor bundle, the JSON state: 83–93% of a real-weight mirror page's).
    A raw-text element's start tag stays in its part (``<script type="application/ld+json">``,
    ``<script class="author">``); one written inside another tag (``title="<script>"``) starts nothing;
    one never closed leaves the rest a part; ``<!-->``, ``<!--->`` and ``--!>`` end comments as the tokenizer
    does. (E.g. ``<p>a</p><script>x</script><i>`` → the parts ``<p>a</p><script>`` and ``</script><i>``.)"""
    at = start
    for raw, name, in_tag, end in _raw_texts(data, start):
        yield at, raw.end() if in_tag or name else raw.start()
        at = raw.end() if in_tag or end < 0 else end
    yield at, len(data)


def _raw_texts(data: bytes, start: int, ends: dict[bytes, re.Pattern[bytes]] = _RAW_END,
               ) -> Iterator[tuple[re.Match, bytes | None, bool, int]]:
    """Each raw-text element's start tag and comment start in ``data[start:]`` as the tokenizer meets them, in
    order: (its match, the element's name or None for a comment, whether it stands inside another tag and so
    starts nothing, where its contents end: the end tag's or the comment end's start, -1 when never closed).
    ``ends``: the pattern that ends each element's text (``lean_page``'s also stops a script at a "<!--")."""
    at = start
    while True:
        raw = _RAW_START.search(data, at)
        if raw is None:
            return
        name = raw.group(1)
        in_tag = data.rfind(b"<", 0, raw.start()) > data.rfind(b">", 0, raw.start())  # starts nothing
        if in_tag:
            end = -1
        elif name:
            end = _raw_end(data, ends[name.lower()], raw.end())
        elif data.startswith(b">", raw.end()) or data.startswith(b"->", raw.end()):  # <!--> and <!--->
            end = raw.end()
        else:
            end = data.find(b"-->", raw.end())
            bang = data.find(b"--!>", raw.end(), len(data) if end < 0 else end)  # (rare: not past "-->")
            end = bang if bang >= 0 else end
        yield raw, name, in_tag, end
        at = raw.end() if in_tag or end < 0 else end


_END_TRIES = 16  # "<" looked at one by one for a raw-text element's end tag before the regex search takes over


def _raw_end(data: bytes, pattern: re.Pattern[bytes], at: int) -> int:
    """Where the end tag of the raw-text element ``name`` whose text starts at ``at`` starts (-1: none): the
    regex's own search steps through every byte (~1 ns each: 0.035 ms over a real-weight head's 33 KB of CSS),
    memchr jumps between the "<" of a text that holds few (CSS: none; JSON state: few), and a script's code
    with many (``i<n``) is left to the regex after a few — or, after two, to what ``_KNOWN_TEXTS`` knows of a
    text that starts with the same bytes. (``pattern``: the element's end tag, from ``_RAW_END``.)"""
    start = at
    for tried in range(_END_TRIES):
        at = data.find(b"<", at)
        if at < 0:
            return -1
        if pattern.match(data, at) is not None:
            return at
        at += 1
        if tried == 1 and _KNOWN_TEXTS.knows(data, pattern, start):
            break
    return _KNOWN_TEXTS.end(data, pattern, start, at)


class _KnownTexts:
    """The end of a long raw text that starts with the bytes of one searched before: a site's vendor bundle
    (~110 KB of script on each of the mirror's real-weight pages, ~500 "<" in its code; there cut at each page's
    own length) starts with the same bytes on every page, and the regex steps through it at ~0.5–1 ns a byte
    (17% of a storyless page read lean, 4–5% of a cut table page) where memcmp compares it with the last
    page's text many times faster.

    Exact: say page P's text from ``ps`` has no match before ``pe``, and page D's text from ``s`` holds P's
    bytes for ``n <= pe - ps`` bytes (found by halving with ``startswith``: memcmp). A match in D that starts
    before ``s + n - _WINDOW`` lies in those equal bytes (no match is longer than ``_WINDOW``, look-ahead and
    all), so it would be P's, before ``pe``: there is none, and the regex searches D from there — where a
    shorter copy of the bundle ends, its end tag is the first byte that differs. A remembered text is found by
    its first ``_KEY`` bytes and its pattern and kept as (page, start, end) — no copy; a text that runs past what
    it shares with the remembered one (a longer copy, another bundle) becomes the one remembered."""

    _KEY = 64
    _WINDOW = 16  # > len("</noframes") + 1: the longest end tag the patterns match, with its look-ahead byte
    _KEPT = 32

    def __init__(self):
        self.known: dict[tuple[re.Pattern[bytes], bytes], tuple[bytes, int, int]] = {}

    def knows(self, data: bytes, pattern: re.Pattern[bytes], start: int) -> bool:
        """Whether a text that starts as ``data``'s at ``start`` was searched before."""
        return (pattern, data[start:start + self._KEY]) in self.known

    def end(self, data: bytes, pattern: re.Pattern[bytes], start: int, at: int) -> int:
        """``pattern``'s first match at or after ``start`` in ``data`` (its start, -1: none), knowing there is
        none between ``start`` and ``at``. (``pattern``: one of ``_RAW_END``'s or ``_LEAN_ENDS``'.)"""
        key = (pattern, data[start:start + self._KEY])
        known = self.known.get(key)
        shared = 0
        if known is not None:
            page, known_start, known_end = known
            shared = _shared(data, start, memoryview(page)[known_start:known_end])
            at = max(at, start + shared - self._WINDOW)
        found = pattern.search(data, at)
        if found is None:
            return -1
        if found.start() - start > shared + self._WINDOW and type(data) is bytes:
            if len(self.known) >= self._KEPT:
                self.known.clear()
            self.known[key] = (data, start, found.start())
        return found.start()


def _shared(data: bytes, start: int, text: memoryview) -> int:
    """How many bytes of ``data[start:]`` are ``text``'s first ones: ``startswith`` (memcmp) on halves of what
    is left, ~17 calls for 110 KB."""
    if data.startswith(text, start):
        return len(text)
    low, high = 0, len(text)  # data[start:start + low] is text[:low]; text[:high] is not a prefix
    while high - low > 1:
        middle = (low + high) // 2
        if data.startswith(text[low:middle], start + low):
            low = middle
        else:
            high = middle
    return low


_KNOWN_TEXTS = _KnownTexts()


def lean_head(head: bytes) -> bytes:
    """``head`` (a page's bytes up to its ``</head>``) less the text of its <style> elements, for the cut's parse.

    A real-weight page's head holds ~33 KB of CSS (the mirror's four families alike), which libxml2 copies
    character by character into a text node nothing reads: the walk skips <style>, metadata and the author
    stage read tags and attributes, and the stages that read a page's markup whole (htmldate, trafilatura)
    never read a cut page. The start and end tags stay (``<style media="x"></style>``). Only a <style> whose
    text holds no "<" at all is emptied: its end is then the first "</" after it for any tokenizer, and
    nothing that looked like a <style> start inside an attribute value could reach past a real tag. A comment
    or raw-text element never closed ends the search (the rest is its text)."""
    parts = []
    kept = 0
    for raw, name, in_tag, end in _raw_texts(head, 0):
        if in_tag:
            continue
        if end < 0:
            break
        if name is not None and name.lower() == b"style" and head.find(b"<", raw.end(), end) < 0:
            parts.append(head[kept:raw.end()])
            kept = end
    if not parts:
        return head
    parts.append(head[kept:])
    return b"".join(parts)


def lean_page(source: bytes) -> etree._Element | None:
    """The tree of ``source`` (bytes parsed as they are) less the text of its <style> elements and of its <script>s
    that hold no JSON, for a page of a storyless host (``crawler.extract.template``); None where that cannot be
    told from the bytes (the page is then parsed whole).

    A storyless host's page (the mirror's broken layout: a title, an empty ``<div id="app">`` and ~120 KB of
    scripts) is read by the cheap stages only, none of which reads a script's text but JSON-LD's: libxml2 copying
    the bundle into a text node was a third of such a page's time. The raw-text elements are found as
    ``markup_spans`` finds them, each script's end with the first "<!--" in its text in the same search: a
    script holding one gives up the lean tree (libxml2 2.14 follows the tokenizer's escaped states there: the
    script of ``<script><!--<script></script>X</script>`` ends at the second end tag). So does an end tag
    followed by a vertical tab (``\\s`` takes it, the tokenizer does not), any comment or raw-text element never
    closed, and a tree with a script in an element whose text a stage reads whole (``h1``, ``a``: their
    itertext) or with a <plaintext>. A script whose start tag names "json" or holds an entity keeps its text."""
    parts = []
    kept = 0
    for raw, name, in_tag, end in _raw_texts(source, 0, _LEAN_ENDS):
        if in_tag:
            continue
        if end < 0 or source.startswith(b"<!", end):
            return None
        if name is None:
            continue
        name = name.lower()
        if name == b"script":
            tag = raw.group().lower()
            if b"json" in tag or b"&" in tag:
                continue
        elif name != b"style":
            continue
        if source[end + 2 + len(name):end + 3 + len(name)] == b"\v":
            return None
        parts.append(source[kept:raw.end()])
        kept = end
    parts.append(source[kept:])
    root = parse_utf8(b"".join(parts))
    if root is None or next(root.iter("plaintext"), None) is not None \
            or any(ancestor.tag in ("h1", "a") for script in root.iter("script") for ancestor in script.iterancestors()):
        return None
    return root


# A script's text ends at its end tag — or, for ``lean_page``, at a "<!--" before it (then no lean tree).
_LEAN_ENDS = {**_RAW_END, b"script": re.compile(rb"<(?:/(?i:script)(?=[\s/>])|!--)")}


# Charsets of one byte a character (the Arabic 8-bit ones ``decode`` detects): the text of the cut bytes is the
# cut of the page's text, so the cut reads them as the whole page is read (``decode.parse`` of the text).
_ONE_BYTE_CHARSETS = frozenset(("cp1256", "iso8859-6"))


def cut_parser(codec: str) -> Callable[[bytes], etree._Element | None] | None:
    """How bytes cut from a page that ``decode`` read as ``codec`` (``body.decode(codec, "replace")``) are parsed
    as the whole page's text is (``decode.parse``): for a charset of one byte a character, decode them and parse
    the text — e.g. a windows-1256 page's head and block, ~13 KB of its ~110. None for any other charset (UTF-8
    pages not parsed from their bytes as they are: a BOM, bad sequences)."""
    if codec not in _ONE_BYTE_CHARSETS:
        return None
    return lambda data: parse(data.decode(codec, "replace"))


_LT_TRIES = 64  # "<" looked at one by one before the plain search takes over


def _head_end(source: bytes) -> int:
    """Where ``source.find(b"</head>")`` finds it: the head's bytes are mostly CSS and scripts with few "<"
    (17–41 on the mirror's real-weight pages), which memchr jumps between faster than the 7-byte search
    steps through them (0.017 → 0.005 ms)."""
    at = source.find(b"<")
    for _ in range(_LT_TRIES):
        if at < 0 or source.startswith(b"/head>", at + 1):
            return at
        at = source.find(b"<", at + 1)
    return source.find(b"</head>", at) if at >= 0 else -1


_BEFORES_KEPT = 4  # distinct bytes before the block tried by ``Cut._known_before`` (memcmp each)
_SIMPLE_TAG = re.compile(r"[a-z][a-z0-9]*")
_CONTEXTS_KEPT = 256
_TAG_NAME_END = (b" ", b"\t", b"\n", b"\r", b"\f", b"/", b">")


@dataclass(frozen=True)
class Cut:
    tag: str
    open_tag: bytes  # the block's start tag exactly as the learning page wrote it (with its lead, if any)
    context: tuple[int, int, int, int]  # region_context of the block on the learning page
    # Between the head and the block: (metadata, end, role tag) of each tag that counts.
    before: re.Pattern[bytes] = field(repr=False)
    # After the block: metadata, or the block's start tag again.
    after: re.Pattern[bytes] = field(repr=False)
    # The block's own start and end tags, and the comments and raw-text elements to skip.
    tokens: re.Pattern[bytes] = field(repr=False)
    # The bytes before the block (header, menus) are mostly the same from page to page: their count, by content.
    contexts: dict[bytes, tuple[int, int, int, int] | None] = field(default_factory=dict, compare=False, repr=False)
    # Bytes of ``open_tag`` written before the block's own start tag (its parent's start tag …): 0 when
    # the start tag alone names the block.
    lead: int = 0
    # Class or id names the site's selectors need, looked for inside tags outside the block (lower case).
    words: tuple[bytes, ...] = ()
    # (source, the bytes before the block, block end) of the page last cut: what ``outside`` answers from.
    last: list = field(default_factory=list, compare=False, repr=False)
    # What a caller counted in the bytes before the block (author-like words), by content, as ``contexts``.
    counted: dict[bytes, int] = field(default_factory=dict, compare=False, repr=False)
    # (before, its ``_rest``, their context) of the latest distinct bytes before the block (``_known_before``).
    befores: list = field(default_factory=list, compare=False, repr=False)

    def parse(self, source: bytes, parse_bytes: Callable[[bytes], etree._Element | None] = parse_utf8,
              ) -> tuple[etree._Element, etree._Element, tuple[int, int, int, int]] | None:
        """(tree of the cut page, the block in it, its context), or None when the page must be parsed whole.
        ``parse_bytes``: the parse of the cut bytes — strict UTF-8's, or another charset's (``cut_parser``)."""
        head_end = _head_end(source)
        if head_end >= 0:
            head_end += 7
        else:
            match = _HEAD_END.search(source)
            if match is None:
                return None
            head_end = match.end()
        known = self._known_before(source, head_end)
        if known is not None:
            before, rest, context = known
            start = head_end + len(before)
            at = start - self.lead
        else:
            at = source.find(self.open_tag, head_end)  # (in the head it could only be a script's text)
            if at < 0:
                return None
            start = at + self.lead
            before = rest = context = None
        end = self._end(source, start)
        if end is None or source.find(self.open_tag, at + 1, end) >= 0:
            return None
        if before is None:
            before = source[head_end:start]
            rest = self._rest(before)
            context = self._context_of(rest)
            if len(self.befores) >= _BEFORES_KEPT:
                self.befores.pop()
            self.befores.insert(0, (before, rest, context))
        spans = list(markup_spans(source, end))  # (kept for ``outside``: the author-word check reads them too)
        if any(self.after.search(source, a, b) for a, b in spans) or context != self.context:
            return None
        if self.words and _has_words(source[end:].lower(), self.words):
            return None
        root = parse_bytes(lean_head(source[:head_end]) + b"<body>" + source[start:end] + b"</body></html>")
        body = root.find("body") if root is not None else None
        if body is None or len(body) != 1 or body[0].tag != self.tag:
            return None
        self.last[:] = (source, before, end, spans, rest)
        return root, body[0], self.context

    def _known_before(self, source: bytes, head_end: int) -> tuple[bytes, bytes, tuple | None] | None:
        """(the bytes before the block, their ``_rest``, its context) when ``source`` holds, from ``head_end``, the
        bytes before the block of a page cut lately followed by the start tag (from its lead on): the start tag's
        first occurrence is then where it was on that page — one that began earlier would lie in those equal bytes,
        where ``find`` found none — so the page needs no search for it, no copy of those bytes (~16 KB of header and
        menus on the mirror's real-weight alhadath pages, six contents in 930), no lookup of their count by content
        (a hash of them). The one found moves first (pages of one site mostly repeat the last one's)."""
        tail = self.open_tag[self.lead:]
        for index, known in enumerate(self.befores):
            before = known[0]
            if source.startswith(before, head_end) and source.startswith(tail, head_end + len(before)):
                if index:
                    del self.befores[index]
                    self.befores.insert(0, known)
                return known
        return None

    def outside(self, source: bytes) -> tuple[bytes, bytes, bytes, list[tuple[int, int]]] | None:
        """The bytes the cut of ``source`` (the page ``parse`` cut last) left out: those between the head and
        the block, as the page's <body> start tag (with the whitespace before it; b"" where ``_rest`` keeps it)
        and the rest (the very object ``_context`` looked up: its hash is computed once), and those after the
        block with their ``markup_spans`` (offsets into them, as ``parse`` found them); None when ``source``
        is not that page."""
        if not self.last or self.last[0] is not source:
            return None
        _, before, end, spans, rest = self.last
        return before[:len(before) - len(rest)], rest, source[end:], [(a - end, b - end) for a, b in spans]

    def count_before(self, before: bytes, count: Callable[[bytes], int]) -> int:
        """``count(before)`` for the bytes before the block (``outside``'s rest): the header and menus,
        mostly the same bytes from page to page of a site, so counted once per distinct content, kept with
        the cut (the template's owner) rather than by the process."""
        if before not in self.counted:
            if len(self.counted) >= _CONTEXTS_KEPT:
                self.counted.clear()
            self.counted[before] = count(before)
        return self.counted[before]

    def _context(self, before: bytes) -> tuple[int, int, int, int] | None:
        return self._context_of(self._rest(before))

    def _rest(self, before: bytes) -> bytes:
        """``before`` less the page's <body> start tag when it opens it. That tag often names the article
        (WordPress's class="… postid-85 …"): every page's bytes before the block would differ by it alone. It
        counts nothing (no metadata, no role: ``before`` does not match at it, nor inside it when it holds no
        other "<"), so the count is kept by the rest. (Not where the site's selectors name words: those are
        looked for in the whole of ``before``.)"""
        at = len(before) - len(before.lstrip())
        if not self.words and before[at:at + 5].lower() == b"<body" and before[at + 5:at + 6] in _TAG_NAME_END:
            end = before.find(b">", at)
            if end > 0 and before.find(b"<", at + 1, end) < 0 and self.before.match(before, at) is None:
                return before[end + 1:]
        return before

    def _context_of(self, before: bytes) -> tuple[int, int, int, int] | None:
        if before not in self.contexts:
            if len(self.contexts) >= _CONTEXTS_KEPT:
                self.contexts.clear()
            context = _context(self.before.findall(before))
            if context is not None and self.words and _has_words(before.lower(), self.words):
                context = None
            self.contexts[before] = context
        return self.contexts[before]

    def _end(self, source: bytes, start: int) -> int | None:
        depth = 0
        for match in self.tokens.finditer(source, start):
            if match.group("skipped"):
                continue
            if match.group("close"):
                depth -= 1
                if depth == 0:
                    return match.end()
            else:
                depth += 1
        return None


def learn(source: bytes | None, root: etree._Element, block: etree._Element,
          context: tuple[int, int, int, int], selector_css: list[str]) -> Cut | None:
    """The cut of ``block`` on this page, or None when its bytes cannot name it (see the module's rules).

    ``selector_css``: the site's selectors; what each could match is looked for outside the block
    (``selector_keys``; a selector it cannot read: no cut).
    """
    keys = selector_keys(selector_css)
    if source is None or block.tag not in CUTTABLE or keys is None:
        return None
    tags, words = keys
    tag = block.tag.encode()
    starts = list(re.finditer(rb"<" + tag + rb"(?=[\s/>])[^>]*>", source, re.I))
    elements = list(root.iter(block.tag))
    if len(starts) != len(elements):  # a start tag in a script or comment: no way to tell which is the block
        return None
    found = starts[elements.index(block)]
    begin = found.start()
    for _ in range(_MAX_LEAD + 1):
        open_tag = source[begin:found.end()]
        if source.count(open_tag) == 1:
            break
        begin = source.rfind(b"<", 0, begin)
        if begin < 0:
            return None
    else:
        return None
    named = {"meta", "link", "time", "base", "title", *tags}
    metadata = _tags(named) + rb"|[sS](?i:cript)[^>]*(?i:json)"
    before = re.compile(rb"<(?:(" + metadata + rb")|(/?)(" + _tags(_ROLES) + rb"))")  # metadata first: <h1> is both
    # (Each "<" past the block that can start no match is turned away by the look-ahead: see ``_initials``.)
    after = re.compile(rb"<(?=[" + _initials({*named, "script"}) + re.escape(open_tag[1:2]) + rb"])(?:" + metadata
                       + rb"|" + re.escape(open_tag[1:]) + rb")")
    # A "<" may start a comment, a raw-text element, the block's tag or its end tag ("/" then the tag's letter).
    tokens = re.compile(rb"<(?=[" + _SKIPPED_FIRST + _initials([block.tag]) + rb"]|/[" + _initials([block.tag])
                        + rb"])(?:(?P<skipped>" + _SKIPPED + rb")|(?P<close>/)?" + _tags([block.tag]) + rb"[^>]*>)", re.S)
    return Cut(block.tag, open_tag, context, before, after, tokens, lead=found.start() - begin, words=words)


_COMPOUND = re.compile(r"([a-zA-Z][a-zA-Z0-9]*)?((?:[.#][-_a-zA-Z0-9]+)*)")


def selector_keys(selector_css) -> tuple[set[str], tuple[bytes, ...]] | None:
    """What must not occur outside the block for the site's selectors to select the same elements in the
    cut page as in the whole one: (tag names, class or id names), or None for a selector this cannot read
    (attributes, pseudo-classes, sibling combinators).

    An element outside the block has only ancestors outside it, and an element inside it has the same
    ancestors inside it in both parses. So a selector ``A B C`` (descendant or child combinators) selects
    the same in both when its ancestor compounds ``A`` and ``B`` match no element outside the block (then no
    element outside matches the whole selector either); a lone compound (``figcaption``, ``.photo-note``)
    must itself match nothing outside. A compound is looked for by one name it needs: its first class or
    id (``.entry-meta`` → the word entry-meta inside some tag, as ``_has_words`` finds it), else its tag
    (``h1`` → ``<h1``). E.g. wpnews's ``.entry-content p``: no tag outside the block may hold the word
    entry-content; paragraphs outside it are no matter."""
    tags: set[str] = set()
    words: set[bytes] = set()
    for css in selector_css:
        for part in css.split(","):
            compounds = part.replace(">", " ").split()
            if not compounds or any(not c or _COMPOUND.fullmatch(c) is None for c in compounds):
                return None
            for compound in compounds[:-1] or compounds:
                tag, names = _COMPOUND.fullmatch(compound).groups()
                if names:
                    words.add(re.split(r"[.#]", names)[1].lower().encode())
                elif tag:
                    tags.add(tag.lower())
                else:
                    return None
    return tags, tuple(sorted(words))


_NAME_EDGE = b" \t\n\r\f\"'=>/"  # what may stand beside a class or id name in a tag (class="a b", id=x)


def _has_words(lowered: bytes, words: tuple[bytes, ...]) -> bool:
    """Whether one of ``words`` stands as a whole name inside a tag of ``lowered`` (``<div class="x info">``
    for "info"; not ``site-info``, nor a word of the text). A '<' in a script may make text look like a
    tag: that only costs a cut."""
    for word in words:
        at = lowered.find(word)
        while at >= 0:
            end = at + len(word)
            if lowered[at - 1:at] in _NAME_EDGE and lowered[end:end + 1] in _NAME_EDGE \
                    and lowered.rfind(b"<", 0, at) > lowered.rfind(b">", 0, at):
                return True
            at = lowered.find(word, end)
    return False


def _context(tags: list[tuple[bytes, bytes, bytes]]) -> tuple[int, int, int, int] | None:
    """region_context counted on the raw (metadata, end, role tag) tags before the block; None where the
    count is no guide (metadata, a stray end tag, a link or skipped element left open)."""
    depths: dict[bytes, int] = {}
    for metadata, close, name in tags:
        if metadata:
            return None
        depth = depths.get(name, 0) + (-1 if close else 1)
        if depth < 0:
            return None
        depths[name] = depth
    slots = [0, 0, 0, 0]
    for name, depth in depths.items():
        if depth:
            slot = _ROLES[name.decode("ascii").lower()]
            if slot < 0:
                return None
            slots[slot] += depth
    return slots[0], slots[1], slots[2], slots[3]
