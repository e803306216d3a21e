from crawler.text import clean_text, fold_arabic, to_ascii_digits


def test_clean_text_removes_invisibles_and_collapses_space():
    assert clean_text("\u200f الحدث\u00a0-\u200b  ا ف ب \n") == "الحدث - ا ف ب"


def test_clean_text_keeps_arabic_letters_unchanged():
    text = "إسرائيل تُعلن مدينةً"
    assert clean_text(text) == text


def test_fold_arabic_unifies_spelling_variants():
    assert fold_arabic("إسرائيـــل تُعلن مدينةً ٢٠٢٤ أو آذار على") == "اسرائيل تعلن مدينه 2024 او اذار علي"


def test_to_ascii_digits_reads_arabic_indic_and_persian():
    assert to_ascii_digits("١٤/٧/۲۰۲۵") == "14/7/2025"


# -- the search form (issue 10) ---------------------------------------------------------------------------

import pytest  # noqa: E402

from crawler.text import light_stem, parse_search, search_form  # noqa: E402


@pytest.mark.parametrize(("bare", "attached"), [
    ("إسرائيل", "بإسرائيل"), ("إسرائيل", "الإسرائيلية"), ("حكومة", "الحكومة"), ("حكومة", "والحكومة"),
    ("حكومة", "للحكومة"), ("حكومة", "حكومتها"), ("حكومة", "حكومته"), ("فلسطين", "الفلسطينيين"),
    ("غزة", "بغزة"), ("القدس", "وبالقدس"), ("معلم", "المعلمون"), ("سيارة", "السيارات"),
])
def test_clitics_and_suffixes_meet_the_bare_word(bare, attached):
    assert search_form(bare) == search_form(attached)


@pytest.mark.parametrize(("a", "b"), [("مسؤول", "مسئول"), ("كتاب", "کتاب"), ("يوم", "يوم"), ("لا", "ﻻ"),
                                      ("سياسي", "سیاسی")])
def test_search_folds_hamza_seats_persian_letters_and_presentation_forms(a, b):
    assert search_form(a) == search_form(b)


def test_stems_keep_three_letters_and_leave_latin_alone():
    assert search_form("بيت البيت وقت الوقت") == "بيت بيت وقت وقت"
    assert light_stem("covid") == "covid" and search_form("COVID-19") == "covid 19"


def test_parse_search_splits_words_and_exact_phrases():
    assert parse_search('الحكومة "رام الله" الحكومة') == (("حكوم",), ("رام الله",))
    assert parse_search('"') == ((), ())


# -- cleaning clean text changes nothing --------------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

# Arabic letters and marks, Latin with combining accents, invisibles (bidi marks, ZWSP, ZWJ, BOM, soft hyphen)
# and spaces of every kind: what lets NFC reorder or compose once an invisible between two marks is taken out.
_PIECES = st.sampled_from(["ا", "ب", "ة", "\u0650", "\u064b", "\u0651", "\u0301", "\u0327", "e", "A", "1",
                           "\u200b", "\u200f", "\u200d", "\ufeff", "\u00ad", "\u2066", " ", "\u00a0", "\n",
                           "\t", "\u2003", "ﻻ", "é"])


@settings(max_examples=500, deadline=None)
@given(st.lists(_PIECES | st.characters(), max_size=12).map("".join))
def test_clean_text_of_clean_text_is_the_same(text):
    once = clean_text(text)
    assert clean_text(once) == once


def test_an_invisible_between_two_marks_is_normalized_after_it_goes():
    # (found by hypothesis through the writer's clean: the result was not NFC, so a second clean reordered it)
    assert clean_text("\u0301\u200b\u0650") == "\u0650\u0301"
    assert clean_text("e\u200b\u0301") == "é"
