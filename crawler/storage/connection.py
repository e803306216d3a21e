"""The archive's SQLite connection: WAL, a busy timeout, and a full disk turned into ``ArchiveFull``."""

from __future__ import annotations

import functools
import json
import os
import re
import sqlite3
from pathlib import Path

from crawler.errors import EXIT_DISK_FULL, ArshifError, BadArchiveError, UsageError

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


SQLITE_HEADER = b"SQLite format 3\x00"
# SQLite's "this is no database / a damaged one" codes: a bad file, never a bad site or a bug.
DAMAGED_CODES = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})


def is_damage(exc: BaseException) -> bool:
    """True for the errors SQLite raises on a damaged file or a non-database ("file is not a database",
    "database disk image is malformed"), e.g. when a page deep in a truncated copy is finally read."""
    return isinstance(exc, sqlite3.DatabaseError) and getattr(exc, "sqlite_errorcode", None) in DAMAGED_CODES


def inspect_file(path: str | Path) -> None:
    """Raise ``BadArchiveError`` (one line, exit 10) unless ``path`` is an empty file or an Arshif archive.

    Cheap checks that read a few pages, not the whole file (that is `arshif check`): the 16-byte SQLite
    header (random bytes fail here); the page count the header records against the file's size (a copy cut
    at 50 kB of a 5 MB archive fails here; ``head -c 50000 a.db > b.db``); the schema can be read and holds
    an ``articles`` table (another program's SQLite file fails here — we would otherwise add our tables
    to it).
    """
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        return  # `touch arshif.db`: a new archive
    with path.open("rb") as handle:
        header = handle.read(100)
    if not header.startswith(SQLITE_HEADER):
        raise BadArchiveError(f"{path} is not an SQLite archive (its first bytes are not an SQLite header):"
                              " give the right --db, or restore a backup (`arshif backup`)")
    if len(header) < 100:
        raise BadArchiveError(f"{path} is truncated ({size} bytes): restore a backup (`arshif backup`)")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    # The header's page count is valid when its "version-valid-for" equals the change counter (SQLite ≥ 3.7),
    # and only with no WAL beside the file: a live archive's checkpoint writes page 1 before it extends
    # the file, so a reader can see 7,228 pages recorded in a 6,695-page file for a moment.
    wal = path.with_name(path.name + "-wal")
    try:
        live = wal.stat().st_size > 0
    except FileNotFoundError:
        live = False
    if not live and header[92:96] == header[24:28] and pages and size < pages * page_size:
        raise BadArchiveError(f"{path} is truncated: {size:,} bytes where its header records {pages:,} pages of"
                              f" {page_size:,} (a partial copy?): restore a backup (`arshif backup`)")
    try:
        try:
            tables = _table_names(path, "ro")
        except sqlite3.OperationalError as exc:
            if getattr(exc, "sqlite_errorcode", None) not in _NEEDS_A_WRITER:
                raise
            # A writer killed while it made the archive (before its switch to WAL) leaves a hot rollback
            # journal (x.db-journal) that only a read-write connection may roll back: read-only, SQLite
            # answers "attempt to write a readonly database" (SQLITE_READONLY_ROLLBACK), on this run and on
            # every later one. A read-write open rolls it back, as any SQLite writer would on opening.
            if not os.access(path, os.W_OK):
                raise BadArchiveError(f"{path} was left mid-write by a killed writer and needs a writer's recovery,"
                                      " but it is read-only here: open it once with write access (any arshif"
                                      " command run by its owner), or restore a backup") from exc
            tables = _table_names(path, "rw")
    except sqlite3.DatabaseError as exc:
        if not is_damage(exc):
            raise
        raise BadArchiveError(f"{path} is damaged ({exc}): run `arshif check --db {path}`, or restore a backup")
    # Only "_sqlite_migrations": an archive whose first migration was cut short (a writer killed at start).
    if tables - {"_sqlite_migrations"} and "articles" not in tables:
        raise BadArchiveError(f"{path} is an SQLite database but not an Arshif archive (tables: "
                              f"{', '.join(sorted(tables)[:5])}{', …' if len(tables) > 5 else ''}): give the right --db")


