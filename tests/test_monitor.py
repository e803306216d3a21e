"""The quality monitor's judgement, from the per-page counts the spider records."""

from __future__ import annotations

from types import SimpleNamespace

from scrapy.settings import Settings
from scrapy.statscollectors import MemoryStatsCollector

from crawler.monitor import (
    QUALITY_REASON,
    QUALITY_STATUS,
    QualityMonitor,
    Thresholds,
    assess,
    record_extraction,
)

GOOD = {"title": "عنوان", "published_at": "2016-02-19T23:15:08+02:00", "byline_raw": "الحدث - ا ف ب",
        "paragraphs": ["فقرة"], "authors": []}
SELECTED = {"title": "selector", "published_raw": "selector", "byline_raw": "selector", "paragraphs": "selector"}
FALLBACK = {"title": "layout", "published_raw": "time", "byline_raw": "layout", "paragraphs": "trafilatura"}


def stats_for(pages):
    crawler = SimpleNamespace(settings=Settings())
    stats = MemoryStatsCollector(crawler)
    for page in pages:
        record_extraction(stats, page)
    return stats


def extraction(record, sources):
    return SimpleNamespace(record=record, sources=sources)


def test_record_extraction_counts_pages_fields_and_stages():
    stats = stats_for([extraction(GOOD, SELECTED), extraction({**GOOD, "byline_raw": ""}, FALLBACK), None, GOOD])
    values = stats.get_stats()
    assert values["arshif/pages/article"] == 3
    assert values["arshif/pages/no_article"] == 1
    assert values["arshif/field/title/found"] == 3
    assert values["arshif/field/byline_raw/found"] == 2
    assert "arshif/field/authors/found" not in values  # an empty list is not a found field
    assert values["arshif/field/published_at/selector"] == 1  # the date's source is named by its raw key
    assert values["arshif/field/paragraphs/trafilatura"] == 1


def test_healthy_run_is_ok():
    report = assess(stats_for([extraction(GOOD, SELECTED)] * 30).get_stats(), Thresholds(), ("title", "paragraphs"))
    assert report.status == "ok" and not report.reasons
    assert report.coverage == {"title": 1.0, "date": 1.0, "byline": 1.0, "paragraphs": 1.0}


def test_missing_bylines_trip_coverage():
    pages = [extraction(GOOD, SELECTED)] * 10 + [extraction({**GOOD, "byline_raw": ""}, SELECTED)] * 20
    report = assess(stats_for(pages).get_stats(), Thresholds())
    assert report.alarm
    assert report.reasons == ("byline found on 33% of articles (min 80%)",)


def test_pages_without_articles_trip_the_no_article_share():
    report = assess(stats_for([extraction(GOOD, SELECTED)] * 10 + [None] * 10).get_stats(), Thresholds())
    assert report.alarm and "50% of article pages yielded no article" in report.reason


def test_fallbacks_saving_every_field_still_trip_the_selector_share():
    stats = stats_for([extraction(GOOD, FALLBACK)] * 30).get_stats()
    report = assess(stats, Thresholds(), selector_fields=("title", "published_at", "paragraphs"))
    assert report.coverage["title"] == 1.0
    assert report.alarm and "site selectors matched only" in report.reason
    assert assess(stats, Thresholds()).status == "ok"  # a site without selectors has no such signal


def test_too_few_pages_are_not_judged():
    report = assess(stats_for([None] * 3).get_stats(), Thresholds(min_pages=10))
    assert report.status == "unjudged"


def test_thresholds_from_settings_accept_a_share_or_a_per_field_dict():
    settings = Settings({"ARSHIF_QUALITY_MIN_COVERAGE": {"byline": 0.25}, "ARSHIF_QUALITY_MIN_PAGES": 3})
    thresholds = Thresholds.from_settings(settings)
    assert thresholds.min_coverage == {"title": 0.8, "date": 0.8, "byline": 0.25, "paragraphs": 0.8}
    assert thresholds.min_pages == 3
    assert Thresholds.from_settings(Settings({"ARSHIF_QUALITY_MIN_COVERAGE": "0.5"})).min_coverage["title"] == 0.5


def test_extension_sets_status_and_logs_one_alarm_line(caplog):
    stats = stats_for([extraction(GOOD, FALLBACK)] * 12)
    site = SimpleNamespace(selectors={"title": "h1.x", "published_raw": ".date"})
    crawler = SimpleNamespace(settings=Settings(), stats=stats, signals=SimpleNamespace(connect=lambda *a, **k: None))
    monitor = QualityMonitor.from_crawler(crawler)
    with caplog.at_level("INFO", logger="crawler.monitor"):
        monitor.spider_closed(SimpleNamespace(site=site), "finished")
    assert stats.get_value(QUALITY_STATUS) == "alarm"
    assert "title 0%" in stats.get_value(QUALITY_REASON) and "published_at 0%" in stats.get_value(QUALITY_REASON)
    alarms = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(alarms) == 1 and alarms[0].getMessage().startswith("QUALITY ALARM (")
