"""Strict UTF-8 told without building the text (decode.exact_utf8), the cut's head less its CSS (cut.lean_head), fold_heads."""

from __future__ import annotations

import codecs
import random

import pytest
from lxml import etree

from crawler.extract.cut import lean_head
from crawler.extract.decode import _CHUNK, decode, exact_utf8, parse, parsed_bytes, parse_utf8
from crawler.extract.walk import fold, fold_heads, folds_to, walk
from tests.test_extract_template import pages

PIECES = [b"<p>", b"a", "\u0627\u0644".encode(), "\ufffd".encode(), b"\xd8", b"\xa7", b"\xff", b"\xc0\xaf",
          b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b" ", b"\x00", b"<?xml version='1.0'?>", codecs.BOM_UTF8,
          codecs.BOM_UTF16_LE, b"<meta charset=windows-1256>", b"<meta charset=utf-8>", "\u00a0".encode(),
          "\u3000".encode(), b"\x1c", b"\n", "\U0001F600".encode(), b"\x80", b"\t"]


def _decoded_exactly(body: bytes, encoding: str | None) -> bool:
    """What the extractor asked before: the codec decode chose, the BOM and the text's U+FFFD."""
    text, codec = decode(body, encoding)
    return codec == "utf-8" and not body.startswith(codecs.BOM_UTF8) and "\ufffd" not in text


def _bodies(count: int, seed: int):
    rng = random.Random(seed)
    for _ in range(count):
        body = b"".join(rng.choice(PIECES) for _ in range(rng.randint(0, 12)))
        yield body * rng.randint(1, 2000) if rng.random() < 0.3 else body  # long ones cross the 4 KB parts


def test_exact_utf8_is_what_decoding_the_text_told():
    exact = 0
    for body in _bodies(3000, 7):
        for encoding in (None, "utf-8", "iso-8859-1", "windows-1256"):
            assert exact_utf8(body, encoding) == _decoded_exactly(body, encoding), (body[:80], encoding)
            exact += exact_utf8(body, encoding)
    assert exact > 500  # (the generated bodies hold both answers)


@pytest.mark.parametrize("part, valid", [
    ("\u0627".encode(), True),  # a 2-byte character across the cut between two parts
    ("\U0001F600".encode(), True),
    (b"\xd8", False),  # a lead byte with nothing after it
    (b"\xa7", False),  # a stray continuation byte
    (b"\xef\xbf\xbd", False),  # U+FFFD in the bytes
])
def test_a_character_at_the_border_of_two_parts(part, valid):
    for shift in range(4):
        body = b"<p>" + b"x" * (_CHUNK - 3 - shift) + part + b"</p>" + "\u0644".encode() * 3000
        assert exact_utf8(body) is valid
        assert _decoded_exactly(body, None) is valid


def test_the_bytes_parse_as_the_text_did_without_building_it():
    for body in _bodies(3000, 11):
        if not exact_utf8(body):
            continue
        text = body.decode("utf-8")
        assert parsed_bytes(None, body) == parsed_bytes(text, body)
        tree, before = parse(None, body), parse(text, body)
        assert (tree is None) == (before is None), body[:80]
        if tree is not None:
            assert etree.tostring(tree) == etree.tostring(before)


def test_lean_head_empties_the_style_elements_and_nothing_else():
    head = (b'<html><head><meta charset="utf-8"><title>t</title><style media="all">p{color:red}a::after{content:">"}'
            b'</style><!-- <style>x</style> --><script>var s = "<style>";</script>'
            b'<STYLE>b{}</STYLE ><style>a < b</style><link rel="canonical" href="/a"></head>')
    lean = lean_head(head)
    assert lean == (b'<html><head><meta charset="utf-8"><title>t</title><style media="all"></style>'
                    b'<!-- <style>x</style> --><script>var s = "<style>";</script>'
                    b'<STYLE></STYLE ><style>a < b</style><link rel="canonical" href="/a"></head>')
    assert lean_head(b"<head><title>x</title><style>p{}") == b"<head><title>x</title><style>p{}"  # never closed
    assert lean_head(b"<head><!-- <style>p{}</style>") == b"<head><!-- <style>p{}</style>"  # in an open comment


def test_a_lean_head_walks_to_the_same_lines_and_metadata():
    for body, _ in pages("default", "real", 6, 21, 150000):
        end = body.index(b"</head>") + 7
        assert len(lean_head(body[:end])) < end - 30_000  # the real-weight head's CSS
        lean, whole = (walk(parse_utf8(head + body[end:]), None) for head in (lean_head(body[:end]), body[:end]))
        assert lean.title_tag and lean.meta and lean.lines
        assert (lean.lines, lean.meta, lean.meta_all, lean.title_tag, lean.canonical, lean.jsonld, lean.times) == \
            (whole.lines, whole.meta, whole.meta_all, whole.title_tag, whole.canonical, whole.jsonld, whole.times)


def test_fold_heads_answers_what_the_pass_over_the_members_did():
    rng = random.Random(5)
    words = ["a", "ab", "b", "abc", "\u0627\u0644", "x-y", "12:30", "\u00abq\u00bb", "The"]
    for _ in range(20000):
        folded = {fold(" ".join(rng.choice(words) for _ in range(rng.randint(1, 4)))) for _ in range(rng.randint(0, 4))}
        heads = fold_heads(folded - {""})
        head = fold(" ".join(rng.choice(words) for _ in range(rng.randint(1, 3))))
        assert (head in heads) == any(m == head or m.startswith(head + " ") for m in folded - {""})
        text = " ".join(rng.choice(words) for _ in range(rng.randint(1, 6)))
        assert folds_to(text, folded - {""}, heads) == folds_to(text, folded - {""})


def test_holds_answers_what_in_answers():
    """``decode.holds`` (the C library's memmem where there is one) against ``in`` on generated bytes: needles at
    the start, the end, overlapping themselves, absent, and the Wayback toolbar's id in a real-weight page."""
    import random

    from crawler.extract.decode import holds

    rnd = random.Random(7)
    alphabet = b"wm-ip\xd8\xa7 <>p"
    for n in range(5000):
        data = bytes(rnd.choice(alphabet) for _ in range(rnd.randrange(0, 40)))
        needle = b"wm-ipp"[: rnd.randrange(1, 7)] if n % 2 else bytes(rnd.choice(alphabet)
                                                                   for _ in range(rnd.randrange(1, 4)))
        assert holds(data, needle) == (needle in data), (data, needle)
    page = b"<html><body>" + "نص".encode() * 40_000 + b"</body></html>"
    assert not holds(page, b"wm-ipp")
    assert holds(page + b'<div id="wm-ipp-base"></div>', b"wm-ipp")
    assert holds(b'<div id="wm-ipp">' + page, b"wm-ipp")
    assert holds(bytearray(b'x<div id="wm-ipp">'), b"wm-ipp") and not holds(bytearray(b"wm-ip"), b"wm-ipp")
