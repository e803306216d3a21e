"""The site-file path's field readings that take a shorter road (branch fields5): each gives urllib's, the
regex's or the full reading's own answer, on generated inputs and on the mirror's pages."""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.sites.model import percent_decoded, unquote_fully

# What URLs hold: escapes (valid, cut short, lower-case, of UTF-8 and of bytes no UTF-8 has), "%" alone,
# ASCII, Arabic letters as they are.
_PIECES = st.one_of(
    st.sampled_from(["%", "%%", "%4", "%g1", "%D8", "%d8%a7", "%C3%A9", "%FF", "%80", "%25", "%2525D8%25A7",
                     "%E2%82", "%F0%9F%98%80", "/", "-", "?", "#", "\\", "\\x41", "a", "Z", "0", "غزة", " "]),
    st.text(max_size=6),
    st.binary(max_size=8).map(lambda b: "".join(f"%{byte:02X}" for byte in b)),
    st.text(max_size=6).map(quote),
)


@settings(max_examples=1500, deadline=None)
@given(st.lists(_PIECES, max_size=12).map("".join))
def test_percent_decoded_is_urllibs_unquote(text):
    assert percent_decoded(text) == unquote(text)


@settings(max_examples=500, deadline=None)
@given(st.lists(_PIECES, max_size=12).map("".join))
def test_unquote_fully_is_urllibs_repeated(text):
    expected = text
    for _ in range(4):
        unquoted = unquote(expected)
        if unquoted == expected:
            break
        expected = unquoted
    assert unquote_fully(text) == expected


def test_an_encoded_arabic_slug_and_a_double_encoded_one_decode_as_urllib_decodes_them():
    slug = "/article/16768/" + quote("غزة تحت القصف لليوم العاشر")
    assert percent_decoded(slug) == unquote(slug) == "/article/16768/غزة تحت القصف لليوم العاشر"
    assert unquote_fully(quote(slug)) == "/article/16768/غزة تحت القصف لليوم العاشر"
    assert percent_decoded("/a/%D8%BA%D8") == unquote("/a/%D8%BA%D8")  # a character cut short: U+FFFD
    assert re.fullmatch(r"/a/\w\ufffd", percent_decoded("/a/%D8%BA%D8"))


# Patterns as site files write them, and ones whose start no literal names (alternatives, quantifiers, flags).
_PATTERNS = [r"^/tag/(\d+)(?:/|$)", r"^/category/(?P<category>\d+)(?:/[^/]*)?(?:/page/(?P<page>\d+))?/?$",
             r"^/article/(?P<id>\d+)(?:/|$)", r"^/tags?/", r"^/tag/|^/topic/", r"/tag/", r"^/t{2}/", r"^/ta*g/",
             r"^/tag+/", r"(?i)^/Tag/", r"^/(?:tag|topic)/", r"^/tag/.", r"^\/tag/", r"^/[tT]ag/", r"^/tag/(?=x)",
             r"^/%D9%88/", r"^/tag-(\d+)", r"^/a@b:c;d=e&f,g~h!/", r"^/x[|]/|^/y", r"^/x[]|]/|^/tag",
             r"^/x\|y|^/tag", r"^/tag/(?:a|b)|^/x", r"^(/tag/)"]
_PATHS = st.lists(st.sampled_from(["/", "tag", "tags", "Tag", "TAG", "topic", "tt", "tg", "taaag", "category", "7",
                                   "page", "x", "%D9%88", "-", "a@b:c;d=e&f,g~h!", "?", "#", "//", "http:", "https:",
                                   "www.alhadath.ps", "\\"]), max_size=8).map("".join)


@settings(max_examples=1500, deadline=None)
@given(st.sampled_from(_PATTERNS + ["IGNORECASE"]), _PATHS)
def test_every_path_a_link_pattern_matches_starts_with_its_prefix(source, path):
    from crawler.extract.fields import path_prefix
    pattern = re.compile(r"^/tag/", re.IGNORECASE) if source == "IGNORECASE" else re.compile(source)
    if pattern.match(path):
        assert path.startswith(path_prefix(pattern))


def test_the_prefix_of_a_site_files_patterns_is_their_literal_start():
    from crawler.extract.fields import path_prefix
    assert path_prefix(re.compile(_PATTERNS[0])) == "/tag/"
    assert path_prefix(re.compile(_PATTERNS[1])) == "/category/"
    assert path_prefix(re.compile(r"^/tags?/")) == "/tag"
    assert path_prefix(re.compile(r"^/tag/|^/topic/")) == ""
    assert path_prefix(re.compile(r"^/tag/", re.IGNORECASE)) == ""
    assert path_prefix(re.compile(r"(?i)^/tag/")) == ""
    assert path_prefix(re.compile(r"^/x[|]/|^/y")) == ""
    assert path_prefix(re.compile(r"^/x[]|]/")) == "/x"
    assert path_prefix(re.compile(r"^/x\|y")) == "/x"


def test_a_wall_time_reads_as_before_across_every_change_of_the_clocks():
    """``local_wall_time``'s shortcut (the same offset for both folds: no conversion) against the conversion
    it skips, every 20 minutes of three years in zones with hour and half-hour changes."""
    from datetime import datetime, timedelta, timezone
    from zoneinfo import ZoneInfo

    from crawler.dates.core import local_wall_time

    for name in ("Asia/Hebron", "Australia/Lord_Howe", "America/New_York", "UTC"):
        tz, naive = ZoneInfo(name), datetime(2023, 1, 1)
        while naive < datetime(2026, 1, 1):
            value, notes = local_wall_time(naive, tz)
            real = naive.replace(tzinfo=tz, fold=0).astimezone(timezone.utc).astimezone(tz)
            if real.replace(tzinfo=None) != naive:  # the spring gap: the instant it can only mean
                assert value == real and value.replace(tzinfo=None) == real.replace(tzinfo=None) and notes
            else:
                repeated = naive.replace(tzinfo=tz, fold=1).utcoffset() != naive.replace(tzinfo=tz).utcoffset()
                assert value.replace(tzinfo=None) == naive and value.fold == 0 and bool(notes) == repeated
                assert value.utcoffset() == real.utcoffset()
            naive += timedelta(minutes=20)
