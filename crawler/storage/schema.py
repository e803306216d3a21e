"""The archive's schema: every table, index and FTS index, as ``sqlite_utils.Migrations`` (applied on open).

Tables:

- ``articles``: one row per (site, article_id); columns named as the record keys (``crawler.items``), lists
  as JSON, plus ``content_hash``, ``near_duplicate_of``/``similarity``, ``first_seen_at``/``last_seen_at``/
  ``updated_at``, ``version``, ``first_run_id``/``last_run_id``, ``warc_record`` (nullable pointer) and
  the folded (``fold_arabic``) ``title_folded`` (exact copies of short bodies compare titles). Since m201
  the body is stored once, as ``paragraphs``: its folded form is computed where needed (SQL
  ``folded_body(paragraphs)``, ``crawler.storage.connection``), and ``articles_fts`` (FTS5, contentless)
  indexes the search forms (``crawler.text.stem_folded``) of title and body, handed to it by ``Archive``
  (new and changed rows by batch before each commit, deletes with the old forms recomputed).
- ``article_versions``: the previous state (full record as JSON) each time a refetch changed the record.
- ``aliases``: another id/url for a stored article (``kind`` = "exact": identical normalized body).
- ``band_keys``: MinHash LSH band hashes, tagged with their band, for near-duplicate lookups (WITHOUT ROWID,
  keyed by the hash; ``article_bands`` before m201). Since m2xx_bands_levels new keys go to the small
  ``band_keys_recent`` first, merged down ``band_keys_middle``, ``band_keys_lower`` (m2xx_store5) into
  ``band_keys`` in key order now and then (``crawler.storage.bands``).
- ``misses``: ids with no article (404, soft-404); ``failures``: fetches that failed after retries.
- ``listing_walks``: categories whose listings a run walked to their end (``down_to``: or to a --since).
- ``crawl_runs``: one row per run with its arguments, finish reason, status and counts.
- ``incidents``: a site's open or closed incident (alarm or failure, until a healthy run): one notification
  when it opens, one when it closes.

A migration is never edited once landed: a change to the schema is a new function at the end.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crawler.items import ARTICLE_FIELDS
from crawler.storage.keys import BAND_KEY_BITS, CONTENT_LEVELS, RUN_LEVELS, content_key, level_table_sql
from crawler.storage.migrating import Migrations  # sqlite_utils' own, loaded when a migration is applied
from crawler.storage.tokens import CREATE_SEARCH_INDEX, CREATE_SEARCH_INDEX_UNICODE61, INDEX_ARTICLES

if TYPE_CHECKING:
    import sqlite_utils

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


INSERT_BAND = "insert into article_bands (site, band, hash, article_id) values (?, ?, ?, ?)"


@MIGRATIONS()
def m002_band_hashes_v2(db: sqlite_utils.Database) -> None:
    """Band hashes of the one-pass MinHash (``crawler.dedupe.SIGNATURE_VERSION`` 2), rebuilt from the
    stored folded bodies: the index must hold what new articles are looked up by."""
    from crawler.dedupe import folded_band_hashes

    db.execute("delete from article_bands")
    rows = db.execute("select site, article_id, body_folded from articles order by site, article_id")
    while chunk := rows.fetchmany(1000):
        db.conn.executemany(
            INSERT_BAND,
            [(site, band, value, article_id)
             for site, article_id, folded in chunk
             for band, value in enumerate(folded_band_hashes(folded or ""))],
        )


@MIGRATIONS()
def m003_failures_by_article(db: sqlite_utils.Database) -> None:
    """Storing an article resolves its id's open failures: by this index, not by reading every open one."""
    db["failures"].create_index(["site", "article_id"])



@MIGRATIONS()
def m101_run_alarm_reason(db: sqlite_utils.Database) -> None:
    """Why a run was marked ``alarm`` (the quality monitor's one-line reason)."""
    db["crawl_runs"].add_column("alarm_reason", str)


