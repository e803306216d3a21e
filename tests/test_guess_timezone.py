"""`crawl --url` learns the outlet's UTC offset from the offsets its pages print (crawler.extract.extractor.Offsets).

A hand-made outlet served from loopback: its pages print the publication time for people without an offset
("2024-03-05 10:00") and carry machine-readable times with one (article:modified_time ...+03:00). Without a
site file the time was read as UTC; now at the offset the pages print.
"""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from crawler.extract import Extractor
from crawler.sites import site_from_url
from tests.test_crawl import arshif, ok, rows

WORDS = "هذه فقرة طويلة من نص الخبر تتحدث عن أحداث اليوم في المدينة وتفاصيلها الكثيرة".split()


def article(title: str, printed: str, meta: str = "") -> bytes:
    # each story its own words (the same body twice would be stored once, as an alias)
    words = [*title.split(), *WORDS]
    body = "".join(f"<p>{' '.join(words[(n + i) % len(words)] for i in range(40))} رقم {n}.</p>" for n in range(6))
    return (f'<!DOCTYPE html><html lang="ar"><head><meta charset="utf-8"><title>{title}</title>{meta}</head>'
            f'<body><article><h1>{title}</h1><div class="meta"><span>{printed}</span></div>{body}</article>'
            "</body></html>").encode()


WITH_OFFSET = '<meta property="article:modified_time" content="2024-03-06T09:00:00+03:00">'
PAGES = {
    "/news/first-story-here": article("الخبر الأول عن المدينة", "2024-03-05 10:00", WITH_OFFSET),
    "/news/second-story-here": article("الخبر الثاني عن القرية", "2024-03-04 22:30", WITH_OFFSET),
}
PAGES["/"] = ("<html><head><title>outlet</title></head><body>"
              + "".join(f'<a href="{path}">{path}</a>' for path in PAGES) + "</body></html>").encode()


class Outlet(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        page = PAGES.get(self.path)
        self.send_response(200 if page else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(page or b"not found")

    def log_message(self, *args):
        pass


@pytest.fixture
def outlet():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Outlet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def test_crawl_url_reads_times_without_offset_at_the_pages_own_offset(outlet, tmp_path):
    db = tmp_path / "o.db"
    ok(arshif("crawl", "--url", outlet + "/", "--db", str(db), cwd=tmp_path))
    stored = {row["title"]: row["published_at"] for row in rows(db, "select title, published_at from articles")}
    assert instant(stored["الخبر الأول عن المدينة"]) == datetime(2024, 3, 5, 7, 0, tzinfo=timezone.utc)
    assert instant(stored["الخبر الثاني عن القرية"]) == datetime(2024, 3, 4, 19, 30, tzinfo=timezone.utc)
    assert stored["الخبر الأول عن المدينة"].endswith("+03:00")


def test_a_page_without_any_offset_takes_the_one_learned_before_else_utc():
    site = site_from_url("https://outlet.example/")
    bare = article("خبر بلا توقيت", "2024-03-05 10:00")
    url = "https://outlet.example/news/a-bare-story"
    assert Extractor().extract_article(bare, url, site=site)["published_at"] == "2024-03-05T10:00:00+00:00"
    extractor = Extractor()
    extractor.extract_article(PAGES["/news/first-story-here"], url, site=site)
    assert extractor.extract_article(bare, url, site=site)["published_at"] == "2024-03-05T10:00:00+03:00"
    # a site file's own timezone is never replaced
    from crawler.sites import get_site

    assert not get_site("alhadath").guessed
