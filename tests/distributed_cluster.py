"""A distributed run on this machine, for tests and benchmarks: a real redis-server, the mirror, N
``arshif worker`` subprocesses and one ``arshif store``, each with its log in a file.

    cluster = Cluster(tmp_path, redis_server, mirror.base_url)
    cluster.seed("1-600")                        # arshif backfill alhadath --ids 1-600 --redis URL --db DB
    writer = cluster.writer()
    workers = [cluster.worker() for _ in range(3)]
    cluster.wait_done(workers)                   # workers idle-exited, every item written; writer stopped
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from crawler.distributed.keys import Keys

REPO = Path(__file__).resolve().parents[1]


class Cluster:
    def __init__(self, directory: Path, redis_server, base_url: str, *, site: str = "alhadath",
                 db: Path | None = None) -> None:
        self.directory = Path(directory)
        self.redis = redis_server
        self.base_url = base_url
        self.site = site
        self.keys = Keys(site)
        self.db = db or self.directory / "distributed.db"
        self.env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
        self.processes: list[subprocess.Popen] = []
        self.count = 0

    def arshif(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        result = subprocess.run([sys.executable, "-m", "crawler", *args], cwd=self.directory, capture_output=True,
                                text=True, timeout=timeout, env=self.env)
        assert result.returncode == 0, f"arshif {' '.join(args)}: exit {result.returncode}\n{result.stdout}\n" \
                                       f"{result.stderr[-3000:]}"
        return result

    def seed(self, ids: str, *extra: str) -> str:
        return self.arshif("backfill", self.site, "--ids", ids, "--redis", self.redis.url, "--base-url",
                           self.base_url, "--db", str(self.db), *extra).stdout

    def _start(self, name: str, args: list[str]) -> subprocess.Popen:
        self.count += 1
        log = open(self.directory / f"{self.count:02d}-{name}.log", "w")
        process = subprocess.Popen([sys.executable, "-m", "crawler", *args], cwd=self.directory, env=self.env,
                                   stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        process.log_path = log.name
        log.close()
        self.processes.append(process)
        return process

    def worker(self, *extra: str, exit_when_idle: float = 3) -> subprocess.Popen:
        return self._start("worker", ["worker", self.site, "--redis", self.redis.url, "--base-url", self.base_url,
                                      "--exit-when-idle", str(exit_when_idle), "--log-level", "INFO", *extra])

    def writer(self, *extra: str) -> subprocess.Popen:
        return self._start("store", ["store", "--site", self.site, "--redis", self.redis.url, "--db",
                                     str(self.db), "--log-level", "INFO", *extra])

    def client(self):
        return self.redis.client()

    def waiting(self) -> dict[str, int]:
        client = self.client()
        return {"requests": client.zcard(self.keys.requests), "items": client.llen(self.keys.items),
                "processing": client.llen(self.keys.processing)}

    def sent(self) -> int:
        """Items the writer has committed so far (articles, aliases, misses, failures in the archive)."""
        return settled(self.db)

    def wait_items_written(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            waiting = self.waiting()
            if waiting["items"] == 0 and waiting["processing"] == 0:
                return
            time.sleep(0.2)
        raise AssertionError(f"items still waiting after {timeout}s: {self.waiting()}")

    def wait_done(self, workers: list[subprocess.Popen], writer: subprocess.Popen | None = None,
                  timeout: float = 600) -> None:
        """Workers exit by themselves (idle); then the writer empties the items list and is stopped."""
        deadline = time.monotonic() + timeout
        for process in workers:
            process.wait(max(1, deadline - time.monotonic()))
            assert process.returncode == 0, f"worker exit {process.returncode}: {tail(process)}"
        if writer is not None:
            self.wait_items_written(max(1, deadline - time.monotonic()))
            stop(writer)
            assert writer.returncode == 0, f"writer exit {writer.returncode}: {tail(writer)}"

    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait()


def stop_all(processes, timeout: float = 60) -> None:
    """SIGTERM to all at once (each finishes its work in hand meanwhile), then wait for each."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        stop(process, timeout)


def stop(process: subprocess.Popen, timeout: float = 60) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout)
    return process.returncode


def tail(process: subprocess.Popen, chars: int = 3000) -> str:
    return Path(process.log_path).read_text(errors="replace")[-chars:]


def rows(db: Path, sql: str, params=()) -> list[dict]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute(sql, params)]


def settled(db: Path) -> int:
    try:
        return sum(rows(db, f"select count(*) as n from {table}")[0]["n"]
                   for table in ("articles", "aliases", "misses", "failures"))
    except sqlite3.OperationalError:  # no schema yet
        return 0


ARTICLE_COLUMNS_SKIPPED = {"first_seen_at", "last_seen_at", "updated_at", "first_run_id", "last_run_id",
                           "warc_record", "version", "linked_at"}


def snapshot(db: Path) -> dict[str, object]:
    """What two archives of the same ids must share, whoever wrote them and in whatever order: every
    article field, content hash and near-duplicate link; aliases; misses; open failures."""
    articles = {}
    for row in rows(db, "select * from articles"):
        articles[row["article_id"]] = {key: (json.loads(value) if key in ("authors", "agencies", "paragraphs",
                                                                          "images", "tags") and value else value)
                                       for key, value in row.items() if key not in ARTICLE_COLUMNS_SKIPPED}
    return {
        "articles": articles,
        "aliases": sorted((a["alias_id"], a["alias_url"], a["article_id"], a["kind"], a["similarity"], a["title"],
                           a["published_at"]) for a in rows(db, "select * from aliases")),
        "misses": sorted((m["article_id"], m["url"], m["reason"], m["http_status"])
                         for m in rows(db, "select * from misses")),
        "failures": sorted((f["url"], f["article_id"], f["reason"], f["http_status"])
                           for f in rows(db, "select * from failures where resolved_at is null")),
    }
