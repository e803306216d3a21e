"""Stage 3, the Arabic reader: month names of every family, numeric dates, Hijri dates, times, ص/م,
الموافق pairs, over text normalized once (``names.normalize``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo

from crawler.dates.core import HIJRI_YEARS, ParsedDate, _Context, _zone, gregorian_to_hijri, hijri_to_gregorian, \
    local_wall_time
from crawler.dates.names import (
    _L, _NUMBERS, _R, _MONTH_NUMBERS, _TZ_NAMES, _WEEKDAY_NUMBERS, GREGORIAN_MONTHS, HIJRI_MONTHS, TIME_ZONES, WEEKDAYS,
    LazyPattern, _alternation, _key, normalize,
)

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
_DATE_SOURCE = rf"(?<![\d:.])(?=\d)(?:{_DIGIT_LED})|{_L}(?=[^\W\d_])(?:{_LETTER_LED})"


# The date pattern (8,000 characters of month alternations, ~11 ms to compile) and the others are compiled when
# a text is first read (LazyPattern): a reparse reads ISO dates from the pages' metadata and never needs them.
_DATE = LazyPattern(_DATE_SOURCE)
_DAY_BEFORE = LazyPattern(r"(?:\d|of|de|من)\s*[,،]?\s*$")

_AMPM = {
    "am": "am", "a.m.": "am", "a.m": "am", "ص": "am", "صباحا": "am", "صباح": "am", "فجرا": "am",
    "pm": "pm", "p.m.": "pm", "p.m": "pm", "م": "pm", "مساء": "pm", "مسا": "pm", "عصرا": "pm",
    "ظهرا": "noon", "الظهر": "noon", "ليلا": "night",
}
_TZ_ALT = _alternation(TIME_ZONES)
_TIME = LazyPattern(
    rf"(?:{_L}(?P<tzb>{_TZ_ALT})\s+)?"  # `بيروت 10:56`
    r"(?<![\d:.])(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,]\d+)?)?(?![\d:])"
    r"(?:\s*(?P<off>z|[+-]\d\d:?\d\d)(?![\d:]))?"
    rf"(?:\s*(?P<ap>a\.m\.?|p\.m\.?|{_alternation([k for k in _AMPM if '.' not in k])}){_R})?"
    rf"(?:\s*\(?\s*(?:ب?توقيت\s*)?(?P<tza>{_TZ_ALT}){_R}\s*\)?)?"  # `(مكة المكرمة)`, `بتوقيت غرينتش`
    # `الساعة 10 صباحا`: an hour with no minutes only after الساعة and before a spelled-out marker
    rf"|{_L}الساعه\s*(?P<hh>\d{{1,2}})(?![\d:])\s*(?P<hap>صباحا|مساء|ظهرا|عصرا|ليلا|فجرا|am|pm){_R}"
)
_WEEKDAY = LazyPattern(rf"{_L}(?:{_alternation(WEEKDAYS)}){_R}")


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
