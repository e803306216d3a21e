"""`arshif check` and `arshif backup`: is the archive sound, and a consistent copy of a live one.

    findings = check_archive("arshif.db")          # [] when sound; each Finding says what to do
    backup_archive("arshif.db", "/backup/arshif-2026-12-05.db")   # while a crawl writes

Both open the file with a plain SQLite connection, never ``Archive``: a check must not migrate (or
create) what it inspects, and a backup reads one snapshot without taking the writer's place.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from crawler.errors import BadArchiveError, UsageError
from crawler.storage.connection import BUSY_TIMEOUT_SECONDS, check_archive_path

EXAMPLES = 5  # keys shown per finding


@dataclass(frozen=True)
class Finding:
    name: str  # e.g. "aliases-without-article"
    count: int
    what: str  # one line: what is wrong
    todo: str  # one line: what to do about it
    examples: list[str] = field(default_factory=list)


# The archive's own invariants: (name, what, todo, a query returning one key per offending row).
# Each query is a statement of "this never happens", e.g. an alias of id 123 pointing at article 45
# that the archive does not hold: an export with --include-aliases would lose it.
INVARIANTS = (
    ("aliases-without-article", "aliases point at an article the archive does not hold",
     "re-fetch those articles (`arshif backfill SITE --ids ID --refresh`) or restore a backup",
     "select l.site || ':' || coalesce(l.alias_id, l.alias_url) || '->' || l.article_id from aliases l"
     " where not exists (select 1 from articles a where a.site = l.site and a.article_id = l.article_id)"),
    ("misses-of-stored-articles", "ids recorded as misses (404, soft-404) although their article is stored",
     "run `arshif reparse` with the current extractor, or delete those misses rows: the article is the truth",
     "select m.site || ':' || m.article_id from misses m"
     " where exists (select 1 from articles a where a.site = m.site and a.article_id = m.article_id)"),
    ("versions-not-contiguous", "an article's earlier versions are not exactly 1 … version-1",
     "restore a backup: an earlier state of those articles is lost or duplicated",
     "select a.site || ':' || a.article_id from articles a left join article_versions v"
     " on v.site = a.site and v.article_id = a.article_id group by a.site, a.article_id, a.version"
     " having count(v.version) != a.version - 1 or coalesce(min(v.version), 1) != 1"
     " or coalesce(max(v.version), a.version - 1) != a.version - 1 or count(distinct v.version) != count(v.version)"),
    ("versions-without-article", "earlier versions of an article the archive does not hold",
     "restore a backup (the current state of those articles is lost)",
     "select distinct v.site || ':' || v.article_id from article_versions v"
     " where not exists (select 1 from articles a where a.site = v.site and a.article_id = v.article_id)"
     # an article demoted to an alias keeps its history beside its alias row (``Archive.demote_to_alias``)
     " and not exists (select 1 from aliases l where l.site = v.site and l.alias_id = v.article_id)"),
    ("near-duplicate-of-nothing", "near_duplicate_of names an article the archive does not hold",
     "re-fetch the article named, or restore a backup",
     "select a.site || ':' || a.article_id || '->' || a.near_duplicate_of from articles a"
     " where a.near_duplicate_of is not null and not exists (select 1 from articles o"
     " where o.site = a.site and o.article_id = a.near_duplicate_of)"),
)


def check_archive(path: str | Path) -> list[Finding]:
    """Everything wrong with the archive at ``path`` ([] when sound): SQLite's ``integrity_check`` and
    ``foreign_key_check``, the search index against the articles (FTS5 ``integrity-check``), then
    ``INVARIANTS``. Reads the whole file: minutes for a large archive; a live crawl keeps writing (WAL)."""
    check_archive_path(path, create=False)  # random bytes, a truncated copy: BadArchiveError before reading
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
    try:
        return _check(conn)
    finally:
        conn.close()


def _check(conn: sqlite3.Connection) -> list[Finding]:
    findings = []
    problems = [row[0] for row in conn.execute("pragma integrity_check")]
    if problems != ["ok"]:
        findings.append(Finding("sqlite-integrity", len(problems), "SQLite's integrity_check found damage",
                                "restore a backup, or salvage with `sqlite3 DB .recover | sqlite3 NEW.db`",
                                problems[:EXAMPLES]))
    keys = [f"{row[0]} rowid {row[1]} -> {row[2]}" for row in conn.execute("pragma foreign_key_check")]
    if keys:
        findings.append(Finding("sqlite-foreign-keys", len(keys), "rows reference rows that do not exist",
                                "restore a backup", keys[:EXAMPLES]))
    fts = _fts_problem(conn)
    if fts:
        findings.append(Finding("search-index", 1, "the search index (articles_fts) is not in step with articles",
                                "restore a backup made with `arshif backup` (the contentless index is written only by Arshif's"
                                " own writer: something changed the articles behind its back)", [fts]))
    for name, what, todo, query in INVARIANTS:
        rows = [str(row[0]) for row in conn.execute(query)]
        if rows:
            findings.append(Finding(name, len(rows), what, todo, rows[:EXAMPLES]))
    return findings


def _fts_problem(conn: sqlite3.Connection) -> str | None:
    """FTS5's own check of the index against its content table. It is an INSERT command, so it runs in a
    transaction that is rolled back: nothing is written, and the writer waits at most that long."""
    if conn.execute("select 1 from sqlite_master where name = 'articles_fts'").fetchone() is None:
        return "no articles_fts table"
    conn.execute("begin")
    try:
        # rank = 1: compare with the content table too (without it, a row deleted from articles behind the
        # index's back — its delete trigger missing — still passes).
        conn.execute("insert into articles_fts(articles_fts, rank) values('integrity-check', 1)")
    except sqlite3.DatabaseError as exc:
        return str(exc)
    finally:
        conn.execute("rollback")
    # The index is contentless (the archive keeps no folded copy): FTS5 cannot compare it with the articles,
    # so its rows are compared here — e.g. an article deleted behind the writer's back leaves its entry.
    stale = conn.execute("select count(*) from articles_fts where rowid not in (select rowid from articles)").fetchone()[0]
    missing = conn.execute("select count(*) from articles where rowid not in (select rowid from articles_fts)").fetchone()[0]
    if stale or missing:
        return f"{stale} index entries without an article, {missing} articles not indexed"
    return None


def backup_archive(path: str | Path, dest: str | Path, *, overwrite: bool = False) -> Path:
    """A consistent copy of the archive at ``path`` as ``dest`` (a file, or a folder to put it in), taken
    with SQLite's online backup API from one read snapshot: a crawl may write meanwhile (WAL readers never
    block it) and the copy holds exactly the batches committed when it started. Written as ``dest.part``
    and renamed when complete and ``quick_check`` ok, so a half copy never carries the archive's name."""
    source = Path(path)
    check_archive_path(source, create=False)
    target = Path(dest)
    if target.is_dir():
        target = target / source.name
    if target.resolve() == source.resolve():
        raise UsageError(f"backup {target} is the archive itself")
    if target.exists() and not overwrite:
        raise UsageError(f"{target} exists (give --overwrite to replace it)")
    if not target.parent.is_dir():
        raise UsageError(f"no folder {target.parent} for the backup")
    part = target.with_name(target.name + ".part")
    part.unlink(missing_ok=True)
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_SECONDS)
    try:
        dst = sqlite3.connect(str(part))
        try:
            src.backup(dst)  # pages=-1: every page in one step, from one read snapshot
            dst.execute("pragma journal_mode=delete")  # one self-contained file, no -wal beside it
            check = dst.execute("pragma quick_check").fetchone()[0]
        finally:
            dst.close()
    finally:
        src.close()
    if check != "ok":
        part.unlink(missing_ok=True)
        raise BadArchiveError(f"the copy failed its quick_check ({check}): run `arshif check --db {source}`")
    with open(part, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(part, target)
    return target
