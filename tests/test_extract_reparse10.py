"""reparse10's changes give the answers the base (4f226d3, read from git) gave:

- the walk keeps each link's href beside it (``Page.links``), for the fields that read it
  (``PageFields._link_elements``) — the walk against the base's on random trees, whole and a region, with and
  without a timestamp and the density body's blocks; the href each link's own ``get("href")``;
- ``layout._names_title`` asks the joined title hints (``layout._Titles``) — ``read_layout`` against the base's on
  random lines holding timestamps, titles, texts inside the hints, short ones, and (as no walk gives) newlines.

(The records: ``bench/snapshot.py compare``, in bench/results.md's reparse10 section.)"""

from __future__ import annotations

import re

import lxml.html
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.extract import layout
from crawler.extract.walk import Line, Page, region_context, walk
from crawler.sites import get_site
from tests.test_extract_walk7 import _flat, markup, module_at, walk_at
from tests.test_extract_walk8 import _ATTRS, _TAGS, _WORDS

BASE = "4f226d3"  # the walk before reparse10 (a link kept as (element, line, in chrome))

_HREFS = _ATTRS + [' href="/tag/7/%D8%BA%D8%B2%D8%A9"', ' href="/category/5/x"', ' href=" /tag/3 "']


def _links_hold_their_hrefs(page) -> None:
    for el, _, _, href in page.links:
        assert href == el.get("href") and href


@settings(max_examples=300, deadline=None)
@given(markup(_TAGS, _HREFS, _WORDS, deepest=5), st.sampled_from(_WORDS), st.integers(0, 1_000))
def test_walk_equals_the_bases_walk_and_keeps_each_links_href(inner, lead, pick):
    base_walk = walk_at(BASE)
    tree = lxml.html.document_fromstring(f"<html><head><title>t</title></head><body>{lead}<div>{inner}</div>"
                                         "</body></html>")
    stamp = re.compile(r"\b\d{4}-\d{2}-\d{2} \d{1,2}:\d{2}:\d{2} [AaPp][Mm]\b")
    for blocks in (False, True):
        for timestamp in (None, stamp):
            page = walk(tree, timestamp, blocks=blocks)
            assert _flat(page) == _flat(base_walk(tree, timestamp, blocks=blocks))
            _links_hold_their_hrefs(page)
    body = tree.find("body")
    regions = [el for el in body.iter() if isinstance(el.tag, str) and region_context(el) is not None]
    region = regions[pick % len(regions)]
    context = region_context(region)
    page = walk(region, stamp, head=tree.find("head"), context=context)
    assert _flat(page) == _flat(base_walk(region, stamp, head=tree.find("head"), context=context))
    _links_hold_their_hrefs(page)


# Lines of a page around timestamps: titles, a title inside a hint ("… | الحدث"), short texts, sidebar headlines.
_STAMP = "2016-02-19 11:15:08 PM"
_PIECES = ["الحدث", "عنوان الخبر الرئيسي", "غزة", "ab", "Title of it", "أخبار ذات صلة", "إعلان", "قال الوزير إن"]


@st.composite
def _text(draw) -> str:
    if draw(st.integers(0, 4)) == 0:
        return _STAMP
    words = draw(st.lists(st.sampled_from(_PIECES), min_size=0, max_size=3))
    return draw(st.sampled_from([" ", " | ", "\n", " - "])).join(words)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(_text(), st.booleans(), st.booleans(), st.booleans()), min_size=0, max_size=14),
       st.lists(_text(), min_size=0, max_size=4), st.data())
def test_read_layout_equals_the_bases_with_timestamps(shapes, extra_hints, data):
    base = module_at(BASE, "crawler/extract/layout.py")
    site = get_site("alhadath")
    lines = [Line(text, 0.6 if linked else 0.0, chrome, heading, False) for text, linked, chrome, heading in shapes]
    texts = [line.text for line in lines if line.text]
    # Hints as the fields make them: a line's text, the same with the outlet's name around it, and others.
    picked = [data.draw(st.sampled_from(texts)) for _ in range(data.draw(st.integers(0, 2)))] if texts else []
    hints = [*picked, *(f"{text} | الحدث" for text in picked), *extra_hints]
    title = hints[0] if hints else ""
    for own in ((), ("الحدث",)):
        assert _flat(layout.read_layout(Page(lines=lines), site, hints, title, own)) == \
            _flat(base.read_layout(Page(lines=lines), site, hints, title, own))


def test_a_title_is_named_inside_a_hint_and_not_across_two():
    titles = layout._Titles(["عنوان الخبر | الحدث", "Title\nof it", "غزة"])
    assert titles.name("عنوان الخبر") and titles.name("غزة") and not titles.name("غز")
    assert not titles.name("الحدث\nTitle")  # (across the joint: in no one hint)
    assert not titles.name("| الحدث Title")  # nor across it with the joint's place taken by another character
    assert titles.name("Title\nof") and not titles.name("it\nغزة")
    assert not titles.name("of it") and titles.name("itle of it" .replace(" ", "\n", 1))  # (short: equal only)
