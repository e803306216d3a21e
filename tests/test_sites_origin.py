"""``url_host`` answers from the URL's origin (``registry._ORIGIN``) what urlsplit's hostname answers, and
``site_for_url`` the same site (or None, or the same error) for any URL, asked first or after another URL of the
same origin."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.sites import registry, site_for_url, url_host

_PIECES = ["https:", "http:", "HTTP:", "x+y:", "mailto:", "//", "/", "///", "?", "#", ":", "@", "user:pw@",
           "www.", "WWW.", "alhadath.ps", "AlHadath.PS", "wpnews.example", "slugnews.example", "elsewhere.example",
           ":8080", ":x", "[::1]", "[", "]", "\t", "\n", " ", "\x00", "article/3", "a" * 40, ".", "%2F", "ا"]
_URLS = st.one_of(
    st.lists(st.sampled_from(_PIECES), max_size=12).map("".join),
    st.tuples(st.sampled_from(["https://", "http://www.", "HTTPS://WWW.", "//", " https://"]),
              st.sampled_from(["alhadath.ps", "wpnews.example", "slugnews.example", "news.example.invalid"]),
              st.sampled_from(["", ":443", "\t"]),
              st.lists(st.sampled_from(_PIECES), max_size=8).map("".join)).map("".join))


def _by_host(url: str):
    """The answer from the URL's host alone, as site_for_url read it before it kept origins."""
    site_for_url("https://warm.example/")  # (the hosts' table built)
    hosts = registry._BY_HOST[os.environ.get(registry.ENV, "")]
    try:
        return "site", hosts.get((urlsplit(url).hostname or "").lower().removeprefix("www."))
    except ValueError as error:
        return "error", str(error)


def _asked(url: str):
    try:
        return "site", site_for_url(url)
    except ValueError as error:
        return "error", str(error)


def _host(url: str, ask=lambda url: (urlsplit(url).hostname or "").lower().removeprefix("www.")):
    try:
        return "host", ask(url)
    except ValueError as error:
        return "error", str(error)


@settings(max_examples=500, deadline=None)
@given(urls=st.lists(_URLS, min_size=1, max_size=5))
def test_an_origin_answers_as_its_host(urls):
    registry._HOST_OF_ORIGIN.clear()
    for url in urls + urls:  # each asked first, then again (from the origins kept)
        assert _asked(url) == _by_host(url), url
        assert _host(url, url_host) == _host(url), url


def test_an_origin_kept_is_not_a_longer_host():
    registry._HOST_OF_ORIGIN.clear()
    assert site_for_url("https://www.alhadath.ps/article/1").name == "alhadath"
    assert site_for_url("https://www.alhadath.ps.example/article/1") is None
    assert site_for_url("https://www.alhadath.ps?x=//wpnews.example").name == "alhadath"
    assert site_for_url("https://www.alhadath.ps#/x").name == "alhadath"
    assert site_for_url("https://wpnews.example@www.alhadath.ps/").name == "alhadath"
    assert registry._HOST_OF_ORIGIN["https://www.alhadath.ps"] == "alhadath.ps"
