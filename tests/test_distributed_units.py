"""Small pieces of the distributed mode, each against a real redis-server (tests/redis_server.py)."""

from __future__ import annotations

import logging
import time

import pytest
import redis

from crawler.distributed.connection import Backoff, check_url, display_url, retrying
from crawler.distributed.keys import Keys
from crawler.distributed.limiter import TokenBucket
from crawler.errors import UsageError


def test_redis_fixture_restarts_with_its_data(redis_server):
    client = redis_server.client()
    client.rpush("k", b"a", b"b")
    redis_server.restart()
    assert redis_server.client().lrange("k", 0, -1) == [b"a", b"b"]  # AOF on: a restart loses nothing


def test_token_bucket_spaces_reservations_on_redis_clock(redis_server):
    bucket = TokenBucket(redis_server.client(), Keys("alhadath").rate, rate=2)
    waits = [bucket.reserve() for _ in range(6)]
    # One slot every 0.5 s: the n-th reservation waits ~0.5 * n (less the time the calls took: a loaded
    # machine may spend tens of milliseconds on them).
    for n, wait in enumerate(waits):
        assert wait == pytest.approx(0.5 * n, abs=0.1)


def test_token_bucket_shared_by_two_clients_and_burst(redis_server):
    key = Keys("alhadath").rate
    first = TokenBucket(redis_server.client(), key, rate=2)
    second = TokenBucket(redis_server.client(), key, rate=2)
    waits = [bucket.reserve() for _ in range(3) for bucket in (first, second)]
    assert sorted(waits) == pytest.approx([0.5 * n for n in range(6)], abs=0.1)  # one schedule for both
    burst = TokenBucket(redis_server.client(), Keys("other").rate, rate=2, burst=3)
    assert burst.reserve() == burst.reserve() == burst.reserve() == 0
    assert [burst.reserve(), burst.reserve()] == pytest.approx([0.5, 1.0], abs=0.1)


def test_token_bucket_refills_after_a_pause(redis_server):
    bucket = TokenBucket(redis_server.client(), Keys("alhadath").rate, rate=5)
    bucket.reserve(), bucket.reserve()
    time.sleep(0.5)
    assert bucket.reserve() == 0
    with pytest.raises(ValueError):
        TokenBucket(redis_server.client(), "k", rate=0)


def test_retrying_waits_out_an_outage_with_a_log_line(redis_factory, caplog):
    server = redis_factory()
    client = server.client(socket_connect_timeout=0.5)
    server.kill()
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        if len(sleeps) == 3:
            server.start()

    with caplog.at_level(logging.WARNING, logger="arshif.redis"):
        assert retrying(client.ping, what="testing", url=server.url, sleep=sleep) is True
    assert sleeps == [0.5, 1.0, 2.0]  # growing delays, no crash
    messages = [record.getMessage() for record in caplog.records]
    assert sum("unreachable while testing" in message for message in messages) == 3
    assert "is back after" in messages[-1]


def test_backoff_caps_and_resets():
    backoff = Backoff("redis://:secret@host:6379/0", first=1, cap=4)
    delays = [backoff.failed(redis.ConnectionError("down"), "x") for _ in range(5)]
    assert delays == [1, 2, 4, 4, 4] and backoff.waiting
    backoff.succeeded()
    assert not backoff.waiting and backoff.failed(redis.ConnectionError("down"), "x") == 1
    assert "secret" not in backoff.url


def test_redis_urls_are_checked():
    assert check_url("redis://127.0.0.1:6379/0")
    for bad in ("", "http://x:6379", "127.0.0.1:6379"):
        with pytest.raises(UsageError):
            check_url(bad)
    assert display_url("redis://user:pw@h:1/0") == "redis://user:***@h:1/0"


# --- the writer: reliable hand-over, idempotent re-application, dead items -------------------------------

