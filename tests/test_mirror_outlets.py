"""The mirror's CMS families (``--cms wordpress|slug``): the same stories under another outlet's URLs.

Each test reads the family's pages as a crawler would (in-process ``render``; one test through the real
server subprocess) and checks them against the truth: every served article is reachable from the
family's sitemaps (and for WordPress its REST API and ``?p=ID``), its page carries the truth's title and
publication instant, and the truth's ``key`` is what the Site contract derives from the URL.
"""

from __future__ import annotations

import ast
import json
import re
import urllib.request
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote, urlsplit

import lxml.etree
import lxml.html
import pytest

from crawler.errors import UsageError
from crawler.mirror import MirrorConfig, MirrorProcess, render, truth
from crawler.mirror.outlets import url_key

BASE = "http://127.0.0.1:1"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def _get(config: MirrorConfig, url_or_path: str):
    split = urlsplit(url_or_path)
    path = split.path + (f"?{split.query}" if split.query else "")
    return render(config, path, 1, BASE)


def _articles(config: MirrorConfig) -> list[dict]:
    return [r for r in truth(config) if r["status"] == "article"]


def _path(url: str) -> str:
    return unquote(urlsplit(url).path)


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def _sitemap_urls(config: MirrorConfig, index: str) -> dict[str, str]:
    """Every <loc> of every child of the sitemap index, with its lastmod: path → lastmod."""
    root = lxml.etree.fromstring(_get(config, index).body)
    out = {}
    for child in root.iter(f"{SM}loc"):
        page = _get(config, child.text)
        assert page.status == 200, child.text
        for url in lxml.etree.fromstring(page.body).iter(f"{SM}url"):
            lastmod = url.find(f"{SM}lastmod")
            out[_path(url.find(f"{SM}loc").text)] = lastmod.text if lastmod is not None else ""
    return out


@pytest.fixture(scope="module")
def wp() -> MirrorConfig:
    return MirrorConfig(articles=450, seed=4, cms="wordpress")


@pytest.fixture(scope="module")
def slug() -> MirrorConfig:
    return MirrorConfig(articles=450, seed=4, cms="slug")


def test_truth_keys_follow_the_family(wp, slug):
    alhadath = [r for r in truth(MirrorConfig(articles=450, seed=4)) if r["status"] == "article"]
    assert all(r["key"] == r["id"] for r in alhadath)
    for config in (wp, slug):
        rows = _articles(config)
        assert len(rows) == len(alhadath)  # same stories, another outlet's URLs
        keys = [r["key"] for r in rows]
        assert len(set(keys)) == len(keys) and all(2**62 <= k < 2**63 for k in keys)
        assert all(r["key"] == url_key(urlsplit(r["url"]).path) for r in rows)
        assert len({r["url"] for r in rows}) == len(rows)
    # one key whatever the encoding or trailing slash of the same path
    url = _articles(wp)[0]["url"]
    assert url_key(urlsplit(url).path) == url_key(_path(url).rstrip("/"))


def test_slug_family_has_no_numeric_id_anywhere(slug):
    rows = _articles(slug)
    for r in rows:
        assert re.fullmatch(r"/news/[^\d/]+(-\d)?", _path(r["url"])), r["url"]
    pages = [_get(slug, "/"), _get(slug, "/section/محليات?page=2")] + [_get(slug, r["url"]) for r in rows[:30]]
    ids = {str(r["id"]) for r in rows}
    for page in pages:
        assert page.status == 200
        doc = lxml.html.fromstring(page.body)
        for href in doc.xpath("//a/@href | //img/@src | //link/@href | //meta[starts-with(@property, 'og:')]/@content"):
            path = _path(href)
            if path.startswith("/section/") or "://" in href and not href.startswith(BASE):
                continue  # a page number; another host
            path = re.sub(r"^/uploads/\d{4}/\d{2}/[0-9a-f]{8}\.jpg$", "/uploads", path)  # by month and hash
            assert not set(re.split(r"[/?&=.-]", path)) & ids, href


