"""Politeness is per site: four workers sharing the Redis token bucket at 5 requests/s put at most
5 requests/s (±10%) on the site over every 10 s window — counted where the site sees them (a tap in
front of the mirror, tests/http_tap.py)."""

from __future__ import annotations

import time

import pytest

from tests.distributed_cluster import Cluster, stop_all, tail
from tests.http_tap import HttpTap, busiest_window

RATE = 5.0
RUN_SECONDS = 25.0


@pytest.mark.timeout(300)
def test_four_workers_share_one_rate(mirror_factory, redis_server, tmp_path):
    mirror = mirror_factory(articles=600, seed=3)
    with HttpTap(mirror.base_url) as tap:
        cluster = Cluster(tmp_path, redis_server, tap.base_url)
        try:
            cluster.seed("1-600")
            writer = cluster.writer()
            # Two requests in hand per worker: a worker waiting for many slots would only take longer to stop.
            workers = [cluster.worker("--rate", str(RATE), "--concurrency", "2", exit_when_idle=0)
                       for _ in range(4)]
            deadline = time.monotonic() + 90
            while len(tap.times) < 3 and time.monotonic() < deadline:  # the workers start up
                time.sleep(0.1)
            time.sleep(RUN_SECONDS)
            stop_all([*workers, writer])
        finally:
            cluster.close()
        times = sorted(tap.times)
    assert times, "no request reached the site"
    span = times[-1] - times[0]
    busiest = busiest_window(times, 10.0)
    print(f"{len(times)} requests in {span:.1f}s ({len(times) / span:.2f}/s); busiest 10 s window: {busiest}")
    assert span >= RUN_SECONDS - 1
    assert busiest <= RATE * 10 * 1.1, busiest
    # The limit held the site to the rate, not far under it: the four workers together kept it busy.
    assert len(times) / span >= RATE * 0.9
    for worker in workers:  # each worker drew from the one bucket and fetched its share
        assert "shared rate limit for alhadath: 5.00 requests/s" in tail(worker, 200000)
