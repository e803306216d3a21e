"""crawler.dates: every hand-worked case, the reference data files, the Hijri pairs, the trace and the CLI."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from crawler.cli import main
from crawler.dates import (
    ParsedDate,
    explain_date,
    gregorian_to_hijri,
    hijri_to_gregorian,
    normalize,
    parse_date,
)
from crawler.errors import EXIT_NO_DATE
from tests.date_cases import ALL, DATEPARSER, SEEN, TZ, DateCase

HEBRON = ZoneInfo(TZ)


def _parse(case: DateCase) -> ParsedDate | None:
    return parse_date(case.text, tz=TZ, now=case.now, numeric_calendar=case.numeric_calendar)


@pytest.mark.parametrize("case", ALL, ids=[f"{c.source}:{c.text[:40]}" for c in ALL])
def test_case(case: DateCase):
    result = _parse(case)
    if case.expected is None:
        assert result is None
        return
    assert result is not None
    assert result.value.isoformat() == case.expected
    assert result.value.tzinfo == HEBRON
    assert (result.has_time, result.calendar, result.conflict) == (case.has_time, case.calendar, case.conflict)
    assert result.raw == case.text
    assert result.hijri == gregorian_to_hijri(result.value.date())


# ------------------------------------------------------------------------------------------------
# The reference data files: every string has a hand-worked case, and the cases agree with dateparser's


def _seen_strings(path) -> list[tuple[int, str]]:
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("#") or line.startswith("string\t"):
            continue
        for text in re.findall(r"`([^`]*)`", line.split("\t")[0]):
            found.append((number, text.replace("\\|", "|")))  # `\|` is the markdown escape of `|`
    return found


def test_every_seen_string_has_a_case(reference_data):
    strings = _seen_strings(reference_data / "arabic_dates_seen.tsv")
    assert len(strings) == 39
    cases = {(c.source, c.text) for c in SEEN}
    missing = [(n, s) for n, s in strings if (f"seen:{n}", s) not in cases]
    assert missing == []


def _dateparser_rows(reference_data):
    with open(reference_data / "dateparser_arabic_cases.tsv", encoding="utf-8", newline="") as handle:
        lines = list(enumerate(handle, 1))
    rows = csv.DictReader((line for _, line in lines[1:]), delimiter="\t", quoting=csv.QUOTE_NONE)
    return [(number, row) for (number, _), row in zip(lines[2:], rows)]


def test_every_dateparser_case_has_a_case_that_agrees_with_its_expected_value(reference_data):
    rows = _dateparser_rows(reference_data)
    assert len(rows) == 36
    by_text = {c.text: c for c in DATEPARSER}
    for number, row in rows:
        case = by_text.get(row["input"])
        assert case is not None, (number, row["input"])
        kind = row["kind"]
        if kind == "parse" or kind.startswith("relative"):
            theirs = datetime.fromisoformat(row["expected"])
            ours = datetime.fromisoformat(case.expected).replace(tzinfo=None)
            if case.has_time:
                assert ours == theirs, number
            else:  # day precision: we give midnight where dateparser keeps now's clock time
                assert ours.date() == theirs.date(), number
        elif kind == "search_and_parse":
            first_text, first_value = json.loads(row["expected"])[0]
            assert case.expected.startswith(first_value[:10])
        elif kind == "language_applicable":
            assert (case.expected is not None) == (row["expected"] == "applicable=True")


# ------------------------------------------------------------------------------------------------
# Hijri ⇄ Gregorian: every pair, both ways, and through parse_date

_HIJRI_MONTHS = ["محرم", "صفر", "ربيع الأول", "ربيع الآخر", "جمادى الأولى", "جمادى الآخرة", "رجب", "شعبان",
                 "رمضان", "شوال", "ذو القعدة", "ذو الحجة"]


def _pairs(reference_data):
    folder = reference_data / "hijri_pairs"
    with open(folder / "manifest.tsv", encoding="utf-8") as handle:
        files = [row["file"] for row in csv.DictReader(handle, delimiter="\t")]
    assert len(files) == 3
    pairs = []
    for name in files:
        for entry in json.loads((folder / name).read_text(encoding="utf-8")):
            if entry[-1] is False:  # the manifest: entries whose last element is false are skipped
                continue
            hijri, gregorian = entry[0]
            pairs.append((tuple(hijri), date(*gregorian)))
    return pairs


def test_hijri_pairs_convert_both_ways(reference_data):
    pairs = _pairs(reference_data)
    assert len(pairs) >= 1800
    wrong = []
    for (hy, hm, hd), gregorian in pairs:
        back = gregorian_to_hijri(gregorian)
        if hijri_to_gregorian(hy, hm, hd) != gregorian or back != f"{hy:04d}-{hm:02d}-{hd:02d}":
            wrong.append(((hy, hm, hd), gregorian, back))
    assert wrong == []


def test_hijri_pairs_parse_in_words_and_in_numbers(reference_data):
    wrong = []
    for (hy, hm, hd), gregorian in _pairs(reference_data):
        for text in (f"{hd} {_HIJRI_MONTHS[hm - 1]} {hy} هـ", f"{hd}/{hm}/{hy}هـ"):
            result = parse_date(text)
            if result is None or result.value.date() != gregorian or result.calendar != "hijri":
                wrong.append(text)
    assert wrong == []


def test_hijri_conversion_outside_umm_al_qura_range():
    assert gregorian_to_hijri(date(1900, 1, 1)) is None
    with pytest.raises(ValueError):
        hijri_to_gregorian(1342, 1, 1)
    with pytest.raises(ValueError):
        hijri_to_gregorian(1445, 13, 1)


def test_hijri_field_is_the_umm_al_qura_date_of_the_value():
    assert parse_date("الخميس 5 مارس 2026 09:46 صـ 16 رمضان 1447 هـ").hijri == "1447-09-16"
    assert parse_date("الخميس - 6 محرم 1441 هـ - 05 سبتمبر 2019 مـ").hijri == "1441-01-06"
    assert parse_date("16 ذو القعدة 1429هـ/14-11-2008م 04:32 PM").hijri == "1429-11-16"
    # 12 Sha'ban as printed in Beirut; Umm al-Qura says the 1st of February is the 13th
    assert parse_date("الأحد 01 02 2026 12 شعبان 1447 بيروت 10:56").hijri == "1447-08-13"


# ------------------------------------------------------------------------------------------------
# Details of the API


def test_notes_say_what_was_assumed():
    assert parse_date("تشرين الثاني (نوفمبر) 2022").notes == ("no day in the text: first of the month",)
    assert parse_date("11/28/2017").notes == ("month-first (day-first is impossible)",)
    assert parse_date("الأربعاء 4/3/2024").notes == ("month-first (the weekday says so)",)
    conflict = parse_date("الخميس 7/3/1429 هـ - الموافق 13/3/2008 م")
    assert conflict.conflict and conflict.notes == ("Hijri 1429-03-07 is 2008-03-15, 2 days off",)
    assert "placeholder" in parse_date("09 ابريل 2025 الساعة 00:00 م").notes[0]


def test_result_is_in_the_requested_zone():
    result = parse_date("2024-04-29T10:15:00+03:00", tz="UTC")
    assert result.value.isoformat() == "2024-04-29T07:15:00+00:00"
    assert parse_date("5 تموز 2023 22:15", tz="Africa/Cairo").value.isoformat() == "2023-07-05T22:15:00+03:00"


def test_relative_dates_use_now_in_the_zone_and_an_aware_now_is_converted():
    now = datetime(2026, 11, 29, 7, 0, tzinfo=ZoneInfo("UTC"))  # 09:00 in Hebron
    assert parse_date("منذ 3 ساعات", now=now).value.isoformat() == "2026-11-29T06:00:00+02:00"


def test_unknown_zone_and_non_text_never_raise():
    assert parse_date("2024-04-29", tz="No/Such_Zone").value.isoformat() == "2024-04-29T00:00:00+03:00"
    assert parse_date(None) is None  # type: ignore[arg-type]
    assert parse_date(12345) is None  # type: ignore[arg-type]


def test_normalize_folds_letters_and_digits_but_keeps_punctuation():
    assert normalize("الإثنين  ٢٩/٠٤/۲۰۲۴ صـ مساءً") == "الاثنين 29/04/2024 ص مساء"


def test_dateparser_is_the_last_resort():
    trace = explain_date("2018, February 5")  # year, month, day in English: left to dateparser
    assert [stage for stage, _ in trace.stages] == ["site", "iso", "arabic", "relative", "dateparser"]
    assert trace.stage == "dateparser"
    assert trace.result.value.isoformat() == "2018-02-05T00:00:00+02:00"


def test_impossible_dates_stop_the_chain_before_dateparser():
    trace = explain_date("31 شباط 2024")
    assert trace.stages[-1] == ("arabic", "impossible: no such gregorian date 2024-02-31")
    assert trace.result is None


def test_explain_names_the_stage_that_read_the_text():
    trace = explain_date("2016-02-19 11:15:08 PM")
    assert trace.stage == "site" and trace.stages == [("site", "read 2016-02-19T23:15:08+02:00")]
    data = explain_date("منذ 20 دقيقة", now=datetime(2026, 11, 29, 9, 0)).to_dict()
    assert data["read_by"] == "relative"
    assert data["result"]["value"] == "2026-11-29T08:40:00+02:00"
    assert [s["stage"] for s in data["stages"]] == ["site", "iso", "arabic", "relative"]


# ------------------------------------------------------------------------------------------------
# The CLI


def _run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(["date", *argv])
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


def test_cli_prints_unescaped_json(capsys):
    code, out, _ = _run_cli(capsys, "--now", "2026-11-29T09:00", "الخميس 5 مارس 2026 09:46 صـ 16 رمضان 1447 هـ")
    assert code == 0
    data = json.loads(out)
    assert data["value"] == "2026-03-05T09:46:00+02:00" and data["hijri"] == "1447-09-16"
    assert "رمضان" in out  # not \u-escaped


def test_cli_explain_and_no_date_exit_code(capsys):
    code, out, err = _run_cli(capsys, "--explain", "31", "شباط", "2024")
    assert code == EXIT_NO_DATE == 3
    assert json.loads(out)["read_by"] is None
    assert err.strip().count("\n") == 0 and "no date" in err


def test_cli_hijri_numeric_flag(capsys):
    code, out, _ = _run_cli(capsys, "--hijri-numeric", "10-03-90")
    assert code == 0
    assert json.loads(out)["value"] == "1970-05-16T00:00:00+02:00" and json.loads(out)["calendar"] == "hijri"


def test_cli_rejects_a_bad_zone(capsys):
    code, _, err = _run_cli(capsys, "--tz", "Mars/Olympus", "2024-04-29")
    assert code == 2 and "Mars/Olympus" in err


def test_reference_data_ships_with_the_tests_and_their_licences(reference_data):
    # a bare clone has nothing beside it: the data and its licence notes live in tests/data
    assert reference_data.parent == Path(__file__).resolve().parent
    for name in ("arabic_dates_seen.tsv", "dateparser_arabic_cases.tsv", "hijri_pairs/manifest.tsv",
                 "hijri_pairs/LICENSE.txt", "LICENSE.dateparser.txt", "README.md"):
        assert (reference_data / name).is_file(), name


# ------------------------------------------------------------------------------------------------
# Wall times that existed (issue 10): Asia/Hebron sprang forward at 02:00 on 2024-04-20 and fell back at
# 02:00 → 01:00 on 2024-10-26 (tzdata); in 2014 the spring change was at midnight.

UTC = ZoneInfo("UTC")


@pytest.mark.parametrize("text", ["2024-04-20 02:30:00 AM", "2024-04-20T02:30:00", "20 نيسان 2024 الساعة 02:30"])
def test_a_time_in_the_spring_gap_is_stored_as_the_wall_time_that_existed(text):
    result = parse_date(text)
    assert result.value.isoformat() == "2024-04-20T03:30:00+03:00"  # not 02:30+02:00, which no clock showed
    assert result.value.astimezone(UTC) == datetime(2024, 4, 20, 0, 30, tzinfo=UTC)
    assert any("did not exist" in note for note in result.notes)


def test_a_day_whose_midnight_fell_in_the_gap_starts_at_one():
    result = parse_date("28 آذار 2014")
    assert result.value.isoformat() == "2014-03-28T01:00:00+03:00" and not result.has_time
    assert any("did not exist" in note for note in result.notes)


@pytest.mark.parametrize("text", ["2024-10-26 01:30:00 AM", "2024-10-26T01:30:00", "26 تشرين الأول 2024 01:30"])
def test_the_repeated_autumn_hour_takes_the_first_summer_time_side_and_says_so(text):
    # 02:00+03:00 became 01:00+02:00: 01:30 happened at 22:30 and again at 23:30 UTC
    result = parse_date(text)
    assert result.value.isoformat() == "2024-10-26T01:30:00+03:00"
    assert result.value.astimezone(UTC) == datetime(2024, 10, 25, 22, 30, tzinfo=UTC)
    assert any("happened twice" in note for note in result.notes)


def test_an_explicit_offset_in_the_repeated_hour_keeps_its_instant():
    result = parse_date("2024-10-26T01:30:00+02:00")
    assert result.value.astimezone(UTC) == datetime(2024, 10, 25, 23, 30, tzinfo=UTC)
    assert result.notes == ()


def test_ordinary_times_carry_no_dst_note():
    assert parse_date("2024-04-21 02:30:00 AM").notes == ()
    assert parse_date("2024-10-27T01:30:00").notes == ()


@pytest.mark.parametrize("text", ["5 مارس 1445", "الخميس 5 مارس 1445", "5 March 1445", "مارس 5، 1445", "5 آذار 1445 هـ"])
def test_a_hijri_range_year_with_a_gregorian_month_name_is_no_date(text):
    assert parse_date(text) is None
    trace = explain_date(text)
    assert trace.result is None and "dateparser" not in (trace.stage or "")


def test_a_hijri_month_name_with_its_year_still_reads():
    assert parse_date("5 رمضان 1445").value.date() == date(2024, 3, 15)


# ------------------------------------------------------------------------------------------------
# One date window (--since/--until) for the spider, the pipelines, the archive's queries and the CLI

from crawler.dates import DateWindow  # noqa: E402

HEBRON_TZ = ZoneInfo(TZ)


def test_window_since_is_inclusive_and_a_bare_until_day_covers_the_whole_day():
    window = DateWindow.read("2016-02-19", "2016-02-20")
    first = datetime(2016, 2, 19, tzinfo=HEBRON_TZ)
    assert window.contains(first) and not window.contains(first - timedelta(seconds=1))
    last = datetime(2016, 2, 20, 23, 59, 59, 999999, tzinfo=HEBRON_TZ)
    assert window.contains(last) and not window.contains(datetime(2016, 2, 21, tzinfo=HEBRON_TZ))
    assert window.local_bounds() == ("2016-02-19T00:00:00", "2016-02-21T00:00:00")


def test_window_until_with_a_time_covers_that_second():
    window = DateWindow.read(None, "2016-02-19 10:00:00 AM")
    assert window.contains(datetime(2016, 2, 19, 10, 0, 0, 500000, tzinfo=HEBRON_TZ))
    assert not window.contains(datetime(2016, 2, 19, 10, 0, 1, tzinfo=HEBRON_TZ))
    assert window.local_bounds() == (None, "2016-02-19T10:00:01")


def test_window_compares_instants_across_zones_and_dst():
    # --until 2014-03-27: the next midnight did not exist (clocks went 00:00 → 01:00): the day ends at 01:00+03
    window = DateWindow.read("2014-03-27", "2014-03-27")
    assert window.end.isoformat() == "2014-03-28T01:00:00+03:00"
    assert window.contains(datetime(2014, 3, 27, 21, 59, 59, tzinfo=ZoneInfo("UTC")))
    assert not window.contains(datetime(2014, 3, 27, 22, 0, tzinfo=ZoneInfo("UTC")))
    assert window.before(datetime(2014, 3, 26, 23, 0, tzinfo=HEBRON_TZ))
    assert window.after(datetime(2014, 3, 28, 1, 0, tzinfo=HEBRON_TZ))


def test_window_undated_articles_and_open_sides():
    assert DateWindow.read(None, None).contains(None) and not DateWindow.read(None, None).bounded
    assert not DateWindow.read("2016-01-01", None).contains(None)
    assert DateWindow.read("", "").local_bounds() == (None, None)
    assert DateWindow.read("29 نيسان 2024", None).since == datetime(2024, 4, 29, tzinfo=HEBRON_TZ)


@pytest.mark.parametrize(("since", "until", "message"), [
    ("someday", None, "cannot read the date 'someday'"),
    (None, "tomorrow-ish", "cannot read the date"),
    ("2016-03-01", "2016-02-01", "is after --until"),
])
def test_window_refuses_what_it_cannot_read_or_an_empty_window(since, until, message):
    with pytest.raises(ValueError, match=message):
        DateWindow.read(since, until)


def test_one_window_reader_in_the_code():
    # the spider, the pipelines' context, the runner's checks and the CLI's queries all read DateWindow
    import crawler.cli.base as ops  # the CLI's window_query
    import crawler.runner as runner
    import pipelines.context as context
    import spiders.base as base

    for module in (ops, runner, context, base):
        source = Path(module.__file__).read_text(encoding="utf-8")
        assert "DateWindow" in source or "parse_window" in source, module.__name__
        assert "parse_bound" not in source and "end_of_day" not in source, module.__name__


def test_a_lazy_pattern_compiles_on_first_use_and_answers_as_the_compiled_one():
    from crawler.dates.names import LazyPattern

    source = r"(?P<n>\d+)\s*(?P<unit>يوم|ساعه)"
    lazy, compiled = LazyPattern(source), re.compile(source)
    assert set(vars(lazy)) == {"source", "flags"}  # nothing compiled yet
    text = "منذ 3 يوم و 4 ساعه"
    assert lazy.search(text).groupdict() == compiled.search(text).groupdict() == {"n": "3", "unit": "يوم"}
    assert "search" in vars(lazy)  # kept: the next call is the pattern's own
    assert [m.span() for m in lazy.finditer(text)] == [m.span() for m in compiled.finditer(text)]
    assert lazy.fullmatch("12 ساعه")["n"] == "12" and lazy.pattern == source and lazy.groupindex == compiled.groupindex
    assert LazyPattern("abc", re.IGNORECASE).match("ABC") is not None


def test_importing_the_date_readers_compiles_none_of_their_text_patterns():
    # a reparse (ISO dates from the metadata) never reads a text date: its start-up should not pay for them
    code = ("import crawler.reparse, crawler.dates.arabic as a, crawler.dates.relative as r\n"
            "from crawler.dates.names import LazyPattern\n"
            "lazy = [v for m in (a, r) for v in vars(m).values() if isinstance(v, LazyPattern)]\n"
            "assert len(lazy) >= 7 and all(set(vars(v)) == {'source', 'flags'} for v in lazy), lazy\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 0, done.stderr