@MIGRATIONS()
def m102_short_bodies_are_not_near_duplicates(db: sqlite_utils.Database) -> None:
    """Bodies too short to be evidence of a story (``crawler.dedupe.is_evidence``) leave the band index and
    lose near-duplicate links they gave or took (issue 10: boilerplate bodies linked different stories)."""
    from crawler.dedupe import is_evidence

    short = [
        (site, article_id)
        for site, article_id, folded in db.execute("select site, article_id, body_folded from articles")
        if not is_evidence(folded or "")
    ]
    db.conn.executemany("delete from article_bands where site = ? and article_id = ?", short)
    db.conn.executemany(
        "update articles set near_duplicate_of = null, similarity = null where site = ? and article_id = ?"
        " and near_duplicate_of is not null",
        short,
    )
    db.conn.executemany(
        "update articles set near_duplicate_of = null, similarity = null where site = ? and near_duplicate_of = ?",
        short,
    )


@MIGRATIONS()
def m103_search_stems(db: sqlite_utils.Database) -> None:
    """Search by light stems (issue 10: ``إسرائيل`` did not find ``بإسرائيل``): the search forms of title
    and body as columns, filled for every stored article, and the FTS index rebuilt over them."""
    from crawler.text import stem_folded

    db["articles"].add_column("title_stemmed", str)
    db["articles"].add_column("body_stemmed", str)
    rows = db.execute("select rowid, title_folded, body_folded from articles")
    while chunk := rows.fetchmany(1000):
        db.conn.executemany(
            "update articles set title_stemmed = ?, body_stemmed = ? where rowid = ?",
            [(stem_folded(title or ""), stem_folded(body or ""), rowid) for rowid, title, body in chunk],
        )
    db["articles"].disable_fts()
    db["articles"].enable_fts(
        ["title_stemmed", "body_stemmed"], fts_version="FTS5", create_triggers=True, tokenize="unicode61"
    )


@MIGRATIONS()
def m104_listing_walks_down_to(db: sqlite_utils.Database) -> None:
    """How far down a completed walk reached: NULL = the listing's end; else the --since it stopped at (UTC)."""
    db["listing_walks"].add_column("down_to", str)


# Index the articles inserted in the open batch (their rowids in place of {marks}) for search.
INDEX_NEW_ARTICLES = (
    "insert into articles_fts (rowid, title_stemmed, body_stemmed)"
    " select rowid, title_stemmed, body_stemmed from articles where rowid in ({marks}) order by rowid"
)
INSERT_TRIGGER = "articles_ai"  # sqlite-utils' name for the FTS insert trigger (absent since m105)


@MIGRATIONS()
def m105_search_index_by_batch(db: sqlite_utils.Database) -> None:
    """New articles reach the FTS index in one statement per batch (``INDEX_NEW_ARTICLES``), not by a trigger
    per inserted row: FTS5 writes its pending terms out at every statement that touches it, so row by row
    cost about twice as much (issue 15). The update trigger fires only when an indexed column is set: a
    refetch that moves ``last_seen_at`` or a near-duplicate link re-indexed the whole body for nothing.
    The index holds exactly what it held before: the same rows, the same search forms."""
    db.execute(f'drop trigger if exists "{INSERT_TRIGGER}"')
    db.execute('drop trigger if exists "articles_au"')
    db.execute(
        'create trigger "articles_au" after update of "title_stemmed", "body_stemmed" on "articles" begin\n'
        '  insert into "articles_fts" ("articles_fts", rowid, "title_stemmed", "body_stemmed")'
        ' values(\'delete\', old.rowid, old."title_stemmed", old."body_stemmed");\n'
        '  insert into "articles_fts" (rowid, "title_stemmed", "body_stemmed")'
        ' values (new.rowid, new."title_stemmed", new."body_stemmed");\n'
        "end"
    )


# A page of a stored article that yields no record (its layout changed, say) is a failed extraction, not a
# soft-404 miss: the reason ``crawler.ingest`` records, and this repair writes for misses made before.
STORED_ARTICLE_NOT_EXTRACTED = "no article extracted from a stored article's page"


@MIGRATIONS()
def m201_ingest_failure_warc_record(db: sqlite_utils.Database) -> None:
    """The WARC record of a failed extraction (``<file>#<offset>``): ``reparse`` re-extracts it, no refetch."""
    db["failures"].add_column("warc_record", str)


