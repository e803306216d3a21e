"""The crawl's leaner stand-ins for Scrapy components do what Scrapy's own do: the meta refresh middleware that
rules a refresh out in the page's bytes (crawler.middlewares.redirects.LeanMetaRefreshMiddleware) and the stats
collector without the per-access wrapper (crawler.stats.PlainStatsCollector)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scrapy import Request
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.http import HtmlResponse
from scrapy.settings import Settings
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from crawler.middlewares.reasons import OffsiteRedirect
from crawler.middlewares.redirects import LeanMetaRefreshMiddleware, may_refresh, redirect_refusal
from crawler.stats import PlainStatsCollector

URL = "https://www.alhadath.ps/article/7/x"
ARABIC = "خبر عاجل من رام الله "
REFRESH = '<meta http-equiv="{equiv}" content="{delay}; url={target}">'


def middlewares():
    crawler = get_crawler(settings_dict={"METAREFRESH_ENABLED": True})
    return MetaRefreshMiddleware.from_crawler(crawler), LeanMetaRefreshMiddleware.from_crawler(crawler)


def outcome(middleware, body: bytes, encoding: str | None, headers: dict | None = None):
    """What the middleware makes of the page: the same response (no refresh) or the redirected request's URL."""
    request = Request(URL)
    response = HtmlResponse(URL, body=body, encoding=encoding, headers=headers or {}, request=request)
    try:
        result = middleware.process_response(request, response)
    except OffsiteRedirect as refused:
        return ("refused", str(refused))
    return "response" if result is response else (type(result).__name__, result.url)


def page(head: str, filler: int = 0) -> str:
    return f"<html><head><title>{ARABIC}</title>{ARABIC * filler}{head}</head><body><p>{ARABIC * 40}</p></body></html>"


CASES = [
    page(""),
    page(REFRESH.format(equiv="refresh", delay=0, target="/article/8/y")),
    page(REFRESH.format(equiv="REFRESH", delay=0, target="https://www.alhadath.ps/article/9")),
    page(REFRESH.format(equiv="Refresh", delay=5000, target="/late")),  # past METAREFRESH_MAXDELAY: no redirect
    page("<noscript>" + REFRESH.format(equiv="refresh", delay=0, target="/ignored") + "</noscript>"),
    page(REFRESH.format(equiv="refresh", delay=0, target="/far"), filler=250),  # past the first 4,096 characters
    page(REFRESH.format(equiv="refresh", delay=0, target="/near"), filler=180),  # across the byte window's end
    page("<p>refresh the page</p>"),  # the word without a tag: Scrapy's own path, no redirect
]


@pytest.mark.parametrize("html", CASES)
@pytest.mark.parametrize("encoding", ["utf-8", "cp1256", "utf-16", None])
def test_the_lean_meta_refresh_answers_as_scrapys(html, encoding):
    scrapy_one, lean = middlewares()
    body = html.encode(encoding or "utf-8", errors="replace")
    headers = {"Content-Type": f"text/html; charset={encoding}"} if encoding else None
    assert outcome(lean, body, None, headers) == outcome(scrapy_one, body, None, headers)


def test_a_bom_or_an_ascii_unsafe_encoding_takes_scrapys_path():
    bommed = HtmlResponse(URL, body=b"\xef\xbb\xbf" + page("").encode(), encoding="cp1256")
    utf16 = HtmlResponse(URL, body=page("").encode("utf-16"), encoding="utf-16")
    plain = HtmlResponse(URL, body=page("").encode(), encoding="utf-8")
    assert may_refresh(bommed) and may_refresh(utf16) and not may_refresh(plain)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("<>=\"'; /:abcefhimnqrstuvwxyzRFESHТ0123456789ſKıİ\u0623\u0628\uFFFD\n")),
               max_size=400),
       st.sampled_from(["utf-8", "cp1256"]), st.integers(0, 300))
def test_bytes_that_rule_a_refresh_out_leave_scrapy_nothing_to_find(text, encoding, filler):
    """Whatever the page: where ``may_refresh`` says no, Scrapy's middleware leaves the response as it is."""
    scrapy_one, lean = middlewares()
    html = page(text, filler)
    body = html.encode(encoding, errors="replace")
    headers = {"Content-Type": f"text/html; charset={encoding}"}
    response = HtmlResponse(URL, body=body, headers=headers)
    theirs = outcome(scrapy_one, body, None, headers)
    if not may_refresh(response):
        assert theirs == "response"
    ours = outcome(lean, body, None, headers)
    if ours[0] == "refused":  # the one difference: a target the redirect policy refuses (below)
        assert theirs[0] == "Request" and redirect_refusal(theirs[1], ["www.alhadath.ps"], base_is_loopback=False)
    else:
        assert ours == theirs


@pytest.mark.parametrize(("target", "why"), [
    ("http://169.254.169.254/latest/meta-data/", "private or link-local"),
    ("http://10.0.0.7/admin", "private or link-local"),
    ("https://evil.example/article/1", "another host (evil.example)"),
])
def test_a_meta_refresh_off_the_site_is_refused_as_a_location_header_is(target, why):
    """Scrapy's own middleware follows these (the offsite filter alone would stand between a spider without
    ``allowed_domains`` and the cloud's metadata address); ours refuses them, no request made."""
    scrapy_one, lean = middlewares()
    body = page(REFRESH.format(equiv="refresh", delay=0, target=target)).encode()
    assert outcome(scrapy_one, body, "utf-8") == ("Request", target)
    refused = outcome(lean, body, "utf-8")
    assert refused[0] == "refused" and why in refused[1]


def test_a_non_http_meta_refresh_is_left_alone_as_scrapy_leaves_it():
    scrapy_one, lean = middlewares()
    body = page(REFRESH.format(equiv="refresh", delay=0, target="file:///etc/passwd")).encode()
    assert outcome(lean, body, "utf-8") == outcome(scrapy_one, body, "utf-8") == "response"


def test_a_meta_refresh_on_the_site_is_followed():
    _, lean = middlewares()
    body = page(REFRESH.format(equiv="refresh", delay=0, target="/article/8/y")).encode()
    assert outcome(lean, body, "utf-8") == ("Request", "https://www.alhadath.ps/article/8/y")


def test_the_plain_stats_collector_keeps_scrapys_numbers():
    crawler = get_crawler(settings_dict={"STATS_CLASS": "crawler.stats.PlainStatsCollector"})
    ours, theirs = PlainStatsCollector(crawler), MemoryStatsCollector(crawler)
    for stats in (ours, theirs):
        stats.open_spider()
        stats.set_value("start", 1)
        for key in ("a", "b", "a"):
            stats.inc_value(key)
        stats.inc_value("cpu", 0.5, start=1.0)
        stats.max_value("depth", 3)
        stats.max_value("depth", 2)
        stats.min_value("first", 9)
        stats.min_value("first", 4)
    assert ours.get_stats() == theirs.get_stats() == {"start": 1, "a": 2, "b": 1, "cpu": 1.5, "depth": 3, "first": 4}
    assert ours.get_value("a") == 2 and ours.get_value("none", "x") == "x"


def test_the_crawl_uses_the_plain_stats_collector_and_the_lean_meta_refresh():
    project = Settings()
    project.setmodule("crawler.settings")
    assert project["STATS_CLASS"] == "crawler.stats.PlainStatsCollector"
    middlewares = project.getdict("DOWNLOADER_MIDDLEWARES")
    assert middlewares["scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware"] is None
    assert middlewares["crawler.middlewares.redirects.LeanMetaRefreshMiddleware"] == 580
