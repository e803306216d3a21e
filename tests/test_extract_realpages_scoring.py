"""The real-pages benchmark scores as the data set's README says (the pages stay outside the repository:
these checks use strings written here)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_realpages import authors_ok, body_f1, date_ok, snippets, title_ok, tokens  # noqa: E402


def test_titles_compare_after_nfkc_and_without_invisible_characters():
    assert title_ok("Talks resume", " Talks\u200b resume\u00ad ")
    assert title_ok("ﬁnal word", "final  word")
    assert not title_ok("Talks resume", "Talks resume - Courier") and not title_ok("x", None)


def test_dates_compare_days_in_the_gold_offset():
    assert date_ok("2024-05-03T23:30:00+00:00", "2024-05-04T01:30:00+02:00")
    assert not date_ok("2024-05-03T23:30:00+00:00", "2024-05-04T00:30:00+00:00")
    assert date_ok("2024-05-03", "2024-05-03T23:59:00-05:00") and not date_ok("2024-05-03", None)


def test_authors_as_sets_of_normalised_names():
    assert authors_ok(["Anne-Marie Slaughter", "Tom Jones"], ["By Anne-Marie Slaughter and Tom Jones"])
    assert authors_ok(["Trine Juncher Jørgensen og Tôrtia Reimer-Johansen"],
                      ["trine juncher jørgensen", "Tôrtia Reimer-Johansen"])
    assert not authors_ok(["Anne-Marie Slaughter"], ["Anne", "Marie Slaughter"])


def test_body_f1_counts_han_characters_one_by_one():
    assert tokens("漢字 and words") == {"漢": 1, "字": 1, "and": 1, "words": 1}
    assert body_f1("a b c d", "a b c d") == 1.0 and body_f1("a b", None) == 0.0
    assert abs(body_f1("a b c d", "a b") - 2 * 1.0 * 0.5 / 1.5) < 1e-9


def test_snippets_need_every_with_and_no_without():
    assert snippets(["first part"], ["Read more"], "The first  part of it.") == (True, 1, 1)
    assert snippets(["first part"], ["Read more"], "first part. Read more") == (False, 1, 0)
