"""Text normalization: one place for every kind of cleaning.

Two different jobs, never mixed:
- ``clean_text``: what is *stored*. Invisible characters out, whitespace collapsed, NFC; the Arabic
  letters themselves are left exactly as the page wrote them.
- ``fold_arabic``: what is *compared* (hashing, dedupe, search). Letters folded so spelling variants meet.
"""

from __future__ import annotations

import re
import unicodedata

# Arabic-Indic (U+0660..) and Persian/Urdu (U+06F0..) digits → ASCII.
DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")

# Zero-width and bidi controls that pages sprinkle into Arabic text; they carry no meaning.
_INVISIBLE = dict.fromkeys(
    map(ord, "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u00ad"),
    None,
)
_SPACES = re.compile(r"[\s\u00a0\u2000-\u200a\u202f\u205f\u3000]+")

_TASHKEEL = re.compile(r"[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]")
_TATWEEL = "\u0640"
_FOLD_LETTERS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه"})
_FOLD_WORDS = re.compile(r"[^\w]+")


def clean_text(text: str | None) -> str:
    """Stored form: NFC, invisible characters removed, runs of whitespace (incl. &nbsp;) → one space."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE)
    return _SPACES.sub(" ", text).strip()


def to_ascii_digits(text: str) -> str:
    return text.translate(DIGITS)


def fold_arabic(text: str) -> str:
    """Comparison form: no tashkeel or tatweel, أ/إ/آ→ا, ى→ي, ة→ه, ASCII digits, punctuation → space."""
    text = clean_text(text)
    text = _TASHKEEL.sub("", text).replace(_TATWEEL, "")
    text = text.translate(_FOLD_LETTERS).translate(DIGITS).lower()
    return _SPACES.sub(" ", _FOLD_WORDS.sub(" ", text)).strip()
