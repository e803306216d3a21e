"""The mirror as a library: its content, truth, pages, links and faults (in-process, no server)."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime
from urllib.parse import unquote

import lxml.html
import pytest
from hijridate import Gregorian

from crawler.mirror import model as M
from crawler.mirror import pages as P
from crawler.mirror import (ARTICLE, MISSING, SOFT404, SOFT404_TEXT, TRUTH_KEYS, MirrorConfig, article,
                            fault_for, render, slugify, truth, truth_record)
from crawler.text import clean_text

SMALL = MirrorConfig(articles=300, seed=1)
MEDIUM = MirrorConfig(articles=3000, seed=1)
# A range across the end of summer time 2016 (2016-10-29 in Hebron).
SUMMER = MirrorConfig(articles=3000, seed=3, start_id=46500)
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} [AP]M")
# The site notes' agency table, typed in again here: the mirror must agree with the notes, not itself.
AGENCY_TABLE = {
    "ا ف ب": "AFP", "أ ف ب": "AFP", "أ.ف.ب": "AFP", "فرانس برس": "AFP", "الفرنسية": "AFP", "رويترز": "Reuters",
    "أ ب": "AP", "اسوشيتد برس": "AP", "أسوشيتد برس": "AP", "الأناضول": "Anadolu", "وفا": "WAFA", "معا": "Maan",
    "معاً": "Maan", "صفا": "Safa", "د ب أ": "dpa", "شينخوا": "Xinhua", "سانا": "SANA", "واس": "SPA", "وام": "WAM",
    "قنا": "QNA", "بترا": "Petra", "أ ش أ": "MENA", "وكالات": "agencies",
}


@pytest.fixture(scope="module")
def medium_truth() -> list[dict]:
    return list(truth(MEDIUM))


def decode(page: P.Page) -> str:
    charset = re.search(rb'charset="?([\w-]+)', page.body[:600]).group(1).decode()
    return page.body.decode({"windows-1256": "cp1256"}.get(charset, charset))


def read_default_page(page: P.Page) -> dict:
    """What the default markup shows, read with the mirror's own (test-only) selectors."""
    doc = lxml.html.fromstring(decode(page))
    one = lambda xpath: clean_text(" ".join(doc.xpath(xpath)))  # noqa: E731
    raw_time = one('//div[@class="post-date"]/text()')
    published = datetime.strptime(raw_time, "%Y-%m-%d %I:%M:%S %p").replace(tzinfo=M.TIMEZONE)
    paragraphs = [clean_text(p.text_content()) for p in doc.xpath('//div[@class="post-body"]/p')]
    caption = one("//figcaption//text()")
    byline = one('//div[@class="post-author"]//text()') or caption
    return dict(title=one("//h1//text()"), published_at=published.isoformat(), byline_raw=byline,
                caption=caption, paragraphs=[p for p in paragraphs if p],
                category=one('//div[@class="breadcrumb"]/a[2]//text()'))


# --- config ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fields, message", [
    (dict(articles=0), "--articles"), (dict(markup="fancy"), "markup"), (dict(faults="boom=0.1"), "bad fault"),
    (dict(faults="429=x"), "rate"), (dict(faults="drop=0.7,slow=0.6"), "more than 1"), (dict(day=-1), "--day"),
    (dict(weight="heavy"), "page weight"),
])
def test_bad_config_is_a_usage_error(fields, message):
    from crawler.errors import UsageError

    with pytest.raises(UsageError, match=message):
        MirrorConfig(**fields)


# --- determinism -----------------------------------------------------------------------------------------

def clear_caches() -> None:
    for cached in (M.kind, M._head, M._article, M._indexes, P._most_read_ids, P._most_read_items):
        cached.cache_clear()


def test_same_seed_same_bytes_other_seed_other_bytes():
    paths = ["/", "/category/3/x", "/category/9/x/page/2", "/tag/5/x", "/article/17", "/robots.txt"]
    paths += [f"/article/{i}/x" for i in range(1, 300, 7)]
    first = [render(SMALL, p, base_url="http://h:1") for p in paths]
    clear_caches()
    assert [render(SMALL, p, base_url="http://h:1") for p in paths] == first
    other = [render(MirrorConfig(articles=300, seed=2), p, base_url="http://h:1") for p in paths]
    assert sum(a.body != b.body for a, b in zip(first, other)) > len(paths) - 3  # robots.txt is the same


