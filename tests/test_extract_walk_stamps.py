"""walk's timestamp search skips a line that lacks a character every match must hold (walk.required_char): the
same lines, the same candidates, as searching every line."""

from __future__ import annotations

import importlib
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.extract.decode import decode, parse
from crawler.sites import get_site

W = importlib.import_module("crawler.extract.walk")  # (crawler.extract's own ``walk`` is the function)

PATTERNS = [get_site("alhadath").timestamp_pattern, re.compile(r"\d{1,2}/\d{1,2}/\d{4}"),
            re.compile(r"(?:نشر في|بتاريخ):? \d+"), re.compile(r"x?:y", re.I), re.compile(r"a|b:c"),
            re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}"), re.compile(r"[-:]\d")]


def test_the_required_character_is_in_every_match():
    assert W.required_char(PATTERNS[0]) == ":" and W.required_char(PATTERNS[4]) == ""
    assert W.required_char(PATTERNS[1]) == "/" and W.required_char(PATTERNS[6]) == ""


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="0123456789-:/ aAmMpPTxyXYبتنشرفي", max_size=40))
def test_a_line_without_it_has_no_match(text):
    for pattern in PATTERNS:
        needed = W.required_char(pattern)
        if needed and needed not in text:
            assert pattern.search(text) is None, (pattern.pattern, text)


def test_the_walk_gives_the_same_lines_as_searching_every_line(monkeypatch):
    from crawler.mirror import ARTICLE, MirrorConfig, route, truth

    html = ["<html><body><ul><li><a href='/a'>title</a> 2016-02-19 11:15:08 PM</li><li>no stamp here</li>"
            "<li>نشر في: 2016-02-19 1:05:00 am | x</li><p>12:30 but no date</p></ul></body></html>"]
    config = MirrorConfig(articles=20, seed=9, markup="default", weight="real")
    for row in truth(config):
        if row["status"] == ARTICLE:
            page = route(config, "/" + row["url"].split("://", 1)[1].split("/", 1)[1])
            if page.status in (301, 302):
                page = route(config, "/" + page.headers["Location"].split("://", 1)[-1].split("/", 1)[1])
            if page.status == 200:
                html.append(decode(page.body)[0])
    for text in html:
        for pattern in (PATTERNS[0], PATTERNS[1]):
            fast = W.walk(parse(text), pattern)
            monkeypatch.setattr(W, "required_char", lambda p: "")
            slow = W.walk(parse(text), pattern)
            monkeypatch.undo()
            assert [(l.text, l.linked) for l in fast.lines] == [(l.text, l.linked) for l in slow.lines]
            assert fast.maybe_stamps == slow.maybe_stamps
    assert len(html) > 10
