"""Normalization and the names the Arabic reader knows: months of every family, weekdays, time zones,
and the trie-built alternations that match them."""

from __future__ import annotations

import re
import unicodedata

from crawler.text import DIGITS, clean_text, fold_arabic

# Stage 3: the Arabic reader. Text is normalized once: clean_text, ASCII digits, and every word
# folded with fold_arabic (أ/إ/آ→ا, ى→ي, ة→ه, no tashkeel or tatweel: `صـ`→`ص`, `هـ`→`ه`,
# `مساءً`→`مساء`); punctuation is kept because `/ - . :` carry the structure.

def _letter_folds() -> dict[int, str | None]:
    """text.DIGITS and fold_arabic's letter rules as one str.translate table (derived from fold_arabic,
    so the two cannot drift apart); one pass over the text instead of two."""
    table: dict[int, str | None] = dict(DIGITS)
    for code in [*range(0x41, 0x5B), *range(0xC0, 0xDF), *range(0x0600, 0x0700)]:
        char = chr(code)
        if not (char.isalpha() or unicodedata.category(char) in ("Mn", "Lm")):
            continue  # punctuation and digits: kept here (fold_arabic would make them spaces)
        folded = fold_arabic(char)
        if folded != char and (folded == "" or folded.isalpha()):
            table[code] = folded or None
    return table


_FOLDS = _letter_folds()


def normalize(text: str) -> str:
    """The form the Arabic reader works on: ``'الإثنين  29 نيسان ٢٠٢٤'`` → ``'الاثنين 29 نيسان 2024'``."""
    return clean_text(text).translate(_FOLDS)


def _names(table: dict[int, str]) -> dict[str, int]:
    return {name: number for number, names in table.items() for name in names.split("|")}


# Folded spellings. Levantine | Egyptian/Gulf | Maghreb (Algeria, Tunisia / Morocco) | French | English.
GREGORIAN_MONTHS = _names({
    1: "كانون الثاني|كانون ثاني|يناير|جانفي|janvier|january|jan",
    2: "شباط|فبراير|فبرابر|فيفري|février|fevrier|february|feb",
    3: "اذار|مارس|mars|march|mar",
    4: "نيسان|ابريل|افريل|avril|april|apr",
    5: "ايار|مايو|ماي|mai|may",
    6: "حزيران|يونيو|يونيه|جوان|juin|june|jun",
    7: "تموز|يوليو|يوليه|يوليوز|جويليه|juillet|july|jul",
    8: "اب|اغسطس|اغسطوس|غشت|اوت|août|aout|august|aug",
    9: "ايلول|سبتمبر|شتنبر|septembre|september|sept|sep",
    10: "تشرين الاول|تشرين اول|اكتوبر|اكتوبر|octobre|october|oct",
    11: "تشرين الثاني|تشرين ثاني|نوفمبر|نونبر|novembre|november|nov",
    12: "كانون الاول|كانون اول|ديسمبر|دجنبر|décembre|decembre|december|dec",
})
HIJRI_MONTHS = _names({
    1: "محرم|المحرم",
    2: "صفر",
    3: "ربيع الاول|ربيع اول",
    4: "ربيع الثاني|ربيع ثاني|ربيع الاخر|ربيع اخر",
    5: "جمادي الاولي|جمادي الاول|جمادي اولي|جماد الاول",
    6: "جمادي الثانيه|جمادي الثاني|جمادي الاخره|جمادي الاخر|جمادي ثاني|جماد الثاني",
    7: "رجب",
    8: "شعبان",
    9: "رمضان",
    10: "شوال",
    11: "ذو القعده|ذي القعده",
    12: "ذو الحجه|ذي الحجه",
})
WEEKDAYS = _names({  # datetime.weekday() numbers
    0: "الاثنين|الاتنين|اثنين|monday|lundi",
    1: "الثلاثاء|الثلاثا|ثلاثاء|tuesday|mardi",
    2: "الاربعاء|اربعاء|الاربعا|wednesday|mercredi",
    3: "الخميس|خميس|thursday|jeudi",
    4: "الجمعه|جمعه|friday|vendredi",
    5: "السبت|سبت|saturday|samedi",
    6: "الاحد|احد|sunday|dimanche",
})
# Words after a time naming its zone (`16:25 (مكة المكرمة)`, `بتوقيت غرينتش`, `16:52ت م` = Mecca
# time on SPA wires) or just before it (`بيروت 10:56` on almanar.com.lb).
TIME_ZONES = {
    "غرينتش": "UTC", "غرينيتش": "UTC", "جرينتش": "UTC", "جرينيتش": "UTC", "gmt": "UTC", "utc": "UTC",
    "مكه المكرمه": "Asia/Riyadh", "مكه": "Asia/Riyadh", "ت م": "Asia/Riyadh", "الرياض": "Asia/Riyadh",
    "القدس": "Asia/Jerusalem", "بيروت": "Asia/Beirut", "دمشق": "Asia/Damascus", "القاهره": "Africa/Cairo",
    "بغداد": "Asia/Baghdad", "الدوحه": "Asia/Qatar", "ابوظبي": "Asia/Dubai", "دبي": "Asia/Dubai",
    "الكويت": "Asia/Kuwait",
}


class LazyPattern:
    """``re.compile(source, flags)`` made when first used, then used as the pattern itself:

        _WEEKDAY = LazyPattern(rf"{_L}(?:{_alternation(WEEKDAYS)}){_R}")
        _WEEKDAY.search(text)   # compiled here, once

    Why: the Arabic and relative readers' patterns took ~3-5 ms of every start-up to compile (the date pattern
    alone ~11-18 ms), and a reparse, which reads ISO dates from the pages' metadata, uses none of them. Each
    method asked is kept on the object, so later calls cost what the pattern's own do."""

    def __init__(self, source: str, flags: int = 0) -> None:
        self.source, self.flags = source, flags

    def __getattr__(self, name: str):
        if name.startswith("__"):  # copy, pickle: not a pattern's
            raise AttributeError(name)
        value = getattr(re.compile(self.source, self.flags), name)
        self.__dict__[name] = value
        return value


def _alternation(names) -> str:
    """A regex matching any of ``names``, longest first, built as a trie so that the engine tries one
    branch per letter instead of every name (5x faster on a month list); a space matches any spacing
    (`ذوالقعده`)."""
    trie: dict = {}
    for name in names:
        node = trie
        for char in name:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict) -> str:
        branches = [(r"\s*" if char == " " else re.escape(char)) + build(child)
                    for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(trie)


def _key(name: str) -> str:
    return "".join(name.split())


_MONTH_NUMBERS = {_key(n): ("gregorian", m) for n, m in GREGORIAN_MONTHS.items()}
_MONTH_NUMBERS.update({_key(n): ("hijri", m) for n, m in HIJRI_MONTHS.items()})
_TZ_NAMES = {_key(n): z for n, z in TIME_ZONES.items()}
_WEEKDAY_NUMBERS = {_key(n): d for n, d in WEEKDAYS.items()}

_L = r"(?<![^\W\d_])"  # not inside a word (letters only: `2024م` still splits)
_R = r"(?![^\W\d_])"
_NUMBERS = re.compile(r"\d+")
