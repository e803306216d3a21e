"""Text normalization: one place for every kind of cleaning.

Two different jobs, never mixed:
- ``clean_text``: what is *stored*. Invisible characters out, whitespace collapsed, NFC; the Arabic
  letters themselves are left exactly as the page wrote them.
- ``fold_arabic``: what is *compared* (hashing, dedupe, search). Letters folded so spelling variants meet.

Both run on every text line of every page and every stored row, so each skips the work a string does
not need: ASCII needs neither NFC nor the Arabic rules, NFC text is not normalized again (the check is
much cheaper), an already clean line is returned as it is, and character rules run as C-speed regex and
``str.replace`` passes rather than ``str.translate``'s per-character table lookups.
tests/test_text_equivalence.py holds both to their plain definitions.
"""

from __future__ import annotations

import re
import unicodedata

# Arabic-Indic (U+0660..) and Persian/Urdu (U+06F0..) digits → ASCII.
DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")

# Zero-width and bidi controls that pages sprinkle into Arabic text; they carry no meaning.
_INVISIBLE_CHARS = "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u00ad"
_INVISIBLE = re.compile(f"[{_INVISIBLE_CHARS}]")

# Tashkeel (harakat, Quranic marks, superscript alef) and tatweel (ـ): gone in the comparison form,
# with the invisible characters: one regex pass.
_TASHKEEL = "".join(map(chr, (*range(0x0610, 0x061B), *range(0x064B, 0x0660), 0x0670, *range(0x06D6, 0x06EE))))
_TATWEEL = "\u0640"
_UNFOLDED_MARKS = re.compile(f"[{_INVISIBLE_CHARS}{_TASHKEEL}{_TATWEEL}]")
# Letter variants and digits: a str.replace per character present (each a C-speed pass) is several
# times faster than str.translate's per-character table lookup. No rule produces a character another
# rule reads, so applying them in turn equals applying them at once.
_FOLD_CHARS = (*{"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه"}.items(),
               *((chr(digit), chr(ascii_digit)) for digit, ascii_digit in DIGITS.items()))
# The commonest separators of Arabic and Latin text, made spaces before the words are split; any other
# non-word character is left to the \w regex (the path taken when the split leaves one in a word).
_PUNCTUATION = tuple(".,،:;؛!?؟\"'()[]{}<>«»-–—/\\|…*•·%+=&#@$")
_WORD = re.compile(r"\w+")


def _nfc(text: str) -> str:
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def clean_text(text: str | None) -> str:
    """Stored form: NFC, invisible characters removed, runs of whitespace (incl. &nbsp;) → one space."""
    if not text:
        return ""
    if not text.isascii():
        text = _nfc(text)
    # Most lines are already clean. Printable text holds no invisible character (format controls) and no
    # whitespace but the plain space (the others are controls or separators); checked in the tests.
    if text.isprintable() and "  " not in text and text[0] != " " and text[-1] != " ":
        return text
    text = _INVISIBLE.sub("", text)
    # str.split() splits on exactly the characters str.isspace() names: \s, &nbsp; and the other
    # Unicode spaces (checked over every code point in the tests).
    return " ".join(text.split())


def to_ascii_digits(text: str) -> str:
    return text.translate(DIGITS)


def fold_arabic(text: str) -> str:
    """Comparison form: no tashkeel or tatweel, أ/إ/آ→ا, ى→ي, ة→ه, ASCII digits, punctuation → space."""
    if not text:
        return ""
    if not text.isascii():
        text = _nfc(text)
        text = _UNFOLDED_MARKS.sub("", text)
        for char, folded in _FOLD_CHARS:
            if char in text:
                text = text.replace(char, folded)
    text = text.lower()
    for char in _PUNCTUATION:
        if char in text:
            text = text.replace(char, " ")
    # The words (\w runs: str.isalnum() characters and "_") joined by one space.
    words = text.split()
    if "".join(words).isalnum():
        return " ".join(words)
    return " ".join(_WORD.findall(text))
