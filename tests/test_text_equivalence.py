"""crawler.text's fast paths give exactly what the plain definitions give (NFC → translate → regexes).

The reference functions below are the straightforward implementations clean_text and fold_arabic
replaced; any input, Arabic-heavy or arbitrary, must come out the same.
"""

from __future__ import annotations

import re
import sys
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.text import DIGITS, _INVISIBLE_CHARS, clean_text, fold_arabic, fold_search, fold_words, light_stem, stem_folded

_INVISIBLE = dict.fromkeys(map(ord, _INVISIBLE_CHARS), None)
_SPACES = re.compile(r"[\s\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_TASHKEEL = re.compile(r"[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]")
_FOLD_LETTERS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه"})


def reference_clean_text(text):
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE)
    # NFC again once the invisibles are out: two marks they kept apart may need reordering or composing.
    return unicodedata.normalize("NFC", _SPACES.sub(" ", text).strip())


def reference_fold_arabic(text):
    text = reference_clean_text(text)
    text = _TASHKEEL.sub("", text).replace("\u0640", "")
    text = text.translate(_FOLD_LETTERS).translate(DIGITS).lower()
    return _SPACES.sub(" ", re.sub(r"[^\w]+", " ", text)).strip()


def reference_stem_folded(folded):
    """The search form as first defined: the whole text through fold_search, then a light stem per word."""
    return " ".join(map(light_stem, fold_search(folded).split()))


# Arabic letters, tashkeel, tatweel, both digit sets, invisibles, spaces, punctuation, some Latin.
ARABIC_ALPHABET = ("ابتثجحخدذرسشصضطظعغفقكلمنهويءأإآٱىةؤئ" "\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652"
                   "\u0653\u0654\u0655\u0670\u0640" "٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹0123456789" + _INVISIBLE_CHARS
                   + " \t\n\u00a0\u2009\u3000.,،:;؛!?؟\"'()«»-–/_…" "AbcÉİßǅ")
arabic_text = st.text(alphabet=ARABIC_ALPHABET, max_size=200)


@settings(max_examples=300)
@given(st.one_of(st.text(), arabic_text))
def test_clean_text_equals_its_definition(text):
    assert clean_text(text) == reference_clean_text(text)


@settings(max_examples=300)
@given(st.one_of(st.text(), arabic_text))
def test_fold_arabic_equals_its_definition(text):
    assert fold_arabic(text) == reference_fold_arabic(text)


PRESENTATION = "".join(map(chr, (*range(0xFB50, 0xFB60), *range(0xFDF0, 0xFDFE), *range(0xFE70, 0xFE80),
                                  0xFEFB, 0xFEFC, 0x2460, 0x00BD, 0x2126, 0x1E9E, 0x0130, 0x03A3, 0x00B2)))


@settings(max_examples=400)
@given(st.one_of(st.text(), arabic_text, st.text(alphabet=ARABIC_ALPHABET + PRESENTATION + "کیەۀھؤئ", max_size=80)))
def test_fold_words_and_the_word_by_word_search_form_equal_their_definitions(text):
    """fold_words joins to fold_arabic; stem_folded, made word by word from a cache, equals the whole-text
    definition (presentation forms that NFKC turns into several words or none, Persian letters, hamza seats)."""
    words = fold_words(text)
    folded = fold_arabic(text)
    assert " ".join(words) == folded
    assert stem_folded(folded) == reference_stem_folded(folded)


def test_the_word_by_word_search_form_over_every_code_point():
    """Runs of 128 consecutive code points, folded, with spaces and between Arabic words: the same form."""
    points = [chr(code) for code in range(sys.maxunicode + 1) if not 0xD800 <= code <= 0xDFFF]
    for start in range(0, len(points), 128):
        block = points[start:start + 128]
        for text in (" ".join(block), "ab" + "ج د".join(block), "ﷺ ".join(block)):
            folded = fold_arabic(text)
            assert stem_folded(folded) == reference_stem_folded(folded), hex(ord(block[0]))


def test_printable_text_holds_no_invisible_character_and_no_other_space():
    """clean_text's fast path rests on this: str.isprintable() excludes what it must remove or collapse."""
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        if char.isprintable():
            assert char not in _INVISIBLE_CHARS and (char == " " or not char.isspace()), hex(code)


def test_every_code_point_alone_and_between_words():
    """Runs of 128 consecutive code points, joined directly and with spaces, against the definitions."""
    points = [chr(code) for code in range(sys.maxunicode + 1) if not 0xD800 <= code <= 0xDFFF]
    for start in range(0, len(points), 128):
        block = points[start:start + 128]
        for text in ("".join(block), " ".join(block), "ab" + "ج د".join(block)):
            assert clean_text(text) == reference_clean_text(text), hex(ord(block[0]))
            assert fold_arabic(text) == reference_fold_arabic(text), hex(ord(block[0]))
