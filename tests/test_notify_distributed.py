"""`arshif store --notify` (issue 20, `--notify` on the distributed commands): the writer tells a human when a
store run fails (disk full: exit 7) and when a later one is ok again — one message per incident, not per run.

A real redis-server, the mirror, a real worker and writer in subprocesses, a real local HTTP receiver
(tests/test_notify.py's); the full disk is SQLite's page cap (``ARSHIF_MAX_PAGE_COUNT``), as in
tests/test_storage_hazards.py.
"""

from __future__ import annotations

import pytest

from crawler.storage import Archive
from crawler.storage.connection import MAX_PAGE_COUNT_ENV
from tests.distributed_cluster import Cluster, settled, tail
from tests.test_notify import receiver  # noqa: F401 (the fixture)

IDS = 60


@pytest.mark.timeout(300)
def test_store_notifies_a_failure_once_and_the_recovery(tmp_path, redis_server, mirror_factory, receiver):  # noqa: F811
    mirror = mirror_factory(articles=IDS, seed=5)
    cluster = Cluster(tmp_path, redis_server, mirror.base_url)
    cluster.seed(f"1-{IDS}")
    worker = cluster.worker(exit_when_idle=1)
    worker.wait(180)
    assert worker.returncode == 0, tail(worker)
    assert cluster.waiting()["items"] >= IDS
    with Archive(cluster.db) as archive:  # the schema first: the cap is for the articles
        pages = archive.db.execute("PRAGMA page_count").fetchone()[0]
    try:
        cluster.env[MAX_PAGE_COUNT_ENV] = str(pages + 8)  # room for a few articles, not for 60
        for attempt in (1, 2):
            writer = cluster.writer("--batch-size", "5", "--exit-when-idle", "2", "--notify", receiver.url)
            writer.wait(120)
            assert writer.returncode == 7, (attempt, tail(writer))
            assert len(receiver.posts) == 1, (attempt, receiver.posts)  # the second failure: same incident
        assert receiver.posts[0]["title"].startswith("arshif: alhadath run failed (run ")
        assert "disk full" in receiver.posts[0]["message"] or "disk is full" in receiver.posts[0]["message"]
        del cluster.env[MAX_PAGE_COUNT_ENV]
        writer = cluster.writer("--exit-when-idle", "2", "--notify", receiver.url)
        writer.wait(120)
        assert writer.returncode == 0, tail(writer)
        # Nothing lost to the full disk (main put the items it could not write on the dead list):
        assert settled(cluster.db) == IDS, (cluster.waiting(), tail(writer))
        assert cluster.client().llen(cluster.keys.dead) == 0
        assert len(receiver.posts) == 2, receiver.posts
        assert receiver.posts[1]["title"].startswith("arshif: alhadath recovered (run ")
        writer = cluster.writer("--exit-when-idle", "1", "--notify", receiver.url)  # healthy again: nothing to say
        writer.wait(120)
        assert writer.returncode == 0 and len(receiver.posts) == 2, tail(writer)
    finally:
        cluster.close()
