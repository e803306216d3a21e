"""reparse8's cut patterns find what they found: the raw-text starts, the block's end tokens and the metadata after
the block against 3bf1755's patterns (its ``crawler/extract/cut.py``, read from git) on random markup, and a
cut page parsed the same by both (or refused by both)."""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from crawler.extract import cut
from crawler.extract.decode import parse_utf8
from crawler.extract.walk import region_context

REPO = Path(__file__).resolve().parents[1]
BASE = "3bf1755"  # the cut before reparse8 (no first-letter look-aheads)


def _base_cut():
    module = sys.modules.get("cut_3bf1755")
    if module is None:
        try:
            source = subprocess.run(["git", "show", f"{BASE}:crawler/extract/cut.py"], cwd=REPO, check=True,
                                    capture_output=True, text=True).stdout
        except (OSError, subprocess.CalledProcessError):
            pytest.skip(f"no git history holding {BASE} (the reference cut)")
        module = types.ModuleType("cut_3bf1755")
        sys.modules["cut_3bf1755"] = module  # (dataclasses look their module up)
        exec(compile(source, "cut_3bf1755.py", "exec"), module.__dict__)
    return module


# Pieces that start, end or nearly start what the patterns look for, in any case, with quotes and ">" in tags.
_PIECES = [b"<script>", b"<SCRIPT type=\"application/ld+json\">", b"</script>", b"</Script >", b"<style media='a>b'>",
           b"</style>", b"<!--", b"-->", b"<!-->", b"--!>", b"<title>", b"</title>", b"<textarea>", b"</textarea>",
           b"<xmp>", b"</xmp>", b"<iframe src=x>", b"</iframe>", b"<noembed>", b"</noembed>", b"<noframes>",
           b"</noframes>", b"<main class=\"content\">", b"<MAIN class=\"content\">", b"<main>", b"</main>", b"</MAIN>",
           b"<div>", b"</div>", b"<div class=\"story\">", b"<section>", b"</section>", b"<table width=\"100%\">",
           b"</table>", b"<article>", b"</article>", b"<meta name=a>", b"<link rel=x>", b"<time>", b"<base href=/>",
           b"<h1>", b"</h1>", b"<H1 class=t>", b"<hr>", b"<span>", b"<i>", b"<s>", b"</s>", b"<t", b"<n", b"<x", b"<m",
           b"<", b">", b"\"", b"'", b"/", b" ", b"\n", b"json", b"text ", "نص عربي".encode(), b"<p>", b"</p>",
           b"<a href=\"<script>\">", b"<img alt='<style>'>", b"<metadata>", b"<titles>", b"<mainx>"]
_markup = st.lists(st.sampled_from(_PIECES), max_size=40).map(b"".join)


def _matches(pattern, data: bytes, start: int = 0):
    return [(m.span(), m.groups()) for m in pattern.finditer(data, start)]


@settings(max_examples=400, deadline=None)
@given(_markup, st.integers(0, 50))
def test_raw_text_starts_and_markup_spans_are_the_bases(data, start):
    base = _base_cut()
    start = min(start, len(data))
    assert _matches(cut._RAW_START, data, start) == _matches(base._RAW_START, data, start)
    assert list(cut.markup_spans(data, start)) == list(base.markup_spans(data, start))
    assert cut.lean_head(data) == base.lean_head(data)


_BLOCK_OPENERS = {"main": b'<main class="content">', "div": b'<div class="story">', "section": b"<section>",
                  "article": b"<article>", "table": b'<table width="100%">'}


def _learned(module, tag: str, selectors: list[str]):
    """The cut each module learns of one page whose story block is a ``tag``."""
    opener = _BLOCK_OPENERS[tag]
    page = (b"<html><head><title>t</title><meta charset=utf-8></head><body><div class=menu><a href=/>x</a></div>"
            + opener + b"<h1>title</h1><p>" + "نص".encode() + b"</p>" + b"</" + tag.encode() + b">"
            + b"<div class=footer>f</div><script>var a = 1 < 2;</script></body></html>")
    root = parse_utf8(page)
    block = next(root.iter(tag)) if tag != "table" else root.find(".//table")
    learned = module.learn(page, root, block, region_context(block), selectors)
    assert learned is not None
    return learned


