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

import sys


def _import_sqlite_utils_without_pandas() -> None:
    """Import sqlite_utils before any module of this package does, with pandas hidden from it.

    Why: ``sqlite_utils.db`` imports pandas whenever it is installed, only to map ``pd.Timestamp`` to TEXT
    (we never write pandas values). With pandas installed (a data team's machine, the test extra) every
    crawl, export or reader paid ~130 MB RSS and ~0.3 s for it. If pandas is already loaded it costs
    nothing and is left alone; afterwards ``import pandas`` works as usual.
    """
    if "sqlite_utils" in sys.modules or "pandas" in sys.modules:
        return
    sys.modules["pandas"] = None  # type: ignore[assignment]  # `import pandas` raises ImportError meanwhile
    try:
        import sqlite_utils  # noqa: F401
    finally:
        del sys.modules["pandas"]


_import_sqlite_utils_without_pandas()

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
