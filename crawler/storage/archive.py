"""``Archive``: the archive file, its one writer connection, and every write and lookup a crawl makes.

One writer per archive file. Every write goes into one open transaction that is committed every
``batch_size`` writes, after ``commit_interval`` seconds, and at close — so an article counts as done only
once committed, and a crash (even ``kill -9``) loses at most the open batch, which a rerun fetches again.
Readers (exports, Datasette) see committed data only, concurrently, thanks to WAL mode.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import replace
from datetime import datetime, timezone
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from crawler.dedupe import folded_band_hashes
from crawler.storage.records import (
    ArticleWrite,
    Outcome,
    body_text,
    chunks,
    record_from_row,
    utc_now,
)
from crawler.storage.bands import BandKeys
from crawler.storage.batch import article_columns, insert_new, stored_and_copies
from crawler.storage.connection import connect, inspect_file
from crawler.storage.lookups import _TRACES_SQL, ArchiveLookups
from crawler.storage.reader import ArchiveReader
from crawler.storage.runs import RunLog
from crawler.storage.impacts import SearchImpacts, build_all as build_search_blocks, mark as mark_search_blocks
from crawler.storage.schema import (
    CONTENT_LEVELS,
    CONTENT_MERGE_FLOOR,
    INDEX_ARTICLES,
    MIGRATIONS,
    UNINDEX_ARTICLE,
    content_key,
)
from crawler.storage.tokens import index_form
from crawler.text import fold_arabic, stem_folded


class Archive(RunLog, ArchiveLookups, ArchiveReader):
    """The archive file and its one writer: ``with Archive("arshif.db") as archive: ...`` (migrates on
    open, creating the file if needed). Every read comes from ``ArchiveReader``; what the writer asks before
    it writes from ``ArchiveLookups`` (``crawler.storage.lookups``)."""

    def __init__(
        self, path: str | Path, *, batch_size: int = 100, commit_interval: float = 5.0
    ) -> None:
        self.path = Path(path)
        if self.path.parent and not self.path.parent.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists():
            inspect_file(self.path)  # random bytes, a truncated copy, another program's database: exit 10
        self.conn = connect(self.path)  # the writer's connection, and what ArchiveReader's reads use
        self._db = None
        self.conn.execute("PRAGMA recursive_triggers=on;")  # as sqlite_utils' Database sets it (``db``)
        if not MIGRATIONS.up_to_date(self.conn):  # no sqlite_utils for an archive that is up to date (``migrating``)
            MIGRATIONS.apply(self.db)
        self.batch_size = batch_size
        self.bands = BandKeys(self.conn)
        # Exact copies' lookup keys (one an article), kept in levels as the band keys are (schema.CONTENT_LEVELS).
        self.content_keys = BandKeys(self.conn, levels=CONTENT_LEVELS, floor=CONTENT_MERGE_FLOOR, keys_per_article=1)
        self.commit_interval = commit_interval
        self.pending_writes = 0
        self._last_commit = time.monotonic()
        # The articles inserted or changed in the open batch, not yet in the search index (``flush``):
        # rowid → (title, body) search forms. The index stores no text, so this is where they wait.
        self._unindexed: dict[int, tuple[str, str]] = {}
        self.impacts = SearchImpacts(self.conn)  # search impacts of filled blocks, built when idle or at close
        self._copy_sql: dict[tuple[bool, str], str] = {}  # stored_and_copy's statement, with and without the title, by the runs' SQL
        # Load the FTS5 table's configuration now (a read of its small config table), not at the first commit.
        self.conn.execute("select rowid from articles_fts where rowid = 0").fetchall()

    @property
    def db(self):
        """sqlite_utils' ``Database`` on the writer's connection (the migrations', the run log's table writes),
        made on first use. execute_plugins=False: no scan of every installed distribution's entry points for
        sqlite-utils plugins (~10-20 ms a process: pluggy imports importlib.metadata); the archive registers
        none and a user's plugin has no business on the archive's connection."""
        if self._db is None:
            from crawler.storage.migrating import sqlite_utils_module

            self._db = sqlite_utils_module().Database(self.conn, recursive_triggers=False, execute_plugins=False)
        return self._db

    @classmethod
    def existing(cls, path: str | Path, **kwargs: Any) -> Archive:
        """The writer of an archive that must exist already (``reparse``: no empty file made by mistake)."""
        from crawler.errors import UsageError

        if not Path(path).is_file():
            raise UsageError(f"no archive at {path} (give --db or set ARSHIF_DB)")
        return cls(path, **kwargs)

    # -- transaction ---------------------------------------------------------------------------

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close()

    def close(self) -> None:
        if self.conn is None:
            return
        try:
            self.commit()
            self.impacts.build_committed(rebuilds=0, tail=True)  # this session's blocks (crawler.storage.impacts)
        finally:
            self.conn.close()

    def build_search_impacts(self) -> int:
        """Build the search impacts of every block marked to do (an archive written before impacts existed,
        or blocks changed since): all at once rather than one per idle tick. Returns the blocks built."""
        self.commit()
        built = build_search_blocks(self.conn)
        self.commit()
        return built

    def commit(self) -> None:
        """Make every write so far durable: from here on those articles count as done."""
        self.flush()
        self.pending_writes = 0
        self._last_commit = time.monotonic()
        if self.conn.in_transaction:
            self.bands.merge_if_due()  # with the batch: both commit, or neither
            self.content_keys.merge_if_due()
            self.conn.commit()
            self.bands.committed()
            self.content_keys.committed()  # its runs as the merges left them, for good

    def rollback(self) -> None:
        """Drop the open batch (nothing of it was committed): e.g. the distributed writer stopped at once by
        a second signal, whose batch is still in Redis's processing list and is applied by the next writer."""
        self._unindexed = {}  # rowid → search forms (was set(): the next insert after a rollback failed)
        self.pending_writes = 0
        self.bands.forget_counts()
        self.content_keys.forget_counts()
        if self.conn.in_transaction:
            self.conn.rollback()

    def flush(self) -> None:
        """Index the articles inserted in the open batch for search, in rowid order (done before every commit,
        so the index never lags behind committed rows; a search on this connection calls it first)."""
        unindexed, self._unindexed = self._unindexed, {}
        if not unindexed or not self.conn.in_transaction:  # nothing new, or rolled back with its rows
            return
        rowids = sorted(unindexed)
        # Only rows still in ``articles``: a statement that failed (a full disk) may have rolled back rows
        # whose forms wait here.
        present: set[int] = set()
        for chunk in chunks(rowids):
            sql = f"select rowid from articles where rowid in ({','.join('?' * len(chunk))})"
            present.update(row[0] for row in self.conn.execute(sql, chunk))
        self.conn.executemany(INDEX_ARTICLES, [(rowid, index_form(unindexed[rowid][0]), index_form(unindexed[rowid][1]))
                                               for rowid in rowids if rowid in present])
        self.impacts.indexed(unindexed)

    def _before_read(self) -> None:
        self.flush()  # a search on this connection sees its own open batch

    def _unindex(self, row: Mapping[str, Any]) -> None:
        """Take a stored article (its row, with ``rowid``) out of the search index and the band keys, before
        it changes or leaves: both are recomputed from its stored title and paragraphs, as they were made."""
        folded = fold_arabic(body_text(record_from_row(row)))
        if self._unindexed.pop(row["rowid"], None) is None:  # else: never reached the index
            self.conn.execute(
                UNINDEX_ARTICLE,
                [row["rowid"], index_form(stem_folded(row["title_folded"] or "")), index_form(stem_folded(folded))],
            )
            mark_search_blocks(self.conn, [row["rowid"]])
        self.bands.remove(row["site"], row["article_id"], folded_band_hashes(folded))
        if row["content_hash"] is not None:
            self.content_keys.remove(row["site"], row["article_id"], [content_key(row["content_hash"])])

    def commit_if_due(self) -> None:
        """Commit an open batch older than ``commit_interval`` (called on a timer while a crawl idles)."""
        if self.pending_writes and time.monotonic() - self._last_commit >= self.commit_interval:
            self.commit()
        elif not self.pending_writes:
            self.impacts.build_committed(limit=1, rebuilds=1)  # idle: one block's search impacts

    def _begin(self) -> None:
        if not self.conn.in_transaction:
            self.bands.began()
            self.content_keys.began()  # runs a merge changed in a batch SQLite rolled back: read again
            self.conn.execute("BEGIN")

    def _wrote(self, count: int = 1) -> None:
        """Count writes of the open batch; commit it when it is full or old enough."""
        self.pending_writes += count
        if (
            self.pending_writes >= self.batch_size
            or time.monotonic() - self._last_commit >= self.commit_interval
        ):
            self.commit()

    # -- articles ------------------------------------------------------------------------------

    def upsert_articles(self, batch: Iterable[ArticleWrite]) -> list[Outcome]:
        """Store each article: insert, or update with versioning (see ``Outcome``)."""
        outcomes = []
        for write in batch:
            self._begin()
            outcomes.append(self._upsert_one(write))
            self._wrote()
        return outcomes

    def insert_new(self, writes: list[ArticleWrite]) -> None:
        """``upsert_articles(writes)`` for articles dedupe found new and untraced: three statements for all of them
        (``crawler.storage.batch``); each one's outcome is ``Outcome.NEW``."""
        insert_new(self, writes)

    def stored_and_copies(self, site: str, articles: list[tuple[int, str]]) -> dict:
        """``stored_and_copy`` of many (id, content hash) at once, by id (``crawler.storage.batch``)."""
        return stored_and_copies(self, site, articles)

    def _upsert_one(self, write: ArticleWrite) -> Outcome:
        record = write.record
        site, article_id = record["site"], int(record["article_id"])
        columns, forms, now = article_columns(write)  # the same row as crawler.storage.batch.insert_new's
        # An id seen before in some other form (a miss, a failed fetch, an alias, bands) is settled; a new
        # article's id usually is none of these, which one indexed query says (instead of four writes).
        traces = write.stored is not False or (
            write.traces if write.traces is not None else self._id_has_traces(site, article_id))
        if traces:
            self._settle_id(site, article_id, now)
        # The caller that just looked (dedupe) says whether the row exists: a new one is inserted straight
        # away (a row there after all fails the insert, which leaves nothing behind, and takes the long way).
        existing = [] if write.stored is False else self.rows(
            "select rowid, * from articles where site = ? and article_id = ?", [site, article_id])
        if not existing:
            # An id that comes back after it was demoted to an alias (``demote_to_alias``) has its earlier states
            # in ``article_versions`` still: its row goes on from the last of them. E.g. 2 stored, updated (its
            # version 1 kept), demoted when 1 came with the same body, then stored again: version 3, else its next
            # update would write a second version 1. Such an id has traces (its alias row), so a plain new one asks
            # nothing more.
            version = self._next_version(site, article_id) if traces else 1
            try:
                rowid = self._insert("articles", {**columns, "version": version, "first_seen_at": now,
                                                  "updated_at": now, "first_run_id": write.run_id})
            except sqlite3.IntegrityError:
                if write.stored is not False:
                    raise
                return self._upsert_one(replace(write, stored=None))
            if traces:
                self.conn.execute("delete from aliases where site = ? and alias_id = ?", [site, article_id])
            self._unindexed[rowid] = forms
            self.bands.add(site, article_id, write.band_hashes, write.band_keys)
            self._add_content_key(site, article_id, write.content_hash)
            return Outcome.NEW
        old = existing[0]
        if record_from_row(old) == record_from_row(columns):
            self.conn.execute(
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
        self._unindex(old)
        self.conn.execute(
            f"update articles set {', '.join(f'{name} = ?' for name in columns)} where site = ? and article_id = ?",
            [*columns.values(), site, article_id],
        )
        self._unindexed[old["rowid"]] = forms
        self.bands.add(site, article_id, write.band_hashes, write.band_keys)
        self._add_content_key(site, article_id, write.content_hash)
        return Outcome.UPDATED

    def _next_version(self, site: str, article_id: int) -> int:
        """1 + the last earlier version the archive keeps of this id (1: none)."""
        return 1 + self.conn.execute("select coalesce(max(version), 0) from article_versions"
                                        " where site = ? and article_id = ?", [site, article_id]).fetchone()[0]

    def _add_content_key(self, site: str, article_id: int, content_hash: str | None) -> None:
        if content_hash is not None:
            self.content_keys.add(site, article_id, [content_key(content_hash)])

    def _insert(self, table: str, row: Mapping[str, Any]) -> int:
        """One row by a plain INSERT (sqlite-utils' ``insert`` reads the table's schema on every call); its rowid."""
        return self.conn.execute(
            f"insert into {table} ({', '.join(row)}) values ({', '.join('?' * len(row))})", list(row.values())
        ).lastrowid

    def set_near_duplicate(self, site: str, article_id: int, of: int | None, similarity: float | None) -> None:
        self._begin()
        self.conn.execute(
            "update articles set near_duplicate_of = ?, similarity = ?, linked_at = ?"
            " where site = ? and article_id = ? and (near_duplicate_of is not ? or similarity is not ?)",
            [of, similarity, utc_now(), site, article_id, of, similarity],
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
        known = self.conn.execute(
            "select 1 from aliases where site = ? and alias_url = ?", [record["site"], record["url"]]
        ).fetchone()
        if record.get("article_id") is not None:
            self._settle_id(record["site"], int(record["article_id"]), utc_now())
        self.conn.execute(
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

    def demote_to_alias(self, site: str, article_id: int, *, of: int, run_id: int | None = None) -> int | None:
        """A stored article turns out to copy article ``of`` (which comes first): keep it as an alias.

        Its row (with its history) moves to ``aliases``; aliases and near-duplicate links that named it
        now name ``of``. Returns the run that had first stored it (None: no such article), so a run that
        stored and demoted the same article counts it as an alias, not as new.
        """
        self._begin()
        row = self.rows("select rowid, * from articles where site = ? and article_id = ?", [site, article_id])
        if not row:
            return None
        self._unindex(row[0])
        self._upsert_alias_row(record_from_row(row[0]), of, "exact", 1.0, run_id)
        self.conn.execute(
            "update aliases set article_id = ? where site = ? and article_id = ?", [of, site, article_id]
        )
        now = utc_now()
        self.conn.execute(
            "update articles set near_duplicate_of = ?, linked_at = ? where site = ? and near_duplicate_of = ?",
            [of, now, site, article_id],
        )
        self.conn.execute("update articles set linked_at = ? where site = ? and article_id = ?", [now, site, of])
        self.conn.execute("delete from articles where site = ? and article_id = ?", [site, article_id])
        self._wrote()
        return row[0]["first_run_id"]

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
        self.conn.execute(
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
        warc_record: str | None = None,
    ) -> None:
        """A fetch that failed after its retries (or a page that failed validation or extraction): never a
        silent drop. ``warc_record``: the captured response, when there is one to extract again."""
        self._begin()
        now = utc_now()
        self.conn.execute(
            "insert into failures (site, url, article_id, reason, http_status, attempts, first_failed_at,"
            " last_failed_at, resolved_at, run_id, warc_record) values (?, ?, ?, ?, ?, ?, ?, ?, null, ?, ?)"
            " on conflict (site, url) do update set reason = excluded.reason,"
            " http_status = excluded.http_status, attempts = attempts + excluded.attempts,"
            " last_failed_at = excluded.last_failed_at, resolved_at = null, run_id = excluded.run_id,"
            " article_id = coalesce(excluded.article_id, article_id), warc_record = excluded.warc_record",
            [site, url, article_id, reason, http_status, attempts, now, now, run_id, warc_record],
        )
        self._wrote()

    def resolve_failure(self, site: str, url: str) -> None:
        """A later fetch of ``url`` succeeded: its failure row is marked resolved (kept for the record)."""
        self._begin()
        self._resolve_failure(site, url, utc_now())
        self._wrote()

    def _id_has_traces(self, site: str, article_id: int) -> bool:
        """Whether any row but an article row names this id: a miss, an open failure, an alias (band keys
        come and go with the article row)."""
        return self.conn.execute(_TRACES_SQL, [site, article_id]).fetchone() is not None

    def _settle_id(self, site: str, article_id: int, now: str) -> None:
        """An id found to hold an article is no longer a miss, and its fetch failures are resolved."""
        self.conn.execute("delete from misses where site = ? and article_id = ?", [site, article_id])
        self._resolve_failures_of(site, article_id, now)

    def _resolve_failures_of(self, site: str, article_id: int, now: str) -> None:
        self.conn.execute(
            "update failures set resolved_at = ? where site = ? and article_id = ? and resolved_at is null",
            [now, site, article_id],
        )

    def _resolve_failure(self, site: str, url: str, now: str) -> None:
        self.conn.execute(
            "update failures set resolved_at = ? where site = ? and url = ? and resolved_at is null",
            [now, site, url],
        )

    # -- listing walks ---------------------------------------------------------------------------

    def listing_walk_complete(self, site: str, category: int, since: datetime | None = None) -> bool:
        """True once a run walked this category's listings to their end — or, for a run bounded by ``since``,
        down to ``since`` or further (incremental runs may then stop early)."""
        row = self.conn.execute(
            "select down_to from listing_walks where site = ? and category = ?", [site, category]
        ).fetchone()
        if row is None:
            return False
        return row[0] is None or (since is not None and datetime.fromisoformat(row[0]) <= since)

    def listing_walk_reach(self, site: str) -> dict[int, str | None]:
        """Every recorded walk of ``site``: category → how far it reached (``down_to``; None: to the end).
        What the distributed writer mirrors into Redis for the workers' ``listing_walk_complete``."""
        sql = "select category, down_to from listing_walks where site = ?"
        return {row[0]: row[1] for row in self.conn.execute(sql, [site])}

    def mark_listing_walks_complete(
        self, site: str, categories: Iterable[int], *, run_id: int | None, down_to: datetime | None = None
    ) -> None:
        """This run walked ``categories`` from their first page to their end (``down_to`` None) or down to
        ``down_to`` (a --since run). A walk down to a date extends an earlier walk it reached (one that was
        completed after ``down_to``); otherwise it replaces it."""
        self._begin()
        now = utc_now()
        rows = []
        for category in categories:
            reach = None if down_to is None else down_to.astimezone(timezone.utc)
            if reach is not None:
                old = self.conn.execute(
                    "select down_to, completed_at from listing_walks where site = ? and category = ?",
                    [site, category],
                ).fetchone()
                if old is not None and datetime.fromisoformat(old[1]) >= reach:  # the two walks meet
                    reach = None if old[0] is None else min(reach, datetime.fromisoformat(old[0]))
            rows.append((site, category, now, run_id, None if reach is None else reach.isoformat(timespec="seconds")))
        self.conn.executemany(
            "insert into listing_walks (site, category, completed_at, run_id, down_to) values (?, ?, ?, ?, ?)"
            " on conflict (site, category) do update set completed_at = excluded.completed_at,"
            " run_id = excluded.run_id, down_to = excluded.down_to",
            rows,
        )
        self.commit()
