"""extract_article over mirror pages (rendered in-process) against the mirror's truth, field by field."""

from __future__ import annotations

import pytest

from crawler.extract import extract_article
from crawler.mirror import ARTICLE, MirrorConfig, render, truth

FIELDS = ("title", "published_at", "published_hijri", "byline_raw", "authors", "agencies", "dateline",
          "paragraphs", "caption", "category")


def as_truth(record: dict) -> dict:
    """The record in the truth's terms: the lead image's caption is the truth's ``caption``."""
    return {**{f: record[f] for f in FIELDS if f != "caption"},
            "caption": record["images"][0]["caption"] if record["images"] else ""}


@pytest.mark.parametrize(("markup", "seed", "start_id", "articles"), [
    ("default", 11, 30000, 320),  # 2016
    ("table", 12, 180000, 160),  # 2023-24
])
def test_every_field_equals_the_truth(markup, seed, start_id, articles):
    config = MirrorConfig(articles=articles, seed=seed, start_id=start_id, markup=markup)
    wrong: dict[str, list[int]] = {}
    pages = 0
    for expected in truth(config):
        page = render(config, f"/article/{expected['id']}/x")
        record = extract_article(page.body, f"https://www.alhadath.ps/article/{expected['id']}/x", site="alhadath")
        if expected["status"] != ARTICLE:
            assert record is None, f"id {expected['id']} ({expected['status']}) gave a record"
            continue
        pages += 1
        assert record is not None, f"id {expected['id']}: no article extracted"
        assert record["url"] == expected["url"]
        got = as_truth(record)
        for field in FIELDS:
            if got[field] != expected[field]:
                wrong.setdefault(field, []).append(expected["id"])
    assert pages > 0.9 * articles
    assert wrong == {}


def test_broken_markup_holds_no_article():
    config = MirrorConfig(articles=40, seed=3, start_id=50000, markup="broken")
    for expected in truth(config):
        page = render(config, f"/article/{expected['id']}/x")
        assert extract_article(page.body, expected["url"], site="alhadath") is None


@pytest.mark.parametrize(("markup", "seed", "start_id"), [("default", 13, 60000), ("table", 14, 190000)])
def test_real_weight_pages_extract_to_the_light_records(markup, seed, start_id):
    """80–150 KB pages (menus, JSON state with the story, related cards with dates, a dated footer) give
    exactly the records of the light pages — which equal the truth (above)."""
    light = MirrorConfig(articles=70, seed=seed, start_id=start_id, markup=markup)
    real = MirrorConfig(articles=70, seed=seed, start_id=start_id, markup=markup, weight="real")
    compared = 0
    for expected in truth(light):
        url = f"https://www.alhadath.ps/article/{expected['id']}/x"
        heavy = render(real, f"/article/{expected['id']}/x").body
        record = extract_article(render(light, f"/article/{expected['id']}/x").body, url, site="alhadath")
        assert extract_article(heavy, url, site="alhadath") == record, expected["id"]
        if record is not None:
            compared += 1
            assert len(heavy) >= 82_000
            assert as_truth(record) == {f: expected[f] for f in FIELDS}
    assert compared > 55
