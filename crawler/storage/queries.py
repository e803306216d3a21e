"""What a read asks for, without SQL connections: ``ArticleQuery`` (the one filter), the export columns,
the search facets and the full-text condition. ``crawler.storage.reader.ArchiveReader`` runs them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from crawler.items import ARTICLE_FIELDS
from crawler.storage.tokens import index_form
from crawler.text import parse_search, stem_folded


# What an export row holds beyond the record: provenance and dedupe links (never the folded search text).
EXPORT_EXTRA_COLUMNS: tuple[str, ...] = (
    "content_hash",
    "near_duplicate_of",
    "similarity",
    "version",
    "first_seen_at",
    "last_seen_at",
    "updated_at",
    "first_run_id",
    "last_run_id",
    "warc_record",
)
EXPORT_COLUMNS: tuple[str, ...] = (*ARTICLE_FIELDS, *EXPORT_EXTRA_COLUMNS)
# `arshif export --versions`: one row per version of each article (the record as it was, and when and by
# which run it was the stored one; ``valid_to`` empty and ``current`` true for the stored version).
VERSION_COLUMNS: tuple[str, ...] = (*ARTICLE_FIELDS, "version", "valid_from", "valid_to", "run_id", "current",
                                    "content_hash", "warc_record")
# Beside each row of an incremental export (``--changes-since``): new|changed|aliased|merged, and for
# "merged" (an id that became an alias of another article: drop it) the article it now belongs to.
CHANGE_COLUMNS: tuple[str, ...] = ("change", "merged_into")
ALIAS_EXPORT_COLUMNS: tuple[str, ...] = ("alias_id", "alias_url", "kind", "similarity", "title", "published_at")
# Record keys whose coverage `arshif stats` reports (identity columns are always there).
COVERAGE_FIELDS: tuple[str, ...] = tuple(
    key for key in ARTICLE_FIELDS if key not in ("site", "article_id", "url", "language", "encoding")
)


# The facets of the search page and the SQL that yields each article's value(s) for it.
# (value expression, extra join): list columns are JSON arrays, one facet value per element.
FACETS: dict[str, tuple[str, str]] = {
    "category": ("nullif(a.category, '')", ""),
    "year": ("substr(a.published_at, 1, 4)", ""),
    "agency": ("j.value", ", json_each(coalesce(a.agencies, '[]')) j"),
    "author": ("j.value", ", json_each(coalesce(a.authors, '[]')) j"),
}
FACET_LIMIT = 12


@dataclass(frozen=True)
class ArticleQuery:
    """Which articles — the one filter of every reader (export, stats, search, serve, reparse).

    ``since``/``until`` bound ``published_at`` (ISO strings compared as local time, ``until`` exclusive;
    built from a ``crawler.dates.DateWindow``); ``run_ids`` (or ``run_id``) = articles those runs added or
    changed; ``with_warc`` = only rows that point to a WARC record; ``originals_only`` = no near duplicates;
    ``category``/``year``/``agency``/``author`` = the search page's facets (e.g. ``year="2016"``);
    ``changed_since`` = a UTC instant ("2026-12-05T03:00:00+00:00", see ``ArchiveReader.resolve_cursor``):
    only articles added, changed, aliased or re-linked at or after it."""

    site: str | None = None
    since: str | None = None
    until: str | None = None
    run_id: int | None = None
    run_ids: tuple[int, ...] = ()
    with_warc: bool = False
    originals_only: bool = False
    category: str | None = None
    year: str | None = None
    agency: str | None = None
    author: str | None = None
    changed_since: str | None = None

    def all_run_ids(self) -> tuple[int, ...]:
        return tuple(dict.fromkeys((*self.run_ids, *(() if self.run_id is None else (self.run_id,)))))

    def where(self, alias: str = "a") -> tuple[str, list[Any]]:
        clauses, params = [], []
        if self.site:
            clauses.append(f"{alias}.site = ?")
            params.append(self.site)
        if self.since:
            clauses.append(f"{alias}.published_at >= ?")
            params.append(self.since)
        if self.until:
            clauses.append(f"{alias}.published_at < ?")
            params.append(self.until)
        if runs := self.all_run_ids():
            marks = ",".join("?" * len(runs))
            clauses.append(
                f"({alias}.first_run_id in ({marks}) or exists (select 1 from article_versions v where"
                f" v.site = {alias}.site and v.article_id = {alias}.article_id and v.replaced_by_run_id in ({marks})))"
            )
            params += [*runs, *runs]
        if self.with_warc:
            clauses.append(f"{alias}.warc_record is not null")
        if self.originals_only:
            clauses.append(f"{alias}.near_duplicate_of is null")
        if self.category:
            clauses.append(f"{alias}.category = ?")
            params.append(self.category)
        if self.year:
            clauses.append(f"substr({alias}.published_at, 1, 4) = ?")
            params.append(self.year)
        for facet, column in (("agency", "agencies"), ("author", "authors")):
            if value := getattr(self, facet):
                clauses.append(f"exists (select 1 from json_each(coalesce({alias}.{column}, '[]')) j where j.value = ?)")
                params.append(value)
        if self.changed_since:
            clauses.append(
                f"({alias}.first_seen_at >= ? or {alias}.updated_at >= ? or {alias}.linked_at >= ? or exists"
                f" (select 1 from aliases l where l.site = {alias}.site and l.article_id = {alias}.article_id"
                " and l.first_seen_at >= ?))"
            )
            params += [self.changed_since] * 4
        return (" and ".join(clauses) or "1"), params

    def change_column(self, alias: str = "a") -> tuple[str, list[Any]]:
        """SQL for the ``change`` of each row of a ``changed_since`` selection: new (first stored since),
        changed (a new version since), else aliased (an alias appeared or its dedupe link changed)."""
        return (f"case when {alias}.first_seen_at >= ? then 'new' when {alias}.updated_at >= ? then 'changed'"
                " else 'aliased' end", [self.changed_since] * 2)


def fts_query(words: Sequence[str], phrases: Sequence[str] = ()) -> str:
    """An FTS5 query of the stemmed index: every word (already in ``search_form``), and each phrase as a phrase
    of its words' search forms (each quoted: no operators; the exact words are checked beside it), as the index
    reads them (``index_form``: ``café`` is ``cafe`` there)."""
    quoted = [f'"{index_form(word)}"' for word in words]
    quoted += [f'"{index_form(stem_folded(phrase))}"' for phrase in phrases if phrase.strip()]
    return " ".join(quoted)


def search_condition(text: str, alias: str = "a") -> tuple[str, list[Any]] | None:
    """The WHERE condition (and its parameters) matching a user's search text, for a query joining
    ``articles_fts`` to ``articles`` as ``alias``, on a connection with ``register_functions`` (the exact
    phrase is looked up in ``body_holds``: the folded body); None when the text holds no word. Shared by
    ``ArchiveReader.search`` and its count and facets, so both find the same articles."""
    words, phrases = parse_search(text)
    match = fts_query(words, phrases)
    if not match:
        return None
    exact = "".join(
        f" and (instr(' ' || {alias}.title_folded || ' ', ?) or body_holds({alias}.paragraphs, ?))"
        for _ in phrases
    )
    return f"articles_fts match ?{exact}", [match, *(f" {phrase} " for phrase in phrases for _ in (0, 1))]


# The 0.1 functions, kept for callers of that API: each is one ``ArchiveReader`` method.


def iter_articles(reader, query: ArticleQuery = ArticleQuery(), *, include_aliases: bool = False,
                  chunk_size: int = 500) -> Iterator[dict[str, Any]]:
    """= ``reader.articles(query, ...)``."""
    return reader.articles(query, include_aliases=include_aliases, chunk_size=chunk_size)


def count_articles(reader, query: ArticleQuery = ArticleQuery()) -> int:
    """= ``reader.count(query)``."""
    return reader.count(query)


def archive_stats(reader, *, recent_runs: int = 10) -> dict[str, Any]:
    """= ``reader.stats(recent_runs=...)``."""
    return reader.stats(recent_runs=recent_runs)


def search_articles(reader, text: str, query: ArticleQuery = ArticleQuery(), *, limit: int = 20) -> list[dict[str, Any]]:
    """= ``reader.search(text, query, limit=...)``."""
    return reader.search(text, query, limit=limit)


def record_alarm_reason(archive, run_id: int, reason: str | None) -> None:
    """Why the quality monitor raised an alarm on a run (its status is set by ``finish_run``)."""
    archive.set_alarm_reason(run_id, reason)
