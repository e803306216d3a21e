"""The walk reads the density body's blocks in its own loop (``walk(..., blocks=True)``): the same lines as the
walk alone, and the same blocks as ``body.blocks(body, lazy_chrome=True)``, on whole pages and on a region that is
its <body>'s only element (a cut page)."""

from __future__ import annotations

import copy

import pytest

from crawler.extract.body import blocks, story_blocks
from crawler.extract.decode import parse
from crawler.extract.walk import walk

STORY = ("The council voted on Tuesday to keep the library open, after a year of debate, and the mayor said "
         "the building would be repaired, not sold, within two years.")
PAGES = [
    f"""<html><head><title>T</title><meta property="og:title" content="T"></head><body>
    <nav><a href="/">Home</a> <a href="/w">World</a></nav>
    <div class="content"><h1>Title</h1><p class="byline">By <a href="/a">Someone</a></p>
    <figure><img src="/i.jpg" alt="x"><figcaption>A caption, not the story</figcaption></figure>
    <p>{STORY}</p><p>{STORY} <b>bold</b> tail <a href="/l">a link</a> after</p>
    <div class="share-bar">Share <a href="/s">this</a></div>
    <div class="related-posts"><h3>Related</h3><ul><li><a href="/r1">One</a></li><li><a href="/r2">Two</a></li></ul></div>
    <aside><p>{STORY} aside</p></aside><footer><p>Footer text, all rights reserved</p></footer>
    text straight in the div<br>after a break</div>
    <script>var x = "<p>not text</p>";</script><script type="application/ld+json">{{"@type": "NewsArticle"}}</script>
    </body></html>""",
    f"""<html><body><div class="clearfix bdaia-sidebar-right"><h1>T</h1>{"<p>" + STORY + "</p>" * 5}</div>
    <div class="share-box"><p>Share this story with your friends and family, today, please.</p></div></body></html>""",
    f"""<html><body><table><tr><td><h1>Short</h1><p>{STORY[:150]}</p></td></tr>
    <tr><td><div class="related-posts"><h4><a href="/a">Another</a></h4><p>{STORY}</p></div></td></tr></table>
    </body></html>""",
    f"""<html><body><header><h1>Masthead</h1></header><article><header><h1>T</h1><p>{STORY} standfirst</p></header>
    <div class="sidebar"><h1>Inner</h1><p>{STORY}</p></div><p>{STORY}</p></article>
    <noscript><p>Enable JavaScript</p></noscript><menu><li>m</li></menu>tail of the body</body></html>""",
]


def _lines(page):
    return [(line.text, line.linked, line.chrome, line.heading, line.figcaption, line.image) for line in page.lines]


def _blocks(found):
    return [(block.text, block.owner, block.linked, block.heading, block.chrome) for block in found]


def _same(root, region=None, head=None):
    alone = walk(region if region is not None else root, None, head=head)
    both = walk(region if region is not None else root, None, head=head, blocks=True)
    assert _lines(both) == _lines(alone)
    assert (both.meta, both.jsonld, both.times, both.title_tag) == (alone.meta, alone.jsonld, alone.times,
                                                                    alone.title_tag)
    body = root.find("body")
    read, found = blocks(body, lazy_chrome=True), both.blocks
    assert found is not None and found[0] is body
    assert _blocks(found[1]) == _blocks(read[0]) and found[2] == read[1]
    assert [b.text for b in story_blocks(root, found)] == [b.text for b in story_blocks(root)]
    return found[1]


def _cut_pages(root):
    """Each block element of the page alone in a copy of its <body> (as ``crawler.extract.cut`` parses one)."""
    elements = list(root.iter())
    for n, el in enumerate(elements):
        if el.tag not in ("div", "table", "article", "section", "main") or el.getparent() is None:
            continue
        doc = copy.deepcopy(root)
        region = list(doc.iter())[n]
        body = doc.find("body")
        for child in list(body):
            if child is not region and region not in child.iterdescendants():
                body.remove(child)
        body.text = None
        if region.getparent() is not body:
            body.remove(body[0])
            body.append(region)
        region.tail = "\n"
        yield doc, region


@pytest.mark.parametrize("html", PAGES)
def test_the_walk_reads_the_same_blocks_as_the_blocks_walk(html):
    root = parse(html)
    assert _same(root)
    cut = 0
    for doc, region in _cut_pages(root):
        if doc.find("head") is None:
            doc.insert(0, doc.makeelement("head"))
        _same(doc, region, doc.find("head"))
        cut += 1
    assert cut >= 1


def test_no_blocks_where_the_region_is_not_its_bodys_only_element():
    root = parse(PAGES[0])
    region = root.find(".//div[@class='content']")
    page = walk(region, None, head=root.find("head"), blocks=True)
    assert page.blocks is None
    assert [b.text for b in story_blocks(root, page.blocks)] == [b.text for b in story_blocks(root)]


def _mirror_pages(markups, count: int, urls: bool = False) -> list:
    """Real-weight article pages of the mirror's alhadath markups (with their URLs under an unknown host)."""
    from crawler.mirror import ARTICLE, MirrorConfig, route, truth

    pages = []
    for markup in markups:
        config = MirrorConfig(articles=count + 10, seed=3, markup=markup, weight="real")
        found = []
        for row in truth(config):
            if row["status"] != ARTICLE:
                continue
            page = route(config, "/" + row["url"].split("://", 1)[1].split("/", 1)[1])
            if page.status in (301, 302):
                page = route(config, "/" + page.headers["Location"].split("://", 1)[-1].split("/", 1)[1])
            if page.status == 200:
                found.append((page.body, row["url"].replace("alhadath.ps", "news.example.invalid")))
        pages += found[:count] if urls else [body for body, _ in found[:count]]
    return pages


def test_the_walk_reads_the_same_blocks_on_mirror_pages_whole_and_cut():
    """Real-weight pages of the mirror's families, whole and cut by their learned template."""
    from crawler.extract import Extractor

    compared = 0
    for markup in ("default", "table"):
        extractor, pages = Extractor(), _mirror_pages((markup,), 16, urls=True)
        for body, url in pages[:6]:  # the host's template is learned
            extractor.extract_article(body, url)
        cut = extractor.templates.sites["//news.example.invalid"].cut
        assert cut is not None
        for body, _ in pages:
            _same(parse(body.decode("utf-8")))
            parts = cut.parse(body)
            assert parts is not None
            tree, region, _ = parts
            assert _same(tree, region, tree.find("head"))
            compared += 1
    assert compared >= 20
