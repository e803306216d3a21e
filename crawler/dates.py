"""Arabic news dates → timezone-aware datetimes, with the Umm al-Qura Hijri date alongside.

``parse_date`` runs an ordered chain, cheapest first; the first stage that reads the text wins:

1. ``site``      the site's own timestamp, one regex (the hot path): ``2016-02-19 11:15:08 PM``
2. ``iso``       ISO 8601 from metadata: ``2024-04-29T10:15:00+03:00``, ``2024-04-29``, ``20240429``;
                 Unix time ``1714374900``
3. ``arabic``    our own reader over normalized text (digits → ASCII, letters folded once): month
                 names of every family, numeric dates, Hijri dates, times, ص/م, الموافق pairs:
                 ``الخميس 5 مارس 2026 09:46 صـ 16 رمضان 1447 هـ``
4. ``relative``  ``منذ 3 ساعات``, ``أمس``, ``اليوم`` against ``now``
5. ``dateparser`` last and only when stages 3–4 saw nothing date-like (it costs ~1–10 ms a call).

A string that *looks* like a date but is impossible (``31 شباط 2024``, ``2024-05-01 25:99``)
gives None at once; it never falls through to dateparser, which would guess. What was assumed
(month-first, first of the month, a 29-day Hijri month's "30th") is said in ``ParsedDate.notes``;
``explain_date`` (``arshif date --explain``) shows every stage tried.
"""

from __future__ import annotations

import re
import unicodedata
from calendar import monthrange
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

from hijridate import Gregorian, Hijri

from crawler.text import DIGITS, clean_text, fold_arabic, to_ascii_digits

DEFAULT_TZ = "Asia/Hebron"

Calendar = Literal["gregorian", "hijri", "relative"]


@dataclass(frozen=True, slots=True)
class ParsedDate:
    value: datetime  # timezone-aware, in the requested tz; midnight when the text has no time
    has_time: bool
    hijri: str | None  # Umm al-Qura YYYY-MM-DD of value's local date (None outside 1924-2077)
    calendar: Calendar  # the calendar the text was written in
    raw: str
    conflict: bool = False  # a Hijri/Gregorian pair (الموافق) that differs by more than one day
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        data = asdict(self)
        data["value"] = self.value.isoformat()
        data["notes"] = list(self.notes)
        return data


@dataclass(slots=True)
class Trace:
    """What ``explain_date`` reports: the normalized text, each stage tried, the one that read it."""

    text: str
    normalized: str = ""
    stages: list[tuple[str, str]] = field(default_factory=list)  # (stage, outcome)
    stage: str | None = None
    result: ParsedDate | None = None

    def note(self, stage: str, outcome: str) -> None:
        self.stages.append((stage, outcome))

    def to_dict(self) -> dict:
        return {
            "text": self.text,
            "normalized": self.normalized,
            "stages": [{"stage": s, "outcome": o} for s, o in self.stages],
            "read_by": self.stage,
            "result": self.result.to_dict() if self.result else None,
        }


# ---------------------------------------------------------------------------------------------
# Hijri ⇄ Gregorian (Umm al-Qura via hijridate: 1343-1500 AH = 1924-08-01 .. 2077-11-16)

HIJRI_YEARS = range(1343, 1501)


@lru_cache(maxsize=8192)
def gregorian_to_hijri(d: date) -> str | None:
    """Umm al-Qura ``YYYY-MM-DD`` of a Gregorian date; None outside hijridate's range."""
    try:
        return Gregorian(d.year, d.month, d.day).to_hijri().isoformat()
    except (ValueError, OverflowError):
        return None


@lru_cache(maxsize=8192)
def hijri_to_gregorian(year: int, month: int, day: int) -> date:
    """Gregorian date of an Umm al-Qura Hijri date; ValueError when it does not exist or is out of range."""
    try:
        return Hijri(year, month, day).to_gregorian()
    except OverflowError as exc:
        raise ValueError(str(exc)) from exc


@lru_cache(maxsize=64)
def _zone(name: str) -> tzinfo:
    return ZoneInfo(name)


def _make(value: datetime, has_time: bool, calendar: Calendar, raw: str, tz: tzinfo,
          conflict: bool = False, notes: tuple[str, ...] = ()) -> ParsedDate:
    if value.tzinfo is None:
        value, wall_notes = local_wall_time(value, tz)
        notes += wall_notes
    else:
        value = value.astimezone(tz)
    return ParsedDate(value, has_time, gregorian_to_hijri(value.date()), calendar, raw, conflict, notes)


