"""A listing page's links read by an extraction worker (``spiders.links.ListingJob``, crawl10) are what the spider
reads in its own process, and what the base's spider (4f226d3, read from git) read: its article links, its main
list and its next page, over the mirror's families and over random pages in any charset."""

from __future__ import annotations

import types

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scrapy.http import HtmlResponse, Request

from crawler.extract.work import PageResult, PageTask, extract_page_or_failure
from crawler.middlewares.extractpool import EXTRACTED, ExtractPool
from crawler.mirror import MirrorConfig, render
from crawler.sites import get_site
from spiders.links import LinkReader, ListingJob, PageLinks, main_block_ids, page_links
from tests.test_crawl_units import build
from tests.test_extract_walk7 import module_at

BASE = "4f226d3"  # before crawl10: the spider read every listing page itself
SITE = get_site("alhadath")
MIRROR = "http://127.0.0.1:8000"


def base_spider() -> type:
    """The base's ArchiveSpider, compiled from git against this package. Its module imports ``main_block_ids`` from
    ``spiders.walks``, where it lived then (crawl10 moved it to ``spiders.links``): lent there while it compiles."""
    import spiders.walks

    lent = not hasattr(spiders.walks, "main_block_ids")
    if lent:
        spiders.walks.main_block_ids = main_block_ids
    try:
        return module_at(BASE, "spiders/base.py").ArchiveSpider
    finally:
        if lent:
            del spiders.walks.main_block_ids


def base_reading(response: HtmlResponse, base_url: str = MIRROR) -> tuple:
    """(article links, main list, listing links) as the base's spider read a listing page (a fresh reader)."""
    spider_class = base_spider()
    walks = module_at(BASE, "spiders/walks.py")
    self = types.SimpleNamespace(links=LinkReader(SITE, base_url, lambda url: SITE.to_base(url, base_url)))
    links = spider_class.article_links(self, response)
    return links, walks.main_block_ids(response, SITE, links, self.links), list(spider_class.listing_links(self, response))


def reading(links: PageLinks) -> tuple:
    return links.articles, links.listed, links.listings


def in_worker(response: HtmlResponse, base_url: str = MIRROR) -> PageLinks:
    """What a worker answers for the page (the job called as ``serve`` calls it, without the process)."""
    job = ListingJob(response.url, base_url, response.headers.get(b"Content-Type"))
    result = extract_page_or_failure(None, PageTask(response.body, SITE.to_real(response.url, MIRROR), SITE, read=job))
    assert result.error is None and result.extraction is None
    return result.read


def served(config: MirrorConfig, path: str, base_url: str = MIRROR, request: Request | None = None) -> HtmlResponse:
    """The mirror's page as Scrapy's downloader makes it (its headers, no encoding given)."""
    page = render(config, path, 1, base_url)
    return HtmlResponse(base_url + path, status=page.status, headers=page.headers, body=page.body, request=request)


def listing_paths(config: MirrorConfig) -> list[str]:
    """Every category listing the home page links to, and its pages 2 and 3, and one past the end."""
    home = served(config, "/")
    categories = {category: url for url, category, _page in page_links(LinkReader(SITE, MIRROR, lambda u: u), SITE,
                                                                       home).listings}
    paths = []
    for url in categories.values():
        path = Request(url).url.removeprefix(MIRROR).rstrip("/")  # escaped, as Scrapy asks for it
        paths += [path, f"{path}/page/2", f"{path}/page/3", f"{path}/page/40"]
    return paths


FAMILIES = [{}, {"weight": "real"}, {"markup": "table"}, {"markup": "broken"}, {"day": 40},
            {"weight": "real", "markup": "table"}]


@pytest.mark.parametrize("family", FAMILIES)
def test_the_workers_reading_of_every_listing_page_is_the_spiders_and_the_bases(family):
    config = MirrorConfig(articles=400, seed=5, **family)
    paths = listing_paths(config)
    assert len(paths) >= 20
    pages = 0
    for path in paths:
        response = served(config, path)
        if response.status != 200:
            continue
        pages += 1
        ours = in_worker(response)
        here = page_links(LinkReader(SITE, MIRROR, lambda u: SITE.to_base(u, MIRROR)), SITE, served(config, path))
        assert reading(ours) == reading(here) == base_reading(served(config, path)), path
    assert pages >= 15


