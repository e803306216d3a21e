"""Golden tests: tests/fixtures/<site>/<name>.html + <name>.json, one test per field, found from the files.

The JSON holds ``request`` (url, site, encoding given to the extractor) and the expected ``record`` (null
when the page holds no article). Mirror fixtures come from tests/fixtures/make_mirror_fixtures.py (expected
values from the mirror's model); ``hand_*`` pages are markups written by hand for these tests.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import pytest

from crawler.extract import extract_article
from crawler.items import ARTICLE_FIELDS

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CASES = sorted(FIXTURES.glob("*/*.json"))


@lru_cache(maxsize=None)
def load(path: Path) -> tuple[dict, dict | None, dict | None]:
    spec = json.loads(path.read_text(encoding="utf-8"))
    request = spec["request"]
    got = extract_article(path.with_suffix(".html").read_bytes(), request["url"], site=request["site"],
                          encoding=request["encoding"])
    return request, spec["record"], got


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


ARTICLES = [case for case in CASES if json.loads(case.read_text(encoding="utf-8"))["record"] is not None]
NO_ARTICLES = [case for case in CASES if case not in ARTICLES]


def test_fixtures_are_there():
    markups = {case.stem.split("_")[1] for case in ARTICLES if case.stem.startswith("hand_")}
    assert len(ARTICLES) >= 12 and len(NO_ARTICLES) >= 5
    assert {"oldcms", "modern", "bare", "cp1256"} <= markups


@pytest.mark.parametrize("field", ARTICLE_FIELDS)
@pytest.mark.parametrize("case", ARTICLES, ids=_id)
def test_field(case: Path, field: str):
    _, expected, got = load(case)
    assert got is not None, "no article extracted"
    assert got[field] == expected[field]


@pytest.mark.parametrize("case", ARTICLES, ids=_id)
def test_record_has_exactly_the_article_fields(case: Path):
    _, _, got = load(case)
    assert got is not None and tuple(got) == ARTICLE_FIELDS


@pytest.mark.parametrize("case", NO_ARTICLES, ids=_id)
def test_no_article(case: Path):
    _, expected, got = load(case)
    assert expected is None and got is None
