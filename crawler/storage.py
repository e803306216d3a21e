"""The SQLite archive: the only module that knows SQL.

One writer per archive file. Every write goes into one open transaction that is committed every
``batch_size`` writes, after ``commit_interval`` seconds, and at close — so an article counts as done only
once committed, and a crash (even ``kill -9``) loses at most the open batch, which a rerun fetches again.
Readers (exports, Datasette) see committed data only, concurrently, thanks to WAL mode.

Tables (schema below, in ``MIGRATIONS``):

- ``articles``: one row per (site, article_id); columns named as the record keys (``crawler.items``), lists
  as JSON, plus ``content_hash``, ``near_duplicate_of``/``similarity``, ``first_seen_at``/``last_seen_at``/
  ``updated_at``, ``version``, ``first_run_id``/``last_run_id``, ``warc_record`` (nullable pointer) and
  the folded (``fold_arabic``) ``title_folded``/``body_folded`` that ``articles_fts`` (FTS5) indexes.
- ``article_versions``: the previous state (full record as JSON) each time a refetch changed the record.
- ``aliases``: another id/url for a stored article (``kind`` = "exact": identical normalized body).
- ``article_bands``: MinHash LSH band hashes for near-duplicate lookups (indexed, never loaded whole).
- ``misses``: ids with no article (404, soft-404); ``failures``: fetches that failed after retries.
- ``crawl_runs``: one row per run with its arguments, finish reason, status and counts.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path
from typing import Any

import sqlite_utils
from sqlite_utils import Migrations

from crawler.items import ARTICLE_FIELDS, LIST_FIELDS
from crawler.text import fold_arabic

SQLITE_VARIABLES_PER_QUERY = 500  # well under SQLite's limit for `IN (?, ?, ...)` lookups

RUN_STATUSES = ("running", "ok", "alarm", "failed", "interrupted")

MIGRATIONS = Migrations("arshif")


@MIGRATIONS()
def m001_initial(db: sqlite_utils.Database) -> None:
    record_columns: dict[str, type] = {
        key: (int if key == "article_id" else str) for key in ARTICLE_FIELDS
    }
    db["articles"].create(
        {
            **record_columns,
            "content_hash": str,
            "near_duplicate_of": int,
            "similarity": float,
            "version": int,
            "first_seen_at": str,
            "last_seen_at": str,
            "updated_at": str,
            "first_run_id": int,
            "last_run_id": int,
            "warc_record": str,
            "title_folded": str,
            "body_folded": str,
        },
        pk=("site", "article_id"),
        not_null={"site", "article_id", "version", "first_seen_at", "last_seen_at"},
        defaults={"version": 1},
    )
    db["articles"].create_index(["site", "content_hash"])
    db["articles"].create_index(["site", "published_at"])
    db["articles"].create_index(["site", "near_duplicate_of"])
    db["articles"].enable_fts(
        ["title_folded", "body_folded"], fts_version="FTS5", create_triggers=True, tokenize="unicode61"
    )
    db["article_versions"].create(
        {
            "id": int,
            "site": str,
            "article_id": int,
            "version": int,
            "content_hash": str,
            "record": str,
            "valid_from": str,
            "replaced_at": str,
            "replaced_by_run_id": int,
            "warc_record": str,
        },
        pk="id",
        not_null={"site", "article_id", "version", "record"},
    )
    db["article_versions"].create_index(["site", "article_id", "version"], unique=True)
    db["aliases"].create(
        {
            "id": int,
            "site": str,
            "alias_id": int,
            "alias_url": str,
            "article_id": int,
            "kind": str,
            "similarity": float,
            "title": str,
            "published_at": str,
            "first_seen_at": str,
            "run_id": int,
        },
        pk="id",
        not_null={"site", "alias_url", "article_id", "kind"},
    )
    db["aliases"].create_index(["site", "alias_url"], unique=True)
    db["aliases"].create_index(["site", "alias_id"])
    db["aliases"].create_index(["site", "article_id"])
    db["article_bands"].create({"site": str, "band": int, "hash": int, "article_id": int})
    db["article_bands"].create_index(["site", "hash"])
    db["article_bands"].create_index(["site", "article_id"])
    db["misses"].create(
        {
            "site": str,
            "article_id": int,
            "url": str,
            "reason": str,
            "http_status": int,
            "first_seen_at": str,
            "last_checked_at": str,
            "checks": int,
            "run_id": int,
        },
        pk=("site", "article_id"),
        not_null={"site", "article_id", "reason"},
    )
    db["failures"].create(
        {
            "id": int,
            "site": str,
            "url": str,
            "article_id": int,
            "reason": str,
            "http_status": int,
            "attempts": int,
            "first_failed_at": str,
            "last_failed_at": str,
            "resolved_at": str,
            "run_id": int,
        },
        pk="id",
        not_null={"site", "url", "reason"},
    )
    db["failures"].create_index(["site", "url"], unique=True)
    db["failures"].create_index(["site", "resolved_at"])
    db["listing_walks"].create(
        {"site": str, "category": int, "completed_at": str, "run_id": int},
        pk=("site", "category"),
    )
    db["crawl_runs"].create(
        {
            "id": int,
            "spider": str,
            "command": str,
            "args": str,
            "started_at": str,
            "finished_at": str,
            "finish_reason": str,
            "status": str,
            "pages": int,
            "articles_new": int,
            "articles_updated": int,
            "articles_unchanged": int,
            "aliases": int,
            "near_duplicates": int,
            "misses": int,
            "failures": int,
            "dropped": int,
            "stats": str,
        },
        pk="id",
        not_null={"spider", "started_at", "status"},
    )


_INSERT_BAND = "insert into article_bands (site, band, hash, article_id) values (?, ?, ?, ?)"


@MIGRATIONS()
def m002_band_hashes_v2(db: sqlite_utils.Database) -> None:
    """Band hashes of the one-pass MinHash (``crawler.dedupe.SIGNATURE_VERSION`` 2), rebuilt from the
    stored folded bodies: the index must hold what new articles are looked up by."""
    from crawler.dedupe import folded_band_hashes

    db.execute("delete from article_bands")
    rows = db.execute("select site, article_id, body_folded from articles order by site, article_id")
    while chunk := rows.fetchmany(1000):
        db.conn.executemany(
            _INSERT_BAND,
            [(site, band, value, article_id)
             for site, article_id, folded in chunk
             for band, value in enumerate(folded_band_hashes(folded or ""))],
        )


@MIGRATIONS()
def m003_failures_by_article(db: sqlite_utils.Database) -> None:
    """Storing an article resolves its id's open failures: by this index, not by reading every open one."""
    db["failures"].create_index(["site", "article_id"])


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def body_text(record: Mapping[str, Any]) -> str:
    """The article body as one text: its paragraphs, one per line."""
    return "\n".join(record.get("paragraphs") or [])


