"""Scale of the archive itself (issue 22 item 5): a synthetic archive bulk-built through the real storage path
(``Archive.upsert_articles``, batches committed as a crawl commits them), measured as it grows.

    .venv/bin/python bench/bench_scale.py --articles 1000000 [--migrate-up-to 100000]

Records are the mirror's own truth records (``crawler.mirror.model.truth_record``: its titles, paragraphs,
bylines and dates, vocabulary and lengths), ids 1..N of a mirror of N ids, articles only. Each carries its
``Fingerprint`` (content hash, band hashes), computed before the store clock starts for that batch.
At 10,000, 100,000, 1,000,000 (each power of ten from 10,000 up to N, and N): file bytes per article, µs to
store per article over the last stretch (wall and CPU), search p50/p95 of 20 queries (wall and CPU) (``search_articles``, limit 20, in
process, each query run 3 times), export rows/s (``export_archive`` to JSON lines), and the lean migration's
time on an older-format copy of the archive (m201 + m202: built from the lean one, up to ``--migrate-up-to``).
``run()`` returns the report as markdown.
"""

from __future__ import annotations

import shutil
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from bench.common import db_files, file_size, table
from crawler.dedupe import Fingerprint
from crawler.export import export_archive
from crawler.items import ARTICLE_FIELDS
from crawler.mirror import MirrorConfig
from crawler.mirror.model import ARTICLE
from crawler.mirror.truth import truth_record
from crawler.storage import Archive, ArticleWrite, search_articles
from crawler.storage.connection import connect
from crawler.storage.keys import BAND_LEVELS, CONTENT_LEVELS
from crawler.text import stem_folded

BATCH = 1000
SEED = 7
QUERIES = ("القدس", "الحكومة", "الاحتلال", "رام الله", '"رام الله"', "الأسرى", "غزة", "الوزير", "المجلس",
           "الفلسطينية", "الاقتصاد", "اجتماع", "الرئيس", "مفاوضات", "الصحة", "التعليم", "المستوطنين",
           "الانتخابات", "الأمن العام", "مؤتمر صحفي")


def record_of(truth: dict) -> dict:
    record = {key: "" for key in ARTICLE_FIELDS}
    record.update({key: truth[key] for key in ("url", "title", "published_at", "published_hijri", "byline_raw",
                                                "authors", "agencies", "dateline", "paragraphs", "category")})
    record.update(site="alhadath", article_id=truth["id"], modified_at=None, images=[], tags=[],
                  published_raw=truth["published_at"], language="ar", encoding="utf-8")
    return record


def next_article(config: MirrorConfig, article_id: int) -> tuple[int, dict]:
    """The first id after ``article_id`` that the mirror serves as an article, and its record."""
    while True:
        article_id += 1
        truth = truth_record(config, article_id)
        if truth["status"] == ARTICLE:
            return article_id, record_of(truth)


def article_write(record: dict, fp: Fingerprint) -> ArticleWrite:
    """The write of a new article as a backfill stores it (its fingerprint made beforehand)."""
    return ArticleWrite(record, content_hash=fp.content_hash, band_hashes=fp.band_hashes, body_folded=fp.folded,
                        stored=False, seen_at="2026-01-01T00:00:00+00:00")


def checkpoints(articles: int) -> list[int]:
    marks, size = [], 10_000
    while size < articles:
        marks.append(size)
        size *= 10
    return [*marks, articles]