def local_wall_time(naive: datetime, tz: tzinfo) -> tuple[datetime, tuple[str, ...]]:
    """A wall time printed without an offset → an aware datetime whose wall time existed in ``tz``.

    Asia/Hebron moves its clocks every spring and autumn (on dates that change from year to year: 2024
    from 02:00 on 20 April, back from 02:00 to 01:00 on 26 October). Two wall times need a decision:

    - **the spring gap**: ``2024-04-20 02:30`` was never shown by a clock there (02:00 became 03:00).
      It is read as the instant it can only mean, at the offset before the change (00:30 UTC), and
      stored as the wall time that existed then, ``03:30+03:00``, with a note. (A bare day whose midnight
      fell in a gap, 2014-03-28 for one, becomes 01:00 the same way.)
    - **the repeated autumn hour**: ``2024-10-26 01:30`` happened twice (+03:00, then +02:00). The first
      (summer time, the earlier instant; Python's ``fold=0``) is taken, with a note: a page stamped in that
      hour is as likely from either, and taking the earlier one keeps the choice the same every time.
    """
    value = naive.replace(tzinfo=tz, fold=0)
    real = value.astimezone(timezone.utc).astimezone(tz)
    if real.replace(tzinfo=None) != naive.replace(fold=0):
        return real, (f"{naive:%Y-%m-%d %H:%M} did not exist in {tz} (the clocks went forward): "
                      f"read as {real:%H:%M%z}",)
    if value.replace(fold=1).utcoffset() != value.utcoffset():
        return value, (f"{naive:%Y-%m-%d %H:%M} happened twice in {tz} (the clocks went back): "
                       f"the first, at {value:%z}, taken",)
    return value, ()


# ---------------------------------------------------------------------------------------------
# Stages 1 and 2: machine-written timestamps


# `2016-02-19 11:15:08 PM` – the site's timestamp line under every title.
_SITE = re.compile(r"\s*(\d{4})-(\d\d)-(\d\d) (\d\d?):(\d\d):(\d\d) ?([AaPp])[Mm]\s*")
# `2024-04-29T10:15:00+03:00`, `2024-04-29 10:15:00Z`, `2024-04-29`, `2024-04-29T10:15:00.123`, `20240429T1015`
_ISO = re.compile(
    r"\s*\d{4}(-?)\d\d\1\d\d(?:[T ]\d\d(:?)\d\d(?:\2\d\d(?:[.,]\d+)?)?(?:Z|[+-]\d\d(?::?\d\d)?)?)?\s*"
)
# `1714374900` (or in ms): a Unix time in metadata, UTC; only 2001-2286 (ten digits) so ids are not read
_EPOCH = re.compile(r"\s*(\d{10})(\d{3})?\s*")


def _read_site(text: str, tz: tzinfo, ctx: _Context) -> ParsedDate | None:
    m = _SITE.fullmatch(text)
    if m is None:
        return None
    hour = int(m[4])
    if not 1 <= hour <= 12:  # `13:05:00 PM`: not this format; the Arabic reader takes it as 24-hour
        return None
    hour = hour % 12 + (12 if m[7] in "Pp" else 0)
    try:
        value = datetime(int(m[1]), int(m[2]), int(m[3]), hour, int(m[5]), int(m[6]))
    except ValueError:
        return ctx.impossible("no such date or time")
    return _make(value, True, "gregorian", text, tz)


def _read_iso(text: str, tz: tzinfo, ctx: _Context) -> ParsedDate | None:
    if _ISO.fullmatch(text) is None:
        epoch = _EPOCH.fullmatch(text)
        if epoch is None:
            return None
        value = datetime.fromtimestamp(int(epoch[1]) + int(epoch[2] or 0) / 1000, timezone.utc)
        return _make(value, True, "gregorian", text, tz)
    stripped = text.strip()
    try:
        value = datetime.fromisoformat(stripped)
    except ValueError:
        return ctx.impossible("no such date or time")
    return _make(value, len(stripped) > 10, "gregorian", text, tz)  # longer than a date: it has a time


# ---------------------------------------------------------------------------------------------
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
_MONTH = rf"{_L}(?:{_alternation(list(GREGORIAN_MONTHS) + list(HIJRI_MONTHS))}){_R}"
# `آب/أغسطس`, `كانون الثاني / يناير`, `يوليو/ تموز`, `آذار (مارس)`, `أغسطس-آب`
_MONTHS = rf"(?P<{{0}}1>{_MONTH})(?:\s*[/(\-]\s*(?P<{{0}}2>{_MONTH})\s*\)?)?"
_DAY = r"(?<![\d:.])(?P<{0}d>\d{{1,2}})(?:st|nd|rd|th|er)?(?![\d:])"
_YEAR = r"(?P<{0}y>\d{{4}})(?!\d)"
_PUNCT = r"\s*(?:[,،/\-.|–—]\s*)?"
# An era marker right after a year: `2024م`, `2019 مـ`, `1429هـ`, `1446 هجري`.
_ERA = r"(?:\s*(?P<{0}era>م|ميلادي|ميلاديه|ه|هجري|هجريه|ah|ad){R})?".replace("{R}", _R)