# --- truth -----------------------------------------------------------------------------------------------

def test_truth_has_exactly_the_issue_keys_and_one_row_per_id(medium_truth):
    assert [r["id"] for r in medium_truth] == list(range(1, 3001))
    assert all(tuple(r) == TRUTH_KEYS for r in medium_truth)
    assert all(r["url"] == f"https://www.alhadath.ps/article/{r['id']}" for r in medium_truth)


def test_statuses_at_their_rates(medium_truth):
    counts = Counter(r["status"] for r in medium_truth)
    assert 0.01 < counts[SOFT404] / 3000 < 0.035
    assert 0.015 < counts[MISSING] / 3000 < 0.05
    assert all(not r["paragraphs"] and r["title"] is None for r in medium_truth if r["status"] != ARTICLE)


def test_dates_follow_the_site_notes_id_growth_in_hebron_time():
    def published(article_id: int) -> datetime:
        config = MirrorConfig(articles=40, start_id=article_id - 20)
        near = [article(config, i) for i in range(article_id - 20, article_id + 20)]
        return next(a.published for a in near if a.status == ARTICLE)

    for article_id, day in [(16768, date(2015, 5, 13)), (44776, date(2016, 9, 15)), (149675, date(2021, 12, 15))]:
        assert abs((published(article_id).date() - day).days) <= 2
    rows = list(truth(SUMMER))
    offsets = Counter(r["published_at"][-6:] for r in rows if r["published_at"])
    assert set(offsets) == {"+02:00", "+03:00"}  # the range crosses the end of summer time 2016
    for row in rows[::37]:
        if row["status"] == ARTICLE:
            moment = datetime.fromisoformat(row["published_at"])
            local = moment.replace(tzinfo=None).replace(tzinfo=M.TIMEZONE)  # as an extractor reads the page
            assert local.utcoffset() == moment.utcoffset()
            d = moment.date()
            assert row["published_hijri"] == Gregorian(d.year, d.month, d.day).to_hijri().isoformat()


def test_articles_have_3_to_15_paragraphs_and_6_sections(medium_truth):
    articles = [r for r in medium_truth if r["status"] == ARTICLE]
    assert {len(r["paragraphs"]) for r in articles} == set(range(3, 16))
    assert {r["category"] for r in articles} == {c.name for c in M.CATEGORIES}


def test_bylines_cover_every_form_with_the_conventions_truth(medium_truth):
    articles = [r for r in medium_truth if r["status"] == ARTICLE]
    seen = Counter()
    for r in articles:
        raw, authors, agencies, dateline = r["byline_raw"], r["authors"], r["agencies"], r["dateline"]
        assert raw == clean_text(raw) and raw
        assert "الحدث" not in authors and "الحدث" not in dateline  # the outlet is the source, never a person
        assert all(name in raw for name in authors) and dateline in raw
        assert set(agencies) <= set(AGENCY_TABLE.values())
        if raw.startswith("الحدث") and agencies:
            spelling = re.split(r"\s*[-–:]\s*", raw, maxsplit=1)[1]
            assert agencies == [AGENCY_TABLE[spelling]], raw
            seen["agencies" if agencies == ["agencies"] else "agency"] += 1
        elif raw.startswith("الحدث") and authors:
            assert re.fullmatch(rf"الحدث(?: - |-| – ){dateline}(?: – |: | - ){authors[0]} -", raw), raw
            seen["city+writer"] += 1
        elif raw.startswith("الحدث"):
            assert re.fullmatch(rf"الحدث(?: - |-| – ){dateline}", raw) and dateline, raw
            seen["city"] += 1
        elif r["caption"] == raw:
            assert authors == [raw]
            assert r["title"].endswith((f" - {raw}", f"/ بقلم: {raw}"))  # the author in the title
            seen["opinion " + ("بقلم" if "بقلم" in r["title"] else "dash")] += 1
        elif authors == [raw]:
            seen["writer alone"] += 1
        else:
            assert dateline and agencies, raw  # other outlets' forms: رام الله 11-4-2025 وفا- ...
            seen["outlet"] += 1
    assert set(seen) == {"agency", "agencies", "city+writer", "city", "opinion بقلم", "opinion dash",
                         "writer alone", "outlet"}
    assert "رولا سرحان" in {a for r in articles for a in r["authors"]}
    assert {raw for raw, code in AGENCY_TABLE.items()} <= {
        re.split(r"\s*[-–:]\s*", r["byline_raw"], maxsplit=1)[1] for r in articles
        if r["byline_raw"].startswith("الحدث") and r["agencies"]}


