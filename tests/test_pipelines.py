"""pipelines/: clean → validate → date window → dedupe → store, on synthetic records (no Scrapy engine)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from types import SimpleNamespace

import pytest

from crawler.dates import DateWindow
from crawler.sites import get_site
from crawler.storage import Archive
from pipelines.clean import CleanPipeline
from pipelines.context import ALIASES, FAILURES, MISSES, NEAR_DUPLICATES, STORED, UNCHANGED, UPDATED, RunContext
from pipelines.dedupe import DedupePipeline
from pipelines.items import ArticleItem, FetchInfo
from pipelines.store import StorePipeline
from pipelines.validate import (
    DateWindowPipeline,
    MissingBody,
    MissingDate,
    MissingTitle,
    OutsideDateWindow,
    ValidatePipeline,
)
from tests.test_storage import record

LONG = " ".join(f"كلمة{i}" for i in range(120))


class Stats(Counter):
    def inc_value(self, key, count=1, start=0):
        self[key] += count

    def get_value(self, key, default=None):
        return self.get(key, default)


@pytest.fixture
def crawler(tmp_path):
    from scrapy.signalmanager import SignalManager

    crawler = SimpleNamespace(stats=Stats(), settings={}, signals=SignalManager(), spider=None)
    archive = Archive(tmp_path / "a.db")
    run_id = archive.start_run("alhadath", command="crawl", args={})
    crawler.arshif_context = RunContext(archive=archive, site=get_site("alhadath"), run_id=run_id, command="crawl")
    yield crawler
    archive.close()


def chain(crawler):
    pipelines = [cls.from_crawler(crawler) for cls in (CleanPipeline, ValidatePipeline, DateWindowPipeline,
                                                       DedupePipeline, StorePipeline)]

    def process(rec: dict):
        item = ArticleItem(rec, fetch=FetchInfo(url=rec["url"], fetched_at="2026-01-01T00:00:00+00:00"))
        for pipeline in pipelines:
            item = pipeline.process_item(item)
        return item

    return process


def test_item_keeps_record_keys_only_and_carries_fetch_metadata():
    item = ArticleItem(record(1), fetch=FetchInfo(url="http://127.0.0.1:1/article/1", status=200))
    assert set(item) == set(record(1)) and item.fetch.status == 200


def test_clean_normalizes_text_and_fills_missing_keys(crawler):
    raw = {"site": "alhadath", "article_id": 1, "title": "  عنوان\u200f  الخبر ", "paragraphs": ["أ  ب", " ", ""],
           "authors": [" رولا سرحان "], "images": [{"url": "x", "caption": None}], "extra": 1}
    item = CleanPipeline().process_item(ArticleItem(raw))
    assert item["title"] == "عنوان الخبر" and item["paragraphs"] == ["أ ب"] and item["authors"] == ["رولا سرحان"]
    assert item["images"] == [{"url": "x", "caption": ""}] and item["tags"] == [] and item["language"] == "ar"
    assert "extra" not in item and item["published_at"] is None


@pytest.mark.parametrize(
    ("change", "drop"),
    [({"title": ""}, MissingTitle), ({"published_at": None}, MissingDate), ({"paragraphs": []}, MissingBody)],
)
def test_validate_drops_with_a_named_reason_and_a_failure_row(crawler, change, drop):
    with pytest.raises(drop):
        chain(crawler)({**record(5), **change})
    [failure] = crawler.arshif_context.archive.open_failures()
    assert failure["article_id"] == 5 and failure["reason"] == drop.reason
    assert crawler.stats[FAILURES] == 1


def test_date_window(crawler):
    crawler.arshif_context.window = DateWindow(since=datetime.fromisoformat("2017-01-01T00:00:00+02:00"))
    with pytest.raises(OutsideDateWindow):
        chain(crawler)(record(5))
    assert crawler.arshif_context.archive.open_failures() == []  # not a failure


def test_new_then_unchanged_then_updated(crawler):
    process = chain(crawler)
    process(record(1))
    process(record(1))
    process(record(1, title="عنوان جديد"))
    assert (crawler.stats[STORED], crawler.stats[UNCHANGED], crawler.stats[UPDATED]) == (1, 1, 1)


def test_exact_duplicate_becomes_alias_of_the_lower_id_in_any_order(crawler):
    process = chain(crawler)
    archive = crawler.arshif_context.archive
    process(record(30, paragraphs=(LONG,)))
    process(record(10, paragraphs=(LONG,)))  # the original arrives second: 30 is demoted
    process(record(20, paragraphs=(LONG.replace("كلمة1 ", "كلمة1  "),)))  # same folded body
    assert archive.get_article("alhadath", 30) is None and archive.get_article("alhadath", 20) is None
    assert {a["alias_id"] for a in archive.aliases_of("alhadath", 10)} == {20, 30}
    # 30 was stored and then demoted in the same run: new articles are those still articles (the run row's count)
    assert crawler.stats[ALIASES] == 2 and crawler.stats[STORED] == 1
    process(record(30, paragraphs=(LONG,)))  # refetched alias: nothing new
    assert crawler.stats[ALIASES] == 2 and archive.get_article("alhadath", 30) is None


def test_near_duplicate_names_its_original_in_any_order(crawler):
    process = chain(crawler)
    archive = crawler.arshif_context.archive
    edited = LONG.replace("كلمة7 ", "تعديل ")
    process(record(50, paragraphs=(edited,)))
    process(record(40, paragraphs=(LONG,)))  # the original arrives after its copy
    process(record(60, paragraphs=(LONG.replace("كلمة9 ", "اخرى "),)))
    process(record(70, paragraphs=(" ".join(f"غير{i}" for i in range(120)),)))
    rows = {r["article_id"]: r for r in archive.db["articles"].rows}
    assert rows[40]["near_duplicate_of"] is None
    assert rows[50]["near_duplicate_of"] == 40 and rows[60]["near_duplicate_of"] == 40
    assert rows[50]["similarity"] >= 0.9 and rows[70]["near_duplicate_of"] is None
    assert crawler.stats[NEAR_DUPLICATES] == 1  # 60 named 40 when stored; 50 was repointed later


def test_original_arriving_last_takes_over_exact_and_near_copies(crawler):
    """Copies stored first (the original failed to fetch): when it comes, every link ends at it."""
    process = chain(crawler)
    archive = crawler.arshif_context.archive
    process(record(111, paragraphs=(LONG.replace("كلمة7 ", "تعديل "),)))  # near copy of 101
    process(record(150, paragraphs=(LONG,)))  # exact copy of 101 (names 111 as its near original for now)
    process(record(101, paragraphs=(LONG,)))
    rows = {r["article_id"]: r for r in archive.db["articles"].rows}
    assert set(rows) == {101, 111}
    assert rows[111]["near_duplicate_of"] == 101 and rows[101]["near_duplicate_of"] is None
    assert rows[101]["similarity"] is None
    assert [a["alias_id"] for a in archive.aliases_of("alhadath", 101)] == [150]


def test_every_item_type_survives_a_queue_message():
    """Items travel between processes as JSON (a distributed worker → the one writer): nothing lost."""
    import json

    from pipelines.items import (AliasItem, FailureItem, FailureResolved, MissItem, WalksComplete, from_message,
                                 to_message)

    article = ArticleItem(record(3), fetch=FetchInfo(url="http://127.0.0.1:1/article/3", warc_record="a.warc.gz#9"))
    items = [article, MissItem("alhadath", 4, "u4", "soft404", http_status=200),
             FailureItem("alhadath", "u5", "http 503", attempts=4, http_status=503, article_id=5),
             FailureResolved("alhadath", "https://www.alhadath.ps/"),
             AliasItem("alhadath", 6, "u6", of=3, title="ت", published_at="2024-01-01T10:00:00+02:00"),
             WalksComplete("alhadath", (1, 9))]
    for item in items:
        back = from_message(json.loads(json.dumps(to_message(item), ensure_ascii=False)))
        assert type(back) is type(item) and back == item
    assert from_message(to_message(article)).fetch == article.fetch


def test_the_spiders_other_items_pass_the_article_pipelines_and_are_recorded(crawler):
    from pipelines.items import AliasItem, FailureItem, FailureResolved, MissItem, WalksComplete

    pipelines = [cls.from_crawler(crawler) for cls in (CleanPipeline, ValidatePipeline, DateWindowPipeline,
                                                       DedupePipeline, StorePipeline)]
    crawler.arshif_context.window = DateWindow(since=datetime.fromisoformat("2030-01-01T00:00:00+02:00"))  # not for these
    archive = crawler.arshif_context.archive
    items = [MissItem("alhadath", 4, "https://www.alhadath.ps/article/4", "http 404", http_status=404),
             FailureItem("alhadath", "https://www.alhadath.ps/category/9", "http 503", attempts=9, http_status=503),
             FailureItem("alhadath", "https://www.alhadath.ps/article/5", "http 500", article_id=5),
             FailureResolved("alhadath", "https://www.alhadath.ps/category/9"),
             AliasItem("alhadath", 6, "https://www.alhadath.ps/article/6", of=3),
             WalksComplete("alhadath", (9,))]
    from pipelines.store import RecordedOutcome

    for item in items:
        for pipeline in pipelines[:-1]:
            assert pipeline.process_item(item) is item
        if isinstance(item, AliasItem):  # the feed gets the alias, marked
            assert pipelines[-1].process_item(item) == {**item.record(), "alias_of": 3}
        else:  # recorded, kept out of the feed
            with pytest.raises(RecordedOutcome):
                pipelines[-1].process_item(item)
    archive.commit()
    assert archive.known_misses("alhadath", range(10)) == {4}
    assert [f["url"] for f in archive.open_failures()] == ["https://www.alhadath.ps/article/5"]
    assert archive.stored_ids("alhadath", [6]) == {6}  # an alias id counts as stored
    assert archive.aliases_of("alhadath", 3)[0]["kind"] == "redirect"
    assert archive.listing_walk_complete("alhadath", 9)
    assert (crawler.stats[MISSES], crawler.stats[FAILURES]) == (1, 2)
