"""`arshif search` (Arabic folding on both sides) and `arshif stats`."""

from __future__ import annotations

import json
import random
import subprocess
import sys

import pytest

from crawler.search import search, snippet
from crawler.storage import Archive, ArticleQuery, ArticleWrite
from tests.ops_archive import synthetic_record

ARSHIF = [sys.executable, "-m", "crawler"]

# (id, body as stored): plain spellings, and one stored WITH tashkeel and hamza forms.
BODIES = {
    1: "قال محمد اشتية إن الحكومة ستجتمع في رام الله",
    2: "أعلنت إسرائيل إغلاق المعابر مع قطاع غزة",
    3: "وصل الأسرى المحررون إلى مدينة أريحا مساء الخميس",
    4: "قالَ مُحَمَّدٌ إنّ الاجتماعَ سيُعقَدُ غداً في القدس",
}


@pytest.fixture
def archive_path(tmp_path):
    path = tmp_path / "s.db"
    rng = random.Random(1)
    with Archive(path) as archive:
        for article_id, body in BODIES.items():
            record = synthetic_record(article_id, rng)
            record.update(title=f"خبر رقم {article_id}", paragraphs=["مقدمة الخبر", body])
            archive.upsert_articles([ArticleWrite(record=record, content_hash=f"h{article_id}", run_id=1)])
    return path


def found(path, text, **query):
    return [hit.article_id for hit in search(path, text, ArticleQuery(**query))]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("مُحَمَّد", [1, 4]),  # tashkeel in the query; one stored plain, one stored with tashkeel
        ("محمد", [1, 4]),
        ("اسرائيل", [2]),  # إسرائيل stored
        ("إسرائيل", [2]),
        ("الاسرى", [3]),  # الأسرى stored
        ("أريحا", [3]),
        ("اريحا", [3]),
        ("رام الله", [1]),  # every word must match
        ("غزة القدس", []),
    ],
)
def test_search_finds_spelling_variants(archive_path, query, expected):
    assert sorted(found(archive_path, query)) == expected


def test_search_operators_in_the_query_are_plain_words(archive_path):
    assert found(archive_path, 'محمد OR "غزة" NEAR(*)') == []  # no FTS syntax error, no operator


def test_search_date_window(archive_path):
    hits = search(archive_path, "محمد")
    time_of_4 = next(h.published_at for h in hits if h.article_id == 4)[:19]  # local time, no offset
    assert found(archive_path, "محمد", since=time_of_4) == [4]
    assert found(archive_path, "محمد", until=time_of_4) == [1]


def test_snippet_is_cut_from_the_stored_text_and_marks_the_match():
    text = " ".join(f"كلمة{n}" for n in range(40)) + " قالَ مُحَمَّدٌ إنّ الاجتماع"
    cut = snippet(["مقدمة", text], {"محمد"})
    assert "«مُحَمَّدٌ»" in cut and cut.startswith("… ")


def test_search_cli_prints_date_title_and_snippet(archive_path):
    result = subprocess.run([*ARSHIF, "search", "إسرائيل", "--db", archive_path], capture_output=True, text=True)
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("2014-") and "خبر رقم 2" in lines[0] and "هـ" in lines[0]
    assert "«إسرائيل»" in result.stdout and "1 result" in result.stderr


def test_stats_json_and_table(archive_path):
    result = subprocess.run([*ARSHIF, "stats", "--db", archive_path, "--json"], capture_output=True, text=True)
    data = json.loads(result.stdout)
    assert data["articles"] == 4
    assert data["coverage"]["title"] == 1.0 and data["coverage"]["subtitle"] == 0.0
    assert sum(row["articles"] for row in data["per_year"]) == 4
    assert {"per_category", "per_year_category", "aliases_by_kind", "misses_by_reason", "failures_by_reason",
            "runs"} <= set(data)
    table = subprocess.run([*ARSHIF, "stats", "--db", archive_path], capture_output=True, text=True).stdout
    assert "Articles per year" in table and "Field coverage" in table and "Last runs" in table