def article_message(article_id: int, text: str = "نص المقال") -> bytes:
    import json

    from pipelines.clean import CleanPipeline
    from pipelines.items import ArticleItem, FetchInfo, to_message

    record = {"site": "alhadath", "article_id": article_id, "url": f"https://www.alhadath.ps/article/{article_id}",
              "title": f"عنوان {article_id}", "published_at": "2024-04-29T10:00:00+03:00",
              "paragraphs": [f"{text} {article_id} " * 20, "فقرة ثانية"]}
    item = CleanPipeline().process_item(ArticleItem(record, fetch=FetchInfo(url=record["url"])))
    return json.dumps(to_message(item), ensure_ascii=False).encode()


def miss_message(article_id: int) -> bytes:
    import json

    from pipelines.items import MissItem, to_message

    return json.dumps(to_message(MissItem("alhadath", article_id, f"https://www.alhadath.ps/article/{article_id}",
                                          "http 404", 404))).encode()


def store_loop(redis_server, db):
    from crawler.distributed.writer import StoreLoop, StoreOptions
    from crawler.storage import Archive

    options = StoreOptions(redis_url=redis_server.url, db_path=db, batch_size=3)
    archive = Archive(db, batch_size=10**9, commit_interval=10**9)
    return StoreLoop(options, archive, archive.start_run("alhadath", command="store", args={})), archive


def test_writer_reapplies_a_killed_writers_batch_idempotently(redis_server, tmp_path):
    from tests.distributed_cluster import snapshot

    keys, client = Keys("alhadath"), redis_server.client()
    messages = [article_message(1), article_message(2), miss_message(3), article_message(4, "نص آخر")]
    loop, archive = store_loop(redis_server, tmp_path / "a.db")
    client.lpush(keys.items, *messages)
    while batch := loop.take_batch(block=0.1):  # batches of 3: the list is moved, never popped
        loop.apply(batch)
    archive.close()
    first = snapshot(tmp_path / "a.db")
    assert sorted(first["articles"]) == [1, 2, 4] and [m[0] for m in first["misses"]] == [3]
    assert client.llen(keys.items) == client.llen(keys.processing) == 0
    assert client.smembers(keys.stored) == {b"1", b"2", b"4"} and client.smembers(keys.misses) == {b"3"}

    # A writer killed after its commit, before it emptied processing: the next one applies it all again.
    client.lpush(keys.processing, *messages)
    loop, archive = store_loop(redis_server, tmp_path / "a.db")
    assert loop.recover() == 4
    archive.close()
    assert snapshot(tmp_path / "a.db") == first
    assert client.llen(keys.processing) == 0


def test_a_writer_killed_with_articles_held_loses_none_of_them(redis_server, tmp_path):
    """The writer holds new articles back (crawler.ingest.batch) and writes them just before its commit. Killed
    with some held (its connection dropped, nothing committed), it leaves them in Redis's processing list, and
    the next writer stores them all: the same archive as a writer that was never killed."""
    import json

    from crawler.ingest import from_message
    from tests.distributed_cluster import snapshot

    keys, client = Keys("alhadath"), redis_server.client()
    messages = [article_message(i, f"نص {i}") for i in range(1, 7)] + [miss_message(9)]
    loop, archive = store_loop(redis_server, tmp_path / "clean.db")
    client.lpush(keys.items, *messages)
    while batch := loop.take_batch(block=0.1):
        loop.apply(batch)
    archive.close()
    clean = snapshot(tmp_path / "clean.db")
    assert sorted(clean["articles"]) == [1, 2, 3, 4, 5, 6]

    loop, archive = store_loop(redis_server, tmp_path / "a.db")
    client.lpush(keys.items, *messages)
    taken = loop.take_batch(block=0.1)
    for raw in taken:  # the batch recorded, its articles held: then the kill, before the flush and commit
        loop.batch.record(from_message(json.loads(raw)))
    assert loop.batch._writes and archive.stored_ids("alhadath", range(1, 7)) == set()
    archive.db.conn.close()  # SIGKILL: the open transaction is gone, nothing of the batch committed
    assert client.llen(keys.processing) == len(taken)

    loop, archive = store_loop(redis_server, tmp_path / "a.db")
    assert loop.recover() == len(taken)
    while batch := loop.take_batch(block=0.1):
        loop.apply(batch)
    archive.close()
    assert snapshot(tmp_path / "a.db") == clean
    assert client.llen(keys.items) == client.llen(keys.processing) == 0