class Outcome(str, Enum):
    NEW = "new"  # a row was inserted
    UPDATED = "updated"  # the record changed: previous state kept in article_versions, version + 1
    UNCHANGED = "unchanged"  # refetched, same record: only last_seen_at moved


@dataclass
class ArticleWrite:
    """One article to store: the record (ARTICLE_FIELDS keys only) and what the archive keeps beside it."""

    record: Mapping[str, Any]
    content_hash: str
    band_hashes: Sequence[int] = ()
    near_duplicate_of: int | None = None
    similarity: float | None = None
    seen_at: str | None = None  # when it was fetched (default: now)
    warc_record: str | None = None
    run_id: int | None = None
    body_folded: str | None = None  # ``fold_arabic`` of the body, when the caller has it already


@dataclass(frozen=True)
class ArticleRef:
    """What dedupe needs to know about a stored article to decide which of two copies comes first."""

    site: str
    article_id: int
    published_at: str | None
    near_duplicate_of: int | None = None


@dataclass
class RunCounts:
    pages: int = 0
    articles_new: int = 0
    articles_updated: int = 0
    articles_unchanged: int = 0
    aliases: int = 0
    near_duplicates: int = 0
    misses: int = 0
    failures: int = 0
    dropped: int = 0


@dataclass
class ArchiveSummary:
    articles: int
    aliases: int
    near_duplicates: int
    misses: int
    open_failures: int
    versions: int
    first_published: str | None
    last_published: str | None
    by_kind: dict[str, int] = field(default_factory=dict)


_to_json = json.JSONEncoder(ensure_ascii=False).encode  # = json.dumps(value, ensure_ascii=False), built once


def _encode(value: Any) -> Any:
    return _to_json(value) if isinstance(value, (list, dict)) else value


