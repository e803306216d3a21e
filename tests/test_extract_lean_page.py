"""A storyless host's pages are parsed without their scripts' text (``cut.lean_page``): the tree is the whole
parse's but for the text of its <style>s and non-JSON <script>s, or None where the bytes cannot tell; and the
records are those of the whole parse (crawler.extract.template)."""

from __future__ import annotations

from lxml import etree

import crawler.extract.template as template
from crawler.extract import Extractor
from crawler.extract.cut import lean_page
from crawler.extract.decode import parse_utf8
from crawler.extract.template import NO_STORY_AFTER
from tests.test_extract_storyless import HOST, KEY, VISIBLE, broken_pages

_STRIPPED = ("script", "style")


def _shape(root, lean: bool) -> list:
    """Each element's tag, attributes, text and tail in document order; a stripped element's text left out
    (on both trees) where it is one ``lean_page`` empties."""
    out = []
    for el in root.iter():
        text = el.text
        if el.tag in _STRIPPED and "json" not in (el.get("type") or "").lower():
            assert not lean or not text, etree.tostring(el)[:80]
            text = None
        out.append((el.tag, dict(el.attrib), text, el.tail))
    return out


def _same_but_scripts(source: bytes) -> bool:
    lean = lean_page(source)
    if lean is None:
        return False
    assert _shape(lean, True) == _shape(parse_utf8(source), False)
    return True


SCRIPT = "var a = 1 < 2 && b > 0; document.write('</div>'); if (x</y) {}"


def test_a_page_less_its_scripts_text_is_the_same_tree():
    pages = [
        f'<html><head><style>p {{ color: red }}</style><script>{SCRIPT}</script></head><body><p>a</p>'
        f'<script type="text/javascript">{SCRIPT}</SCRIPT ><p>b</p><script src="/x.js"></script >'
        f'<script type="application/ld+json">{{"@type": "NewsArticle"}}</script><div title="<script>">c</div>'
        f'<!-- <script> a comment --><textarea><script></textarea><script>x</script/><p>end</p></body></html>',
        f'<html><body><div id="app"></div><noscript><p>enable</p></noscript><script>{SCRIPT * 50}</script>'
        f'</body></html>',
        '<html><body><script>window.__STATE__ = {"t": "\\u0648"};</script><script></script></body></html>',
    ]
    for page in pages:
        assert _same_but_scripts(page.encode("utf-8")), page


def test_no_lean_tree_where_the_bytes_cannot_tell_it():
    """A script holding "<!--" (libxml2 follows the tokenizer's escaped states), an end tag the tokenizer does not
    end on (a vertical tab after its name), raw text never closed, a script whose text a stage reads whole
    (inside an <h1> or a link), a <plaintext>."""
    for page in ['<html><body><script><!--<script></script>X</script><p>after</p></body></html>',
                 '<html><body><script>a</script\x0bx>b</script><p>after</p></body></html>',
                 '<html><body><p>a</p><script>never closed',
                 '<html><body><h1>T<script>x</script></h1></body></html>',
                 '<html><body><a href="/x">T<script>x</script></a></body></html>',
                 '<html><body><plaintext><script>x</script></body></html>']:
        assert lean_page(page.encode("utf-8")) is None, page
    # libxml2 agrees that the first end tag does not end the script
    whole = parse_utf8(b'<html><body><script><!--<script></script>X</script><p>after</p></body></html>')
    assert "X" in whole.find(".//script").text


def test_mirror_pages_less_their_scripts_text_are_the_same_trees():
    from tests.test_extract_walk_blocks import _mirror_pages

    compared = 0
    for body in [body for body, _ in broken_pages(8, weight="real")] + _mirror_pages(("default", "table"), 6):
        compared += _same_but_scripts(body)
    assert compared >= 18


def test_a_storyless_host_is_read_lean_with_the_whole_parses_records(monkeypatch):
    """The same records (None, then a story's) with and without the lean parse; the lean one served the storyless
    pages between the checks."""
    pages = broken_pages(30, weight="real")
    pages.insert(25, (VISIBLE, f"{HOST}/article/9999/x"))

    def records(extractor):
        return [extractor.extract_article(body, url) for body, url in pages]

    lean = Extractor()
    got = records(lean)
    assert lean.templates.sites[KEY].lean >= 30 - NO_STORY_AFTER - 3 - NO_STORY_AFTER
    monkeypatch.setattr(template, "lean_page", lambda source: None)
    whole = Extractor()
    assert records(whole) == got and whole.templates.sites[KEY].lean == 0
    assert got[25] is not None and all(record is None for n, record in enumerate(got) if n != 25)
