"""Reads behind `arshif serve` (crawler.serve): totals, coverage, runs, one article with its history,
faceted search.

Every function takes a plain ``sqlite3.Connection`` (Datasette's read-only one, opened ``?mode=ro``, not
an ``Archive``, which is a writer), never writes, and returns plain data (JSON-ready dicts and lists).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from crawler.items import ARTICLE_FIELDS, LIST_FIELDS
from crawler.storage.queries import search_condition

# The facets of the search page and the SQL that yields each article's value(s) for it.
# (value expression, extra join): list columns are JSON arrays, one facet value per element.
FACETS: dict[str, tuple[str, str]] = {
    "category": ("nullif(a.category, '')", ""),
    "year": ("substr(a.published_at, 1, 4)", ""),
    "agency": ("j.value", ", json_each(coalesce(a.agencies, '[]')) j"),
    "author": ("j.value", ", json_each(coalesce(a.authors, '[]')) j"),
}
FACET_LIMIT = 12


def rows(conn: sqlite3.Connection, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    cursor = conn.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _scalar(conn: sqlite3.Connection, sql: str, params: Sequence[Any] = ()) -> Any:
    return conn.execute(sql, params).fetchone()[0]


# -- home ---------------------------------------------------------------------------------------


def archive_totals(conn: sqlite3.Connection) -> dict[str, Any]:
    """What the archive holds: articles, versions, aliases, near duplicates, misses, open failures, span."""
    first, last = conn.execute("select min(published_at), max(published_at) from articles").fetchone()
    return {
        "articles": _scalar(conn, "select count(*) from articles"),
        "versions": _scalar(conn, "select count(*) from article_versions"),
        "aliases": _scalar(conn, "select count(*) from aliases"),
        "near_duplicates": _scalar(conn, "select count(*) from articles where near_duplicate_of is not null"),
        "misses": _scalar(conn, "select count(*) from misses"),
        "open_failures": _scalar(conn, "select count(*) from failures where resolved_at is null"),
        "first_published": first,
        "last_published": last,
    }


def articles_per_month(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Stored articles per publication month ("YYYY-MM"), months without articles left out."""
    return rows(
        conn,
        "select substr(published_at, 1, 7) as month, count(*) as articles from articles"
        " where published_at is not null group by 1 order by 1",
    )


def id_blocks(conn: sqlite3.Connection, block_size: int) -> list[dict[str, Any]]:
    """Per block of ``block_size`` consecutive ids: how many are stored (articles and alias ids), known
    misses and open failures. Blocks with none of them are left out (the caller fills the span)."""
    return rows(
        conn,
        "select block, sum(stored) as stored, sum(misses) as misses, sum(failures) as failures from ("
        " select article_id / :size as block, 1 as stored, 0 as misses, 0 as failures from articles"
        " union all select alias_id / :size, 1, 0, 0 from aliases where alias_id is not null"
        " union all select article_id / :size, 0, 1, 0 from misses"
        " union all select article_id / :size, 0, 0, 1 from failures"
        "  where resolved_at is null and article_id is not null"
        ") group by block order by block",
        {"size": block_size},
    )


def id_span(conn: sqlite3.Connection) -> tuple[int | None, int | None]:
    """The lowest and highest id the archive knows of (articles, aliases, misses, failures)."""
    low, high = conn.execute(
        "select min(v), max(v) from (select min(article_id) as v from articles union all"
        " select max(article_id) from articles union all select min(alias_id) from aliases union all"
        " select max(alias_id) from aliases union all select min(article_id) from misses union all"
        " select max(article_id) from misses union all select min(article_id) from failures union all"
        " select max(article_id) from failures)"
    ).fetchone()
    return low, high


