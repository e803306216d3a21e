"""Hostile web, unit level (issue 12): redirect decisions, failure reasons, safe XML, the mirror's hazards.

The redirect refusals are decided here on the addresses themselves: no packet is sent anywhere.
"""

from __future__ import annotations

import gzip
import zlib

import pytest
from scrapy.exceptions import DownloadCancelledError, DownloadTimeoutError, IgnoreRequest
from scrapy.http import HtmlResponse
from twisted.python.failure import Failure

from crawler.errors import UsageError
from crawler.feeds import feed_links, parse_feed, parse_sitemap, read_xml
from crawler.middlewares.reasons import BadXml, RedirectLoop, TooLarge, failure_reason
from crawler.middlewares.redirects import host_is_private, redirect_refusal
from crawler.mirror import MirrorConfig
from crawler.mirror import hazards as H

SITE = ["www.alhadath.ps", "alhadath.ps"]


@pytest.mark.parametrize("target, why", [
    ("http://169.254.169.254/latest/meta-data/", "private or link-local"),
    ("http://10.0.0.1/article/1", "private or link-local"),
    ("http://10.255.3.4:8080/", "private or link-local"),
    ("http://127.0.0.2/article/1", "private or link-local"),
    ("http://[::1]/x", "private or link-local"),
    ("http://[fe80::1]/x", "private or link-local"),
    ("http://192.168.1.1/", "private or link-local"),
    ("http://localhost/x", "private or link-local"),
    ("file:///etc/passwd", "non-HTTP URL (file:)"),
    ("data:text/html,<h1>x</h1>", "non-HTTP URL (data:)"),
    ("ftp://alhadath.ps/x", "non-HTTP URL (ftp:)"),
    ("javascript:alert(1)", "non-HTTP URL (javascript:)"),
    ("http://evil.example/article/1", "another host (evil.example)"),
    ("http://alhadath.ps.evil.example/", "another host"),
    ("http://notalhadath.ps/", "another host"),
    ("http:///nohost", "without a host"),
])
def test_redirect_refused_from_a_real_site(target, why):
    refusal = redirect_refusal(target, SITE, base_is_loopback=False)
    assert refusal is not None and why in refusal, refusal


@pytest.mark.parametrize("target", [
    "https://www.alhadath.ps/article/1/x", "http://alhadath.ps/article/1", "https://m.alhadath.ps/a",
    "HTTPS://WWW.ALHADATH.PS/article/2",
])
def test_redirect_followed_within_the_site(target):
    assert redirect_refusal(target, SITE, base_is_loopback=False) is None


def test_redirect_from_a_loopback_mirror():
    # The mirror itself is on loopback: its own host is fine, another loopback address is another host.
    domains = ["127.0.0.1", *SITE]
    assert redirect_refusal("http://127.0.0.1:8000/article/1", domains, base_is_loopback=True) is None
    assert "another host" in redirect_refusal("http://127.0.0.2/article/1", domains, base_is_loopback=True)
    assert "another host" in redirect_refusal("http://169.254.169.254/", domains, base_is_loopback=True)


def test_private_hosts():
    assert host_is_private("169.254.169.254") and host_is_private("10.1.2.3") and host_is_private("127.0.0.1")
    assert not host_is_private("8.8.8.8") and not host_is_private("www.alhadath.ps")


def test_failure_reasons_name_the_cause():
    def reason(exc):
        return failure_reason(Failure(exc))

    assert reason(TooLarge("17 MB")) == "too large: 17 MB"
    assert reason(RedirectLoop("A → B → A")) == "redirect loop: A → B → A"
    assert reason(IgnoreRequest("Ignored response <200 x> because its body (2 B compressed, 9 B decompressed so "
                                "far) exceeded DOWNLOAD_MAXSIZE (8 B) during decompression.")).startswith("too large")
    assert reason(DownloadCancelledError("Expected to receive 9 bytes which is larger than download max size (8)"
                                         )).startswith("too large")
    assert reason(DownloadTimeoutError("Getting x took longer than 2.0 seconds.")).startswith("timeout: ")
    assert reason(IgnoreRequest("Forbidden by robots.txt")) == "robots: Forbidden by robots.txt"
    assert reason(IgnoreRequest("max redirections reached")).startswith("redirect loop")
    assert reason(ValueError("odd")) == "ValueError: odd"


# --- XML: sitemaps and feeds ----------------------------------------------------------------------------

SITEMAP = (b'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
           b'<url><loc>https://www.alhadath.ps/article/5/x</loc><lastmod>2024-04-01</lastmod></url>'
           b'<url><loc> https://www.alhadath.ps/article/6 </loc></url></urlset>')


def test_sitemap_read():
    sitemap = parse_sitemap(SITEMAP)
    assert sitemap.kind == "urlset"
    assert sitemap.entries == [{"loc": "https://www.alhadath.ps/article/5/x", "lastmod": "2024-04-01"},
                               {"loc": "https://www.alhadath.ps/article/6"}]
    assert parse_sitemap(gzip.compress(SITEMAP)).entries == sitemap.entries