@MIGRATIONS()
def m202_ingest_stored_misses_to_failures(db: sqlite_utils.Database) -> None:
    """Repair: a miss whose id is a stored article or an alias of one was never a miss (e.g. a ``--refresh``
    crawl of a broken layout recorded 752 stored articles as soft-404 misses). Each becomes an open
    failure of its canonical URL (a rerun asks again) and the miss goes; the article stays as it was."""
    stored = (
        "exists (select 1 from articles a where a.site = m.site and a.article_id = m.article_id)"
        " or exists (select 1 from aliases l where l.site = m.site and l.alias_id = m.article_id)"
    )
    db.execute(
        "insert into failures (site, url, article_id, reason, http_status, attempts, first_failed_at,"
        " last_failed_at, resolved_at, run_id)"
        " select m.site, m.url, m.article_id,"
        " case m.reason when 'soft404' then ? "
        " else m.reason || ': a stored article' end,"
        " m.http_status, coalesce(m.checks, 1), m.first_seen_at, m.last_checked_at, null, m.run_id"
        f" from misses m where m.url is not null and ({stored})"
        " on conflict (site, url) do update set reason = excluded.reason, http_status = excluded.http_status,"
        " last_failed_at = excluded.last_failed_at, resolved_at = null, run_id = excluded.run_id,"
        " article_id = excluded.article_id",
        [STORED_ARTICLE_NOT_EXTRACTED],
    )
    db.execute(f"delete from misses as m where {stored}")


@MIGRATIONS()
def m2xx_alarms_incidents(db: sqlite_utils.Database) -> None:
    """Incidents of a site (a quality alarm or a failed run, until a healthy run): notifications go out once
    per incident, when it opens and when it closes, not once per run (``crawler.notify``)."""
    db["incidents"].create(
        {"id": int, "site": str, "kind": str, "reason": str, "opened_run_id": int, "opened_at": str,
         "last_run_id": int, "runs": int, "closed_run_id": int, "closed_at": str},
        pk="id",
    )
    db["incidents"].create_index(["site", "closed_at"])


@MIGRATIONS()
def m2xx_alarms_run_owner(db: sqlite_utils.Database) -> None:
    """The process running a run (pid and host): a "running" row whose process is gone is ``abandoned``."""
    db["crawl_runs"].add_column("pid", int)
    db["crawl_runs"].add_column("host", str)


@MIGRATIONS()
def m201_datasets_linked_at(db: sqlite_utils.Database) -> None:
    """When an article's dedupe links last changed without a new version — its near-duplicate link was set
    or moved, or another stored article was merged into it — so `arshif export --changes-since` can list
    it (e.g. a story re-linked at 03:00 shows up in the next nightly change set as ``aliased``)."""
    db["articles"].add_column("linked_at", str)


@MIGRATIONS()
def m202_datasets_run_provenance(db: sqlite_utils.Database) -> None:
    """What made each run: the Arshif version (and git commit when run from a checkout), the Scrapy version
    and the settings that change results (JSON), e.g. ``{"DOWNLOAD_DELAY": 0.5, ...}``."""
    for column in ("arshif_version", "git_commit", "scrapy_version", "settings"):
        db["crawl_runs"].add_column(column, str)


# -- the lean archive (issue 22 item 3) ------------------------------------------------------------------
@MIGRATIONS()
def m201_lean_archive(db: sqlite_utils.Database) -> None:
    """Keep the text once (issue 22): drop ``body_folded``, ``title_stemmed`` and ``body_stemmed`` (about
    1.6× the paragraphs' bytes), index the search forms in a contentless FTS5 table, and move the band
    hashes to the compact ``band_keys``. ``title_folded`` stays (small; exact copies of boilerplate bodies
    compare titles in SQL). The index gets the very forms it held (the stored search columns); band keys
    are the stored bands, for articles still stored. m202 then VACUUMs the freed pages."""
    db.execute(
        "create table band_keys (site text not null, key integer not null, article_id integer not null,"
        " primary key (site, key, article_id)) without rowid"
    )
    db.execute(
        f"insert or ignore into band_keys (site, key, article_id) select b.site,"
        f" (b.hash & {~((1 << BAND_KEY_BITS) - 1)}) | b.band, b.article_id from article_bands b"
        " where exists (select 1 from articles a where a.site = b.site and a.article_id = b.article_id)"
        " order by 1, 2, 3"
    )
    db.execute("drop table article_bands")
    for (name,) in db.execute(
        "select name from sqlite_master where type = 'trigger' and tbl_name = 'articles'"
    ).fetchall():
        db.execute(f'drop trigger "{name}"')
    db.execute("drop table if exists articles_fts")
    db.execute(CREATE_SEARCH_INDEX_UNICODE61)
    columns = {column.name for column in db["articles"].columns}
    if {"title_stemmed", "body_stemmed"} <= columns:
        db.execute(
            "insert into articles_fts (rowid, title_stemmed, body_stemmed)"
            " select rowid, coalesce(title_stemmed, ''), coalesce(body_stemmed, '') from articles order by rowid"
        )
    for column in ("body_folded", "title_stemmed", "body_stemmed"):
        if column in columns:
            db.execute(f"alter table articles drop column {column}")


