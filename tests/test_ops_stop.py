"""Stop on time (issue 20, item 7): `arshif store` and `arshif worker` end within 10 s of SIGTERM whatever
Redis is doing — answering, stopped, or hung (SIGSTOP) — losing nothing; a second signal ends at once.

A real redis-server, the mirror and the real commands in subprocesses; Redis is paused with SIGSTOP (a hung
host: connections stay open, nothing answers) or killed.
"""

from __future__ import annotations

import signal
import time

import pytest

from tests.distributed_cluster import Cluster, settled, tail

IDS = 60
STOP_WITHIN = 10.0  # seconds: systemd's and docker's patience before SIGKILL is 90 s and 10 s


def seeded_items(tmp_path, redis_server, mirror) -> Cluster:
    """A cluster whose worker already put every id's item on the Redis items list (no writer yet)."""
    cluster = Cluster(tmp_path, redis_server, mirror.base_url)
    cluster.seed(f"1-{IDS}")
    worker = cluster.worker(exit_when_idle=1)
    worker.wait(180)
    assert worker.returncode == 0, tail(worker)
    assert cluster.waiting()["items"] >= IDS
    return cluster


def started(cluster: Cluster, process, *, written: int = 1, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while settled(cluster.db) < written:
        assert process.poll() is None, tail(process)
        assert time.monotonic() < deadline, tail(process)
        time.sleep(0.05)


def time_to_exit(process, sig=signal.SIGTERM, limit: float = 60) -> float:
    began = time.monotonic()
    process.send_signal(sig)
    process.wait(limit)
    return time.monotonic() - began


def finish_writing(cluster: Cluster) -> None:
    """A new writer with Redis back: it applies what the stopped one left, and the archive is complete."""
    writer = cluster.writer("--exit-when-idle", "2")
    writer.wait(120)
    assert writer.returncode == 0, tail(writer)
    assert settled(cluster.db) == IDS
    assert cluster.waiting()["items"] == 0 and cluster.waiting()["processing"] == 0


@pytest.mark.timeout(300)
@pytest.mark.parametrize("redis_state", ["paused", "killed"])
def test_the_writer_stops_within_10s_whatever_redis_does_and_loses_nothing(tmp_path, redis_server,
                                                                            mirror_factory, redis_state):
    cluster = seeded_items(tmp_path, redis_server, mirror_factory(articles=IDS, seed=5))
    try:
        writer = cluster.writer("--batch-size", "5")
        started(cluster, writer)
        if redis_state == "paused":
            redis_server.process.send_signal(signal.SIGSTOP)
        else:
            redis_server.kill()
        time.sleep(1.5)  # the writer is now waiting for Redis (a blocked read, or retrying)
        took = time_to_exit(writer)
        assert took < STOP_WITHIN, (took, tail(writer))
        assert writer.returncode == 0, tail(writer)
        assert "Traceback" not in tail(writer, 20000)
    finally:
        if redis_state == "paused":
            redis_server.process.send_signal(signal.SIGCONT)
        else:
            redis_server.start()  # AOF on: the lists come back as they were
    finish_writing(cluster)
    cluster.close()


@pytest.mark.timeout(300)
@pytest.mark.parametrize("second", [signal.SIGTERM, signal.SIGINT])
def test_a_second_signal_ends_the_writer_at_once(tmp_path, redis_server, mirror_factory, second):
    cluster = seeded_items(tmp_path, redis_server, mirror_factory(articles=IDS, seed=5))
    try:
        writer = cluster.writer("--batch-size", "5")
        started(cluster, writer)
        redis_server.process.send_signal(signal.SIGSTOP)
        time.sleep(1.0)
        writer.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        took = time_to_exit(writer, second)
        assert took < 2.0, (took, tail(writer))
        assert "Traceback" not in tail(writer, 20000)
    finally:
        redis_server.process.send_signal(signal.SIGCONT)
    finish_writing(cluster)
    cluster.close()


@pytest.mark.timeout(300)
@pytest.mark.parametrize("redis_state", ["paused", "killed"])
def test_a_worker_stops_within_10s_whatever_redis_does(tmp_path, redis_server, mirror_factory, redis_state):
    mirror = mirror_factory(articles=IDS, seed=5)
    cluster = Cluster(tmp_path, redis_server, mirror.base_url)
    cluster.seed(f"1-{IDS}")
    try:
        worker = cluster.worker(exit_when_idle=0)
        deadline = time.monotonic() + 60
        while cluster.waiting()["items"] == 0:  # it is fetching and sending
            assert time.monotonic() < deadline and worker.poll() is None, tail(worker)
            time.sleep(0.05)
        if redis_state == "paused":
            redis_server.process.send_signal(signal.SIGSTOP)
        else:
            redis_server.kill()
        time.sleep(1.5)
        took = time_to_exit(worker)
        print(f"worker ({redis_state} redis) exited {took:.2f}s after SIGTERM, rc {worker.returncode}")
        assert took < STOP_WITHIN, (took, tail(worker))
        assert "Traceback" not in tail(worker, 50000)
    finally:
        if redis_state == "paused":
            redis_server.process.send_signal(signal.SIGCONT)
        else:
            redis_server.start()
    # Losing nothing: what the stopped worker had not handed over is asked for again by seeding again,
    # and a writer then completes the archive.
    cluster.seed(f"1-{IDS}")
    worker = cluster.worker(exit_when_idle=2)
    writer = cluster.writer()
    cluster.wait_done([worker], writer)
    assert settled(cluster.db) == IDS
    cluster.close()


@pytest.mark.timeout(60)
def test_the_last_offer_of_held_items_is_bounded_whatever_redis_does(redis_server):
    """The cause of the worker's ~10 s stops: at its deadline it offered the items it still held to Redis
    with a fresh client, and against a paused Redis that one LPUSH took ~4 s (connect, the on-connect
    handshake, each retried once with its own socket timeout). The offer now has LAST_OFFER in all."""
    from crawler.distributed.keys import Keys
    from crawler.distributed.worker import LAST_OFFER, RedisItemSender, StopWatch

    keys = Keys("alhadath")
    watch = StopWatch(RedisItemSender(redis_server.client(), keys, redis_server.url), redis_server.url)
    assert watch.offer([b'{"live": 1}']) is True  # Redis answering: taken
    assert redis_server.client().lrange(keys.items, 0, -1) == [b'{"live": 1}']
    redis_server.process.send_signal(signal.SIGSTOP)
    try:
        began = time.monotonic()
        assert watch.offer([b'{"paused": 1}']) is False
        assert time.monotonic() - began < LAST_OFFER + 1.0
    finally:
        redis_server.process.send_signal(signal.SIGCONT)
