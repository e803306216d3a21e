"""The spider's listing walks over either walk book: the same spider class and code path, a ``LocalWalkBook``
in one process, a ``RedisWalkBook`` (a real redis-server on loopback) when built with the worker's settings.
A --since walk completes when its last article is answered, at the same call with either book."""

from __future__ import annotations

import asyncio

import pytest
from scrapy.crawler import Crawler
from scrapy.http import HtmlResponse, Request
from scrapy.settings import Settings
from scrapy.statscollectors import MemoryStatsCollector

from crawler.distributed.worker import worker_settings
from crawler.sites import get_site
from crawler.walkbook import LocalWalkBook, RedisWalkBook
from pipelines.items import FailureItem, WalksComplete
from pipelines.owner import ArchiveOwner
from spiders.loader import spider_class
from spiders.walks import WALK_META, Walk

SITE = get_site("alhadath")
BASE = "http://127.0.0.1:9"
SINCE = "2024-04-01"


def build(shared_redis_url: str | None = None, **arguments):
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set("ARSHIF_DB", ":memory:")
    if shared_redis_url is not None:
        worker = worker_settings("alhadath", shared_redis_url)
        for name in ("ARSHIF_SHARED_ROUND", "ARSHIF_WALK_BOOK", "ARSHIF_REDIS_URL"):
            settings.set(name, worker[name])
    cls = spider_class(SITE)
    crawler = Crawler(cls, settings)
    crawler.stats = MemoryStatsCollector(crawler)
    spider = cls.from_crawler(crawler, base_url=BASE, **arguments)
    crawler.spider = spider
    ArchiveOwner.from_crawler(crawler)  # the spider's archive reads (stored ids) go through it
    return spider


@pytest.fixture(params=["local", "redis"])
def spider(request):
    if request.param == "local":
        return build(since=SINCE)
    server = request.getfixturevalue("redis_server")
    return build(server.url, since=SINCE)


def listing(category: int, ids: list[int]) -> HtmlResponse:
    url = f"{BASE}/category/{category}"
    items = "".join(f'<li><a href="/article/{n}">خبر {n}</a></li>' for n in ids)
    body = f"<html><body><ul>{items}</ul></body></html>".encode()
    return HtmlResponse(url, body=body, encoding="utf-8", request=Request(url))


def answer_as_gone(spider, request: Request) -> list:
    """The article page answers with nothing readable (a soft 404): a miss, the article settled."""
    response = HtmlResponse(request.url, body=b"<html><body></body></html>", encoding="utf-8", request=request)
    return list(spider.parse_article(response, **request.cb_kwargs))


def test_the_worker_spider_is_the_site_class_with_a_redis_book_and_no_start(redis_server):
    worker, local = build(redis_server.url), build()
    assert type(worker) is type(local) is spider_class(SITE)
    assert isinstance(worker.book, RedisWalkBook) and worker.shared_round
    assert isinstance(local.book, LocalWalkBook) and not local.shared_round


def test_a_worker_yields_no_start_requests(redis_server):
    worker = build(redis_server.url)

    async def starts():
        return [request async for request in worker.start()]

    assert asyncio.run(starts()) == []


def test_a_since_walk_completes_when_its_last_article_is_answered(spider):
    walk = Walk(7, previously_complete=False, round=spider.run_version)
    spider.walks[7] = walk
    out = list(spider.parse_listing(listing(7, [11, 12]), walk, 1))
    articles = [r for r in out if isinstance(r, Request)]
    assert [r.meta["article_id"] for r in articles] == [11, 12]
    assert all(r.meta[WALK_META] == walk.key for r in articles)
    assert all(r.dont_filter is spider.shared_round for r in articles)  # a worker's skip the shared dupe filter
    assert walk.ended  # no next page: ended, but two requests outstanding
    assert spider.book.asked(11) and spider.book.asked(12)

    first = answer_as_gone(spider, articles[0])
    assert not [item for item in first if isinstance(item, WalksComplete)] and spider.complete_walks == []
    last = answer_as_gone(spider, articles[1])
    complete = [item for item in last if isinstance(item, WalksComplete)]
    since = spider.window.since.isoformat()
    if spider.shared_round:  # a worker: at once, the walk alone
        assert complete == [WalksComplete("alhadath", (7,), down_to=since)]
    else:  # one process: kept for the end of a finished run, as before
        assert complete == [] and spider.complete_walks == [7]
        assert spider.closing_items("finished")[-1] == WalksComplete("alhadath", (7,), down_to=since)
        assert spider.closing_items("shutdown") == []


def test_a_gated_page_asks_for_the_next_listing_page_only_once_its_articles_are_read(spider):
    walk = Walk(8, previously_complete=False, round=spider.run_version)
    response = listing(8, [21, 22])
    body = response.body.replace(b"</ul>", b'</ul><a href="/category/8/page/2">2</a>')
    response = response.replace(body=body)
    out = list(spider.parse_listing(response, walk, 1))
    assert all(r.meta.get("article_id") is not None for r in out if isinstance(r, Request))  # no listing yet
    assert not walk.ended
    answer_as_gone(spider, [r for r in out if isinstance(r, Request)][0])
    [next_page] = [r for r in answer_as_gone(spider, [r for r in out if isinstance(r, Request)][1])
                   if isinstance(r, Request)]
    assert next_page.url.endswith("/category/8/page/2") and next_page.cb_kwargs["page"] == 2
    assert next_page.callback == spider.parse_listing


def test_an_unanswered_article_of_a_finished_run_is_a_failure_and_its_walk_completes():
    """A request dropped on the way (e.g. by a filter) never answers: at the end of a finished run it is a
    failure, which counts as its answer, so the ended walk completes (one process only: a worker's request
    may be answered by another worker, so a worker never guesses)."""
    spider = build()
    walk = Walk(9, previously_complete=False)
    spider.walks[9] = walk
    articles = [r for r in spider.parse_listing(listing(9, [31, 32]), walk, 1) if isinstance(r, Request)]
    answer_as_gone(spider, articles[0])  # 32 never answers
    assert spider.complete_walks == []
    items = spider.closing_items("finished")
    assert [(type(i), getattr(i, "article_id", None)) for i in items[:-1]] == [(FailureItem, 32)]
    assert items[-1] == WalksComplete("alhadath", (9,), down_to=None)
