"""Templates learned on any host (crawler.extract.extractor): the generic chain's pages of a site with no site
file, read through the story block learned from the chain's own answers — and the same records as the chain."""

from __future__ import annotations

import pytest

from crawler.extract import Extractor
from crawler.extract.extractor import HOST_LEARN_AFTER, HOST_TRIAL
from crawler.mirror import ARTICLE, MirrorConfig, render, route, truth

HOST = "https://news.example.invalid"  # no site file knows it: the generic chain reads its pages
KEY = "//news.example.invalid"


def family(cms: str, count: int, seed: int, markup: str = "default", weight: str = "light") -> list[tuple[bytes, str]]:
    """(bytes, URL under the unknown host) of ``count`` article pages of one mirror family."""
    if cms == "alhadath":
        config = MirrorConfig(articles=count * 2 + 20, seed=seed, markup=markup, weight=weight)
    else:
        config = MirrorConfig(articles=count * 2 + 20, seed=seed, cms=cms)
    out = []
    for row in truth(config):
        if row["status"] != ARTICLE:
            continue
        path = "/" + row["url"].split("://", 1)[1].split("/", 1)[1]
        page = (route if cms == "alhadath" else render)(config, path)
        if page.status in (301, 302):  # /article/<id> → its slugged URL
            path = "/" + page.headers["Location"].split("://", 1)[-1].split("/", 1)[1]
            page = route(config, path)
        assert page.status == 200, path
        out.append((page.body, HOST + path))
        if len(out) == count:
            break
    return out


def full_chain(body: bytes, url: str, density: bool):
    """The generic chain on the whole page: a fresh Extractor has learned nothing of the host."""
    return Extractor().extract_article(body, url)


# The body by DOM shape and density (crawler.extract.body, the default since branch body): a template
# parses only the block's bytes for the latter; trafilatura needs the whole page (the template walks the block).
BODIES = pytest.mark.parametrize("density", [True], ids=["density"])  # the body is read by density since branch body


@BODIES
def test_after_a_few_pages_the_host_template_serves_and_every_record_is_the_full_chains(density):
    for cms in ("wordpress", "slug"):
        extractor = Extractor()
        pages = family(cms, 45, seed=11)
        for n, (body, url) in enumerate(pages, 1):
            record = extractor.extract_article(body, url)
            assert record is not None and record == full_chain(body, url, density), (cms, url)
            state = extractor.templates.sites[KEY]
            if n <= HOST_LEARN_AFTER + HOST_TRIAL:  # learned on the Nth page, then on trial beside the chain
                assert state.fast == 0, (cms, n)
        assert state.path and (state.cut is not None or not density), cms
        assert state.fast >= 45 - HOST_LEARN_AFTER - HOST_TRIAL - 3, (cms, state)
        if density:
            assert state.cuts >= state.fast - 3, (cms, state)  # the block's bytes alone parsed
        assert state.dropped == 0 and state.verified >= HOST_TRIAL, (cms, state)


@BODIES
def test_alhadath_markups_under_an_unknown_host_real_weight(density):
    extractor = Extractor()
    for body, url in family("alhadath", 40, seed=12, weight="real"):
        assert extractor.extract_article(body, url) == full_chain(body, url, density), url
    state = extractor.templates.sites[KEY]
    assert state.path.endswith("article[@class='post']") and state.fast > 25, state
    assert state.cuts > 25 if density else state.cuts == 0, state


@BODIES
def test_a_site_seen_once_or_twice_learns_nothing(density):
    """Real pages of other outlets come one or two per host: they pay no learning and no trial."""
    extractor = Extractor()
    for body, url in family("wordpress", HOST_LEARN_AFTER - 1, seed=13):
        extractor.extract_article(body, url)
    state = extractor.templates.sites[KEY]
    assert state.path == "" and state.fast == 0 and state.verified == 0


