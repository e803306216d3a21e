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
from collections.abc import Iterable

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
# The marks that str.isalnum() counts as letters (tatweel and the small waw and yeh, category Lm): ``fold_words``
# looks for these by name; any other mark in a word makes the word not alphanumeric.
_ALNUM_MARKS = tuple(char for char in f"{_INVISIBLE_CHARS}{_TASHKEEL}{_TATWEEL}" if char.isalnum() or char.isspace())
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
    # str.split() splits on exactly the characters str.isspace() names: \s, &nbsp; and the other
    # Unicode spaces (checked over every code point in the tests).
    text = " ".join(_INVISIBLE.sub("", text).split())
    # An invisible character taken out can bring together marks that NFC orders or composes (e.g. an acute,
    # U+200B, a kasra: NFC puts the kasra first once they touch), so the result is normalized again: cleaning
    # clean text changes nothing (a writer may take text cleaned by a worker as it is; a reparse compares).
    return _nfc(text) if not text.isascii() else text


def folded_variants() -> dict[str, str]:
    """Each character ``fold_arabic`` writes for others, with the characters it writes it for: {"ا": "أإآٱ",
    "ي": "ى", "ه": "ة", "1": "١۱", ...} (what a search may look for in stored, unfolded text)."""
    variants: dict[str, str] = {}
    for char, folded in _FOLD_CHARS:
        variants[folded] = variants.get(folded, "") + char
    return variants


def to_ascii_digits(text: str) -> str:
    return text.translate(DIGITS)


def fold_arabic(text: str) -> str:
    """Comparison form: no tashkeel or tatweel, أ/إ/آ→ا, ى→ي, ة→ه, ASCII digits, punctuation → space."""
    return " ".join(fold_words(text)) if text else ""


def fold_words(text: str) -> list[str]:
    """The words of ``fold_arabic(text)`` (which joins them by one space): for a caller that also wants the
    search form of the text (``stem_words``), so that it is not split into words twice."""
    if not text:
        return []
    ascii_text = text.isascii()
    if not ascii_text:
        text = _nfc(text)
    spaced = _letters_folded(text, ascii_text)
    # The words (\w runs: str.isalnum() characters and "_") joined by one space.
    words = spaced.split()
    if "".join(words).isalnum() and (ascii_text or not any(char in spaced for char in _ALNUM_MARKS)):
        # No mark to take out: every one is either not alphanumeric (so not in these words, and none is a space)
        # or one of _ALNUM_MARKS. Most text has none (a body's ~1,650 characters: the regex scan it replaces
        # cost ~88 K instructions; this test is the isalnum the words needed anyway and three `in` scans).
        return words
    if not ascii_text and _UNFOLDED_MARKS.search(text):
        # Marks: out first, then the fold again, in the rule's order. lower() reads a capital sigma's neighbours,
        # and two of the marks (U+06DE, U+06E9) are not case-ignorable: "a۩Σ" folds to "aς", to "aσ" if lowered
        # with the mark still there.
        spaced = _letters_folded(_UNFOLDED_MARKS.sub("", text), ascii_text)
        words = spaced.split()
        if "".join(words).isalnum():
            return words
    return _WORD.findall(spaced)


def _letters_folded(text: str, ascii_text: bool) -> str:
    """``fold_words``' text before the split: letter variants and digits folded, lower case, punctuation spaced."""
    if not ascii_text:
        for char, folded in _FOLD_CHARS:
            if char in text:
                text = text.replace(char, folded)
    text = text.lower()
    for char in _PUNCTUATION:
        if char in text:
            text = text.replace(char, " ")
    return text


# -- the search form: folding further, then a light stemmer --------------------------------------------
#
# Search folds more than ``fold_arabic`` (which the stored content hashes are made of and so stays as it
# is): presentation forms (ﻻ, ﺍ… as some PDFs and old pages carry them) by NFKC, Persian/Urdu letters
# (ک→ك, ی→ي, ە/ۀ/ھ→ه) and the hamza seats ؤ/ئ → ء, so that مسؤول and مسئول meet. Then each word is
# light-stemmed: Arabic writes و/ف (and), ب/ل/ك (in, for, like) and ال (the) onto the word, and pronoun
# and plural suffixes after it, so بإسرائيل, والحكومة and حكومتها are إسرائيل, حكومة, حكومة with clitics.
# The index and the query go through the same function, so a rare wrong cut (كتاب → تاب) only costs
# precision where two real words collide; a word is never cut below 3 letters (بيت, غزة stay whole).

_SEARCH_FOLDS = (("ک", "ك"), ("ڪ", "ك"), ("ی", "ي"), ("ې", "ي"), ("ە", "ه"), ("ۀ", "ه"), ("ھ", "ه"),
                 ("ؤ", "ء"), ("ئ", "ء"))