def shingles(paragraphs: list[str], n: int = 3) -> set[tuple[str, ...]]:
    words = " ".join(paragraphs).split()
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def test_exact_and_near_duplicates(medium_truth):
    by_id = {r["id"]: r for r in medium_truth}
    exact = [r for r in medium_truth if r["exact_duplicate_of"]]
    near = [r for r in medium_truth if r["near_duplicate_of"]]
    assert len(exact) >= 10 and len(near) >= 10
    for r in exact:
        source = by_id[r["exact_duplicate_of"]]
        assert source["id"] < r["id"] and source["status"] == ARTICLE and source["agencies"]
        assert r["paragraphs"] == source["paragraphs"] and r["title"] == source["title"]
        assert datetime.fromisoformat(r["published_at"]) > datetime.fromisoformat(source["published_at"])
    for r in near:
        source = by_id[r["near_duplicate_of"]]
        assert source["id"] < r["id"] and len(source["paragraphs"]) >= 8
        assert r["paragraphs"][0] != source["paragraphs"][0] and r["paragraphs"][1:] == source["paragraphs"][1:]
        a, b = shingles(r["paragraphs"]), shingles(source["paragraphs"])
        assert len(a & b) / len(a | b) >= 0.9
    sources = {r["exact_duplicate_of"] for r in exact} | {r["near_duplicate_of"] for r in near}
    assert not any(by_id[i]["exact_duplicate_of"] or by_id[i]["near_duplicate_of"] for i in sources)
    # Unrelated stories are far apart, so a dedupe threshold between has room.
    plain = [r for r in medium_truth if r["status"] == ARTICLE][:60]
    for a, b in zip(plain, plain[1:]):
        sa, sb = shingles(a["paragraphs"]), shingles(b["paragraphs"])
        assert len(sa & sb) / len(sa | sb) < 0.2


def test_updated_articles_change_title_or_one_paragraph_from_their_day(medium_truth):
    updated = [r for r in medium_truth if r["updated_on_day"]]
    assert 20 < len(updated) < 120
    kinds = Counter()
    for r in updated:
        day = r["updated_on_day"]
        before = truth_record(MirrorConfig(articles=3000, day=day - 1), r["id"])
        after = truth_record(MirrorConfig(articles=3000, day=day), r["id"])
        assert before == r if day > 0 else True
        assert after["updated_on_day"] == day
        changed = [i for i, (x, y) in enumerate(zip(before["paragraphs"], after["paragraphs"])) if x != y]
        if before["title"] != after["title"]:
            assert not changed
            kinds["title"] += 1
        else:
            assert len(changed) == 1
            kinds["paragraph"] += 1
    assert set(kinds) == {"title", "paragraph"}


# --- pages -----------------------------------------------------------------------------------------------

def test_every_default_page_agrees_with_the_truth():
    checked = Counter()
    for record in truth(SMALL):
        page = render(SMALL, f"/article/{record['id']}/slug")
        if record["status"] == MISSING:
            assert page.status == 404
        elif record["status"] == SOFT404:
            assert page.status == 200 and SOFT404_TEXT in decode(page) and "post-body" not in decode(page)
        else:
            assert page.status == 200
            shown = read_default_page(page)
            assert shown == {k: record[k] for k in shown}, record["id"]
            encoding = article(SMALL, record["id"]).encoding
            checked[encoding] += 1
            if encoding == "cp1256":
                assert page.headers["Content-Type"] == "text/html"  # charset only in <meta>
                assert b"windows-1256" in page.body[:300]
                assert "&#" not in decode(page)  # every character fit the codepage
            else:
                assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert checked["cp1256"] >= 5 and checked["utf-8"] > 250


