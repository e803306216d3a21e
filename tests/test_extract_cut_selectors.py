"""The cut (crawler.extract.cut) with a site file's class selectors and with an old table layout's block:
the block's bytes alone are parsed only where the whole page gives the same record."""

from __future__ import annotations

import pytest

from crawler.extract import Extractor
from crawler.extract.cut import _has_words, selector_keys
from crawler.extract.template import Templates
from crawler.mirror import ARTICLE, MirrorConfig, render, truth
from tests.test_extract_template import extract_both, pages


@pytest.mark.parametrize("css, keys", [
    (["h1"], ({"h1"}, ())),
    (["figcaption"], ({"figcaption"}, ())),
    ([".photo-note"], (set(), (b"photo-note",))),
    # ancestor compounds only: the paragraphs outside the block are no matter, its container's class is
    ([".entry-content p"], (set(), (b"entry-content",))),
    ([".entry-meta .author", ".info > .writer"], (set(), (b"entry-meta", b"info"))),
    (["div.Story p, h2"], ({"h2"}, (b"story",))),
    (["a[href]"], None), (["h1 + p"], None), ([".x:first-child"], None), (["*"], None),
])
def test_selector_keys_name_what_must_not_occur_outside_the_block(css, keys):
    assert selector_keys(css) == keys


@pytest.mark.parametrize("data, found", [
    (b'<div class="x info">', True), (b"<div class=info>", True), (b'<span id="info"/>', True),
    (b'<div class="site-info">', False),  # another class name
    (b'<p>info</p>', False),  # a word of the text
    (b'<script>var a = {"info": 1}</script>', False),  # a script's JSON
    (b'<div data-x="info-box">', False),
])
def test_a_class_name_counts_only_whole_and_inside_a_tag(data, found):
    assert _has_words(data.lower(), (b"info",)) is found


def test_the_table_layouts_story_table_is_cut_with_the_tag_written_before_it():
    """The table markup's story sits in a <td> (no cut: a <td> also ends where the next starts); its
    <table width="100%"> opens the footer's table too, so the cut keeps the cell's start tag with it."""
    templates = Templates()
    for body, url in pages("table", "real", 60, 21, 150000):
        fast, whole = extract_both(templates, body, url)
        assert fast == whole, url
    state = templates.sites["alhadath"]
    assert state.cut is not None and state.cut.tag == "table" and state.cut.lead > 0
    assert state.cut.open_tag.startswith(b"<td") and state.cuts > 30 and state.dropped == 0


def _family(cms: str, count: int) -> list[tuple[bytes, str]]:
    config = MirrorConfig(articles=count + 20, seed=9, cms=cms)
    out = []
    for row in truth(config):
        if row["status"] == ARTICLE:
            path = "/" + row["url"].split("://", 1)[1].split("/", 1)[1]
            out.append((render(config, path).body, row["url"]))
        if len(out) == count:
            break
    return out


@pytest.mark.parametrize("cms, site", [("wordpress", "wpnews"), ("slug", "slugnews")])
def test_site_files_with_class_selectors_are_cut_and_keep_their_records(cms, site):
    extractor = Extractor()
    for body, url in _family(cms, 50):
        assert extractor.extract_article(body, url, site=site) == Extractor().extract_article(body, url, site=site)
    state = extractor.templates.sites[site]
    assert state.cut is not None and state.cut.words and state.cuts > 25 and state.dropped == 0


def test_a_selectors_class_in_a_tag_outside_the_block_gives_no_cut():
    extractor = Extractor()
    pages_ = _family("wordpress", 30)
    for body, url in pages_[:25]:
        extractor.extract_article(body, url, site="wpnews")
    cut = extractor.templates.sites["wpnews"].cut
    assert cut is not None and b"entry-meta" in cut.words
    for body, url in pages_[25:]:
        assert cut.parse(body) is not None
        # a second byline block after the story: the selector would pick it on the whole page
        extra = b'<div class="entry-meta"><span class="author">x</span></div>'
        changed = body.replace(b"</body>", extra + b"</body>")
        assert cut.parse(changed) is None
        assert cut.parse(body.replace(b"</body>", b"<p>entry-meta</p></body>")) is not None  # text only
        assert extractor.extract_article(changed, url, site="wpnews") == Extractor().extract_article(
            changed, url, site="wpnews")


@pytest.mark.parametrize("where", ["before", "after"])
def test_byline_markup_before_or_after_the_block_reads_the_page_whole(where):
    """Unknown host: the cut answers the byline-markup stage only when no author-like name sits in a tag of
    the bytes the cut left out (before the block or after it); those pages keep the whole page's record."""
    from tests.test_extract_template_hosts import family

    extractor = Extractor()
    box = b'<div class="box"><span class="author">Writer Of The Week</span></div>'
    for n, (body, url) in enumerate(family("slug", 30, seed=23, weight="real")):
        if n >= 15:
            body = body.replace(b"<body>", b"<body>" + box, 1) if where == "before" \
                else body.replace(b"</body>", box + b"</body>", 1)
        assert extractor.extract_article(body, url) == Extractor().extract_article(body, url), url
    state = extractor.templates.sites["//news.example.invalid"]
    assert state.cuts > 3 and state.dropped == 0
