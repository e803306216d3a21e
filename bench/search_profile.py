"""Where search's time goes on a big archive, per query of bench/scale_synthetic.py (issue 22: 1M p95 ≤ 100 ms).

    .venv/bin/python bench/search_profile.py ARCHIVE.db [--block 1024] [--no-blocks]

For each query, CPU ms (best of 2) of the search impacts' ranking (``crawler.storage.impacts``, same top 20
checked) and of: walking the matches alone (``count(*)``, FTS5 decoding the doclists),
the ranking as ``ArchiveReader.search`` runs it (``order by bm25(articles_fts) limit 20``), and FTS5's own sort
(``order by rank limit 20``, rank = bm25). The difference between the first two is bm25 itself, per match.

Then what an exact early-terminating top 20 (block-max) would have to score, for one-word queries: the matches
split into blocks of ``--block`` rowids; a block can be skipped once its bound is below the 20th score. Two
bounds: the separable one (the block's highest term frequency with its shortest document, both from the index)
and the block's true best score (what a stored per-block impact, e.g. the (tf, length) Pareto front of each
term, would give). bm25 is recomputed here from the index (tf from ``fts5vocab``, lengths from ``_docsize``,
FTS5's formula, k1 = 1.2, b = 0.75) and checked equal to FTS5's on the top 20. Read-only; never writes.
"""

from __future__ import annotations

import argparse
import math
import sqlite3
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.common import table  # noqa: E402
from bench.scale_synthetic import QUERIES  # noqa: E402
from crawler.storage.impacts import ranked_snapshot, varints  # noqa: E402
from crawler.storage.queries import fts_query  # noqa: E402
from crawler.text import parse_search  # noqa: E402

K1, B = 1.2, 0.75  # FTS5's bm25 defaults


def cpu_ms(conn: sqlite3.Connection, sql: str, params: list, reps: int = 2) -> tuple[float, list]:
    best, rows = math.inf, []
    for _ in range(reps):
        started = time.process_time()
        rows = conn.execute(sql, params).fetchall()
        best = min(best, time.process_time() - started)
    return best * 1000, rows