def served_articles(config: MirrorConfig, step: int = 1) -> list[M.Article]:
    """Every ``step``-th id of the config whose status is ``article``."""
    ids = range(config.start_id, config.end_id, step)
    return [a for a in (article(config, i) for i in ids) if a.status == ARTICLE]


def page_text(page: P.Page) -> str:
    """The visible text of the page's <body>, as a text-layout extractor reads it."""
    return clean_text(" ".join(lxml.html.fromstring(decode(page)).body.itertext()))


def test_page_text_follows_the_real_site_order_with_its_noise():
    orders = Counter()
    for a in served_articles(SMALL):
        html = decode(render(SMALL, f"/article/{a.id}/x"))
        text = page_text(render(SMALL, f"/article/{a.id}/x"))
        visit = M.format_visit_date(M.visit_date(SMALL))
        stamp = M.format_timestamp(a.published)
        marks = [clean_text(visit), "اشترك في خدمة الواتساب", clean_text(a.title), stamp]
        if a.byline_line:
            marks.append(a.byline.raw)
        marks.append(a.paragraphs[0])
        at = 0
        for mark in marks:  # each after the one before
            at = text.find(mark, at)
            assert at >= 0, (a.id, mark)
        assert 'alt="LOGO"' in html and "اقرأ أيضا" in text and "الأكثر قراءة" in text
        assert "/tag/" in html and "facebook.com/sharer" in html and "<footer" in html
        assert a.category.name in text
        assert "<time" not in html and "application/ld+json" not in html and "published_time" not in html
        sidebar_dates = set(TIMESTAMP.findall(text)) - {stamp}
        assert len(sidebar_dates) >= 4  # other articles' timestamps: traps for a date extractor
        orders["sidebar first" if html.index("most-read") < html.index("post-title") else "article first"] += 1
        if a.image:  # the title again, as the lead image's alt and title
            image = lxml.html.fromstring(html).xpath(f'//img[@src="{a.image}"]')[0]
            assert image.get("alt") == image.get("title") == a.title
    assert orders["sidebar first"] > 30 and orders["article first"] > 100


def test_table_markup_has_no_structure_but_the_same_text_layout():
    config = MirrorConfig(articles=300, markup="table")
    for a in served_articles(config, 3):
        html = decode(render(config, f"/article/{a.id}/x"))
        assert "<h1" not in html and "<p>" not in html and "<div" not in html.split("<body", 1)[1]
        title = lxml.html.fromstring(html).xpath("//td/font/b")[0]
        assert clean_text(title.text_content()) == a.title
        body = re.search(r'<font size="3">(.*?)</font>', html, re.S).group(1)
        paragraphs = [clean_text(lxml.html.fromstring(f"<div>{chunk}</div>").text_content())
                      for chunk in body.split("<br><br>")]
        assert [p for p in paragraphs if p] == list(a.paragraphs)
        text = page_text(render(config, f"/article/{a.id}/x"))
        stamp = M.format_timestamp(a.published)
        assert text.find(clean_text(a.title)) < text.find(stamp) < text.find(a.paragraphs[0])


def test_broken_markup_hides_everything_from_extraction():
    config = MirrorConfig(articles=300, markup="broken")
    for a in served_articles(config, 5):
        html = decode(render(config, f"/article/{a.id}/x"))
        assert not TIMESTAMP.search(html) and a.title not in html and a.paragraphs[0] not in html
        assert "window.__STATE__" in html


# --- page weight -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("markup", ["default", "table", "broken"])
def test_real_weight_pages_weigh_82_to_148_kb_and_are_deterministic(markup):
    config = MirrorConfig(articles=300, seed=4, start_id=120000, markup=markup, weight="real")
    ids = [a.id for a in served_articles(config, 40)]
    sizes = [len(render(config, f"/article/{i}/x").body) for i in ids]
    assert all(82_000 <= size <= 148_000 for size in sizes), sizes
    assert max(sizes) - min(sizes) > 20_000  # each page its own weight
    clear_caches()
    assert [len(render(config, f"/article/{i}/x").body) for i in ids] == sizes
    light = MirrorConfig(articles=300, seed=4, start_id=120000, markup=markup)
    assert all(len(render(light, f"/article/{i}/x").body) < 20_000 for i in ids)


