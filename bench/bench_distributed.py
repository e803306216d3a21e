"""Distributed mode: workers against a slow site, the writer alone, Redis memory per queued id, and
(``--compare N``) the N-id distributed backfill checked against the single-process one.

    .venv/bin/python bench/bench_distributed.py [--ids 400] [--workers 1,2,4] [--latency 0.15]
                                                [--concurrency 4] [--writer-items 2000] [--queue-ids 100000]
                                                [--compare 3000]

- Scaling: a mirror behind a loopback tap that adds ``--latency`` to every response (tests/http_tap.py;
  the mirror's own ``slow`` fault is 2.5 s), politeness off, each worker holding ``--concurrency``
  requests in flight (a site that tolerates a few slow streams per client). For 1, 2, 4 workers: a fresh
  redis-server and archive, writer and workers started and idle, then ``--ids`` seeded; time from seeding
  to the last id settled in SQLite. Throughput ratio to one worker: targets ≥ 1.8× at 2, ≥ 3× at 4.
- The writer alone: ``--writer-items`` cleaned article items (extracted from mirror pages) in Redis, then
  the writer's loop (take batch → dedupe → store → commit → settle in Redis) in this process, timed.
  Target ≥ 2,000 items/s.
- Redis memory: ``used_memory`` before and after seeding ``--queue-ids`` ids into an empty queue.
- ``--compare N``: single-process backfill of N ids, then 3 workers + 1 writer: same articles (every field),
  aliases, near-duplicate links, misses (tests/distributed_cluster.py ``snapshot``).
``main()`` returns the report as markdown.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.common import table  # noqa: E402
from crawler.mirror import MirrorConfig, MirrorProcess  # noqa: E402
from tests.distributed_cluster import Cluster, settled, snapshot, stop_all  # noqa: E402
from tests.http_tap import HttpTap  # noqa: E402
from tests.redis_server import RedisServer  # noqa: E402

SEED = 5
TARGETS = {2: 1.8, 4: 3.0}
WRITER_TARGET = 2000


@dataclass
class ScaleRun:
    workers: int
    ids: int
    seconds: float
    requests: int

    @property
    def per_second(self) -> float:
        return self.ids / self.seconds


def started(process, text: str = "worker for ", timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while text not in Path(process.log_path).read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"worker did not start: {Path(process.log_path).read_text()[-2000:]}")
        time.sleep(0.1)


def scale_run(workers: int, ids: int, latency: float, concurrency: int, work: Path) -> ScaleRun:
    mirror = MirrorProcess.start(MirrorConfig(articles=ids, seed=SEED))
    redis = RedisServer(work / "redis").start()
    try:
        with HttpTap(mirror.base_url, latency=latency) as tap:
            cluster = Cluster(work, redis, tap.base_url)
            try:
                writer = cluster.writer()
                procs = [cluster.worker("--concurrency", str(concurrency), exit_when_idle=0) for _ in range(workers)]
                for process in procs:
                    started(process)
                began = time.monotonic()
                cluster.seed(f"1-{ids}")
                deadline = began + 1200
                while settled(cluster.db) < ids and time.monotonic() < deadline:
                    time.sleep(0.05)
                seconds = time.monotonic() - began
                stop_all([*procs, writer])
            finally:
                cluster.close()
            requests = len(tap.times)
    finally:
        redis.stop()
        mirror.stop()
    return ScaleRun(workers, settled(cluster.db), seconds, requests)


def writer_alone(items: int, work: Path, rounds: int = 2) -> tuple[int, float, float]:
    """(items, writer items/s, in-process items/s): the writer's loop over ``items`` cleaned articles
    waiting in Redis, and the same dedupe → store → commit in one process without Redis, alternating
    (A B A B) on fresh archives so that machine load hits both alike; medians."""
    from bench.bench_pipelines import extracted_records
    from bench.common import alternate, median
    from crawler.distributed.keys import Keys
    from crawler.distributed.writer import StoreLoop, StoreOptions
    from crawler.ingest import ArticleItem, FetchInfo, Ingest, from_message, to_message
    from crawler.sites import get_site
    from crawler.storage import Archive
    from pipelines.clean import CleanPipeline

    records = extracted_records(int(items * 1.07) + 10)[:items]
    clean = CleanPipeline()
    messages = [json.dumps(to_message(clean.process_item(ArticleItem(r, fetch=FetchInfo(url=r["url"])))),
                           ensure_ascii=False).encode() for r in records]
    redis = RedisServer(work / "redis-writer").start()
    runs = iter(range(10**6))

    def writer() -> float:
        client = redis.client()
        client.flushall()
        for start in range(0, len(messages), 1000):
            client.lpush(Keys("alhadath").items, *messages[start:start + 1000])
        options = StoreOptions(redis_url=redis.url, db_path=work / f"writer-{next(runs)}.db")
        archive = Archive(options.db_path, batch_size=10**9, commit_interval=10**9)
        loop = StoreLoop(options, archive, archive.start_run("alhadath", command="bench", args={}))
        loop.sync_sets()
        # Timed from the first take to the end of the last commit and settle: the loop then learns the
        # queue is empty only by a blocking wait (block=0.1 s), idle time that is not writing (it was 10-15%
        # of the 2,000 items' time while it counted).
        began = ended = time.perf_counter()
        while batch := loop.take_batch(block=0.1):
            loop.apply(batch)
            ended = time.perf_counter()
        seconds = ended - began
        assert archive.summary("alhadath").articles > 0.95 * len(messages)
        archive.close()
        return len(messages) / seconds

    def in_process() -> float:
        archive = Archive(work / f"local-{next(runs)}.db", batch_size=10**9, commit_interval=10**9)
        ingest = Ingest(archive, get_site("alhadath"), None)
        began = time.perf_counter()
        for message in messages:  # decoded here too: the writer's JSON work is not the difference measured
            ingest.record(from_message(json.loads(message)))
        archive.commit()
        seconds = time.perf_counter() - began
        archive.close()
        return len(messages) / seconds

    try:
        results = alternate({"writer": writer, "in process": in_process}, rounds=rounds)
    finally:
        redis.stop()
    return len(messages), median(results["writer"]), median(results["in process"])


def queue_memory(ids: int, work: Path) -> tuple[int, int]:
    """(bytes used by ``ids`` queued requests, bytes per id)."""
    from crawler.distributed.seed import seed_backfill

    redis = RedisServer(work / "redis-memory", appendonly=False).start()
    try:
        before = redis.client().info("memory")["used_memory"]
        result = seed_backfill("alhadath", redis.url, ids=f"1-{ids}", db_path=None,
                               base_url="http://127.0.0.1:8000")
        after = redis.client().info("memory")["used_memory"]
    finally:
        redis.stop()
    assert result.queued == ids
    return after - before, (after - before) // ids


def compare(ids: int, work: Path) -> tuple[bool, str]:
    mirror = MirrorProcess.start(MirrorConfig(articles=ids - ids // 20, seed=SEED))
    redis = RedisServer(work / "redis-compare").start()
    try:
        single = work / "single.db"
        began = time.monotonic()
        subprocess.run([sys.executable, "-m", "crawler", "backfill", "alhadath", "--ids", f"1-{ids}", "--base-url",
                        mirror.base_url, "--db", str(single), "--no-warc", "--log-level", "WARNING"],
                       cwd=REPO, check=True, capture_output=True)
        single_seconds, began = time.monotonic() - began, time.monotonic()
        cluster = Cluster(work, redis, mirror.base_url, db=work / "compare.db")
        try:
            cluster.seed(f"1-{ids}")
            writer = cluster.writer()
            cluster.wait_done([cluster.worker() for _ in range(3)], writer, timeout=1800)
        finally:
            cluster.close()
        distributed_seconds = time.monotonic() - began
        expected, got = snapshot(single), snapshot(cluster.db)
    finally:
        redis.stop()
        mirror.stop()
    same = expected == got
    detail = (f"{len(got['articles']):,} articles ({sum(1 for a in got['articles'].values() if a['near_duplicate_of'])}"
              f" near duplicates), {len(got['aliases'])} aliases, {len(got['misses'])} misses, "
              f"{len(got['failures'])} open failures; single process {single_seconds:.0f} s, "
              f"3 workers + writer {distributed_seconds:.0f} s (both on this loaded 2-core machine)")
    if not same:
        differing = [part for part in expected if expected[part] != got[part]]
        detail += f"; DIFFERENT: {', '.join(differing)}"
    return same, detail


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ids", type=int, default=400)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--latency", type=float, default=0.15)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--writer-items", type=int, default=2000)
    parser.add_argument("--queue-ids", type=int, default=100_000)
    parser.add_argument("--compare", type=int, default=0, help="ids for the equality check (0: skip)")
    args = parser.parse_args(argv)
    out = []
    with tempfile.TemporaryDirectory(prefix="arshif-bench-distributed-") as tmp:
        work = Path(tmp)
        runs = []
        for count in [int(n) for n in args.workers.split(",")]:
            directory = work / f"scale-{count}"
            directory.mkdir()
            runs.append(scale_run(count, args.ids, args.latency, args.concurrency, directory))
            print(f"  distributed: {count} workers: {runs[-1].per_second:.1f} ids/s", file=sys.stderr, flush=True)
        base = runs[0].per_second
        rows = []
        for run in runs:
            target = TARGETS.get(run.workers)
            verdict = "" if target is None else (f"≥ {target}×: {'met' if run.per_second / base >= target else 'missed'}")
            rows.append([run.workers, f"{run.ids:,}", f"{run.requests:,}", f"{run.seconds:.1f}",
                         f"{run.per_second:.1f}", f"{run.per_second / base:.2f}×", verdict])
        out += [f"Workers against a slow site: {args.latency * 1000:.0f} ms added to every response, politeness "
                f"off, {args.concurrency} requests in flight per worker, {args.ids:,} ids seeded into idle workers; "
                "time from seeding to the last id committed by the writer.", "",
                table(["workers", "ids settled", "requests", "seconds", "ids/s", "ratio to 1", "target"], rows), ""]
        items, writer_rate, local_rate = writer_alone(args.writer_items, work)
        verdict = "met" if writer_rate >= WRITER_TARGET else "missed"
        out += [f"Writer alone: **{writer_rate:,.0f} items/s** ({items:,} article items: take from Redis → dedupe → "
                f"store → commit → settle in Redis; target ≥ {WRITER_TARGET:,}: {verdict}). The same dedupe → "
                f"store → commit in one process without Redis, alternating with it: {local_rate:,.0f} items/s, so "
                f"the writer runs at {writer_rate / local_rate:.2f}× the single-process storage path "
                "(medians of 2 rounds each, fresh archives).", ""]
        used, per_id = queue_memory(args.queue_ids, work)
        out += [f"Redis memory: {args.queue_ids:,} queued ids use {used / 2**20:.1f} MiB "
                f"(**{per_id * 100_000 / 2**20:.1f} MiB per 100,000 queued ids**, {per_id} bytes each: "
                "scrapy-redis's pickled requests in a sorted set).", ""]
        if args.compare:
            same, detail = compare(args.compare, work)
            out += [f"{args.compare:,}-id backfill, 3 workers + 1 writer vs one process: "
                    f"**{'same archive' if same else 'DIFFERENT'}** — {detail}.", ""]
    return "\n".join(out)


if __name__ == "__main__":
    print(main())
