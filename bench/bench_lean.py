"""Lean archive (issue 22 item 3): the archive's bytes against the bytes of the text it holds, before and
after, and search answers identical across the migration.

    .venv/bin/python bench/bench_lean.py --ids 2000 [--weight light] [--old-tree DIR] [--queries 300]

- This tree: `arshif backfill alhadath --ids 1-N --no-warc` of the mirror into a fresh archive: file bytes
  (db + wal, after a checkpoint), text bytes (title + stored paragraphs JSON, UTF-8) and their ratio, and the
  bytes of each table and index (SQLite's dbstat).
- With ``--old-tree`` (an older arshif, e.g. ``git archive main | tar -x -C DIR``): the same backfill with that
  code, its bytes; then this code opens a copy (migration + VACUUM: wall time, bytes after), and
  ``bench/lean_queries.py`` asks ``--queries`` searches of both (the old code on the old file, this code on
  the migrated one): words, word pairs and quoted phrases drawn from the stored titles and bodies. The ids in
  rank order and their bm25 scores must be identical.
``main()`` returns the report as markdown.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.common import db_files, file_size, run_measured, table  # noqa: E402
from crawler.mirror import MirrorConfig, MirrorProcess  # noqa: E402
from crawler.mirror.model import WEIGHTS  # noqa: E402

SEED = 7


def backfill(db: Path, ids: int, weight: str, tree: Path) -> float:
    """The user's command with the code of ``tree``; its wall seconds."""
    env = {"PYTHONPATH": str(tree)}
    with MirrorProcess.start(MirrorConfig(articles=ids, seed=SEED, weight=weight)) as mirror:
        command = [sys.executable, "-m", "crawler", "backfill", "alhadath", "--ids", f"1-{ids}", "--db", str(db),
                   "--no-warc", "--log-level", "WARNING", "--base-url", mirror.base_url]
        measured = run_measured(command, cwd=tree, env=env).check(f"backfill of {ids:,} ids ({tree})")
    return measured.wall


def checkpoint(db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.execute("pragma wal_checkpoint(truncate)")
    conn.close()


def measure(db: Path) -> dict:
    checkpoint(db)
    conn = sqlite3.connect(db)
    text = conn.execute(
        "select coalesce(sum(length(cast(title as blob))), 0) + coalesce(sum(length(cast(paragraphs as blob))), 0),"
        " count(*) from articles").fetchone()
    tables = conn.execute("select name, sum(pgsize) from dbstat group by name order by 2 desc").fetchall()
    conn.close()
    size = file_size(*db_files(db))
    return {"bytes": size, "text": text[0], "articles": text[1], "ratio": size / text[0], "tables": tables}


def draw_queries(db: Path, count: int, seed: int = 3) -> list[str]:
    """Words, word pairs and quoted two-word phrases as they stand in stored titles and bodies."""
    rng = random.Random(seed)
    conn = sqlite3.connect(db)
    rows = conn.execute("select title, paragraphs from articles order by article_id").fetchall()
    conn.close()
    texts = [(title or "") + "\n" + "\n".join(json.loads(paragraphs or "[]")) for title, paragraphs in rows]
    queries: list[str] = []
    while len(queries) < count:
        words = rng.choice(texts).split()
        if len(words) < 3:
            continue
        i = rng.randrange(len(words) - 1)
        kind = len(queries) % 3
        queries.append(words[i] if kind == 0 else f"{words[i]} {rng.choice(words)}" if kind == 1
                       else f'"{words[i]} {words[i + 1]}"')
    return queries


def ask(tree: Path, db: Path, queries_file: Path) -> list[dict]:
    out = subprocess.run([sys.executable, str(REPO / "bench" / "lean_queries.py"), str(db), str(queries_file)],
                         cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)}, capture_output=True, check=True)
    return json.loads(out.stdout)


def size_row(label: str, m: dict) -> list[str]:
    return [label, f"{m['articles']:,}", f"{m['text'] / 2**20:.2f}", f"{m['bytes'] / 2**20:.2f}", f"{m['ratio']:.2f}×"]


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ids", type=int, default=2000)
    parser.add_argument("--weight", choices=WEIGHTS, default="light")
    parser.add_argument("--old-tree", type=Path, help="an older arshif tree to compare with (before/after)")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--keep", type=Path, help="keep the archives in this folder")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="arshif-lean-"))
    rows, notes = [], []
    try:
        new_db = work / "lean.db"
        wall = backfill(new_db, args.ids, args.weight, REPO)
        lean = measure(new_db)
        rows.append(size_row(f"this tree, fresh backfill ({wall:.0f} s)", lean))
        if args.old_tree:
            old_db = work / "old.db"
            wall = backfill(old_db, args.ids, args.weight, args.old_tree)
            old = measure(old_db)
            rows.insert(0, size_row(f"old tree, fresh backfill ({wall:.0f} s)", old))
            migrated = work / "migrated.db"
            shutil.copy(old_db, migrated)
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", f"from crawler.storage import Archive; Archive({str(migrated)!r}).close()"],
                           cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, check=True, capture_output=True)
            took = time.perf_counter() - started
            after = measure(migrated)
            rows.insert(1, size_row(f"old archive migrated by this tree ({took:.1f} s, incl. VACUUM)", after))
            queries_file = work / "queries.json"
            queries_file.write_text(json.dumps(draw_queries(old_db, args.queries), ensure_ascii=False), encoding="utf-8")
            before_answers = ask(args.old_tree, old_db, queries_file)
            after_answers = ask(REPO, migrated, queries_file)
            fresh_answers = ask(REPO, new_db, queries_file)
            differ = [b["query"] for b, a in zip(before_answers, after_answers) if b != a]
            differ_fresh = [b["query"] for b, a in zip(before_answers, fresh_answers) if b != a]
            hits = sum(len(b["ids"]) for b in before_answers)
            notes.append(f"Search: {len(before_answers)} queries ({hits:,} hits in all, "
                         f"{sum(1 for b in before_answers if b['ids'])} with hits): old code on the old archive vs "
                         f"this code on the migrated copy: **{len(differ)} differ** (ids in rank order and bm25 "
                         f"scores); vs this code's fresh backfill: {len(differ_fresh)} differ."
                         + (f" First: {differ[:3]}" if differ else ""))
            notes.append("Old archive by table (MiB): " + ", ".join(
                f"{name} {size / 2**20:.1f}" for name, size in old["tables"][:10]))
        notes.append("This tree's archive by table (MiB): " + ", ".join(
            f"{name} {size / 2**20:.1f}" for name, size in lean["tables"][:10]))
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            for db in work.glob("*.db"):
                shutil.copy(db, args.keep / db.name)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    out = [f"### Lean archive: {args.ids:,} ids of the {args.weight} mirror", "",
           table(["archive", "articles", "text MiB", "file MiB", "file / text"], rows), "", *notes, "",
           "Text = UTF-8 bytes of the stored titles and paragraphs (the JSON column); file = db + wal after a "
           "checkpoint. Target: file ≤ 2× text."]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    print(main())
