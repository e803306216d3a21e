"""Benchmark crawler.dates: the site timestamp (target: median < 20 µs a call) and the mixed real strings
of tests/date_cases.py against dateparser.parse with Arabic locales (target: ≥ 20× faster, ≥ as many correct).

    python bench/bench_dates.py          # prints a markdown table; main() returns it for `make bench`
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
import warnings
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import dateparser  # noqa: E402

from crawler.dates import parse_date  # noqa: E402
from tests.date_cases import ALL, DATEPARSER, ISSUE, SEEN, TZ, DateCase  # noqa: E402

SITE_TIMESTAMP = "2016-02-19 11:15:08 PM"
# Levantine months need ar-SY (dateparser allows one region per language); en for WAFA's English dates.
DATEPARSER_LOCALES = ["ar-SY", "en"]
HEBRON = ZoneInfo(TZ)


def _ours(case: DateCase) -> datetime | None:
    result = parse_date(case.text, tz=TZ, now=case.now, numeric_calendar=case.numeric_calendar)
    return result.value if result else None


def _dateparser_settings(case: DateCase) -> dict:
    return {"RELATIVE_BASE": case.now, "DATE_ORDER": "DMY", "PREFER_DAY_OF_MONTH": "first"}


def _theirs(case: DateCase, settings: dict) -> datetime | None:
    try:
        value = dateparser.parse(case.text, locales=DATEPARSER_LOCALES, settings=settings)
    except Exception:  # dateparser raising is a miss, not a crash of the benchmark
        return None
    if value is None:
        return None
    return value.replace(tzinfo=HEBRON) if value.tzinfo is None else value.astimezone(HEBRON)


def is_correct(case: DateCase, value: datetime | None) -> bool:
    """Same rule for both parsers: None when none is expected; the minute when the text has a time, else the day."""
    if case.expected is None or value is None:
        return case.expected is None and value is None
    expected = datetime.fromisoformat(case.expected).astimezone(HEBRON)
    value = value.astimezone(HEBRON)
    if case.has_time:
        return value.replace(second=0, microsecond=0) == expected.replace(second=0, microsecond=0)
    return value.date() == expected.date()


def _timed(work) -> float:
    """Seconds for one run of ``work``, with the garbage collector off as timeit does (the other side's
    garbage must not be collected on this side's clock)."""
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        work()
        return time.perf_counter() - start
    finally:
        gc.enable()


def site_median_us(batches: int = 60, calls: int = 2000) -> float:
    def batch():
        for _ in range(calls):
            parse_date(SITE_TIMESTAMP)

    return statistics.median(_timed(batch) / calls * 1e6 for _ in range(batches))


def mixed(cases: list[DateCase], rounds: int = 7) -> dict:
    settings = [_dateparser_settings(c) for c in cases]
    ours_times, theirs_times = [], []
    for _ in range(rounds):  # A B A B …: drift in machine load hits both sides alike
        ours_times.append(_timed(lambda: [_ours(case) for case in cases]))
        theirs_times.append(_timed(lambda: [_theirs(case, s) for case, s in zip(cases, settings)]))
    ours_ok = [c for c in cases if is_correct(c, _ours(c))]
    theirs_ok = [c for c, s in zip(cases, settings) if is_correct(c, _theirs(c, s))]
    ours_median, theirs_median = statistics.median(ours_times), statistics.median(theirs_times)
    return {
        "strings": len(cases),
        "ours_us": ours_median / len(cases) * 1e6,
        "theirs_us": theirs_median / len(cases) * 1e6,
        "ratio": theirs_median / ours_median,
        "ours_correct": len(ours_ok),
        "theirs_correct": len(theirs_ok),
        "only_theirs": [c.text for c in theirs_ok if c not in ours_ok],
    }


SETS = {
    "real strings seen on news pages (arabic_dates_seen.tsv)": SEEN,
    "dateparser's own Arabic cases": DATEPARSER,
    "issue 3 forms incl. impossible / no-date strings": ISSUE,
    "all of the above (the mixed set)": ALL,
}


def main() -> str:
    warnings.simplefilter("ignore")
    for case in ALL:  # warm-up: dateparser loads its language data on first use, we fill our caches
        _ours(case)
        _theirs(case, _dateparser_settings(case))
    site = site_median_us()
    lines = [
        "### crawler.dates",
        "",
        f"Site timestamp `{SITE_TIMESTAMP}`: **{site:.1f} µs** median per call (target < 20).",
        "",
        "| strings | n | crawler.dates µs/call | dateparser µs/call | speed-up | correct: ours | correct: dateparser |",
        "|---|---|---|---|---|---|---|",
    ]
    only_theirs = []
    for label, cases in SETS.items():
        r = mixed(cases)
        lines.append(f"| {label} | {r['strings']} | {r['ours_us']:.1f} | {r['theirs_us']:.1f} | {r['ratio']:.0f}× "
                     f"| {r['ours_correct']} | {r['theirs_correct']} |")
        only_theirs = r["only_theirs"]
    lines += ["", "Medians of 7 alternating rounds (A B A B); dateparser.parse with locales ar-SY + en, "
              "DATE_ORDER=DMY.",
              "Correct = None when none is expected, else the minute (text with a time) or the day equals the",
              "hand-worked value in tests/date_cases.py. Targets: speed-up ≥ 20× and at least as many correct."]
    if only_theirs:
        lines += ["", "Read correctly by dateparser only: " + "; ".join(f"`{t}`" for t in only_theirs)]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(main())
