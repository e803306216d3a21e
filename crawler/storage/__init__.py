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


def _import_sqlite_utils_without_pandas_or_numpy() -> None:
    """Import sqlite_utils before any module of this package does, with pandas and numpy hidden from it.

    Why: ``sqlite_utils.db`` imports pandas and numpy whenever they are installed, only to map
    ``pd.Timestamp`` to TEXT and numpy's scalar types to INTEGER/REAL when it guesses column types. With
    pandas installed (a data team's machine, the test extra) every crawl, export or reader paid ~130 MB RSS
    and ~0.3 s for it; numpy (a dependency: ``crawler.dedupe``'s MinHash) cost every command ~0.1 CPU-s of
    start-up, e.g. a 930-page reparse's 0.1 ms a page, though only a MinHash needs it. One already loaded
    costs nothing and is left as it is; afterwards ``import pandas`` / ``import numpy`` work as usual, and
    numpy's types are still typed (``_NumpyTypes``) should a numpy value ever reach sqlite_utils.
    """
    if "sqlite_utils" in sys.modules:
        return
    hidden = [name for name in ("pandas", "numpy") if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # `import name` raises ImportError meanwhile
    try:
        import sqlite_utils.db
    finally:
        for name in hidden:
            del sys.modules[name]
    if "numpy" in hidden:
        sqlite_utils.db.COLUMN_TYPE_MAPPING = _NumpyTypes(sqlite_utils.db.COLUMN_TYPE_MAPPING)


class _NumpyTypes(dict):
    """sqlite_utils' column types, plus numpy's scalar types looked up when first met, as sqlite_utils maps
    them when it imports numpy itself: ``np.int64`` → INTEGER, ``np.float32`` → REAL. A numpy type can only
    be met once numpy is loaded, so looking it up never imports numpy."""

    def __missing__(self, key):
        numpy = sys.modules.get("numpy")
        if numpy is not None and isinstance(key, type):
            if issubclass(key, numpy.integer):
                return "INTEGER"
            if issubclass(key, numpy.floating):
                return "REAL"
        raise KeyError(key)

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default


_import_sqlite_utils_without_pandas_or_numpy()

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