def blocks(conn: sqlite3.Connection, term: str, top: list[tuple[int, float]], lengths: dict[int, int],
           rows: int, avgdl: float, size: int) -> tuple[int, int, int, bool]:
    """(matches, scored with the separable bound, scored with the true block maximum, bm25 recomputed equal)."""
    tf = dict(conn.execute("select doc, count(*) from temp.vocab where term = ? group by doc", [term]).fetchall())
    hits = len(tf)
    idf = math.log((rows - hits + 0.5) / (hits + 0.5))
    idf = idf if idf > 0 else 1e-6

    def score(doc: int) -> float:  # fts5_aux.c's order of operations: the same double
        freq = float(tf[doc])
        return idf * (freq * (K1 + 1.0)) / (freq + K1 * (1 - B + B * float(lengths[doc]) / avgdl))

    equal = all(abs(score(rowid) - best) < 1e-12 for rowid, best in top)
    theta = top[-1][1] if len(top) >= 20 else -math.inf
    per_block: dict[int, list] = {}
    for doc, freq in tf.items():
        block = per_block.setdefault(doc // size, [0, math.inf, 0, 0.0])
        block[0] = max(block[0], freq)
        block[1] = min(block[1], lengths[doc])
        block[2] += 1
        block[3] = max(block[3], score(doc))
    separable = sum(n for most, shortest, n, _ in per_block.values()
                    if idf * (most * (K1 + 1.0)) / (most + K1 * (1 - B + B * shortest / avgdl)) >= theta - 1e-12)
    exact = sum(n for _, _, n, best in per_block.values() if best >= theta - 1e-12)
    return hits, separable, exact, equal


def run(path: Path, size: int = 1024, with_blocks: bool = True) -> str:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    articles = conn.execute("select count(*) from articles").fetchone()[0]
    lengths: dict[int, int] = {}
    rows = avgdl = 0.0
    if with_blocks:
        conn.execute("create virtual table temp.vocab using fts5vocab(main, articles_fts, instance)")
        rows, *tokens = varints(conn.execute("select block from articles_fts_data where id = 1").fetchone()[0])
        avgdl = sum(tokens) / rows
        lengths = {rowid: sum(varints(sizes)) for rowid, sizes in conn.execute("select id, sz from articles_fts_docsize")}
    out, totals = [], {"walk": [], "bm25": [], "rank": [], "impacts": []}
    for text in QUERIES:
        words, phrases = parse_search(text)
        match = fts_query(words, phrases)
        walk, counted = cpu_ms(conn, "select count(*) from articles_fts where articles_fts match ?", [match])
        ranked, top = cpu_ms(conn, "select rowid, -bm25(articles_fts) from articles_fts where articles_fts match ?"
                                   " order by bm25(articles_fts) limit 20", [match])
        ranked_fts5, top_fts5 = cpu_ms(conn, "select rowid, -rank from articles_fts where articles_fts match ?"
                                             " order by rank limit 20", [match])
        # The search impacts' ranking (crawler.storage.impacts), as ``ArchiveReader.search`` runs it; None: not
        # answered by impacts (a phrase, rare words), so the bm25 column is what search costs.
        best, answer, stats = math.inf, None, {}
        for _ in range(2):
            started = time.process_time()
            answer = ranked_snapshot(conn, words, 20, stats) if not phrases else None
            best = min(best, time.process_time() - started)
        impacts_ms = best * 1000 if answer is not None else ranked
        for key, value in (("walk", walk), ("bm25", ranked), ("rank", ranked_fts5), ("impacts", impacts_ms)):
            totals[key].append(value)
        matches = counted[0][0]
        row = [text, f"{matches:,}", f"{walk:.1f}", f"{ranked:.1f}", f"{ranked_fts5:.1f}",
               "yes" if top == top_fts5 else "**no**",
               f"{(ranked - walk) / matches * 1000:.2f}" if matches else "—",
               f"{impacts_ms:.1f}" if answer is not None else "(bm25)",
               ("yes" if answer == [rowid for rowid, _ in top] else "**no**") if answer is not None else "",
               f"{stats['scored']} / {stats['known']}" if answer is not None else ""]
        if with_blocks and len(words) == 1 and not phrases and matches:
            hits, separable, exact, equal = blocks(conn, words[0], top, lengths, rows, avgdl, size)
            row += [f"{separable / hits:.1%}", f"{exact / hits:.1%}", "yes" if equal else "**no**"]
        else:
            row += ["", "", ""]
        out.append(row)
    conn.close()

    def p(values: list[float], share: float) -> float:
        values = sorted(values)
        return values[int(share * (len(values) - 1))]

    return "\n".join([
        f"### Search profile: {articles:,} articles ({path.name}), blocks of {size:,} rowids", "",
        table(["query", "matches", "walk ms (count)", "bm25 top 20 ms", "rank top 20 ms", "same top 20",
               "bm25 µs per match", "impacts top 20 ms", "impacts = bm25 top 20", "blocks scored / with impacts",
               "scored, separable bound", "scored, block maximum", "bm25 recomputed equal"],
              out), "",
        f"CPU ms, best of 2, p50 / p95 of the 20 queries: walk {p(totals['walk'], .5):.1f} / {p(totals['walk'], .95):.1f},"
        f" bm25 {p(totals['bm25'], .5):.1f} / {p(totals['bm25'], .95):.1f},"
        f" rank {p(totals['rank'], .5):.1f} / {p(totals['rank'], .95):.1f},"
        f" search with impacts {p(totals['impacts'], .5):.1f} / {p(totals['impacts'], .95):.1f}.", ""])


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("archive", type=Path)
    parser.add_argument("--block", type=int, default=1024, help="rowids per block for the block-max estimate")
    parser.add_argument("--no-blocks", action="store_true", help="timings only (the block estimate reads every length)")
    args = parser.parse_args(argv)
    return run(args.archive, args.block, not args.no_blocks)


if __name__ == "__main__":
    print(main())
