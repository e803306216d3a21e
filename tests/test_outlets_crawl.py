"""Outlets without numeric ids, crawled end to end: `arshif crawl|backfill wpnews|slugnews` (site files in
crawler/sites) against the mirror's wordpress and slug families, checked against the mirror's truth.

Those sites are keyed by URL (``Site.key == "url"``): the truth's ``key`` is the archive's ``article_id``,
and an exact duplicate is an alias of its original's key. Everything else is `tests/test_crawl.py`'s check.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from urllib.parse import unquote, urlsplit

import pytest

from crawler.errors import EXIT_ALARM
from crawler.mirror import MirrorConfig, MirrorProcess
from crawler.sites import url_key
from tests.test_crawl import arshif, assert_archive_is_truth, last_run, ok, rows


def _path(url: str) -> str:
    return unquote(urlsplit(url).path)


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)

FAMILIES = {"wordpress": "wpnews", "slug": "slugnews"}


def keyed_truth(mirror) -> list[dict]:
    """The truth as the archive keys it: served articles only (the families have no soft-404 pages).

    Of two exact copies of a site keyed by URL (both families) the archive calls the earlier-published one the
    original (``crawler.dedupe.stored_copy_is_original``), as the mirror's truth does. Of two near copies it
    names the lower key (``crawler.dedupe.is_original_of``: the same answer whichever copy a crawl meets
    first); a URL's key says nothing of which copy came first, so where the republished near copy has the
    lower key, the pair's roles swap here: the first copy is the one naming the other.
    """
    rows = {r["id"]: dict(r) for r in mirror.truth() if r["status"] == "article"}
    for r in list(rows.values()):
        for name in ("near_duplicate_of",):
            source = rows.get(r[name]) if r[name] is not None else None
            if source is not None and r["key"] < source["key"]:
                source[name], r[name] = r["id"], None
    key = {i: r["key"] for i, r in rows.items()}
    for r in rows.values():
        r["id"] = r["key"]
        for name in ("exact_duplicate_of", "near_duplicate_of"):
            r[name] = key[r[name]] if r[name] is not None else None
    return list(rows.values())


@pytest.fixture
def family_mirror():
    started = []

    def start(**fields):
        process = MirrorProcess.start(MirrorConfig(**fields))
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


@pytest.mark.parametrize("cms", sorted(FAMILIES))
def test_crawl_stores_the_truth(cms, family_mirror, tmp_path):
    mirror = family_mirror(articles=300, seed=4, cms=cms)
    db = tmp_path / "a.db"
    result = ok(arshif("crawl", FAMILIES[cms], "--base-url", mirror.base_url, "--db", str(db), cwd=tmp_path))
    assert "run 1: ok" in result.stdout
    counts = assert_archive_is_truth(db, keyed_truth(mirror))
    assert counts["articles"] > 250 and counts["aliases"] > 0
    run = last_run(db)
    assert (run["status"], run["failures"], run["misses"]) == ("ok", 0, 0)


@pytest.mark.parametrize("wp_json", ["on", "off", "forbidden"])
def test_wordpress_backfill_through_wp_json_else_sitemaps(wp_json, family_mirror, tmp_path):
    mirror = family_mirror(articles=300, seed=4, cms="wordpress", wp_json=wp_json)
    db = tmp_path / "a.db"
    ok(arshif("backfill", "wpnews", "--base-url", mirror.base_url, "--db", str(db), cwd=tmp_path))
    assert_archive_is_truth(db, keyed_truth(mirror))
    stats = last_run(db)["stats"]
    if wp_json == "on":
        assert stats["arshif/wp-json/pages"] == 3 and stats["arshif/wp-json/articles"] > 250
        assert "arshif/wp-json/closed" not in stats and "arshif/sitemaps/articles" not in stats
    else:
        assert stats["arshif/wp-json/closed"] == 1 and stats["arshif/sitemaps/articles"] > 250


def test_slug_backfill_through_sitemaps(family_mirror, tmp_path):
    mirror = family_mirror(articles=300, seed=4, cms="slug")
    db = tmp_path / "a.db"
    ok(arshif("backfill", "slugnews", "--base-url", mirror.base_url, "--db", str(db), cwd=tmp_path))
    assert_archive_is_truth(db, keyed_truth(mirror))
    again = ok(arshif("backfill", "slugnews", "--base-url", mirror.base_url, "--db", str(db), cwd=tmp_path))
    assert "0 new" in again.stdout and last_run(db)["stats"].get("arshif/requests/article", 0) == 0


@pytest.mark.parametrize("cms", ["alhadath", "wordpress", "slug"])
def test_zero_config_crawl_stores_every_article(cms, family_mirror, tmp_path):
    """`arshif crawl --url` with no site file: every served article ends up stored (or an alias of its copy),
    keyed by its URL; nothing else is stored. The run ends ok (exit 0): bylines, which generic reading
    finds on only part of these pages, are judged against the site's history, not the absolute minimum
    (crawler.monitor.unjudged_minimums)."""
    mirror = family_mirror(articles=300, seed=4, cms=cms)
    db = tmp_path / "z.db"
    result = arshif("crawl", "--url", mirror.base_url + "/", "--db", str(db), cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    # alhadath's truth names /article/<id>; the page fetched (after the redirect) is /article/<id>/<slug>
    same = lambda url: re.sub(r"^(/article/\d+)/.*", r"\1", _path(url))  # noqa: E731
    wanted = {same(r["url"]): r for r in mirror.truth() if r["status"] == "article"}
    stored = {same(row["url"]): row for row in rows(db, "select * from articles")}
    aliased = {same(row["alias_url"]): row for row in rows(db, "select * from aliases")}
    assert set(stored) | set(aliased) == set(wanted)
    assert all(row["article_id"] == url_key(urlsplit(row["url"]).path) for row in stored.values())
    assert all(stored[p]["title"] == wanted[p]["title"] for p in stored)
    assert all(_instant(stored[p]["published_at"]) == _instant(wanted[p]["published_at"]) for p in stored
               if cms != "alhadath")  # alhadath prints its times with no offset: read as UTC without a site file


@pytest.mark.parametrize("cms", sorted(FAMILIES))
def test_incremental_rerun_refetches_only_what_changed(cms, family_mirror, tmp_path):
    """Day 0, then the same outlet on day 1: the sitemap's lastmod is newer than the stored version for the
    one article edited on day 1, and that article is the only one asked for again (a new version)."""
    db = tmp_path / "a.db"
    day0 = family_mirror(articles=300, seed=4, cms=cms)
    ok(arshif("crawl", FAMILIES[cms], "--base-url", day0.base_url, "--db", str(db), cwd=tmp_path))
    day0.stop()
    day1 = family_mirror(articles=300, seed=4, cms=cms, day=1)
    ok(arshif("crawl", FAMILIES[cms], "--base-url", day1.base_url, "--db", str(db), cwd=tmp_path))
    changed = [r for r in day1.truth() if r["updated_on_day"] == 1]
    assert len(changed) == 1
    run = last_run(db)
    assert (run["articles_new"], run["articles_updated"]) == (0, 1)
    assert run["stats"]["arshif/requests/article"] == 1
    versions = rows(db, "select article_id from article_versions")
    assert [v["article_id"] for v in versions] == [changed[0]["key"]]
    assert_archive_is_truth(db, keyed_truth(day1))


def test_a_zero_config_outlet_is_found_by_its_stored_host(family_mirror, tmp_path):
    """A `crawl --url` outlet has no site file: the archive stores it under its host ("127.0.0.1"). Reparse,
    a --site filter and a rerun by that name find it through the archive (its stored URLs' base)."""
    mirror = family_mirror(articles=60, seed=4, cms="wordpress")
    db = tmp_path / "z.db"
    result = arshif("crawl", "--url", mirror.base_url + "/", "--db", str(db), "--warc", str(tmp_path / "warc"),
                    cwd=tmp_path)
    assert result.returncode in (0, EXIT_ALARM), result.stderr[-3000:]
    stored = rows(db, "select article_id, url, title, version from articles order by article_id")
    assert len(stored) > 40 and {row["version"] for row in stored} == {1}
    assert {r["site"] for r in rows(db, "select distinct site from articles")} == {"127.0.0.1"}
    for jobs in ("1", "2"):
        done = ok(arshif("reparse", "--db", str(db), "--warc", str(tmp_path / "warc"), "--jobs", jobs, cwd=tmp_path))
        assert f"{len(stored)} articles with WARC records — 0 changed (new version), {len(stored)} unchanged" \
            in done.stderr
    assert rows(db, "select article_id, url, title, version from articles order by article_id") == stored
    ok(arshif("reparse", "--db", str(db), "--warc", str(tmp_path / "warc"), "--site", "127.0.0.1", cwd=tmp_path))
    ok(arshif("export", "--db", str(db), "--site", "127.0.0.1", "--format", "jsonl", "-o", "x.jsonl", cwd=tmp_path))
    assert len((tmp_path / "x.jsonl").read_text(encoding="utf-8").splitlines()) == len(stored)
    rerun = arshif("crawl", "127.0.0.1", "--db", str(db), cwd=tmp_path)  # by its stored name: the same outlet
    assert rerun.returncode in (0, EXIT_ALARM), rerun.stderr[-3000:]
    assert "0 new" in rerun.stdout and last_run(db)["spider"] == "127.0.0.1"
    unknown = arshif("reparse", "--db", str(db), "--warc", ".", "--site", "10.9.9.9", cwd=tmp_path)
    assert unknown.returncode == 2 and "https://10.9.9.9/" in unknown.stderr
