"""`arshif date`: read one date string the way the extractor does, optionally showing the stages."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from crawler.cli.base import cli
from crawler.dates import DEFAULT_TZ, explain_date, parse_date
from crawler.errors import NoDateError, UsageError


@cli.command("date")
@click.argument("text", nargs=-1, required=True)
@click.option("--tz", default=DEFAULT_TZ, show_default=True,
              help="Zone of times printed without one, and of the result.")
@click.option("--now", "now_text", metavar="ISO",
              help="Base of relative dates (منذ 3 ساعات); default: the current time.")
@click.option("--hijri-numeric", is_flag=True,
              help="Read unmarked numeric dates as Hijri (pages that print Hijri only).")
@click.option("--explain", is_flag=True, help="Show every stage tried and the one that read the text.")
def date_command(text: tuple[str, ...], tz: str, now_text: str | None, hijri_numeric: bool, explain: bool) -> None:
    """Parse an Arabic (or ISO) date string; print the result as JSON.

    Exits with code 3 when the text holds no readable date.

    \b
    Example:
        arshif date "الخميس 5 مارس 2026 09:46 صـ 16 رمضان 1447 هـ"
        arshif date --explain "2016-02-19 11:15:08 PM"
        arshif date --now 2026-11-29T09:00 "منذ 3 ساعات"
    """
    joined = " ".join(text)
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UsageError(f"unknown time zone {tz!r}") from exc
    now = None
    if now_text:
        try:
            now = datetime.fromisoformat(now_text)
        except ValueError as exc:
            raise UsageError(f"--now is not an ISO date/time: {now_text!r}") from exc
    numeric_calendar = "hijri" if hijri_numeric else "gregorian"
    if explain:
        trace = explain_date(joined, tz=tz, now=now, numeric_calendar=numeric_calendar)
        click.echo(json.dumps(trace.to_dict(), ensure_ascii=False, indent=2))
        result = trace.result
    else:
        result = parse_date(joined, tz=tz, now=now, numeric_calendar=numeric_calendar)
        if result is not None:
            click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    if result is None:
        raise NoDateError(f"no date in {joined!r}")
