"""Arabic news dates → timezone-aware datetimes, with the Umm al-Qura Hijri date alongside.

``parse_date`` runs an ordered chain, cheapest first; the first stage that reads the text wins:

1. ``site``      the site's own timestamp, one regex (the hot path): ``2016-02-19 11:15:08 PM``
2. ``iso``       ISO 8601 from metadata: ``2024-04-29T10:15:00+03:00``, ``2024-04-29``, ``20240429``;
                 Unix time ``1714374900``
3. ``arabic``    our own reader over normalized text (digits → ASCII, letters folded once): month
                 names of every family, numeric dates, Hijri dates, times, ص/م, الموافق pairs:
                 ``الخميس 5 مارس 2026 09:46 صـ 16 رمضان 1447 هـ``
4. ``relative``  ``منذ 3 ساعات``, ``أمس``, ``اليوم`` against ``now``
5. ``dateparser`` last and only when stages 3–4 saw nothing date-like (it costs ~1–10 ms a call).

A string that *looks* like a date but is impossible (``31 شباط 2024``, ``2024-05-01 25:99``)
gives None at once; it never falls through to dateparser, which would guess. What was assumed
(month-first, first of the month, a 29-day Hijri month's "30th") is said in ``ParsedDate.notes``;
``explain_date`` (``arshif date --explain``) shows every stage tried.

The package, in the order a string goes through it:

- ``core``      ParsedDate, Trace, Umm al-Qura conversion, ``local_wall_time`` (wall times that existed in a
                zone with DST: the spring gap read forward, the repeated autumn hour's first side);
- ``names``     normalization and the month, weekday and zone names;
- ``arabic``    stage 3, the Arabic reader;
- ``relative``  stage 4;
- ``chain``     stages 1, 2 and 5 and ``parse_date`` / ``explain_date``;
- ``window``    ``DateWindow``, the one --since/--until reader of the spider, the pipelines and the CLI.
"""

from crawler.dates.chain import explain_date, parse_date
from crawler.dates.core import (
    DEFAULT_TZ,
    HIJRI_YEARS,
    ParsedDate,
    Trace,
    gregorian_to_hijri,
    hijri_to_gregorian,
    local_wall_time,
)
from crawler.dates.names import GREGORIAN_MONTHS, HIJRI_MONTHS, TIME_ZONES, WEEKDAYS, normalize
from crawler.dates.window import DateWindow

__all__ = ["DEFAULT_TZ", "GREGORIAN_MONTHS", "HIJRI_MONTHS", "HIJRI_YEARS", "TIME_ZONES", "WEEKDAYS", "DateWindow",
           "ParsedDate", "Trace", "explain_date", "gregorian_to_hijri", "hijri_to_gregorian", "local_wall_time",
           "normalize", "parse_date"]
