"""The layout alarm for runs of any size (crawler.alarms): the rule, and real crawls of the mirror judged by it."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from crawler.alarms import (
    KNOWN_MISS,
    NOT_FOUND,
    UNREADABLE,
    PageCounts,
    PastRun,
    binomial_tail,
    declares_not_found,
    judge,
    no_article_kind,
)
from crawler.mirror import MirrorConfig, render
from tests.test_crawl import arshif, ok

HEALTHY = [PastRun(PageCounts(articles=4), ok=True)] * 100  # ~4 days of hourly runs, every page an article


def test_a_small_run_of_unreadable_pages_after_healthy_history_alarms():
    verdict = judge(PageCounts(unreadable=3), HEALTHY)
    assert verdict.alarm and verdict.runs == 1 and verdict.history_pages == 400
    assert "3 of 3 article pages (100%) in this run yielded no article" in verdict.reason()


def test_a_healthy_small_run_never_alarms():
    assert not judge(PageCounts(articles=3), HEALTHY).alarm
    assert not judge(PageCounts(articles=0), HEALTHY).alarm  # nothing new this hour
    assert not judge(PageCounts(articles=4, unreadable=1), HEALTHY).alarm  # one odd page


def test_one_unreadable_page_an_hour_alarms_on_the_second_consecutive_run():
    first = judge(PageCounts(unreadable=1), HEALTHY)
    assert not first.alarm
    quiet = PastRun(PageCounts(), ok=True)  # an hour without new articles neither breaks nor extends the streak
    second = judge(PageCounts(unreadable=1), [quiet, PastRun(PageCounts(unreadable=1), ok=True), *HEALTHY])
    assert second.alarm and second.runs == 2 and second.evidence == PageCounts(unreadable=2)


def test_a_first_run_without_history_alarms_only_on_three_unreadable_pages_or_more():
    assert judge(PageCounts(), []).baseline_rate == pytest.approx(0.05)
    assert not judge(PageCounts(unreadable=2), []).alarm
    assert judge(PageCounts(unreadable=3), []).alarm
    assert not judge(PageCounts(articles=3), []).alarm


def test_alarmed_runs_make_no_baseline():
    broken = [PastRun(PageCounts(articles=1, unreadable=9), ok=False)] * 50
    verdict = judge(PageCounts(unreadable=2), [PastRun(PageCounts(articles=2), ok=True), *broken, *HEALTHY])
    assert verdict.baseline_rate < 0.01 and verdict.alarm


def test_binomial_tail():
    assert binomial_tail(0, 5, 0.5) == 1.0
    assert binomial_tail(6, 5, 0.5) == 0.0
    assert binomial_tail(2, 2, 0.1) == pytest.approx(0.01)
    assert binomial_tail(1, 2, 0.1) == pytest.approx(0.19)


def test_soft404_pages_say_not_found_and_a_broken_layout_does_not():
    soft404 = render(MirrorConfig(articles=830, seed=1), "/article/802").body
    broken = render(MirrorConfig(articles=830, seed=1, markup="broken"), "/article/801").body
    assert declares_not_found(soft404.decode()) and not declares_not_found(broken.decode())
    assert no_article_kind(soft404) == NOT_FOUND
    assert no_article_kind(broken) == UNREADABLE
    assert no_article_kind(broken, known_miss=True) == KNOWN_MISS
    assert declares_not_found("<html><head><title>Page Not Found | Outlet</title></head></html>")
    assert not declares_not_found("<p>الصفحة غير موجودة</p>")  # words in a story are no verdict


# -- real runs against the mirror: 800 ids crawled from the listings (the site's history) ---------------------

def run(tmp_path: Path, *args: str):
    return arshif(*args, "--db", str(tmp_path / "a.db"), cwd=tmp_path)


def run_rows(db: Path) -> list[dict]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute("select id, command, status, alarm_reason from crawl_runs order by id")]


@pytest.fixture(scope="module")
def history(tmp_path_factory, request):
    """An archive holding one full crawl of an 800-id mirror (every article, no misses: listings link none)."""
    from crawler.mirror import MirrorProcess

    folder = tmp_path_factory.mktemp("history")
    mirror = MirrorProcess.start(MirrorConfig(articles=800, seed=1))
    try:
        ok(arshif("crawl", "alhadath", "--base-url", mirror.base_url, "--db", str(folder / "a.db"), cwd=folder))
    finally:
        mirror.stop()
    return folder / "a.db"


@pytest.fixture
def archive(history, tmp_path) -> Path:
    shutil.copy(history, tmp_path / "a.db")
    return tmp_path / "a.db"


def test_an_hourly_run_of_three_article_pages_on_a_broken_layout_alarms(archive, tmp_path, mirror_factory):
    # Ids 801–804 appear: three stories and a soft-404 (802), all on the "broken" markup.
    broken = mirror_factory(articles=804, seed=1, markup="broken")
    result = run(tmp_path, "crawl", "alhadath", "--base-url", broken.base_url)
    assert result.returncode == 5, result.stdout + result.stderr[-2000:]
    last = run_rows(archive)[-1]
    assert last["status"] == "alarm"
    assert last["alarm_reason"].startswith("3 of 3 article pages (100%) in this run yielded no article")


def test_the_same_hourly_run_on_a_healthy_layout_does_not_alarm(archive, tmp_path, mirror_factory):
    healthy = mirror_factory(articles=804, seed=1)
    ok(run(tmp_path, "crawl", "alhadath", "--base-url", healthy.base_url))
    assert run_rows(archive)[-1]["status"] == "ok"


def test_gap_filling_missing_ids_then_retrying_the_misses_does_not_alarm(archive, tmp_path, mirror_factory):
    healthy = mirror_factory(articles=800, seed=1)
    # The crawl stored every article: the ids left are its 39 soft-404 and missing (404) ids.
    gap = ok(run(tmp_path, "backfill", "alhadath", "--ids", "1-800", "--base-url", healthy.base_url, "--no-warc"))
    assert "39 misses" in gap.stdout
    retry = ok(run(tmp_path, "backfill", "alhadath", "--ids", "1-800", "--retry-misses", "--base-url",
                   healthy.base_url, "--no-warc"))
    assert "39 misses" in retry.stdout
    assert [r["status"] for r in run_rows(archive)] == ["ok", "ok", "ok"]


def test_a_first_ever_run_judges_small_runs_against_a_cautious_prior(tmp_path, mirror_factory):
    broken = mirror_factory(articles=804, seed=1, markup="broken")
    result = run(tmp_path, "backfill", "alhadath", "--ids", "801-804", "--base-url", broken.base_url, "--no-warc")
    assert result.returncode == 5, result.stdout + result.stderr[-2000:]
    assert run_rows(tmp_path / "a.db")[-1]["status"] == "alarm"
    healthy = mirror_factory(articles=804, seed=1)
    ok(arshif("backfill", "alhadath", "--ids", "801-804", "--base-url", healthy.base_url, "--no-warc",
              "--db", str(tmp_path / "b.db"), cwd=tmp_path))
