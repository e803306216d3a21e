"""The archive's SQLite connection: WAL, a busy timeout, and a full disk turned into ``ArchiveFull``."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

from crawler.errors import EXIT_DISK_FULL, ArshifError

# Tests only: cap the archive's size in pages (SQLite's max_page_count) to fill "the disk" on purpose.
MAX_PAGE_COUNT_ENV = "ARSHIF_MAX_PAGE_COUNT"
BUSY_TIMEOUT_SECONDS = 30  # a writer waits this long for another writer's lock (readers never block in WAL)


class ArchiveFull(ArshifError):
    """The archive's disk (or its size cap) is full: the open batch was rolled back, nothing else lost."""

    exit_code = EXIT_DISK_FULL


class _Connection(sqlite3.Connection):
    """Turns SQLite's "database or disk is full" (SQLITE_FULL) into ``ArchiveFull`` at every write."""

    def execute(self, *args, **kwargs):
        try:
            return super().execute(*args, **kwargs)
        except sqlite3.OperationalError as exc:
            raise _full(self, exc) from exc

    def executemany(self, *args, **kwargs):
        try:
            return super().executemany(*args, **kwargs)
        except sqlite3.OperationalError as exc:
            raise _full(self, exc) from exc

    def commit(self):
        try:
            return super().commit()
        except sqlite3.OperationalError as exc:
            raise _full(self, exc) from exc


def _full(conn: sqlite3.Connection, exc: sqlite3.OperationalError) -> Exception:
    if getattr(exc, "sqlite_errorcode", None) != sqlite3.SQLITE_FULL:
        return exc
    if conn.in_transaction:
        conn.rollback()  # SQLite may have rolled back only the statement: drop the whole open batch
    return ArchiveFull(f"{exc}; the open batch was rolled back, free some space and run again")


def folded_body_sql(paragraphs_json: str | None) -> str:
    """SQL ``folded_body(paragraphs)``: the folded body of a stored row (the lean archive keeps no folded copy;
    exact-phrase search reads it, e.g. ``instr(' ' || folded_body(a.paragraphs) || ' ', ' رام الله ')``)."""
    from crawler.text import fold_arabic

    return fold_arabic("\n".join(json.loads(paragraphs_json))) if paragraphs_json else ""


def register_functions(conn: sqlite3.Connection) -> None:
    """The SQL functions search needs on any connection that searches (the writer's, a reader's, Datasette's):
    ``folded_body(paragraphs)`` and ``search_form(text)`` (``articles_fts match search_form(:q)``)."""
    from crawler.text import search_form

    conn.create_function("folded_body", 1, folded_body_sql, deterministic=True)
    conn.create_function("search_form", 1, lambda text: search_form(text or ""), deterministic=True)


def connect(path: Path) -> sqlite3.Connection:
    """The one writer connection of an archive file."""
    # WAL: readers (Datasette, a sqlite3 shell, exports) never block the writer nor see a half batch;
    # the busy timeout makes a writer wait for another's lock instead of failing "database is locked".
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_SECONDS, factory=_Connection)
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")  # with WAL: durable across process crashes
    conn.execute("PRAGMA foreign_keys=ON")
    register_functions(conn)
    if os.environ.get(MAX_PAGE_COUNT_ENV):
        conn.execute(f"PRAGMA max_page_count={int(os.environ[MAX_PAGE_COUNT_ENV])}")
    return conn