def _chunks(items: Sequence[Any], size: int = SQLITE_VARIABLES_PER_QUERY) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def record_from_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A stored article row back to its record (ARTICLE_FIELDS keys, lists decoded)."""
    record = {key: row.get(key) for key in ARTICLE_FIELDS}
    for key in LIST_FIELDS:
        record[key] = json.loads(record[key]) if record[key] else []
    return record


class Archive:
    """The archive file: ``with Archive("arshif.db") as archive: ...`` (migrates on open)."""

    def __init__(
        self, path: str | Path, *, batch_size: int = 100, commit_interval: float = 5.0
    ) -> None:
        self.path = Path(path)
        if self.path.parent and not self.path.parent.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(self.path), timeout=30)
        self.db = sqlite_utils.Database(conn)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")  # with WAL: durable across process crashes
        self.db.execute("PRAGMA foreign_keys=ON")
        MIGRATIONS.apply(self.db)
        self.batch_size = batch_size
        self.commit_interval = commit_interval
        self.pending_writes = 0
        self._last_commit = time.monotonic()

    # -- transaction ---------------------------------------------------------------------------

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close()

    def close(self) -> None:
        if self.db.conn is None:
            return
        self.commit()
        self.db.conn.close()

    def commit(self) -> None:
        """Make every write so far durable: from here on those articles count as done."""
        if self.db.conn.in_transaction:
            self.db.conn.commit()
        self.pending_writes = 0
        self._last_commit = time.monotonic()

    def commit_if_due(self) -> None:
        """Commit an open batch older than ``commit_interval`` (called on a timer while a crawl idles)."""
        if self.pending_writes and time.monotonic() - self._last_commit >= self.commit_interval:
            self.commit()

    def _begin(self) -> None:
        if not self.db.conn.in_transaction:
            self.db.execute("BEGIN")

    def _wrote(self, count: int = 1) -> None:
        """Count writes of the open batch; commit it when it is full or old enough."""
        self.pending_writes += count
        if (
            self.pending_writes >= self.batch_size
            or time.monotonic() - self._last_commit >= self.commit_interval
        ):
            self.commit()

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cursor = self.db.execute(sql, params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    def _ids_in(self, sql: str, site: str, ids: Iterable[int]) -> set[int]:
        """Run ``sql`` (with ``{marks}`` for the id placeholders) over ``ids`` in chunks; first column."""
        found: set[int] = set()
        unique = sorted(set(ids))
        for chunk in _chunks(unique):
            marks = ",".join("?" * len(chunk))
            found.update(row[0] for row in self.db.execute(sql.format(marks=marks), [site, *chunk]))
        return found

    # -- what is known -------------------------------------------------------------------------

    def has_article(self, site: str, article_id: int) -> bool:
        """True if the id is stored, as an article or as an alias of one."""
        return bool(self.stored_ids(site, [article_id]))

    def stored_ids(self, site: str, ids: Iterable[int]) -> set[int]:
        """The ids among ``ids`` already in the archive (article rows and alias ids), one indexed query a chunk."""
        ids = list(ids)
        return self._ids_in(
            "select article_id from articles where site = ? and article_id in ({marks})", site, ids
        ) | self._ids_in("select alias_id from aliases where site = ? and alias_id in ({marks})", site, ids)

    def known_misses(self, site: str, ids: Iterable[int]) -> set[int]:
        return self._ids_in("select article_id from misses where site = ? and article_id in ({marks})", site, ids)

    def get_article(self, site: str, article_id: int) -> dict[str, Any] | None:
        """The stored record of an article, or None."""
        rows = self._query("select * from articles where site = ? and article_id = ?", [site, article_id])
        return record_from_row(rows[0]) if rows else None

    def article_ref(self, site: str, article_id: int) -> ArticleRef | None:
        rows = self._query(
            "select site, article_id, published_at, near_duplicate_of from articles"
            " where site = ? and article_id = ?",
            [site, article_id],
        )
        return ArticleRef(**rows[0]) if rows else None

    def find_by_content_hash(self, site: str, content_hash: str, *, exclude_id: int | None = None) -> ArticleRef | None:
        # "+article_id": without it SQLite walks the primary key in id order (to skip the sort) and reads
        # every article of the site; with it, it looks the hash up in its index and sorts the one or two rows.
        rows = self._query(
            "select site, article_id, published_at, near_duplicate_of from articles"
            " where site = ? and content_hash = ? and article_id != ? order by +article_id limit 1",
            [site, content_hash, -1 if exclude_id is None else exclude_id],
        )
        return ArticleRef(**rows[0]) if rows else None

    def near_duplicate_candidates(
        self, site: str, band_hashes: Sequence[int], *, exclude_id: int | None = None
    ) -> list[tuple[ArticleRef, str]]:
        """Stored articles sharing at least one LSH band with ``band_hashes``, each with its folded body."""
        if not band_hashes:
            return []
        # Band hashes are random 64-bit values: look them up by hash (indexed), then check the band.
        wanted = set(enumerate(band_hashes))
        marks = ",".join("?" * len(band_hashes))
        ids = {
            article_id
            for article_id, band, value in self.db.execute(
                f"select article_id, band, hash from article_bands where site = ? and hash in ({marks})",
                [site, *band_hashes],
            )
            if (band, value) in wanted
        }
        ids.discard(exclude_id)
        found: list[tuple[ArticleRef, str]] = []
        for chunk in _chunks(sorted(ids)):
            marks = ",".join("?" * len(chunk))
            for row in self._query(
                "select site, article_id, published_at, near_duplicate_of, body_folded from articles"
                f" where site = ? and article_id in ({marks})",
                [site, *chunk],
            ):
                body = row.pop("body_folded") or ""
                found.append((ArticleRef(**row), body))
        return found

    # -- articles ------------------------------------------------------------------------------

    def upsert_articles(self, batch: Iterable[ArticleWrite]) -> list[Outcome]:
        """Store each article: insert, or update with versioning (see ``Outcome``)."""
        outcomes = []
        for write in batch:
            self._begin()
            outcomes.append(self._upsert_one(write))
            self._wrote()
        return outcomes

    def _upsert_one(self, write: ArticleWrite) -> Outcome:
        record = write.record
        site, article_id = record["site"], int(record["article_id"])
        now = write.seen_at or utc_now()
        columns = {key: _encode(record.get(key)) for key in ARTICLE_FIELDS}
        columns["article_id"] = article_id
        columns.update(
            content_hash=write.content_hash,
            near_duplicate_of=write.near_duplicate_of,
            similarity=write.similarity,
            title_folded=fold_arabic(record.get("title") or ""),
            body_folded=fold_arabic(body_text(record)) if write.body_folded is None else write.body_folded,
            last_seen_at=now,
            last_run_id=write.run_id,
        )
        if write.warc_record is not None:
            columns["warc_record"] = write.warc_record
        self._settle_id(site, article_id, now)
        existing = self._query("select * from articles where site = ? and article_id = ?", [site, article_id])
        if not existing:
            self.db.execute("delete from aliases where site = ? and alias_id = ?", [site, article_id])
            columns.update(version=1, first_seen_at=now, updated_at=now, first_run_id=write.run_id)
            self._insert("articles", columns)
            self._replace_bands(site, article_id, write.band_hashes)
            return Outcome.NEW
        old = existing[0]
        if record_from_row(old) == record_from_row(columns):
            self.db.execute(
                "update articles set last_seen_at = ?, last_run_id = ?, warc_record = coalesce(?, warc_record)"
                " where site = ? and article_id = ?",
                [now, write.run_id, write.warc_record, site, article_id],
            )
            return Outcome.UNCHANGED
        self._insert(
            "article_versions",
            {
                "site": site,
                "article_id": article_id,
                "version": old["version"],
                "content_hash": old["content_hash"],
                "record": json.dumps(record_from_row(old), ensure_ascii=False),
                "valid_from": old["updated_at"],
                "replaced_at": now,
                "replaced_by_run_id": write.run_id,
                "warc_record": old["warc_record"],
            }
        )
        columns.update(version=old["version"] + 1, updated_at=now)
        self.db.execute(
            f"update articles set {', '.join(f'{name} = ?' for name in columns)} where site = ? and article_id = ?",
            [*columns.values(), site, article_id],
        )
        self._replace_bands(site, article_id, write.band_hashes)
        return Outcome.UPDATED

    def _replace_bands(self, site: str, article_id: int, band_hashes: Sequence[int]) -> None:
        self.db.execute("delete from article_bands where site = ? and article_id = ?", [site, article_id])
        self.db.conn.executemany(
            _INSERT_BAND, [(site, band, value, article_id) for band, value in enumerate(band_hashes)]
        )

    def _insert(self, table: str, row: Mapping[str, Any]) -> None:
        """One row by a plain INSERT: sqlite-utils' ``insert`` reads the table's schema on every call."""
        self.db.execute(
            f"insert into {table} ({', '.join(row)}) values ({', '.join('?' * len(row))})", list(row.values())
        )

    def article_versions(self, site: str, article_id: int) -> list[dict[str, Any]]:
        """Previous states of an article, oldest first (each with ``version`` and the ``record``)."""
        rows = self._query(
            "select * from article_versions where site = ? and article_id = ? order by version",
            [site, article_id],
        )
        for row in rows:
            row["record"] = json.loads(row["record"])
        return rows

    def set_near_duplicate(self, site: str, article_id: int, of: int | None, similarity: float | None) -> None:
        self._begin()
        self.db.execute(
            "update articles set near_duplicate_of = ?, similarity = ? where site = ? and article_id = ?",
            [of, similarity, site, article_id],
        )
        self._wrote()

    # -- aliases -------------------------------------------------------------------------------

    def add_alias(
        self,
        record: Mapping[str, Any],
        *,
        of: int,
        kind: str = "exact",
        similarity: float | None = 1.0,
        run_id: int | None = None,
    ) -> bool:
        """Record ``record`` (another id/url with the same article) as an alias of article ``of``.

        Returns True when the alias is new (False: known already, updated in place)."""
        self._begin()
        new = self._upsert_alias_row(record, of, kind, similarity, run_id)
        self._wrote()
        return new

    def _upsert_alias_row(
        self, record: Mapping[str, Any], of: int, kind: str, similarity: float | None, run_id: int | None
    ) -> bool:
        known = self.db.execute(
            "select 1 from aliases where site = ? and alias_url = ?", [record["site"], record["url"]]
        ).fetchone()
        if record.get("article_id") is not None:
            self._settle_id(record["site"], int(record["article_id"]), utc_now())
        self.db.execute(
            "insert into aliases (site, alias_id, alias_url, article_id, kind, similarity, title,"
            " published_at, first_seen_at, run_id) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " on conflict (site, alias_url) do update set article_id = excluded.article_id,"
            " kind = excluded.kind, similarity = excluded.similarity, title = excluded.title,"
            " published_at = excluded.published_at",
            [
                record["site"],
                record.get("article_id"),
                record["url"],
                of,
                kind,
                similarity,
                record.get("title"),
                record.get("published_at"),
                utc_now(),
                run_id,
            ],
        )
        return known is None

    def demote_to_alias(self, site: str, article_id: int, *, of: int, run_id: int | None = None) -> None:
        """A stored article turns out to copy article ``of`` (which comes first): keep it as an alias.

        Its row (with its history) moves to ``aliases``; aliases and near-duplicate links that named it
        now name ``of``.
        """
        self._begin()
        row = self._query("select * from articles where site = ? and article_id = ?", [site, article_id])
        if not row:
            return
        self._upsert_alias_row(record_from_row(row[0]), of, "exact", 1.0, run_id)
        self.db.execute(
            "update aliases set article_id = ? where site = ? and article_id = ?", [of, site, article_id]
        )
        self.db.execute(
            "update articles set near_duplicate_of = ? where site = ? and near_duplicate_of = ?",
            [of, site, article_id],
        )
        self.db.execute("delete from article_bands where site = ? and article_id = ?", [site, article_id])
        self.db.execute("delete from articles where site = ? and article_id = ?", [site, article_id])
        self._wrote()

    def aliases_of(self, site: str, article_id: int) -> list[dict[str, Any]]:
        return self._query(
            "select * from aliases where site = ? and article_id = ? order by alias_id", [site, article_id]
        )

    # -- misses and failures -------------------------------------------------------------------

    def record_miss(
        self,
        site: str,
        article_id: int,
        *,
        url: str,
        reason: str,
        http_status: int | None = None,
        run_id: int | None = None,
    ) -> None:
        """An id with no article behind it (404, soft-404): a rerun will not ask again."""
        self._begin()
        now = utc_now()
        self.db.execute(
            "insert into misses (site, article_id, url, reason, http_status, first_seen_at, last_checked_at,"
            " checks, run_id) values (?, ?, ?, ?, ?, ?, ?, 1, ?)"
            " on conflict (site, article_id) do update set reason = excluded.reason,"
            " http_status = excluded.http_status, last_checked_at = excluded.last_checked_at,"
            " checks = checks + 1, run_id = excluded.run_id",
            [site, article_id, url, reason, http_status, now, now, run_id],
        )
        self._resolve_failures_of(site, article_id, now)  # the fetch got an answer: it is no failure
        self._wrote()

    def record_failure(
        self,
        site: str,
        url: str,
        *,
        reason: str,
        attempts: int,
        http_status: int | None = None,
        article_id: int | None = None,
        run_id: int | None = None,
    ) -> None:
        """A fetch that failed after its retries (or a page that failed validation): never a silent drop."""
        self._begin()
        now = utc_now()
        self.db.execute(
            "insert into failures (site, url, article_id, reason, http_status, attempts, first_failed_at,"
            " last_failed_at, resolved_at, run_id) values (?, ?, ?, ?, ?, ?, ?, ?, null, ?)"
            " on conflict (site, url) do update set reason = excluded.reason,"
            " http_status = excluded.http_status, attempts = attempts + excluded.attempts,"
            " last_failed_at = excluded.last_failed_at, resolved_at = null, run_id = excluded.run_id,"
            " article_id = coalesce(excluded.article_id, article_id)",
            [site, url, article_id, reason, http_status, attempts, now, now, run_id],
        )
        self._wrote()

    def resolve_failure(self, site: str, url: str) -> None:
        """A later fetch of ``url`` succeeded: its failure row is marked resolved (kept for the record)."""
        self._begin()
        self._resolve_failure(site, url, utc_now())
        self._wrote()

    def _settle_id(self, site: str, article_id: int, now: str) -> None:
        """An id found to hold an article is no longer a miss, and its fetch failures are resolved."""
        self.db.execute("delete from misses where site = ? and article_id = ?", [site, article_id])
        self._resolve_failures_of(site, article_id, now)

    def _resolve_failures_of(self, site: str, article_id: int, now: str) -> None:
        self.db.execute(
            "update failures set resolved_at = ? where site = ? and article_id = ? and resolved_at is null",
            [now, site, article_id],
        )

    def _resolve_failure(self, site: str, url: str, now: str) -> None:
        self.db.execute(
            "update failures set resolved_at = ? where site = ? and url = ? and resolved_at is null",
            [now, site, url],
        )

    def open_failures(self, site: str | None = None) -> list[dict[str, Any]]:
        """Failures not resolved by a later fetch, oldest first."""
        sql = "select * from failures where resolved_at is null"
        params: list[Any] = []
        if site:
            sql += " and site = ?"
            params.append(site)
        return self._query(sql + " order by id", params)

    # -- listing walks ---------------------------------------------------------------------------

    def listing_walk_complete(self, site: str, category: int) -> bool:
        """True once a run walked this category's listings to their end (incremental runs may stop early)."""
        row = self.db.execute(
            "select 1 from listing_walks where site = ? and category = ?", [site, category]
        ).fetchone()
        return row is not None

    def mark_listing_walks_complete(self, site: str, categories: Iterable[int], *, run_id: int | None) -> None:
        self._begin()
        now = utc_now()
        self.db.conn.executemany(
            "insert into listing_walks (site, category, completed_at, run_id) values (?, ?, ?, ?)"
            " on conflict (site, category) do update set completed_at = excluded.completed_at,"
            " run_id = excluded.run_id",
            [(site, category, now, run_id) for category in categories],
        )
        self.commit()

    # -- runs ----------------------------------------------------------------------------------

    def start_run(self, spider: str, *, command: str, args: Mapping[str, Any]) -> int:
        """A row for this run (status "running"), committed at once so it shows even after a crash."""
        self._begin()
        run_id = self.db["crawl_runs"].insert(
            {
                "spider": spider,
                "command": command,
                "args": json.dumps(dict(args), ensure_ascii=False, default=str),
                "started_at": utc_now(),
                "status": "running",
            }
        ).last_pk
        self.commit()
        return int(run_id)

    def finish_run(
        self,
        run_id: int,
        *,
        finish_reason: str,
        status: str,
        counts: RunCounts,
        stats: Mapping[str, Any] | None = None,
    ) -> None:
        if status not in RUN_STATUSES:
            raise ValueError(f"unknown run status {status!r}")
        self._begin()
        self.db["crawl_runs"].update(
            run_id,
            {
                "finished_at": utc_now(),
                "finish_reason": finish_reason,
                "status": status,
                **counts.__dict__,
                "stats": json.dumps(dict(stats or {}), ensure_ascii=False, default=str),
            },
        )
        self.commit()

    def set_run_status(self, run_id: int, status: str) -> None:
        if status not in RUN_STATUSES:
            raise ValueError(f"unknown run status {status!r}")
        self._begin()
        self.db.execute("update crawl_runs set status = ? where id = ?", [status, run_id])
        self.commit()

    def get_run(self, run_id: int) -> dict[str, Any] | None:
        rows = self._query("select * from crawl_runs where id = ?", [run_id])
        return rows[0] if rows else None

    # -- summary -------------------------------------------------------------------------------

    def summary(self, site: str | None = None) -> ArchiveSummary:
        """A few totals for the end of a run or the demo."""
        where, params = ("where site = ?", [site]) if site else ("", [])

        def scalar(sql: str) -> Any:
            return self.db.execute(sql, params).fetchone()[0]

        aliases_by_kind = dict(self.db.execute(f"select kind, count(*) from aliases {where} group by kind", params).fetchall())
        first, last = self.db.execute(
            f"select min(published_at), max(published_at) from articles {where}", params
        ).fetchone()
        return ArchiveSummary(
            articles=scalar(f"select count(*) from articles {where}"),
            aliases=sum(aliases_by_kind.values()),
            near_duplicates=scalar(
                f"select count(*) from articles {where or 'where 1'} and near_duplicate_of is not null"
            ),
            misses=scalar(f"select count(*) from misses {where}"),
            open_failures=scalar(f"select count(*) from failures {where or 'where 1'} and resolved_at is null"),
            versions=scalar(f"select count(*) from article_versions {where}"),
            first_published=first,
            last_published=last,
            by_kind=aliases_by_kind,
        )

    def integrity_check(self) -> str:
        return self.db.execute("PRAGMA integrity_check").fetchone()[0]


