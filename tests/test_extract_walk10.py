"""reparse10: the walk keeps each link's href beside it (``Page.links``), for the fields that read it
(``PageFields._link_elements``) — the walk against the base's (4f226d3, read from git) on random trees, whole and a
region, with and without a timestamp and the density body's blocks; the href each link's own ``get("href")``. (The
records the fields read from them: ``bench/snapshot.py compare``, in bench/results.md's reparse10 section.)"""

from __future__ import annotations

import re

import lxml.html
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.extract.walk import region_context, walk
from tests.test_extract_walk7 import _flat, markup, walk_at
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
