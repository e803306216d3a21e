"""Reads for exports, stats and search: what ``arshif export``/``stats``/``search`` and Datasette ask."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crawler.items import ARTICLE_FIELDS
from crawler.storage.archive import Archive
from crawler.storage.connection import folded_body_sql
from crawler.storage.records import chunks, record_from_row
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
ALIAS_EXPORT_COLUMNS: tuple[str, ...] = ("alias_id", "alias_url", "kind", "similarity", "title", "published_at")
# Record keys whose coverage `arshif stats` reports (identity columns are always there).
COVERAGE_FIELDS: tuple[str, ...] = tuple(
    key for key in ARTICLE_FIELDS if key not in ("site", "article_id", "url", "language", "encoding")
)


@dataclass(frozen=True)
class ArticleQuery:
    """Which articles: ``since``/``until`` bound ``published_at`` (ISO strings compared as local time,
    ``until`` exclusive); ``run_id`` = articles that run added or changed; ``with_warc`` = only rows
    that point to a WARC record; ``originals_only`` = no near duplicates."""

    site: str | None = None
    since: str | None = None
    until: str | None = None
    run_id: int | None = None
    with_warc: bool = False
    originals_only: bool = False

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
        if self.run_id is not None:
            clauses.append(
                f"({alias}.first_run_id = ? or exists (select 1 from article_versions v where"
                f" v.site = {alias}.site and v.article_id = {alias}.article_id and v.replaced_by_run_id = ?))"
            )
            params += [self.run_id, self.run_id]
        if self.with_warc:
            clauses.append(f"{alias}.warc_record is not null")
        if self.originals_only:
            clauses.append(f"{alias}.near_duplicate_of is null")
        return (" and ".join(clauses) or "1"), params


def open_archive(path: str | Path) -> Archive:
    """An existing archive (readers must not create an empty one by mistake)."""
    from crawler.errors import UsageError

    if not Path(path).is_file():
        raise UsageError(f"no archive at {path} (give --db or set ARSHIF_DB)")
    return Archive(path)


def _export_row(row: Mapping[str, Any]) -> dict[str, Any]:
    exported = record_from_row(row)
    exported.update({key: row.get(key) for key in EXPORT_EXTRA_COLUMNS})
    return exported


def iter_articles(
    archive: Archive, query: ArticleQuery = ArticleQuery(), *, include_aliases: bool = False, chunk_size: int = 500
) -> Iterator[dict[str, Any]]:
    """Stored articles as records (lists decoded) plus ``EXPORT_EXTRA_COLUMNS``, in (site, id) order.

    Keyset pagination: ``chunk_size`` rows in memory at a time and no read transaction held between
    chunks, so exporting any size runs in constant memory beside a live crawl. With ``include_aliases``
    each row gets ``aliases``: the other ids/urls of the same article (``ALIAS_EXPORT_COLUMNS``).
    """
    where, params = query.where("a")
    columns = ", ".join(f"a.{name}" for name in EXPORT_COLUMNS)
    sql = (
        f"select {columns} from articles a where {where} and (a.site, a.article_id) > (?, ?)"
        " order by a.site, a.article_id limit ?"
    )
    after: tuple[str, int] = ("", -(1 << 62))
    while True:
        rows = archive.rows(sql, [*params, *after, chunk_size])
        if not rows:
            return
        after = (rows[-1]["site"], rows[-1]["article_id"])
        aliases = _aliases_for(archive, rows) if include_aliases else {}
        for row in rows:
            exported = _export_row(row)
            if include_aliases:
                exported["aliases"] = aliases.get((row["site"], row["article_id"]), [])
            yield exported


def _aliases_for(archive: Archive, rows: Sequence[Mapping[str, Any]]) -> dict[tuple[str, int], list[dict]]:
    found: dict[tuple[str, int], list[dict]] = {}
    by_site: dict[str, list[int]] = {}
    for row in rows:
        by_site.setdefault(row["site"], []).append(row["article_id"])
    columns = ", ".join(ALIAS_EXPORT_COLUMNS)
    for site, ids in by_site.items():
        for chunk in chunks(ids):
            marks = ",".join("?" * len(chunk))
            for alias in archive.rows(
                f"select article_id, {columns} from aliases where site = ? and article_id in ({marks})"
                " order by article_id, alias_id",
                [site, *chunk],
            ):
                found.setdefault((site, alias.pop("article_id")), []).append(alias)
    return found


def count_articles(archive: Archive, query: ArticleQuery = ArticleQuery()) -> int:
    where, params = query.where("a")
    return archive.db.execute(f"select count(*) from articles a where {where}", params).fetchone()[0]


def archive_stats(archive: Archive, *, recent_runs: int = 10) -> dict[str, Any]:
    """Everything `arshif stats` shows, as plain data."""

    def pairs(sql: str) -> list[dict[str, Any]]:
        return archive.rows(sql)

    coverage_sql = ", ".join(
        f"sum(case when {key} is not null and {key} not in ('', '[]', '{{}}') then 1 else 0 end)"
        for key in COVERAGE_FIELDS
    )
    total, *covered = archive.db.execute(f"select count(*), {coverage_sql} from articles").fetchone()
    summary = archive.summary()
    return {
        "articles": total,
        "versions": summary.versions,
        "near_duplicates": summary.near_duplicates,
        "first_published": summary.first_published,
        "last_published": summary.last_published,
        "per_year": pairs(
            "select coalesce(substr(published_at, 1, 4), '?') as year, count(*) as articles"
            " from articles group by 1 order by 1"
        ),
        "per_category": pairs(
            "select coalesce(nullif(category, ''), '?') as category, count(*) as articles"
            " from articles group by 1 order by 2 desc, 1"
        ),
        "per_year_category": pairs(
            "select coalesce(substr(published_at, 1, 4), '?') as year,"
            " coalesce(nullif(category, ''), '?') as category, count(*) as articles"
            " from articles group by 1, 2 order by 1, 3 desc"
        ),
        "coverage": {key: (count or 0) / total if total else 0.0 for key, count in zip(COVERAGE_FIELDS, covered)},
        "aliases_by_kind": pairs("select kind, count(*) as aliases from aliases group by kind order by 2 desc"),
        "misses": summary.misses,
        "misses_by_reason": pairs("select reason, count(*) as misses from misses group by reason order by 2 desc"),
        "failures_by_reason": pairs(
            "select reason, count(*) as failures, sum(resolved_at is null) as open"
            " from failures group by reason order by 2 desc"
        ),
        "runs": archive.rows(
            "select id, command, spider, started_at, finished_at, status, alarm_reason, pages, articles_new,"
            " articles_updated, aliases, misses, failures from crawl_runs order by id desc limit ?",
            [recent_runs],
        ),
    }


def fts_query(words: Sequence[str], phrases: Sequence[str] = ()) -> str:
    """An FTS5 query of the stemmed index: every word (already in ``search_form``), and each phrase as a phrase
    of its words' search forms (each quoted: no operators; the exact words are checked beside it)."""
    quoted = [f'"{word}"' for word in words]
    quoted += [f'"{stem_folded(phrase)}"' for phrase in phrases if phrase.strip()]
    return " ".join(quoted)


