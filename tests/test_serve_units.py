"""The pieces of `arshif serve` that need no server: coverage charts, word diffs, metadata, HTML snippets."""

from __future__ import annotations

import json
import re
from pathlib import Path

from crawler.search import marked_words, snippet
from crawler.serve import metadata_for
from crawler.serve.chart import block_counts, block_size_for, blocks_chart, month_span, monthly_counts, months_chart
from crawler.serve.diff import record_diff, word_diff


def test_month_span_crosses_years():
    assert month_span("2015-11-30T10:00:00+02:00", "2016-02-01") == ["2015-11", "2015-12", "2016-01", "2016-02"]


def test_monthly_counts_fill_the_empty_months():
    filled = monthly_counts([{"month": "2016-01", "articles": 5}, {"month": "2016-04", "articles": 2}])
    assert filled == [{"month": "2016-01", "articles": 5}, {"month": "2016-02", "articles": 0},
                      {"month": "2016-03", "articles": 0}, {"month": "2016-04", "articles": 2}]
    assert monthly_counts([]) == []


def test_months_chart_one_rect_per_month_empty_ones_marked():
    svg = months_chart(monthly_counts([{"month": "2016-01", "articles": 5}, {"month": "2016-04", "articles": 2}]))
    assert re.findall(r'data-month="([\d-]+)"', svg) == ["2016-01", "2016-02", "2016-03", "2016-04"]
    assert svg.count('class="month empty"') == 2
    assert months_chart([]) == ""


def test_id_blocks_cover_the_span_and_count_the_unseen():
    size = block_size_for(1, 250)
    assert size == 10  # at most MAX_BLOCKS bars
    blocks = block_counts([{"block": 0, "stored": 7, "misses": 1, "failures": 0},
                           {"block": 2, "stored": 0, "misses": 0, "failures": 2}], 1, 25, size)
    assert [(b["first_id"], b["last_id"]) for b in blocks] == [(1, 9), (10, 19), (20, 25)]
    assert [b["unknown"] for b in blocks] == [1, 10, 4]
    svg = blocks_chart(blocks)
    assert svg.count('class="block"') == 3 and svg.count('class="failures"') == 1


def test_word_diff_marks_only_the_changed_words():
    html, removed, added = word_diff(["قال الوزير إن الاجتماع غدا"], ["قال الوزير إن الاجتماع اليوم", "فقرة جديدة"])
    assert "<del>غدا</del>" in html and "<ins>اليوم <br> فقرة جديدة</ins>" in html
    assert (removed, added) == (1, 3)
    assert "قال الوزير إن الاجتماع" in html


def test_word_diff_escapes_html():
    html, _, _ = word_diff(["<b>x</b>"], ["<i>y</i>"])
    assert "<b>" not in html and "&lt;i&gt;y&lt;/i&gt;" in html


def test_record_diff_lists_changed_fields():
    old = {"title": "عنوان", "paragraphs": ["نص"], "category": "محليات", "authors": []}
    new = {"title": "عنوان جديد", "paragraphs": ["نص"], "category": "اقتصاد", "authors": []}
    diff = record_diff(old, new)
    assert diff["title_changed"] and "<ins>جديد</ins>" in diff["title_html"]
    assert diff["fields"] == [{"field": "category", "old": "محليات", "new": "اقتصاد"}]
    assert diff["words_added"] == 1 and diff["words_removed"] == 0


def test_html_snippet_marks_and_escapes():
    words = marked_words("اسرائيل")
    html = snippet(["قال <مصدر> إن بإسرائيل أغلقت المعابر"], words, html=True)
    assert "<mark>بإسرائيل</mark>" in html and "&lt;مصدر&gt;" in html
    assert snippet(["أعلنت إسرائيل"], words) == "أعلنت «إسرائيل»"  # the terminal form is unchanged


def test_metadata_takes_the_database_name_of_the_file(tmp_path):
    metadata = metadata_for(Path("/data/demo.db"))
    assert "demo" in metadata["databases"] and "arshif" not in metadata["databases"]
    assert metadata_for(Path("x.db"), tmp_path / "missing.json") == {"title": "Arshif (أرشيف)"}
    json.dumps(metadata)


def test_an_archive_with_pending_upgrades_is_not_served(tmp_path):
    import sqlite3

    import pytest

    from crawler.serve import build_datasette, pending_upgrades
    from crawler.storage import ArchiveOutdated
    from crawler.storage import Archive

    db = tmp_path / "old.db"
    Archive(db).close()
    assert pending_upgrades(db) == []
    with sqlite3.connect(db) as conn:  # as if written before the last migration existed
        conn.execute("delete from _sqlite_migrations where rowid = (select max(rowid) from _sqlite_migrations)")
    assert len(pending_upgrades(db)) == 1
    with pytest.raises(ArchiveOutdated, match="arshif migrate --db"):
        build_datasette(db)