def crawl_runs(conn: sqlite3.Connection, *, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
    """Runs, newest first, with status, counts and alarm reason (``stats`` decoded)."""
    found = rows(conn, "select * from crawl_runs order by id desc limit ? offset ?", [limit, offset])
    for run in found:
        run["args"] = _json(run.get("args"), {})
        run["stats"] = _json(run.get("stats"), {})
    return found


def count_runs(conn: sqlite3.Connection) -> int:
    return _scalar(conn, "select count(*) from crawl_runs")


# -- one article --------------------------------------------------------------------------------


def _json(text: str | None, default: Any) -> Any:
    try:
        return json.loads(text) if text else default
    except ValueError:
        return default


def _decoded(row: Mapping[str, Any]) -> dict[str, Any]:
    found = dict(row)
    for key in LIST_FIELDS:
        if key in found:
            found[key] = _json(found[key], [])
    found.pop("title_folded", None)
    found.pop("body_folded", None)
    return found


def get_article(conn: sqlite3.Connection, site: str, article_id: int) -> dict[str, Any] | None:
    """The stored row (lists decoded, folded search columns left out), or None."""
    found = rows(conn, "select * from articles where site = ? and article_id = ?", [site, article_id])
    return _decoded(found[0]) if found else None


def alias_target(conn: sqlite3.Connection, site: str, alias_id: int) -> int | None:
    """The stored article an alias id stands for, or None."""
    row = conn.execute(
        "select article_id from aliases where site = ? and alias_id = ? limit 1", [site, alias_id]
    ).fetchone()
    return row[0] if row else None


def article_aliases(conn: sqlite3.Connection, site: str, article_id: int) -> list[dict[str, Any]]:
    return rows(
        conn,
        "select alias_id, alias_url, kind, similarity, title, published_at, first_seen_at from aliases"
        " where site = ? and article_id = ? order by alias_id",
        [site, article_id],
    )


def near_duplicates(conn: sqlite3.Connection, site: str, article_id: int) -> list[dict[str, Any]]:
    """Articles that repeat this one almost word for word (their ``near_duplicate_of`` is this id)."""
    return rows(
        conn,
        "select article_id, title, published_at, similarity from articles"
        " where site = ? and near_duplicate_of = ? order by article_id",
        [site, article_id],
    )


def article_versions(conn: sqlite3.Connection, site: str, article_id: int) -> list[dict[str, Any]]:
    """Earlier states, oldest first: version, valid_from, replaced_at, replaced_by_run_id and the record."""
    found = rows(
        conn,
        "select version, valid_from, replaced_at, replaced_by_run_id, warc_record, record from article_versions"
        " where site = ? and article_id = ? order by version",
        [site, article_id],
    )
    for version in found:
        record = _json(version.pop("record"), {})
        version["record"] = {key: record.get(key) for key in ARTICLE_FIELDS}
    return found


# -- search -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchFilters:
    """Facet selections of the search page (None = any)."""

    category: str | None = None
    year: str | None = None
    agency: str | None = None
    author: str | None = None

    def where(self) -> tuple[str, list[Any]]:
        clauses, params = [], []
        if self.category:
            clauses.append("a.category = ?")
            params.append(self.category)
        if self.year:
            clauses.append("substr(a.published_at, 1, 4) = ?")
            params.append(self.year)
        if self.agency:
            clauses.append("exists (select 1 from json_each(coalesce(a.agencies, '[]')) j where j.value = ?)")
            params.append(self.agency)
        if self.author:
            clauses.append("exists (select 1 from json_each(coalesce(a.authors, '[]')) j where j.value = ?)")
            params.append(self.author)
        return " and ".join(clauses) or "1", params


def _matching(text: str, filters: SearchFilters) -> tuple[str, list[Any]] | None:
    condition = search_condition(text, "a")
    if condition is None:
        return None
    matching, match_params = condition
    where, params = filters.where()
    return (
        f"from articles_fts join articles a on a.rowid = articles_fts.rowid where {matching} and {where}",
        [*match_params, *params],
    )


def search_hits(
    conn: sqlite3.Connection, text: str, filters: SearchFilters = SearchFilters(), *, limit: int = 20, offset: int = 0
) -> list[dict[str, Any]]:
    """Best matches (bm25) of a user's search text (as `arshif search` reads it), with the facet ``filters``."""
    if (matching := _matching(text, filters)) is None:
        return []
    source, params = matching
    found = rows(
        conn,
        "select a.site, a.article_id, a.url, a.title, a.published_at, a.published_hijri, a.category,"
        f" a.authors, a.agencies, a.paragraphs {source} order by bm25(articles_fts) limit ? offset ?",
        [*params, limit, offset],
    )
    return [_decoded(row) for row in found]


def search_count(conn: sqlite3.Connection, text: str, filters: SearchFilters = SearchFilters()) -> int:
    if (matching := _matching(text, filters)) is None:
        return 0
    source, params = matching
    return _scalar(conn, f"select count(*) {source}", params)


def search_facets(
    conn: sqlite3.Connection, text: str, filters: SearchFilters = SearchFilters(), *, limit: int = FACET_LIMIT
) -> dict[str, list[dict[str, Any]]]:
    """For each facet, its commonest values among the matches: ``[{"value": ..., "count": ...}]``."""
    facets: dict[str, list[dict[str, Any]]] = {name: [] for name in FACETS}
    if (matching := _matching(text, filters)) is None:
        return facets
    source, params = matching
    for name, (value, join) in FACETS.items():
        facets[name] = rows(
            conn,
            f"select {value} as value, count(*) as count from (select a.rowid as id {source}) m"
            f" join articles a on a.rowid = m.id{join} where {value} is not null"
            " group by 1 order by 2 desc, 1 limit ?",
            [*params, limit],
        )
    return facets
