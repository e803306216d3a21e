"""The search index read by FTS5's ``ascii`` tokenizer over ``index_form`` (crawler.storage.tokens) holds the
tokens FTS5's ``unicode61`` read of the search forms themselves: checked against SQLite's own unicode61 on
random texts of many scripts, on an archive's index, through search, and across the migration that rebuilt an
archive's unicode61 index."""

from __future__ import annotations

import sqlite3

from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.storage import Archive, search_articles
from crawler.storage.impacts import stored_forms
from crawler.storage.schema import SEARCH_INDEX_MERGE
from crawler.storage.tokens import CREATE_SEARCH_INDEX_UNICODE61, INDEX_ARTICLES, SIMPLE, SIMPLE_TEXT, index_form
from crawler.text import search_form
from tests.test_storage import record, write

# Characters where the two tokenizers part: Arabic and its presentation forms and digits, ASCII of both cases
# and its punctuation, Latin with diacritics (unicode61 removes them), title case, Turkish İ, German ß, Greek
# with breathings (kept), Cyrillic, Hebrew, CJK, other scripts' digits, combining marks, "_", spaces of kinds.
POOL = ("ابتثجحخدذرزسشصضطظعغفقكلمنهويءآأإؤئةى" "ﻻﺍﺑﻼ" "٠١٢٣٤٥٦٧٨٩۰۱۲" "abcxyzABCXYZ0189" "_-.,'\"()*:"
        "éèêëÉÀçÇñÑøØåÅæÆœŒ" "ǅǈǋ" "İıß" "ᾆάΩωΣσς" "ЖжЁё" "שלום" "中文字" "१२३" "\u0301\u064e\u0651\u0670"
        " \t\n\u00a0\u2003" "ـ")
texts = st.text(alphabet=st.sampled_from(POOL), max_size=40)


def tokens(conn: sqlite3.Connection, tokenizer: str, text: str) -> list[str]:
    """The terms an FTS5 table with ``tokenizer`` reads of ``text``, in order."""
    conn.execute("drop table if exists t")
    conn.execute(f"create virtual table t using fts5(x, tokenize='{tokenizer}')")
    conn.execute("create virtual table if not exists t_terms using fts5vocab(t, 'instance')")
    conn.execute("insert into t (rowid, x) values (1, ?)", [text])
    return [term for (term,) in conn.execute("select term from t_terms order by offset")]


@settings(max_examples=300, deadline=None)
@given(texts)
def test_ascii_reads_index_form_as_unicode61_reads_the_text(text):
    conn = sqlite3.connect(":memory:")
    want = tokens(conn, "unicode61", text)
    assert tokens(conn, "ascii", index_form(text)) == want
    # and unicode61 reads it alike: a reader's query still finds its words in an archive not yet migrated
    assert tokens(conn, "unicode61", index_form(text)) == want


@settings(max_examples=200, deadline=None)
@given(texts)
def test_the_same_for_search_forms(text):
    form = search_form(text)
    conn = sqlite3.connect(":memory:")
    assert tokens(conn, "ascii", index_form(form)) == tokens(conn, "unicode61", form)


def test_simple_forms_go_as_they_are_others_as_unicode61_tokens():
    arabic = search_form("والحكومة الفلسطينية تعلن 2024")
    assert SIMPLE_TEXT.fullmatch(arabic) and index_form(arabic) is arabic
    assert index_form("café_noir  ÉTÉ ǅ İstanbul") == "cafe noir ete ǆ istanbul"


MIXED = {  # article id → (title, paragraphs): simple Arabic, Latin with diacritics, "_", Greek
    1: ("مؤتمر في رام الله", ("افتتح المؤتمر الدولي في رام الله اليوم", "بحضور وزراء")),
    2: ("Café Rückblick", ("Die Straße in München: ein Rückblick auf das Café", "Müller_Lüdenscheid sagte")),
    3: ("مهرجان الزيتون", ("Ωραία ημέρα στο φεστιβάλ ελιάς", "مهرجان الزيتون في نابلس")),
    4: ("Crème brûlée", ("Le café crème et la crème brûlée", "مطعم في بيت لحم")),
}
QUERIES = ("رام الله", "مؤتمر", "café", "cafe", "Cafe", "strasse", "straße", "München", "muller", "Müller_Lüdenscheid",
           "lüdenscheid", "ελιάς", "φεστιβάλ", "crème", "creme brulee", '"crème brûlée"', "الزيتون", "مطعم لحم")