SHRINK_FREE_SHARE = 0.2  # VACUUM when at least this share of the file's pages is free


@MIGRATIONS(transactional=False)
def m202_lean_vacuum(db: sqlite_utils.Database) -> None:
    """Give the pages m201 freed back to the disk: VACUUM rewrites the file (it needs free disk about the
    new size and takes a while on a big archive, once), and says so on stderr."""
    pages = db.execute("pragma page_count").fetchone()[0]
    free = db.execute("pragma freelist_count").fetchone()[0]
    if pages and free >= SHRINK_FREE_SHARE * pages:
        import logging

        logging.getLogger("arshif.storage").warning(
            "shrinking the archive (lean schema, issue 22): VACUUM of %d pages, %d of them free", pages, free
        )
        db.execute("vacuum")


@MIGRATIONS()
def m2xx_bands_levels(db: sqlite_utils.Database) -> None:
    """Levels of band keys (issue 22: store cost per article flat to 1M): the existing ``band_keys`` becomes
    the main level as it is; new keys go to ``band_keys_recent``, merged into ``band_keys_middle``, merged
    into ``band_keys`` (same columns and key), each merge in key order (``crawler.storage.bands``)."""
    for level in ("band_keys_recent", "band_keys_middle"):
        db.execute(
            f"create table {level} (site text not null, key integer not null, article_id integer not null,"
            " primary key (site, key, article_id)) without rowid"
        )


# FTS5 writes each commit's new terms as a small segment and merges segments of one size into a bigger one
# once ``automerge`` of them exist (default 4): an article's postings are rewritten once per level, log4 of
# the commits so far, so the index's share of each commit grew with the archive (1,000-article commits:
# ~0.8 WAL pages an article at 25k, ~1.7 at 150k). At 16 an entry is rewritten about half as often
# (log16), for more segments read per search term; what the index holds, and so every bm25 score, is the same.
SEARCH_INDEX_AUTOMERGE = 16


@MIGRATIONS()
def m2xx_scale_fts_automerge(db: sqlite_utils.Database) -> None:
    """Merge the search index's segments 16 at a time instead of 4 (issue 22: store cost flat to 1M). The
    setting lives in ``articles_fts_config``: existing segments stay as they are, later merges follow it."""
    db.execute("insert into articles_fts (articles_fts, rank) values ('automerge', ?)", [SEARCH_INDEX_AUTOMERGE])


@MIGRATIONS()
def m2xx_search3_search_impacts(db: sqlite_utils.Database) -> None:
    """Search impacts (issue 22: search at 1M articles): per block of 1,024 rowids, each frequent word's
    (tf, length) front and postings, and the block's lengths (``crawler.storage.impacts``). Created empty:
    the writer builds each block as it fills; an older archive's blocks are built a few per commit, or at once
    by ``crawler.storage.impacts.build_all``. Until then FTS5 ranks them, as before."""
    from crawler.storage.impacts import SCHEMA

    for statement in SCHEMA:
        db.execute(statement)


