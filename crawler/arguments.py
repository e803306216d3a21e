"""A run's arguments, read and checked before anything runs: id ranges, the date window, flags, politeness.

Scrapy-free, so that the CLI, the runner, the distributed seeder and the probe check arguments without
loading Scrapy; the spider reads the same arguments with the same functions (``spiders.base``).

    parse_id_ranges("1-5,9")                       # [(1, 5), (9, 9)]
    politeness("http://127.0.0.1:8000", "auto")    # False: our own loopback mirror
    usable_cores()                                 # 2 on a 2-core machine, 1 under `taskset -c 0`
"""

from __future__ import annotations

import ipaddress
import os
import re
from typing import Any
from urllib.parse import urlsplit

from crawler.dates import DateWindow


class SpiderArgumentError(ValueError):
    pass


def parse_id_ranges(spec: str) -> list[tuple[int, int]]:
    """ "30000-35000" → [(30000, 35000)]; "1-5,9" → [(1, 5), (9, 9)] (inclusive, in the given order)."""
    ranges = []
    for part in filter(None, (p.strip() for p in str(spec).split(","))):
        match = re.fullmatch(r"(\d+)\s*(?:-\s*(\d+))?", part)
        if not match:
            raise SpiderArgumentError(f"bad id range {part!r}: use A-B or A, separated by commas (e.g. 1-5,9)")
        low, high = int(match.group(1)), int(match.group(2) or match.group(1))
        if high < low:
            raise SpiderArgumentError(f"bad id range {part!r}: {high} is below {low}")
        ranges.append((low, high))
    if not ranges:
        raise SpiderArgumentError("no ids given: use e.g. --ids 30000-35000")
    return ranges


def parse_window(since: str | None, until: str | None, *, tz: str) -> DateWindow:
    """``crawler.dates.DateWindow.read``, its error as a spider argument error."""
    try:
        return DateWindow.read(since, until, tz=tz)
    except ValueError as exc:
        raise SpiderArgumentError(str(exc)) from None


def parse_flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def is_loopback(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def politeness(base_url: str, polite: Any) -> bool:
    """On for real sites, off for a loopback base URL (our mirror) unless forced either way."""
    if polite in (None, "", "auto"):
        return not is_loopback(base_url)
    return parse_flag(polite)


def usable_cores() -> int:
    """The cores this process may run on: its CPU affinity (a container's or `taskset`'s share of the machine),
    where the system tells it, else every core (``os.cpu_count``). What ``auto`` counts of processes."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # no affinity on this system (macOS)
        return os.cpu_count() or 1