# Proclitics: a conjunction (و/ف) and a preposition (ب/ل/ك) before a word, the article ال between them and
# the word (للحكومة = ل + الحكومة, its alef dropped). These letters are cut greedily from the front while 3
# letters remain — also when they belong to the word itself (فلسطين → سطين): a bare word and the same word
# with clitics then always meet (وبفلسطين, الفلسطينية, فلسطيني → سطين), which a cut that tried to tell a
# clitic from a root letter without a lexicon could not promise.
_CLITICS = frozenset("وفبلك")
# Suffixes, at most one of each group in turn (after ة→ه folding): a pronoun (ها, هم, ...; ه and ي too, which
# also take a folded ta marbuta and a nisba ending), then a plural or nisba ending, then a ta marbuta left as
# ت before a pronoun: حكومتها → حكومت → حكوم = حكومة → حكومه → حكوم; الفلسطينيين → سطين = فلسطيني.
_SUFFIXES = (("كما", "هما", "ها", "هم", "هن", "كم", "كن", "نا", "ه", "ي"), ("يين", "ات", "ون", "ين", "ان", "يه"),
             ("ت", "ي"))
_MIN_STEM = 3
_STEM_CACHE_SIZE = 200_000


class _StemCache(dict):
    """word → stem; a miss computes it (``map(cache.__getitem__, words)`` stays in C for the hits)."""

    def __missing__(self, word: str) -> str:
        if len(self) >= _STEM_CACHE_SIZE:
            self.clear()
        stem = self[word] = _stem(word)
        return stem


_STEMS = _StemCache()


def light_stem(word: str) -> str:
    """The stem of one folded word (``fold_search`` form): proclitics and suffixes off, never below 3 letters."""
    return _STEMS[word]


def _stem(word: str) -> str:
    stem = word
    if len(stem) > _MIN_STEM and not stem.isascii():
        stem = _strip_prefixes(stem)
        for group in _SUFFIXES:
            for suffix in group:
                if stem.endswith(suffix) and len(stem) - len(suffix) >= _MIN_STEM:
                    stem = stem[: -len(suffix)]
                    break
    return stem


def _strip_prefixes(word: str) -> str:
    word = _strip_clitics(word)
    if word.startswith("ال") and len(word) - 2 >= _MIN_STEM:
        word = _strip_clitics(word[2:])
    return word


def _strip_clitics(word: str) -> str:
    start = 0
    while len(word) - start > _MIN_STEM and word[start] in _CLITICS:
        start += 1
    return word[start:]


def fold_search(folded: str) -> str:
    """``fold_arabic`` text folded further for search (NFKC, Persian/Urdu letters, ؤ/ئ → ء)."""
    if folded.isascii():
        return folded
    if not unicodedata.is_normalized("NFKC", folded):
        folded = fold_arabic(unicodedata.normalize("NFKC", folded))
    # A str.replace per letter present (C-speed passes, as in fold_arabic): str.translate's per-character
    # table lookup cost ~140 µs on an article body. No rule produces a letter another rule reads.
    for char, replacement in _SEARCH_FOLDS:
        if char in folded:
            folded = folded.replace(char, replacement)
    return folded


class _WordForms(dict):
    """``fold_arabic`` word → its search form: ``fold_search`` of the word, then ``light_stem`` of each word that
    makes — one as a rule; NFKC may make several (ﷺ) or none. A miss computes it, as ``_StemCache``."""

    def __missing__(self, word: str) -> str:
        if len(self) >= _STEM_CACHE_SIZE:
            self.clear()
        form = self[word] = " ".join(map(_STEMS.__getitem__, fold_search(word).split()))
        return form


_FORMS = _WordForms()


def stem_folded(folded: str) -> str:
    """The search form of an already ``fold_arabic``-folded text: ``fold_search``, then ``light_stem`` per word."""
    return stem_words(folded.split())


def stem_words(words: Iterable[str]) -> str:
    """``stem_folded`` of a folded text given as its words (``fold_words``), word by word: ``fold_search``
    changes letters only, and NFKC composes nothing across a space, so the text's form is its words' forms
    in turn (tests/test_text_equivalence.py holds it to the whole-text definition). The per-word cache
    skips ``fold_search``'s passes over the whole body (its NFKC check and a scan per letter rule)."""
    form = " ".join(map(_FORMS.__getitem__, words))
    if "  " in form or form[:1] == " " or form[-1:] == " ":  # a word whose form is empty
        return " ".join(form.split())
    return form


def search_form(text: str) -> str:
    """What the search index holds and a query is matched as: ``stem_folded(fold_arabic(text))``.

    One function for the index and the query (and for Datasette, as a SQLite function)."""
    return stem_folded(fold_arabic(text))


_QUOTED = re.compile(r'"([^"]*)"')


def parse_search(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A user's search text → (search-form words that must all match, folded phrases that must appear word
    for word). Words in double quotes are an exact phrase (``fold_arabic`` only: no stemming)."""
    phrases = tuple(folded for folded in map(fold_arabic, _QUOTED.findall(text)) if folded)
    words = tuple(dict.fromkeys(search_form(_QUOTED.sub(" ", text)).split()))
    return words, phrases