def search_condition(text: str, alias: str = "a") -> tuple[str, list[Any]] | None:
    """The WHERE condition (and its parameters) matching a user's search text, for a query joining
    ``articles_fts`` to ``articles`` as ``alias``, on a connection with ``register_functions`` (the exact
    phrase is looked up in ``folded_body``); None when the text holds no word. Shared by
    ``search_articles`` and `arshif serve` (crawler.storage.browse), so both find the same articles."""
    words, phrases = parse_search(text)
    match = fts_query(words, phrases)
    if not match:
        return None
    exact = "".join(
        f" and (instr(' ' || {alias}.title_folded || ' ', ?) or instr(' ' || folded_body({alias}.paragraphs) || ' ', ?))"
        for _ in phrases
    )
    return f"articles_fts match ?{exact}", [match, *(f" {phrase} " for phrase in phrases for _ in (0, 1))]


def search_articles(
    archive: Archive, text: str, query: ArticleQuery = ArticleQuery(), *, limit: int = 20
) -> list[dict[str, Any]]:
    """Best matches (FTS5 bm25) of a user's search text in titles and bodies.

    Index and query share ``crawler.text.search_form`` (folded and light-stemmed): ``إسرائيل`` finds
    ``بإسرائيل``, ``حكومة`` finds ``الحكومة``. Every word must match. Words in double quotes are an exact
    phrase: the stemmed index narrows, then the folded (unstemmed) title or body must hold the phrase.

    The exact check runs here, on the stemmed matches in rank order, until ``limit`` hold the phrase: the
    body's folded form is computed per row (the archive keeps no copy), so checking every stemmed match in
    SQL (``search_condition``) costs a fold per match — e.g. ``"الحكومة"`` on 1,888 articles took 79 ms CPU
    that way, 10 ms this way. Same rows, same order: the filter commutes with the (stable) bm25 sort."""
    words, phrases = parse_search(text)
    match = fts_query(words, phrases)
    if not match:
        return []
    where, params = query.where("a")
    archive.flush()  # this connection's open batch too
    columns = ("site", "article_id", "url", "title", "published_at", "published_hijri", "paragraphs")
    sql = (
        f"select {', '.join('a.' + name for name in columns)}, a.title_folded"
        " from articles_fts join articles a on a.rowid = articles_fts.rowid"
        f" where articles_fts match ? and {where} order by bm25(articles_fts)"
    )
    exact = [f" {phrase} " for phrase in phrases]
    cursor = archive.db.conn.execute(sql if exact else sql + " limit ?", [match, *params] + ([] if exact else [limit]))
    rows: list[dict[str, Any]] = []
    for *values, title_folded in cursor:
        row = dict(zip(columns, values))
        if exact and not _holds_phrases(exact, title_folded, row["paragraphs"]):
            continue
        row["paragraphs"] = json.loads(row["paragraphs"]) if row["paragraphs"] else []
        rows.append(row)
        if len(rows) >= limit:
            break
    cursor.close()
    return rows


def _holds_phrases(exact: Sequence[str], title_folded: str | None, paragraphs: str | None) -> bool:
    """``search_condition``'s exact clause in Python: each " phrase " in the spaced folded title or body."""
    title = f" {title_folded or ''} "
    body: str | None = None
    for phrase in exact:
        if phrase in title:
            continue
        if body is None:
            body = f" {folded_body_sql(paragraphs)} "
        if phrase not in body:
            return False
    return True


def record_alarm_reason(archive: Archive, run_id: int, reason: str | None) -> None:
    """Why the quality monitor raised an alarm on a run (its status is set by ``finish_run``)."""
    archive.set_alarm_reason(run_id, reason)
