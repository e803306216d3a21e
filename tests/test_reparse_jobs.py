"""``arshif reparse --jobs N`` (issue 22 item 4): extraction in N processes, one writer: the same archive."""

from __future__ import annotations

import shutil
import sqlite3

from crawler.storage.bands import union_rows_sql
from tests.test_crawl import arshif, ok

CLOCKS = ("first_seen_at", "last_seen_at", "updated_at", "valid_from", "valid_to", "resolved_at",
          "first_failed_at", "last_failed_at", "last_run_id", "first_run_id", "run_id", "recorded_at")


def dump(db) -> dict[str, list]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        out = {}
        for table in ("articles", "article_versions", "aliases", "band_keys", "misses", "failures"):
            query = union_rows_sql() if table == "band_keys" else f"select * from {table}"  # both levels
            rows = [{k: row[k] for k in row.keys() if k not in CLOCKS and not k.endswith("_at") or k in
                     ("published_at", "modified_at")} for row in conn.execute(query)]
            out[table] = sorted(rows, key=repr)
        return out


def test_reparse_with_two_jobs_makes_the_same_archive_as_one(mirror_factory, tmp_path):
    mirror = mirror_factory(articles=150, seed=5)
    db = tmp_path / "a.db"
    ok(arshif("backfill", "alhadath", "--ids", "1-150", "--base-url", mirror.base_url, "--db", str(db),
              "--no-polite", cwd=tmp_path))
    # Rows as an older extractor left them: other titles, no near-duplicate links. Reparse must redo both.
    conn = sqlite3.connect(db)
    with conn:
        changed = conn.execute("update articles set title = title || ' (قديم)' where article_id % 3 = 0").rowcount
        linked = conn.execute("update articles set near_duplicate_of = null, similarity = null"
                              " where near_duplicate_of is not null").rowcount
    conn.close()  # the last connection: the WAL is checkpointed into the file copied below
    assert changed > 10 and linked > 0
    copies = {}
    for jobs in (1, 2):
        copies[jobs] = tmp_path / f"jobs{jobs}" / "a.db"
        copies[jobs].parent.mkdir()
        shutil.copy(db, copies[jobs])
        result = ok(arshif("reparse", "--db", str(copies[jobs]), "--warc", str(tmp_path / "warc"),
                           "--jobs", str(jobs), cwd=tmp_path))
        assert f"{changed:,} changed" in result.stderr
    one, two = dump(copies[1]), dump(copies[2])
    assert len(one["article_versions"]) == changed
    for table in one:
        assert one[table] == two[table], table
