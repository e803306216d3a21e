"""The band-key store alone (issue 22 scale target, ``crawler.storage.bands``): N articles × 16 random band
keys through ``BandKeys.add``, batches committed (then a passive WAL checkpoint, as a long crawl's are), the
CPU µs and WAL pages written per article over each eighth of the run, for one table (main's layout) and for
the levels (``keys.BAND_LEVELS``, merged by ``merge_if_due`` before each commit).

    .venv/bin/python bench/bench_bands.py --articles 200000 --batch 1000 [--layouts single,levels] [--lookups]

``--lookups``: each article's keys are first looked up (``BandKeys.article_ids``, as the writer does for every
new article: random keys, so nearly always found in no level), their CPU counted in the figure and shown apart.

The archive around it (articles rows, search index) is left out: ``bench/bench_scale.py`` measures the whole
store; this isolates the part that grew with the archive (16 keys an article on 16 random leaf pages).
"""

from __future__ import annotations

import argparse
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.common import table  # noqa: E402
from crawler.storage.bands import BandKeys  # noqa: E402
from crawler.storage.keys import BAND_LEVELS, RUN_LEVELS, level_table_sql  # noqa: E402


def measure(layout: str, articles: int, batch: int, cache_kib: int,
            lookups: bool = False) -> list[tuple[int, float, float, float]]:
    """(articles so far, CPU µs/article, WAL pages/article, lookup CPU µs/article) for each eighth of the run."""
    work = Path(tempfile.mkdtemp(prefix="arshif-bands-"))
    try:
        conn = sqlite3.connect(work / "bands.db", isolation_level=None)
        conn.execute("pragma journal_mode=wal")
        conn.execute("pragma synchronous=normal")
        conn.execute(f"pragma cache_size=-{cache_kib}")
        conn.execute("create table articles (id integer primary key)")  # its max rowid paces the merges
        for name in BAND_LEVELS:  # as an archive's: the lower levels in runs (schema.m2xx_store6_level_runs)
            conn.execute(level_table_sql(name, runs=name in RUN_LEVELS))
        # single: every key straight into the one main table, never a merge
        bands = BandKeys(conn, levels=BAND_LEVELS[-1:] if layout == "single" else BAND_LEVELS)
        rng = random.Random(7)
        out, cpu, looked, frames, count, article_id = [], 0.0, 0.0, 0, 0, 0
        stretch = max(articles // 8, batch)
        while article_id < articles:
            started = time.process_time()
            conn.execute("begin")
            for _ in range(batch):
                article_id += 1
                conn.execute("insert into articles values (?)", [article_id])
                keys = [rng.getrandbits(63) for _ in range(16)]
                if lookups:
                    asked = time.process_time()
                    bands.article_ids("alhadath", keys)
                    looked += time.process_time() - asked
                bands.add("alhadath", article_id, keys)
            bands.merge_if_due()
            conn.execute("commit")
            bands.committed()
            cpu += time.process_time() - started
            frames += conn.execute("pragma wal_checkpoint(passive)").fetchone()[1]
            count += batch
            if article_id % stretch == 0 or article_id >= articles:
                out.append((article_id, cpu / count * 1e6, frames / count, looked / count * 1e6))
                print(f"  {layout}: {article_id:,} articles: {out[-1][1]:.0f} µs CPU ({out[-1][3]:.0f} lookups),"
                      f" {out[-1][2]:.2f} WAL pages an article", file=sys.stderr, flush=True)
                cpu, looked, frames, count = 0.0, 0.0, 0, 0
        conn.close()
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=1000, help="articles per commit (a crawl: 100)")
    parser.add_argument("--layouts", default="single,levels")
    parser.add_argument("--cache-kib", type=int, default=131072)
    parser.add_argument("--lookups", action="store_true", help="look each article's keys up first, as the writer does")
    args = parser.parse_args(argv)
    layouts = args.layouts.split(",")
    results = {layout: measure(layout, args.articles, args.batch, args.cache_kib, args.lookups) for layout in layouts}
    rows = [[f"{results[layouts[0]][index][0]:,}",
             *(f"{results[layout][index][1]:.0f}{f' ({results[layout][index][3]:.0f})' if args.lookups else ''}"
               f" / {results[layout][index][2]:.2f}" for layout in layouts)]
            for index in range(len(results[layouts[0]]))]
    print(f"### Band keys alone: {args.articles:,} articles, batches of {args.batch:,}, cache {args.cache_kib} KiB\n")
    what = "CPU µs (lookups) / WAL pages" if args.lookups else "CPU µs / WAL pages"
    print(table(["articles", *(f"{layout}: {what} per article (this stretch)" for layout in layouts)], rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