# Two groups by first character, so that the engine gives up on most positions after one check.
_DIGIT_LED = "|".join([
    # `29 نيسان 2024`, `02 آب/أغسطس 2015`, `25th, November 2025`, `05/February/2018`, `5 من فبراير 2018`
    rf"{_DAY.format('a')}{_PUNCT}(?:(?:of|de|من)\s+)?{_MONTHS.format('am')}"
    rf"{_PUNCT}{_YEAR.format('a')}{_ERA.format('a')}",
    # `31 شباط` with no year: recognised so that it is refused, never guessed
    rf"{_DAY.format('e')}{_PUNCT}{_MONTHS.format('em')}",
    # `2016-12-20`, `2016/12/20`: year first
    r"(?P<fy>\d{4})\s*(?P<fs>[/\-.])\s*(?P<fm>\d{1,2})\s*(?P=fs)\s*(?P<fd>\d{1,2})(?![\d:])" + _ERA.format("f"),
    # `14 / 7 / 2025م`, `23-9-2023`, `20-02-1430 هـ`, `11/28/2017`, `30-02-33`: day first unless impossible
    r"(?P<nd>\d{1,2})\s*(?P<ns>[/\-.])\s*(?P<nm>\d{1,2})\s*(?P=ns)\s*(?P<ny>\d{4}|\d\d)(?![\d:])" + _ERA.format("n"),
    # `01 02 2026` (almanar): spaces only, four-digit year
    r"(?P<sd>\d{1,2}) (?P<sm>\d{1,2}) (?P<sy>\d{4})(?![\d:])" + _ERA.format("s"),
])
_LETTER_LED = "|".join([
    # `غرة رمضان 1445 هـ`: غرة is the first day
    rf"(?P<ag>غره)\s*{_MONTHS.format('gm')}{_PUNCT}{_YEAR.format('g')}{_ERA.format('g')}",
    # `November 25, 2025`, `مارس 5، 2024`; or month and year only, `تشرين الثاني (نوفمبر) 2022`
    # (the first of the month, with a note)
    rf"{_MONTHS.format('bm')}(?:\s*{_DAY.format('b')}{_PUNCT}{_YEAR.format('b')}{_ERA.format('b')}"
    rf"|{_PUNCT}{_YEAR.format('c')}{_ERA.format('c')})",
])
_DATE = re.compile(rf"(?<![\d:.])(?=\d)(?:{_DIGIT_LED})|{_L}(?=[^\W\d_])(?:{_LETTER_LED})")

_DAY_BEFORE = re.compile(r"(?:\d|of|de|من)\s*[,،]?\s*$")

_AMPM = {
    "am": "am", "a.m.": "am", "a.m": "am", "ص": "am", "صباحا": "am", "صباح": "am", "فجرا": "am",
    "pm": "pm", "p.m.": "pm", "p.m": "pm", "م": "pm", "مساء": "pm", "مسا": "pm", "عصرا": "pm",
    "ظهرا": "noon", "الظهر": "noon", "ليلا": "night",
}
_TZ_ALT = _alternation(TIME_ZONES)
_TIME = re.compile(
    rf"(?:{_L}(?P<tzb>{_TZ_ALT})\s+)?"  # `بيروت 10:56`
    r"(?<![\d:.])(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,]\d+)?)?(?![\d:])"
    r"(?:\s*(?P<off>z|[+-]\d\d:?\d\d)(?![\d:]))?"
    rf"(?:\s*(?P<ap>a\.m\.?|p\.m\.?|{_alternation([k for k in _AMPM if '.' not in k])}){_R})?"
    rf"(?:\s*\(?\s*(?:ب?توقيت\s*)?(?P<tza>{_TZ_ALT}){_R}\s*\)?)?"  # `(مكة المكرمة)`, `بتوقيت غرينتش`
    # `الساعة 10 صباحا`: an hour with no minutes only after الساعة and before a spelled-out marker
    rf"|{_L}الساعه\s*(?P<hh>\d{{1,2}})(?![\d:])\s*(?P<hap>صباحا|مساء|ظهرا|عصرا|ليلا|فجرا|am|pm){_R}"
)
_WEEKDAY = re.compile(rf"{_L}(?:{_alternation(WEEKDAYS)}){_R}")


class _Impossible(Exception):
    """The text holds something shaped like a date that cannot exist: answer None, do not guess."""


@dataclass(slots=True)
class _Context:
    text: str
    normalized: str | None
    now: datetime
    numeric_calendar: str
    trace: Trace | None
    saw_date_shape: bool = False

    def impossible(self, why: str) -> None:
        self.saw_date_shape = True
        raise _Impossible(why)


