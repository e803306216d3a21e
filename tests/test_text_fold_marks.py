"""``fold_words`` takes the marks out last, and only when some are there (pipe10): the same words as 4f226d3's
``fold_words`` (read from git), which took them out first, on texts of marks, letters the fold rewrites, cased
letters (final sigma, dotted I), punctuation, symbols and spaces."""

from __future__ import annotations

from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from crawler import text
from crawler.text import _FOLD_CHARS, _INVISIBLE_CHARS, _PUNCTUATION, _TASHKEEL, _TATWEEL, fold_words
from tests.test_extract_walk7 import module_at

BASE = "4f226d3"  # before pipe10


@cache
def _base_fold_words():
    return module_at(BASE, "crawler/text.py").fold_words


_MARKS = f"{_INVISIBLE_CHARS}{_TASHKEEL}{_TATWEEL}"
_PIECES = [*_MARKS, *(char for char, _ in _FOLD_CHARS), *_PUNCTUATION, "كتب", "الحكومة", "غزة", "a", "Z", "É",
           "e\u0301", "Σ", "ΟΔΟΣ", "σ", "İ", "ß", "ǅ", "_", "1", "٣", " ", "  ", "\n", "\u00a0", "\u3000", "™", "€",
           "©", "\u0300", "\u0307", "ﻻ", "ﷺ", "\u06de", "\u06e9", "\u06dd", "x"]
_texts = st.lists(st.sampled_from(_PIECES), max_size=30).map("".join)


@settings(max_examples=1500, deadline=None)
@given(value=_texts)
def test_fold_words_equals_the_base_fold(value):
    assert fold_words(value) == _base_fold_words()(value)


def test_the_marks_it_looks_for_by_name_are_the_alphanumeric_ones():
    """Every other mark is not alphanumeric and not a space, so a word holding one fails the words' isalnum."""
    assert set(text._ALNUM_MARKS) == {"\u0640", "\u06e5", "\u06e6"}
    assert all(not (char.isalnum() or char.isspace()) for char in _MARKS if char not in text._ALNUM_MARKS)


def test_marks_are_still_taken_out():
    assert fold_words("كَتَبَ الـحكومة\u200f") == ["كتب", "الحكومه"]
    assert fold_words("a\u00adb ۥx") == ["ab", "x"]
    assert fold_words("a۩Σ") == ["aς"]  # the mark out before lower(): U+06E9 is not case-ignorable (make test found it)