@BODIES
def test_a_layout_change_mid_run_drops_the_template_and_the_records_stay_right(density):
    """The same host serves wordpress pages, then the slug family's, then the alhadath table markup (its dates
    only htmldate finds: a template never answers those), then wordpress again."""
    extractor = Extractor()
    paths = []
    runs = [family("wordpress", 30, seed=14), family("slug", 30, seed=15),
            family("alhadath", 20, seed=16, markup="table", weight="real"), family("wordpress", 30, seed=17)]
    for run in runs:
        for body, url in run:
            record = extractor.extract_article(body, url)
            assert record == full_chain(body, url, density), url
        state = extractor.templates.sites[KEY]
        paths.append(state.path)
    assert "main[@id='primary']" in paths[0] and paths[1].endswith("div[@class='story']"), paths
    assert "main[@id='primary']" in paths[3], paths
    assert state.fast > 10


def test_a_canonical_link_to_a_known_site_reads_the_page_as_that_site():
    extractor = Extractor()
    body, url = family("alhadath", 1, seed=18)[0]
    canonical = b'<link rel="canonical" href="https://www.alhadath.ps/article/77">'
    owned = body.replace(b"</head>", canonical + b"</head>", 1)
    record = extractor.extract_article(owned, url)
    assert record["site"] == "alhadath" and record["article_id"] == 1  # the URL's number, by the site's pattern
    assert record["url"] == "https://www.alhadath.ps/article/1"
    assert extractor.templates.sites["alhadath"].pages == 1


@BODIES
def test_byline_markup_outside_the_block_keeps_the_template_from_answering(density):
    """An author element in the sidebar: on the whole page the chain's last author stage (class="author"
    anywhere) finds it; the block alone would not, so those pages are read whole."""
    extractor = Extractor()
    pages = family("slug", 30, seed=19)
    sidebar = b'<div class="box"><span class="author">Writer Of The Week</span></div>'
    for n, (body, url) in enumerate(pages):
        if n >= 15:
            body = body.replace(b"</body>", sidebar + b"</body>", 1)
        record = extractor.extract_article(body, url)
        assert record == full_chain(body, url, density), url


def test_a_site_guessed_from_its_url_learns_the_wordpress_block_whose_id_names_one_post():
    """`arshif crawl --url`: the site chain by a guessed Site; <article id="post-9"> names one post only, so
    the template's path steps over it and the cut starts at its parent (<main id="primary">)."""
    from crawler.sites.guess import site_from_url

    site = site_from_url(HOST + "/")
    extractor = Extractor()
    for body, url in family("wordpress", 40, seed=20):
        record = extractor.extract_article(body, url, site=site)
        assert record is not None and record == Extractor().extract_article(body, url, site=site), url
    state = extractor.templates.sites[site.name]
    assert state.path.endswith("main[@id='primary'][@class='site-main']/article"), state.path
    assert state.cut is not None and state.cut.open_tag.startswith(b"<main ") and state.cuts > 25, state


# What a cut page's "markup" stage asks of the bytes after the block (crawler.extract.extractor): whether a tag
# there holds an author-like word — searched outside raw-text elements and comments, which hold no element.
@pytest.mark.parametrize("after, found", [
    (b'<div class="author">x</div>', True),
    (b'<script>var author = 1;</script><p>x</p>', False),  # a script's text
    (b'<SCRIPT type="x">{"byline": 1}</SCRIPT >', False),
    (b'<script class="author">x</script>', True),  # a start tag is searched
    (b'<!-- <span class=author> -->', False),  # a comment
    (b'<!--><span class=author>x</span>', True),  # "<!-->" ends there
    (b'<!---><span class=author>x</span>', True),
    (b'<!-- a --!> <b class=author>', True),  # "--!>" ends a comment too
    (b'<!-- never closed <b class=author>', True),  # searched all the same
    (b'<a title="<script>"><span class=byline>y</span></a></script>', True),  # inside a tag: starts nothing
    (b'<script>x</script foo><i class=writer>', True),  # an end tag with junk still ends it
    (b'<script>never closed <b class=author>', True),
    (b'<style>.author { color: red }</style><p>x</p>', False),
    (b'<textarea><script></textarea><span class=author>X</span></script>', True),  # raw text: not a script
])
def test_author_words_after_the_block_skip_raw_text_and_comments(after, found):
    from crawler.extract.cut import markup_spans
    from crawler.extract.extractor import _author_words_outside_raw_text

    assert _author_words_outside_raw_text(after) is found
    assert _author_words_outside_raw_text(after, list(markup_spans(after))) is found  # the cut's spans


