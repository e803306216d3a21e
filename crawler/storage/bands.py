"""The near-duplicate band keys in levels, so that storing an article costs the same at 10k and at 1M.

Why: an article's 16 band keys are random hashes. In one big ``band_keys`` table (WITHOUT ROWID, ordered
by key) they land on 16 different leaf pages, and once the table outgrows the cache each commit dirties and
writes ~16 pages an article (WAL, then checkpoint): store CPU per article grew 1.9× from 10k to 1M (issue 22).

How (a small log-structured merge): new keys go to ``band_keys_recent``, whose few pages a commit rewrites;
when a level passes ``max(floor × ratio**level, next level's keys / ratio)`` keys it is merged into the next
level in key order by one INSERT ... SELECT inside the writer's open transaction, and emptied:
``band_keys_recent`` → ``band_keys_middle`` → ``band_keys_lower`` → ``band_keys`` (the main level). A merge writes each page of the
next level once for many articles: e.g. at 1M articles (16M keys) merging 2M middle keys rewrites the main
level's ~120k pages once for 125k articles (~1 page an article) instead of 16 pages an article. Two levels
(recent → main) were not enough: the recent level then grows to 1/8 of the main one and a commit of 1,000
articles rewrote most of its pages again (``bench/bench_bands.py``, ``bench/results.md``); three were not
either past ~260k articles, for the same reason one level down (``schema.m2xx_store5_band_keys_lower``).

Same decisions by construction: a key is in exactly one level (added to the first, moved whole by a merge),
so a lookup over every level (one UNION ALL) and a delete from every level see the very rows one table held.

The writer's lookups (one an article, 16 keys) skip SQL for what it knows: the recent level is mirrored in
memory (``RecentMirror``: read once the run has made enough lookups to pay for reading it,
``MIRROR_KEYS_PER_LOOKUP``, then kept in step with each insert, delete and merge),
and a lower level that holds no key is not probed (e.g. a 2,000-article archive has only the recent level:
the lookup is a set test, ~1 µs, instead of 16 probes in each of three tables, ~33 µs). The answer is the
same: a mirror that might disagree with the table (a transaction ended without ``committed``, a merge, a
rollback) is dropped and read again at the next lookup.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlite3
from typing import Any

from crawler.storage.keymemory import KeyFilter, RecentMirror, passing
from crawler.storage.keys import BAND_LEVELS, band_keys

# Merge the recent level into the main one when it holds more than max(MERGE_FLOOR, main rows / MERGE_RATIO)
# keys: the floor keeps merges rare while the archive is small (65,536 keys: 4,096 articles), the ratio
# keeps the recent level a fixed share of the main one so each merge's page writes are amortized.
MERGE_FLOOR = 65_536
MERGE_RATIO = 8
BANDS_PER_ARTICLE = 16  # crawler.dedupe.BANDS, for the main level's size estimate
# The recent level is mirrored in memory up to this many keys (~107 bytes a key: 27 MiB); a bigger one (an
# archive of millions of articles between merges) is probed in SQL as before.
MIRROR_MAX_KEYS = 262_144
# Reading a key into the mirror costs ~1-2 µs; a lookup the mirror answers saves ~10 µs of SQL. So the mirror
# is read once the run has made at least (keys held) / 10 lookups: an hourly crawl that stores 50 articles
# into an archive whose recent level holds 200,000 keys never reads it (~0.3 s for 0.5 ms saved), a
# backfill of thousands reads it early, a fresh archive at the first lookup.
MIRROR_KEYS_PER_LOOKUP = 10
# The lower levels' filters (``KeyFilter``): 16 bits and 3 probes a key, ~0.5% of absent keys pass (16 absent
# keys: the level is probed in SQL for ~8% of lookups), 2 bytes a key (32 MiB at 1M articles). Reading a key
# into a filter costs ~0.5 µs; a lookup the filters answer saves a SQL probe of 16 keys per lower level
# (~25-100 µs, more as the levels grow past the cache), so they are read once the run has made
# (keys held) / FILTER_KEYS_PER_LOOKUP lookups: a backfill's early on, an hourly crawl of 50 articles into
# an archive of millions never.
FILTER_KEYS_PER_LOOKUP = 100
_ROWS_PER_INSERT = 800  # keys a multi-row INSERT of ``add_many`` (3 variables each: well under SQLite's 32,766)
FILTER_READ_KEYS = 65_536  # keys fetched and added at a time when a level is read into its filter


class BandKeys:
    """The band-key store of one archive connection (used by ``Archive``, the single writer)."""

    def __init__(self, conn: sqlite3.Connection, *, floor: int = MERGE_FLOOR, ratio: int = MERGE_RATIO,
                 levels: Sequence[str] = BAND_LEVELS, keys_per_article: int = BANDS_PER_ARTICLE) -> None:
        self.conn = conn
        self.floor = floor
        self.ratio = ratio
        self.keys_per_article = keys_per_article  # the main level's size estimate (``_next_rows``)
        self.levels = tuple(levels)  # newest first, the main level last
        self._rows: list[int] | None = None  # keys in each level but the main one: counted once, then kept
        self._insert_sql: dict[int, str] = {}
        self._lookup_sql: dict[tuple[int, tuple[str, ...]], str] = {}
        self.mirror_max = MIRROR_MAX_KEYS
        self._mirror: RecentMirror | None = None  # read when the lookups make it worth it (``_recent``)
        self._lookups = 0  # lookups made without the mirror...
        self._next_check = 1  # ...and at which one the recent level's size is checked again (then 2, 4, 8 on)
        self._gap = 1
        # The levels below the recent one that may hold keys, checked once when the writer opens (no open
        # transaction: nothing a rollback could bring back); a merge into a level adds it. A level emptied
        # later stays here: probing an empty level costs time, never an answer.
        self._filled = {table for table in self.levels[1:]
                        if conn.execute(f"select exists (select 1 from {table})").fetchone()[0]}
        # The lower levels' filters (``KeyFilter``), read when the lookups make it worth it (``_lower_filters``),
        # then kept in step with each merge; dropped when a transaction that changed them did not commit.
        self.filter_keys_per_lookup = FILTER_KEYS_PER_LOOKUP
        self._filters: dict[str, KeyFilter] | None = None
        self._filters_dirty = False
        self._probes = 0  # lookups that reached the lower levels without filters...
        self._filter_check, self._filter_gap = 1, 1  # ...and when their size is checked again (as the mirror's)
        # The levels that hold runs (``run`` first in their key, schema.m2xx_store6_level_runs: every level below
        # the recent one) and each one's run numbers, ascending: read when first needed, kept in step with each
        # merge, read again when a transaction that merged did not commit.
        self._run_tables = frozenset(table for table in self.levels if any(
            column[1] == "run" for column in conn.execute(f"pragma table_info({table})")))
        self._runs: dict[str, list[int]] | None = None
        self._runs_dirty = False

    def add(self, site: str, article_id: int, band_hashes: Sequence[int], keys: Sequence[int] | None = None) -> None:
        """The article's keys, in one statement (16 executions of one row cost 2× as much); ``keys``: its
        ``band_keys``, when the caller made them."""
        if not band_hashes:
            return
        count = len(band_hashes)
        run = "0, " if self.levels[0] in self._run_tables else ""  # one level alone (``bench_bands`` single): run 0
        sql = self._insert_sql.get(count) or self._insert_sql.setdefault(count, (
            f"insert or ignore into {self.levels[0]} ({run and 'run, '}site, key, article_id) values "
            + ", ".join(f"({run}?1, ?{number}, ?2)" for number in range(3, count + 3))))
        if keys is None:
            keys = band_keys(band_hashes)
        added = self.conn.execute(sql, [site, article_id, *keys]).rowcount
        if self._rows is not None and len(self.levels) > 1:
            self._rows[0] += max(added, 0)
        if self._mirror is not None:
            self._mirror.add(site, keys, article_id)

    def add_many(self, site: str, entries: Sequence[tuple[int, Sequence[int]]]) -> None:
        """``add`` of many articles at once, each (article id, its keys as ``band_keys`` gives them): a few
        multi-row statements for all of them (``crawler.storage.batch``, a writer's held new articles)."""
        rows = [(article_id, key) for article_id, article_keys in entries for key in article_keys]
        if not rows:
            return
        run = "0, " if self.levels[0] in self._run_tables else ""  # as ``add``: run 0 where the level has runs
        for start in range(0, len(rows), _ROWS_PER_INSERT):
            chunk = rows[start : start + _ROWS_PER_INSERT]
            sql = (f"insert or ignore into {self.levels[0]} ({run and 'run, '}site, key, article_id) values "
                   + ", ".join([f"({run}?, ?, ?)"] * len(chunk)))
            added = self.conn.execute(sql, [value for article_id, key in chunk
                                            for value in (site, key, article_id)]).rowcount
            if self._rows is not None and len(self.levels) > 1:
                self._rows[0] += max(added, 0)
        if self._mirror is not None:
            for article_id, article_keys in entries:
                self._mirror.add(site, article_keys, article_id)

    def remove(self, site: str, article_id: int, band_hashes: Sequence[int]) -> None:
        """Drop the article's keys from whichever level holds them (the kept counts may then be high: they
        only pace the merges)."""
        rows = [(site, key, article_id) for key in band_keys(band_hashes)]
        runs = self._level_runs()
        for table in self.levels:
            where = self._in_runs(table, runs)
            if where is not None:
                self.conn.executemany(f"delete from {table} where {where}site = ? and key = ? and article_id = ?", rows)
        if self._mirror is not None:
            self._mirror.dirty = True
            for key in rows:
                self._mirror.drop(*key)

    def article_ids(self, site: str, band_hashes: Sequence[int], keys: Sequence[int] | None = None) -> set[int]:
        """The articles that share at least one band key with ``band_hashes``, over every level (``keys``: their
        ``band_keys``, when the caller made them)."""
        if not band_hashes:
            return set()
        if keys is None:
            keys = band_keys(band_hashes)
        found: set[int] = set()
        mirror = self._recent()
        if mirror is not None:
            mirror.article_ids(site, keys, found)
            if not self._filled:  # the recent level is all there is (an archive of < ~4,000 articles)
                return found
        tables = tuple(table for index, table in enumerate(self.levels)
                       if table in self._filled or (index == 0 and mirror is None))
        filters = self._lower_filters() if tables else None
        if filters is not None:
            # One pass over the keys for every level's filter; usually no key passes: no level is read at all.
            for table, maybe in passing([(table, filters[table]) for table in tables if table in filters],
                                        keys).items():
                self._probe(site, maybe, (table,), found)
            tables = tuple(table for table in tables if table not in filters)
        if tables:
            self._probe(site, keys, tables, found)
        return found

    def _probe(self, site: str, keys: Sequence[int], tables: tuple[str, ...], into: set[int]) -> None:
        """The article ids holding any of ``keys`` in ``tables`` (one statement; each run of a level is one seek
        a key: ``run in (…)``, the runs the level holds, cached until a merge changes them)."""
        count = len(keys)
        runs = self._level_runs()
        sql = self._lookup_sql.get((count, tables))
        if sql is None:
            marks = ",".join(f"?{number}" for number in range(2, count + 2))
            sql = self._lookup_sql.setdefault((count, tables), " union all ".join(
                f"select article_id from {table} where {where}site = ?1 and key in ({marks})" for table in tables
                if (where := self._in_runs(table, runs)) is not None))
        if sql:
            into.update(article_id for (article_id,) in self.conn.execute(sql, [site, *keys]))

    def key_ids_sql(self, site: str = "?1", key: str = "?2") -> str:
        """The statement (for an ``in (…)``) of the article ids holding one key over every level, with the
        parameters named ``site`` and ``key``: the content keys' lookup (``crawler.storage.lookups``) puts it in
        its single statement. The same text until a merge changes the runs (a caller may cache by it)."""
        runs = self._level_runs()
        sql = self._lookup_sql.get(("ids", site, key))
        if sql is None:
            sql = self._lookup_sql.setdefault(("ids", site, key), " union all ".join(
                f"select article_id from {table} where {where}site = {site} and key = {key}"
                for table in self.levels if (where := self._in_runs(table, runs)) is not None)
                or "select null where 0")
        return sql

    def keys_ids_sql(self, count: int) -> tuple[str | None, int]:
        """``key_ids_sql`` for ``count`` keys at once, with plain ``?`` parameters: the statement of the article ids
        holding any of them over every level and run, and how many levels it reads (each takes the site and the
        ``count`` keys, in that order). None where no level holds a key."""
        runs = self._level_runs()
        marks = ",".join("?" * count)
        parts = [f"select article_id from {table} where {where}site = ? and key in ({marks})"
                 for table in self.levels if (where := self._in_runs(table, runs)) is not None]
        return (" union all ".join(parts) or None), len(parts)

    def _in_runs(self, table: str, runs: dict[str, list[int]], alias: str = "") -> str | None:
        """The condition naming ``table``'s runs, to put before its other conditions: "" for a level without
        runs (the recent one), None for a level that holds no run (nothing to read), e.g. "run in (0,3) and "."""
        if table not in self._run_tables:
            return ""
        held = runs.get(table)
        return f"{alias}run in ({','.join(map(str, held))}) and " if held else None

    def _level_runs(self) -> dict[str, list[int]]:
        """Each run level's run numbers, read now if not known (or changed by a transaction that did not commit)."""
        runs = self._runs
        if runs is None or (self._runs_dirty and not self.conn.in_transaction):
            runs = self._runs = {table: self._read_runs(table) for table in self._run_tables}
            if self.levels[0] in runs and 0 not in runs[self.levels[0]]:
                runs[self.levels[0]].insert(0, 0)  # one level alone: its keys are added as run 0
            self._runs_dirty = self.conn.in_transaction
            self._lookup_sql.clear()
        return runs

    def _read_runs(self, table: str) -> list[int]:
        """``table``'s run numbers: one seek a run (``run`` leads the key), not a scan of its keys."""
        found: list[int] = []
        sql = f"select run from {table} where run > ? order by run limit 1"
        while (row := self.conn.execute(sql, [found[-1] if found else -1]).fetchone()) is not None:
            found.append(row[0])
        return found

    def _lower_filters(self) -> dict[str, KeyFilter] | None:
        """The lower levels' filters, read now if they are due (None: not worth reading yet)."""
        filters = self._filters
        if filters is not None and self._filters_dirty and not self.conn.in_transaction:
            self._drop_filters()  # changed or read in a transaction that ended without ``committed``
            filters = None
        if filters is None and len(self.levels) > 1:
            self._probes += 1
            if self._probes >= self._filter_check:
                budget = self.filter_keys_per_lookup * self._probes
                held = 0
                for table in self.levels[1:]:
                    if held <= budget:
                        held += self.conn.execute(f"select count(*) from (select 1 from {table} limit ?)",
                                                  [max(budget + 1 - held, 0)]).fetchone()[0]
                if held <= budget:
                    filters = self._filters = {table: self._read_filter(index)
                                               for index, table in enumerate(self.levels) if index}
                    self._filters_dirty = self.conn.in_transaction
                else:
                    self._filter_gap *= 2
                    self._filter_check = self._probes + self._filter_gap
        return filters

    def _read_filter(self, index: int) -> KeyFilter:
        """Level ``index``'s filter, read from its keys, with room for twice as many (a merge past that reads
        it again: the reads of a growing level add up to about twice its keys)."""
        table = self.levels[index]
        level_filter = KeyFilter(2 * self.conn.execute(f"select count(*) from {table}").fetchone()[0])
        self._add_keys_of(table, level_filter)
        return level_filter

    def _add_keys_of(self, table: str, level_filter: KeyFilter) -> None:
        """Add ``table``'s keys to ``level_filter``, a batch at a time: the main level of a 1M-article archive
        holds 16M keys, ~600 MB as one list of Python ints."""
        cursor = self.conn.execute(f"select key from {table}")
        while batch := cursor.fetchmany(FILTER_READ_KEYS):
            level_filter.add([key for (key,) in batch])

    def _drop_filters(self) -> None:
        """Forget the filters; the lookups decide again whether to read them."""
        self._filters = None
        self._filters_dirty = False
        self._filter_check, self._filter_gap = self._probes + 1, 1

    def _recent(self) -> RecentMirror | None:
        """The recent level's mirror, read now if it is due (None: not worth reading yet, or over
        ``mirror_max`` keys: the recent level is probed in SQL)."""
        mirror = self._mirror
        if mirror is not None and mirror.dirty and not self.conn.in_transaction:
            self._drop_mirror()  # its transaction ended without ``committed``: rolled back
            mirror = None
        if mirror is None and len(self.levels) > 1:
            self._lookups += 1
            if self._lookups >= self._next_check:
                # Worth reading when it holds no more than MIRROR_KEYS_PER_LOOKUP keys per lookup made so far
                # (counted up to that budget only: a check costs no more than the budget's rows).
                budget = min(self.mirror_max, MIRROR_KEYS_PER_LOOKUP * self._lookups)
                held = self.conn.execute(f"select count(*) from (select 1 from {self.levels[0]} limit ?)",
                                         [max(budget + 1, 0)]).fetchone()[0]
                if held <= budget:
                    mirror = self._mirror = RecentMirror(self.conn, self.levels[0])
                else:
                    self._gap *= 2
                    self._next_check = self._lookups + self._gap
        return mirror

    def _drop_mirror(self) -> None:
        """Forget the mirror; the next lookup decides again whether to read it."""
        self._mirror = None
        self._next_check, self._gap = self._lookups + 1, 1

    def committed(self) -> None:
        """The writer's transaction committed: the mirror holds what the recent level holds for good."""
        if self._mirror is not None:
            self._mirror.dirty = False
        self._filters_dirty = False
        self._runs_dirty = False

    def began(self) -> None:
        """The writer opens a transaction: a mirror still holding a past transaction's changes did not see it
        end by a commit (SQLite rolled it back, e.g. on a full disk), so it is read again."""
        if self._mirror is not None and self._mirror.dirty:
            self._drop_mirror()
        if self._filters_dirty:
            self._drop_filters()
        if self._runs_dirty:
            self._runs = None

    def shared_article_ids(self, site: str) -> set[int]:
        """Every article of ``site`` that shares a band key with another one (over every level): the only
        articles a near-duplicate lookup can find anything for. One ordered scan of each level (duplicate
        keys within it), then the few keys of the smaller levels probed in the larger ones; ~1 s per million
        keys. ``crawler.reparse`` leaves an unchanged article outside this set as it is."""
        shared: set[int] = set()
        runs = self._level_runs()
        levels = [(table, where) for table in self.levels if (where := self._in_runs(table, runs)) is not None]
        for index, (table, where) in enumerate(levels):
            shared.update(key for (key,) in self.conn.execute(
                f"select key from {table} where {where}site = ? group by key having count(*) > 1", [site]))
            for other, _ in levels[index + 1:]:
                shared.update(key for (key,) in self.conn.execute(
                    f"select key from {table} t where {self._in_runs(table, runs, 't.')}site = ?1 and exists"
                    f" (select 1 from {other} o where {self._in_runs(other, runs, 'o.')}o.site = ?1"
                    " and o.key = t.key)", [site]))
        ids: set[int] = set()
        keys = sorted(shared)
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for table, where in levels:
                ids.update(article_id for (article_id,) in self.conn.execute(
                    f"select article_id from {table} where {where}site = ? and key in ({marks})", [site, *chunk]))
        return ids

    def merge_if_due(self) -> int:
        """Merge each level that is full into the next (called by the writer inside its open transaction,
        before a commit: the merges commit or roll back with the batch). Tiered: the recent level is full past
        ``floor`` keys, a lower level when it holds ``ratio`` runs (each merge into it added one), the main one
        when it holds ``max(ratio, 2)`` (merged into one run of its own: ~2M articles at the band keys' sizes).
        A level without runs (an archive left so by a test) takes the old rule: full past
        ``max(floor × ratio**i, next level's keys / ratio)`` keys. Returns the merges made."""
        if len(self.levels) < 2:
            return 0
        if self._rows is None:
            self._rows = [self.conn.execute(f"select count(*) from {table}").fetchone()[0]
                          for table in self.levels[:-1]]
        if self._rows[0] <= self.floor:
            return 0
        merges = 0
        runs = self._level_runs()
        last = len(self.levels) - 1
        for index, table in enumerate(self.levels):
            if index and table in self._run_tables:
                if len(runs[table]) < (max(self.ratio, 2) if index == last else self.ratio):
                    break
            elif index == last:
                break
            elif index and (self._rows[index] <= self.floor * self.ratio**index
                            or self._next_rows(index) >= self._rows[index] * self.ratio):
                break
            elif not index and self.levels[1] not in self._run_tables and self._next_rows(0) >= self._rows[0] * self.ratio:
                break
            self.merge(index)
            merges += 1
        return merges

    def _next_rows(self, index: int) -> int:
        if index + 1 < len(self.levels) - 1:
            return self._rows[index + 1]
        # The main level's size from the articles' rowids (no count over millions of keys): an estimate
        # is enough, it only paces the merges.
        articles = self.conn.execute("select coalesce(max(rowid), 0) from articles").fetchone()[0]
        return max(self.keys_per_article * articles - sum(self._rows), 0)

    def merge(self, index: int = 0) -> None:
        """Move every key of level ``index`` into the next one as one new run, in key order, then empty the
        level; the main level's runs (``index`` the last) become one run of its own. The new run's number is
        above every run of its level, so its rows go after every leaf the level holds (each page written once);
        a level whose runs are merged is read in key order (one sort of its runs' keys)."""
        runs = self._level_runs()
        last = index == len(self.levels) - 1
        source = self.levels[index]
        target = source if last else self.levels[index + 1]
        filters = self._filters if not last else None  # a level merged into itself keeps its keys
        target_filter = filters.get(target) if filters is not None else None
        reread = False
        if target_filter is not None:  # the keys about to move, added first: the filter stays a superset
            self._filters_dirty = self._filters_dirty or self.conn.in_transaction
            moving = self.conn.execute(f"select count(*) from {source}").fetchone()[0]
            if target_filter.keys + moving > target_filter.capacity:
                reread = True  # full: read again with room to grow, once the keys are there
            else:
                self._add_keys_of(source, target_filter)
        if target in self._run_tables:
            held = runs[target]
            run = held[-1] + 1 if held else 0
            moved = self.conn.execute(
                f"insert or ignore into {target} (run, site, key, article_id) select ?, site, key, article_id"
                f" from {source}{' where run < ?1' if last else ''} order by site, key, article_id", [run]
            ).rowcount
            if last:
                self._free(f"delete from {source} where run < ?", [run])
                held[:] = [run]
            else:
                held.append(run)
            self._runs_dirty = self._runs_dirty or self.conn.in_transaction
            self._lookup_sql.clear()
        elif last:
            return  # one table of keys: nothing to merge
        else:
            moved = self.conn.execute(
                f"insert or ignore into {target} (site, key, article_id)"
                f" select site, key, article_id from {source} order by site, key, article_id"
            ).rowcount
        if not last:
            self._free(f"delete from {source}")
            if source in runs:
                runs[source].clear()
        self._filled.add(target)
        if filters is not None:  # the moved keys are the target level's now, the source level is empty
            self._filters_dirty = self._filters_dirty or self.conn.in_transaction
            if reread:
                filters[target] = self._read_filter(index + 1)
            if source in filters:
                filters[source].clear()
        if index == 0:
            self._drop_mirror()  # read again (empty) after the commit, or as it was after a rollback
        if self._rows is not None and not last:
            if index + 1 < len(self._rows):
                self._rows[index + 1] += max(moved, 0)
            self._rows[index] = 0

    def _free(self, sql: str, parameters: Sequence[Any] = ()) -> None:
        """Run ``sql``, the delete of keys a merge has just written to their new run, freeing their pages
        without rewriting them. SQLite as Debian builds it zeroes every page it frees (SECURE_DELETE, on by
        default there), which writes the freed pages to the WAL again: a merge of 640k keys wrote 9,631 frames
        for a 4,750-page new run (``bench/results.md``, store6). ``secure_delete = fast`` zeroes only what is
        written anyway; the freed pages hold keys the next level holds too, so nothing is left that is not
        still in the archive. The connection's setting is put back at once."""
        previous = self.conn.execute("pragma secure_delete").fetchone()[0]
        self.conn.execute("pragma secure_delete = fast")
        try:
            self.conn.execute(sql, parameters)
        finally:
            self.conn.execute(f"pragma secure_delete = {int(previous)}")

    def forget_counts(self) -> None:
        """After a rollback the kept counts, runs and mirror may be wrong: count and read again when needed."""
        self._rows = None
        self._runs = None
        self._drop_mirror()
        self._drop_filters()


def union_rows_sql(columns: Iterable[str] = ("site", "key", "article_id")) -> str:
    """Every band key of every level in key order, as one table held them (snapshots, tests)."""
    names = ", ".join(columns)
    return " union all ".join(f"select {names} from {table}" for table in BAND_LEVELS) + f" order by {names}"