@pytest.mark.parametrize("family", [{}, {"weight": "real"}])
def test_through_a_real_pool_the_answer_crosses_whole(family):
    config = MirrorConfig(articles=80, seed=9, **family)
    responses = [served(config, path) for path in listing_paths(config)[:12]]
    pool = ExtractPool(1)
    try:
        futures = [pool.submit(PageTask(r.body, SITE.to_real(r.url, MIRROR), SITE,
                                        read=ListingJob(r.url, MIRROR, r.headers.get(b"Content-Type"))))
                   for r in responses]
        answers = [future.result(timeout=120) for future in futures]
    finally:
        pool.close()
    for response, answer in zip(responses, answers):
        assert answer.error is None and answer.cpu > 0
        assert reading(answer.read) == base_reading(response)


def test_the_spider_hands_a_listing_page_and_takes_the_workers_answer():
    _crawler, spider = build(base_url=MIRROR)
    config = MirrorConfig(articles=60, seed=3)
    path = listing_paths(config)[0]
    request = Request(MIRROR + path, callback=spider.parse_listing)
    response = served(config, path, request=request)
    task = spider.page_task(request, response)
    assert isinstance(task.read, ListingJob) and task.body is response.body and task.url == SITE.to_real(response.url, MIRROR)
    answer = PageLinks({7: "x"}, {7}, [])  # the spider takes what the worker answered, as it is
    response.meta[EXTRACTED] = PageResult(read=answer)
    assert spider.read_links(response) is answer
    # A worker that died on it (or a closed pool): the spider reads the page itself.
    response.meta[EXTRACTED] = PageResult(error="extraction worker died (exit code -9)")
    assert reading(spider.read_links(response)) == base_reading(response)
    # Not handed: a response whose decoding does not rest on its bytes and headers alone, the home page.
    given_encoding = response.replace(encoding="cp1256")
    assert spider.page_task(request, given_encoding) is None
    assert spider.page_task(Request(response.url, callback=spider.parse_home), response) is None


# Random listing pages: links of every kind (articles on the mirror's host, the real one, relative, listings,
# other hosts), a sidebar, a <base>, and a charset in the header, in a <meta>, in a BOM, or nowhere.
_HREFS = st.sampled_from([
    "/article/{n}/t", "/article/{n}", "article/{n}", "https://www.alhadath.ps/article/{n}/%D8%A7",
    f"{MIRROR}/article/{{n}}", "//www.alhadath.ps/article/{n}", "https://elsewhere.example/article/{n}",
    "/category/{n}/x", "/category/3/x/page/{n}", "/category/{n}/page/2", " /article/{n} ", "#top", "",
    "javascript:void(0)", "/tag/{n}/x",
])
_CHARSETS = [("utf-8", b"text/html; charset=utf-8", ""), ("utf-8", b"text/html", ""),
             ("windows-1256", b"text/html; charset=windows-1256", ""),
             ("windows-1256", b"text/html", '<meta charset="windows-1256">'),
             ("utf-8", None, '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">'),
             ("utf-8-sig", b"text/html; charset=windows-1256", ""),  # the BOM wins over the header
             ("windows-1256", None, "")]  # nothing declared: Scrapy guesses


@st.composite
def listing_page(draw):
    anchors = draw(st.lists(st.tuples(_HREFS, st.integers(1, 40), st.sampled_from(["main", "aside", "nav"])),
                            max_size=40))
    blocks = {"main": [], "aside": [], "nav": []}
    for href, n, where in anchors:
        blocks[where].append(f'<div><a href="{href.format(n=n)}">خبر {n}</a></div>')
    encoding, content_type, meta = draw(st.sampled_from(_CHARSETS))
    base = draw(st.sampled_from(["", '<base href="https://www.alhadath.ps/category/5/">', '<base href="/x/">']))
    html = (f"<html><head>{meta}{base}<title>قسم</title></head><body><nav>{''.join(blocks['nav'])}</nav>"
            f"<main><section>{''.join(blocks['main'])}</section></main><aside>{''.join(blocks['aside'])}</aside>"
            "</body></html>")
    body = html.encode(encoding, errors="replace")
    url = f"{MIRROR}/category/{draw(st.integers(1, 9))}/x" + draw(st.sampled_from(["", "/page/2", "/"]))
    headers = {b"Content-Type": content_type} if content_type is not None else {}
    return HtmlResponse(url, headers={**headers, b"Server": b"mirror"}, body=body)


@settings(max_examples=200, deadline=None)
@given(listing_page())
def test_random_listing_pages_read_alike_in_a_worker_here_and_in_the_base(response):
    fresh = HtmlResponse(response.url, headers=response.headers, body=response.body)
    assert reading(in_worker(response)) == base_reading(fresh)
    again = HtmlResponse(response.url, headers=response.headers, body=response.body)
    assert reading(page_links(LinkReader(SITE, MIRROR, lambda u: SITE.to_base(u, MIRROR)), SITE, again)) == \
        base_reading(fresh)