def test_a_failed_write_of_held_articles_keeps_the_batch_in_redis(redis_server, tmp_path, monkeypatch):
    """Writing the held articles failed (not the fault of any one item): no item is put aside as dead, the batch
    stays in processing, and the next writer applies it."""
    from crawler.ingest.batch import FlushFailed
    from crawler.storage import Archive

    keys, client = Keys("alhadath"), redis_server.client()
    loop, archive = store_loop(redis_server, tmp_path / "a.db")
    client.lpush(keys.items, article_message(1), article_message(2, "نص آخر"))
    batch = loop.take_batch(block=0.1)

    def failing(self, writes):
        raise RuntimeError("the disk went away")

    monkeypatch.setattr(Archive, "insert_new", failing)
    with pytest.raises(FlushFailed):
        loop.apply(batch)
    assert loop.dead == 0 and client.llen(keys.dead) == 0 and client.llen(keys.processing) == 2
    archive.db.conn.close()
    monkeypatch.undo()
    loop, archive = store_loop(redis_server, tmp_path / "a.db")
    assert loop.recover() == 2
    assert archive.stored_ids("alhadath", [1, 2]) == {1, 2}
    archive.close()


def test_writer_keeps_a_bad_item_aside_and_goes_on(redis_server, tmp_path):
    keys, client = Keys("alhadath"), redis_server.client()
    loop, archive = store_loop(redis_server, tmp_path / "a.db")
    client.lpush(keys.items, article_message(1), b"{not json", b'{"type": "nonsense"}', article_message(2))
    while batch := loop.take_batch(block=0.1):
        loop.apply(batch)
    assert archive.stored_ids("alhadath", [1, 2]) == {1, 2}
    archive.close()
    assert sorted(client.lrange(keys.dead, 0, -1)) == [b'{"type": "nonsense"}', b"{not json"]
    assert client.llen(keys.processing) == 0


def test_writer_rebuilds_the_workers_sets_from_the_archive(redis_server, tmp_path):
    from crawler.distributed.state import RedisArchiveState

    keys, client = Keys("alhadath"), redis_server.client()
    loop, archive = store_loop(redis_server, tmp_path / "a.db")
    loop.sync_sets()  # at start: from the (empty) archive
    client.lpush(keys.items, article_message(7), miss_message(8))
    loop.apply(loop.take_batch(block=0.1))
    client.flushall()  # Redis came back empty (no AOF)
    loop.sync_sets()  # same server run id: nothing to do
    assert not client.exists(keys.stored)
    loop.redis_run_id = "an earlier server"
    loop.sync_sets()
    archive.close()
    state = RedisArchiveState(client, redis_server.url)
    assert state.stored_ids("alhadath", range(1, 10)) == {7}
    assert state.known_misses("alhadath", range(1, 10)) == {8}
    assert state.failed_articles("alhadath") == [] and not state.listing_walk_complete("alhadath", 1)


# --- the worker's side: sending items and queueing requests while Redis is away ---------------------------