def test_each_family_serves_every_article_with_its_truth(wp, slug):
    for config in (wp, slug):
        for r in _articles(config):
            page = _get(config, r["url"])
            assert page.status == 200, r["url"]
            doc = lxml.html.fromstring(page.body)
            assert doc.xpath("string(//h1)") == r["title"]
            published = doc.xpath("string(//meta[@property='article:published_time']/@content)")
            assert _instant(published) == _instant(r["published_at"])
            assert r["paragraphs"][0] in page.body.decode()


def test_wordpress_yoast_graph_and_theme_markup(wp):
    r = next(r for r in _articles(wp) if r["authors"])
    doc = lxml.html.fromstring(_get(wp, r["url"]).body)
    graph = json.loads(doc.xpath("string(//script[@class='yoast-schema-graph'])"))["@graph"]
    types = [node["@type"] for node in graph]
    assert ["Article", "NewsArticle"] in types and "WebPage" in types and "Person" in types
    article = next(node for node in graph if node["@type"] == ["Article", "NewsArticle"])
    assert article["headline"] == r["title"][:110] and article["author"]["name"] == r["authors"][0]
    assert _instant(article["datePublished"]) == _instant(r["published_at"])
    assert doc.xpath("string(//h1[@class='entry-title'])") == r["title"]
    assert [p.text_content() for p in doc.xpath("//div[@class='entry-content']/p")] == r["paragraphs"]
    assert _instant(doc.xpath("string(//time[contains(@class, 'published')]/@datetime)")) == _instant(r["published_at"])


def test_wordpress_shortlinks_redirect_to_the_permalink(wp):
    rows = _articles(wp)
    for r in rows[:40]:
        page = _get(wp, f"/?p={r['id']}")
        assert page.status == 301 and _path(page.headers["Location"]) == _path(r["url"])
    missing = next(r for r in truth(wp) if r["status"] != "article")
    assert _get(wp, f"/?p={missing['id']}").status == 404
    no_slash = _get(wp, r["url"].rstrip("/"))
    assert no_slash.status == 301 and no_slash.headers["Location"].endswith("/")


