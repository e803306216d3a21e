"""`arshif serve` in a real browser (Debian's chromium driven by Playwright) and over HTTP (JSON).

One archive for the module, crawled from the mirror as a user would: a backfill of ids 1-50 (Nov. 2014)
and 16768-16805 (May 2015, so the archive spans months with no article; ids past the mirror's end are
misses), then a ``--day 5`` refresh of the same ids so changed articles have versions. Two
articles written through the storage API add the spellings the mirror never prints (إسرائيل,
بإسرائيل). One ``arshif serve --port 0`` subprocess serves it; one browser visits it. Screenshots
go to tests/output/serve/.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from crawler.mirror import MirrorConfig, MirrorProcess
from tests.ops_archive import synthetic_record

REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "tests" / "output" / "serve"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
# Written through the storage API: spellings of إسرائيل the mirror's vocabulary never produces.
ISRAEL_ARTICLES = {
    16900: ["أعلنت إسرائيل إغلاق المعابر مع قطاع غزة صباح اليوم", "وقالت مصادر محلية إن الإغلاق مستمر"],
    16901: ["اجتمع الوفد بإسرائيل مع مسؤولين أمنيين", "ولم تصدر أي تصريحات بعد الاجتماع"],
}


IDS, IDS_UP_TO = "1-50,16768-16805", 16800  # ids past 16800: not on the mirror, misses


def arshif(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "crawler", *args], cwd=cwd, capture_output=True, text=True,
                            timeout=300, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 0, f"arshif {args[0]}: exit {result.returncode}\n{result.stderr[-3000:]}"
    return result


def backfill(db: Path, config: MirrorConfig, ids: str, *extra: str) -> None:
    mirror = MirrorProcess.start(config)
    try:
        arshif("backfill", "alhadath", "--ids", ids, "--base-url", mirror.base_url, "--db", str(db),
               "--log-level", "warning", *extra, cwd=db.parent)
    finally:
        mirror.stop()


def add_israel_articles(db: Path) -> None:
    from crawler.storage import Archive, ArticleWrite

    rng = random.Random(14)
    with Archive(db) as archive:
        for article_id, paragraphs in ISRAEL_ARTICLES.items():
            record = synthetic_record(article_id, rng)
            record.update(title=f"خبر عن المعابر رقم {article_id}", paragraphs=paragraphs,
                          published_at="2015-06-02T10:00:00+03:00", published_hijri="1436-08-15")
            archive.upsert_articles([ArticleWrite(record=record, content_hash=f"israel-{article_id}")])


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("serve") / "arshif.db"
    backfill(db, MirrorConfig(articles=IDS_UP_TO, seed=1), IDS)
    backfill(db, MirrorConfig(articles=IDS_UP_TO, seed=1, day=5), IDS, "--refresh")
    add_israel_articles(db)
    return db


def query(db: Path, sql: str, params=()) -> list[dict]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute(sql, params)]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def server(archive):
    """``arshif serve --port 0`` on the archive; yields its base URL with a slash (the tests add paths to
    it); checks it wrote nothing."""
    before = digest(archive)
    process = subprocess.Popen([sys.executable, "-m", "crawler", "serve", "--db", str(archive), "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONPATH": str(REPO)})
    url = process.stdout.readline().strip()
    if not url.startswith("http://127.0.0.1:"):
        process.kill()
        pytest.fail(f"arshif serve did not start: {url!r} {process.stderr.read()[-2000:]}")
    yield url + "/"
    process.terminate()
    process.wait(timeout=10)
    assert digest(archive) == before, "serving changed the archive file"


def get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.headers.get("content-type", ""), response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("content-type", ""), error.read().decode("utf-8")


def get_json(url: str):
    status, content_type, body = get(url)
    assert status == 200 and content_type.startswith("application/json"), (status, content_type, body[:300])
    return json.loads(body)


def search_url(base: str, text: str, suffix: str = "", **filters: str) -> str:
    return f"{base}search{suffix}?" + urllib.parse.urlencode({"q": text, **filters})


# -- over HTTP: JSON, read-only, binding --------------------------------------------------------------


def test_serves_on_loopback_by_default(server):
    assert server.startswith("http://127.0.0.1:")


def test_home_json_totals_match_the_archive(server, archive):
    data = get_json(server + ".json")
    totals = data["totals"]
    assert totals["articles"] == query(archive, "select count(*) as n from articles")[0]["n"]
    assert totals["versions"] == query(archive, "select count(*) as n from article_versions")[0]["n"] > 0
    assert totals["misses"] == query(archive, "select count(*) as n from misses")[0]["n"] >= 5
    assert [run["id"] for run in data["runs"]] == [row["id"] for row in
                                                  query(archive, "select id from crawl_runs order by id desc")]


@pytest.mark.parametrize("text", ["TITLE-WORD", "اسرائيل", "إسرائيل", "بإسرائيل", "الإسرائيلية", "القدس",
                                  '"إغلاق المعابر" غزة'])
def test_search_json_finds_what_arshif_search_finds(server, archive, text):
    """The page and `arshif search` (crawler.search) fold and match alike: same ids, same order."""
    from crawler.search import search

    if text == "TITLE-WORD":
        text = query(archive, "select title from articles where article_id = 7")[0]["title"].split()[0]
    expected = [hit.article_id for hit in search(archive, text, limit=20)]
    found = [hit["article_id"] for hit in get_json(search_url(server, text, ".json"))["hits"]]
    assert expected and found == expected
    if text in ("اسرائيل", "إسرائيل", "بإسرائيل"):
        assert {16900, 16901} <= set(found)  # folded and light-stemmed: إسرائيل, بإسرائيل


def test_search_facets_filter_the_results(server):
    data = get_json(search_url(server, "الإسرائيلية", ".json"))
    category = data["facets"]["category"][0]
    filtered = get_json(search_url(server, "الإسرائيلية", ".json", category=category["value"]))
    assert filtered["total"] == category["count"] < data["total"]
    assert {hit["category"] for hit in filtered["hits"]} == {category["value"]}
    assert set(data["facets"]) == {"category", "year", "agency", "author"}


def test_datasette_table_json_and_no_writes(server, archive):
    name = archive.stem
    rows = get_json(f"{server}{name}/crawl_runs.json?_shape=array")
    assert len(rows) == len(query(archive, "select id from crawl_runs"))
    status, _, _ = get(f"{server}{name}.json?sql=" + urllib.parse.quote("delete from misses"))
    assert status == 400  # Datasette runs read-only SQL only; the connection itself is ?mode=ro
    assert query(archive, "select count(*) as n from misses")[0]["n"] >= 5


def test_unknown_article_is_404_and_an_alias_redirects(server, archive):
    status, _, _ = get(f"{server}article/alhadath/999999")
    assert status == 404
    alias = query(archive, "select alias_id, article_id from aliases where alias_id is not null limit 1")
    if alias:
        data = get_json(f"{server}article/alhadath/{alias[0]['alias_id']}.json")
        assert data["article"]["article_id"] == alias[0]["article_id"]


# -- in the browser ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if not executable:
        pytest.skip("no chromium on PATH (make browser installs Debian's chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def console_errors():
    return []


@pytest.fixture
def page(browser, console_errors):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    tab = context.new_page()
    tab.on("console", lambda message: console_errors.append(f"{tab.url}: {message.text}")
           if message.type == "error" else None)
    tab.on("pageerror", lambda error: console_errors.append(f"{tab.url}: {error}"))
    yield tab
    context.close()


def shot(page, name: str) -> None:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUTPUT / f"{name}.png"), full_page=True)


def month_span(first: str, last: str) -> list[str]:
    """Every "YYYY-MM" from first to last (computed here, not by crawler.serve.chart)."""
    index, end = int(first[:4]) * 12 + int(first[5:7]) - 1, int(last[:4]) * 12 + int(last[5:7]) - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index, end + 1)]


def test_home_chart_has_one_mark_per_month(page, server, archive):
    page.goto(server)
    shot(page, "home")
    first, last = query(archive, "select min(published_at) as a, max(published_at) as b from articles")[0].values()
    months = month_span(first, last)
    assert len(months) >= 7  # 2014-11 … 2015-06: months without articles between the two mirrors
    marks = page.locator("svg.chart rect.month")
    assert marks.count() == len(months)
    assert [marks.nth(i).get_attribute("data-month") for i in range(marks.count())] == months
    counts = {row["m"]: row["n"] for row in query(
        archive, "select substr(published_at, 1, 7) as m, count(*) as n from articles group by 1")}
    empty = page.locator("svg.chart rect.month.empty")
    assert {empty.nth(i).get_attribute("data-month") for i in range(empty.count())} == \
        {month for month in months if month not in counts}
    assert page.locator("svg.chart g.block rect.misses").count() >= 1
    assert page.locator('[data-total="articles"]').inner_text().replace(",", "") == str(sum(counts.values()))


def test_search_page_finds_israel_however_written(page, server):
    page.goto(server + "search")
    page.fill("input[name=q]", "اسرائيل")
    page.click("form.search button")
    page.wait_for_selector("#total")
    shot(page, "search")
    ids = {int(hit.get_attribute("data-article-id")) for hit in page.locator(".hit").all()}
    assert {16900, 16901} <= ids  # إسرائيل (letters folded) and بإسرائيل (light stem)
    marks = page.locator(".hit mark").all_inner_texts()
    assert {"إسرائيل", "بإسرائيل"} <= set(marks)


def test_search_page_facets(page, server):
    page.goto(search_url(server, "الإسرائيلية"))
    total = int(page.locator("#total").inner_text().split()[0].replace(",", ""))
    facet = page.locator('ul[data-facet="category"] li').first
    value, count = facet.locator("a").inner_text(), int(facet.locator("span").inner_text())
    facet.locator("a").click()
    page.wait_for_load_state()
    assert int(page.locator("#total").inner_text().split()[0].replace(",", "")) == count < total
    assert page.locator(".chips a").first.inner_text().startswith(f"category: {value}")


def test_article_page_is_rtl_with_both_dates(page, server, archive):
    row = query(archive, "select * from articles where article_id = 7")[0]
    page.goto(f"{server}article/alhadath/7")
    shot(page, "article")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("html").get_attribute("lang") == "ar"
    assert page.locator("#title").inner_text() == row["title"]
    assert page.locator("#gregorian").get_attribute("datetime") == row["published_at"]
    assert row["published_at"][:10] in page.locator("#gregorian").inner_text()
    assert row["published_hijri"] and row["published_hijri"] in page.locator("#hijri").inner_text()
    assert page.locator("#original-url").get_attribute("href") == row["url"]
    assert page.locator("#body p").count() == len(json.loads(row["paragraphs"]))


def test_version_diff_marks_the_changed_words(page, server, archive):
    version = query(archive, "select article_id, record from article_versions order by article_id limit 1")[0]
    old = json.loads(version["record"])
    new = query(archive, "select title, paragraphs from articles where article_id = ?", [version["article_id"]])[0]
    old_words = set(" ".join(old["paragraphs"] + [old["title"]]).split())
    new_words = set(" ".join(json.loads(new["paragraphs"]) + [new["title"]]).split())
    page.goto(f"{server}article/alhadath/{version['article_id']}")
    shot(page, "article-diff")
    diff = page.locator(".version .diff").first
    inserted = set(" ".join(diff.locator("ins").all_inner_texts()).split())
    deleted = set(" ".join(diff.locator("del").all_inner_texts()).split())
    assert inserted or deleted
    assert inserted <= new_words and deleted <= old_words
    assert inserted - old_words == new_words - old_words  # every new word is marked
    assert deleted >= old_words - new_words  # every dropped word is marked


def test_runs_page_lists_every_run(page, server, archive):
    page.goto(server + "runs")
    shot(page, "runs")
    runs = query(archive, "select id, status from crawl_runs order by id desc")
    rows = page.locator("table.runs tbody tr")
    assert rows.count() == len(runs)
    assert [rows.nth(i).locator(".status").inner_text() for i in range(rows.count())] == [r["status"] for r in runs]


def test_no_console_errors(page, server, console_errors):
    for path in ("", "search?q=" + urllib.parse.quote("القدس"), "article/alhadath/16900", "runs",
                 "arshif", "arshif/articles"):
        page.goto(server + path)
    assert console_errors == []