# -- the search index merges 64 segments at a time (issue 22: store cost per article flat to 1M) ----------
# At 16 (m2xx_scale_fts_automerge) a 1,000-article commit's segment was rewritten at 16 commits, 256, 4,096:
# FTS5 alone wrote 0.24 pages an article at 10k, ~0.62 from 50k to 200k and 1.67 from 200k to 300k (the
# level-2 merge). At 64 (FTS5's largest) the first merge comes at 64 commits, the next at 4,096: 0.24, then
# 0.79 and 0.52 (``bench/results.md``, store4). ``crisismerge`` (default 16: a level holding that many
# segments is merged at once) must be as high, or it merges at 16 anyway. The index's contents, and so every
# hit, its order and its bm25 score, are the same; a search reads up to ~126 segments a word instead of ~48.
SEARCH_INDEX_MERGE = 64


@MIGRATIONS()
def m2xx_store4_fts_merge_64(db: sqlite_utils.Database) -> None:
    """Merge the search index's segments 64 at a time (``automerge`` and ``crisismerge``), instead of 16.
    The settings live in ``articles_fts_config``: existing segments stay as they are, later merges follow."""
    merge_settings(db)


def merge_settings(db: sqlite_utils.Database) -> None:
    """The search index's ``automerge`` and ``crisismerge`` at ``SEARCH_INDEX_MERGE`` (its config table)."""
    for key in ("automerge", "crisismerge"):
        db.execute("insert into articles_fts (articles_fts, rank) values (?, ?)", [key, SEARCH_INDEX_MERGE])


# -- exact copies by content key, in levels (issue 22: store cost per article flat to 1M) ----------------
# The index ``(site, content_hash)`` on ``articles`` was keyed by a random hash: once it held more leaves than
# a commit held articles, each insert dirtied a leaf of its own (a 1,000-article commit wrote ~0.13 of its
# pages an article at 10k articles, ~0.8 at 100k, ~1 from a few hundred thousand on). The lookup now reads the
# content key (the hash's first 60 bits) in three levels like the band keys (``crawler.storage.bands``):
# a commit rewrites only the small recent level's pages, merges rewrite the bigger ones in key order now and
# then. The key only finds candidates: the article row's ``content_hash`` (and title) still decides.
@MIGRATIONS()
def m2xx_store4_content_keys(db: sqlite_utils.Database) -> None:
    """Exact copies are looked up by content key in levels (``CONTENT_LEVELS``), not by the random
    ``(site, content_hash)`` index, which goes: every stored article's key is written to the main level in
    key order (an archive of 1M articles: one sorted insert of 1M small rows)."""
    for level in CONTENT_LEVELS:
        db.execute(
            f"create table {level} (site text not null, key integer not null, article_id integer not null,"
            " primary key (site, key, article_id)) without rowid"
        )
    db.conn.create_function("arshif_content_key", 1, content_key, deterministic=True)
    db.execute(
        f"insert into {CONTENT_LEVELS[-1]} (site, key, article_id) select site, arshif_content_key(content_hash),"
        " article_id from articles where content_hash is not null order by 1, 2, 3"
    )
    db.execute("drop index if exists idx_articles_site_content_hash")


# -- a fourth band-key level (issue 22: store cost per article flat to 1M) ---------------------------------
# With three levels of ratio 8 the middle one's cap is max(524,288 keys, main / 8): past ~260k articles it grows
# with the archive, and the recent level's cap (middle / 8) with it, so each 1,000-article commit rewrote more
# of the recent level's pages (~0.3 pages an article up to 260k, ~0.8 at 1M) and each merge into the main level
# rewrote it whole once per 32k articles (0.63 pages an article from 100k to 300k, ~1 past). With
# ``band_keys_lower`` (cap max(4.2M keys, main / 8)) every level above the main one keeps its floor's size to
# ~2M articles: the main level is rewritten once per 262k articles instead. A lookup reads one more level, which
# the lower levels' filters (``crawler.storage.keymemory.KeyFilter``) skip for keys it does not hold.


@MIGRATIONS()
def m2xx_store5_band_keys_lower(db: sqlite_utils.Database) -> None:
    """A fourth level of band keys, ``band_keys_lower``, between ``band_keys_middle`` and ``band_keys`` (same
    columns and key), created empty: every key stays where it is (a key is in exactly one level), the middle
    level's next merge goes to it (``crawler.storage.bands``)."""
    db.execute(
        "create table band_keys_lower (site text not null, key integer not null, article_id integer not null,"
        " primary key (site, key, article_id)) without rowid"
    )


