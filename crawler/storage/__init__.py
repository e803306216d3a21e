"""The SQLite archive: the only package that knows SQL.

- ``schema``: tables, indexes and the FTS index as ``sqlite_utils.Migrations`` (applied on open);
- ``records``: what goes in and comes out (``ArticleWrite``, ``ArticleRef``, ``RunCounts``, ...), no SQL;
- ``archive``: ``Archive``, the one writer connection: article writes with versioning, aliases, dedupe
  lookups, misses, failures, listing walks and runs, committed in batches;
- ``queries``: reads for exports, stats and search (``iter_articles``, ``archive_stats``,
  ``search_articles``);
- ``browse``: the reads behind `arshif serve` over Datasette's read-only connection (imported as
  ``crawler.storage.browse``).

Everything public is importable from ``crawler.storage``.
"""

from crawler.storage.archive import Archive
from crawler.storage.connection import ArchiveFull, check_archive_path, inspect_file, is_damage
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
    open_archive,
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
    "utc_now",
]