def test_real_weight_chrome_repeats_the_story_and_carries_other_dates():
    """The chrome a real page carries is text-like: the story's own title and body in a JSON state script,
    other stories' titles, leads and timestamps in boxes inside <main>, a footer with a timestamp."""
    config = MirrorConfig(articles=300, seed=4, start_id=120000, weight="real")
    for a in served_articles(config, 5)[20:25]:  # with earlier stories to relate to
        html = decode(render(config, f"/article/{a.id}/x"))
        assert html.count(a.title) >= 3  # <title>, og:title, <h1>, the state script
        assert "window.__INITIAL_STATE__" in html and a.paragraphs[0] in html.split("__INITIAL_STATE__")[1]
        assert len(TIMESTAMP.findall(html)) >= 20  # latest box, related cards, footer; the page's own once
        main = html[html.index("<main"):html.index("</main>")]
        assert len(TIMESTAMP.findall(main)) >= 6 and "<style>" in html and html.count("<a ") > 150
        assert TIMESTAMP.search(html[html.index("<footer"):])
    home = render(config, "/").body
    assert len(home) > 60_000 and len(render(MirrorConfig(articles=300, seed=4, start_id=120000), "/").body) < 40_000


def test_real_weight_broken_markup_still_hides_the_story():
    config = MirrorConfig(articles=300, markup="broken", weight="real")
    for a in served_articles(config, 5):
        html = decode(render(config, f"/article/{a.id}/x"))
        assert not TIMESTAMP.search(html) and a.title not in html and a.paragraphs[0] not in html


def listing_hrefs(config: MirrorConfig, path: str) -> list[str]:
    doc = lxml.html.fromstring(decode(render(config, path, base_url="http://127.0.0.1:9")))
    return [h for h in doc.xpath('//div[@class="news-item"]/h3/a/@href')]


def article_id_of(href: str) -> int:
    return int(re.match(r"(?:http://127\.0\.0\.1:9)?/article/(\d+)", href).group(1))


def test_listings_are_20_a_page_newest_first_and_cover_each_section():
    rows = [r for r in truth(MEDIUM) if r["status"] == ARTICLE]
    for category in M.CATEGORIES:
        expected = sorted((r["id"] for r in rows if r["category"] == category.name), reverse=True)
        listed, page = [], 1
        while (status := render(MEDIUM, P.category_href(category, page)).status) == 200:
            ids = [article_id_of(h) for h in listing_hrefs(MEDIUM, P.category_href(category, page))]
            assert len(ids) == 20 or len(listed) + len(ids) == len(expected)
            listed += ids
            page += 1
        assert status == 404 and listed == expected
    forty = M.CATEGORY_BY_ID[40]
    assert render(MEDIUM, "/category/40/كتبت-رئيسة-التحرير").body == render(MEDIUM, "/category/40/رئيسة-التحرير").body
    assert render(MEDIUM, "/category/9/whatever/page/2").body == render(MEDIUM, "/category/9/مقالات-الحدث/page/2").body
    assert len(forty.slugs) == 2


def test_home_has_the_section_menu_and_the_latest_items():
    doc = lxml.html.fromstring(decode(render(MEDIUM, "/")))
    menu = {unquote(h) for h in doc.xpath("//nav//a/@href")}
    assert {P.category_href(c) for c in M.CATEGORIES} <= menu
    ids = [article_id_of(h) for h in listing_hrefs(MEDIUM, "/")]
    assert len(ids) == 20 and ids == sorted(ids, reverse=True) and ids[0] == max(M.article_ids(MEDIUM))
    item = doc.xpath('//div[@class="news-item"]')[0]
    first = article(MEDIUM, ids[0])
    assert clean_text(item.xpath("./a")[0].text_content()) == first.title
    assert clean_text(item.xpath("./p")[0].text_content()) == first.paragraphs[0]


def test_tag_pages_list_the_articles_carrying_the_tag():
    tagged = [a for a in served_articles(SMALL) if 5 in a.tags]
    ids = [article_id_of(h) for h in listing_hrefs(SMALL, "/tag/5/" + M.TAGS[4][1].replace(" ", "_"))]
    assert ids == sorted((a.id for a in tagged), reverse=True)[:20]
    html = decode(render(SMALL, f"/article/{tagged[0].id}/x"))
    assert f'href="/tag/5/{M.TAGS[4][1].replace(" ", "_")}"' in html


