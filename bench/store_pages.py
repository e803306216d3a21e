"""Which B-tree's pages each commit writes, as the archive grows (issue 22: store cost per article flat to 1M).

    .venv/bin/python bench/store_pages.py [--articles 300000] [--marks 10000,100000,300000]

Builds a synthetic archive the way ``bench/scale_synthetic.py`` does (the mirror's truth records, batches of
1,000 through ``Archive.upsert_articles``, each committed, the WAL copied back after each commit) and, after
every commit, reads the page number of each frame in the WAL (the pages that commit wrote). At each mark the
pages are named by ``dbstat`` (table, index or FTS5 shadow table owning each page now) and the report gives,
per B-tree, the distinct pages a commit wrote per article over the stretch since the previous mark (merges
included: a band-level or FTS5 merge lands in the stretch that made it), and the store CPU per article.
A page freed and reused between a commit and the mark (a merge's source level) is named by its owner at
the mark: the figures are the pages written, the names a close approximation.
"""

from __future__ import annotations

import argparse
import struct
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.common import table  # noqa: E402
from bench.scale_synthetic import BATCH, SEED, article_write, next_article  # noqa: E402
from crawler.dedupe import Fingerprint  # noqa: E402
from crawler.mirror import MirrorConfig  # noqa: E402
from crawler.storage import Archive  # noqa: E402

WAL_HEADER, FRAME_HEADER = 32, 24


def wal_pages(wal: Path) -> tuple[set[int], int]:
    """The distinct page numbers of the WAL's frames, and the frame count (a page spilled twice counts twice)."""
    pages, frames = set(), 0
    if not wal.exists():
        return pages, frames
    with wal.open("rb") as f:
        header = f.read(WAL_HEADER)
        if len(header) < WAL_HEADER:
            return pages, frames
        page_size = struct.unpack(">I", header[8:12])[0]
        while True:
            frame = f.read(FRAME_HEADER)
            if len(frame) < FRAME_HEADER:
                break
            pages.add(struct.unpack(">I", frame[:4])[0])
            frames += 1
            f.seek(page_size, 1)
    return pages, frames


def owners(conn) -> dict[int, str]:
    return dict(conn.execute("select pageno, name from dbstat").fetchall())


# B-trees that free pages as they go (a band level emptied by its merge, FTS5 segments merged away, the search
# impacts' to-do list): their pages are named at each commit, since the freed ones are soon another B-tree's
# (the articles table grows into them). The other B-trees never shrink: named once at the mark.
CHURNING = ("band_keys_recent", "band_keys_middle", "band_keys_lower", "content_keys_recent", "content_keys_middle",
            "articles_fts_data", "articles_fts_idx", "search_dirty", "search_blocks", "articles_fts_docsize")


def churning_owners(conn) -> dict[int, str]:
    named: dict[int, str] = {}
    for name in CHURNING:
        named.update((page, name) for (page,) in conn.execute("select pageno from dbstat where name = ?", [name]))
    return named


def run(articles: int, marks: list[int], batch: int = BATCH) -> str:
    config = MirrorConfig(articles=articles, seed=SEED, weight="light")
    work = Path(tempfile.mkdtemp(prefix="arshif-store-pages-"))
    db = work / "scale.db"
    wal = Path(f"{db}-wal")
    archive = Archive(db, batch_size=batch, commit_interval=3600)
    conn = archive.db.conn
    stored, article_id = 0, 0
    out_rows: list[list[str]] = []
    names_seen: list[str] = []
    profiles = []
    try:
        start = 0
        for mark in marks:
            per_commit: list[dict[int, str | None]] = []
            frames, cpu_total = 0, 0.0
            while stored < mark:
                rows = []
                while len(rows) < batch and stored + len(rows) < mark:
                    article_id, record = next_article(config, article_id)
                    rows.append(article_write(record, Fingerprint(record["paragraphs"])))
                before = churning_owners(conn)  # a page freed by this commit is named by its owner before it
                cpu = time.process_time()
                archive.upsert_articles(rows)
                archive.commit()
                cpu_total += time.process_time() - cpu
                stored += len(rows)
                pages, count = wal_pages(wal)
                churn = churning_owners(conn)
                per_commit.append({page: churn.get(page) or before.get(page) for page in pages})
                frames += count
                conn.execute("pragma wal_checkpoint(truncate)")
                archive.impacts.build_committed()
                conn.execute("pragma wal_checkpoint(truncate)")
            named = owners(conn)
            by_name: Counter[str] = Counter()
            for pages in per_commit:
                for page, name in pages.items():
                    by_name[name or named.get(page, "(free or new)")] += 1
            size = Counter(named.values())
            count = stored - start
            profiles.append((mark, count, by_name, size, frames, cpu_total))
            for name in by_name:
                if name not in names_seen:
                    names_seen.append(name)
            print(f"  store pages: {mark:,}: {frames / count:.2f} WAL frames/article, "
                  f"{cpu_total / count * 1e6:.0f} CPU µs/article; "
                  + ", ".join(f"{n} {c / count:.3f}" for n, c in by_name.most_common(8)), file=sys.stderr, flush=True)
            start = stored
        archive.close()
    finally:
        import shutil

        shutil.rmtree(work, ignore_errors=True)
    names_seen.sort(key=lambda n: -profiles[-1][2].get(n, 0))
    header = ["B-tree", *(f"{mark:,}: pages written / article (leaves held)" for mark, *_ in profiles)]
    for name in names_seen:
        if max(p[2].get(name, 0) / p[1] for p in profiles) < 0.002:
            continue  # e.g. the schema's pages, written by the first commit only
        out_rows.append([name, *(f"{p[2].get(name, 0) / p[1]:.3f} ({p[3].get(name, 0):,})" for p in profiles)])
    out_rows.append(["all (distinct per commit)", *(f"{sum(p[2].values()) / p[1]:.3f}" for p in profiles)])
    out_rows.append(["WAL frames", *(f"{p[4] / p[1]:.3f}" for p in profiles)])
    out_rows.append(["store CPU µs/article", *(f"{p[5] / p[1] * 1e6:.0f}" for p in profiles)])
    return ("### Pages each commit writes, by B-tree (stretch ending at each mark; batches of "
            f"{batch:,})\n\n" + table(header, out_rows) + "\n")


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=300_000)
    parser.add_argument("--marks", default="10000,100000,300000")
    parser.add_argument("--batch", type=int, default=BATCH)
    args = parser.parse_args(argv)
    marks = [int(m) for m in args.marks.split(",") if int(m) <= args.articles]
    return run(args.articles, marks, args.batch)


if __name__ == "__main__":
    print(main())
