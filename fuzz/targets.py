"""The fuzz targets: one function per parser that must be total on any input (issue 12).

Each takes bytes and raises only on a real bug; what counts as a normal "no answer" (None, an empty
record, ``BadXml`` for a document that is not safe XML) is accepted here. The atheris harnesses
(``fuzz/fuzz_<name>.py``) and the regression replay (``tests/test_fuzz_regressions.py``) share them.
"""

from __future__ import annotations

from datetime import datetime, timezone

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=timezone.utc)


def _text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape").encode("utf-8", "replace").decode("utf-8")


def extract(data: bytes) -> None:
    """Extraction of a page of any bytes, with or without a declared charset."""
    from crawler.extract import extract_with_trace

    charset = ("utf-8", "windows-1256", None, "latin-1", "x-unknown")[data[0] % 5] if data else None
    result = extract_with_trace(data[1:], "https://www.alhadath.ps/article/1/x", site="alhadath", encoding=charset)
    if result is not None:
        assert isinstance(result.record["paragraphs"], list)


def dates(data: bytes) -> None:
    """Date parsing of any text (Gregorian, Hijri, relative, Arabic or Latin digits)."""
    from crawler.dates import parse_date

    parsed = parse_date(_text(data), tz="Asia/Hebron", now=NOW)
    if parsed is not None:
        assert parsed.value.tzinfo is not None


def bylines(data: bytes) -> None:
    """Byline parsing of any text."""
    from crawler.bylines import parse_byline

    byline = parse_byline(_text(data), own_names=("الحدث",))
    assert all(isinstance(name, str) and name == name.strip() for name in byline.authors)


def xml(data: bytes) -> None:
    """Sitemap and feed parsing of any bytes: a result, or ``BadXml``."""
    from crawler.feeds import parse_feed, parse_sitemap
    from crawler.middlewares.reasons import BadXml

    for parse in (parse_sitemap, parse_feed):
        try:
            parse(data, max_size=1_000_000)
        except BadXml:
            pass


TARGETS = {"extract": extract, "dates": dates, "bylines": bylines, "xml": xml}