def test_all_link_forms_appear_and_name_the_right_article():
    forms = Counter()
    paths = ["/"] + [P.category_href(c, n) for c in M.CATEGORIES for n in (1, 2)]
    for path in paths:
        for href in listing_hrefs(MEDIUM, path):
            article_id = article_id_of(href)
            slug = slugify(article(MEDIUM, article_id).title)
            tail = href.split(f"/article/{article_id}", 1)[1].lstrip("/")
            if href.startswith("http://127.0.0.1:9/"):
                forms["absolute"] += 1
            elif not tail:
                forms["noslug"] += 1
            elif "%25" in tail:
                forms["double"] += 1
                assert unquote(unquote(tail)) == slug
            elif re.search("%[0-9a-f]?[a-f]", tail):
                forms["lower"] += 1
            elif "%" in tail:
                forms["upper"] += 1
            else:
                forms["raw"] += 1
            if tail:
                assert unquote(unquote(tail)) == slug
    assert set(forms) == set(P.LINK_FORMS), forms


def test_slugs_follow_the_site_rules_and_bare_ids_redirect():
    assert slugify('قال: "لا" - الحدث/ بقلم: رولا') == "قال-لا---الحدث-بقلم-رولا"
    assert slugify("«عنوانٌ» جديد") == "عنوانٌ-جديد"
    for a in (article(SMALL, i) for i in range(1, 60)):
        page = render(SMALL, f"/article/{a.id}", base_url="http://127.0.0.1:9")
        if a.status == ARTICLE:
            assert page.status == 301
            assert unquote(page.headers["Location"]) == f"http://127.0.0.1:9/article/{a.id}/{a.slug}"
        else:
            assert page.status == (404 if a.status == MISSING else 200)
    assert render(SMALL, "/article/999999/x").status == 404


def test_robots_sitemap_search_and_unknown_paths():
    robots = render(SMALL, "/robots.txt")
    assert robots.status == 200 and b"Disallow: /search/" in robots.body
    assert render(SMALL, "/sitemap.xml").status == 404  # the real one is unknown: crawlers must list
    assert render(SMALL, "/search/غزة/page/1").status == 200
    assert render(SMALL, "/nowhere").status == 404
    assert render(SMALL, "/category/77/x").status == 404 and render(SMALL, "/category/3/x/page/99").status == 404


def test_header_shows_the_visit_day_in_levantine_months():
    assert M.format_visit_date(date(2024, 4, 29)) == "الإثنين  29 نيسان 2024"
    later = MirrorConfig(articles=300, day=3)
    assert M.visit_date(later) == date(2024, 5, 2)
    assert "الخميس  2 أيار 2024" in decode(render(later, "/"))
    assert M.format_timestamp(datetime(2016, 2, 19, 23, 15, 8)) == "2016-02-19 11:15:08 PM"
    assert M.format_timestamp(datetime(2016, 2, 19, 0, 5, 8)) == "2016-02-19 12:05:08 AM"


# --- faults ----------------------------------------------------------------------------------------------

def test_each_fault_kind_happens_at_about_its_rate():
    config = MirrorConfig(articles=300, faults="status5xx=0.05,429=0.02,slow=0.02,drop=0.01,truncate=0.01")
    n = 40_000
    seen = Counter(fault_for(config, f"/article/{i % 4000}/x", 1 + i // 4000) for i in range(n))
    expected = {"500": 0.025, "503": 0.025, "429": 0.02, "slow": 0.02, "drop": 0.01, "truncate": 0.01}
    for kind, rate in expected.items():
        assert abs(seen[kind] / n - rate) < rate * 0.2, (kind, seen[kind])
    assert seen[None] / n == pytest.approx(0.89, abs=0.01)
    assert fault_for(config, "/robots.txt", 1) is None
    always = MirrorConfig(articles=300, faults="429=1")
    assert render(always, "/robots.txt").status == 200
    page = render(always, "/")
    assert page.status == 429 and page.headers["Retry-After"] == "1"
    # A URL can fail first and succeed on retry.
    retried = [p for p in (f"/article/{i}/x" for i in range(1, 301))
               if fault_for(config, p, 1) and fault_for(config, p, 2) is None]
    assert retried