def found(archive, text: str) -> list[int]:
    return [row["article_id"] for row in search_articles(archive, text, limit=50)]


def index_terms(conn: sqlite3.Connection) -> list[tuple]:
    conn.execute("create virtual table if not exists temp.index_terms using fts5vocab(main, articles_fts, instance)")
    return sorted(conn.execute("select term, doc, col, offset from temp.index_terms"))


def test_search_finds_what_unicode61_found_and_the_migration_rebuilds_an_old_index(tmp_path):
    path = tmp_path / "a.db"
    with Archive(path) as archive:
        archive.upsert_articles([write(record(i, title=title, paragraphs=paragraphs))
                                 for i, (title, paragraphs) in MIXED.items()])
        archive.commit()
        conn = archive.db.conn
        assert "tokenize='ascii'" in conn.execute("select sql from sqlite_master where name = 'articles_fts'").fetchone()[0]
        new_terms = index_terms(conn)
        new_found = {query: found(archive, query) for query in QUERIES}
        sql_found = [row[0] for row in conn.execute(
            "select rowid from articles_fts where articles_fts match search_form(?) order by rowid", ["CAFÉ"])]
        # The archive as the last release left it: the same rows, the index read by unicode61 from the forms.
        conn.execute("drop table articles_fts")
        conn.execute(CREATE_SEARCH_INDEX_UNICODE61)
        conn.executemany(INDEX_ARTICLES, [(row["rowid"], *stored_forms(row))
                                          for row in archive.db.query("select rowid, * from articles")])
        conn.execute("delete from _sqlite_migrations where name = 'm2xx_search_index_ascii'")
        conn.commit()
        old_terms = index_terms(conn)
        old_found = {query: found(archive, query) for query in QUERIES}
    assert old_terms == new_terms and len(new_terms) > 40
    assert old_found == new_found
    assert sorted(new_found["cafe"]) == [2, 4] and new_found["café"] == new_found["cafe"] == new_found["Cafe"]
    assert new_found["strasse"] == [] and new_found["straße"] == [2]  # unicode61 keeps ß
    assert new_found['"crème brûlée"'] == [4] and new_found["مطعم لحم"] == [4]
    assert sorted(sql_found) == [2, 4]
    with Archive(path) as archive:  # the migration runs
        conn = archive.db.conn
        assert "tokenize='ascii'" in conn.execute("select sql from sqlite_master where name = 'articles_fts'").fetchone()[0]
        assert index_terms(conn) == old_terms
        assert {query: found(archive, query) for query in QUERIES} == old_found
        merge = dict(conn.execute("select k, v from articles_fts_config where k in ('automerge', 'crisismerge')"))
        assert merge == {"automerge": SEARCH_INDEX_MERGE, "crisismerge": SEARCH_INDEX_MERGE}
        conn.execute("insert into articles_fts (articles_fts, rank) values ('integrity-check', 1)")
        # Changing and removing articles hands the index the tokens it holds (else FTS5's delete corrupts it).
        archive.upsert_articles([write(record(2, title="Kein Café mehr", paragraphs=("Geschlossen_heute",)))])
        archive.demote_to_alias("alhadath", 4, of=1)
        archive.commit()
        conn.execute("insert into articles_fts (articles_fts, rank) values ('integrity-check', 1)")
        assert found(archive, "café") == [2] and found(archive, "geschlossen") == [2] and found(archive, "crème") == []


def test_every_simple_character_is_its_own_token_to_unicode61():
    """The fast path's premise, character by character: each character SIMPLE allows reads as itself alone,
    inside a word and at either end of one (the superscript alef U+0670, a separator, once slipped in)."""
    chars = [chr(code) for code in range(0x20, 0x10000) if SIMPLE.fullmatch(chr(code))]
    conn = sqlite3.connect(":memory:")
    for char in chars:
        for text, want in ((char, [char]), (f"a{char}a", [f"a{char}a"]), (f"{char}a", [f"{char}a"])):
            assert tokens(conn, "unicode61", text) == want, (hex(ord(char)), text)
    assert len(chars) > 200 and "\u0670" not in chars
