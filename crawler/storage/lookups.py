"""``ArchiveLookups``: what the writer asks before it writes (which ids are stored, missed or settled, an exact copy
by its content key, near-duplicate candidates by their band keys) — the lookup side of ``Archive``.

A mixin of ``crawler.storage.archive.Archive`` (it uses the archive's connection, its band keys and the reader's
``rows``); split from ``archive.py`` along that seam, no behaviour changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from crawler.dedupe import folded_band_hashes
from crawler.items import ARTICLE_FIELDS
from crawler.storage.bands import BandKeys
from crawler.storage.connection import folded_body_sql
from crawler.storage.queries import ArticleQuery
from crawler.storage.records import ArticleRef, chunks
from crawler.storage.keys import content_key

_REF_COLUMNS = "site, article_id, published_at, near_duplicate_of, similarity"  # = ArticleRef's fields
# Rows but an article row that name an id (?1 site, ?2 id): a miss, an open failure, an alias.
# (table, the id's column, what else the row must be): each names an id that holds no article row.
_TRACES = (("misses", "article_id", ""), ("failures", "article_id", " and resolved_at is null"),
           ("aliases", "alias_id", ""))
_TRACES_SQL = " union all ".join(
    f"select 1 from {table} where site = ?1 and {column} = ?2{extra}" for table, column, extra in _TRACES) + " limit 1"


def traced_ids_sql(marks: str) -> str:
    """The ids among ``marks`` (numbered parameters after ``?1``, the site) that a trace names (``_TRACES_SQL``
    for many ids: ``crawler.storage.batch``)."""
    return " union ".join(f"select {column} from {table} where site = ?1 and {column} in ({marks}){extra}"
                          for table, column, extra in _TRACES)


class ArchiveLookups:
    bands: BandKeys  # set by Archive, as its connection (``db``) and its ``_copy_sql`` cache
    content_keys: BandKeys

    def _ids_in(self, sql: str, site: str, ids: Iterable[int]) -> set[int]:
        """Run ``sql`` (with ``{marks}`` for the id placeholders) over ``ids`` in chunks; first column."""
        found: set[int] = set()
        unique = sorted(set(ids))
        for chunk in chunks(unique):
            marks = ",".join("?" * len(chunk))
            found.update(row[0] for row in self.conn.execute(sql.format(marks=marks), [site, *chunk]))
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

    def changed_at(self, site: str, ids: Iterable[int]) -> dict[int, str]:
        """Stored article id → when its stored version says it last changed (modified_at, else published_at):
        what a sitemap's ``lastmod`` is compared with to refetch only the articles that changed since."""
        found: dict[int, str] = {}
        for chunk in chunks(sorted(set(ids))):
            sql = (f"select article_id, coalesce(modified_at, published_at) from articles where site = ? and "
                   f"article_id in ({','.join('?' * len(chunk))})")
            found.update((row[0], row[1]) for row in self.conn.execute(sql, [site, *chunk]) if row[1])
        return found

    def known_misses(self, site: str, ids: Iterable[int]) -> set[int]:
        return self._ids_in("select article_id from misses where site = ? and article_id in ({marks})", site, ids)

    def recorded_ids(self, site: str) -> tuple[set[int], set[int], set[int]]:
        """Every stored id (article rows and alias ids), missed id and completed listing category (walked to
        its end, not only down to a --since) of ``site``: what the distributed writer mirrors into Redis for
        the workers' incremental rule."""
        def column(sql: str) -> set[int]:
            return {row[0] for row in self.conn.execute(sql, [site]) if row[0] is not None}

        stored = column("select article_id from articles where site = ?") | column(
            "select alias_id from aliases where site = ?")
        return (stored, column("select article_id from misses where site = ?"),
                column("select category from listing_walks where site = ? and down_to is null"))

    def warc_rows(self, query: ArticleQuery) -> list[dict[str, Any]]:
        """``site``, ``article_id``, ``url`` and ``warc_record`` of each article ``query`` selects, in (site, id)
        order: what a reparse reads of its selection before any write (the records themselves are not
        decoded: ``articles()`` would cost ~0.1 ms a row for columns it drops)."""
        where, params = query.where("a")
        return self.rows(f"select a.site, a.article_id, a.url, a.warc_record from articles a where {where}"
                         " order by a.site, a.article_id", params)

    def settled_records(self, site: str, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """Each stored article among ``ids`` that no other row names as a miss, an open failure or an alias,
        as its record's columns (``ARTICLE_FIELDS``; lists as their stored JSON text) and ``linked``
        (true when it has a near-duplicate link or another article's link names it): storing an equal
        record again (``same_record``) would only move ``last_seen_at`` and decide near-duplicate links.
        ``crawler.reparse`` leaves such a page as it is. An id left out takes the whole path: storing it
        settles the rows that name it (a miss deleted, a failure resolved)."""
        found: dict[int, dict[str, Any]] = {}
        for chunk in chunks(list(ids)):
            found.update((row["article_id"], row) for row in self.rows(
                f"select {', '.join(ARTICLE_FIELDS)}, near_duplicate_of is not null or exists (select 1 from"
                " articles n where n.site = a.site and n.near_duplicate_of = a.article_id) as linked"
                f" from articles a where site = ? and article_id in ({','.join('?' * len(chunk))})"
                " and not exists (select 1 from misses where site = a.site and article_id = a.article_id)"
                " and not exists (select 1 from failures where site = a.site and article_id = a.article_id"
                " and resolved_at is null)"
                " and not exists (select 1 from aliases where site = a.site and alias_id = a.article_id)",
                [site, *chunk]))
        return found

    def find_by_content_hash(
        self, site: str, content_hash: str, *, exclude_id: int | None = None, title_folded: str | None = None
    ) -> ArticleRef | None:
        """The lowest-id stored article with this body hash (and, when given, this folded title)."""
        # The articles holding content key ?4 of site ?1, over every level and run (a key is in exactly one).
        ids = self.content_keys.key_ids_sql("?1", "?4")
        sql = (f"select {_REF_COLUMNS} from articles where site = ?1 and article_id in ({ids})"
               " and content_hash = ?3 and article_id != ?2")
        params: list[Any] = [site, -1 if exclude_id is None else exclude_id, content_hash, content_key(content_hash)]
        if title_folded is not None:
            sql += " and title_folded = ?5"
            params.append(title_folded)
        rows = self.rows(sql + " order by article_id limit 1", params)
        return ArticleRef(**rows[0]) if rows else None

    def stored_and_copy(
        self, site: str, article_id: int, content_hash: str, *, title_folded: str | None = None
    ) -> tuple[ArticleRef | None, ArticleRef | None, bool]:
        """What dedupe asks first, in one round trip: the stored article ``article_id`` (its ``ArticleRef``), the
        lowest-id other article with this body hash and, when given, this folded title
        (``find_by_content_hash(..., exclude_id=article_id)``) — None for either that is not there — and
        whether any row but an article row names the id (a miss, an open failure, an alias: what storing it
        settles; ``ArticleWrite.traces``).

        Three indexed lookups in one statement: each SQL statement costs a round trip through the sqlite3
        module (binding, stepping, building the row), ~10 µs, on every item a crawl stores. The copy is found
        by its content key in each level and run (``BandKeys.key_ids_sql``), then checked by its row's hash and
        title."""
        ids = self.content_keys.key_ids_sql("?1", "?4")
        sql = self._copy_sql.get((title_folded is not None, ids))
        if sql is None:
            if len(self._copy_sql) > 8:
                self._copy_sql.clear()  # statements of runs merged away since
            title = " and title_folded = ?5" if title_folded is not None else ""
            sql = self._copy_sql.setdefault((title_folded is not None, ids), (
                f"select 0, {_REF_COLUMNS} from articles where site = ?1 and article_id = ?2 union all"
                f" select 1, {_REF_COLUMNS} from articles where rowid = (select rowid from articles where"
                f" site = ?1 and article_id in ({ids}) and content_hash = ?3 and article_id != ?2"
                f"{title} order by article_id limit 1)"
                f" union all select 2, null, null, null, null, null where exists ({_TRACES_SQL})"))
        params = [site, article_id, content_hash, content_key(content_hash)]
        if title_folded is not None:
            params.append(title_folded)
        found: list[ArticleRef | None] = [None, None]
        traces = False
        for which, *ref in self.conn.execute(sql, params):
            if which == 2:
                traces = True
            else:
                found[which] = ArticleRef(*ref)  # the columns of _REF_COLUMNS, in ArticleRef's order
        return found[0], found[1], traces

    def near_duplicate_candidates(
        self, site: str, band_hashes: Sequence[int], *, exclude_id: int | None = None,
        keys: Sequence[int] | None = None,
    ) -> list[tuple[ArticleRef, str]]:
        """Stored articles sharing at least one LSH band with ``band_hashes``, each with its folded body
        (``keys``: their ``band_keys``, when the caller made them)."""
        if not band_hashes:
            return []
        ids = self.bands.article_ids(site, band_hashes, keys)
        ids.discard(exclude_id)
        found: list[tuple[ArticleRef, str]] = []
        for chunk in chunks(sorted(ids)):
            marks = ",".join("?" * len(chunk))
            for row in self.rows(
                f"select {_REF_COLUMNS}, paragraphs from articles where site = ? and article_id in ({marks})",
                [site, *chunk],
            ):
                body = folded_body_sql(row.pop("paragraphs"))
                found.append((ArticleRef(**row), body))
        return found

    def near_links_to(self, site: str, article_id: int) -> list[tuple[ArticleRef, str, list[int]]]:
        """The stored articles whose near-duplicate link names ``article_id``, each with its folded body and
        band hashes (what re-deciding its link needs when ``article_id`` changes), both from its paragraphs."""
        found = []
        for row in self.rows(
            f"select {_REF_COLUMNS}, paragraphs from articles where site = ? and near_duplicate_of = ?"
            " order by +article_id",  # "+": look the link up by its index, then sort the few rows
            [site, article_id],
        ):
            body = folded_body_sql(row.pop("paragraphs"))
            found.append((ArticleRef(**row), body, folded_band_hashes(body)))
        return found
