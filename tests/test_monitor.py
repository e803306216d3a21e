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
    assert report.alarm and "10 of 20 article pages (50%) in this run yielded no article (max 30%" in report.reason


def test_fallbacks_saving_every_field_are_ok_and_the_selector_share_is_information():
    # the real site's markup is unknown: a selector that never matches while every field is read costs the
    # user nothing, so it is reported, not alarmed on (issue 10)
    stats = stats_for([extraction(GOOD, FALLBACK)] * 30).get_stats()
    report = assess(stats, Thresholds(), selector_fields=("title", "published_at", "paragraphs"))
    assert report.coverage["title"] == 1.0
    assert report.status == "ok" and report.selector_share == {"title": 0.0, "published_at": 0.0, "paragraphs": 0.0}
    assert "site selectors delivered title 0%" in report.summary() and "(information)" in report.summary()


def _run_stats(byline_share, pages=40, no_article=0):
    with_byline = round(pages * byline_share)
    return stats_for([extraction(GOOD, SELECTED)] * with_byline
                     + [extraction({**GOOD, "byline_raw": ""}, SELECTED)] * (pages - with_byline)
                     + [None] * no_article).get_stats()


def test_a_sudden_drop_from_the_previous_runs_alarms_above_the_minimum():
    thresholds = Thresholds(min_coverage={"title": 0.8, "date": 0.8, "byline": 0.5, "paragraphs": 0.8})
    previous = [_run_stats(0.95), _run_stats(0.97), _run_stats(0.9)]
    today = _run_stats(0.6)
    assert assess(today, thresholds).status == "ok"  # above its minimum: no alarm without a history
    report = assess(today, thresholds, previous=previous)
    assert report.alarm and report.reasons == ("byline coverage fell to 60% from 95% in the previous runs",)
    assert report.baseline["byline"] == 0.95
    # a small dip is no drop; nor is a drop against runs too small to judge
    assert assess(_run_stats(0.85), thresholds, previous=previous).status == "ok"
    assert assess(today, thresholds, previous=[_run_stats(0.95, pages=3)]).status == "ok"


def test_a_drop_in_pages_with_an_article_alarms():
    thresholds = Thresholds(max_no_article_share=0.5)
    report = assess(_run_stats(1.0, pages=30, no_article=20), thresholds, previous=[_run_stats(1.0)] * 3)
    assert report.alarm and "pages with an article fell to 60% from 100%" in report.reason


def test_the_baseline_is_the_median_of_the_last_runs_only():
    thresholds = Thresholds(baseline_runs=3, min_coverage=dict.fromkeys(("title", "date", "byline", "paragraphs"), 0.1))
    newest_first = [_run_stats(0.5), _run_stats(0.5), _run_stats(0.5), _run_stats(1.0), _run_stats(1.0)]
    assert assess(_run_stats(0.45), thresholds, previous=newest_first).status == "ok"  # median of 3 newest: 50%


def test_too_few_pages_are_judged_only_on_unreadable_pages_against_the_history():
    no_bylines = stats_for([extraction({**GOOD, "byline_raw": ""}, FALLBACK)] * 3).get_stats()
    assert assess(no_bylines, Thresholds(min_pages=10)).status == "unjudged"  # coverage needs 10 pages
    assert assess(stats_for([None] * 2).get_stats(), Thresholds(min_pages=10)).status == "unjudged"
    assert assess(stats_for([None] * 3).get_stats(), Thresholds(min_pages=10)).status == "alarm"  # crawler.alarms


def test_thresholds_from_settings_accept_a_share_or_a_per_field_dict():
    settings = Settings({"ARSHIF_QUALITY_MIN_COVERAGE": {"byline": 0.25}, "ARSHIF_QUALITY_MIN_PAGES": 3})
    thresholds = Thresholds.from_settings(settings)
    assert thresholds.min_coverage == {"title": 0.8, "date": 0.8, "byline": 0.25, "paragraphs": 0.8}
    assert thresholds.min_pages == 3
    assert Thresholds.from_settings(Settings({"ARSHIF_QUALITY_MIN_COVERAGE": "0.5"})).min_coverage["title"] == 0.5


