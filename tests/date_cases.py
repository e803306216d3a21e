"""Hand-worked expected values for date strings: one table, read by tests/test_dates.py and bench/bench_dates.py.

``expected`` is the ISO value in Asia/Hebron, or None when the text holds no readable date. Each value was
worked out from the string and, where needed, its page (see the comments); times printed in another zone
are converted (16:25 Mecca = 13:25 GMT). Palestine is +02:00 in winter and +03:00 in summer, but its DST
dates move every year (2023 from 29 April, 2025 from 12 April, 2010 ended 11 August): offsets follow tzdata.
``source``: ``seen:N`` = line N of tests/data/arabic_dates_seen.tsv, ``dateparser:N`` = line N of
dateparser_arabic_cases.tsv, ``issue`` = a form issue 3 lists that the data files lack.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

TZ = "Asia/Hebron"
NOW = datetime(2026, 11, 29, 9, 0)  # the base of relative strings in the seen data and issue cases
DATEPARSER_NOW = datetime(2014, 9, 1, 10, 30)  # dateparser's own RELATIVE_BASE for its cases


@dataclass(frozen=True)
class DateCase:
    text: str
    expected: str | None  # ISO 8601 with offset, in TZ
    has_time: bool = False
    calendar: str = "gregorian"
    source: str = "issue"
    conflict: bool = False
    now: datetime = NOW
    numeric_calendar: str = "gregorian"


C = DateCase
DP = DATEPARSER_NOW

SEEN = [
    # alhadath header: the visit day (never a publication date, but a valid date string)
    C("الإثنين  29 نيسان 2024", "2024-04-29T00:00:00+03:00", source="seen:4"),
    C("2015-05-13 11:43:54 AM", "2015-05-13T11:43:54+03:00", True, source="seen:5"),
    C("2016-12-20", "2016-12-20T00:00:00+02:00", source="seen:6"),
    C("2014-10-14", "2014-10-14T00:00:00+03:00", source="seen:6"),
    # 16 Ramadan 1447 is 2026-03-05 too: no conflict
    C("الخميس 5 مارس 2026 09:46 صـ 16 رمضان 1447 هـ", "2026-03-05T09:46:00+02:00", True, source="seen:7"),
    C("الجمعة 22 نوفمبر 2024 الموافق 20 جمادى الأولى 1446", "2024-11-22T00:00:00+02:00", source="seen:8"),
    # 7/3/1429 AH is 2008-03-15 in Umm al-Qura, two days off 13/3/2008: Gregorian kept, conflict flagged;
    # 16:25 Mecca (+03) = 13:25 GMT = 15:25 in Hebron (+02, before DST)
    C("الخميس 7/3/1429 هـ - الموافق 13/3/2008 م (آخر تحديث) الساعة 16:25 (مكة المكرمة)، 13:25 (غرينتش)",
      "2008-03-13T15:25:00+02:00", True, source="seen:9", conflict=True),
    C("السبت ١٠ أغسطس ٢٠١٣ - ٠٤:٠٤", "2013-08-10T04:04:00+03:00", True, source="seen:10"),
    # 04:24 GMT = 06:24 in Hebron (+02: Palestine's 2024 DST began after Ramadan)
    C("الجمعة ١٥ مارس ٢٠٢٤ - ٠٤:٢٤ بتوقيت غرينتش", "2024-03-15T06:24:00+02:00", True, source="seen:10"),
    # the first date is the publication; the update part after | is not read
    C("نشر في: الإثنين 2 مارس 2015 - 11:33 ص | آخر تحديث: …", "2015-03-02T11:33:00+02:00", True, source="seen:11"),
    C("الأربعاء 24 أبريل 2024 9:26 م", "2024-04-24T21:26:00+03:00", True, source="seen:11"),
    C("السبت - 11 أيار 2024", "2024-05-11T00:00:00+03:00", source="seen:12"),
    C("الأحد, 02 آب/أغسطس 2015 10:53", "2015-08-02T10:53:00+03:00", True, source="seen:13"),
    C("السبت 20 كانون الثاني / يناير 2024.", "2024-01-20T00:00:00+02:00", source="seen:14"),
    C("الأربعاء 31 يوليو/ تموز 2024", "2024-07-31T00:00:00+03:00", source="seen:15"),
    # month and year only: the first of the month (with a note)
    C("تشرين الثاني (نوفمبر) 2022", "2022-11-01T00:00:00+02:00", source="seen:16"),
    C("٢٣ آذار (مارس) ٢٠١٥", "2015-03-23T00:00:00+02:00", source="seen:16"),
    # 01 02 = 1 February (day-first; Sunday 2026-02-01 agrees); 12 Sha'ban 1447 = 2026-01-31, one day off:
    # within sighting tolerance, no conflict; 10:56 Beirut (+02) = 10:56 Hebron (+02)
    C("الأحد 01 02 2026 12 شعبان 1447 بيروت 10:56", "2026-02-01T10:56:00+02:00", True, source="seen:17"),
    C("نشر بتاريخ: ٢٢ أيلول ٢٠٢٥", "2025-09-22T00:00:00+03:00", source="seen:18"),
    C("9:25 صباحًا / 19 فبراير، 2026", "2026-02-19T09:25:00+02:00", True, source="seen:19"),
    C("الأربعاء 09 ابريل 2025", "2025-04-09T00:00:00+02:00", source="seen:20"),
    # a time alone is no date
    C("الساعة 00:00 م", None, source="seen:20"),
    C("الساعة 10:29 ص|28 يناير 2021", "2021-01-28T10:29:00+02:00", True, source="seen:21"),
    # اليوم here introduces an absolute date: the date wins over the relative word
    C("اليوم الثلاثاء 14 مايو 2024م", "2024-05-14T00:00:00+03:00", source="seen:22"),
    # 6 Muharram 1441 = 2019-09-05: agree; the issue number 14891 is no date
    C("الخميس - 6 محرم 1441 هـ - 05 سبتمبر 2019 مـ رقم العدد [ 14891]", "2019-09-05T00:00:00+03:00",
      source="seen:23"),
    # SPA wire: 24 Safar 1442 = 2020-10-11; `16:52ت م` is Mecca time (+03) = Hebron (+03 until 24 Oct 2020)
    C("الرياض 24 صفر 1442 هـ الموافق 11 أكتوبر 2020 م واس … // انتهى // 16:52ت م",
      "2020-10-11T16:52:00+03:00", True, source="seen:24"),
    C("16 ذو القعدة 1429هـ/14-11-2008م 04:32 PM", "2008-11-14T16:32:00+02:00", True, source="seen:25"),
    # 4/6/1437 (a Hijri year, no هـ) = 2016-03-13: agrees with the Gregorian half
    C("فلسطين الأحد 4/6/1437 – 13/3/2016", "2016-03-13T00:00:00+02:00", source="seen:26"),
    C("السبت ، ٢٠ ابريل ٢٠٢٤ الساعة ٠١:٥٢ مساءً", "2024-04-20T13:52:00+03:00", True, source="seen:27"),
    C("23-9-2023 | 11:10", "2023-09-23T11:10:00+03:00", True, source="seen:28"),
    C("22 أكتوبر 2018 | 13:18", "2018-10-22T13:18:00+03:00", True, source="seen:28"),
    C("11/28/2017", "2017-11-28T00:00:00+02:00", source="seen:29"),  # month-first: no 28th month
    # a date with GMT but no time: the day itself
    C("تاريخ النشر: 25th, November 2025 GMT", "2025-11-25T00:00:00+02:00", source="seen:30"),
    C("منذ 2 سنة", "2024-11-29T00:00:00+02:00", calendar="relative", source="seen:31"),
    C("منذ 20 دقيقة", "2026-11-29T08:40:00+02:00", True, "relative", source="seen:31"),
    C("منذ 9 سنوات", "2017-11-29T00:00:00+02:00", calendar="relative", source="seen:31"),
    C("05/February/2018 09:12 AM", "2018-02-05T09:12:00+02:00", True, source="seen:32"),
    C("رام الله 11-4-2025 وفا-", "2025-04-11T00:00:00+02:00", source="seen:33"),
    C("time٢٢-٠٣-٢٠٢٥", "2025-03-22T00:00:00+02:00", source="seen:34"),
]

# dateparser's Arabic cases. Hijri `parse` rows: dateparser read them with its Hijri calendar, so the
# unmarked two-digit ones are Hijri only with numeric_calendar="hijri"; day 30 of a 29-day Umm al-Qura
# month is the next day (dateparser agrees). Relative rows keep dateparser's base; day-precision values
# are midnight here (dateparser keeps now's clock time: the test compares the day only).
DATEPARSER = [
    C("20-02-1430 هـ, 07:21 صباحاً", "2009-02-15T07:21:00+02:00", True, "hijri", "dateparser:3"),
    C("11-08-1434 هـ, 09:38 صباحاً", "2013-06-20T09:38:00+03:00", True, "hijri", "dateparser:4"),
    C(" 17-01-1437 هـ 08:30 مساءً", "2015-10-30T20:30:00+02:00", True, "hijri", "dateparser:5"),
    C("29-02-1433 هـ, 06:22 صباحاً", "2012-01-23T06:22:00+02:00", True, "hijri", "dateparser:6"),
    C("30-02-1433", "2012-01-24T00:00:00+02:00", False, "hijri", "dateparser:7"),
    C("04-03-1433 هـ, 10:08 مساءً", "2012-01-27T22:08:00+02:00", True, "hijri", "dateparser:8"),
    C("30-02-33", "2012-01-24T00:00:00+02:00", False, "hijri", "dateparser:9", numeric_calendar="hijri"),
    C("10-03-90", "1970-05-16T00:00:00+02:00", False, "hijri", "dateparser:10", numeric_calendar="hijri"),
    # translation rows: the English dateparser makes of them, read as a date by hand
    C("6 يناير، 2015، الساعة 05:16 مساءً", "2015-01-06T17:16:00+02:00", True, source="dateparser:11", now=DP),
    C("7 يناير، 2015، الساعة 11:00 صباحاً", "2015-01-07T11:00:00+02:00", True, source="dateparser:12", now=DP),
    C("يومين", "2014-08-30T00:00:00+03:00", False, "relative", "dateparser:13", now=DP),  # "2 day" (ago)
    C("أمس", "2014-08-31T00:00:00+03:00", False, "relative", "dateparser:14", now=DP),
    C("4 عام", "2010-09-01T00:00:00+02:00", False, "relative", "dateparser:15", now=DP),  # "4 year" (ago)
    C("منذ 2 ساعات", "2014-09-01T08:30:00+03:00", True, "relative", "dateparser:16", now=DP),
    C("منذ ساعتين", "2014-09-01T08:30:00+03:00", True, "relative", "dateparser:17", now=DP),
    C("اليوم السابق", "2014-08-31T00:00:00+03:00", False, "relative", "dateparser:18", now=DP),
    C("اليوم", "2014-09-01T00:00:00+03:00", False, "relative", "dateparser:19", now=DP),
    C("8 يناير، 2015، الساعة 10:01 صباحاً", "2015-01-08T10:01:00+02:00", True, source="dateparser:20", now=DP),
    C("ساعتين", "2014-09-01T08:30:00+03:00", True, "relative", "dateparser:21", now=DP),  # applicable
    C("6 دقیقه", None, source="dateparser:22", now=DP),  # Persian letters: not Arabic, not read
    C("يوم أمس", "2014-08-31T00:00:00+03:00", False, "relative", "dateparser:24", now=DP),
    C("منذ يومين", "2014-08-30T00:00:00+03:00", False, "relative", "dateparser:25", now=DP),
    C("منذ 3 أيام", "2014-08-29T00:00:00+03:00", False, "relative", "dateparser:26", now=DP),
    C("منذ 21 أيام", "2014-08-11T00:00:00+03:00", False, "relative", "dateparser:27", now=DP),
    C("1 عام, 1 شهر, 1 أسبوع, 1 يوم, 1 ساعة, 1 دقيقة", "2013-07-24T09:29:00+03:00", True, "relative",
      "dateparser:28", now=DP),
    # search rows: the first date of the passage
    C("في 29 يوليو 1938 غزت القوات اليابانية الاتحاد السوفييتي ووقعت أولى المعارك والتي انتصر فيها السوفييت، "
      "وعلى الرغم من ذلك رفضت اليابان الاعتراف بذلك وقررت في 11 مايو 1939 تحريك الحدود المنغولية حتى نهر غول، "
      "حيث وقعت معركة خالخين غول والتي انتصر فيها الجيش الأحمر على جيش كوانتونغ",
      "1938-07-29T00:00:00+02:00", source="dateparser:37", now=DP),
    C("في 29 يوليو 1938 غزت القوات اليابانية الاتحاد السوفييتي ووقعت أولى المعارك والتي انتصر فيها السوفييت، "
      "وعلى الرغم من ذلك رفضت اليابان الاعتراف بذلك وقررت في 11 مايو 1939 تحريك الحدود المنغولية حتى نهر غول،",
      "1938-07-29T00:00:00+02:00", source="dateparser:38", now=DP),
]

# Forms issue 3 names that the data files do not show.
ISSUE = [
    C("2016-02-19 11:15:08 PM", "2016-02-19T23:15:08+02:00", True),  # the site's timestamp
    C("2016-02-19 12:05:00 AM", "2016-02-19T00:05:00+02:00", True),
    C("2024-04-29T10:15:00+03:00", "2024-04-29T10:15:00+03:00", True),  # ISO with offset
    C("2024-01-29T10:15:00Z", "2024-01-29T12:15:00+02:00", True),
    C("2024-04-29T10:15:00", "2024-04-29T10:15:00+03:00", True),  # ISO without offset: local
    C("20240429", "2024-04-29T00:00:00+03:00"),  # ISO basic format
    C("1714374900", "2024-04-29T10:15:00+03:00", True),  # Unix time (UTC) in metadata
    C("Mon, 29 Apr 2024 10:15:00 +0300", "2024-04-29T10:15:00+03:00", True),  # RFC 2822 (RSS, HTTP)
    C("2024-04-29T10:15:00 GMT", "2024-04-29T13:15:00+03:00", True),
    C("14 / 7 / 2025م", "2025-07-14T00:00:00+03:00"),
    C("14.7.2025", "2025-07-14T00:00:00+03:00"),
    C("2025/07/14", "2025-07-14T00:00:00+03:00"),  # year first
    C("الأربعاء 4/3/2024", "2024-04-03T00:00:00+02:00"),  # Wednesday is 3 April, not 4 March
    C("5 ابريل 2023", "2023-04-05T00:00:00+02:00"),
    C("5 إبريل 2023", "2023-04-05T00:00:00+02:00"),
    C("1 اذار 2023", "2023-03-01T00:00:00+02:00"),
    C("10 يونيه 2023", "2023-06-10T00:00:00+03:00"),
    C("10 يوليه 2023", "2023-07-10T00:00:00+03:00"),
    C("3 جانفي 2023", "2023-01-03T00:00:00+02:00"),  # Maghreb (Algeria/Tunisia)
    C("3 فيفري 2023", "2023-02-03T00:00:00+02:00"),
    C("3 أفريل 2023", "2023-04-03T00:00:00+02:00"),
    C("3 ماي 2023", "2023-05-03T00:00:00+03:00"),
    C("3 جوان 2023", "2023-06-03T00:00:00+03:00"),
    C("3 جويلية 2023", "2023-07-03T00:00:00+03:00"),
    C("3 أوت 2023", "2023-08-03T00:00:00+03:00"),
    C("3 يوليوز 2023", "2023-07-03T00:00:00+03:00"),  # Morocco
    C("3 غشت 2023", "2023-08-03T00:00:00+03:00"),
    C("3 شتنبر 2023", "2023-09-03T00:00:00+03:00"),
    C("3 نونبر 2023", "2023-11-03T00:00:00+02:00"),
    C("3 دجنبر 2023", "2023-12-03T00:00:00+02:00"),
    C("3 تشرين الأول 2023", "2023-10-03T00:00:00+03:00"),
    C("3 كانون الأول 2023", "2023-12-03T00:00:00+02:00"),
    C("الاثنين ۱۲ حزيران ۲۰۲۳", "2023-06-12T00:00:00+03:00"),  # Persian digits, weekday without hamza
    C("الاربعاء 5 تموز 2023 الساعة 10:15 صباحا", "2023-07-05T10:15:00+03:00", True),
    C("5 تموز 2023 10:15 صباحاً", "2023-07-05T10:15:00+03:00", True),
    C("5 تموز 2023 10:15 ص", "2023-07-05T10:15:00+03:00", True),
    C("5 تموز 2023 10:15 م", "2023-07-05T22:15:00+03:00", True),
    C("5 تموز 2023 10:15 مـ", "2023-07-05T22:15:00+03:00", True),
    C("5 تموز 2023 10:15 مساء", "2023-07-05T22:15:00+03:00", True),
    C("5 تموز 2023 12:15 ص", "2023-07-05T00:15:00+03:00", True),
    C("5 تموز 2023 22:15", "2023-07-05T22:15:00+03:00", True),  # 24-hour
    C("5 تموز 2023 الساعة 2 ظهرا", "2023-07-05T14:00:00+03:00", True),
    C("5 تموز 2023 11:30 ليلا", "2023-07-05T23:30:00+03:00", True),
    C("5 تموز 2023 04:32 p.m.", "2023-07-05T16:32:00+03:00", True),
    C("10:15 مساءً 5 تموز 2023", "2023-07-05T22:15:00+03:00", True),  # time before the date
    C("5 تموز 2023م 10:15", "2023-07-05T10:15:00+03:00", True),  # م after a year is the era
    C("الساعة 10 صباحا 5/5/2024", "2024-05-05T10:00:00+03:00", True),
    C("الأربعاء 09 ابريل 2025 الساعة 00:00 م", "2025-04-09T00:00:00+02:00"),  # 00:00 م: a placeholder
    C("غرة رمضان 1445 هـ", "2024-03-11T00:00:00+02:00", calendar="hijri"),
    C("12 ربيع الأول 1446هـ", "2024-09-15T00:00:00+03:00", calendar="hijri"),
    C("1/9/1445 هـ", "2024-03-11T00:00:00+02:00", calendar="hijri"),
    # الموافق pair that disagrees by 10 days: Gregorian kept, conflict flagged
    C("1 رمضان 1445 هـ الموافق 21 مارس 2024", "2024-03-21T00:00:00+02:00", conflict=True),
    C("منذ 3 ساعات", "2026-11-29T06:00:00+02:00", True, "relative"),
    C("منذ يومين", "2026-11-27T00:00:00+02:00", calendar="relative"),
    C("منذ دقيقة", "2026-11-29T08:59:00+02:00", True, "relative"),
    C("منذ شهر", "2024-02-29T00:00:00+02:00", calendar="relative", now=datetime(2024, 3, 31, 10, 0)),  # clamped
    C("أمس", "2026-11-28T00:00:00+02:00", calendar="relative"),
    C("أمس الساعة 10:30 م", "2026-11-28T22:30:00+02:00", True, "relative"),
    C("اليوم", "2026-11-29T00:00:00+02:00", calendar="relative"),
    C("تاريخ النشر : 12 أيار 2024", "2024-05-12T00:00:00+03:00"),
    C("آخر تحديث: 12/05/2024 - 14:30", "2024-05-12T14:30:00+03:00", True),
    C("العدد : 5123 | السبت 11 أيار 2024", "2024-05-11T00:00:00+03:00"),
    C("منذ عام 2011", None),  # "since 2011": a year alone is no date, and not "a year ago"
    C("31 شباط", None),  # impossible: refused, never guessed
    C("31 شباط 2024", None),
    # …but beside a valid Hijri date, the Hijri date stands (with a note)
    C("31 شباط 2024 الموافق 21 شعبان 1445 هـ", "2024-03-02T00:00:00+02:00", calendar="hijri"),
    C("30/02/2024", None),
    C("25:99", None),
    C("2024-05-01 25:99", None),
    C("", None),
    C("0000-00-00 00:00:00", None),  # the "no date" of MySQL-backed CMSs, in metadata
    C("رقم 1 2 3456", None),  # digits shaped like a date, in no plausible year
    C("2016-02-19 11:15:08 م", "2016-02-19T23:15:08+02:00", True),  # the site's format with an Arabic marker
    C("لا تاريخ هنا", None),
]

ALL = SEEN + DATEPARSER + ISSUE