def search_times(archive: Archive) -> tuple[float, float, float, float, int]:
    """Search p50/p95 in ms, wall and CPU (a loaded machine stretches the wall figure, not the CPU one)."""
    walls, cpus, hits = [], [], 0
    for _ in range(3):
        for text in QUERIES:
            started, cpu = time.perf_counter(), time.process_time()
            hits += len(search_articles(archive, text, limit=20))
            walls.append(time.perf_counter() - started)
            cpus.append(time.process_time() - cpu)
    walls.sort()
    cpus.sort()
    p95 = int(0.95 * (len(walls) - 1))
    return (statistics.median(walls) * 1000, walls[p95] * 1000, statistics.median(cpus) * 1000, cpus[p95] * 1000,
            hits // 3)


# The store's parts, by the tables and indexes dbstat names (a part's pages grow with it).
PARTS = {
    "articles (rows)": ("articles",),
    "articles' indexes": ("sqlite_autoindex_articles_1", "idx_articles_site_content_hash",
                          "idx_articles_site_published_at", "idx_articles_site_near_duplicate_of"),
    "search index (FTS5)": ("articles_fts_data", "articles_fts_idx", "articles_fts_docsize", "articles_fts_config"),
    "band keys (levels)": BAND_LEVELS,
    "content keys (3 levels)": ("content_keys_recent", "content_keys_middle", "content_keys"),
    "versions": ("article_versions",),
    "search impacts": ("search_blocks", "search_impacts", "search_postings", "search_dirty"),
}


def part_pages(conn: sqlite3.Connection) -> dict[str, int]:
    """Pages of each part of the store (``dbstat``, SQLite's table of every page of the file)."""
    by_name = dict(conn.execute("select name, count(*) from dbstat group by name").fetchall())
    return {part: sum(by_name.get(name, 0) for name in names) for part, names in PARTS.items()}


def parts_table(parts: list[tuple[int, dict[str, int]]]) -> str:
    """Pages per article of each part at each checkpoint: the part whose figure grows is the one to flatten."""
    return "Pages (4 KiB) per article by part, at each checkpoint (dbstat):\n\n" + table(
        ["articles", *PARTS], [[f"{stored:,}", *(f"{pages[part] / stored:.3f}" for part in PARTS)]
                               for stored, pages in parts])


def legacy_copy(db: Path, copy: Path) -> None:
    """The archive as arshif stored it before m201: folded and stemmed columns filled, ``article_bands``,
    the external-content FTS index and its triggers (m105's), the ``(site, content_hash)`` index, m201/m202 and
    the content keys' migration not applied. Then VACUUMed."""
    shutil.copy(db, copy)
    conn = connect(copy)
    conn.create_function("stem_folded", 1, lambda text: stem_folded(text or ""), deterministic=True)
    conn.execute("begin")
    for column in ("body_folded", "title_stemmed", "body_stemmed"):
        conn.execute(f"alter table articles add column {column} text")
    conn.execute("update articles set body_folded = folded_body(paragraphs)")
    conn.execute("update articles set title_stemmed = stem_folded(title_folded), body_stemmed = stem_folded(body_folded)")
    conn.execute("create table article_bands (site text, band integer, hash integer, article_id integer)")
    conn.execute("insert into article_bands " + " union all ".join(
        f"select site, key & 15, key, article_id from {level}" for level in BAND_LEVELS))  # every level
    for level in BAND_LEVELS[:-1]:
        conn.execute(f"drop table {level}")
    conn.execute("create index idx_article_bands_site_hash on article_bands (site, hash)")
    conn.execute("create index idx_article_bands_site_article_id on article_bands (site, article_id)")
    conn.execute("drop table band_keys")
    conn.execute("drop table articles_fts")
    conn.execute("create virtual table articles_fts using fts5(title_stemmed, body_stemmed, content=[articles],"
                 " content_rowid=[rowid], tokenize='unicode61')")
    conn.execute("insert into articles_fts (articles_fts) values ('rebuild')")
    conn.execute(
        'create trigger "articles_ad" after delete on "articles" begin insert into "articles_fts"'
        ' ("articles_fts", rowid, "title_stemmed", "body_stemmed") values(\'delete\', old.rowid,'
        ' old."title_stemmed", old."body_stemmed"); end')
    conn.execute(
        'create trigger "articles_au" after update of "title_stemmed", "body_stemmed" on "articles" begin'
        ' insert into "articles_fts" ("articles_fts", rowid, "title_stemmed", "body_stemmed") values(\'delete\','
        ' old.rowid, old."title_stemmed", old."body_stemmed"); insert into "articles_fts" (rowid,'
        ' "title_stemmed", "body_stemmed") values (new.rowid, new."title_stemmed", new."body_stemmed"); end')
    # exact copies by the hash index, as before m2xx_store4_content_keys
    for level in CONTENT_LEVELS:
        conn.execute(f"drop table {level}")
    conn.execute("create index idx_articles_site_content_hash on articles (site, content_hash)")
    conn.execute("delete from _sqlite_migrations where name in ('m201_lean_archive', 'm202_lean_vacuum',"
                 " 'm2xx_bands_levels', 'm2xx_store4_content_keys', 'm2xx_store5_band_keys_lower',"
                 " 'm2xx_store6_level_runs')")
    conn.commit()
    conn.execute("vacuum")
    conn.close()


def ask_as_dedupe(archive: Archive, batch: list[ArticleWrite]) -> None:
    """What dedupe asks the archive before each new article is stored (``crawler.ingest.dedupe``): the stored
    row and an exact copy by content hash (one statement), then the near-duplicate candidates by band keys."""
    for write in batch:
        site, article_id = write.record["site"], write.record["article_id"]
        archive.stored_and_copy(site, article_id, write.content_hash)
        archive.near_duplicate_candidates(site, write.band_hashes, exclude_id=article_id)


def run(articles: int, migrate_up_to: int = 100_000, lookups: bool = False) -> str:
    config = MirrorConfig(articles=articles, seed=SEED, weight="light")
    work = Path(tempfile.mkdtemp(prefix="arshif-scale-synthetic-"))
    db = work / "scale.db"
    rows, notes = [], []
    marks = checkpoints(articles)
    stored, store_seconds, store_cpu, print_seconds, stretch_start = 0, 0.0, 0.0, 0.0, (0, 0.0, 0.0, 0, 0.0)
    wal_pages, parts, impacts_cpu = 0, [], 0.0
    article_id = 0
    try:
        archive = Archive(db, batch_size=BATCH, commit_interval=3600)
        for mark in marks:
            while stored < mark:
                batch = []
                while len(batch) < BATCH and stored + len(batch) < mark:
                    article_id, record = next_article(config, article_id)
                    started = time.perf_counter()
                    fp = Fingerprint(record["paragraphs"])
                    print_seconds += time.perf_counter() - started
                    batch.append(article_write(record, fp))
                started, cpu = time.perf_counter(), time.process_time()
                if lookups:
                    ask_as_dedupe(archive, batch)
                archive.upsert_articles(batch)
                archive.commit()
                store_seconds += time.perf_counter() - started
                store_cpu += time.process_time() - cpu
                stored += len(batch)
                # Pages the commit wrote to the WAL (copied back at once: a WAL of ~1,000 pages would be anyway).
                wal_pages += archive.db.conn.execute("pragma wal_checkpoint(passive)").fetchone()[1]
                # The filled blocks' search impacts, as the writer builds them when idle (not in the store;
                # their WAL pages are not in the store's column either).
                cpu = time.process_time()
                archive.impacts.build_committed()
                impacts_cpu += time.process_time() - cpu
                archive.db.conn.execute("pragma wal_checkpoint(passive)")
            # The open block's impacts too, as the writer builds them at the end of a run (an archive at rest).
            cpu = time.process_time()
            archive.impacts.build_committed(tail=True)
            impacts_cpu += time.process_time() - cpu
            archive.db.conn.execute("pragma wal_checkpoint(truncate)")
            size = file_size(*db_files(db))
            text = archive.db.conn.execute(
                "select sum(length(cast(title as blob)) + length(cast(paragraphs as blob))) from articles").fetchone()[0]
            p50, p95, cpu50, cpu95, hits = search_times(archive)
            started = time.perf_counter()
            exported = export_archive(db, "jsonl", work / "export.jsonl").rows
            export_rate = exported / (time.perf_counter() - started)
            (work / "export.jsonl").unlink()
            migration = "—"
            if mark <= migrate_up_to:
                legacy = work / "legacy.db"
                legacy_copy(db, legacy)
                legacy_bytes = file_size(*db_files(legacy))
                started = time.perf_counter()
                Archive(legacy).close()
                migration = (f"{time.perf_counter() - started:.1f} s ({legacy_bytes / 2**20:.0f} → "
                             f"{file_size(*db_files(legacy)) / 2**20:.0f} MiB)")
                for path in db_files(legacy):
                    path.unlink(missing_ok=True)
            stretch = (stored - stretch_start[0], store_seconds - stretch_start[1], store_cpu - stretch_start[2],
                       wal_pages - stretch_start[3], impacts_cpu - stretch_start[4])
            stretch_start = (stored, store_seconds, store_cpu, wal_pages, impacts_cpu)
            parts.append((stored, part_pages(archive.db.conn)))
            rows.append([f"{stored:,}", f"{size / 2**20:,.0f}", f"{size / stored:,.0f}", f"{size / text:.2f}×",
                         f"{stretch[1] / stretch[0] * 1e6:,.0f} / {stretch[2] / stretch[0] * 1e6:,.0f}",
                         f"{stretch[3] / stretch[0]:.2f}", f"{stretch[4] / stretch[0] * 1e6:,.0f}",
                         f"{p50:.1f} / {cpu50:.1f}", f"{p95:.1f} / {cpu95:.1f}", f"{hits}",
                         f"{export_rate:,.0f}", migration])
            print(f"  scale synthetic: {' | '.join(rows[-1])}", flush=True, file=__import__("sys").stderr)
        archive.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    notes.append(f"Fingerprints (MinHash bands, content hash) took {print_seconds / stored * 1e6:,.0f} µs (wall) per article "
                 "beside the store (not in the store column).")
    if lookups:
        notes.append("The store column includes what dedupe asks before each article (``--lookups``: the exact copy "
                     "by content key, the near-duplicate candidates by band keys).")
    out = [f"### Scale: a synthetic {articles:,}-article archive through `Archive.upsert_articles`", "",
           table(["articles", "file MiB", "bytes/article", "file / text",
                  "store µs/article, wall / CPU (this stretch)", "WAL pages/article (this stretch)",
                  "search impacts build CPU µs/article (this stretch)",
                  "search p50 ms, wall / CPU",
                  "search p95 ms, wall / CPU", "hits (20 queries)", "export rows/s (jsonl)",
                  "lean migration of an older-format copy"], rows), "", *notes, "", parts_table(parts), "",
           f"Built in batches of {BATCH:,} (each committed); records = the light mirror's truth records; search = "
           "20 queries × 3 with `search_articles(limit=20)` on the writer's connection."]
    return "\n".join(out) + "\n"
