"""The crawl's cookie middleware (``crawler.middlewares.cookies``): Scrapy's own from the first cookie a crawl meets,
and until then nothing imported (tldextract, requests, …: 6.7% of the instructions of an hourly run that finds
nothing new).

Held to Scrapy's ``CookiesMiddleware`` (offline suffix list) over random runs of requests and responses: every
request leaves with the same Cookie header, every response comes back the same."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scrapy.http import Request, Response
from scrapy.utils.test import get_crawler

from crawler.middlewares.cookies import OfflineCookiesMiddleware, _offline_cookies_middleware
from crawler.mirror import hazards as H
from tests.test_crawl import REPO, ok, rows

HOSTS = ("news.example", "www.news.example", "other.example", "foo.co.uk", "127.0.0.1")
NAMES = ("a", "b", "sid")

set_cookie = st.builds(
    lambda name, value, domain, path: f"{name}={value}" + (f"; Domain={domain}" if domain else "")
    + (f"; Path={path}" if path else ""),
    st.sampled_from(NAMES), st.sampled_from(("1", "2", "x y")),
    st.sampled_from(("", "news.example", ".news.example", "co.uk", "foo.co.uk", "example")),
    st.sampled_from(("", "/", "/article")))

event = st.one_of(
    st.tuples(st.just("request"), st.sampled_from(HOSTS), st.sampled_from(("/", "/article/1", "/x")),
              st.one_of(st.just({}), st.dictionaries(st.sampled_from(NAMES), st.sampled_from(("v", "w")), max_size=2)),
              st.sampled_from(("", "manual=1")), st.booleans(), st.sampled_from((None, 1))),
    st.tuples(st.just("response"), st.sampled_from(HOSTS), st.sampled_from(("/", "/article/1")),
              st.lists(set_cookie, max_size=2), st.booleans()),
)


def _run(middleware, events) -> list:
    seen = []
    for kind, host, path, *rest in events:
        if kind == "request":
            cookies, header, dont_merge, jar = rest
            request = Request(f"http://{host}{path}", cookies=dict(cookies),
                              headers={"Cookie": header} if header else {},
                              meta={"dont_merge_cookies": dont_merge, **({"cookiejar": jar} if jar else {})})
            assert middleware.process_request(request) is None
            seen.append(("request", request.headers.getlist("Cookie")))
        else:
            set_cookies, dont_merge = rest
            request = Request(f"http://{host}{path}", meta={"dont_merge_cookies": dont_merge})
            response = Response(request.url, headers={"Set-Cookie": set_cookies} if set_cookies else {},
                                request=request)
            seen.append(("response", middleware.process_response(request, response) is response))
    return seen


@settings(max_examples=300, deadline=None)
@given(st.lists(event, max_size=12))
def test_the_lazy_middleware_sends_what_scrapys_sends(events):
    crawler = get_crawler(settings_dict={"COOKIES_ENABLED": True})
    scrapys = _offline_cookies_middleware().from_crawler(crawler)
    lazy = OfflineCookiesMiddleware.from_crawler(crawler)
    assert _run(lazy, events) == _run(scrapys, events)


def test_scrapys_middleware_is_built_at_the_first_cookie_only():
    lazy = OfflineCookiesMiddleware.from_crawler(get_crawler(settings_dict={"COOKIES_ENABLED": True}))
    request = Request("http://news.example/", headers={"Cookie": "stale=1"})
    lazy.process_request(request)
    assert lazy.cookies is None and request.headers.getlist("Cookie") == []  # dropped, as Scrapy's does
    lazy.process_response(request, Response(request.url, request=request))
    assert lazy.cookies is None
    lazy.process_response(request, Response(request.url, headers={"Set-Cookie": "sid=1"}, request=request))
    assert lazy.cookies is not None
    following = Request("http://news.example/article/1")
    lazy.process_request(following)
    assert following.headers.getlist("Cookie") == [b"sid=1"]


def test_cookies_disabled_leave_it_out():
    from scrapy.exceptions import NotConfigured

    with pytest.raises(NotConfigured):
        OfflineCookiesMiddleware.from_crawler(get_crawler(settings_dict={"COOKIES_ENABLED": False}))


# The crawl in a subprocess that writes the modules it imported, at exit, to a file (``-X importtime`` leaves out
# some lines of a crawl's imports).
_RECORDING = """
import atexit, sys
listing = sys.argv.pop(1)
atexit.register(lambda: open(listing, "w").write("\\n".join(sorted(sys.modules))))
from crawler.cli import main
main()
"""


def _crawl_imports(mirror, db, cwd) -> tuple[subprocess.CompletedProcess, set[str]]:
    listing = cwd / "modules.txt"
    done = subprocess.run([sys.executable, "-c", _RECORDING, str(listing), "crawl", "alhadath", "--base-url",
                           mirror.base_url, "--db", str(db), "--max-pages", "1", "--log-level", "WARNING"],
                          cwd=cwd, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    return done, set(listing.read_text().split()) if listing.exists() else set()


def test_a_crawl_that_meets_no_cookie_never_imports_tldextract(mirror_factory, tmp_path):
    mirror = mirror_factory(articles=30)
    done, modules = _crawl_imports(mirror, tmp_path / "a.db", tmp_path)
    ok(done)
    assert "scrapy" in modules and "crawler.middlewares.cookies" in modules  # the reading works
    assert not {"tldextract", "requests", "scrapy.downloadermiddlewares.cookies"} & modules
    assert rows(tmp_path / "a.db", "select count(*) n from articles")[0]["n"] > 20


def test_a_crawl_that_meets_a_cookie_sends_it_back(mirror_factory, tmp_path):
    """The mirror's ``selfredirect-cookie`` page answers only a request carrying the cookie its redirect set."""
    mirror = mirror_factory(articles=30, hazards="selfredirect-cookie")
    done, modules = _crawl_imports(mirror, tmp_path / "a.db", tmp_path)
    ok(done)
    assert {"tldextract", "scrapy.downloadermiddlewares.cookies"} <= modules
    cookie = H.cookie_article(mirror.config)
    stored = rows(tmp_path / "a.db", "select title from articles where article_id = ?", (cookie,))
    assert stored and stored[0]["title"] == next(t for t in mirror.truth() if t["id"] == cookie)["title"]
