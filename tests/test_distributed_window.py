"""`arshif crawl --redis` with --since, --until and --max-pages: the workers walk the listings as one process
given the same flags does — the window and the page limit travel with the seed (``crawler.distributed.run``)
— and mark the listing walks complete under the single process's rule (``spiders.walks``, the walk book in Redis).
Real redis-server, the mirror, `arshif worker` × 2 and `arshif store`, compared with single-process crawls."""

from __future__ import annotations

import re
import time

from crawler.distributed.keys import Keys
from crawler.mirror import CATEGORIES
from crawler.mirror.pages import PAGE_SIZE
from tests.distributed_cluster import Cluster, tail
from tests.test_crawl import arshif, articles, last_run, ok, rows

ASKED = re.compile(r"asked for (\d+) listing pages, (\d+) articles")


def distributed_round(cluster: Cluster, *flags: str, workers: int = 2, started_first: bool = False) -> dict[str, int]:
    """Seed a crawl round with ``flags``, run the workers and the writer until done; what the workers asked.
    ``started_first``: the workers start (and read the previous round's settings) before the seeding."""
    def seed():
        cluster.arshif("crawl", "alhadath", "--redis", cluster.redis.url, "--base-url", cluster.base_url,
                       "--db", str(cluster.db), *flags)

    if not started_first:
        seed()
    writer = cluster.writer()
    started = [cluster.worker(exit_when_idle=20 if started_first else 3) for _ in range(workers)]
    if started_first:
        for worker in started:
            wait_log(worker, "round settings v")
        seed()
    cluster.wait_done(started, writer)
    asked = {"listing": 0, "article": 0}
    for worker in started:
        listing, article = map(int, ASKED.findall(tail(worker))[-1])
        asked["listing"] += listing
        asked["article"] += article
    return asked


def wait_log(process, text: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while text not in tail(process, 100_000):
        assert process.poll() is None and time.monotonic() < deadline, tail(process)
        time.sleep(0.1)


def single_round(mirror, db, tmp_path, *flags: str) -> dict:
    ok(arshif("crawl", "alhadath", "--base-url", mirror.base_url, "--db", str(db), "--log-level", "WARNING", *flags,
              cwd=tmp_path))
    return last_run(db)["stats"]


def window_dates(mirror, low: float, high: float) -> tuple[str, str]:
    dates = sorted(t["published_at"] for t in mirror.truth() if t["status"] == "article")
    return dates[int(low * len(dates))][:10], dates[int(high * len(dates))][:10]


def test_since_and_until_window_walks_like_one_process(mirror, redis_server, tmp_path):
    since, until = window_dates(mirror, 1 / 8, 1 / 4)  # old articles: the newer pages' fetches are skipped
    single = tmp_path / "single.db"
    stats = single_round(mirror, single, tmp_path, "--since", since, "--until", until)
    cluster = Cluster(tmp_path, redis_server, mirror.base_url)
    try:
        asked = distributed_round(cluster, "--since", since, "--until", until)
    finally:
        cluster.close()
    stored, expected = articles(cluster.db), articles(single)
    assert expected and set(stored) == set(expected)
    for article_id, row in expected.items():
        assert stored[article_id]["published_at"] == row["published_at"]
    assert all(since <= row["published_at"][:10] <= until for row in stored.values())
    # The walks were cut as in one process: --until's probes skipped the newer pages' fetches, --since
    # ended each walk at a page older than it. Without them every listed article would be asked (~300).
    assert asked["article"] <= stats["arshif/requests/article"] + 10, (asked, stats["arshif/requests/article"])
    assert asked["listing"] == stats["arshif/requests/listing"], (asked, stats["arshif/requests/listing"])
    assert asked["article"] < 0.7 * len(mirror.truth()), (asked, stats)
    # Every worker applied the seed's window (two instants in Redis, whatever the workers' clocks say).
    settings = {k.decode(): v.decode() for k, v in cluster.client().hgetall(Keys("alhadath").run).items()}
    assert settings["since"].startswith(since) and settings["given"] == f"--since {since} --until {until}"
    assert rows(cluster.db, "select * from listing_walks") == []  # --until: not a complete walk, as in one process


def test_max_pages_limits_each_categorys_walk_as_in_one_process(mirror, redis_server, tmp_path):
    single = tmp_path / "single.db"
    stats = single_round(mirror, single, tmp_path, "--max-pages", "2")
    cluster = Cluster(tmp_path, redis_server, mirror.base_url)
    try:
        asked = distributed_round(cluster, "--max-pages", "2")
    finally:
        cluster.close()
    # Pages 1 and 2 of each category at most, whichever worker took them: the page number travels with
    # each listing request, so the limit is per category exactly as in one process.
    assert len(CATEGORIES) < asked["listing"] <= 2 * len(CATEGORIES), asked
    assert asked["listing"] == stats["arshif/requests/listing"]
    assert set(articles(cluster.db)) == set(articles(single))
    run = rows(cluster.db, "select * from crawl_runs where command = 'store'")[-1]
    assert 0 < run["articles_new"] <= PAGE_SIZE * (2 * len(CATEGORIES) + 1)
    assert rows(cluster.db, "select * from listing_walks") == []  # a bounded walk is not a complete one


def test_a_round_with_other_settings_waits_for_the_queued_one(mirror, redis_server, tmp_path):
    cluster = Cluster(tmp_path, redis_server, mirror.base_url)
    base = ["crawl", "alhadath", "--redis", redis_server.url, "--base-url", mirror.base_url, "--db", str(cluster.db)]
    try:
        cluster.arshif(*base, "--since", "2020-01-01")
        refused = arshif(*base, "--until", "2021-01-01", cwd=tmp_path)
        assert refused.returncode == 2, refused.stderr
        assert "still wait" in refused.stderr and "--since 2020-01-01" in refused.stderr
        cluster.arshif(*base, "--since", "2020-01-01")  # the same settings: more work for the same round
        bad = arshif(*base, "--since", "someday", cwd=tmp_path)
        assert bad.returncode == 2 and "someday" in bad.stderr
    finally:
        cluster.close()


def test_backfill_window_stores_what_one_process_stores(mirror, redis_server, tmp_path):
    since, until = window_dates(mirror, 1 / 4, 1 / 2)
    single = tmp_path / "single.db"
    ok(arshif("backfill", "alhadath", "--ids", "1-120", "--base-url", mirror.base_url, "--db", str(single),
              "--no-warc", "--since", since, "--until", until, "--log-level", "WARNING", cwd=tmp_path))
    cluster = Cluster(tmp_path, redis_server, mirror.base_url)
    try:
        assert "queued 120 ids" in cluster.seed("1-120", "--since", since, "--until", until)
        writer = cluster.writer()
        cluster.wait_done([cluster.worker()], writer)
    finally:
        cluster.close()
    stored = articles(cluster.db)
    assert stored and set(stored) == set(articles(single))
    assert all(since <= row["published_at"][:10] <= until for row in stored.values())
