"""Publication dates of pages of unknown sites: the chain's reading of each stage and where to look.

Metadata (JSON-LD, ``article:published_time`` and its kin) → a visible date near the title → a date in the
URL → htmldate; never one after the fetch or before the plausible window, and an absolute date before a
relative one ("قبل 5 ساعات", "vor 2 Stunden").
"""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime, timedelta, timezone

from crawler.dates import ParsedDate, gregorian_to_hijri, parse_date
from crawler.extract.stage import Chain
from crawler.extract.walk import Line

# Eastern Arabic and Persian digits as ASCII: "٢٠٢٠-١٠-٠٧T12:09:00+03:00" is a machine date all the same.
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "0123456789" * 2)
# Before the first news sites went online a page's "date" is a misreading (a founding year, a birth date).
EARLIEST_YEAR = 1995
# A publication date a little after the fetch is a time zone slip; more is a misreading (an event date).
FUTURE_SLACK = timedelta(days=1)


def ascii_digits(text: str) -> str:
    return text.translate(_DIGITS)


def in_window(parsed: ParsedDate, now: datetime, earliest_year: int) -> bool:
    """Not after the fetch (``now``), not before the outlet (or the web) existed."""
    value = parsed.value
    return value.year >= earliest_year and value.astimezone(timezone.utc) <= now + FUTURE_SLACK


_OFFSET = re.compile(r"(?:[T\d]\d:\d\d(?::\d\d(?:\.\d+)?)?)\s*(Z|[+-]\d\d:?\d\d)$")


def keep_offset(parsed: ParsedDate, raw: str) -> ParsedDate:
    """The date in the offset the page wrote it with: "2022-05-03T21:36:00-03:00" is May 3rd where it was
    published, though May 4th in UTC (the day a reader of the page saw)."""
    match = _OFFSET.search(raw)
    if not match or not parsed.has_time:
        return parsed
    offset = match.group(1)
    if offset == "Z":
        tz = timezone.utc
    else:
        sign = -1 if offset[0] == "-" else 1
        digits = offset[1:].replace(":", "")
        tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    value = parsed.value.astimezone(tz)
    if value.utcoffset() == parsed.value.utcoffset():
        return parsed
    return dataclasses.replace(parsed, value=value, hijri=gregorian_to_hijri(value.date()))


class DateChain(Chain):
    """The first plausible absolute date of the stages tried; a relative one only when nothing else is
    (kept in ``relative``)."""

    def __init__(self, tz: str, now: datetime, earliest_year: int):
        super().__init__()
        self.tz, self.now, self.earliest_year = tz, now, earliest_year

    @property
    def relative(self) -> tuple[str, ParsedDate] | None:
        return self.deferred

    def read(self, raw) -> ParsedDate | None:
        if not raw or not isinstance(raw, str) or len(raw) > 200:
            return None
        raw = ascii_digits(raw.strip())
        parsed = parse_date(raw, tz=self.tz)
        if parsed is None or not in_window(parsed, self.now, self.earliest_year):
            return None
        return keep_offset(parsed, raw)

    def first_date(self, stages) -> tuple[str, ParsedDate] | None:
        return self.find(stages, self.read, defer=lambda parsed: parsed.calendar == "relative")


# Publication dates under other names than article:published_time (Dublin Core, Parse.ly, Sailthru, …).
META_DATE_KEYS = ("article:published_time", "og:published_time", "article:published", "datepublished",
                  "publishdate", "publish-date", "pubdate", "date", "dc.date", "dc.date.issued", "dcterms.date",
                  "dcterms.created", "parsely-pub-date", "sailthru.date", "article.published", "published_time",
                  "created", "dc.date.created", "citation_publication_date", "originalpublicationdate")


def meta_date(meta: dict[str, str]) -> str:
    return next((meta[key] for key in META_DATE_KEYS if meta.get(key, "").strip()), "")


# Dates in URLs, most specific first:
#   /story/2020/8/24/slug, /2020/08/24/, /2020-08-24/   year, month, day as path parts
#   /2024/0424/c1001-…                                 year / month+day
#   /202003171044893040-slug, /20200824-slug.html       year+month+day glued to an id or a slug
_URL_DATES = (
    re.compile(r"/((?:19|20)\d\d)[/_.-](0?[1-9]|1[0-2])[/_.-](0?[1-9]|[12]\d|3[01])(?=[/_.-]|$)"),
    re.compile(r"/((?:19|20)\d\d)/(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?=/)"),
    re.compile(r"[/_-]((?:19|20)\d\d)(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?=\d{0,14}(?:[/_.-]|$))"),
)


# An archived copy's URL holds the archive's capture time first: the page's own URL follows it
# (https://web.archive.org/web/20110106023242/http://dzs-clan.de/… was captured in 2011, not written then).
_ARCHIVED = re.compile(r"^https?://(?:web\.)?archive\.org/web/\d+[a-z_]*/", re.I)


def url_date(url: str) -> str:
    """``YYYY-MM-DD`` of the first date pattern the URL's path holds, else ""."""
    url = _ARCHIVED.sub("", url)
    path = url.split("?", 1)[0].split("#", 1)[0]
    path = path.split("://", 1)[-1]
    path = path[path.find("/"):] if "/" in path else ""
    for pattern in _URL_DATES:
        match = pattern.search(path)
        if match:
            year, month, day = map(int, match.groups())
            try:
                return datetime(year, month, day).date().isoformat()
            except ValueError:
                continue
    return ""


def visible_dates(lines: list[Line], title_index: int, body_start: int) -> list[str]:
    """Short lines just above the title and between it and the body (where pages print the date)."""
    if title_index < 0:
        return []
    end = body_start if body_start > title_index else title_index + 8
    end = min(end, title_index + 12, len(lines))
    out = []
    for index in [*range(max(0, title_index - 3), title_index), *range(title_index + 1, end)]:
        text = lines[index].text
        if text and len(text) <= 80 and any(ch.isdigit() for ch in text) and not lines[index].chrome:
            out.append(text)
    return out


def htmldate_date(markup: str, url: str, now: datetime) -> str:
    """htmldate's reading (original date, extensive search): the last resort, a second parse of the page."""
    try:
        from htmldate import find_date

        return find_date(markup, url=url, original_date=True, extensive_search=True,
                         max_date=now.strftime("%Y-%m-%d")) or ""
    except Exception:  # htmldate on hostile markup: no date rather than a crash
        return ""
