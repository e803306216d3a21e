"""PageFields._absolute: a link made absolute against the page (and its <base href>) as urljoin makes it; a plain
absolute http(s) link (fields._PLAIN_ABSOLUTE) is returned as it is without asking urljoin, which gives the
same string for every one of them."""

from __future__ import annotations

import random
from urllib.parse import urljoin

from crawler.extract.fields import _PLAIN_ABSOLUTE, PageFields
from crawler.extract.walk import Page

BASES = ["https://www.alhadath.ps/article/60/x", "http://news.example.invalid/a/b?q=1#f", "https://h/",
         "ftp://files.example/x", "https://h/dir/page;p?x"]
ALPHABET = "htps:/.-_~:@!$&'()*+,=%;?#[] \t\nAZaz09ابـ\\\x01"


def _candidates(count: int):
    rng = random.Random(7)
    prefixes = ["https://", "http://", "HTTP://", "https:/", "https:///", "//", "", "mailto:", "https://[::1]"]
    for _ in range(count):
        yield rng.choice(prefixes) + "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 14)))


def test_every_plain_absolute_link_is_what_urljoin_gives():
    plain = 0
    for link in [*_candidates(60_000), "https://www.alhadath.ps/article/60/%D8%A7", "https://h", "https://h:8080",
                 "https://u@h/x/../y", "http://h//a", "https://h/a;b", "https://h/a?", "https://h/#"]:
        if _PLAIN_ABSOLUTE.fullmatch(link):
            plain += 1
            for base in BASES:
                assert urljoin(base, link) == link, (base, link)
    assert plain > 1_500


def test_every_plain_path_is_what_urljoin_gives():
    """A path from the root (fields._PLAIN_PATH, no "." or ".." segment) on an http(s) page: the page's scheme
    and host before it, as urljoin resolves it."""
    from urllib.parse import urlsplit

    from crawler.extract.fields import _PLAIN_PATH

    rng = random.Random(11)
    plain = 0
    links = ["/" + "".join(rng.choice("/.%-_azAZ09:@?#;[] ") for _ in range(rng.randint(0, 16))) for _ in range(60_000)]
    for link in [*links, "/", "//h/x", "/a//b", "/a/./b", "/a/../b", "/.well-known/x", "/a/b/", "/%d9%88/"]:
        if _PLAIN_PATH.fullmatch(link) and "/." not in link:
            plain += 1
            for base in BASES:
                page = urlsplit(base)
                if page.scheme in ("http", "https") and page.netloc:
                    assert urljoin(base, link) == f"{page.scheme}://{page.netloc}{link}", (base, link)
    assert plain > 3_000


def test_absolute_links_of_a_page():
    for base_href, link, expected in [("", " https://h/a.jpg ", "https://h/a.jpg"),
                                      ("", "/a.jpg", "https://www.alhadath.ps/a.jpg"),
                                      ("", "/a/../b.jpg", "https://www.alhadath.ps/b.jpg"),
                                      ("", "a.jpg", "https://www.alhadath.ps/article/60/a.jpg"),
                                      ("", "https://h/a?x=1", "https://h/a?x=1"),
                                      ("", "https://h/a?", "https://h/a"),  # urljoin drops the empty query
                                      ("", " ", "https://www.alhadath.ps/article/60/x"),
                                      ("https://cdn.example/img/", "a.jpg", "https://cdn.example/img/a.jpg"),
                                      ("https://cdn.example/img/", "https://h/a.jpg", "https://h/a.jpg"),
                                      ("", "", "")]:
        fields = PageFields.__new__(PageFields)
        fields.url, fields.page = BASES[0], Page(base_href=base_href)
        assert fields._absolute(link) == expected, (base_href, link)
