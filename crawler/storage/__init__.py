"""The SQLite archive: the only package that knows SQL.

- ``schema``: tables, indexes and the FTS index as ``sqlite_utils.Migrations`` (applied on open);
- ``records``: what goes in and comes out (``ArticleWrite``, ``ArticleRef``, ``RunCounts``, ...), no SQL;
- ``archive``: ``Archive``, the one writer connection: article writes with versioning, aliases, dedupe
  lookups, misses, failures, listing walks and runs, committed in batches;
- ``queries``: what a read asks for: ``ArticleQuery`` (the one filter), export columns, search facets;
- ``reader``: ``ArchiveReader``, the one read API (read-only, never migrates) of export, stats, search,
  coverage and `arshif serve` (``ArchiveReader.over(conn)`` on Datasette's connection);
- ``archive``: ``Archive`` extends it with the writes.

Everything public is importable from ``crawler.storage``.
"""

from crawler.storage.migrating import install_hook

install_hook()  # sqlite_utils, loaded when first used, is loaded with pandas and numpy hidden (``migrating``)

from crawler.storage.archive import Archive
from crawler.storage.connection import ArchiveFull, check_archive_path, inspect_file, is_damage
from crawler.storage.reader import ArchiveOutdated, ArchiveReader, open_archive, pending_migrations
from crawler.storage.queries import (
    ALIAS_EXPORT_COLUMNS,
    COVERAGE_FIELDS,
    EXPORT_COLUMNS,
    EXPORT_EXTRA_COLUMNS,
    ArticleQuery,
    archive_stats,
    count_articles,
    fts_query,
    iter_articles,
    record_alarm_reason,
    search_articles,
)
from crawler.storage.records import (
    RUN_STATUSES,
    SQLITE_VARIABLES_PER_QUERY,
    ArchiveSummary,
    ArticleRef,
    ArticleWrite,
    Outcome,
    RunCounts,
    body_text,
    record_from_row,
    same_record,
    utc_now,
)
from crawler.storage.schema import MIGRATIONS

__all__ = [
    "check_archive_path",
    "inspect_file",
    "is_damage",
    "ALIAS_EXPORT_COLUMNS",
    "COVERAGE_FIELDS",
    "EXPORT_COLUMNS",
    "EXPORT_EXTRA_COLUMNS",
    "MIGRATIONS",
    "RUN_STATUSES",
    "SQLITE_VARIABLES_PER_QUERY",
    "Archive",
    "ArchiveOutdated",
    "ArchiveReader",
    "pending_migrations",
    "ArchiveFull",
    "ArchiveSummary",
    "ArticleQuery",
    "ArticleRef",
    "ArticleWrite",
    "Outcome",
    "RunCounts",
    "archive_stats",
    "body_text",
    "count_articles",
    "fts_query",
    "iter_articles",
    "open_archive",
    "record_alarm_reason",
    "search_articles",
    "record_from_row",
    "same_record",
    "utc_now",
]