# ---------------------------------------------------------------------------------------------------
# Operations (issue 6): read/query functions and their migrations go below this line.
# ---------------------------------------------------------------------------------------------------


@MIGRATIONS()
def m101_run_alarm_reason(db: sqlite_utils.Database) -> None:
    """Why a run was marked ``alarm`` (the quality monitor's one-line reason)."""
    db["crawl_runs"].add_column("alarm_reason", str)


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
        rows = archive._query(sql, [*params, *after, chunk_size])
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
        for chunk in _chunks(ids):
            marks = ",".join("?" * len(chunk))
            for alias in archive._query(
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
        return archive._query(sql)

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
        "runs": archive._query(
            "select id, command, spider, started_at, finished_at, status, alarm_reason, pages, articles_new,"
            " articles_updated, aliases, misses, failures from crawl_runs order by id desc limit ?",
            [recent_runs],
        ),
    }


def fts_query(folded_text: str) -> str:
    """An FTS5 query matching every word of an already folded text (each word quoted: no operators)."""
    return " ".join(f'"{word}"' for word in folded_text.split())


def search_articles(
    archive: Archive, folded_text: str, query: ArticleQuery = ArticleQuery(), *, limit: int = 20
) -> list[dict[str, Any]]:
    """Best matches (FTS5 bm25) of every word of ``folded_text`` in the folded title + body."""
    match = fts_query(folded_text)
    if not match:
        return []
    where, params = query.where("a")
    rows = archive._query(
        "select a.site, a.article_id, a.url, a.title, a.published_at, a.published_hijri, a.paragraphs"
        " from articles_fts join articles a on a.rowid = articles_fts.rowid"
        f" where articles_fts match ? and {where} order by bm25(articles_fts) limit ?",
        [match, *params, limit],
    )
    for row in rows:
        row["paragraphs"] = json.loads(row["paragraphs"]) if row["paragraphs"] else []
    return rows


def record_alarm_reason(archive: Archive, run_id: int, reason: str | None) -> None:
    """Why the quality monitor raised an alarm on a run (its status is set by ``finish_run``)."""
    archive._begin()
    archive.db.execute("update crawl_runs set alarm_reason = ? where id = ?", [reason, run_id])
    archive._wrote()
