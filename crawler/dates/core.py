"""What every stage of the date chain shares: the result type, the trace, Umm al-Qura conversion, and
wall times that existed in a zone with DST (``local_wall_time``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone, tzinfo
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

from hijridate import Gregorian, Hijri

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
    """Umm al-Qura ``YYYY-MM-DD`` of a Gregorian date; None outside hijridate's range. (Cached: every date the
    chain reads is converted, ~4 µs by hijridate, and a site's pages share their days.)"""
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
    if type(tz) is ZoneInfo and value.replace(fold=1).utcoffset() == value.utcoffset():
        # Neither in a gap nor in a repeated hour: a ZoneInfo gives a wall time in either the offsets before
        # and after the change, by its fold (PEP 495), and the same offset to both everywhere else (most
        # times: no conversion to UTC and back, ~1.5 µs a date).
        return value, ()
    real = value.astimezone(timezone.utc).astimezone(tz)
    if real.replace(tzinfo=None) != naive.replace(fold=0):
        return real, (f"{naive:%Y-%m-%d %H:%M} did not exist in {tz} (the clocks went forward): "
                      f"read as {real:%H:%M%z}",)
    if value.replace(fold=1).utcoffset() != value.utcoffset():
        return value, (f"{naive:%Y-%m-%d %H:%M} happened twice in {tz} (the clocks went back): "
                       f"the first, at {value:%z}, taken",)
    return value, ()


class _Impossible(Exception):
    """The text holds something shaped like a date that cannot exist: answer None, do not guess."""


@dataclass(slots=True)
class _Context:
    text: str
    normalized: str | None
    base: datetime | None  # the caller's ``now`` (None: the clock), in any zone
    zone: tzinfo
    numeric_calendar: str
    trace: Trace | None
    saw_date_shape: bool = False
    _now: datetime | None = None

    @property
    def now(self) -> datetime:
        """The base of relative dates in ``zone``, made when a stage first asks (only relative and year-less
        dates need it; a page's metadata date, read by the first stages, does not: ~1.5 µs a date)."""
        if self._now is None:
            base = self.base
            if base is None:
                self._now = datetime.now(self.zone)
            else:
                self._now = base.replace(tzinfo=self.zone) if base.tzinfo is None else base.astimezone(self.zone)
        return self._now

    def impossible(self, why: str) -> None:
        self.saw_date_shape = True
        raise _Impossible(why)