@pytest.mark.parametrize("tag", sorted(_BLOCK_OPENERS))
def test_the_learned_patterns_match_as_the_bases_do(tag):
    base = _base_cut()
    selectors = ["h1"] if tag != "table" else ["h1", "figcaption"]
    new, old = _learned(cut, tag, selectors), _learned(base, tag, selectors)
    assert new.open_tag == old.open_tag

    @settings(max_examples=300, deadline=None)
    @given(_markup, st.integers(0, 60), st.integers(0, 60))
    def check(data, start, length):
        start = min(start, len(data))
        end = min(len(data), start + length)
        assert _matches(new.tokens, data, start) == _matches(old.tokens, data, start)
        assert _matches(new.after, data, start) == _matches(old.after, data, start)
        assert _same(new.after.search(data, start, end), old.after.search(data, start, end))
        assert new._end(data, start) == old._end(data, start)

    check()


def _same(a, b) -> bool:
    return (a is None) == (b is None) and (a is None or (a.span(), a.groups()) == (b.span(), b.groups()))


_CP1256 = "نص عربي".encode("cp1256")


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(_BLOCK_OPENERS)), _markup, _markup, _markup, st.sampled_from(["utf-8", "cp1256"]))
def test_a_random_page_is_cut_as_the_base_cuts_it(tag, before, inside, after, codec):
    """Whole pages: the head, random bytes, the block with random bytes in it, random bytes after; both cuts give the
    same tree (serialized) and context, or both refuse the page — as UTF-8 bytes, and as a windows-1256 page's
    (its Arabic bytes, the cut decoded by ``cut_parser``)."""
    base = _base_cut()
    new, old = _learned(cut, tag, ["h1"]), _learned(base, tag, ["h1"])
    page = (b"<html><head><title>t</title><style>p{color:red}</style></head><body>" + before
            + _BLOCK_OPENERS[tag] + b"<h1>x</h1>" + inside + b"</" + tag.encode() + b">" + after + b"</body></html>")
    if codec == "cp1256":
        page = page.replace("نص عربي".encode(), _CP1256)
        got, expected = new.parse(page, cut.cut_parser(codec)), old.parse(page, base.cut_parser(codec))
    else:
        got, expected = new.parse(page), old.parse(page)
    assert (got is None) == (expected is None)
    if got is not None:
        assert etree.tostring(got[0]) == etree.tostring(expected[0]) and got[2] == expected[2]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(_BLOCK_OPENERS)), st.lists(_markup, min_size=1, max_size=3),
       st.lists(st.tuples(st.integers(0, 2), _markup, _markup, st.booleans()), min_size=1, max_size=8))
def test_pages_in_a_row_are_cut_as_the_base_cuts_them(tag, befores, pages):
    """One cut reading pages in a row whose bytes before the block repeat (``Cut._known_before`` answers from the
    pages before): each page cut as the base's cut reads it alone — a repeated "before" followed by another start
    tag, by the start tag again inside the block, or with the tag's first bytes ending it included."""
    base = _base_cut()
    new = _learned(cut, tag, ["h1"])
    opener = _BLOCK_OPENERS[tag]
    for which, inside, after, lead_cut in pages:
        before = befores[min(which, len(befores) - 1)]
        block = opener[:len(opener) // 2] if lead_cut else opener  # the start tag cut short: no block there
        page = (b"<html><head><title>t</title></head><body>" + before + block + b"<h1>x</h1>" + inside
                + b"</" + tag.encode() + b">" + after + b"</body></html>")
        old = _learned(base, tag, ["h1"])
        got, expected = new.parse(page), old.parse(page)
        assert (got is None) == (expected is None)
        if got is not None:
            assert etree.tostring(got[0]) == etree.tostring(expected[0]) and got[2] == expected[2]
