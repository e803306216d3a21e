"""walk8's short paths through the walk's loop (inline elements, blocks to both readings, links: one lookup an
element, told by identity) give the answers the walk gave: the walk against 3bf1755's walk (read from git) on
random trees, whole with and without the density body's blocks and one region alone."""

from __future__ import annotations

import importlib

import lxml.html
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.extract.walk import region_context, walk
from tests.test_extract_walk7 import _flat, markup, walk_at

walk_module = importlib.import_module("crawler.extract.walk")  # (the package's `walk` is the function)

BASE = "3bf1755"  # the walk before walk8 (two role lookups at each start, two at each end)


def _base_walk():
    return walk_at(BASE)


# Every kind of the loop's short paths (inline: span, b, font, i, em; both a block: div, p, br, td, tr, li, ul,
# table; a link) and of its full path (skipped, chrome, header/footer, article, heading, figure/figcaption, time/
# meta, form parts the blocks alone skip), a comment, and attributes the chrome test reads, on any of them.
_TAGS = ["div", "p", "span", "b", "font", "i", "em", "a", "a", "br", "img", "script", "style", "nav", "aside",
         "header", "footer", "article", "main", "h1", "h4", "figure", "figcaption", "time", "meta", "li", "ul",
         "table", "tr", "td", "section", "form", "label", "input", "button", "!--"]
_ATTRS = ['', '', ' class="share-bar"', ' id="related"', ' class="article-body has-sidebar"', ' href="/x"',
          ' href=""', ' class="post" id="comments"', ' itemprop="articleBody" class="sidebar"',
          ' class="menu" href="/m"', ' src="/i.jpg" alt="صورة"', ' datetime="2016-02-19"',
          ' property="og:title" content="t"', ' rel="canonical" href="/c"', ' style="x"']
_WORDS = ["", " ", "\n  ", "خبر عاجل", "2016-02-19 11:15:08 PM", "text, more", "   نص  طويل، ", "\u200f"]


@settings(max_examples=300, deadline=None)
@given(markup(_TAGS, _ATTRS, _WORDS, deepest=5), st.sampled_from(_WORDS),
       st.sampled_from(["div", "table", "span", "font"]), st.sampled_from(_ATTRS), st.integers(0, 1_000))
def test_walk_equals_the_bases_walk_on_random_trees(inner, lead, outer, attrs, pick):
    base_walk = _base_walk()
    markup = f"<{outer}{attrs}>{inner}</{outer}>"
    if outer == "table":  # (a cut table page's region: the parser keeps its rows in a <tbody>)
        markup = f"<table{attrs}><tr><td>{inner}</td></tr></table>"
    tree = lxml.html.document_fromstring(f"<html><head><title>t</title></head><body>{lead}{markup}</body></html>")
    for blocks in (False, True):
        assert _flat(walk(tree, blocks=blocks)) == _flat(base_walk(tree, blocks=blocks))
    # A region walked alone, as a template reads its block: the <body>'s only element (the blocks read in the
    # same loop, as on a cut page), or any other.
    body = tree.find("body")
    regions = [el for el in body.iter() if isinstance(el.tag, str) and region_context(el) is not None]
    head = tree.find("head")
    for region in (body[0], regions[pick % len(regions)]):
        if region_context(region) is None:
            continue
        context = region_context(region)
        assert _flat(walk(region, head=head, context=context, blocks=True)) == \
            _flat(base_walk(region, head=head, context=context, blocks=True))


def test_the_short_paths_kinds_are_told_apart_by_identity():
    kinds = walk_module._KINDS
    assert kinds["br"] is kinds["div"] is kinds["td"] is walk_module._BOTH_BLOCK
    assert kinds["a"] is walk_module._BOTH_LINK
    assert "span" not in kinds and "font" not in kinds  # (_INLINE)
    # <body> and <html>: the same roles, the full path (the blocks' <body> starts there)
    assert kinds["body"] == walk_module._BOTH_BLOCK and kinds["body"] is not walk_module._BOTH_BLOCK
    for kind, named in walk_module._NAMED.items():
        assert named == kind and named is not kind
