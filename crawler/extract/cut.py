"""Parse only the story's block: a page's bytes cut to its <head> and the block the site's template names.

A template (``crawler.extract.template``) walks only the story's block, but the whole page is still
parsed — on a page of real weight most of its bytes are chrome (menus, boxes, footers, scripts, JSON
state), and parsing them costs about as much as all the rest of the extraction. Once a template is
adopted, the block's own start tag (``<main class="content">``, as the page wrote it) is kept, and a
later page of the site is parsed as ``<head>…</head>`` + ``<body>`` + that block's bytes only, when a
cheap look at the raw bytes shows that the whole parse would give the same record:

- the page's bytes are parsed as they are (strict UTF-8, see ``decode.parsed_bytes``) and have a ``</head>``;
- the start tag occurs once, after ``</head>``; its element ends at the matching end tag (counting the
  same tag's start and end tags; comments and raw-text elements such as <script> skipped) — only tags
  the parser never closes by itself are cut so (div, main, article, section);
- outside the head and the block there is no metadata the walk reads (``<meta>``, ``<link>``, ``<time>``,
  ``<base>``, ``<title>``, JSON <script>) and no element the site's selectors name (``<h1>``);
- the tags before the block put it at the same depth of chrome, article, heading and figcaption as the
  learning page, and inside no link or skipped element (counted in order; a stray end tag: no cut);
- the cut parses into a <body> holding that block alone.

Anything else — and a block that yields no record — takes the whole parse. The cut is only learned
when it reproduced the learning page's full record, and the template's every-Nth-page check compares
it with the full record again (a difference drops it). Pages of any other charset are parsed whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from crawler.extract.decode import parse_utf8
from crawler.extract.walk import context_roles

# The parser closes these only at their own end tag or an ancestor's: counting start and end tags finds
# the end. (A <p>, <li> or <td> also ends where the next one starts: no cut.)
CUTTABLE = frozenset(("div", "main", "article", "section"))
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
_SKIPPED = rb"!--.*?-->|" + b"|".join(b"(?i:" + name.encode() + rb")(?=[\s/>])[^>]*>.*?</(?i:" + name.encode()
                                    + rb")\s*>" for name in _RAW_TEXT)
_SIMPLE_TAG = re.compile(r"[a-z][a-z0-9]*")
_CONTEXTS_KEPT = 256


@dataclass(frozen=True)
class Cut:
    tag: str
    open_tag: bytes  # the block's start tag exactly as the learning page wrote it
    context: tuple[int, int, int, int]  # region_context of the block on the learning page
    # Between the head and the block: (metadata, end, role tag) of each tag that counts.
    before: re.Pattern[bytes] = field(repr=False)
    # After the block: metadata, or the block's start tag again.
    after: re.Pattern[bytes] = field(repr=False)
    # The block's own start and end tags, and the comments and raw-text elements to skip.
    tokens: re.Pattern[bytes] = field(repr=False)
    # The bytes before the block (header, menus) are mostly the same from page to page: their count, by content.
    contexts: dict[bytes, tuple[int, int, int, int] | None] = field(default_factory=dict, compare=False, repr=False)

    def parse(self, source: bytes) -> tuple[etree._Element, etree._Element, tuple[int, int, int, int]] | None:
        """(tree of the cut page, the block in it, its context), or None when the page must be parsed whole."""
        head_end = source.find(b"</head>")
        if head_end >= 0:
            head_end += 7
        else:
            match = _HEAD_END.search(source)
            if match is None:
                return None
            head_end = match.end()
        start = source.find(self.open_tag, head_end)  # (in the head it could only be a script's text)
        if start < 0:
            return None
        end = self._end(source, start)
        if end is None or source.find(self.open_tag, start + 1, end) >= 0:
            return None
        if self.after.search(source, end) or self._context(source[head_end:start]) != self.context:
            return None
        root = parse_utf8(source[:head_end] + b"<body>" + source[start:end] + b"</body></html>")
        body = root.find("body") if root is not None else None
        if body is None or len(body) != 1 or body[0].tag != self.tag:
            return None
        return root, body[0], self.context

    def _context(self, before: bytes) -> tuple[int, int, int, int] | None:
        if before not in self.contexts:
            if len(self.contexts) >= _CONTEXTS_KEPT:
                self.contexts.clear()
            self.contexts[before] = _context(self.before.findall(before))
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

    ``selector_css``: the site's selectors; each must be a bare tag name, looked for outside the block.
    """
    if source is None or block.tag not in CUTTABLE or not all(_SIMPLE_TAG.fullmatch(css) for css in selector_css):
        return None
    tag = block.tag.encode()
    starts = [m.group(0) for m in re.finditer(rb"<" + tag + rb"(?=[\s/>])[^>]*>", source, re.I)]
    elements = list(root.iter(block.tag))
    if len(starts) != len(elements):  # a start tag in a script or comment: no way to tell which is the block
        return None
    open_tag = starts[elements.index(block)]
    if source.count(open_tag) != 1:
        return None
    metadata = _tags({"meta", "link", "time", "base", "title", *selector_css}) + rb"|[sS](?i:cript)[^>]*(?i:json)"
    before = re.compile(rb"<(?:(" + metadata + rb")|(/?)(" + _tags(_ROLES) + rb"))")  # metadata first: <h1> is both
    after = re.compile(rb"<(?:" + metadata + rb"|" + re.escape(open_tag[1:]) + rb")")
    first = sorted({"!", "/", *(n[0] + n[0].upper() for n in (block.tag, *_RAW_TEXT))})
    tokens = re.compile(rb"<(?=[" + "".join(first).encode() + rb"])(?:(?P<skipped>" + _SKIPPED + rb")|(?P<close>/)?"
                        + _tags([block.tag]) + rb"[^>]*>)", re.S)
    return Cut(block.tag, open_tag, context, before, after, tokens)


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
