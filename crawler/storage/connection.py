"""The archive's SQLite connection: WAL, a busy timeout, and a full disk turned into ``ArchiveFull``."""

from __future__ import annotations

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


def connect(path: Path) -> sqlite3.Connection:
    """The one writer connection of an archive file."""
    # WAL: readers (Datasette, a sqlite3 shell, exports) never block the writer nor see a half batch;
    # the busy timeout makes a writer wait for another's lock instead of failing "database is locked".
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_SECONDS, factory=_Connection)
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")  # with WAL: durable across process crashes
    conn.execute("PRAGMA foreign_keys=ON")
    if os.environ.get(MAX_PAGE_COUNT_ENV):
        conn.execute(f"PRAGMA max_page_count={int(os.environ[MAX_PAGE_COUNT_ENV])}")
    return conn
