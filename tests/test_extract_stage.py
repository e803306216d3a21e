"""The one chain type both extractors read their fields with (crawler.extract.stage)."""

from datetime import datetime, timezone

from crawler.extract.dates import DateChain
from crawler.extract.stage import Chain


def test_the_first_stage_that_reads_wins_and_is_recorded():
    chain = Chain()
    assert chain.first("title", [("selector", ""), ("jsonld", "Talks resume"), ("meta", "Other")]) == "Talks resume"
    assert chain.sources == {"title": "jsonld"}
    assert chain.first("subtitle", [("jsonld", None), ("meta", [])]) is None
    assert "subtitle" not in chain.sources


def test_a_later_stage_runs_only_when_reached():
    called = []

    def expensive():
        called.append(1)
        return "late"

    chain = Chain()
    assert chain.first("x", [("cheap", "early"), ("expensive", expensive)]) == "early"
    assert called == []
    assert chain.first("y", [("cheap", ""), ("expensive", expensive)]) == "late" and called == [1]


def test_a_relative_date_counts_only_when_no_absolute_one_follows():
    now = datetime.now(timezone.utc)  # a relative date is read against the clock
    chain = DateChain("UTC", now, 1995)
    stage, parsed = chain.first_date([("visible", "قبل 5 ساعات"), ("url", "2025-12-30")])
    assert stage == "url" and parsed.value.date().isoformat() == "2025-12-30"
    assert chain.relative[0] == "visible"
    only = DateChain("UTC", now, 1995)
    assert only.first_date([("visible", "قبل 5 ساعات")]) is None and only.relative is not None
