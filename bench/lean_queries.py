"""Run search queries on an archive with whichever arshif is first on PYTHONPATH (bench/bench_lean.py runs it
with an older tree on its own archive and with this tree on the migrated copy, then compares the answers).

    PYTHONPATH=TREE python bench/lean_queries.py DB QUERIES.json > ANSWERS.json

For each query: the ids ``search_articles`` returns (limit 50, in rank order) and the bm25 score of each.
No ``sys.path`` edits here: the tree under test is exactly the one on PYTHONPATH.
"""

from __future__ import annotations

import json
import sys

from crawler.storage import Archive, search_articles
from crawler.storage.queries import search_condition


def answers(db: str, queries: list[str]) -> list[dict]:
    out = []
    with Archive(db) as archive:
        for text in queries:
            hits = [row["article_id"] for row in search_articles(archive, text, limit=50)]
            condition = search_condition(text, "a")
            scores = []
            if condition is not None:
                matching, params = condition
                scores = [round(score, 9) for (score,) in archive.db.conn.execute(
                    "select bm25(articles_fts) from articles_fts join articles a on a.rowid = articles_fts.rowid"
                    f" where {matching} order by bm25(articles_fts) limit 50", params)]
            out.append({"query": text, "ids": hits, "scores": scores})
    return out


if __name__ == "__main__":
    print(json.dumps(answers(sys.argv[1], json.load(open(sys.argv[2], encoding="utf-8"))), ensure_ascii=False))
