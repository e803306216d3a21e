"""Full-text search over the archive with the indexing's own Arabic folding and light stemming.

The FTS5 index holds ``crawler.text.search_form`` text (as ``crawler.storage.tokens.index_form`` hands it to
FTS5's ``ascii`` tokenizer: the tokens ``unicode61`` would read) — ``fold_arabic`` (no tashkeel, أ/إ/آ→ا, ى→ي, ة→ه),
then presentation forms (NFKC), Persian/Urdu letters and ؤ/ئ folded, then each word light-stemmed (و/ف,
ب/ل/ك and ال off the front, pronoun and plural suffixes off the end) — and the query goes through the same
function: ``مُحَمَّد`` finds ``محمد``, ``إسرائيل`` finds ``بإسرائيل``, ``حكومة`` finds ``الحكومة`` and
``حكومتها``, ``مسئول`` finds ``مسؤول``. Words in double quotes are an exact phrase (folded, not stemmed):
``"رام الله"``. Snippets are cut from the stored (unfolded) paragraphs, with the matching words marked
«like this».

For SQL users (Datasette): register ``search_form`` as a function and match it against ``articles_fts``:
``select * from articles_fts where articles_fts match search_form(:q)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape as html_escape
from pathlib import Path

from crawler.storage import ArticleQuery, open_archive
from crawler.text import parse_search, search_form

SNIPPET_WORDS = 24


@dataclass(frozen=True)
class SearchHit:
    site: str
    article_id: int
    url: str
    title: str
    published_at: str | None
    published_hijri: str | None
    snippet: str


def search(db_path: str | Path, text: str, query: ArticleQuery = ArticleQuery(), *, limit: int = 20) -> list[SearchHit]:
    """The best ``limit`` matches of ``text`` (see the module doc) among the articles ``query`` selects."""
    archive = open_archive(db_path)
    try:
        rows = archive.search(text, query, limit=limit)
    finally:
        archive.close()
    marked = marked_words(text)
    return [
        SearchHit(
            site=row["site"],
            article_id=row["article_id"],
            url=row["url"],
            title=row["title"],
            published_at=row["published_at"],
            published_hijri=row["published_hijri"],
            snippet=snippet(row["paragraphs"], marked),
        )
        for row in rows
    ]


def marked_words(text: str) -> set[str]:
    """The ``search_form`` words a snippet marks for a user's search text (its words and its phrases' words)."""
    words, phrases = parse_search(text)
    return set(words) | {word for phrase in phrases for word in search_form(phrase).split()}


def snippet(paragraphs: Sequence[str], search_words: set[str], width: int = SNIPPET_WORDS, *, html: bool = False) -> str:
    """About ``width`` words around the first match in the body (its start when only the title matched);
    ``search_words`` in ``search_form`` (``parse_search``'s words).

    Matching words are marked «like this»; with ``html`` every word is HTML-escaped and matches are
    marked <mark>like this</mark> (`arshif serve`).
    """
    text = html_escape if html else str
    mark = (lambda w: f"<mark>{html_escape(w)}</mark>") if html else (lambda w: f"«{w}»")
    for paragraph in paragraphs:
        words = paragraph.split()
        hits = [i for i, word in enumerate(words) if search_words & set(search_form(word).split())]
        if hits:
            start = max(0, hits[0] - width // 3)
            window = words[start : start + width]
            marked = [mark(w) if start + i in hits else text(w) for i, w in enumerate(window)]
            prefix = "… " if start > 0 else ""
            suffix = " …" if start + width < len(words) else ""
            return prefix + " ".join(marked) + suffix
    first = " ".join(paragraphs[0].split()[:width]) if paragraphs else ""
    return text(first) + (" …" if paragraphs and len(paragraphs[0].split()) > width else "")