def test_canonical_links_are_what_the_xpath_selected_in_document_order():
    """_site_of_page's links (a page under an unknown host naming a site we know): as the XPath
    //link[@rel='canonical']/@href | //meta[@property='og:url']/@content selects them."""
    from lxml import etree

    from crawler.extract.decode import parse_utf8
    from crawler.extract.extractor import _canonical_links

    page = parse_utf8(b'<html><head><link rel="canonical" href=" a "><meta property="og:url" content="b">'
                      b'<link rel="Canonical" href="c"><link rel="canonical"><meta name="og:url" content="x">'
                      b'</head><body><meta property="og:url" content="d"><link rel="canonical amp" href="e">'
                      b'<link href="f" rel="canonical"></body></html>')
    xpath = etree.XPath("//link[@rel='canonical']/@href | //meta[@property='og:url']/@content")
    assert list(_canonical_links(page)) == [str(v) for v in xpath(page)] == [" a ", "b", "d", "f"]


def test_the_cut_hands_the_author_check_the_spans_it_found_after_the_block():
    """Cut.outside's spans (found by Cut.parse on the page's bytes, for its metadata search) are what
    markup_spans finds in the lowered bytes after the block, where the author-word check used to look again;
    the check gives the same answer with them (real-weight pages of three families, their scripts included)."""
    from crawler.extract.cut import markup_spans
    from crawler.extract.extractor import _author_words, _author_words_outside_raw_text

    compared = 0
    for cms, markup in (("alhadath", "table"), ("alhadath", "default"), ("slug", "default"), ("wordpress", "default")):
        extractor = Extractor()
        pages = family(cms, 30, 21, markup=markup, weight="real")
        for body, url in pages[:20]:
            extractor.extract_article(body, url)
        cut = extractor.templates.sites[KEY].cut
        assert cut is not None, (cms, markup)
        for body, _ in pages[20:]:
            # the same bytes with a script, a comment and an author-like class after the block
            for page in (body, body.replace(b"</body>", b"<script>x<y</script><!-- <b class=author> --><i class=byline>")):
                if cut.parse(page) is None:
                    continue
                body_tag, before, after, spans = cut.outside(page)
                assert spans == list(markup_spans(after.lower())), (cms, markup)
                assert body_tag + before == page[page.find(b"</head>") + 7:page.find(cut.open_tag) + cut.lead]
                assert (bool(body_tag and _author_words(body_tag)) or bool(_author_words(before))) \
                    is _author_words(body_tag + before)
                assert _author_words_outside_raw_text(after, spans) is _author_words_outside_raw_text(after)
                compared += 1
    assert compared >= 50


@pytest.mark.parametrize("body_tag", [b"", b"\n<body>", b'<body class="single postid-85">', b'<body class="author-archive">',
                                      b'  <BODY data-x="a>b author">', b"<body id=byline>"])
@pytest.mark.parametrize("rest", [b"<div>author</div>", b'<nav><a class="byline">x</a></nav>', b"writer> <p>",
                                  b'<p title="x">reporter', b"", b"<script>author</script>"])
def test_the_body_tag_apart_gives_the_same_author_answer(body_tag, rest):
    """_PartialPage asks the <body> start tag and the rest of the bytes before the block apart (the rest's answer
    kept by its content, Cut.count_before): the same answer as for the bytes whole."""
    from crawler.extract.extractor import _author_words

    apart = bool(body_tag and _author_words(body_tag)) or _author_words(rest)
    assert apart is _author_words(body_tag + rest)
