"""WARC capture in workers (`arshif worker --warc DIR`): each worker writes its own files (host and pid in
the name, so two workers never share one, even in one directory), every stored article points at the
response it came from, and `arshif reparse` rebuilds the rows from the gathered files alone."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from pathlib import Path

from crawler.distributed.worker import warc_host
from crawler.warc import iter_responses
from tests.distributed_cluster import Cluster, rows


def test_workers_keep_their_own_warc_files_and_reparse_reads_them(mirror_factory, redis_server, tmp_path):
    mirror = mirror_factory(articles=120, seed=4)
    warc = tmp_path / "warc"  # both workers on this machine write here: their own files still
    cluster = Cluster(tmp_path, redis_server, mirror.base_url)
    try:
        cluster.seed("1-120")
        writer = cluster.writer()
        workers = [cluster.worker("--warc", str(warc), "--concurrency", "2") for _ in range(2)]
        cluster.wait_done(workers, writer)
    finally:
        cluster.close()

    files = sorted(warc.iterdir())
    assert files and all(f.name.endswith(".warc.gz") for f in files)  # closed and renamed, none .open
    names = [re.fullmatch(rf"arshif-{re.escape(warc_host())}-\d{{14}}-(\d+)-\d{{5}}\.warc\.gz", f.name) for f in files]
    assert all(names), [f.name for f in files]
    assert {int(m.group(1)) for m in names} == {w.pid for w in workers}  # one writer of files per worker
    check = subprocess.run([str(Path(sys.executable).with_name("warcio")), "check", *files], capture_output=True,
                           text=True)
    assert check.returncode == 0, check.stdout[-2000:]

    captured = {str(c.pointer): c for c in iter_responses(warc)}
    articles = rows(cluster.db, "select article_id, warc_record from articles")
    assert articles and all(row["warc_record"] in captured for row in articles)
    for row in articles:  # each row points at the response it was extracted from
        assert captured[row["warc_record"]].url.split("/article/")[1].split("/")[0] == str(row["article_id"])
    assert {row["warc_record"].split(":")[0] for row in articles} & {f.name for f in files if f"-{workers[1].pid}-" in f.name}

    victim = articles[0]["article_id"]
    with sqlite3.connect(cluster.db) as conn:
        conn.execute("update articles set title = 'عنوان قديم' where article_id = ?", [victim])
    mirror.stop()  # no network: re-extraction reads the workers' WARC files only
    result = cluster.arshif("reparse", "--db", str(cluster.db), "--warc", str(warc))
    assert f"{len(articles)} articles with WARC records — 1 changed" in result.stderr
    assert rows(cluster.db, "select title from articles where article_id = ?", [victim])[0]["title"] != "عنوان قديم"
