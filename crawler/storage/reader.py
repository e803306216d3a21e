"""``ArchiveReader``: the one read API of an archive — exports, stats, search, coverage and `arshif serve`.

A reader opens the file read-only (``?mode=ro``) and never migrates: an archive with pending migrations
raises ``ArchiveOutdated`` (one line, exit code 11) until `arshif migrate` upgrades it, because an old
search index would answer stemmed queries wrongly and a read-only connection cannot fix it.
``ArchiveReader.over(conn)`` wraps a connection someone else opened (Datasette's read-only one).
``Archive`` (the writer) extends it, so a crawl reads through the same methods.

Every filter is one ``ArticleQuery`` (site, date window, runs, category, year, agency, author, changes
since a cursor, ...); every search goes through ``search``/``search_count``/``search_facets``
(``crawler.storage.searching``, a part of this class).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from crawler.errors import EXIT_OUTDATED_ARCHIVE, ArshifError, UsageError
from crawler.items import ARTICLE_FIELDS
from crawler.storage.queries import (
    ALIAS_EXPORT_COLUMNS,
    COVERAGE_FIELDS,
    EXPORT_COLUMNS,
    EXPORT_EXTRA_COLUMNS,
    ArticleQuery,
)
from crawler.storage.connection import inspect_file, register_functions
from crawler.sites import Site, UnknownSiteError, get_site, site_from_url
from crawler.storage.records import utc_now
from crawler.storage.records import ArchiveSummary, chunks, decoded_row, json_or, record_from_row
from crawler.storage.searching import SearchReads


class ArchiveOutdated(ArshifError):
    """The archive was written by an older arshif: `arshif migrate` upgrades it (readers never do)."""

    exit_code = EXIT_OUTDATED_ARCHIVE


def read_only_connection(path: str | Path) -> sqlite3.Connection:
    """A connection that cannot write (SQLite refuses it), for readers beside a live crawl (WAL)."""
    if not Path(path).is_file():
        raise UsageError(f"no archive at {path} (give --db or set ARSHIF_DB)")
    inspect_file(path)  # random bytes, a cut copy, another program's database: exit 10, naming the file
    conn = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True, timeout=30)
    register_functions(conn)  # search's folded_body() and search_form(): the lean archive keeps no copies
    return conn


def pending_migrations(conn: sqlite3.Connection) -> list[str]:
    """The names of the migrations this archive has not had yet (read-only check)."""
    from crawler.storage.migrating import sqlite_utils_module
    from crawler.storage.schema import MIGRATIONS

    if MIGRATIONS.up_to_date(conn):  # read without sqlite_utils (``crawler.storage.migrating``)
        conn.execute("PRAGMA recursive_triggers=on;")  # what sqlite_utils' Database did to the connection
        return []
    database = sqlite_utils_module().Database(conn, execute_plugins=False)
    return [migration.name for migration in MIGRATIONS.pending(database)]


def outdated_message(path: str | Path, pending: Sequence[str]) -> str:
    return (f"{path} was written by an older arshif ({len(pending)} schema upgrade(s) pending: "
            f"{', '.join(pending)}); run `arshif migrate --db {path}` once, then read it")


class ArchiveReader(SearchReads):
    """Read-only access: ``with ArchiveReader("arshif.db") as reader: reader.articles(ArticleQuery(...))``."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        conn = read_only_connection(path)
        try:
            pending = pending_migrations(conn)
        except BaseException:
            conn.close()
            raise
        if pending:
            conn.close()
            raise ArchiveOutdated(outdated_message(path, pending))
        self.conn = conn

    @classmethod
    def over(cls, conn: sqlite3.Connection) -> ArchiveReader:
        """A reader over a connection opened elsewhere (e.g. Datasette's); closing it is the owner's job."""
        reader = cls.__new__(cls)
        reader.path = None
        reader.conn = conn
        return reader

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close()

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def _before_read(self) -> None:
        """The writer makes its own open batch visible to its reads (``Archive.flush``); a reader has none."""

    def rows(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> list[dict[str, Any]]:
        """The rows of one read query as dicts (for ``crawler.storage``'s own readers and tests)."""
        cursor = self.conn.execute(sql, params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    def scalar(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> Any:
        return self.conn.execute(sql, params).fetchone()[0]

    # -- articles ------------------------------------------------------------------------------

    def get_article(self, site: str, article_id: int) -> dict[str, Any] | None:
        """The stored record of an article (``ARTICLE_FIELDS``, lists decoded), or None."""
        rows = self.rows("select * from articles where site = ? and article_id = ?", [site, article_id])
        return record_from_row(rows[0]) if rows else None

    def article_row(self, site: str, article_id: int) -> dict[str, Any] | None:
        """The whole stored row (lists decoded, search copies left out), or None."""
        found = self.rows("select * from articles where site = ? and article_id = ?", [site, article_id])
        return decoded_row(found[0]) if found else None

    def articles(
        self, query: ArticleQuery = ArticleQuery(), *, include_aliases: bool = False, chunk_size: int = 500
    ) -> Iterator[dict[str, Any]]:
        """Stored articles as records (lists decoded) plus ``EXPORT_EXTRA_COLUMNS``, in (site, id) order.

        Keyset pagination: ``chunk_size`` rows in memory at a time and no read transaction held between
        chunks, so exporting any size runs in constant memory beside a live crawl. With ``include_aliases``
        each row gets ``aliases``: the other ids/urls of the same article (``ALIAS_EXPORT_COLUMNS``).
        """
        where, params = query.where("a")
        columns = ", ".join(f"a.{name}" for name in EXPORT_COLUMNS)
        if query.changed_since:
            change, change_params = query.change_column("a")
            columns += f", {change} as change"
            params = [*change_params, *params]
        sql = (
            f"select {columns} from articles a where {where} and (a.site, a.article_id) > (?, ?)"
            " order by a.site, a.article_id limit ?"
        )
        after: tuple[str, int] = ("", -(1 << 62))
        while True:
            rows = self.rows(sql, [*params, *after, chunk_size])
            if not rows:
                return
            after = (rows[-1]["site"], rows[-1]["article_id"])
            aliases = self._aliases_for(rows) if include_aliases else {}
            for row in rows:
                exported = record_from_row(row)
                exported.update({key: row.get(key) for key in EXPORT_EXTRA_COLUMNS})
                if query.changed_since:
                    exported["change"] = row["change"]
                if include_aliases:
                    exported["aliases"] = aliases.get((row["site"], row["article_id"]), [])
                yield exported

    def _aliases_for(self, rows: Sequence[Mapping[str, Any]]) -> dict[tuple[str, int], list[dict]]:
        found: dict[tuple[str, int], list[dict]] = {}
        by_site: dict[str, list[int]] = {}
        for row in rows:
            by_site.setdefault(row["site"], []).append(row["article_id"])
        columns = ", ".join(ALIAS_EXPORT_COLUMNS)
        for site, ids in by_site.items():
            for chunk in chunks(ids):
                marks = ",".join("?" * len(chunk))
                for alias in self.rows(
                    f"select article_id, {columns} from aliases where site = ? and article_id in ({marks})"
                    " order by article_id, alias_id",
                    [site, *chunk],
                ):
                    found.setdefault((site, alias.pop("article_id")), []).append(alias)
        return found

    def versions(self, query: ArticleQuery = ArticleQuery(), *, chunk_size: int = 500) -> Iterator[dict[str, Any]]:
        """Every version of each of ``query``'s articles (``VERSION_COLUMNS``), oldest first, in (site, id)
        order: the earlier ones from ``article_versions``, then the stored one. Version v was stored by run
        ``run_id`` (the first run for v1, else the run that replaced v-1) from ``valid_from`` to ``valid_to``."""
        current = (*ARTICLE_FIELDS, "version", "first_run_id", "first_seen_at", "updated_at", "content_hash",
                   "warc_record")
        where, params = query.where("a")
        sql = (f"select {', '.join(f'a.{name}' for name in current)} from articles a where {where}"
               " and (a.site, a.article_id) > (?, ?) order by a.site, a.article_id limit ?")
        after: tuple[str, int] = ("", -(1 << 62))
        while True:
            rows = self.rows(sql, [*params, *after, chunk_size])
            if not rows:
                return
            after = (rows[-1]["site"], rows[-1]["article_id"])
            earlier = self._earlier_versions(rows)
            for row in rows:
                previous_run = row["first_run_id"]
                for version in earlier.get((row["site"], row["article_id"]), []):
                    record = json_or(version["record"], {})
                    yield {**{key: record.get(key) for key in ARTICLE_FIELDS}, "site": row["site"],
                           "article_id": row["article_id"], "version": version["version"],
                           "valid_from": version["valid_from"], "valid_to": version["replaced_at"],
                           "run_id": previous_run, "current": False, "content_hash": version["content_hash"],
                           "warc_record": version["warc_record"]}
                    previous_run = version["replaced_by_run_id"]
                stored = record_from_row(row)
                yield {**stored, "version": row["version"],
                       "valid_from": row["updated_at"] if row["version"] > 1 else row["first_seen_at"],
                       "valid_to": None, "run_id": previous_run, "current": True,
                       "content_hash": row["content_hash"], "warc_record": row["warc_record"]}

    def _earlier_versions(self, rows: Sequence[Mapping[str, Any]]) -> dict[tuple[str, int], list[dict]]:
        found: dict[tuple[str, int], list[dict]] = {}
        by_site: dict[str, list[int]] = {}
        for row in rows:
            if row["version"] > 1:
                by_site.setdefault(row["site"], []).append(row["article_id"])
        for site, ids in by_site.items():
            for chunk in chunks(ids):
                marks = ",".join("?" * len(chunk))
                for version in self.rows(
                    "select article_id, version, record, valid_from, replaced_at, replaced_by_run_id, content_hash,"
                    f" warc_record from article_versions where site = ? and article_id in ({marks})"
                    " order by article_id, version",
                    [site, *chunk],
                ):
                    found.setdefault((site, version["article_id"]), []).append(version)
        return found

    def merged(self, query: ArticleQuery) -> Iterator[dict[str, Any]]:
        """The ids that became aliases of another article at or after ``query.changed_since`` (a refetched
        copy, or a stored article merged into an earlier one): ``change`` "merged", ``merged_into`` the
        article. A team applying the change set drops these ids. Only ``site`` of ``query`` applies."""
        params: list[Any] = [query.changed_since]
        site = ""
        if query.site:
            site, params = " and l.site = ?", [*params, query.site]
        for row in self.rows(
            "select l.site, l.alias_id as article_id, l.alias_url as url, l.title, l.published_at,"
            " l.article_id as merged_into from aliases l where l.first_seen_at >= ? and l.alias_id is not null"
            f"{site} and not exists (select 1 from articles a where a.site = l.site and a.article_id = l.alias_id)"
            " order by l.site, l.alias_id",
            params,
        ):
            yield {**row, "change": "merged"}

    def resolve_cursor(self, cursor: str) -> str:
        """An ``--changes-since`` cursor as the UTC instant to compare with: a run id stands for the start of
        that run (its changes and every later run's), an ISO time for itself (no offset: UTC)."""
        from datetime import datetime, timezone

        text = cursor.strip()
        if text.isdigit():
            run = self.get_run(int(text))
            if run is None:
                raise UsageError(f"no run {text} in this archive (see `arshif stats`)")
            return run["started_at"]
        try:
            instant = datetime.fromisoformat(text)
        except ValueError:
            raise UsageError(f"--changes-since {cursor!r}: give a run id or an ISO time"
                             " (e.g. 2026-12-05T03:00:00+00:00)") from None
        instant = instant.replace(tzinfo=timezone.utc) if instant.tzinfo is None else instant
        return instant.astimezone(timezone.utc).isoformat(timespec="seconds")

    def next_cursor(self) -> str:
        """The cursor an export taken now hands to the next one: now — or, while a run is still writing,
        that run's start, because rows it wrote before now may be committed only after this read (the next
        change set then repeats a few rows; applied by (site, article_id, version) they change nothing)."""
        running = self.scalar("select min(started_at) from crawl_runs where status = 'running'")
        now = utc_now()
        return min(now, running) if running else now

    def count(self, query: ArticleQuery = ArticleQuery()) -> int:
        where, params = query.where("a")
        return self.scalar(f"select count(*) from articles a where {where}", params)

    def article_versions(self, site: str, article_id: int) -> list[dict[str, Any]]:
        """Earlier states, oldest first: each ``article_versions`` row with its ``record`` decoded."""
        found = self.rows(
            "select * from article_versions where site = ? and article_id = ? order by version", [site, article_id]
        )
        for version in found:
            record = json_or(version.pop("record"), {})
            version["record"] = {key: record.get(key) for key in ARTICLE_FIELDS}
        return found

    def aliases_of(self, site: str, article_id: int) -> list[dict[str, Any]]:
        return self.rows(
            "select * from aliases where site = ? and article_id = ? order by alias_id", [site, article_id]
        )

    def get_alias(self, site: str, alias_id: int) -> dict[str, Any] | None:
        """One alias row by its id (the index on (site, alias_id)), or None."""
        rows = self.rows("select * from aliases where site = ? and alias_id = ? limit 1", [site, alias_id])
        return rows[0] if rows else None

    def alias_target(self, site: str, alias_id: int) -> int | None:
        """The stored article an alias id stands for, or None."""
        row = self.conn.execute(
            "select article_id from aliases where site = ? and alias_id = ? limit 1", [site, alias_id]
        ).fetchone()
        return row[0] if row else None

    def near_duplicates(self, site: str, article_id: int) -> list[dict[str, Any]]:
        """Articles that repeat this one almost word for word (their ``near_duplicate_of`` is this id)."""
        return self.rows(
            "select article_id, title, published_at, similarity from articles"
            " where site = ? and near_duplicate_of = ? order by article_id",
            [site, article_id],
        )

    def open_failures(self, site: str | None = None) -> list[dict[str, Any]]:
        """Failures not resolved by a later fetch, oldest first."""
        sql = "select * from failures where resolved_at is null"
        params: list[Any] = []
        if site:
            sql += " and site = ?"
            params.append(site)
        return self.rows(sql + " order by id", params)

    def warc_files(self) -> set[str]:
        """The WARC file names this archive's pointers name ("<file>:<offset>" on articles, their older
        versions and failures): what a WACZ of it may package, never another archive's files that share
        the folder."""
        names = self.conn.execute(
            " union ".join(f"select distinct substr(warc_record, 1, instr(warc_record, ':') - 1) from {table}"
                           f" where warc_record is not null" for table in ("articles", "article_versions", "failures"))
        ).fetchall()
        return {name for (name,) in names if name}

    def run_processes(self) -> list[dict[str, Any]]:
        """(pid, host, started_at, finished_at) of every run that kept its pid: a WARC file written by one of
        them (its name carries the pid and the UTC minute it opened) holds this archive's captures even
        when no article points into it (a run that only walked listings)."""
        return self.rows("select pid, host, started_at, finished_at from crawl_runs where pid is not null")
    def site(self, name: str) -> Site:
        """The ``Site`` of a site name this archive stores: its site file (``crawler.sites.get_site``), else,
        for an outlet crawled with ``arshif crawl --url`` (stored under its host, e.g. "outlet.example" or
        "127.0.0.1", with no file), the site rebuilt from the scheme and host of the URLs stored under that
        name (``site_from_url``: e.g. "http://127.0.0.1:8000/2024/04/29/slug/" → the site of
        http://127.0.0.1:8000, named "127.0.0.1"). ``UnknownSiteError`` when neither knows it."""
        try:
            return get_site(name)
        except UnknownSiteError as unknown:
            for table, column in (("articles", "url"), ("aliases", "alias_url"), ("failures", "url"),
                                  ("misses", "url")):
                found = self.rows(f"select {column} as url from {table} where site = ? and {column} is not null"
                                  " limit 1", [name])
                if found:
                    try:
                        site = site_from_url(found[0]["url"])
                    except ValueError:
                        break
                    if site.name == name:
                        return site
                    break
            raise unknown

    # -- runs and totals -----------------------------------------------------------------------

    def get_run(self, run_id: int) -> dict[str, Any] | None:
        rows = self.rows("select * from crawl_runs where id = ?", [run_id])
        return rows[0] if rows else None

    def runs(self, *, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
        """Runs, newest first, with status, counts and alarm reason (``args`` and ``stats`` decoded)."""
        found = self.rows("select * from crawl_runs order by id desc limit ? offset ?", [limit, offset])
        for run in found:
            run["args"] = json_or(run.get("args"), {})
            run["stats"] = json_or(run.get("stats"), {})
        return found

    def count_runs(self) -> int:
        return self.scalar("select count(*) from crawl_runs")

    def runs_behind(self, query: ArticleQuery = ArticleQuery(), *, versions: bool = False) -> list[dict[str, Any]]:
        """The runs behind the rows an export of ``query`` holds, newest first (what the dataset card lists).

        An article row: the run that first stored it, the one that stored its current version and the one
        that last saw it (``first_run_id``, ``last_run_id``). ``versions``: the run that stored each version.
        With ``query.changed_since``, also the runs that merged an id into another (the "merged" rows)."""
        where, params = query.where("a")
        version_run = "" if versions else " and v.version = a.version - 1"
        parts = [
            f"select a.first_run_id as id from articles a where {where}",
            f"select v.replaced_by_run_id from article_versions v join articles a on a.site = v.site"
            f" and a.article_id = v.article_id where {where}{version_run}",
        ]
        all_params = [*params, *params]
        if not versions:
            parts.append(f"select a.last_run_id from articles a where {where}")
            all_params += params
        if query.changed_since:
            site = " and l.site = ?" if query.site else ""
            parts.append("select l.run_id from aliases l where l.first_seen_at >= ? and l.alias_id is not null"
                         f"{site} and not exists (select 1 from articles a where a.site = l.site"
                         " and a.article_id = l.alias_id)")
            all_params += [query.changed_since, *([query.site] if query.site else [])]
        found = self.rows(f"select * from crawl_runs where id in ({' union '.join(parts)}) order by id desc",
                          all_params)
        for run in found:
            run["args"] = json_or(run.get("args"), {})
            run["stats"] = json_or(run.get("stats"), {})
        return found

    def summary(self, site: str | None = None) -> ArchiveSummary:
        """A few totals for the end of a run or the demo."""
        where, params = ("where site = ?", [site]) if site else ("", [])

        def scalar(sql: str) -> Any:
            return self.scalar(sql, params)

        aliases_by_kind = dict(self.conn.execute(f"select kind, count(*) from aliases {where} group by kind",
                                                 params).fetchall())
        first, last = self.conn.execute(
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

    def totals(self) -> dict[str, Any]:
        """What the archive holds: articles, versions, aliases, near duplicates, misses, open failures, span."""
        summary = self.summary()
        return {
            "articles": summary.articles,
            "versions": summary.versions,
            "aliases": summary.aliases,
            "near_duplicates": summary.near_duplicates,
            "misses": summary.misses,
            "open_failures": summary.open_failures,
            "first_published": summary.first_published,
            "last_published": summary.last_published,
        }

    def articles_per_month(self) -> list[dict[str, Any]]:
        """Stored articles per publication month ("YYYY-MM"), months without articles left out."""
        return self.rows(
            "select substr(published_at, 1, 7) as month, count(*) as articles from articles"
            " where published_at is not null group by 1 order by 1"
        )

    def id_blocks(self, block_size: int) -> list[dict[str, Any]]:
        """Per block of ``block_size`` consecutive ids: how many are stored (articles and alias ids), known
        misses and open failures. Blocks with none of them are left out (the caller fills the span)."""
        return self.rows(
            "select block, sum(stored) as stored, sum(misses) as misses, sum(failures) as failures from ("
            " select article_id / :size as block, 1 as stored, 0 as misses, 0 as failures from articles"
            " union all select alias_id / :size, 1, 0, 0 from aliases where alias_id is not null"
            " union all select article_id / :size, 0, 1, 0 from misses"
            " union all select article_id / :size, 0, 0, 1 from failures"
            "  where resolved_at is null and article_id is not null"
            ") group by block order by block",
            {"size": block_size},
        )

    def id_span(self) -> tuple[int | None, int | None]:
        """The lowest and highest id the archive knows of (articles, aliases, misses, failures)."""
        low, high = self.conn.execute(
            "select min(v), max(v) from (select min(article_id) as v from articles union all"
            " select max(article_id) from articles union all select min(alias_id) from aliases union all"
            " select max(alias_id) from aliases union all select min(article_id) from misses union all"
            " select max(article_id) from misses union all select min(article_id) from failures union all"
            " select max(article_id) from failures)"
        ).fetchone()
        return low, high

    def sites(self) -> list[str]:
        """The sites this archive knows of (articles, aliases, misses or failures)."""
        return [row[0] for row in self.conn.execute(
            "select site from articles union select site from aliases union select site from misses"
            " union select site from failures where article_id is not null order by 1")]

    def id_gaps(self, site: str) -> list[tuple[int, int]]:
        """The id ranges (first, last; inclusive) between the lowest and highest id known of ``site`` that
        the archive has never seen: no article, alias, miss or failure names them (e.g. a backfill of
        1-100 whose ids 40-49 were never asked gives ``[(40, 49)]``)."""
        return [(row[0] + 1, row[1] - 1) for row in self.conn.execute(
            "select id, next from (select id, lead(id) over (order by id) as next from ("
            " select article_id as id from articles where site = ?1"
            " union select alias_id from aliases where site = ?1 and alias_id is not null"
            " union select article_id from misses where site = ?1"
            " union select article_id from failures where site = ?1 and article_id is not null))"
            " where next > id + 1 order by id",
            [site],
        )]

    def coverage(self, site: str) -> dict[str, Any]:
        """What `arshif coverage` shows for one site: the known id span, the ranges never seen, misses by
        reason and open failures (those with an id can be fetched again by a backfill)."""
        low, high = self.conn.execute(
            "select min(id), max(id) from (select article_id as id from articles where site = ?1"
            " union all select alias_id from aliases where site = ?1"
            " union all select article_id from misses where site = ?1"
            " union all select article_id from failures where site = ?1)", [site]).fetchone()
        gaps = self.id_gaps(site)
        failures = self.rows(
            "select article_id, url, reason, http_status, attempts, last_failed_at from failures"
            " where site = ? and resolved_at is null order by article_id, url", [site])
        return {
            "site": site,
            "first_id": low,
            "last_id": high,
            "articles": self.scalar("select count(*) from articles where site = ?", [site]),
            "aliases": self.scalar("select count(*) from aliases where site = ?", [site]),
            "never_seen": [{"first": first, "last": last, "ids": last - first + 1} for first, last in gaps],
            "never_seen_ids": sum(last - first + 1 for first, last in gaps),
            "misses_by_reason": self.rows(
                "select reason, count(*) as misses from misses where site = ? group by reason order by 2 desc, 1",
                [site]),
            "open_failures": failures,
        }

    def period(self, query: ArticleQuery = ArticleQuery()) -> list[dict[str, Any]]:
        """Per site among ``query``'s articles: how many, and the first and last publication time."""
        where, params = query.where("a")
        return self.rows(
            "select a.site, count(*) as articles, min(a.published_at) as first_published,"
            f" max(a.published_at) as last_published from articles a where {where} group by a.site order by 1",
            params)

    def stats(self, *, recent_runs: int = 10) -> dict[str, Any]:
        """Everything `arshif stats` shows, as plain data."""
        coverage_sql = ", ".join(
            f"sum(case when {key} is not null and {key} not in ('', '[]', '{{}}') then 1 else 0 end)"
            for key in COVERAGE_FIELDS
        )
        total, *covered = self.conn.execute(f"select count(*), {coverage_sql} from articles").fetchone()
        summary = self.summary()
        return {
            "articles": total,
            "versions": summary.versions,
            "near_duplicates": summary.near_duplicates,
            "first_published": summary.first_published,
            "last_published": summary.last_published,
            "per_year": self.rows(
                "select coalesce(substr(published_at, 1, 4), '?') as year, count(*) as articles"
                " from articles group by 1 order by 1"
            ),
            "per_category": self.rows(
                "select coalesce(nullif(category, ''), '?') as category, count(*) as articles"
                " from articles group by 1 order by 2 desc, 1"
            ),
            "per_year_category": self.rows(
                "select coalesce(substr(published_at, 1, 4), '?') as year,"
                " coalesce(nullif(category, ''), '?') as category, count(*) as articles"
                " from articles group by 1, 2 order by 1, 3 desc"
            ),
            "coverage": {key: (count or 0) / total if total else 0.0 for key, count in zip(COVERAGE_FIELDS, covered)},
            "aliases_by_kind": self.rows("select kind, count(*) as aliases from aliases group by kind order by 2 desc"),
            "misses": summary.misses,
            "misses_by_reason": self.rows(
                "select reason, count(*) as misses from misses group by reason order by 2 desc"),
            "failures_by_reason": self.rows(
                "select reason, count(*) as failures, sum(resolved_at is null) as open"
                " from failures group by reason order by 2 desc"
            ),
            "runs": self.rows(
                "select id, command, spider, started_at, finished_at, status, alarm_reason, pages, articles_new,"
                " articles_updated, aliases, misses, failures from crawl_runs order by id desc limit ?",
                [recent_runs],
            ),
        }


def open_archive(path: str | Path) -> ArchiveReader:
    """An existing archive, read-only (readers must not create an empty one by mistake, nor migrate it)."""
    return ArchiveReader(path)
