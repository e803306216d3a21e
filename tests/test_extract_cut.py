"""Parsing only the story block's bytes (crawler.extract.cut): used only where the whole parse gives the same record."""

from __future__ import annotations

import pytest

from crawler.extract.cut import learn
from crawler.extract.decode import parse_utf8
from crawler.extract.template import Templates
from crawler.extract.walk import region_context
from tests.test_extract_template import extract_both, pages

OPEN = b'<main class="content">'


@pytest.fixture()
def trained():
    """Templates that learned the real-weight default layout, and more pages of it."""
    templates = Templates()
    for body, url in pages("default", "real", 12, 11, 120000):
        fast, whole = extract_both(templates, body, url)
        assert fast == whole
    state = templates.sites["alhadath"]
    assert state.cut is not None and state.cut.open_tag == OPEN
    return templates, pages("default", "real", 8, 12, 130000)


def test_pages_are_parsed_from_their_story_block_alone_with_the_same_records():
    templates = Templates()
    for body, url in pages("default", "real", 60, 13, 140000):
        fast, whole = extract_both(templates, body, url)
        assert fast == whole, url
    state = templates.sites["alhadath"]
    assert state.cuts > 40 and state.dropped == 0
    assert state.verified >= 2  # the cut's record compared with the whole page's on every Nth page


def _around_block(body: bytes, before: bytes = b"", after: bytes = b"", inside: bytes = b"") -> bytes:
    start = body.index(OPEN)
    end = body.index(b"</main>", start) + len(b"</main>")
    return body[:start] + before + body[start:end - 7] + inside + body[end - 7:end] + after + body[end:]


@pytest.mark.parametrize("change", [
    {"after": b'<meta property="article:published_time" content="2020-01-01">'},  # metadata outside the block
    {"after": b'<script type="application/ld+json">{"@type": "NewsArticle"}</script>'},
    {"after": b"<time datetime='2020-01-01'>x</time>"},
    {"before": b"<h1>\xd8\xa7\xd9\x84\xd8\xad\xd8\xaf\xd8\xab</h1>"},  # the site's title selector outside the block
    {"before": b'<a href="/category/1">'},  # a link left open around the block
    {"before": b"<aside>", "after": b"</aside>"},  # the block inside page chrome
    {"before": b"</nav>"},  # a stray end tag: the count is no guide
    {"after": OPEN + b"<p>x</p></main>"},  # the block's start tag twice
], ids=["meta", "jsonld", "time", "h1", "open-link", "in-aside", "stray-end", "twice"])
def test_a_page_whose_bytes_outside_the_block_could_change_the_record_is_parsed_whole(trained, change):
    templates, more = trained
    cut = templates.sites["alhadath"].cut
    for body, url in more[:3]:
        changed = _around_block(body, **change)
        assert cut.parse(body) is not None
        assert cut.parse(changed) is None
        fast, whole = extract_both(templates, changed, url)
        assert fast == whole


def test_comments_and_scripts_in_the_block_do_not_end_it_early(trained):
    templates, more = trained
    cut = templates.sites["alhadath"].cut
    for body, url in more[:3]:
        changed = _around_block(body, inside=b"<!-- </main> --><script>var s = '</main><main>';</script>")
        parts = cut.parse(changed)
        assert parts is not None and parts[1].tag == "main"
        fast, whole = extract_both(templates, changed, url)
        assert fast == whole


def test_no_cut_is_learned_where_the_bytes_cannot_name_the_block():
    body, url = pages("default", "real", 1, 14, 150000)[0]
    root = parse_utf8(body)
    block = root.xpath("//main")[0]
    assert learn(body, root, block, region_context(block), ["h1"]) is not None
    assert learn(body, root, block, region_context(block), ["div[title]"]) is None  # no byte check for an attribute
    assert learn(None, root, block, region_context(block), ["h1"]) is None  # not parsed from its bytes
    cell = root.xpath("//td") or [block.getparent()]
    if cell[0].tag == "td":
        assert learn(body, root, cell[0], region_context(cell[0]), ["h1"]) is None  # a <td> ends by itself


