"""`arshif probe` against the mirror subprocess in each markup: the report a first contact with a site needs."""

from __future__ import annotations

import json
import subprocess
import sys

from crawler.errors import EXIT_NO_ARTICLE, EXIT_OK, EXIT_UNREACHABLE
from crawler.probe import probe
from crawler.sites import get_site

SITE = get_site("alhadath")


def arshif(*args):
    return subprocess.run([sys.executable, "-m", "crawler", *args], capture_output=True, text=True, timeout=300)


def test_probe_default_markup_reads_every_core_field_and_suggests_selectors(mirror_factory):
    site = mirror_factory(articles=60)
    result = arshif("probe", "alhadath", "--base-url", site.base_url, "--articles", "3", "--json")
    assert result.returncode == EXIT_OK, result.stderr[-2000:]
    report = json.loads(result.stdout)
    assert report["ok"] and report["problems"] == []
    assert report["robots"].startswith("read")
    assert report["pages"]["home"]["links"]["article"] > 0 and report["pages"]["home"]["links"]["listing"] > 0
    assert report["pages"]["listing"]["links"]["article"] > 0  # a listing page was fetched and matched
    assert len(report["articles"]) == 3
    for article in report["articles"]:
        assert article["article"] and article["stages"]["title"] == "selector"  # Site.selectors title: h1
        assert article["stages"]["published_at"] == "layout" and article["stages"]["paragraphs"] == "layout"
        assert article["anchors"] == {"timestamp": True, "title": True, "byline": True}
        assert article["fallbacks"] == []
    # the elements holding each value on every page, checked to select it first
    assert report["suggested_selectors"] == {"title": "h1.post-title", "published": "div.post-date",
                                             "byline": "div.post-author", "paragraphs": "div.post-body p"}


def test_probe_table_markup_is_ok_and_names_the_fallback_for_the_missed_selector(mirror_factory):
    site = mirror_factory(articles=60, markup="table")
    result = arshif("probe", "alhadath", "--base-url", site.base_url, "--articles", "2")
    assert result.returncode == EXIT_OK, result.stderr[-2000:]
    out = result.stdout
    assert "title ← layout" in out and "fallbacks used for: title (the site's selector missed)" in out
    assert "layout anchors: timestamp found, title found, byline found" in out
    assert "selectors['title'] = 'h1' missed on 2 of 2 article pages" in out
    assert out.rstrip().endswith("result: ok — title, date and body read on every article page")


def test_probe_broken_markup_exits_non_zero(mirror_factory):
    site = mirror_factory(articles=60, markup="broken")
    result = arshif("probe", "alhadath", "--base-url", site.base_url, "--articles", "2")
    assert result.returncode == EXIT_NO_ARTICLE == 3
    assert "result: FAILED" in result.stdout and "no article" in result.stderr


def test_probe_honours_robots_txt_and_an_unreachable_site(mirror_factory):
    site = mirror_factory(articles=10)
    url = site.base_url
    site.stop()
    result = arshif("probe", "alhadath", "--base-url", url, "--articles", "1")
    assert result.returncode == EXIT_UNREACHABLE
    assert "nothing is fetched" in result.stdout  # robots.txt unreachable: RFC 9309, disallow all


def test_probe_fetcher_obeys_the_mirrors_robots_txt(mirror_factory):
    from crawler.probe import Fetcher

    site = mirror_factory(articles=20)
    fetcher = Fetcher(site.base_url, SITE, polite=False)
    assert fetcher.read_robots().startswith("read")
    refused = fetcher.get(site.base_url + "/search/غزة/page/1")  # the mirror's robots.txt: Disallow: /search/
    assert refused.status is None and refused.error == "disallowed by robots.txt"
    assert fetcher.get(site.base_url + "/").status == 200
    report = probe(SITE, site.base_url, articles=1)
    assert report.ok and report.to_dict()["current_selectors"] == {"title": "h1"}
