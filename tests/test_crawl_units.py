"""The spider's and runner's small pieces, without a crawl: arguments, politeness, URLs, Retry-After."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from scrapy.http import HtmlResponse
from scrapy.settings import Settings
from scrapy.crawler import Crawler
from scrapy.statscollectors import MemoryStatsCollector

from crawler.errors import UsageError
from crawler.retry import retry_after_seconds
from crawler.runner import CrawlOptions, check_options
from pipelines.owner import ArchiveOwner
from crawler.sites import get_site
from spiders.loader import spider_class

SITE = get_site("alhadath")
AlhadathSpider = spider_class(SITE)
from crawler.arguments import SpiderArgumentError, is_loopback, parse_id_ranges, parse_window, politeness
from spiders.base import IMPOLITE_SETTINGS, next_page_url
from spiders.links import main_block_ids


def test_id_ranges():
    assert parse_id_ranges("30000-35000") == [(30000, 35000)]
    assert parse_id_ranges("1-5, 9") == [(1, 5), (9, 9)]
    for bad in ("", "5-1", "a-b", "1-"):
        with pytest.raises(SpiderArgumentError):
            parse_id_ranges(bad)


def test_date_bounds_read_any_form_and_cover_whole_days():
    window = parse_window("2024-04-29", "29 نيسان 2024", tz="Asia/Hebron")
    assert window.since.isoformat() == "2024-04-29T00:00:00+03:00"
    assert window.end.isoformat() == "2024-04-30T00:00:00+03:00"  # until: the whole day (end exclusive)
    with pytest.raises(SpiderArgumentError):
        parse_window("someday", None, tz="Asia/Hebron")


@pytest.mark.parametrize(("url", "loopback"), [
    ("http://127.0.0.1:8000", True), ("http://127.5.5.5", True), ("http://localhost:80", True),
    ("http://[::1]:8000", True), ("https://www.alhadath.ps", False), ("http://10.0.0.1", False),
])
def test_loopback(url, loopback):
    assert is_loopback(url) is loopback
    assert politeness(url, "auto") is (not loopback)
    assert politeness(url, True) is True and politeness(url, "0") is False


def build(**arguments):
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set("ARSHIF_DB", ":memory:")
    crawler = Crawler(AlhadathSpider, settings)
    crawler.stats = MemoryStatsCollector(crawler)
    spider = AlhadathSpider.from_crawler(crawler, **arguments)
    crawler.spider = spider
    ArchiveOwner.from_crawler(crawler)  # the archive's owner: the spider's reads go through it
    return crawler, spider


def test_politeness_off_for_the_mirror_only():
    crawler, spider = build(base_url="http://127.0.0.1:8000")
    for key, value in IMPOLITE_SETTINGS.items():
        assert crawler.settings[key] == value
    assert spider.allowed_domains[0] == "127.0.0.1"
    crawler, spider = build()
    assert crawler.settings.getbool("ROBOTSTXT_OBEY") and crawler.settings.getbool("AUTOTHROTTLE_ENABLED")
    assert crawler.settings.getfloat("DOWNLOAD_DELAY") == 1.0
    assert spider.base_url == "https://www.alhadath.ps"
    crawler, _ = build(base_url="http://127.0.0.1:8000", polite="1")
    assert crawler.settings["DOWNLOAD_DELAY"] != 0


def test_urls_map_between_the_mirror_and_the_real_site():
    _, spider = build(base_url="http://127.0.0.1:8000")
    assert spider.to_base("https://www.alhadath.ps/article/5/x") == "http://127.0.0.1:8000/article/5/x"
    assert spider.to_base("/category/9/slug/page/2") == "http://127.0.0.1:8000/category/9/slug/page/2"
    assert spider.to_real("http://127.0.0.1:8000/category/9/x") == "https://www.alhadath.ps/category/9/x"
    assert next_page_url("http://h/category/9/slug", 2) == "http://h/category/9/slug/page/2"
    assert next_page_url("http://h/category/9/slug/page/2", 3) == "http://h/category/9/slug/page/3"


def test_main_block_excludes_the_sidebar():
    items = "".join(f'<div><a href="/article/{i}/t">t</a><h3><a href="/article/{i}/%D8%A7">t</a></h3></div>'
                    for i in range(10, 30))
    sidebar = "".join(f'<li><a href="/article/{i}">x</a></li>' for i in range(1, 7))
    body = f"<html><body><main>{items}</main><aside><ul>{sidebar}</ul></aside></body></html>"
    response = HtmlResponse("http://127.0.0.1:8000/category/9/x", body=body.encode(), encoding="utf-8")
    _, spider = build(base_url="http://127.0.0.1:8000")
    links = spider.links.articles(response)
    assert set(links) == set(range(1, 7)) | set(range(10, 30))
    assert main_block_ids(response, SITE, links) == set(range(10, 30))


def test_retry_after():
    assert retry_after_seconds(b"120") == 120.0
    now = datetime(2026, 10, 21, 7, 27, 0, tzinfo=timezone.utc)
    assert retry_after_seconds("Wed, 21 Oct 2026 07:28:00 GMT", now=now) == 60.0
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None


def test_check_options_rejects_bad_arguments_before_scrapy_starts():
    check_options(CrawlOptions(mode="backfill", ids="1-5,9", since="2024-01-01"))
    for options in (CrawlOptions(site="nope"), CrawlOptions(mode="backfill", ids="9-1"),
                    CrawlOptions(until="tomorrow-ish"), CrawlOptions(max_pages=0)):
        with pytest.raises(UsageError):
            check_options(options)


def test_sitemap_articles_are_requested_unless_stored():
    _, spider = build(base_url="http://127.0.0.1:8000")
    spider.context.archive.record_miss("alhadath", 1, url="x", reason="soft404")  # misses are not "stored"
    xml = (b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
           b"<url><loc>https://www.alhadath.ps/article/5/%D8%A7</loc></url>"
           b"<url><loc>https://alhadath.ps/article/6</loc></url>"
           b"<url><loc>https://www.alhadath.ps/category/9/x</loc></url></urlset>")
    response = HtmlResponse("http://127.0.0.1:8000/sitemap.xml", body=xml, encoding="utf-8")
    from scrapy import Request

    requests = [r for r in spider.parse_sitemap(response) if isinstance(r, Request)]  # (+ FailureResolved)
    assert [r.url for r in requests] == ["http://127.0.0.1:8000/article/5/%D8%A7", "http://127.0.0.1:8000/article/6"]
    index = (b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
             b"<sitemap><loc>https://www.alhadath.ps/sitemap-1.xml</loc></sitemap></sitemapindex>")
    response = HtmlResponse("http://127.0.0.1:8000/sitemap.xml", body=index, encoding="utf-8")
    assert [r.url for r in spider.parse_sitemap(response) if isinstance(r, Request)] == [
        "http://127.0.0.1:8000/sitemap-1.xml"]


def test_a_middleware_records_a_failure_with_one_call():
    """``record_failure``: what a downloader middleware calls when it gives a request up (e.g. too large)."""
    from scrapy import Request

    from pipelines.context import FAILURES, record_failure

    crawler, spider = build(base_url="http://127.0.0.1:8000")
    record_failure(crawler, Request("http://127.0.0.1:8000/article/7/x", meta={"article_id": 7, "retry_times": 2}),
                   "too large: 20 MB > 10 MB")
    record_failure(crawler, Request("http://127.0.0.1:8000/category/9/x/page/3"), "http 503", http_status=503)
    archive = spider.context.archive
    archive.commit()
    failures = {f["url"]: f for f in archive.open_failures()}
    assert failures["https://www.alhadath.ps/article/7"]["attempts"] == 3
    assert failures["https://www.alhadath.ps/article/7"]["article_id"] == 7
    assert failures["https://www.alhadath.ps/category/9/x/page/3"]["http_status"] == 503
    assert crawler.stats.get_value(FAILURES) == 2


def test_the_spider_yields_outcomes_and_never_writes():
    """A 404 for an article id becomes a MissItem; the archive holds nothing until the owner records it."""
    from scrapy import Request
    from scrapy.http import Response
    from scrapy.spidermiddlewares.httperror import HttpError
    from twisted.python.failure import Failure

    from pipelines.items import MissItem

    crawler, spider = build(base_url="http://127.0.0.1:8000")
    request = spider.article_request(8, "http://127.0.0.1:8000/article/8")
    response = Response(request.url, status=404, request=request)
    failure = Failure(HttpError(response))
    failure.request = request
    [miss] = [item for item in spider.failed(failure) if isinstance(item, MissItem)]
    assert miss == MissItem("alhadath", 8, "https://www.alhadath.ps/article/8", "http 404", http_status=404)
    assert spider.state.known_misses("alhadath", [8]) == set()


def test_every_run_status_but_ok_has_its_exit_code():
    from crawler.errors import EXIT_ALARM, EXIT_INTERRUPTED, EXIT_RUN_FAILED
    from crawler.runner import CrawlResult, run_error
    from crawler.storage import ArchiveSummary, RunCounts

    summary = ArchiveSummary(articles=0, aliases=0, near_duplicates=0, misses=0, open_failures=0, versions=0,
                             first_published=None, last_published=None, by_kind={})

    def result(status, reason):
        return CrawlResult(run_id=3, status=status, finish_reason=reason, counts=RunCounts(), elapsed=1.0,
                           summary=summary, stats={"arshif/quality/reason": "coverage 10%"})

    assert run_error(result("ok", "finished")) is None
    assert run_error(result("interrupted", "shutdown")).exit_code == EXIT_INTERRUPTED
    assert run_error(result("failed", "closespider_errorcount")).exit_code == EXIT_RUN_FAILED
    alarm = run_error(result("alarm", "finished"))
    assert alarm.exit_code == EXIT_ALARM and "coverage 10%" in str(alarm)


def test_run_status_from_the_finish_reason():
    from pipelines.context import run_status

    answered = {"downloader/request_count": 5, "response_received_count": 5}
    assert run_status("finished", answered) == "ok"
    assert run_status("shutdown", answered) == "interrupted" and run_status("cancelled", answered) == "interrupted"
    assert run_status("closespider_errorcount", answered) == "failed"
    assert run_status("finished", {"downloader/request_count": 5}) == "failed"  # nothing answered
    assert run_status("finished", {**answered, "arshif/quality/status": "alarm"}) == "alarm"


def test_an_article_asked_for_and_never_answered_ends_as_a_failure():
    """Every article id asked for ends as stored, alias, miss or failure: a request dropped on the way (a
    filter, a middleware that swallowed it) is recorded when the run finishes, so the next crawl asks again."""
    from pipelines.items import FailureItem

    _, spider = build(base_url="http://127.0.0.1:8000", mode="backfill", ids="5-6")
    spider.article_request(5, "http://127.0.0.1:8000/article/5")
    spider.article_request(6, "http://127.0.0.1:8000/article/6")
    list(spider.settle(None, 6, None))  # 6 was answered
    assert spider.closing_items("shutdown") == []  # an interrupted run: the rerun asks again anyway
    [failure] = spider.closing_items("finished")
    assert isinstance(failure, FailureItem) and failure.article_id == 5
    assert failure.url == "https://www.alhadath.ps/article/5" and failure.reason.startswith("no answer")


def test_a_callback_runs_whole_before_its_outputs_go_on():
    import asyncio

    from crawler.middlewares.whole import WholeCallbackMiddleware

    ran: list[str] = []

    async def callback(fail: bool):
        for n in range(3):
            ran.append(f"yield {n}")
            yield n
        if fail:
            raise ValueError("boom")

    async def consume(fail: bool) -> list:
        seen = []
        try:
            async for output in WholeCallbackMiddleware().process_spider_output(None, callback(fail)):
                seen.append((output, list(ran)))  # what the callback had done when this output went on
        except ValueError as exc:
            seen.append(str(exc))
        return seen

    assert asyncio.run(consume(False)) == [(n, ["yield 0", "yield 1", "yield 2"]) for n in range(3)]
    ran.clear()
    got = asyncio.run(consume(True))
    assert got[:3] == [(n, ["yield 0", "yield 1", "yield 2"]) for n in range(3)] and got[3] == "boom"


def test_link_joins_are_cached_only_where_the_base_does_not_matter():
    from urllib.parse import urljoin

    _, spider = build(base_url="http://127.0.0.1:8000")
    bases = ["http://127.0.0.1:8000/category/3/x", "http://127.0.0.1:8000/category/3/x/page/2",
             "https://127.0.0.1:8000/a/b/", "http://other:81/p?q=1"]
    hrefs = ["/article/5/x", "../article/6", "article/7", "?page=2", "#top", "", "//127.0.0.1:8000/article/8",
             "http://www.alhadath.ps/article/9/y", "https:/article/10", "/a/./b/../c", "mailto:x@y"]
    for _ in range(2):  # the second round answers from the caches
        for base in bases:
            for href in hrefs:
                links = spider.links.anchors(HtmlResponse(base, body=f'<a href="{href}">x</a>'.encode(),
                                                          encoding="utf-8"))
                [(_element, link)] = links
                assert link.url == urljoin(base, href), (base, href)
                assert link.article_id == SITE.article_id(link.url)


def test_the_crawl_collects_young_garbage_less_often_and_restores_the_processs_thresholds():
    import gc

    from crawler.runner import CRAWL_GC_THRESHOLD, fewer_collections

    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        with fewer_collections():
            assert gc.get_threshold() == (CRAWL_GC_THRESHOLD, 10, 10)
        assert gc.get_threshold() == (700, 10, 10)
        gc.set_threshold(50_000, 5, 5)  # a process that asked for fewer already keeps its own
        with pytest.raises(RuntimeError), fewer_collections():
            assert gc.get_threshold() == (50_000, 5, 5)
            raise RuntimeError("the crawl failed")
        assert gc.get_threshold() == (50_000, 5, 5)
    finally:
        gc.set_threshold(*before)