@dataclass(slots=True)
class _DateHit:
    start: int
    end: int
    calendar: str  # gregorian | hijri
    year: int
    month: int
    day: int
    notes: tuple[str, ...] = ()
    swap_ok: bool = False  # numeric day/month both ≤ 12: the weekday may say month-first


def _month(name: str) -> tuple[str, int]:
    return _MONTH_NUMBERS[_key(name)]


def _two_digit_year(yy: int, calendar: str, ctx: _Context) -> int:
    """`33` → 1433 (Hijri) or 2033/1933 (Gregorian): the latest century not in the future."""
    if calendar == "hijri":
        current = int((gregorian_to_hijri(ctx.now.date()) or "1450")[:4])
    else:
        current = ctx.now.year
    century = current - current % 100
    year = century + yy
    return year if year <= current + 1 else year - 100


def _era_calendar(era: str | None) -> str | None:
    if not era:
        return None
    return "hijri" if era in ("ه", "هجري", "هجريه", "ah") else "gregorian"


def _date_hits(norm: str, ctx: _Context) -> list[_DateHit]:
    hits = []
    for m in _DATE.finditer(norm):
        g = m.groupdict()
        notes: tuple[str, ...] = ()
        swap_ok = False
        if g["am1"] or g["bm1"] or g["gm1"]:
            p = "a" if g["am1"] else "g" if g["gm1"] else "b" if g["by"] else "c"
            names = (g["am1"], g["am2"]) if g["am1"] else (g["gm1"], g["gm2"]) if g["gm1"] else (g["bm1"], g["bm2"])
            calendar, month = _month(names[0])
            if names[1] and _month(names[1]) != (calendar, month):
                notes += (f"dual month names disagree ({names[0]} / {names[1]}): first kept",)
            year = int(g[p + "y"])
            if p == "c":
                if _DAY_BEFORE.search(norm, 0, m.start()):  # `الخامس من فبراير 2018`: a day we cannot read
                    if ctx.trace is not None:
                        ctx.trace.note("arabic", f"month and year after an unread day: {m[0]!r}")
                    continue
                day = 1
                notes += ("no day in the text: first of the month",)
            else:
                day = 1 if p == "g" else int(g[p + "d"])
            era = _era_calendar(g[p + "era"])
            if era and era != calendar:
                notes += (f"era marker {g[p + 'era']} does not fit a {calendar} month name",)
            if calendar == "gregorian" and year < HIJRI_YEARS.stop:
                # `5 مارس 1445`: a Hijri-range year under a Gregorian month name is no news date (a Hijri
                # year with the wrong month, or a typo); reading it as the year 1445 would store local
                # mean time of the 15th century. No value, not a guess.
                ctx.saw_date_shape = True
                if ctx.trace is not None:
                    ctx.trace.note("arabic", f"year {year} with a Gregorian month name: not a news date {m[0]!r}")
                continue
        elif g["em1"]:
            ctx.saw_date_shape = True
            if ctx.trace is not None:
                ctx.trace.note("arabic", f"day and month without a year: {m[0]!r} (not guessed)")
            continue
        else:
            p = "f" if g["fy"] else "n" if g["nd"] else "s"
            era = _era_calendar(g[p + "era"])
            a, b, y = (int(g[p + "d"]), int(g[p + "m"]), g[p + "y"])
            year = int(y)
            if era:
                calendar = era
            elif year in HIJRI_YEARS or (len(y) == 2 and ctx.numeric_calendar == "hijri"):
                # No Gregorian news date is printed with a year of 1343-1500: `4/6/1437 – 13/3/2016`.
                calendar = "hijri"
            else:
                calendar = ctx.numeric_calendar
            if len(y) == 2:
                year = _two_digit_year(year, calendar, ctx)
            day, month = a, b
            if p != "f" and month > 12 and day <= 12:  # `11/28/2017`: day-first is impossible
                day, month = b, a
                notes += ("month-first (day-first is impossible)",)
            swap_ok = p != "f" and a <= 12 and b <= 12 and a != b
        if calendar == "gregorian" and not 1000 <= year < 2200:  # `رقم 1 2 3456`: digits, not a date
            ctx.saw_date_shape = True
            if ctx.trace is not None:
                ctx.trace.note("arabic", f"year {year} is not a plausible Gregorian year: {m[0]!r}")
            continue
        hits.append(_DateHit(m.start(), m.end(), calendar, year, month, day, notes, swap_ok))
    return hits


def _gregorian_of(hit: _DateHit) -> date:
    if hit.calendar == "gregorian":
        return date(hit.year, hit.month, hit.day)
    try:
        return hijri_to_gregorian(hit.year, hit.month, hit.day)
    except ValueError:
        # Hijri months start on a sighting; where Umm al-Qura has 29 days a local calendar may print
        # day 30 (`30-02-1433`): that is the day after the 29th.
        if hit.day != 30:
            raise
        hit.notes += ("day 30 of a 29-day Umm al-Qura month: the day after the 29th",)
        return hijri_to_gregorian(hit.year, hit.month, 29) + timedelta(days=1)


