"""Bylines: every form of the site notes and the conventions, table-driven."""

from __future__ import annotations

import pytest

from crawler.bylines import AGENCIES, Byline, agency_code, author_from_title, parse_byline

# (byline as printed, authors, agencies, dateline)
FORMS = [
    # the site notes' forms
    ("الحدث - ا ف ب", [], ["AFP"], ""),
    ("الحدث - رام الله – محمد غفري -", ["محمد غفري"], [], "رام الله"),
    ("الحدث - غزة: سامي أبو سالم -", ["سامي أبو سالم"], [], "غزة"),
    ("الحدث- وكالات", [], ["agencies"], ""),
    ("الحدث-تل أبيب", [], [], "تل أبيب"),
    ("رولا سرحان", ["رولا سرحان"], [], ""),
    (" رولا سرحان", ["رولا سرحان"], [], ""),
    ("رام الله - الحدث", [], [], "رام الله"),
    ("بقلم: رولا سرحان", ["رولا سرحان"], [], ""),
    # each separator of the grammar: " - ", "-", " – ", ": "
    ("الحدث-رام الله-محمد غفري-", ["محمد غفري"], [], "رام الله"),
    ("الحدث – نابلس – دعاء حمد –", ["دعاء حمد"], [], "نابلس"),
    ("الحدث: الخليل: يوسف الشايب -", ["يوسف الشايب"], [], "الخليل"),
    ("الحدث - ريم أبو لبن", ["ريم أبو لبن"], [], ""),
    # other Palestinian outlets' forms
    ("رام الله 11-4-2025 وفا-", [], ["WAFA"], "رام الله"),
    ("رام الله -PNN-", [], ["PNN"], "رام الله"),
    ("غزة - وكالة خبر", [], ["وكالة خبر"], "غزة"),
    ("رام الله (الضفة الغربية) (رويترز) -", [], ["Reuters"], "رام الله"),
    ("عواصم - أ ف ب:", [], ["AFP"], "عواصم"),
    # the outlet alone is a source, never an author or a dateline
    ("الحدث", [], [], ""),
    ("", [], [], ""),
]


@pytest.mark.parametrize(("printed", "authors", "agencies", "dateline"), FORMS)
def test_byline_forms(printed, authors, agencies, dateline):
    assert parse_byline(printed) == Byline(authors, agencies, dateline)


@pytest.mark.parametrize(("printed", "code"), sorted(AGENCIES.items()))
def test_every_agency_spelling_after_the_outlet(printed, code):
    for sep in (" - ", "-", " – ", "- "):
        assert parse_byline(f"الحدث{sep}{printed}") == Byline([], [code], "")


def test_agency_table_is_the_site_notes_table():
    assert set(AGENCIES.values()) == {"AFP", "Reuters", "AP", "Anadolu", "WAFA", "Maan", "Safa", "dpa", "Xinhua",
                                      "SANA", "SPA", "WAM", "QNA", "Petra", "MENA", "agencies"}
    assert agency_code("وكالة الأناضول") == "Anadolu"
    assert agency_code("أ.ف.ب") == "AFP"
    assert agency_code("رولا سرحان") is None


def test_own_names_are_configurable():
    assert parse_byline("معا - بيت لحم", own_names=("معا",)) == Byline([], [], "بيت لحم")
    assert parse_byline("معا - بيت لحم") == Byline([], ["Maan"], "بيت لحم")


@pytest.mark.parametrize(("title", "author"), [
    ("عن الذين ينتظرون على الحواجز - رولا سرحان", "رولا سرحان"),
    ("فتح المدرب «الشرقية على الجدار»/ بقلم: هاني المصري", "هاني المصري"),
    ("كلام في السياسة /بقلم: عبد الغني سلامة", "عبد الغني سلامة"),
    ("نتنياهو - غانتس: لا اتفاق", None),  # a news title with a dash is no signature
    ("مباحثات بين الوفدين - رام الله", None),  # a city, not a writer
    ("أعلن المجلس - الجلسة المقبلة في موعدها المحدد اليوم", None),  # too long for a name
    ("عنوان عادي بلا توقيع", None),
])
def test_author_from_title(title, author):
    assert author_from_title(title) == author


def test_byline_results_are_fresh_lists():
    first = parse_byline("الحدث - ا ف ب")
    first.agencies.append("X")
    assert parse_byline("الحدث - ا ف ب").agencies == ["AFP"]