def test_billion_laughs_refused_without_expanding():
    with pytest.raises(BadXml, match="DTD"):
        parse_sitemap(H.billion_laughs())


def test_external_entity_refused():
    page = H.feed_page(MirrorConfig(articles=60), "http://127.0.0.1:1", xxe=True)
    assert b"SYSTEM" in page.body
    with pytest.raises(BadXml, match="DTD"):
        parse_feed(page.body)
    with pytest.raises(BadXml, match="DTD"):
        read_xml(b'<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://127.0.0.1:1/x.dtd"><urlset/>')


def test_xml_size_capped_after_gunzip():
    # 10 MB of whitespace inside an element: 10 KB gzipped, over a 1 MB cap once inflated.
    bomb = gzip.compress(b"<urlset>" + b" " * 10_000_000 + b"</urlset>")
    assert len(bomb) < 20_000
    with pytest.raises(BadXml, match="after gunzip"):
        read_xml(bomb, max_size=1_000_000)
    with pytest.raises(BadXml, match="cap"):
        read_xml(b"<urlset>" + b" " * 2_000 + b"</urlset>", max_size=1_000)


@pytest.mark.parametrize("body", [b"", b"<html><body>not found</body></html", b"\x1f\x8b broken gzip",
                                  b"<urlset><url><loc>x</loc></url>", "<x>\u0000</x>".encode(), b"\xff\xfe<"])
def test_parser_errors_are_bad_xml(body):
    with pytest.raises(BadXml):
        parse_sitemap(body)


def test_not_a_sitemap_or_feed():
    with pytest.raises(BadXml, match="not a sitemap"):
        parse_sitemap(b"<html/>")
    with pytest.raises(BadXml, match="not a feed"):
        parse_feed(SITEMAP)


def test_feed_read():
    config = MirrorConfig(articles=300)
    entries = parse_feed(H.feed_page(config, "http://127.0.0.1:1").body)
    assert len(entries) == H.FEED_ITEMS
    assert all(e.link.startswith("https://www.alhadath.ps/article/") for e in entries)
    assert all(e.published is not None and e.published.utcoffset().total_seconds() == 0 for e in entries)
    atom = (b'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><entry><title>x</title>'
            b'<link href="https://www.alhadath.ps/article/7/x"/><updated>2024-04-01T10:00:00+03:00</updated>'
            b'</entry></feed>')
    [entry] = parse_feed(atom)
    assert entry.link == "https://www.alhadath.ps/article/7/x" and entry.published.hour == 7


def test_feed_links_from_a_page():
    html = (b'<html><head><link rel="alternate" type="application/rss+xml" href="/rss/news.xml">'
            b'<link rel="alternate" type="text/html" hreflang="en" href="/en">'
            b'<link rel="Alternate" type="application/atom+xml; charset=utf-8" href="https://x.ps/atom"></head></html>')
    response = HtmlResponse("http://127.0.0.1:9/", body=html)
    assert feed_links(response) == ["http://127.0.0.1:9/rss/news.xml", "https://x.ps/atom"]


# --- the mirror's hazards -------------------------------------------------------------------------------

def test_hazards_off_by_default_and_validated():
    config = MirrorConfig(articles=50)
    assert H.enabled(config) == frozenset() and H.hazard_ids(config) == {}
    assert H.act(config, "/robots.txt", {}, "") is None
    with pytest.raises(UsageError, match="unknown hazard"):
        MirrorConfig(articles=50, hazards="bomb,nuke")


def test_hazard_ids_follow_the_served_range():
    config = MirrorConfig(articles=50, hazards="bomb,loop,offsite")
    assert H.hazard_ids(config) == {51: ("bomb", 0), 52: ("loop", 0), 53: ("loop", 1), 54: ("offsite", 0),
                                    55: ("offsite", 1), 56: ("offsite", 2)}
    assert H.act(config, "/article/54/x", {}, "http://h").headers["Location"] == H.OFFSITE_TARGETS[0]
    growing = H.act(config, "/article/52/loop?r=7", {}, "http://h")
    assert growing.status == 302 and growing.headers["Location"] == "http://h/article/52/loop?r=8"


def test_gzip_bomb_is_small_and_inflates_past_any_cap():
    bomb = H.gzip_bomb()
    assert len(bomb) < 3 * 1024**2
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    assert len(inflater.decompress(bomb[:100_000], 64 * 1024**2)) == 64 * 1024**2  # 100 KB → 64 MiB and more


def test_selfredirect_cookie_redirects_once():
    config = MirrorConfig(articles=50, hazards="selfredirect-cookie")
    target = f"/article/{H.cookie_article(config)}/x"
    first = H.act(config, target, {}, "http://h")
    assert first.status == 302 and first.headers["Location"] == "http://h" + target
    assert "arshif_hazard=1" in first.headers["Set-Cookie"]
    assert H.act(config, target, {"cookie": "arshif_hazard=1"}, "http://h") is None


def test_endless_pages_answer_the_last_page_with_a_next_link():
    config = MirrorConfig(articles=100, hazards="endless-pages")
    page = H.act(config, "/category/3/x/page/57", {}, "http://h")
    assert page.status == 200 and b'href="/category/3/x/page/58"' in page.body