def test_wordpress_rest_api_pages_through_every_post(wp):
    rows = {_path(r["url"]): r for r in _articles(wp)}
    seen, page, pages = [], 1, None
    while pages is None or page <= pages:
        answer = _get(wp, f"/wp-json/wp/v2/posts?page={page}&per_page=100")
        assert answer.status == 200
        assert int(answer.headers["X-WP-Total"]) == len(rows)
        pages = int(answer.headers["X-WP-TotalPages"])
        seen += json.loads(answer.body)
        page += 1
    assert pages == -(-len(rows) // 100)
    assert sorted(_path(p["link"]) for p in seen) == sorted(rows)
    assert [p["id"] for p in seen] == sorted((r["id"] for r in rows.values()), reverse=True)  # newest first
    post = seen[0]
    truth_row = rows[_path(post["link"])]
    assert post["id"] == truth_row["id"] and post["title"]["rendered"] == truth_row["title"].replace("&", "&amp;")
    assert _instant(post["date_gmt"] + "+00:00") == _instant(truth_row["published_at"])
    assert _get(wp, f"/wp-json/wp/v2/posts?page={pages + 1}&per_page=100").status == 400
    assert _get(wp, "/wp-json/wp/v2/posts?per_page=101").status == 400


@pytest.mark.parametrize("mode, status", [("off", 404), ("forbidden", 403)])
def test_wordpress_rest_api_closed(mode, status):
    config = MirrorConfig(articles=60, seed=4, cms="wordpress", wp_json=mode)
    assert _get(config, "/wp-json/wp/v2/posts?page=1&per_page=10").status == status
    assert _get(config, "/sitemap_index.xml").status == 200  # the sitemaps still answer


def test_sitemaps_list_every_article_once(wp, slug):
    for config, index in ((wp, "/sitemap_index.xml"), (slug, "/sitemap.xml")):
        urls = _sitemap_urls(config, index)
        articles = {_path(r["url"]) for r in _articles(config)}
        assert articles <= set(urls)
        assert set(urls) - articles <= {u for u in urls if u.startswith("/category/")}
    robots = _get(wp, "/robots.txt").body.decode()
    assert "Sitemap: " in robots and robots.strip().endswith("/sitemap_index.xml")


def test_wordpress_news_sitemap_and_feed(wp):
    rows = sorted(_articles(wp), key=lambda r: r["id"], reverse=True)
    news = lxml.etree.fromstring(_get(wp, "/news-sitemap.xml").body)
    locs = [_path(e.text) for e in news.iter(f"{SM}loc")]
    assert locs == [_path(r["url"]) for r in rows[:len(locs)]] and len(locs) == 50
    feed = lxml.etree.fromstring(_get(wp, "/feed/").body)
    items = feed.findall("./channel/item")
    assert [_path(i.findtext("link")) for i in items] == [_path(r["url"]) for r in rows[:10]]


def test_listings_reach_every_article(wp, slug):
    for config in (wp, slug):
        home = lxml.html.fromstring(_get(config, "/").body)
        sections = home.xpath("//ul[@id='primary-menu']//a/@href | //nav[@class='sections']/a/@href")
        assert len(sections) == 6
        found, queue, seen = set(), list(sections), set()
        while queue:
            href = queue.pop()
            if href in seen:
                continue
            seen.add(href)
            page = _get(config, href)
            assert page.status == 200, href
            doc = lxml.html.fromstring(page.body)
            main = doc.xpath("//main | //div[@class='list']")[0]
            found |= {_path(h) for h in main.xpath(".//h2/a/@href | .//div[@class='card']/a/@href")}
            queue += [h for h in doc.xpath("//div[@class='nav-previous']/a/@href | //div[@class='pages']/a/@href")
                      if h not in seen]
        assert found == {_path(r["url"]) for r in _articles(config)}


def test_an_update_changes_lastmod_not_the_url():
    day0 = MirrorConfig(articles=450, seed=4, cms="slug")
    day5 = MirrorConfig(articles=450, seed=4, cms="slug", day=5)
    before, after = _sitemap_urls(day0, "/sitemap.xml"), _sitemap_urls(day5, "/sitemap.xml")
    assert set(before) == set(after)
    changed = {p for p in before if before[p] != after[p]}
    updated = {_path(r["url"]) for r in _articles(day5) if r["updated_on_day"]}
    assert changed == updated and updated
    t0 = {r["key"]: r for r in _articles(day0)}
    t5 = {r["key"]: r for r in _articles(day5)}
    assert set(t0) == set(t5)
    assert {k for k in t0 if t0[k] != t5[k]} == {k for k in t5 if t5[k]["updated_on_day"]}


def test_family_options_are_checked():
    with pytest.raises(UsageError, match="unknown CMS"):
        MirrorConfig(cms="drupal")
    with pytest.raises(UsageError, match="alhadath family"):
        MirrorConfig(cms="slug", markup="table")


def test_served_over_http(tmp_path):
    with MirrorProcess.start(MirrorConfig(articles=80, seed=2, cms="wordpress", wp_json="forbidden")) as mirror:
        row = next(r for r in mirror.truth() if r["status"] == "article")
        with urllib.request.urlopen(mirror.base_url + urlsplit(row["url"]).path) as answer:
            assert row["title"] in answer.read().decode()
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(mirror.base_url + "/wp-json/wp/v2/posts")
        assert error.value.code == 403


def test_mirror_modules_import_without_a_circle():
    """Top-level imports among crawler/mirror/*.py form no cycle, and no module hides one in a function."""
    folder = Path(__file__).resolve().parent.parent / "crawler" / "mirror"
    graph: dict[str, set[str]] = {}
    for path in folder.glob("*.py"):
        tree = ast.parse(path.read_text())
        deps = graph.setdefault(path.stem, set())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("crawler.mirror"):
                names = ([node.module.split(".")[2]] if node.module.count(".") >= 2
                         else [a.name for a in node.names])
                if node.col_offset and path.stem != "__init__":
                    pytest.fail(f"{path.name}: a function-level import of {node.module} hides a circle")
                deps.update(n for n in names if (folder / f"{n}.py").exists())
    graph.pop("__init__")
    done: set[str] = set()

    def visit(name: str, stack: tuple[str, ...]) -> None:
        assert name not in stack, f"import circle: {' -> '.join(stack + (name,))}"
        if name not in done:
            for dep in graph.get(name, ()):
                visit(dep, stack + (name,))
            done.add(name)

    for name in graph:
        visit(name, ())