@dataclass(slots=True)
class _TimeHit:
    start: int
    end: int
    hour: int
    minute: int
    second: int
    zone: tzinfo | None
    placeholder: bool = False  # `00:00 م`: a CMS default, not a time


def _time_hits(norm: str) -> list[_TimeHit]:
    hits = []
    for m in _TIME.finditer(norm):
        if m["hh"]:
            hour, minute, second, marker, zone = int(m["hh"]), 0, 0, _AMPM[m["hap"]], None
        else:
            hour, minute, second = int(m["h"]), int(m["mi"]), int(m["s"] or 0)
            marker = _AMPM.get(m["ap"]) if m["ap"] else None
            zone = None
            if m["off"]:
                zone = _offset(m["off"])
            elif m["tza"] or m["tzb"]:
                zone = _zone(_TZ_NAMES[_key(m["tza"] or m["tzb"])])
        placeholder = False
        if marker and hour == 0:  # `الساعة 00:00 م`: there is no hour 0 on a 12-hour clock
            placeholder = minute == 0 and second == 0
        elif marker and hour <= 12:
            hour = _twelve_hour(hour, marker)
        hits.append(_TimeHit(m.start(), m.end(), hour, minute, second, zone, placeholder))
    return hits


def _twelve_hour(hour: int, marker: str) -> int:
    if marker == "am":
        return hour % 12
    if marker == "pm":
        return hour % 12 + 12
    if marker == "noon":  # `12 ظهرا` = 12:00, `2 ظهرا` = 14:00, `11 ظهرا` = 11:00
        return hour if hour >= 11 else hour + 12
    return hour + 12 if 6 <= hour < 12 else hour % 12  # night: `11 ليلا` = 23:00, `2 ليلا` = 02:00


def _offset(text: str) -> tzinfo:
    if text == "z":
        return timezone.utc
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


def _nearest_time(times: list[_TimeHit], hit_start: int, hit_end: int) -> _TimeHit | None:
    """The time closest to the date, after it on a tie: `نشر في 2 مارس 2015 - 11:33 ص | آخر تحديث …`."""
    best, best_distance = None, None
    for t in times:
        distance = t.start - hit_end if t.start >= hit_end else (hit_start - t.end) + 0.5
        if best_distance is None or distance < best_distance:
            best, best_distance = t, distance
    return best


def _localize(day: date, t: _TimeHit | None, tz: tzinfo, ctx: _Context) -> tuple[datetime, bool, tuple[str, ...]]:
    midnight = datetime(day.year, day.month, day.day)
    if t is None:
        value, notes = local_wall_time(midnight, tz)
        return value, False, notes
    if t.placeholder:
        value, notes = local_wall_time(midnight, tz)
        return value, False, ("time 00:00 with ص/م ignored (placeholder)", *notes)
    try:
        naive = datetime.combine(day, time(t.hour, t.minute, t.second))
    except ValueError:
        ctx.impossible(f"no such time {t.hour}:{t.minute:02d}:{t.second:02d}")
    value, notes = local_wall_time(naive, t.zone or tz)
    return value.astimezone(tz), True, notes


def _read_arabic(text: str, tz: tzinfo, ctx: _Context) -> ParsedDate | None:
    norm = ctx.normalized = normalize(text)
    if ctx.trace is not None:
        ctx.trace.normalized = norm
    if _NUMBERS.search(norm) is None:
        return None
    hits = _date_hits(norm, ctx)
    times = _time_hits(norm) if ":" in norm or "الساعه" in norm else []
    if times:
        ctx.saw_date_shape = True
    if not hits:
        return None
    ctx.saw_date_shape = True

    gregorian = next((h for h in hits if h.calendar == "gregorian"), None)
    hijri = next((h for h in hits if h.calendar == "hijri"), None)
    chosen = gregorian or hijri
    try:
        day = _gregorian_of(chosen)
    except ValueError:
        impossible = f"no such {chosen.calendar} date {chosen.year}-{chosen.month:02d}-{chosen.day:02d}"
        if chosen is hijri or hijri is None:
            ctx.impossible(impossible)
        chosen, gregorian = hijri, None  # `31 شباط 2024 الموافق 21 رجب 1445 هـ`: the Hijri half stands
        try:
            day = _gregorian_of(chosen)
        except ValueError:
            ctx.impossible(impossible)
        chosen.notes += (f"{impossible}: the Hijri date read instead",)
    notes = chosen.notes
    if chosen.swap_ok:
        day, notes = _check_weekday(norm, chosen, day, notes)

    conflict = False
    if gregorian and hijri:  # `… 22 نوفمبر 2024 الموافق 20 جمادى الأولى 1446`: Gregorian is kept
        try:
            other = _gregorian_of(hijri)
        except ValueError:
            notes += ("the Hijri date beside it does not exist",)
        else:
            gap = abs((other - day).days)
            if gap > 1:
                conflict = True
                notes += (f"Hijri {hijri.year}-{hijri.month:02d}-{hijri.day:02d} is {other}, {gap} days off",)

    when = _nearest_time(times, chosen.start, chosen.end)
    value, has_time, time_notes = _localize(day, when, tz, ctx)
    return ParsedDate(value, has_time, gregorian_to_hijri(value.date()), chosen.calendar, text,
                      conflict, notes + time_notes)