def test_extension_sets_status_and_logs_one_alarm_line(caplog):
    stats = stats_for([extraction({**GOOD, "byline_raw": ""}, FALLBACK)] * 12)
    site = SimpleNamespace(selectors={"title": "h1.x", "published_raw": ".date"})
    crawler = SimpleNamespace(settings=Settings(), stats=stats, signals=SimpleNamespace(connect=lambda *a, **k: None))
    monitor = QualityMonitor.from_crawler(crawler)
    with caplog.at_level("INFO", logger="crawler.monitor"):
        monitor.spider_closed(SimpleNamespace(site=site), "finished")
    assert stats.get_value(QUALITY_STATUS) == "alarm"
    assert stats.get_value(QUALITY_REASON) == "byline found on 0% of articles (min 80%)"
    alarms = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(alarms) == 1 and alarms[0].getMessage().startswith("QUALITY ALARM (")
    assert "site selectors delivered title 0%" in alarms[0].getMessage()


def test_extension_reads_the_previous_runs_from_the_archive(tmp_path):
    from crawler.storage import Archive, RunCounts

    archive = Archive(tmp_path / "a.db")
    for share in (0.95, 0.95, 0.95):
        run = archive.start_run("alhadath", command="crawl", args={})
        archive.finish_run(run, finish_reason="finished", status="ok", counts=RunCounts(), stats=_run_stats(share))
    other = archive.start_run("another", command="crawl", args={})  # another site's runs are not the baseline
    archive.finish_run(other, finish_reason="finished", status="ok", counts=RunCounts(), stats=_run_stats(0.1))
    current = archive.start_run("alhadath", command="crawl", args={})
    stats = stats_for([])
    for key, value in _run_stats(0.6).items():
        stats.set_value(key, value)
    settings = Settings({"ARSHIF_QUALITY_MIN_COVERAGE": {"byline": 0.5}})
    context = SimpleNamespace(archive=archive, site=SimpleNamespace(name="alhadath"), run_id=current)
    crawler = SimpleNamespace(settings=settings, stats=stats, signals=SimpleNamespace(connect=lambda *a, **k: None),
                              arshif_context=context)
    monitor = QualityMonitor.from_crawler(crawler)
    monitor.spider_closed(SimpleNamespace(site=SimpleNamespace(selectors={})), "finished")
    assert stats.get_value(QUALITY_REASON) == "byline coverage fell to 60% from 95% in the previous runs"
    archive.close()


def test_a_site_known_by_its_url_alone_is_judged_on_bylines_only_against_its_history():
    from types import SimpleNamespace

    from crawler.monitor import unjudged_minimums
    from crawler.sites import get_site, site_from_url

    relative = unjudged_minimums(SimpleNamespace(site=site_from_url("https://outlet.example/")))
    assert relative == ("byline",) and unjudged_minimums(SimpleNamespace(site=get_site("alhadath"))) == ()
    first = _run_stats(0.56)
    assert assess(first, Thresholds()).alarm  # a site file's run: under the minimum
    assert assess(first, Thresholds(), relative_only=relative).status == "ok"  # the outlet's habit, not breakage
    # still an alarm: bylines falling from the usual share, and titles or bodies under their minimum
    report = assess(_run_stats(0.2), Thresholds(), previous=[first] * 3, relative_only=relative)
    assert report.reasons == ("byline coverage fell to 20% from 55% in the previous runs",)  # 22 of 40
    no_titles = stats_for([extraction({**GOOD, "title": ""}, SELECTED)] * 30).get_stats()
    assert "title found on 0% of articles (min 80%)" in assess(no_titles, Thresholds(), relative_only=relative).reasons


def test_page_tally_in_batches_gives_record_extractions_numbers():
    # The crawl counts through a PageTally (merged every `every` pages and at close): the stats must be the very
    # numbers one record_extraction call a page gives, whatever the batch size and with a tail left to flush.
    from crawler.monitor import PageTally

    pages = [extraction(GOOD, SELECTED), extraction({**GOOD, "byline_raw": ""}, FALLBACK), None, GOOD] * 7
    expected = stats_for(pages).get_stats()
    for every in (1, 3, 5, 100):
        stats = MemoryStatsCollector(SimpleNamespace(settings=Settings()))
        tally = PageTally(stats, every=every)
        for page in pages:
            tally.record(page)
        assert sum(stats.get_stats().values()) <= sum(expected.values())
        tally.flush()
        assert stats.get_stats() == expected, every
    stats = MemoryStatsCollector(SimpleNamespace(settings=Settings()))
    tally = PageTally(stats, every=5)
    for page in pages[:12]:
        tally.record(page)
    assert stats.get_value("arshif/pages/article") == 8  # the first 10 pages are merged, 2 wait for the flush
    tally.flush()
    assert stats.get_value("arshif/pages/article") == 9 and stats.get_value("arshif/pages/no_article") == 3
