"""The date window of a run or a query (--since/--until): one reader, one rule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from crawler.dates.chain import parse_date
from crawler.dates.core import DEFAULT_TZ, ParsedDate, _zone, local_wall_time

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