# The read-only open's errors that a read-write open recovers from: a hot rollback journal, a WAL index to rebuild.
_NEEDS_A_WRITER = {getattr(sqlite3, "SQLITE_READONLY_ROLLBACK", 776), getattr(sqlite3, "SQLITE_READONLY_RECOVERY", 264)}


def _table_names(path: Path, mode: str) -> set[str]:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode={mode}", uri=True, timeout=BUSY_TIMEOUT_SECONDS)
    try:
        return {row[0] for row in conn.execute("select name from sqlite_master where type = 'table'")}
    finally:
        conn.close()


def check_archive_path(path: str | Path, *, create: bool) -> None:
    """Before a command opens ``path``: it must be a usable archive, or (``create``) a new one in an
    existing folder — `--db /data/arhsif/a.db` (a typo) is an error, not a fresh archive in a new folder."""
    path = Path(path)
    if path.is_dir():
        raise UsageError(f"--db {path} is a folder: give the archive's file name")
    if path.exists():
        inspect_file(path)
        return
    if not create:
        raise UsageError(f"no archive at {path} (give --db or set ARSHIF_DB)")
    if not path.parent.is_dir():
        raise UsageError(f"no folder {path.parent} for a new archive {path.name}: create the folder first")


def folded_body_sql(paragraphs_json: str | None) -> str:
    """SQL ``folded_body(paragraphs)``: the folded body of a stored row (the lean archive keeps no folded copy;
    exact-phrase search reads it, e.g. ``instr(' ' || folded_body(a.paragraphs) || ' ', ' رام الله ')``)."""
    from crawler.text import fold_arabic

    return fold_arabic("\n".join(json.loads(paragraphs_json))) if paragraphs_json else ""


def body_holds_sql(paragraphs_json: str | None, needle: str | None) -> bool:
    """SQL ``body_holds(paragraphs, ' phrase ')``: whether the folded body of a stored row holds the folded phrase
    word for word (= ``instr(' ' || folded_body(paragraphs) || ' ', ' phrase ') > 0``).

    Folding a whole body costs ~50 µs; most bodies that hold a phrase hold it as printed, maybe with other
    spellings of alef, ya or ta marbuta (``الحكومة`` for ``الحكومه``), which a regex of the phrase's raw spellings
    finds in the stored JSON in a few µs (``_raw_spelling``). Only where it does not is the body folded."""
    if not paragraphs_json or not needle:
        return False
    if _raw_spelling(needle).search(paragraphs_json):
        return True
    return needle in f" {folded_body_sql(paragraphs_json)} "


@functools.lru_cache(maxsize=256)
def _raw_spelling(needle: str) -> re.Pattern:
    """A regex of stored JSON text that can only be the folded ``needle`` (" w1 w2 ") as printed: each folded
    letter or digit as any character ``fold_arabic`` maps to it (ا: ا أ إ آ ٱ; ي: ي ى; ه: ه ة; 1: 1 ١ ۱),
    any other character as itself (a folded character folds to itself), single spaces, bounded by a space
    or a JSON string's quote on each side (separators once folded: a paragraph's end, or a quote in the text).
    A body that matches holds the phrase; one that does not may still (tashkeel within a word, a phrase
    across two paragraphs), which the full fold decides."""
    from crawler.text import folded_variants

    variants = folded_variants()
    parts = []
    for char in needle.strip():
        spellings = variants.get(char)
        parts.append(f"[{re.escape(char + ''.join(spellings))}]" if spellings else re.escape(char))
    return re.compile(f'(?<=[ "]){"".join(parts)}(?=[ "])')


def register_functions(conn: sqlite3.Connection) -> None:
    """The SQL functions search needs on any connection that searches (the writer's, a reader's, Datasette's):
    ``folded_body(paragraphs)``, ``body_holds(paragraphs, ' phrase ')`` and ``search_form(text)``
    (``articles_fts match search_form(:q)``: the text's search form as the index reads it, ``index_form``)."""
    from crawler.storage.tokens import index_form
    from crawler.text import search_form

    conn.create_function("folded_body", 1, folded_body_sql, deterministic=True)
    conn.create_function("body_holds", 2, body_holds_sql, deterministic=True)
    conn.create_function("search_form", 1, lambda text: index_form(search_form(text or "")), deterministic=True)


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
