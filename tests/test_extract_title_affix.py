"""A <title> with a site-name affix the generic chain cannot tell is one ("الحدث - …" on a host named otherwise,
no og:site_name): the headline is the page's line that the title less the affix names, and the date printed
under it is the publication date — not htmldate's day after (the printed clock past midnight read in UTC) nor
the date a sidebar prints under another article's title (crawler.extract.generic, titles.without_outer_affix)."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from crawler.extract import Extractor
from crawler.extract.titles import without_outer_affix
from crawler.mirror import ARTICLE, MirrorConfig, truth
from tests.test_extract_template_hosts import family

PAGES = 30
SEED = 7


def _table_pages() -> list[tuple[bytes, str, dict]]:
    """The mirror's old table layout under an unknown host, each with its truth row."""
    config = MirrorConfig(articles=PAGES * 2 + 20, seed=SEED, markup="table", weight="real")
    rows = {int(re.search(r"/article/(\d+)", row["url"]).group(1)): row
            for row in truth(config) if row["status"] == ARTICLE}
    return [(body, url, rows[int(re.search(r"/article/(\d+)", url).group(1))])
            for body, url in family("alhadath", PAGES, seed=SEED, markup="table", weight="real")]


@pytest.fixture(scope="module")
def table_records() -> list[tuple[dict, dict, dict]]:
    out = []
    for body, url, row in _table_pages():
        extraction = Extractor().extract_with_trace(body, url)  # a fresh extractor: no template learned
        assert extraction is not None, url
        out.append((extraction.record, extraction.sources, row))
    return out


def test_the_table_pages_carry_the_site_name_in_title_and_no_line_prints_it():
    """The premise: every page's <title> is "الحدث - headline", and the host names no outlet."""
    for body, url, row in _table_pages()[:5]:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:  # the old layout is served in windows-1256 too
            text = body.decode("cp1256")
        assert f"<title>الحدث - {row['title']}</title>" in text
        assert "news.example.invalid" in url and "og:site_name" not in text


def test_title_is_the_headline_without_the_site_name(table_records):
    for record, sources, row in table_records:
        assert record["title"] == row["title"]


def test_published_at_is_the_date_printed_under_the_headline(table_records):
    """An unknown host's pages name no timezone: the printed wall clock is read as UTC (fields.timezone), so
    the instant expected is the truth's wall clock in UTC. Compared as instants (aware datetimes)."""
    for record, sources, row in table_records:
        printed = datetime.fromisoformat(row["published_at"])
        expected = printed.replace(tzinfo=timezone.utc)
        assert datetime.fromisoformat(record["published_at"]) == expected, (row["url"], sources)
        assert sources["published_at"] == "layout"


def test_a_hand_written_page_with_an_affixed_title_and_a_sidebar_date():
    """No mirror markup: a bold headline, its date line, a sidebar that prints another article's title and
    date first in the source; <title> suffixed with an outlet name nothing else on the page gives."""
    body = """<html><head><meta charset="utf-8"><title>وصل الوفد إلى المدينة صباح اليوم | صحيفة النور</title></head>
<body><div><a href="/">الرئيسية</a> | <a href="/x">أخبار</a></div>
<table><tr><td><b>أغلق المعبر أمام المسافرين</b><br><span>2019-03-02 09:15:00 PM</span></td></tr></table>
<table><tr><td><b>وصل الوفد إلى المدينة صباح اليوم</b></td></tr><tr><td>2019-03-12 11:40:00 PM</td></tr>
<tr><td><p>وصل الوفد الرسمي إلى المدينة صباح اليوم في زيارة تستمر ثلاثة أيام يلتقي خلالها بممثلي البلدية
والغرفة التجارية لبحث مشاريع البنية التحتية والمياه في الأحياء الشرقية من المدينة.</p>
<p>وقال رئيس الوفد في تصريح للصحفيين إن الزيارة تهدف إلى متابعة تنفيذ الاتفاقيات الموقعة العام الماضي
وتقييم ما أنجز منها حتى الآن، مشيرا إلى أن التمويل متوفر لمعظم المشاريع المقترحة.</p>
<p>وأضاف أن اللجان الفنية ستعقد اجتماعات مفتوحة مع السكان للاستماع إلى مطالبهم قبل إقرار الخطة النهائية
التي ستعرض على المجلس البلدي في نهاية الشهر المقبل.</p></td></tr></table></body></html>"""
    extraction = Extractor().extract_with_trace(body.encode("utf-8"), "https://www.noor.example.invalid/n/5")
    assert extraction is not None
    assert extraction.record["title"] == "وصل الوفد إلى المدينة صباح اليوم"
    assert datetime.fromisoformat(extraction.record["published_at"]) == datetime(2019, 3, 12, 23, 40,
                                                                                   tzinfo=timezone.utc)


@pytest.mark.parametrize("title, readings", [
    ("الحدث - رفض التقرير السياسية", [("رفض التقرير السياسية", "الحدث")]),
    ("Talks resume after a long pause | Daily Planet", [("Talks resume after a long pause", "Daily Planet")]),
    ("No separator here", []),
    # the longer rest first; a long "affix" (five words) is no site name
    ("A - B c d e f g", [("B c d e f g", "A")]),
    ("one two three four five - six seven eight nine ten eleven", []),
])
def test_without_outer_affix(title, readings):
    assert without_outer_affix(title) == readings


def test_the_affix_is_the_outlets_name_in_the_byline(table_records):
    """The affix removed ("الحدث") names the outlet: "الحدث - أ ف ب" is the outlet and an agency, no town."""
    for record, sources, row in table_records:
        assert (record["agencies"], record["dateline"] or None) == (row["agencies"], row["dateline"] or None), \
            record["byline_raw"]


def test_a_reading_the_page_prints_only_as_a_link_is_no_headline():
    """The title less its affix names only a sidebar link here (with that article's date under it): the link
    is not taken for the headline, nor its date for this page's."""
    body = """<html><head><meta charset="utf-8"><title>صحيفة النور - افتتاح المعرض الدولي للكتاب</title></head>
<body><table><tr><td><a href="/n/9">افتتاح المعرض الدولي للكتاب</a><br>2018-01-05 10:00:00 AM</td></tr></table>
<div><p>افتتح وزير الثقافة صباح اليوم المعرض الدولي للكتاب في دورته الجديدة بمشاركة أكثر من مئتي دار نشر
عربية وأجنبية، ويستمر المعرض عشرة أيام تتخللها ندوات وأمسيات شعرية وحفلات توقيع للكتب الجديدة.</p>
<p>وقال مدير المعرض إن عدد العناوين المعروضة هذا العام تجاوز خمسين ألف عنوان في مختلف مجالات المعرفة، وإن
جناحا خاصا خصص لكتب الأطفال واليافعين بأسعار مخفضة تشجيعا للقراءة بين الأجيال الناشئة في البلاد.</p></div>
</body></html>"""
    extraction = Extractor().extract_with_trace(body.encode("utf-8"), "https://www.noor.example.invalid/n/10")
    assert extraction is not None
    assert extraction.sources["published_at"] != "layout"  # (htmldate may still find the day in the text)
    assert not extraction.record["published_at"].startswith("2018-01-05T10:00")
    assert extraction.record["title"] == "صحيفة النور - افتتاح المعرض الدولي للكتاب"  # <title>, as before