def _check_weekday(norm: str, hit: _DateHit, day: date, notes: tuple[str, ...]):
    """`الأحد 01 02 2026`: both day-first and month-first exist; a printed weekday may decide."""
    m = _WEEKDAY.search(norm)
    if m is None:
        return day, notes
    weekday = _WEEKDAY_NUMBERS[_key(m[0])]
    if day.weekday() == weekday:
        return day, notes
    try:
        swapped = _gregorian_of(_DateHit(0, 0, hit.calendar, hit.year, hit.day, hit.month))
    except ValueError:
        return day, notes
    if swapped.weekday() == weekday:
        return swapped, notes + ("month-first (the weekday says so)",)
    return day, notes


# ---------------------------------------------------------------------------------------------
# Stage 4: relative dates against `now`: `منذ 3 ساعات`, `منذ يومين`, `أمس`, `اليوم 10:30`

_UNITS = {  # folded word → (timedelta-like unit, count when the word is a dual)
    "ثانيه": ("seconds", 1), "ثواني": ("seconds", 1), "ثوان": ("seconds", 1), "ثانيتين": ("seconds", 2),
    "دقيقه": ("minutes", 1), "دقائق": ("minutes", 1), "دقايق": ("minutes", 1), "دقيقتين": ("minutes", 2),
    "ساعه": ("hours", 1), "ساعات": ("hours", 1), "ساعتين": ("hours", 2),
    "يوم": ("days", 1), "ايام": ("days", 1), "يومين": ("days", 2),
    "اسبوع": ("weeks", 1), "اسابيع": ("weeks", 1), "اسبوعين": ("weeks", 2),
    "شهر": ("months", 1), "اشهر": ("months", 1), "شهور": ("months", 1), "شهرين": ("months", 2),
    "سنه": ("years", 1), "سنوات": ("years", 1), "سنين": ("years", 1), "سنتين": ("years", 2),
    "عام": ("years", 1), "اعوام": ("years", 1), "عامين": ("years", 2),
}
_DAY_WORDS = {  # days back
    "اليوم": 0, "الان": 0, "امس": 1, "يوم امس": 1, "البارحه": 1, "اليوم السابق": 1,
    "اول امس": 2, "اول من امس": 2, "قبل امس": 2,
}
_AMOUNT = rf"(?:(?P<n>\d+)\s*)?(?P<unit>{_alternation(_UNITS)}){_R}"
_AMOUNTS = rf"{_AMOUNT}(?:\s*(?:[,،]|و)\s*{_AMOUNT.replace('?P<n>', '').replace('?P<unit>', '')})*"
# `منذ عام 2011` is "since 2011", not "a year ago": no number may follow.
_AGO = re.compile(rf"{_L}(?:منذ|قبل)\s*(?P<amounts>{_AMOUNTS})(?!\s*\d)")
_ONLY_AMOUNTS = re.compile(rf"\s*(?P<amounts>{_AMOUNTS})\s*")  # `يومين`, `1 عام, 1 شهر, 1 يوم`
_EACH_AMOUNT = re.compile(_AMOUNT)
_DAY_WORD = re.compile(rf"{_L}(?:{_alternation(_DAY_WORDS)}){_R}")


