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


def _local_times(*, seconds: bool):
    """Hebron times that exist (built from UTC, so none falls in a DST gap), inside the Umm al-Qura range."""
    return st.datetimes(min_value=datetime(1925, 1, 1), max_value=datetime(2076, 12, 31)).map(
        lambda d: d.replace(second=d.second if seconds else 0, microsecond=0, tzinfo=timezone.utc).astimezone(HEBRON)
    )


local_times = _local_times(seconds=False)
with_seconds = _local_times(seconds=True)


def midnight(d: datetime) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=HEBRON)


def twelve_hour(d: datetime, am: str, pm: str) -> str:
    return f"{(d.hour + 11) % 12 + 1}:{d.minute:02d} {pm if d.hour >= 12 else am}"


def read(text: str) -> ParsedDate:
    result = parse_date(text)
    assert result is not None, text
    return result


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
    assert read(d.strftime("%Y-%m-%d %I:%M:%S %p")).value == d


@settings(max_examples=100, deadline=None)
@given(with_seconds)
def test_round_trip_iso_with_offset_and_without(d):
    assert read(d.isoformat()).value == d
    assert read(d.replace(tzinfo=None).isoformat()).value == d
    assert read(d.date().isoformat()).value == midnight(d)


@settings(max_examples=100, deadline=None)
@given(local_times, st.sampled_from(["/", "-", ".", " / "]), st.sampled_from(["", "م", " م"]))
def test_round_trip_numeric_day_first(d, separator, era):
    text = f"{d.day}{separator}{d.month}{separator}{d.year}{era}"
    result = read(text)
    assert result.value == midnight(d) and not result.has_time
    assert read(f"{d.day:02d}{separator}{d.month:02d}{separator}{d.year} {d.hour:02d}:{d.minute:02d}").value == d


@settings(max_examples=100, deadline=None)
@given(local_times, st.sampled_from(sorted(MONTHS)), st.sampled_from(["24h", "ص/م", "صباحا/مساء", "AM/PM"]))
def test_round_trip_month_names_of_each_family(d, family, clock):
    month = MONTHS[family][d.month - 1]
    if clock == "24h":
        when = f"{d.hour:02d}:{d.minute:02d}"
    else:
        when = twelve_hour(d, *clock.split("/"))
    text = f"{WEEKDAYS[d.weekday()]} {d.day} {month} {d.year} {when}"
    assert read(text).value == d
    assert read(f"{when} {d.day} {month}، {d.year}").value == d  # time before the date


@settings(max_examples=50, deadline=None)
@given(local_times)
def test_round_trip_dual_month_names(d):
    assert read(f"{d.day:02d} {DUAL[d.month - 1]} {d.year}").value == midnight(d)
    levantine, egyptian = MONTHS["levantine"][d.month - 1], MONTHS["egyptian"][d.month - 1]
    assert read(f"{d.day} {levantine} ({egyptian}) {d.year}").value == midnight(d)


@settings(max_examples=100, deadline=None)
@given(local_times, st.sampled_from([ARABIC_INDIC, PERSIAN]))
def test_round_trip_arabic_indic_and_persian_digits(d, digits):
    text = f"{d.day} {MONTHS['levantine'][d.month - 1]} {d.year} الساعة {d.hour:02d}:{d.minute:02d}"
    assert read(text.translate(digits)).value == d
    assert read(f"{d.day}/{d.month}/{d.year}".translate(digits)).value == midnight(d)


@settings(max_examples=100, deadline=None)
@given(local_times)
def test_round_trip_hijri_in_words_and_numbers(d):
    hy, hm, hd = map(int, gregorian_to_hijri(d.date()).split("-"))
    words = read(f"{hd} {HIJRI_MONTHS[hm - 1]} {hy} هـ {twelve_hour(d, 'صباحاً', 'مساءً')}")
    assert (words.value, words.calendar, words.hijri) == (d, "hijri", f"{hy:04d}-{hm:02d}-{hd:02d}")
    assert read(f"{hd}/{hm}/{hy} هـ").value == midnight(d)
    # a الموافق pair that agrees: Gregorian read, no conflict
    pair = read(f"{hd} {HIJRI_MONTHS[hm - 1]} {hy} هـ الموافق {d.day} {MONTHS['egyptian'][d.month - 1]} {d.year} م")
    assert (pair.value, pair.calendar, pair.conflict) == (midnight(d), "gregorian", False)


@settings(max_examples=100, deadline=None)
@given(local_times, st.integers(1, 500), st.sampled_from(["دقيقة", "ساعات", "أيام", "أسابيع"]))
def test_relative_forms_count_back_from_now(now, amount, unit):
    result = parse_date(f"منذ {amount} {unit}", now=now)
    assert result.calendar == "relative"
    if unit in ("دقيقة", "ساعات"):
        step = timedelta(minutes=amount) if unit == "دقيقة" else timedelta(hours=amount)
        assert result.value == (now.astimezone(timezone.utc) - step).astimezone(HEBRON)
        assert result.has_time
    else:
        days = amount * (7 if unit == "أسابيع" else 1)
        assert result.value == midnight(now - timedelta(days=days)) and not result.has_time
