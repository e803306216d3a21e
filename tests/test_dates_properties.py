"""Property tests for crawler.dates: it never raises, and every supported form reads back what was written."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.dates import ParsedDate, explain_date, gregorian_to_hijri, parse_date

HEBRON = ZoneInfo("Asia/Hebron")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")

# Month names as pages print them (hamza, taa marbuta, alif maqsura): the parser must fold them itself.
MONTHS = {
    "levantine": ["كانون الثاني", "شباط", "آذار", "نيسان", "أيار", "حزيران", "تموز", "آب", "أيلول",
                  "تشرين الأول", "تشرين الثاني", "كانون الأول"],
    "egyptian": ["يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر",
                 "نوفمبر", "ديسمبر"],
    "egyptian_variants": ["يناير", "فبراير", "مارس", "ابريل", "مايو", "يونيه", "يوليه", "اغسطس", "سبتمبر",
                          "اكتوبر", "نوفمبر", "ديسمبر"],
    "algerian": ["جانفي", "فيفري", "مارس", "أفريل", "ماي", "جوان", "جويلية", "أوت", "سبتمبر", "أكتوبر",
                 "نوفمبر", "ديسمبر"],
    "moroccan": ["يناير", "فبراير", "مارس", "أبريل", "ماي", "يونيو", "يوليوز", "غشت", "شتنبر", "أكتوبر",
                 "نونبر", "دجنبر"],
    "english": ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                "October", "November", "December"],
}
DUAL = [f"{lev}/{egy}" for lev, egy in zip(MONTHS["levantine"], MONTHS["egyptian"])]
HIJRI_MONTHS = ["محرم", "صفر", "ربيع الأول", "ربيع الثاني", "جمادى الأولى", "جمادى الآخرة", "رجب", "شعبان",
                "رمضان", "شوال", "ذو القعدة", "ذو الحجة"]
WEEKDAYS = ["الإثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد"]


def _transitions(first: int, last: int) -> list[datetime]:
    """Every UTC instant Asia/Hebron changed its offset between two years (bisected month by month)."""
    found = []
    for year in range(first, last + 1):
        for month in range(1, 13):
            lo = datetime(year, month, 1, tzinfo=timezone.utc)
            hi = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=timezone.utc)
            if lo.astimezone(HEBRON).utcoffset() == hi.astimezone(HEBRON).utcoffset():
                continue
            while hi - lo > timedelta(minutes=1):
                mid = lo + (hi - lo) / 2
                if mid.astimezone(HEBRON).utcoffset() == lo.astimezone(HEBRON).utcoffset():
                    lo = mid
                else:
                    hi = mid
            found.append(hi.replace(second=0, microsecond=0))
    return found


TRANSITIONS = _transitions(1940, 2076)


def _local_times(*, seconds: bool):
    """Hebron times inside the Umm al-Qura range, built from UTC instants: any instant, and instants
    within three hours of a DST change (the wall times around a spring gap and a repeated autumn hour)."""
    anywhere = st.datetimes(min_value=datetime(1925, 1, 1), max_value=datetime(2076, 12, 31)).map(
        lambda d: d.replace(tzinfo=timezone.utc))
    near_a_change = st.builds(lambda t, minutes, s: t + timedelta(minutes=minutes, seconds=s),
                              st.sampled_from(TRANSITIONS), st.integers(-180, 180), st.integers(0, 59))
    return st.one_of(anywhere, near_a_change).map(
        lambda d: d.replace(second=d.second if seconds else 0, microsecond=0).astimezone(HEBRON))


local_times = _local_times(seconds=False)
with_seconds = _local_times(seconds=True)


def instant(d: datetime) -> datetime:
    """Compare instants, not wall times: aware datetimes sharing a tzinfo compare their wall clocks only
    (ignoring ``fold``), which would call the two 00:30s of an autumn night equal."""
    return d.astimezone(timezone.utc)


def as_written(d: datetime) -> datetime:
    """The instant a page means when it prints d's wall time without an offset: crawler.dates reads a
    spring-gap time at the offset before the change and takes the first of a repeated autumn hour."""
    return instant(d.replace(tzinfo=None).replace(tzinfo=HEBRON, fold=0))


def existed(d: datetime) -> bool:
    """The wall time stored is one a Hebron clock showed (no 02:30 on a spring-forward night)."""
    return d.replace(tzinfo=None) == instant(d).astimezone(HEBRON).replace(tzinfo=None) and d.tzinfo is not None


def midnight(d: datetime) -> datetime:
    return as_written(datetime(d.year, d.month, d.day))


def twelve_hour(d: datetime, am: str, pm: str) -> str:
    return f"{(d.hour + 11) % 12 + 1}:{d.minute:02d} {pm if d.hour >= 12 else am}"


def read(text: str) -> ParsedDate:
    result = parse_date(text)
    assert result is not None, text
    assert existed(result.value), (text, result.value)
    return result


def at(text: str) -> datetime:
    return instant(read(text).value)


date_words = st.sampled_from(
    [m for names in MONTHS.values() for m in names] + HIJRI_MONTHS + WEEKDAYS
    + ["هـ", "م", "ص", "مساءً", "صباحاً", "الموافق", "منذ", "ساعات", "يومين", "أمس", "اليوم", "الساعة", "غرة",
       "بتوقيت غرينتش", "AM", "PM", "T", "Z", "+03:00"]
)
date_pieces = st.lists(
    st.one_of(date_words, st.integers(0, 3000).map(str), st.sampled_from(list("/-.:,،|() ٠٣٩۵"))), max_size=12
).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), date_pieces))
def test_never_raises_on_any_text(text):
    now = datetime(2026, 11, 29, 9, 0)
    result = parse_date(text, now=now)
    assert result is None or (result.value.tzinfo is not None and result.calendar in ("gregorian", "hijri", "relative"))
    # parse_date would swallow a bug in a stage: the trace shows none happened (dateparser's own are its own)
    trace = explain_date(text, now=now)
    assert [outcome for stage, outcome in trace.stages if outcome.startswith("error") and stage != "dateparser"] == []
    assert trace.result == result


@settings(max_examples=100, deadline=None)
@given(with_seconds)
def test_round_trip_site_timestamp(d):
    assert at(d.strftime("%Y-%m-%d %I:%M:%S %p")) == as_written(d)


@settings(max_examples=100, deadline=None)
@given(with_seconds)
def test_round_trip_iso_with_offset_and_without(d):
    assert at(d.isoformat()) == instant(d)  # with its offset: the very instant, on either side of a change
    assert at(d.replace(tzinfo=None).isoformat()) == as_written(d)
    assert at(d.date().isoformat()) == midnight(d)


@settings(max_examples=100, deadline=None)
@given(local_times, st.sampled_from(["/", "-", ".", " / "]), st.sampled_from(["", "م", " م"]))
def test_round_trip_numeric_day_first(d, separator, era):
    text = f"{d.day}{separator}{d.month}{separator}{d.year}{era}"
    result = read(text)
    assert instant(result.value) == midnight(d) and not result.has_time
    assert at(f"{d.day:02d}{separator}{d.month:02d}{separator}{d.year} {d.hour:02d}:{d.minute:02d}") == as_written(d)


@settings(max_examples=100, deadline=None)
@given(local_times, st.sampled_from(sorted(MONTHS)), st.sampled_from(["24h", "ص/م", "صباحا/مساء", "AM/PM"]))
def test_round_trip_month_names_of_each_family(d, family, clock):
    month = MONTHS[family][d.month - 1]
    if clock == "24h":
        when = f"{d.hour:02d}:{d.minute:02d}"
    else:
        when = twelve_hour(d, *clock.split("/"))
    text = f"{WEEKDAYS[d.weekday()]} {d.day} {month} {d.year} {when}"
    assert at(text) == as_written(d)
    assert at(f"{when} {d.day} {month}، {d.year}") == as_written(d)  # time before the date


@settings(max_examples=50, deadline=None)
@given(local_times)
def test_round_trip_dual_month_names(d):
    assert at(f"{d.day:02d} {DUAL[d.month - 1]} {d.year}") == midnight(d)
    levantine, egyptian = MONTHS["levantine"][d.month - 1], MONTHS["egyptian"][d.month - 1]
    assert at(f"{d.day} {levantine} ({egyptian}) {d.year}") == midnight(d)


@settings(max_examples=100, deadline=None)
@given(local_times, st.sampled_from([ARABIC_INDIC, PERSIAN]))
def test_round_trip_arabic_indic_and_persian_digits(d, digits):
    text = f"{d.day} {MONTHS['levantine'][d.month - 1]} {d.year} الساعة {d.hour:02d}:{d.minute:02d}"
    assert at(text.translate(digits)) == as_written(d)
    assert at(f"{d.day}/{d.month}/{d.year}".translate(digits)) == midnight(d)


@settings(max_examples=100, deadline=None)
@given(local_times)
def test_round_trip_hijri_in_words_and_numbers(d):
    hy, hm, hd = map(int, gregorian_to_hijri(d.date()).split("-"))
    words = read(f"{hd} {HIJRI_MONTHS[hm - 1]} {hy} هـ {twelve_hour(d, 'صباحاً', 'مساءً')}")
    assert (instant(words.value), words.calendar) == (as_written(d), "hijri")
    assert words.hijri == gregorian_to_hijri(words.value.date())  # the day of the wall time stored
    assert at(f"{hd}/{hm}/{hy} هـ") == midnight(d)
    # a الموافق pair that agrees: Gregorian read, no conflict
    pair = read(f"{hd} {HIJRI_MONTHS[hm - 1]} {hy} هـ الموافق {d.day} {MONTHS['egyptian'][d.month - 1]} {d.year} م")
    assert (instant(pair.value), pair.calendar, pair.conflict) == (midnight(d), "gregorian", False)


@settings(max_examples=100, deadline=None)
@given(local_times, st.integers(1, 500), st.sampled_from(["دقيقة", "ساعات", "أيام", "أسابيع"]))
def test_relative_forms_count_back_from_now(now, amount, unit):
    result = parse_date(f"منذ {amount} {unit}", now=now)
    assert result.calendar == "relative"
    if unit in ("دقيقة", "ساعات"):
        step = timedelta(minutes=amount) if unit == "دقيقة" else timedelta(hours=amount)
        assert instant(result.value) == instant(now) - step
        assert result.has_time and existed(result.value)
    else:
        days = amount * (7 if unit == "أسابيع" else 1)
        assert instant(result.value) == midnight(now - timedelta(days=days)) and not result.has_time
        assert existed(result.value)


def test_generators_reach_the_dst_changes():
    # the transitions the generators sample: 2024 sprang forward at 02:00 on 20 April, fell back at 01:00
    # (02:00 → 01:00) on 26 October (tzdata); a midnight gap in 2014
    assert datetime(2024, 4, 20, 0, 0, tzinfo=timezone.utc) in TRANSITIONS
    assert datetime(2024, 10, 25, 23, 0, tzinfo=timezone.utc) in TRANSITIONS
    assert datetime(2014, 3, 27, 22, 0, tzinfo=timezone.utc) in TRANSITIONS
    assert len(TRANSITIONS) > 100