def _read_relative(text: str, tz: tzinfo, ctx: _Context) -> ParsedDate | None:
    norm = ctx.normalized if ctx.normalized is not None else normalize(text)
    m = _AGO.search(norm) or _ONLY_AMOUNTS.fullmatch(norm)
    now = ctx.now
    if m:
        counts = dict.fromkeys(("years", "months", "weeks", "days", "hours", "minutes", "seconds"), 0)
        for amount in _EACH_AMOUNT.finditer(m["amounts"]):
            unit, dual = _UNITS[amount["unit"]]
            counts[unit] += int(amount["n"]) if amount["n"] else dual
        # Calendar units first, on the calendar (`منذ شهر` on 31 March is 28/29 February), then the rest.
        base = _months_back(now, counts.pop("years") * 12 + counts.pop("months"))
        delta = timedelta(**counts)
        if counts["hours"] or counts["minutes"] or counts["seconds"]:
            # an exact instant: subtract in UTC so that a DST change does not shift it
            value = (base.astimezone(timezone.utc) - delta).astimezone(tz).replace(microsecond=0)
            return ParsedDate(value, True, gregorian_to_hijri(value.date()), "relative", text)
        day = (base - delta).date()
        return _make(datetime(day.year, day.month, day.day), False, "relative", text, tz)
    m = _DAY_WORD.search(norm)
    if m is None:
        return None
    back = _DAY_WORDS[_key_spaced(m[0])]
    day = now.date() - timedelta(days=back)
    if m[0] == "الان":
        now = now.replace(microsecond=0)
        return ParsedDate(now, True, gregorian_to_hijri(now.date()), "relative", text)
    times = _time_hits(norm)  # `أمس الساعة 10:30 م`
    value, has_time, notes = _localize(day, _nearest_time(times, m.start(), m.end()), tz, ctx)
    return ParsedDate(value, has_time, gregorian_to_hijri(value.date()), "relative", text, False, notes)


def _key_spaced(words: str) -> str:
    return " ".join(words.split())


def _months_back(moment: datetime, months: int) -> datetime:
    if not months:
        return moment
    year, month = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    return moment.replace(year=year, month=month + 1, day=min(moment.day, monthrange(year, month + 1)[1]))


# ---------------------------------------------------------------------------------------------
# Stage 5: dateparser, last. Built once; Levantine months need the ar-SY locale (one region per
# language is allowed), Maghreb months (جانفي، جويلية) ar-DZ, Moroccan (يوليوز، غشت) ar-MA.

_NUMBERS = re.compile(r"\d+")
_DATEPARSER_LOCALES = (("ar-SY", "en", "fr"), ("ar-DZ",), ("ar-MA",))
_dateparsers: list | None = None


def _get_dateparsers() -> list:
    global _dateparsers
    if _dateparsers is None:
        from dateparser import DateDataParser

        settings = {
            "STRICT_PARSING": True,  # day, month and year all present: no guessed parts
            "DATE_ORDER": "DMY",
            "RETURN_TIME_AS_PERIOD": True,
            "PREFER_DAY_OF_MONTH": "first",
            # Relative forms are ours (against the caller's `now`); dateparser's would count from this
            # base and fall outside the 1900-2100 check below, so it can never answer one.
            "RELATIVE_BASE": datetime(1800, 1, 1),
        }
        _dateparsers = [DateDataParser(locales=list(locales), settings=settings, try_previous_locales=False)
                        for locales in _DATEPARSER_LOCALES]
    return _dateparsers


def _read_dateparser(text: str, tz: tzinfo, ctx: _Context) -> ParsedDate | None:
    if ctx.saw_date_shape:  # an impossible or partial date, or a bare time: dateparser would guess
        return None
    norm = ctx.normalized if ctx.normalized is not None else normalize(text)
    # dateparser is strict here (day, month and year): it needs two numbers (`2018, February 5`) or
    # a compact one (`20180205`); `منذ عام 2011` or `6 دقیقه` would only cost it 1-2 ms to refuse.
    numbers = _NUMBERS.findall(norm)
    if len(norm) > 200 or not (len(numbers) >= 2 or any(len(n) >= 6 for n in numbers)):
        return None
    for parser in _get_dateparsers():
        data = parser.get_date_data(to_ascii_digits(clean_text(text)))
        if data and data.date_obj is not None:
            value = data.date_obj
            if not 1900 <= value.year <= 2100:
                return None
            has_time = data.period == "time"
            if not has_time:
                value = value.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
            return _make(value, has_time, "gregorian", text, tz)
    return None


# ---------------------------------------------------------------------------------------------
# The chain

_STAGES = (
    ("site", _read_site),
    ("iso", _read_iso),
    ("arabic", _read_arabic),
    ("relative", _read_relative),
    ("dateparser", _read_dateparser),
)


def _now_in(now: datetime | None, tz: tzinfo) -> datetime:
    if now is None:
        return datetime.now(tz)
    return now.replace(tzinfo=tz) if now.tzinfo is None else now.astimezone(tz)


def _run(text: str, tz: str, now: datetime | None, numeric_calendar: str, trace: Trace | None) -> ParsedDate | None:
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        zone = _zone(tz)
    except Exception:
        if trace is not None:
            trace.note("chain", f"unknown time zone {tz!r}: {DEFAULT_TZ} used")
        zone = _zone(DEFAULT_TZ)
    ctx = _Context(text, None, _now_in(now, zone), numeric_calendar, trace)
    for name, stage in _STAGES:
        try:
            result = stage(text, zone, ctx)
        except _Impossible as exc:
            if trace is not None:
                trace.note(name, f"impossible: {exc}")
            return None
        except Exception as exc:  # a stage must never take the parse down (hijridate, dateparser …)
            if trace is not None:
                trace.note(name, f"error: {exc!r}")
            continue
        if result is None:
            if trace is not None:
                trace.note(name, "no match")
            continue
        if trace is not None:
            trace.note(name, f"read {result.value.isoformat()}")
            trace.stage, trace.result = name, result
        return result
    return None


