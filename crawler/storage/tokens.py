"""The search index's text: search forms as FTS5's ``ascii`` tokenizer should read them to find, word for word,
the tokens ``unicode61`` made of the same forms (issue 22: the index's cost at the writer's commit).

FTS5's ``unicode61`` tokenizer looks up each code point of a non-ASCII character in two tables (its category,
then its case and diacritic fold): on Arabic text, every character. The ``ascii`` tokenizer only folds ASCII
upper case and splits at ASCII characters that are not letters or digits; any other character is part of a
token. For a search form of Arabic letters, digits and lower-case ASCII words (``SIMPLE_TEXT``: all of
alhadath's bodies and titles in the mirror) both tokenizers read the same tokens, so the form goes to the index
as it is, and indexing costs about half (a 1,100-character body form: ~50 against ~100 µs, ``bench/results.md``
"the search index's tokenizer"). Any other form is first turned into unicode61's own tokens joined by single
spaces, e.g. ``"café_noir ﻻ"`` → ``"cafe noir ﻻ"`` (``é`` folded, ``_`` a separator), which ascii reads as the
same tokens. unicode61 reads a text one code point at a time, each either a separator or a character it folds
(to one code point, or to none: a mark it removes inside the token), so that is a map of characters; each
character's entry is asked of SQLite's own unicode61 the first time it is met (``_probe``) and kept: what
SQLite does is the definition, not a copy of its tables. The index, the removal of an article from it and every
``match`` (``crawler.storage.queries.fts_query``, ``impacts.ranked``, the ``search_form`` SQL function) go
through ``index_form``, so the same tokens meet.
"""

from __future__ import annotations

import re
import sqlite3
import threading

# The search index is contentless FTS5: it holds the search forms of title and body (``search_form``) as
# tokens only, computed at write time from the record, never stored as text. Deleting or changing an indexed
# row hands FTS5 the old forms again, recomputed from the stored title and paragraphs (``Archive``): SQLite
# 3.40 has no ``contentless_delete``. Columns keep their names so ``articles_fts match search_form(:q)`` and
# ``bm25(articles_fts)`` read as before.
CREATE_SEARCH_INDEX_UNICODE61 = (  # as m201 made it; m2xx_search_index_ascii replaces it
    "create virtual table articles_fts using fts5(title_stemmed, body_stemmed, content='', tokenize='unicode61')"
)
# The index reads ``crawler.storage.tokens.index_form`` of each search form with FTS5's ``ascii`` tokenizer:
# the tokens unicode61 read of the form itself, at about half the cost (m2xx_search_index_ascii).
CREATE_SEARCH_INDEX = (
    "create virtual table articles_fts using fts5(title_stemmed, body_stemmed, content='', tokenize='ascii')"
)
# New articles of the open batch, one row each by executemany (rowid, title form, body form), the rowids
# checked first against ``articles`` (a batch rolled back under it is skipped: ``Archive.flush``). Plain
# VALUES rows cost 63 µs an article with the commit, one INSERT ... SELECT over a JSON array of the batch
# 76 µs (its encoding and parsing), an INSERT ... SELECT ... WHERE EXISTS per row 130 µs.
INDEX_ARTICLES = "insert into articles_fts (rowid, title_stemmed, body_stemmed) values (?, ?, ?)"
UNINDEX_ARTICLE = (
    "insert into articles_fts (articles_fts, rowid, title_stemmed, body_stemmed) values ('delete', ?, ?, ?)"
)

# A form unicode61 keeps as it is, token for token (one token a space-separated word, no case or diacritic
# folding): Arabic letters, digits, lower-case ASCII. Impacts are kept for such words only. Checked character
# by character against SQLite's unicode61 (tests/test_storage_tokens.py): U+0670, the superscript alef inside
# 066E-06D3, is a separator to it (a mark; ``fold_arabic`` removes it anyway), so it is left out.
_LETTERS = r"\u0620-\u064a\u066e\u066f\u0671-\u06d3\u06d5\u06fa-\u06fc\u06ff0-9a-z\u0660-\u0669\u06f0-\u06f9"
SIMPLE = re.compile(f"[{_LETTERS}]+")
SIMPLE_TEXT = re.compile(f"[{_LETTERS} ]*")

# character → what unicode61 makes of it inside a word: its fold ("" if removed) or " " (a separator)
_CHARS: dict[str, str] = {" ": " "}
_LOCK = threading.Lock()


def index_form(form: str) -> str:
    """The text the index holds (and a query matches) for a search form: the form itself when it is simple,
    else unicode61's tokens of it joined by single spaces (``"ÉTÉ 2024"`` → ``"ete 2024"``)."""
    if SIMPLE_TEXT.fullmatch(form):
        return form
    unknown = set(form).difference(_CHARS)
    if unknown:
        _probe(unknown)
    return " ".join("".join([_CHARS[char] for char in form]).split())


def _probe(chars: set[str]) -> None:
    """Ask SQLite's unicode61 what it makes of each character: ``a<c>a`` is one token ``a<fold>a`` (the fold
    may be empty: a removed mark) or two tokens ``a``, ``a`` (a separator)."""
    with _LOCK:
        chars = {char for char in chars if char not in _CHARS}
        if not chars:
            return
        ordered = sorted(chars)
        conn = sqlite3.connect(":memory:")
        try:
            conn.execute("create virtual table probe using fts5(x, tokenize='unicode61')")
            conn.execute("create virtual table probe_terms using fts5vocab(probe, 'instance')")
            conn.executemany("insert into probe (rowid, x) values (?, ?)",
                             [(number, f"a{char}a") for number, char in enumerate(ordered, 1)])
            tokens: dict[int, list[str]] = {}
            for doc, term in conn.execute("select doc, term from probe_terms order by doc, offset"):
                tokens.setdefault(doc, []).append(term)
        finally:
            conn.close()
        for number, char in enumerate(ordered, 1):
            found = tokens.get(number, [])
            if len(found) == 1 and len(found[0]) >= 2 and found[0][0] == "a" and found[0][-1] == "a":
                _CHARS[char] = found[0][1:-1]
            elif found == ["a", "a"]:
                _CHARS[char] = " "
            else:  # not one code point read alone (never seen): refuse rather than index it wrongly
                raise ValueError(f"unicode61 reads a{char!r}a as {found!r}")