def test_a_body_start_tag_naming_the_article_does_not_make_every_page_counted_anew():
    """WordPress writes the article into <body class="… postid-85 …">: the bytes before the block differ on
    every page by that tag alone, which counts nothing; the count of the rest is kept (one entry), the same."""
    from crawler.extract.cut import _context

    body, url = pages("default", "real", 1, 14, 150000)[0]
    root = parse_utf8(body)
    block = root.xpath("//main")[0]
    cut = learn(body, root, block, region_context(block), ["h1"])
    assert cut is not None and not cut.words
    for n in range(5):
        page = body.replace(b"<body", b'<body class="single postid-%d"' % n, 1)
        assert cut.parse(page) is not None
        _, before, _, _, _ = cut.last
        assert cut._context(before) == _context(cut.before.findall(before)) == cut.context
    assert len(cut.contexts) == 1
    # a <body> tag holding another "<" is counted whole, as any other bytes
    odd = body.replace(b"<body", b'<body title="<a href=x>"', 1)
    assert cut.parse(odd) is None  # (the link left open around the block)
    assert len(cut.contexts) == 2


def test_metadata_written_in_a_script_or_comment_after_the_block_does_not_stop_the_cut(trained):
    """No element is made of a script's text or a comment (cut.markup_spans): the page is still cut, with the
    whole page's record; a JSON-LD script itself (its start tag) still stops it."""
    templates, more = trained
    cut = templates.sites["alhadath"].cut
    for body, url in more[:3]:
        changed = _around_block(body, after=b"<script>document.write('<meta property=\"og:title\" content=x>');"
                                              b"</script><!-- <time datetime='2020-01-01'>x</time> -->")
        assert cut.parse(changed) is not None
        fast, whole = extract_both(templates, changed, url)
        assert fast == whole
        assert cut.parse(_around_block(body, after=b'<SCRIPT type="application/ld+json">{}</SCRIPT>')) is None


def test_markup_spans_leave_out_raw_text_and_comments():
    from crawler.extract.cut import markup_spans

    data = b'<p>a</p><SCRIPT src="x">if (a<b) x()</SCRIPT><!-- c --><i>d</i><style>p{}</style >e'
    assert [data[a:b] for a, b in markup_spans(data)] == [b'<p>a</p><SCRIPT src="x">', b"</SCRIPT>",
                                                           b"--><i>d</i><style>", b"</style >e"]
    inside = b'<a title="<script>">x</a>'  # inside a tag: starts nothing
    assert [inside[a:b] for a, b in markup_spans(inside)] == [b'<a title="<script>', b'">x</a>']


def test_the_head_end_is_where_a_plain_search_finds_it():
    """cut._head_end hops from "<" to "<" (memchr) and hands over to bytes.find after _LT_TRIES of them:
    the first b"</head>" either way — or -1."""
    import random

    from crawler.extract.cut import _LT_TRIES, _head_end

    rng = random.Random(3)
    pieces = [b"<", b"</", b"</head>", b"</HEAD>", b"</head >", b"<head>", b"x", b"<!-- </head> -->", b"a<b", b">"]
    cases = [b"", b"</head>", b"<" * (_LT_TRIES + 5) + b"</head>", b"<" * (_LT_TRIES - 1) + b"</head>",
             b"<" * _LT_TRIES + b"x</head>"]
    cases += [b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 80))) for _ in range(3000)]
    for data in cases:
        assert _head_end(data) == data.find(b"</head>"), data
    body, _ = pages("default", "real", 1, 14, 150000)[0]
    assert _head_end(body) == body.find(b"</head>") > 0


def test_a_windows_1256_page_is_cut_as_its_bytes_and_read_as_the_full_chain_reads_it():
    """The tags of a windows-1256 page are its ASCII bytes as in UTF-8: the cut finds the block in the raw bytes,
    and the cut bytes decoded are the cut of the page's text (one byte a character)."""
    from crawler.extract.extractor import Extractor
    from crawler.sites import get_site

    site = get_site("alhadath")
    extractor = Extractor()
    for body, url in pages("default", "real", 10, 31, 150000):
        extractor.extract_article(body, url, site=site)
    state = extractor.templates.sites["alhadath"]
    assert state.cut is not None and state.pages < 20  # (no check page below: page 20 is one)
    for body, url in pages("default", "real", 8, 32, 160000):
        if body.isascii() or b'<meta charset="utf-8">' in body:  # (the mirror writes ~1 page in 20 in windows-1256)
            text = body.decode("utf-8").replace('<meta charset="utf-8">', '<meta charset="windows-1256">')
            body = text.encode("cp1256", "xmlcharrefreplace")
        cp1256 = body
        cuts = state.cuts
        record = extractor.extract_article(cp1256, url, site=site)
        assert state.cuts == cuts + 1  # served by the cut
        assert record is not None and record["encoding"] == "cp1256"
        assert record == Extractor().extract_article(cp1256, url, site=site)  # a fresh run reads the page whole
