"""Stage 4: relative dates against ``now``: ``منذ 3 ساعات``, ``منذ يومين``, ``أمس``, ``اليوم 10:30``."""

from __future__ import annotations

from calendar import monthrange
from datetime import datetime, timedelta, timezone, tzinfo

from crawler.dates.arabic import _localize, _nearest_time, _time_hits
from crawler.dates.core import ParsedDate, _Context, _make, gregorian_to_hijri
from crawler.dates.names import _L, _R, LazyPattern, _alternation, normalize

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
_AGO = LazyPattern(rf"{_L}(?:منذ|قبل)\s*(?P<amounts>{_AMOUNTS})(?!\s*\d)")
_ONLY_AMOUNTS = LazyPattern(rf"\s*(?P<amounts>{_AMOUNTS})\s*")  # `يومين`, `1 عام, 1 شهر, 1 يوم`
_EACH_AMOUNT = LazyPattern(_AMOUNT)
_DAY_WORD = LazyPattern(rf"{_L}(?:{_alternation(_DAY_WORDS)}){_R}")


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
