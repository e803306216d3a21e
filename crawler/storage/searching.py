"""``SearchReads``: the archive's full-text search, one part of ``ArchiveReader`` (``crawler.storage.reader``).

Every search goes through ``search`` (ranked rows), ``search_count`` and ``search_facets``; words alone are
answered from the search impacts where they cover them (``crawler.storage.impacts``), else by FTS5's bm25.
The mixin needs the reader's ``conn``, ``rows``, ``scalar`` and ``_before_read``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from crawler.storage.connection import body_holds_sql
from crawler.storage.impacts import ranked_snapshot
from crawler.storage.queries import FACET_LIMIT, FACETS, ArticleQuery, fts_query, search_condition
from crawler.storage.records import decoded_row
from crawler.text import parse_search


def _holds_phrase(row: Mapping[str, Any], phrase: str) -> bool:
    """Whether a stored row's folded title or body holds ``phrase`` (folded) word for word: in Python, the
    condition ``search_condition`` puts in SQL (``instr(' ' || title_folded || ' ', ' phrase ') or body_holds(...)``)."""
    needle = f" {phrase} "
    title = row.get("title_folded")
    return (title is not None and needle in f" {title} ") or body_holds_sql(row.get("paragraphs"), needle)


# What a search result shows of an article.
_SEARCH_COLUMNS = ("site, article_id, url, title, published_at, published_hijri, category, authors, agencies,"
                   " paragraphs")


class SearchReads:
    """Search over the reader's connection (see the module's docstring)."""

    def _matching(self, text: str, query: ArticleQuery) -> tuple[str, list[Any]] | None:
        condition = search_condition(text, "a")
        if condition is None:
            return None
        self._before_read()
        matching, match_params = condition
        where, params = query.where("a")
        return (
            f"from articles_fts join articles a on a.rowid = articles_fts.rowid where {matching} and {where}",
            [*match_params, *params],
        )

    def search(
        self, text: str, query: ArticleQuery = ArticleQuery(), *, limit: int = 20, offset: int = 0
    ) -> list[dict[str, Any]]:
        """Best matches (FTS5 bm25) of a user's search text in titles and bodies, among ``query``'s articles.

        Index and query share ``crawler.text.search_form`` (folded and light-stemmed): ``إسرائيل`` finds
        ``بإسرائيل``, ``حكومة`` finds ``الحكومة``. Every word must match. Words in double quotes are an exact
        phrase: the stemmed index narrows, then the folded (unstemmed) title or body must hold the phrase."""
        words, phrases = parse_search(text)
        if not (match := fts_query(words, phrases)):
            return []
        self._before_read()
        where, params = query.where("a")
        if not phrases and where == "1":  # words alone: the search impacts' exact top-k, when they cover them
            rowids = ranked_snapshot(self.conn, words, offset + limit)
            if rowids is not None:
                by_rowid = {}
                for start in range(0, len(rowids), 500):
                    part = rowids[start:start + 500]
                    by_rowid.update((row.pop("rowid"), row) for row in self.rows(
                        f"select rowid, {_SEARCH_COLUMNS} from articles where rowid in ({','.join('?' * len(part))})",
                        part))
                if len(by_rowid) == len(rowids):  # else an index entry without its row: the long way below
                    return [decoded_row(by_rowid[rowid]) for rowid in rowids[offset:]]
        # The ranking sorts rowids and scores only: with no filter on the articles, from the index alone (the
        # join to 130,000 rows cost more than the scoring); the page's rows are then read by rowid. Ties keep
        # the index's order, as in one joined query. A phrase is checked on the ranked rows one chunk at a time,
        # until the page is full: not on every match, whose folded bodies cost ~50 µs each (issue 22).
        if where == "1":
            ranked = ("select rowid from articles_fts where articles_fts match ? order by bm25(articles_fts)",
                      [match])
        else:
            ranked = ("select a.rowid from articles_fts join articles a on a.rowid = articles_fts.rowid"
                      f" where articles_fts match ? and {where} order by bm25(articles_fts)", [match, *params])
        wanted, found, seen = offset + limit, [], 0
        step = wanted if not phrases else 2 * wanted + 30
        while len(found) < wanted:
            # The next ``step`` of the ranking (a top-N sort); more only when rows were skipped.
            rowids = [rowid for (rowid,) in self.conn.execute(f"{ranked[0]} limit ? offset ?", [*ranked[1], step, seen])]
            seen += len(rowids)
            for start in range(0, len(rowids), 100):
                part = rowids[start:start + 100]
                marks = ",".join("?" * len(part))
                by_rowid = {row.pop("rowid"): row for row in self.rows(
                    f"select rowid, {_SEARCH_COLUMNS}, title_folded from articles where rowid in ({marks})", part)}
                for rowid in part:  # rank order; a rowid with no row (a stale index entry) is no match, as in a join
                    row = by_rowid.get(rowid)
                    if row is not None and all(_holds_phrase(row, phrase) for phrase in phrases):
                        found.append(row)
                if len(found) >= wanted:
                    break
            if len(rowids) < step:  # the ranking is exhausted
                break
            step *= 4
        return [decoded_row({key: value for key, value in row.items() if key != "title_folded"})
                for row in found[offset:wanted]]

    def _matches(self, text: str, query: ArticleQuery) -> tuple[str, list[Any]] | None:
        """The FROM/WHERE of a search's matches, for its count and facets. A quoted phrase is checked on each
        match's folded body (~100 µs a match: ``"الحكومة"`` in 40,000 articles has 20,781 matches, 2 s), so
        a phrase search's matches are found once per reader and then named by rowid: serve's page asks for
        the count and four facets of one search, which checked every match five times. The memo holds while
        the connection writes nothing (``total_changes``); word-only searches stay in SQL, where the index
        alone answers them."""
        matching = self._matching(text, query)
        if matching is None or not parse_search(text)[1]:
            return matching
        key = (text, query, self.conn.total_changes)
        memo = getattr(self, "_phrase_memo", None)
        if memo is None or memo[0] != key:
            source, params = matching
            memo = self._phrase_memo = (key, json.dumps([rowid for (rowid,) in self.conn.execute(
                f"select a.rowid {source}", params)]))
        return "from articles a where a.rowid in (select value from json_each(?))", [memo[1]]

    def search_count(self, text: str, query: ArticleQuery = ArticleQuery()) -> int:
        if (matching := self._matches(text, query)) is None:
            return 0
        source, params = matching
        return self.scalar(f"select count(*) {source}", params)

    def search_facets(
        self, text: str, query: ArticleQuery = ArticleQuery(), *, limit: int = FACET_LIMIT
    ) -> dict[str, list[dict[str, Any]]]:
        """For each facet, its commonest values among the matches: ``[{"value": ..., "count": ...}]``."""
        facets: dict[str, list[dict[str, Any]]] = {name: [] for name in FACETS}
        if (matching := self._matches(text, query)) is None:
            return facets
        source, params = matching
        for name, (value, join) in FACETS.items():
            facets[name] = self.rows(
                f"select {value} as value, count(*) as count from (select a.rowid as id {source}) m"
                f" join articles a on a.rowid = m.id{join} where {value} is not null"
                " group by 1 order by 2 desc, 1 limit ?",
                [*params, limit],
            )
        return facets
