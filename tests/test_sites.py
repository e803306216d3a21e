"""Sites as data (crawler.sites): TOML files read into ``Site``, the registry, article keys, URL rules."""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.sites import (
    Site, SiteFileError, UnknownSiteError, dump_site, get_site, load_site, site_for_url, site_names, url_key,
)
from crawler.sites.registry import BUNDLED

REPO = Path(__file__).resolve().parent.parent
ALHADATH = (BUNDLED / "alhadath.toml").read_text(encoding="utf-8")

# A second outlet with alhadath's URL shapes, so that the mirror can serve it (its own host and domains).
OUTLET = """\
name = "outlet"
base_url = "https://news.outlet.example"
timezone = "Asia/Hebron"
own_names = ["الحدث"]

[urls]
article = '^/article/(?P<id>\\d+)(?:/|$)'
canonical = "/article/{id}"
listing = '^/category/(?P<category>\\d+)(?:/[^/]*)?(?:/page/(?P<page>\\d+))?/?$'

[layout]
timestamp = '\\b\\d{4}-\\d{2}-\\d{2} \\d{1,2}:\\d{2}:\\d{2} [AaPp][Mm]\\b'
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_alhadath_file_holds_what_the_spider_module_declared():
    site = get_site("alhadath")
    assert (site.name, site.base_url, site.domains, site.timezone, site.founded) == (
        "alhadath", "https://www.alhadath.ps", ("alhadath.ps",), "Asia/Hebron", 2014)
    assert site.own_names == ("الحدث",) and site.selectors == {"title": "h1"} and site.key == "id"
    assert site.timestamp_pattern.search("نشر 2024-03-05 9:07:00 PM") is not None
    assert site.article_key("https://www.alhadath.ps/article/16768/عنوان") == 16768
    assert site.article_key("https://www.alhadath.ps/article/%31%32") == 12  # %-encoded digits
    assert site.article_key("https://www.alhadath.ps/category/3") is None
    assert site.canonical_url(16768) == "https://www.alhadath.ps/article/16768"
    assert site.listing("https://www.alhadath.ps/category/9/slug/page/2") == (9, 2)
    assert site.listing("/category/9") == (9, 1)
    assert [site.link_kind(u) for u in ("/article/5", "/category/9/x", "/tag/4/y", "/about")] == [
        "article", "listing", "tag", "other"]
    assert site.discovery.sitemaps == ("/sitemap.xml",)


def test_toml_round_trip(tmp_path):
    site = get_site("alhadath")
    again = load_site(write(tmp_path, "alhadath", dump_site(site)))
    assert again == site  # patterns compare by their text and flags
    outlet = load_site(write(tmp_path, "outlet", OUTLET))
    assert load_site(write(tmp_path, "copy", dump_site(outlet).replace('"outlet"', '"copy"'))) == \
        dataclasses.replace(outlet, name="copy")


@pytest.mark.parametrize("change, message", [
    (lambda t: t + 'colour = "red"\n', "unknown key 'colour'"),
    (lambda t: t.replace("[selectors]", "[selectors]\nheadline = \"h2\""), "unknown key 'headline' in [selectors]"),
    (lambda t: t.replace("[urls]", "[urls]\nsection = '/s/'"), "unknown key 'section' in [urls]"),
    (lambda t: t.replace(r"(?P<id>\d+)(?:/|$)", r"(?P<id>\d+(?:/|$)"), "[urls] article: bad regular expression"),
    (lambda t: t.replace(r"(?P<id>\d+)", r"(\d+)"), "needs a group (?P<id>"),
    (lambda t: t.replace('"Asia/Hebron"', '"Mars/Olympus"'), "unknown zone 'Mars/Olympus'"),
    (lambda t: t.replace('key = "id"', 'key = "slug"'), "key must be one of id, url"),
    (lambda t: t.replace('"feeds"]', '"gopher"]'), "unknown 'gopher'"),
    (lambda t: t.replace('name = "alhadath"', 'name = "alhadath'), "not valid TOML"),
])
def test_a_bad_site_file_is_a_clear_error_naming_the_file(tmp_path, change, message):
    path = write(tmp_path, "alhadath", change(ALHADATH))
    with pytest.raises(SiteFileError) as caught:
        load_site(path)
    assert str(caught.value).startswith(f"{path}: ") and message in str(caught.value)


def test_registry_unknown_site_and_name_mismatch(tmp_path, monkeypatch):
    monkeypatch.setenv("ARSHIF_SITES", str(tmp_path))
    with pytest.raises(UnknownSiteError, match="unknown site 'nosuch'; known: alhadath"):
        get_site("nosuch")
    write(tmp_path, "renamed", OUTLET)
    with pytest.raises(SiteFileError, match="file is called renamed.toml"):
        get_site("renamed")


def test_sites_from_arshif_sites_folders(tmp_path, monkeypatch):
    monkeypatch.setenv("ARSHIF_SITES", os.pathsep.join([str(tmp_path / "none"), str(tmp_path)]))
    write(tmp_path, "outlet", OUTLET)
    assert site_names() == ["alhadath", "outlet", "slugnews", "wpnews"]  # + the bundled outlets
    assert get_site("outlet").domains == ("news.outlet.example",)  # from base_url, without www.
    assert site_for_url("https://news.outlet.example/article/3").name == "outlet"
    assert site_for_url("https://www.alhadath.ps/article/3").name == "alhadath"
    assert site_for_url("https://elsewhere.example/article/3") is None
    assert get_site(str(tmp_path / "outlet.toml")).name == "outlet"  # a path works as the site argument


def test_url_keys_are_stable_and_above_every_numeric_id():
    site = dataclasses.replace(get_site("alhadath"), key="url", canonical_path=None)
    paths = ["/article/1", "/2024/05/01/غزة-اليوم/", "/2024/05/01/%D8%BA%D8%B2%D8%A9-%D8%A7%D9%84%D9%8A%D9%88%D9%85",
             "/news/a-slug-only-story"] + [f"/story/{n}" for n in range(200)]
    keys = [url_key(path) for path in paths]
    assert all(2**62 <= key < 2**63 for key in keys)
    assert keys[1] == keys[2]  # encoded or not, trailing slash or not: one article
    assert len(set(keys)) == len(paths) - 1
    assert site.article_key("https://www.alhadath.ps/article/16768/x") == url_key("/article/16768/x")
    assert site.article_key("https://www.alhadath.ps/about") is None
    with pytest.raises(ValueError, match="no \\[urls\\] canonical"):
        site.canonical_url(keys[0])
    # Another interpreter (another hash seed) computes the same keys.
    script = "import sys; from crawler.sites import url_key; print(*[url_key(p) for p in sys.argv[1:]])"
    other = subprocess.run([sys.executable, "-c", script, *paths], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": "123"}, cwd=REPO)
    assert [int(key) for key in other.stdout.split()] == keys


def test_url_rewriting_between_the_real_host_and_the_base_url():
    site = get_site("alhadath")
    base = "http://127.0.0.1:8000"
    assert site.to_base("https://www.alhadath.ps/article/5/x?a=1", base) == base + "/article/5/x?a=1"
    assert site.to_base("/category/9/slug/page/2", base) == base + "/category/9/slug/page/2"
    assert site.to_base("https://elsewhere.example/x", base) == "https://elsewhere.example/x"
    assert site.to_real(base + "/category/9/x", base) == "https://www.alhadath.ps/category/9/x"
    assert site.on_real_host("http://10.1.2.3:9/article/5?p=2") == "https://www.alhadath.ps/article/5?p=2"
    assert site.on_site("https://alhadath.ps/x", base) and site.on_site(base + "/x", base)
    assert not site.on_site("https://elsewhere.example/x", base)


def test_a_site_file_from_arshif_sites_is_crawlable_by_name(mirror_factory, tmp_path):
    """One TOML file, no code: `arshif backfill outlet` and `scrapy crawl outlet` fetch and store its pages."""
    mirror = mirror_factory(articles=30)
    folder = tmp_path / "sites"
    folder.mkdir()
    write(folder, "outlet", OUTLET)
    env = {**os.environ, "ARSHIF_SITES": str(folder), "PYTHONPATH": str(REPO)}
    db = tmp_path / "o.db"
    result = subprocess.run([sys.executable, "-m", "crawler", "backfill", "outlet", "--ids", "1-30", "--base-url",
                             mirror.base_url, "--db", str(db), "--log-level", "WARNING"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    truth = {row["id"]: row for row in mirror.truth()}
    with sqlite3.connect(db) as conn:
        stored = dict(conn.execute("select article_id, title from articles where site = 'outlet'").fetchall())
        urls = {url for (url,) in conn.execute("select url from articles")}
    served = {article_id for article_id, row in truth.items() if row["status"] == "article"
              and row["exact_duplicate_of"] is None and row["near_duplicate_of"] is None}
    assert set(stored) == served and all(stored[i] == truth[i]["title"] for i in served)
    assert urls and all(url.startswith("https://news.outlet.example/article/") for url in urls)
    listed = subprocess.run([sys.executable, "-m", "scrapy", "list"], cwd=REPO, env=env, capture_output=True,
                            text=True, timeout=120)
    assert listed.stdout.split() == ["alhadath", "outlet", "slugnews", "wpnews"], listed.stderr[-2000:]
    # The file's path as the site argument, with no ARSHIF_SITES at all.
    env.pop("ARSHIF_SITES")
    by_path = subprocess.run([sys.executable, "-m", "crawler", "backfill", str(folder / "outlet.toml"), "--ids", "1-5",
                              "--base-url", mirror.base_url, "--db", str(tmp_path / "p.db"), "--log-level", "WARNING"],
                             cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert by_path.returncode == 0, by_path.stderr[-3000:]
    with sqlite3.connect(tmp_path / "p.db") as conn:
        assert dict(conn.execute("select article_id, site from articles").fetchall()) == {
            i: "outlet" for i in served if i <= 5}


def test_a_broken_file_in_arshif_sites_is_reported_once_and_skipped(tmp_path, monkeypatch, caplog):
    import subprocess
    import sys

    from crawler.sites import registry

    monkeypatch.setenv("ARSHIF_SITES", str(tmp_path))
    monkeypatch.setattr(registry, "_REPORTED", {})
    write(tmp_path, "outlet", OUTLET)
    (tmp_path / "broken.toml").write_text('name = "broken"\nbase_url = "https://broken.example"\n[urls\n',
                                          encoding="utf-8")
    with caplog.at_level("WARNING", logger="crawler.sites.registry"):
        assert site_names() == ["alhadath", "outlet", "slugnews", "wpnews"]
        assert site_for_url("https://news.outlet.example/article/3").name == "outlet"
        assert site_for_url("https://www.alhadath.ps/article/3").name == "alhadath"
        assert site_for_url("https://broken.example/article/3") is None
        site_names()
    reports = [r.getMessage() for r in caplog.records if "broken.toml" in r.getMessage()]
    assert len(reports) == 1 and "not valid TOML" in reports[0] and str(tmp_path / "broken.toml") in reports[0]
    with pytest.raises(SiteFileError, match="broken.toml: not valid TOML"):
        get_site("broken")
    # In the CLI: naming it is a usage error naming the file; other sites work beside it.
    env = {**os.environ, "ARSHIF_SITES": str(tmp_path)}
    named = subprocess.run([sys.executable, "-m", "crawler", "crawl", "broken", "--db", str(tmp_path / "a.db")],
                           capture_output=True, text=True, env=env, cwd=tmp_path)
    assert named.returncode == 2 and "broken.toml: not valid TOML" in named.stderr
    page = "<html><head><title>t</title></head><body><h1>عنوان</h1></body></html>"
    (tmp_path / "p.html").write_text(page, encoding="utf-8")
    other = subprocess.run([sys.executable, "-m", "crawler", "extract", str(tmp_path / "p.html"), "--url",
                            "https://news.outlet.example/article/3"], capture_output=True, text=True, env=env,
                           cwd=tmp_path)
    assert "Traceback" not in other.stderr and other.stderr.count("broken.toml") <= 1, other.stderr
