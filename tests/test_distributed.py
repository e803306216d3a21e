"""The distributed mode end to end: real redis-server, the mirror subprocess, `arshif worker` × N and one
`arshif store`, compared with the single-process backfill of the same ids (tests/distributed_cluster.py).

The issue's 3,000-id run is `make bench-distributed` (bench/bench_distributed.py --compare 3000): here
600 ids keep `make test` short while still holding exact duplicates, near duplicates, redirects and misses.
"""

from __future__ import annotations

import time

import pytest

from tests.distributed_cluster import Cluster, rows, snapshot, tail
from tests.test_crawl import arshif, ok


@pytest.fixture
def cluster_factory(tmp_path, redis_server):
    made = []

    def make(base_url: str, **options) -> Cluster:
        cluster = Cluster(tmp_path, redis_server, base_url, **options)
        made.append(cluster)
        return cluster

    yield make
    for cluster in made:
        cluster.close()


def test_three_workers_one_writer_make_the_single_process_archive(mirror_factory, cluster_factory, tmp_path):
    mirror = mirror_factory(articles=560, seed=5)
    ids = "1-600"  # 40 ids past the mirror's end: misses
    single = tmp_path / "single.db"
    started = time.monotonic()
    ok(arshif("backfill", "alhadath", "--ids", ids, "--base-url", mirror.base_url, "--db", str(single),
              "--no-warc", "--log-level", "WARNING", cwd=tmp_path))

    single_seconds, started = time.monotonic() - started, time.monotonic()
    cluster = cluster_factory(mirror.base_url)
    out = cluster.seed(ids)
    assert "queued 600 ids" in out
    writer = cluster.writer()
    workers = [cluster.worker() for _ in range(3)]
    cluster.wait_done(workers, writer)
    print(f"single process {single_seconds:.1f}s; seed + 3 workers + writer {time.monotonic() - started:.1f}s"
          " (workers idle-exit after 3s)")

    expected, got = snapshot(single), snapshot(cluster.db)
    assert expected["articles"], "the single-process backfill stored nothing"
    assert set(got["articles"]) == set(expected["articles"])
    for article_id, record in expected["articles"].items():
        assert got["articles"][article_id] == record, article_id
    for part in ("aliases", "misses", "failures"):
        assert got[part] == expected[part], part
    assert any(row["near_duplicate_of"] for row in expected["articles"].values())
    assert any(alias[3] == "exact" for alias in expected["aliases"])
    assert len(expected["misses"]) >= 40
    # Every worker took a share of the queue.
    for worker in workers:
        assert "items sent" in tail(worker)
    assert rows(cluster.db, "PRAGMA integrity_check")[0]["integrity_check"] == "ok"
    # Seeding again queues nothing: the archive has recorded every id.
    assert "queued 0 ids" in cluster.seed(ids)
