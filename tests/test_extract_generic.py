"""The generic chains (pages of sites we have no module for) and decoding of broken UTF-8: units on inputs
written here. Whole pages of each failure class are golden fixtures in tests/fixtures/generic/."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

import pytest

from crawler.extract import decode, extract_article, extract_with_trace
from crawler.extract.cleaning import drop_related_boxes
from crawler.extract.dates import url_date
from crawler.extract.names import person_names
from crawler.extract.titles import strip_affixes
from crawler.sites import get_site

BODY = "".join(f"<p>{text}</p>" for text in (
    "قالت وزارة الزراعة إن موسم قطف الزيتون هذا العام سيبدأ في منتصف تشرين الأول، بعد تأخر الأمطار الأولى.",
    "وأضافت الوزارة أن الإنتاج المتوقع أعلى من العام الماضي بنحو الربع، داعية المزارعين إلى التسجيل المبكر.",
    "وتعمل المعاصر في المحافظات الشمالية على تجهيز خطوطها لاستقبال الموسم الجديد خلال الأسابيع المقبلة.",
))


def page(head: str = "", body: str = "") -> bytes:
    return (f"<html lang='ar'><head><meta charset='utf-8'>{head}</head><body><article>"
            f"<h1>موسم الزيتون يبدأ منتصف تشرين الأول</h1>{body}{BODY}</article></body></html>").encode()


@pytest.mark.parametrize("url, expected", [
    ("https://x.example/story/2020/8/24/slug", "2020-08-24"),
    ("https://x.example/news/2020-08-24/slug", "2020-08-24"),
    ("https://x.example/world/202003171044893040-slug/", "2020-03-17"),
    ("https://x.example/n1/2024/0424/c1001-40223222.html", "2024-04-24"),
    ("https://x.example/pais/20220503/juicio", "2022-05-03"),
    ("https://web.archive.org/web/20150602101010/http://x.example/news/2011/3/14/trees", "2011-03-14"),
    ("https://web.archive.org/web/20150602101010/http://x.example/news/trees", ""),
    ("https://x.example/article/12345678901", ""),
    ("https://x.example/2020/13/45/slug", ""),
])
def test_url_dates(url, expected):
    assert url_date(url) == expected


def test_a_page_without_any_date_is_still_an_article():
    record = extract_article(page(), "https://zaytoun.example/news/olive-season")
    assert record is not None and record["published_at"] is None
    assert record["title"] == "موسم الزيتون يبدأ منتصف تشرين الأول" and len(record["paragraphs"]) == 3


def test_a_date_after_the_fetch_is_no_publication_date():
    head = "<meta property='article:published_time' content='2024-06-01T10:00:00+03:00'>"
    url = "https://zaytoun.example/news/2024/5/31/olive-season"
    fetched = datetime(2024, 5, 31, tzinfo=timezone.utc)
    extraction = extract_with_trace(page(head), url, now=fetched)
    assert extraction.record["published_at"].startswith("2024-05-31")  # the URL's, not the future metadata's
    assert extraction.sources["published_at"] == "url"
    later = extract_with_trace(page(head), url, now=datetime(2024, 7, 1, tzinfo=timezone.utc))
    assert later.record["published_at"] == "2024-06-01T10:00:00+03:00"


def test_a_date_before_the_outlet_existed_is_ignored():
    site = dataclasses.replace(get_site("alhadath"), founded=2014)
    head = ("<script type='application/ld+json'>{\"@type\":\"NewsArticle\",\"headline\":\"عنوان\","
            "\"datePublished\":\"1999-02-03T10:00:00+02:00\"}</script>")
    sure = ("<script type='application/ld+json'>{\"@type\":\"NewsArticle\",\"headline\":\"عنوان\","
            "\"datePublished\":\"2016-02-03T10:00:00+02:00\"}</script>")
    url = "https://www.alhadath.ps/article/5/x"
    assert extract_article(page(sure), url, site=site)["published_at"] == "2016-02-03T10:00:00+02:00"
    old = extract_article(page(head), url, site=site)
    assert old is None or old["published_at"] is None
    # Generic pages: before the web's news (1995) a "publication date" is a misreading.
    generic = page(head.replace("1999", "1961"))
    assert extract_article(generic, "https://zaytoun.example/news/x")["published_at"] is None


def test_unknown_sites_read_times_without_offset_as_utc_not_hebron():
    head = "<meta property='article:published_time' content='2024-04-20 10:30'>"
    record = extract_article(page(head), "https://zaytoun.example/news/x")
    assert record["published_at"] == "2024-04-20T10:30:00+00:00"


def test_a_utc_timestamp_keeps_the_offset_the_page_wrote():
    head = "<meta property='article:published_time' content='2022-05-03T21:36:00-03:00'>"
    record = extract_article(page(head), "https://zaytoun.example/news/x")
    assert record["published_at"] == "2022-05-03T21:36:00-03:00"


@pytest.mark.parametrize("title, names, anchors, expected", [
    ("Talks resume - The Valley Courier", ["The Valley Courier"], [], "Talks resume"),
    ("The Valley Courier | Talks resume in the valley", ["The Valley Courier"], [], "Talks resume in the valley"),
    ("Courier - PRESS RELEASES - Press release - Talks resume in the valley", ["Courier"], [],
     "Talks resume in the valley"),
    ("Vanlife in Schweden - Skandinavien im Wohnmobil - Outdoor", ["outdoor"], [],
     "Vanlife in Schweden - Skandinavien im Wohnmobil"),
    ("Section - Talks resume - Courier", [], ["Talks resume"], "Talks resume"),
    ("A title - with a dash inside", [], [], "A title - with a dash inside"),
])
def test_site_name_and_section_affixes(title, names, anchors, expected):
    assert strip_affixes(title, names, anchors) == expected


@pytest.mark.parametrize("raw, expected", [
    (["Anne-Marie Slaughter"], ["Anne-Marie Slaughter"]),
    (["By Anne-Marie Slaughter and Tom Jones"], ["Anne-Marie Slaughter", "Tom Jones"]),
    (["Trending", "newsletter", "Anzeige", "Stand"], []),
    (["Trine Juncher Jørgensen og Tôrtia Reimer-Johansen"], ["Trine Juncher Jørgensen", "Tôrtia Reimer-Johansen"]),
    (["The Valley Courier"], []),
    (["بقلم: رولا سرحان"], ["رولا سرحان"]),
    (["https://example.com/author/x", "editor@example.com"], []),
])
def test_person_names(raw, expected):
    assert person_names(raw, {"the valley courier"}) == expected


def test_jsonld_organization_author_is_not_a_person():
    head = ("<meta property='og:site_name' content='نبض الشمال'><script type='application/ld+json'>"
            "{\"@type\":\"NewsArticle\",\"headline\":\"موسم الزيتون يبدأ منتصف تشرين الأول\","
            "\"author\":[{\"@type\":\"Organization\",\"name\":\"نبض الشمال\"},{\"@type\":\"Person\","
            "\"name\":\"سلمى يوسف\"}]}</script>")
    record = extract_article(page(head), "https://nabd.example/news/x")
    assert record["authors"] == ["سلمى يوسف"]


def test_a_byline_line_gives_the_author():
    record = extract_article(page(body="<p>كتب: أحمد سعيد</p>"), "https://zaytoun.example/news/x")
    assert record["authors"] == ["أحمد سعيد"]


# --- decoding: one bad sequence is not a wrong charset (issue 12, item 12) ---------------------------------

ARTICLE = page("<meta property='article:published_time' content='2024-10-01T09:00:00+03:00'>")


@pytest.mark.parametrize("header", ["utf-8", None])
def test_one_invalid_sequence_in_a_utf8_page_is_replaced(header):
    broken = ARTICLE.replace("المزارعين".encode(), "المزارعين".encode()[:-1] + b"\xff", 1)
    text, codec = decode(broken, header)
    assert codec == "utf-8" and text.count("\ufffd") >= 1 and "موسم الزيتون" in text
    record = extract_article(broken, "https://zaytoun.example/news/x", encoding=header)
    assert record["title"] == "موسم الزيتون يبدأ منتصف تشرين الأول" and record["encoding"] == "utf-8"
    assert "\ufffd" in " ".join(record["paragraphs"])


def test_a_windows_1256_page_declared_utf8_is_still_detected():
    cp1256 = ARTICLE.decode("utf-8").encode("cp1256")
    text, codec = decode(cp1256, "utf-8")
    assert codec == "cp1256" and "موسم الزيتون" in text


def test_a_related_box_between_paragraphs_is_skipped_not_an_end():
    lines = ["الفقرة الأولى من الخبر تنتهي هنا.", "اقرأ أيضاً", "افتتاح معرض للخزف في رام الله",
             "بلدية الخليل تعلن خطة لتنظيم السير", "الفقرة الثانية من الخبر تتابع القصة.",
             "Lesen Sie auch: Die Bahn streikt wieder", "La tercera frase del artículo sigue aquí."]
    assert drop_related_boxes(lines) == ["الفقرة الأولى من الخبر تنتهي هنا.", "الفقرة الثانية من الخبر تتابع القصة.",
                                         "La tercera frase del artículo sigue aquí."]


def test_a_body_line_is_folded_whole_only_where_its_first_word_could_start_a_skipped_line():
    """_clean_body drops the lines that fold to the title, byline, caption or date line; _folds_to answers
    fold(text) in skip without folding lines whose first token's fold starts none of them."""
    from crawler.extract.walk import folds_to as _folds_to
    from crawler.extract.walk import fold

    lines = ["وقال رئيس المؤتمر إن الجلسات ستناقش الموازنات.", "«مؤتمر» البلديات يبدأ أعماله", "— الحدث - رام الله",
             "Hello, world: again", "ΑΣ ΒΣ", "x\u0301 y", "a_b c", "١٢ آذار ٢٠١٩", "(AFP) - Paris", "...", "The end"]
    skips = [set(), {fold("مؤتمر البلديات يبدأ أعماله")}, {fold("الحدث رام الله"), fold("12 اذار 2019")},
             {fold("hello world again"), fold("αΣ βς")}, {fold("x\u0301 y"), fold("a_b c"), fold("AFP Paris")}]
    for skip in skips:
        for line in lines:
            assert _folds_to(line, skip) == (fold(line) in skip), (line, skip)
    assert _folds_to("«مؤتمر» البلديات يبدأ أعماله", skips[1]) and _folds_to("١٢ آذار ٢٠١٩", skips[2])


def test_the_title_line_is_the_first_line_folding_to_the_title_without_folding_every_line():
    """layout._find_title_line folds a line whole only where its first word could start the title (folds_to):
    the same line as comparing every line's fold — a title no line holds ("الحدث - …" with its affix) too."""
    from crawler.extract.layout import _find_title_line
    from crawler.extract.walk import Line, fold

    texts = ["الرئيسية", "الحدث - رفض التقرير الأممي", "«رفض» التقرير الأممي", "رفض التقرير الأممي",
             "وقال رئيس المؤتمر إن الجلسات ستناقش الموازنات.", "", "Hello, world: again", "(AFP) - Paris", "..."]
    lines = [Line(text, 0.0, False, False, False) for text in texts]
    for title in ("رفض التقرير الأممي", "الحدث - رفض التقرير الأممي", "hello world again", "AFP Paris", "...",
                  "لا يوجد", "رفض"):
        plain = next((n for n, line in enumerate(lines) if line.text and fold(line.text) == fold(title)), -1) \
            if fold(title) else -1
        assert _find_title_line(lines, title) == plain, title
    assert _find_title_line(lines, "رفض التقرير الأممي") == 2