def test_item_sender_keeps_items_while_redis_is_down(redis_factory):
    from crawler.distributed.connection import connect
    from crawler.distributed.worker import RedisItemSender
    from scrapy.statscollectors import MemoryStatsCollector
    from scrapy.utils.test import get_crawler
    from pipelines.items import MissItem

    server = redis_factory()
    keys = Keys("alhadath")
    sender = RedisItemSender(connect(server.url), keys, server.url)
    stats = MemoryStatsCollector(get_crawler())
    sender.record(MissItem("alhadath", 1, "u1", "http 404", 404), stats)
    server.stop()  # a clean stop writes its AOF out: what it took before is still there after the restart
    sender.record(MissItem("alhadath", 2, "u2", "http 404", 404), stats)
    sender.record(MissItem("alhadath", 3, "u3", "http 404", 404), stats)
    assert len(sender.unsent) == 2 and sender.backoff.waiting
    server.start()
    sender.backoff.next_attempt = 0  # the flush timer's next tick, without waiting for it
    assert sender.flush() and not sender.unsent
    import json

    assert [json.loads(m)["article_id"] for m in reversed(server.client().lrange(keys.items, 0, -1))] == [1, 2, 3]


def test_scheduler_waits_out_redis_and_loses_no_request(redis_factory):
    from scrapy import Request, Spider
    from scrapy.settings import Settings

    from crawler.distributed.scheduler import RedisScheduler
    from crawler.distributed.worker import worker_settings
    from scrapy.statscollectors import MemoryStatsCollector
    from scrapy.utils.test import get_crawler

    server = redis_factory()
    settings = Settings(worker_settings("alhadath", server.url))
    scheduler = RedisScheduler.from_settings(settings)
    scheduler.stats = MemoryStatsCollector(get_crawler())
    spider = Spider(name="alhadath")
    spider.settings = settings
    scheduler.open(spider)
    assert scheduler.enqueue_request(Request("http://127.0.0.1:1/a"))
    assert not scheduler.enqueue_request(Request("http://127.0.0.1:1/a"))  # scrapy-redis's dupe filter
    server.stop()  # a clean stop (a SIGKILL may lose the last second of writes: the kill test covers that)
    assert scheduler.enqueue_request(Request("http://127.0.0.1:1/b"))  # kept in memory
    assert scheduler.next_request() is None  # nothing now, no exception into the engine
    assert scheduler.has_pending_requests()  # the worker does not close meanwhile
    server.start()
    scheduler.backoff.next_attempt = 0
    urls = {scheduler.next_request().url for _ in range(2)}
    assert urls == {"http://127.0.0.1:1/a", "http://127.0.0.1:1/b"}
    assert scheduler.next_request() is None and not scheduler.has_pending_requests()


# --- seeding: what the archive lacks, past the dupe filter -------------------------------------------------

def test_backfill_seeding_queues_only_what_the_archive_lacks(redis_server, tmp_path):
    from crawler.distributed.seed import seed_backfill

    db = tmp_path / "a.db"
    loop, archive = store_loop(redis_server, db)
    client = redis_server.client()
    client.lpush(Keys("alhadath").items, article_message(2), miss_message(4))
    loop.apply(loop.take_batch(block=0.1))
    archive.close()
    client.delete(Keys("alhadath").stored, Keys("alhadath").misses)  # the archive is what counts
    result = seed_backfill("alhadath", redis_server.url, ids="1-5", db_path=db, base_url="http://127.0.0.1:9")
    assert (result.queued, result.waiting, result.source) == (3, 3, str(db))
    client.zpopmin(Keys("alhadath").requests)  # a worker took a request and died with it
    assert client.zcard(Keys("alhadath").requests) == 2
    again = seed_backfill("alhadath", redis_server.url, ids="1-5", db_path=db, base_url="http://127.0.0.1:9")
    # Back past the dupe filter; the queue (a sorted set) holds each identical request once.
    assert (again.queued, again.waiting) == (3, 3)
    retry = seed_backfill("alhadath", redis_server.url, ids="4", db_path=db, retry_misses=True,
                          base_url="http://127.0.0.1:9")
    assert retry.queued == 1


def test_retrying_can_give_up(redis_factory):
    server = redis_factory()
    client = server.client(socket_connect_timeout=0.5)
    server.kill()
    with pytest.raises(redis.ConnectionError):
        retrying(client.ping, what="testing", url=server.url, sleep=lambda s: None, give_up_after=0)
