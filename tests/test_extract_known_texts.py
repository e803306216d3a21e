"""A raw text's end found from a text searched before (``cut._KnownTexts``): every answer is the regex search's,
whatever the earlier texts were — the same bundle, a shorter or longer copy of it, one that differs anywhere,
end tags in mixed case, a "<!--" (``lean_page``'s script pattern), the end tag at the page's very end, none."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.extract import cut
from crawler.extract.cut import _LEAN_ENDS, _RAW_END, _KnownTexts, _raw_end, _shared, markup_spans

# A script's code with many "<" (past the tries that look at each one) and the bits an end tag is made of.
_BITS = [b"i<n;", b"a<b", b"x", b"script", b"SCRIPT", b"ScRiPt", b"</", b"<", b"/", b">", b" ", b"\v", b"\t",
         b"!--", b"<!-", b"-->", b"</scrip", b"</style", b"</STYLE", b"</scriptx", b"</script", b"</sCript",
         b"\xd8\xa7", b"{\"a\":1}"]
_BUNDLE = b"function lg(v,l){return v<l};" * 3 + b"".join(b"for(i=0;i<%d;i++){q[i]=i<%d?1:2}" % (n, n) for n in range(60))
_TEXTS = st.lists(st.sampled_from(_BITS), max_size=40).map(b"".join)


def _regex_end(data: bytes, pattern, at: int) -> int:
    found = pattern.search(data, at)
    return found.start() if found is not None else -1


def _page(prefix: bytes, text: bytes, cut_at: int, tail: bytes) -> tuple[bytes, int]:
    """``prefix`` + a copy of the bundle cut at ``cut_at`` with ``text`` after it + ``tail``; the text's start."""
    return prefix + _BUNDLE[:cut_at] + text + tail, len(prefix)


_PATTERNS = st.sampled_from([_RAW_END[b"script"], _LEAN_ENDS[b"script"], _RAW_END[b"style"], _RAW_END[b"noframes"]])
_PAGES = st.tuples(st.sampled_from([b"", b"<script>", b"<p>x</p><SCRIPT type=x>"]), _TEXTS,
                   st.integers(0, len(_BUNDLE)), st.sampled_from([b"", b"</script>", b"</SCRIPT >", b"</script",
                                                                  b"</style>x", b"<!-- a -->", b"</noframes/>"]))


@settings(max_examples=400, deadline=None)
@given(pages=st.lists(_PAGES, min_size=1, max_size=6), pattern=_PATTERNS)
def test_the_end_is_the_regex_search_s(pages, pattern):
    """Pages searched one after another through one memory (each remembered or not): each end is the regex's."""
    known = _KnownTexts()
    saved = cut._KNOWN_TEXTS
    cut._KNOWN_TEXTS = known
    try:
        for spec in pages:
            data, start = _page(*spec)
            assert _raw_end(data, pattern, start) == _regex_end(data, pattern, start), (spec, known.known)
            assert known.end(data, pattern, start, start) == _regex_end(data, pattern, start)
    finally:
        cut._KNOWN_TEXTS = saved


@settings(max_examples=300, deadline=None)
@given(first=_TEXTS, second=_TEXTS, tail=_TEXTS, cut_at=st.integers(0, len(_BUNDLE)), pattern=_PATTERNS)
def test_a_text_that_differs_after_a_shared_start(first, second, tail, cut_at, pattern):
    """Two pages whose texts share the bundle's first ``cut_at`` bytes and differ after: the second's end (an end
    tag in any case, a "<!--", at the very end or none) is still the regex's."""
    known = _KnownTexts()
    a = b"<script>" + _BUNDLE[:cut_at] + first + _BUNDLE[cut_at:] + b"</script>"
    b = b"<script>" + _BUNDLE[:cut_at] + second + tail
    for data in (a, b, a, b):
        assert known.end(data, pattern, 8, 8) == _regex_end(data, pattern, 8)


def test_shared_counts_the_equal_bytes():
    text = memoryview(_BUNDLE)
    for n in (0, 1, 15, 16, 17, 100, len(_BUNDLE) - 1, len(_BUNDLE)):
        data = b"xy" + _BUNDLE[:n] + b"\x00" + b"z" * 5
        assert _shared(data, 2, text) == n
    assert _shared(b"xy" + _BUNDLE + b"more", 2, text) == len(_BUNDLE)


def test_a_bundle_is_remembered_and_answers_from_memory():
    """The second copy (shorter or longer, with the end tag in another case) is answered without the regex
    stepping through the shared bytes, and the answer is the regex's; markup_spans of the pages are unchanged."""
    known = _KnownTexts()
    pattern = _RAW_END[b"script"]
    long = b"<p>a</p><script>" + _BUNDLE + b"</script><i>x</i>"
    short = b"<p>b</p><script>" + _BUNDLE[:len(_BUNDLE) // 2] + b"</ScRiPt\t><i>y</i>"
    assert known.end(long, pattern, 16, 16) == long.index(b"</script")
    assert len(known.known) == 1

    class Counting:  # the pattern, counting the bytes its search is asked to step through
        stepped = 0

        def search(self, data, at):
            Counting.stepped += len(data) - at
            return pattern.search(data, at)

    counting = Counting()
    known.known = {(counting, key[1]): value for key, value in known.known.items()}
    assert known.end(short, counting, 16, 16) == short.index(b"</ScRiPt")
    assert Counting.stepped <= len(short) - (16 + len(_BUNDLE) // 2) + _KnownTexts._WINDOW
    for data in (long, short):
        spans = list(markup_spans(data))
        cut._KNOWN_TEXTS.known.clear()
        assert list(markup_spans(data)) == spans
