"""One writer per queue: a second `arshif store` on the same Redis queue (another archive file) is refused
with exit code 6; once the first is SIGKILLed its lease expires and a new writer takes the queue over
within the lease time (``crawler.distributed.lease``), on a real redis-server."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from crawler.distributed.keys import Keys
from crawler.distributed.lease import TTL
from crawler.errors import EXIT_LOCKED
from tests.distributed_cluster import Cluster, rows, stop, tail


def store(cluster: Cluster, db, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "crawler", "store", "--redis", cluster.redis.url, "--db", str(db),
                           *extra], cwd=cluster.directory, env=cluster.env, capture_output=True, text=True,
                          timeout=120)


def wait_lease(client, key: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        holder = client.get(key)
        if holder:
            return holder.decode()
        time.sleep(0.1)
    raise AssertionError(f"no writer took the lease {key} in {timeout}s")


def test_a_second_writer_is_refused_and_a_killed_writers_lease_expires(redis_server, tmp_path):
    cluster = Cluster(tmp_path, redis_server, "http://127.0.0.1:9")
    key = Keys("alhadath").writer
    client = cluster.client()
    other = tmp_path / "other.db"
    try:
        first = cluster.writer()
        holder = wait_lease(client, key)
        assert str(cluster.db.resolve()) in holder and f"pid {first.pid}" in holder

        refused = store(cluster, other)
        assert refused.returncode == EXIT_LOCKED, refused.stderr[-2000:]
        assert "another `arshif store` writes this queue" in refused.stderr
        assert f"pid {first.pid}" in refused.stderr  # names the live writer
        # Refused before it wrote anything: no run row in its archive, the first writer's lease untouched.
        assert not other.exists() or rows(other, "select count(*) as n from crawl_runs")[0]["n"] == 0
        assert client.get(key).decode() == holder

        # The live writer keeps renewing: after more than a lease time it still holds the queue.
        time.sleep(TTL + 2)
        assert first.poll() is None, tail(first)
        assert client.get(key).decode() == holder
        assert store(cluster, other).returncode == EXIT_LOCKED

        first.send_signal(signal.SIGKILL)
        first.wait()
        killed = time.monotonic()
        while client.exists(key):
            assert time.monotonic() - killed <= TTL + 1, "the killed writer's lease outlived its TTL"
            time.sleep(0.1)
        taken = store(cluster, other, "--exit-when-idle", "1")
        assert taken.returncode == 0, taken.stderr[-2000:]
        assert time.monotonic() - killed <= TTL + 60  # the takeover itself: within the lease time, plus startup
        run = rows(other, "select * from crawl_runs where command = 'store'")
        assert [r["status"] for r in run] == ["ok"]
        assert not client.exists(key)  # a writer that stops cleanly gives the lease back at once
    finally:
        cluster.close()


def test_a_restarted_writer_of_the_same_archive_takes_over_at_once(redis_server, tmp_path):
    cluster = Cluster(tmp_path, redis_server, "http://127.0.0.1:9")
    key = Keys("alhadath").writer
    client = cluster.client()
    try:
        first = cluster.writer()
        wait_lease(client, key)
        first.send_signal(signal.SIGKILL)
        first.wait()
        assert client.ttl(key) > 0  # the dead writer's lease is still there ...
        again = store(cluster, cluster.db, "--exit-when-idle", "1")
        # ... but this host's writer of this archive holds the archive's lock, so the old one is dead.
        assert again.returncode == 0, again.stderr[-2000:]
        assert "taking over the writer's lease of a stopped writer" in again.stderr
        second = cluster.writer()
        wait_lease(client, key)
        assert stop(second) == 0, tail(second)
    finally:
        cluster.close()


def _signalled_acquire(monkeypatch, *, after: bool) -> None:
    """``WriterLease.acquire`` with a SIGTERM to this process just before it starts (``after=False``) or just
    after Redis set the lease, before the writer knows it holds it (``after=True``): the window a supervisor
    that stops the writer as soon as it sees the lease can hit (it failed a CI run once)."""
    import os

    from crawler.distributed.lease import WriterLease

    original = WriterLease.acquire

    def acquire(self, *args, **kwargs):
        if not after:
            os.kill(os.getpid(), signal.SIGTERM)
        original(self, *args, **kwargs)
        if after:
            os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(WriterLease, "acquire", acquire)


def test_a_signal_just_after_the_lease_is_set_is_a_clean_stop(redis_server, tmp_path, monkeypatch):
    from crawler.distributed.writer import StoreOptions, run_store

    _signalled_acquire(monkeypatch, after=True)
    db = tmp_path / "a.db"
    before = signal.getsignal(signal.SIGTERM)
    result = run_store(StoreOptions(redis_url=redis_server.url, db_path=db))
    assert result.items == 0
    assert [(r["status"], r["finish_reason"]) for r in rows(db, "select * from crawl_runs")] == [("ok", "shutdown")]
    assert not redis_server.client().exists(Keys("alhadath").writer)  # given back, not left to expire
    assert signal.getsignal(signal.SIGTERM) is before  # the writer's handlers are gone with it


def test_a_signal_before_the_lease_is_taken_interrupts_at_once(redis_server, tmp_path, monkeypatch):
    import pytest

    from crawler.distributed.writer import StoreOptions, run_store

    _signalled_acquire(monkeypatch, after=False)
    db = tmp_path / "a.db"
    with pytest.raises(KeyboardInterrupt):
        run_store(StoreOptions(redis_url=redis_server.url, db_path=db))
    assert not redis_server.client().exists(Keys("alhadath").writer)
    assert not db.exists()  # nothing started: no run recorded