def parse_date(text: str, *, tz: str = DEFAULT_TZ, now: datetime | None = None,
               numeric_calendar: Literal["gregorian", "hijri"] = "gregorian") -> ParsedDate | None:
    """Read the date (and time) in ``text``; None when there is none or it is impossible. Never raises.

    ``tz``: the zone of times printed without one, and of the result. ``now``: the base of relative
    dates (naive = in ``tz``). ``numeric_calendar="hijri"``: unmarked numeric dates are Hijri
    (a page known to print Hijri only); a year of 1343-1500 is read as Hijri either way.

    >>> parse_date("2016-02-19 11:15:08 PM").value.isoformat()
    '2016-02-19T23:15:08+02:00'
    """
    try:
        return _run(text, tz, now, numeric_calendar, None)
    except Exception:
        return None


def explain_date(text: str, *, tz: str = DEFAULT_TZ, now: datetime | None = None,
                 numeric_calendar: Literal["gregorian", "hijri"] = "gregorian") -> Trace:
    """``parse_date`` with its working shown: each stage tried, its outcome, and the one that read it."""
    trace = Trace(text)
    try:
        _run(text, tz, now, numeric_calendar, trace)
    except Exception as exc:
        trace.note("chain", f"error: {exc!r}")
        trace.stage = trace.result = None
    return trace


# ---------------------------------------------------------------------------------------------
# The date window of a run or a query (--since/--until): one reader, one rule, for the spider, the
# pipelines, the archive's queries and the CLI.

@dataclass(frozen=True)
class DateWindow:
    """Publication dates from ``since`` to ``until``.

    The rule, everywhere: ``since`` is inclusive, ``until`` is inclusive of what the user wrote — a bare
    day (``--until 2016-02-19``) covers that whole day, a time (``--until '2016-02-19 10:00'``) covers
    that second. Internally ``end`` is the first instant *after* the window (the next local midnight, or
    the second after), so every comparison is ``since <= published < end`` on instants (aware datetimes),
    whatever DST does in between. An article with no date is inside only an unbounded window.
    """

    since: datetime | None = None
    end: datetime | None = None  # exclusive
    tz: str = DEFAULT_TZ

    @classmethod
    def read(cls, since: str | None = None, until: str | None = None, *, tz: str = DEFAULT_TZ) -> DateWindow:
        """The window of two user values, in any form ``parse_date`` reads (``2024-04-29``,
        ``'29 نيسان 2024'``); None or "" leaves that side open. ValueError on a value with no readable
        date (a bound the user gave must not be dropped silently) or on since after until."""
        start = _bound(since, tz)
        end = None
        last = _bound(until, tz)
        if last is not None:
            if last.has_time:
                end = last.value + timedelta(seconds=1)
            else:
                day = last.value.date() + timedelta(days=1)
                end = local_wall_time(datetime(day.year, day.month, day.day), _zone(tz))[0]
        window = cls(start.value if start else None, end, tz)
        if window.since is not None and window.end is not None and window.since >= window.end:
            raise ValueError(f"--since {since} is after --until {until}: the window is empty")
        return window

    @property
    def bounded(self) -> bool:
        return self.since is not None or self.end is not None

    def contains(self, published: datetime | None) -> bool:
        if published is None:
            return not self.bounded
        return (self.since is None or published >= self.since) and (self.end is None or published < self.end)

    def before(self, published: datetime | None) -> bool:
        """Published before the window opens (a newest-first walk can stop there)."""
        return published is not None and self.since is not None and published < self.since

    def after(self, published: datetime | None) -> bool:
        """Published after the window closes (a newest-first walk can skip it)."""
        return published is not None and self.end is not None and published >= self.end

    def local_bounds(self) -> tuple[str | None, str | None]:
        """(since inclusive, end exclusive) as local ISO wall times of ``tz`` (``2016-02-20T00:00:00``), the
        form the archive's ``published_at`` column compares as text."""
        zone = _zone(self.tz)

        def local(value: datetime | None) -> str | None:
            return None if value is None else value.astimezone(zone).replace(tzinfo=None).isoformat(timespec="seconds")

        return local(self.since), local(self.end)


def _bound(text: str | None, tz: str) -> ParsedDate | None:
    if text in (None, ""):
        return None
    parsed = parse_date(str(text), tz=tz)
    if parsed is None:
        raise ValueError(f"cannot read the date {text!r} (try 2024-04-29 or '29 نيسان 2024')")
    return parsed