# -- tiered runs in the lower key levels (issue 22: store cost per article flat to 1M) -----------------------
# A merge used to insert a level's keys into the next one in key order, and each such insert rewrote about every
# leaf of the larger level (its keys are random: the moving keys fall all over it): a leveled LSM, each key
# rewritten ~ratio/2 times a level (~0.44 WAL pages an article a level at ratio 8), the levels growing as log8
# of the archive. Now each level below the recent one holds *runs*: a merge writes its keys as one new run, whose
# number is above every run of the level, so with ``run`` first in the key the new rows land after every leaf
# the level already has: each page written once (~0.11 pages an article a level, 144 keys a leaf). A level that
# holds ``ratio`` runs is merged whole into one run of the next level (``crawler.storage.bands``). A lookup reads
# each run of a level (``run in (…)``), which the levels' filters skip for keys a level does not hold.
@MIGRATIONS()
def m2xx_store6_level_runs(db: sqlite_utils.Database) -> None:
    """The lower key levels (``RUN_LEVELS``) take a ``run`` column first in their key: each level's keys
    become its run 0, in the order they had (one sorted copy of each level: ~16M small rows at 1M articles),
    every key stays in its level, so every lookup answers the same."""
    for level in RUN_LEVELS:
        db.execute(level_table_sql(f"{level}_runs", runs=True))
        db.execute(f"insert into {level}_runs (run, site, key, article_id)"
                   f" select 0, site, key, article_id from {level} order by site, key, article_id")
        db.execute(f"drop table {level}")
        db.execute(f"alter table {level}_runs rename to {level}")


# -- the search index read by the ascii tokenizer (issue 22: the index's cost at the writer's commit) --------
# unicode61 looks each non-ASCII character up in two tables: on Arabic forms, every character, about half of
# what indexing an article costs. ``ascii`` reads ``index_form`` of each form (the form itself when it is
# simple, else unicode61's own tokens of it), so the index holds the very tokens, counts and lengths it held.
REINDEX_CHUNK = 2_000
REINDEX_NOTICE = 20_000  # articles: below this the rebuild takes a few seconds, said nowhere
REINDEX_SECONDS_AN_ARTICLE = 250e-6  # 5,408 real-weight articles: 1.23 CPU-s (forms recomputed, then indexed)


@MIGRATIONS()
def m2xx_search_index_ascii(db: sqlite_utils.Database) -> None:
    """Rebuild the contentless search index with ``tokenize='ascii'`` over ``index_form`` of each stored
    article's search forms (recomputed from its title and paragraphs, as ``Archive`` unindexes them), in rowid
    order, with the merge settings of ``m2xx_store4_fts_merge_64``. Every token, count and length is the same,
    so search answers and the impacts' blocks stay; the blocks holding a form that is not simple are rebuilt
    (their impacts were counted by a regex that did not fold ``é`` to ``e`` as unicode61 does)."""
    from crawler.storage.impacts import mark, stored_forms
    from crawler.storage.tokens import SIMPLE_TEXT, index_form

    articles = db.execute("select count(*) from articles").fetchone()[0]
    if articles >= REINDEX_NOTICE:
        import logging

        logging.getLogger("arshif.storage").warning(
            "re-indexing %d articles for search (ascii tokenizer, issue 22): ~%d s, once", articles,
            max(1, round(articles * REINDEX_SECONDS_AN_ARTICLE)))
    db.execute("drop table articles_fts")
    db.execute(CREATE_SEARCH_INDEX)
    merge_settings(db)
    dirty: list[int] = []  # rowids whose forms are not simple
    last = 0
    while True:
        rows = list(db.query("select rowid, * from articles where rowid > ? order by rowid limit ?",
                             [last, REINDEX_CHUNK]))
        if not rows:
            break
        values = []
        for row in rows:
            title, body = stored_forms(row)
            if not (SIMPLE_TEXT.fullmatch(title) and SIMPLE_TEXT.fullmatch(body)):
                dirty.append(row["rowid"])
            values.append((row["rowid"], index_form(title), index_form(body)))
        db.conn.executemany(INDEX_ARTICLES, values)
        last = rows[-1]["rowid"]
    mark(db.conn, dirty)  # their blocks' impacts rebuilt (``m2xx_search3_search_impacts`` made the tables)
