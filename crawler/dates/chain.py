"""The chain: stages 1–2 (machine-written timestamps), 5 (dateparser, last), and ``parse_date`` /
``explain_date`` running them in order."""

from __future__ import annotations

import re
from datetime import datetime, timezone, tzinfo
from typing import Literal

from crawler.dates.arabic import _read_arabic
from crawler.dates.core import DEFAULT_TZ, ParsedDate, Trace, _Context, _Impossible, _make, _zone
from crawler.dates.names import _NUMBERS, normalize
from crawler.dates.relative import _read_relative
from crawler.text import clean_text, to_ascii_digits

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


# Stage 5: dateparser, last. Built once; Levantine months need the ar-SY locale (one region per
# language is allowed), Maghreb months (جانفي، جويلية) ar-DZ, Moroccan (يوليوز، غشت) ar-MA.

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


def _run(text: str, tz: str, now: datetime | None, numeric_calendar: str, trace: Trace | None) -> ParsedDate | None:
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        zone = _zone(tz)
    except Exception:
        if trace is not None:
            trace.note("chain", f"unknown time zone {tz!r}: {DEFAULT_TZ} used")
        zone = _zone(DEFAULT_TZ)
    ctx = _Context(text, None, now, zone, numeric_calendar, trace)
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
