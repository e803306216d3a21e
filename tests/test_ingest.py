"""crawler.ingest: the Scrapy-free ingest core, called as reparse and the distributed writer call it."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.dates import DateWindow
from crawler.ingest import (
    Aliased,
    AliasItem,
    ArticleItem,
    FailureItem,
    FailureResolved,
    FetchInfo,
    Ingest,
    MissItem,
    Missed,
    NearDuplicate,
    OutsideWindow,
    Rejected,
    Resolved,
    Stored,
    WalksComplete,
    WalksRecorded,
)
from crawler.sites import get_site
from crawler.storage import Archive
from tests.test_storage import record

LONG = " ".join(f"كلمة{i}" for i in range(120))


@pytest.fixture
def ingest(tmp_path):
    archive = Archive(tmp_path / "a.db")
    run_id = archive.start_run("alhadath", command="test", args={})
    yield Ingest(archive, get_site("alhadath"), run_id)
    archive.close()


def item(article_id: int, **change) -> ArticleItem:
    rec = {**record(article_id), **change}
    return ArticleItem(rec, fetch=FetchInfo(url=rec["url"], fetched_at="2026-01-01T00:00:00+00:00",
                                            warc_record=f"x.warc.gz#{article_id}"))


def test_the_ingest_core_loads_no_scrapy():
    code = "import sys, crawler.ingest; print(sorted({m.split('.')[0] for m in sys.modules} & {'scrapy', 'twisted'}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_an_article_is_new_then_unchanged_then_updated(ingest):
    assert ingest.article(item(1)) == Stored(1, "new")
    assert ingest.article(item(1)) == Stored(1, "unchanged")
    assert ingest.article(item(1, title="عنوان جديد")) == Stored(1, "updated")
    row = ingest.archive.get_article("alhadath", 1)
    assert row["title"] == "عنوان جديد"
    counts = ingest.counts.run_counts(pages=3)
    assert (counts.articles_new, counts.articles_unchanged, counts.articles_updated, counts.pages) == (1, 1, 1, 3)


def test_exact_copies_become_aliases_and_the_original_takes_over(ingest):
    assert ingest.article(item(30, paragraphs=[LONG])) == Stored(30, "new")
    # 30 demoted; it was stored by this same run, so the run counts it as an alias only, not as new
    assert ingest.article(item(10, paragraphs=[LONG])) == Stored(10, "new", replaced=30, replaced_new=True)
    assert ingest.article(item(20, paragraphs=[LONG])) == Aliased(20, 10, "exact")
    assert ingest.article(item(20, paragraphs=[LONG])) == Aliased(20, 10, "exact", added=False)
    assert {a["alias_id"] for a in ingest.archive.aliases_of("alhadath", 10)} == {20, 30}
    assert (ingest.counts.new, ingest.counts.aliases) == (1, 2)


def test_dedupe_looks_up_what_names_a_new_id_and_the_store_settles_it(ingest):
    """Dedupe's one lookup says whether a miss, an open failure or an alias names the id (``Verdict.traces``);
    storing the article settles exactly those, and an id nothing names gets no settling writes."""
    archive = ingest.archive
    archive.record_miss("alhadath", 1, url="u1", reason="soft404")
    archive.record_failure("alhadath", "u2", reason="http 503", attempts=3, article_id=2)
    archive.add_alias({**record(3), "url": "https://www.alhadath.ps/article/3/alias"}, of=9)
    archive.record_failure("alhadath", "u4", reason="http 503", attempts=1, article_id=4)
    archive.resolve_failure("alhadath", "u4")  # resolved: no trace any more
    items = {article_id: ingest.dedupe(ingest.clean(item(article_id, paragraphs=[f"{LONG} {article_id}"])))
             for article_id in (1, 2, 3, 4, 5)}
    assert {article_id: it.verdict.traces for article_id, it in items.items()} == \
        {1: True, 2: True, 3: True, 4: False, 5: False}
    statements: list[str] = []
    archive.db.conn.set_trace_callback(statements.append)
    outcomes = [ingest.store(it) for it in items.values()]
    archive.db.conn.set_trace_callback(None)
    assert [outcome.kind for outcome in outcomes] == ["new"] * 5
    assert archive.known_misses("alhadath", range(10)) == set() and archive.open_failures("alhadath") == []
    assert archive.aliases_of("alhadath", 9) == []
    assert not any(sql.startswith("select 1 from misses") for sql in statements)  # no second look
    assert sum(sql.startswith("delete from misses") for sql in statements) == 3  # ids 1, 2, 3 only


def test_a_near_duplicate_is_stored_naming_its_original(ingest):
    ingest.article(item(40, paragraphs=[LONG]))
    outcome = ingest.article(item(50, paragraphs=[LONG.replace("كلمة7 ", "تعديل ")]))
    assert isinstance(outcome, NearDuplicate) and isinstance(outcome, Stored)
    assert (outcome.kind, outcome.near_duplicate_of) == ("new", 40) and ingest.counts.near_duplicates == 1


@pytest.mark.parametrize(("change", "reason"), [({"title": ""}, "invalid: no title"),
                                                ({"published_at": None}, "invalid: no publication date"),
                                                ({"paragraphs": []}, "invalid: no body")])
def test_an_invalid_article_is_rejected_as_a_failure(ingest, change, reason):
    outcome = ingest.article(item(5, **change))
    assert outcome == Rejected("https://www.alhadath.ps/article/5", reason, 5)
    [failure] = ingest.archive.open_failures()
    assert (failure["article_id"], failure["reason"]) == (5, reason)
    assert ingest.archive.get_article("alhadath", 5) is None
    assert (ingest.counts.failures, ingest.counts.rejected, ingest.counts.run_counts().dropped) == (1, 1, 1)


def test_outside_the_window_is_neither_stored_nor_a_failure(ingest):
    ingest.window = DateWindow(since=datetime.fromisoformat("2017-01-01T00:00:00+02:00"))
    assert ingest.article(item(5)) == OutsideWindow(5, "2016-02-19T23:15:08+02:00")
    assert ingest.archive.open_failures() == [] and ingest.archive.get_article("alhadath", 5) is None


def test_the_other_outcomes(ingest):
    base = "https://www.alhadath.ps"
    ingest.article(item(3))
    assert ingest.record(MissItem("alhadath", 4, f"{base}/article/4", "http 404", 404)) == Missed(4, "http 404")
    assert ingest.record(FailureItem("alhadath", f"{base}/category/9", "http 503", attempts=3)).reason == "http 503"
    assert ingest.record(FailureResolved("alhadath", f"{base}/category/9")) == Resolved(f"{base}/category/9")
    assert ingest.record(AliasItem("alhadath", 6, f"{base}/article/6", of=3)) == Aliased(6, 3, "redirect")
    assert ingest.record(WalksComplete("alhadath", (9,))) == WalksRecorded((9,))
    ingest.commit()
    archive = ingest.archive
    assert archive.known_misses("alhadath", range(10)) == {4} and archive.open_failures() == []
    assert archive.stored_ids("alhadath", [3, 6]) == {3, 6} and archive.listing_walk_complete("alhadath", 9)
    counts = ingest.counts
    assert (counts.new, counts.misses, counts.failures, counts.aliases) == (1, 1, 1, 1)


def test_record_dedupes_an_article_without_a_verdict(ingest):
    """The distributed writer hands queued articles to ``record``: dedupe runs there."""
    ingest.article(item(10, paragraphs=[LONG]))
    assert ingest.record(ingest.clean(item(11, paragraphs=[LONG]))) == Aliased(11, 10, "exact")
    with pytest.raises(TypeError):
        ingest.record(object())


def slug_item(site, path: str, published_at: str) -> ArticleItem:
    url = site.base_url + path
    key = site.article_key(url)
    rec = {**record(key, paragraphs=[LONG]), "site": site.name, "url": url, "published_at": published_at}
    return ArticleItem(rec, fetch=FetchInfo(url=url, fetched_at="2026-01-01T00:00:00+00:00", warc_record=None))


@pytest.mark.parametrize("order", ["original first", "copy first"])
def test_url_keyed_copies_the_original_is_the_earlier_article(tmp_path, order):
    """slugnews (key = "url"): two exact copies whose hash keys are in the "wrong" order (the later article
    has the lower key). The earlier-published one is the original whichever the crawl meets first; the
    instants are compared in UTC (the copy's +03:00 time is later than the original's +00:00 one)."""
    site = get_site("slugnews")
    archive = Archive(tmp_path / "a.db")
    ingest = Ingest(archive, site, archive.start_run(site.name, command="test", args={}))
    # Of two slugs, the one with the higher key is made the original (published first), so that by key alone
    # the copy would win.
    low, high = sorted(["/news/first-story", "/news/the-story-again"], key=lambda p: site.article_key(site.base_url + p))
    original = slug_item(site, high, "2026-03-01T08:00:00+00:00")
    copy = slug_item(site, low, "2026-03-01T11:30:00+03:00")  # 08:30 UTC: half an hour after the original
    first, second = (original, copy) if order == "original first" else (copy, original)
    original_key, copy_key = original["article_id"], copy["article_id"]
    assert copy_key < original_key  # the "wrong" order: by key alone the copy would win
    ingest.article(first)
    ingest.article(second)
    articles = [row["article_id"] for row in archive.rows("select article_id from articles where site = ?",
                                                          [site.name])]
    assert articles == [original_key]
    assert {a["alias_id"] for a in archive.aliases_of(site.name, original_key)} == {copy_key}
    archive.close()


def test_url_keyed_copies_on_the_same_date_keep_the_first_seen(tmp_path):
    site = get_site("slugnews")
    archive = Archive(tmp_path / "a.db")
    ingest = Ingest(archive, site, archive.start_run(site.name, command="test", args={}))
    one = slug_item(site, "/news/first-story", "2026-03-01T08:00:00+00:00")
    two = slug_item(site, "/news/the-story-again", "2026-03-01T10:00:00+02:00")  # the same instant
    assert ingest.article(one) == Stored(one["article_id"], "new")
    assert ingest.article(two) == Aliased(two["article_id"], one["article_id"], "exact")
    archive.close()


_TEXT = st.text(alphabet=st.sampled_from(list("خبر نصكلمة ab\u200f\u200b\u00a0\t\n  ١٢أإىة")), max_size=40)


@settings(max_examples=200, deadline=None)
@given(paragraphs=st.one_of(st.none(), st.lists(st.one_of(_TEXT, st.none()), max_size=8)),
       others=st.dictionaries(st.sampled_from(["title", "authors", "tags", "summary", "images", "extra"]),
                              st.one_of(_TEXT, st.lists(_TEXT, max_size=3), st.none()), max_size=4))
def test_the_workers_fingerprint_is_that_of_the_body_the_clean_step_leaves(paragraphs, others):
    # The worker cleans only the paragraphs for the fingerprint it carries: the same fingerprint as that of the
    # paragraphs the writer's whole-record clean leaves, whatever the record's other fields hold.
    from crawler.dedupe import Fingerprint
    from crawler.ingest.clean import carried_fingerprint, clean_record

    record = {**{key: value for key, value in others.items() if key != "images"}, "paragraphs": paragraphs}
    expected = Fingerprint(clean_record(dict(record))["paragraphs"]).carried(body=True)
    expected["body"]["clean"] = True  # made of cleaned paragraphs (the writer's clean takes them as they are)
    assert carried_fingerprint(record) == expected
