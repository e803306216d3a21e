"""The operator's walkthrough of issue 20 ("Tried as an operator"), repeated on the mirror (800 ids, light
pages; loopback only): one line per problem the issue lists, with what this clone does now (exit code,
message) and PASS/FAIL. Exit 0 only when every line passes.

    make install && .venv/bin/python bench/walkthrough_ops.py          # ~3-5 minutes; needs redis-server

Everything runs as a user would: the `arshif` command line in subprocesses, the mirror subprocess, a real
redis-server, a local HTTP receiver for --notify. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
ENV = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
ENV.pop("ARSHIF_NOTIFY", None)
RESULTS: list[tuple[bool, str, str]] = []


def arshif(*args: str, cwd: Path, env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "crawler", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=env or ENV)


def last_line(result: subprocess.CompletedProcess) -> str:
    """The message: arshif's own "arshif: …" line or click's "Error: …", else the last line."""
    lines = [line for line in (result.stderr.strip() or result.stdout.strip()).splitlines() if line.strip()]
    said = [line for line in lines if line.startswith(("arshif:", "Error:"))]
    return (said or lines or [""])[-1][:150]


def check(problem: str, passed: bool, saw: str) -> None:
    RESULTS.append((passed, problem, saw))
    print(f"{'PASS' if passed else 'FAIL'}  {problem}: {saw}", flush=True)


def rows(db: Path, sql: str, params=()) -> list[dict]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute(sql, params)]


def clean(result: subprocess.CompletedProcess) -> bool:
    return "Traceback" not in result.stderr


class Receiver:
    """A webhook on 127.0.0.1 keeping the JSON bodies posted to it (Apprise's json:// URL)."""

    def __init__(self) -> None:
        posts = self.posts = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                posts.append(json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0)))))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"json://127.0.0.1:{self.server.server_port}/hook"


def main() -> int:
    from crawler.mirror import MirrorConfig, MirrorProcess

    root = Path(tempfile.mkdtemp(prefix="arshif-walkthrough-"))
    print(f"# walkthrough in {root}", flush=True)
    healthy = MirrorProcess.start(MirrorConfig(articles=800, seed=1))
    try:
        history = root / "history.db"
        crawl = arshif("crawl", "alhadath", "--base-url", healthy.base_url, "--db", str(history), cwd=root)
        assert crawl.returncode == 0, crawl.stderr[-2000:]
        layout_and_alarms(root, history, healthy)
        errors(root, history, healthy)
        state_and_counts(root, healthy)
        settings(root, healthy)
        wacz_and_serve(root, healthy)
    finally:
        healthy.stop()
    distributed_stop(root)
    failed = [problem for passed, problem, _ in RESULTS if not passed]
    print(f"# {len(RESULTS) - len(failed)} of {len(RESULTS)} pass" + (f"; failing: {', '.join(failed)}" if failed else ""))
    shutil.rmtree(root, ignore_errors=True)
    return 1 if failed else 0


def layout_and_alarms(root: Path, history: Path, healthy) -> None:
    from crawler.mirror import MirrorConfig, MirrorProcess

    db = root / "hourly.db"
    shutil.copy(history, db)
    receiver = Receiver()
    broken = MirrorProcess.start(MirrorConfig(articles=805, seed=1, markup="broken"))
    try:
        hourly = arshif("crawl", "alhadath", "--base-url", broken.base_url, "--db", str(db), "--notify", receiver.url,
                        cwd=root)
        run = rows(db, "select status from crawl_runs order by id desc limit 1")[0]
        check("layout change unnoticed in a small hourly run", hourly.returncode == 5 and run["status"] == "alarm",
              f"rc {hourly.returncode}, status {run['status']}: {last_line(hourly)}")
        titles = [post.get("title", "") for post in receiver.posts]
        check("the alarm reaches no one", len(titles) == 1 and "quality alarm" in titles[0], f"{len(titles)} message(s): {titles}")
        refresh = root / "refresh.db"
        shutil.copy(history, refresh)
        before = rows(refresh, "select (select count(*) from articles) a, (select count(*) from misses) m")[0]
        polluted = arshif("crawl", "alhadath", "--refresh", "--base-url", broken.base_url, "--db", str(refresh), cwd=root)
        after = rows(refresh, "select (select count(*) from articles) a, (select count(*) from misses) m")[0]
        check("a broken layout pollutes the archive", after["a"] >= before["a"] and after["m"] <= before["m"] + 5,
              f"rc {polluted.returncode}; articles {before['a']}→{after['a']}, misses {before['m']}→{after['m']}")
    finally:
        broken.stop()
    gaps = root / "gaps.db"
    shutil.copy(history, gaps)
    fill = arshif("backfill", "alhadath", "--ids", "1-800", "--base-url", healthy.base_url, "--db", str(gaps),
                  "--no-warc", cwd=root)
    retry = arshif("backfill", "alhadath", "--ids", "1-800", "--retry-misses", "--base-url", healthy.base_url,
                   "--db", str(gaps), "--no-warc", cwd=root)
    check("false alarms on gap filling and --retry-misses", fill.returncode == 0 and retry.returncode == 0,
          f"gap fill rc {fill.returncode}, retry-misses rc {retry.returncode}: {retry.stdout.strip().splitlines()[0][:100]}")


def errors(root: Path, history: Path, healthy) -> None:
    corrupt = root / "random.db"
    corrupt.write_bytes(random.Random(1).randbytes(64 * 1024))
    truncated = root / "truncated.db"
    truncated.write_bytes(history.read_bytes()[: history.stat().st_size // 3])
    seen = []
    for db in (corrupt, truncated):
        for args in (("crawl", "alhadath", "--base-url", healthy.base_url), ("stats",), ("export", "--format", "jsonl", "-o", "-")):
            result = arshif(*args, "--db", str(db), cwd=root)
            seen.append((result.returncode, clean(result), last_line(result)))
    check("a corrupt archive: traceback, crawl exit 4", all(code == 10 and ok for code, ok, _ in seen),
          f"exit codes {sorted({code for code, _, _ in seen})}, no traceback: {all(ok for _, ok, _ in seen)}: {seen[0][2]}")
    bad = [arshif("crawl", "alhadath", "--base-url", url, "--db", str(root / "x.db"), cwd=root)
           for url in ("notaurl", "ftp://127.0.0.1/")]
    check("--base-url notaurl / ftp:// accepted or tracebacks", all(r.returncode == 2 and clean(r) for r in bad),
          "; ".join(f"rc {r.returncode}: {last_line(r)}" for r in bad))
    missing = root / "no" / "such" / "folder" / "a.db"
    typo = arshif("crawl", "alhadath", "--base-url", healthy.base_url, "--db", str(missing), cwd=root)
    check("--db in a missing folder creates a fresh archive", typo.returncode == 2 and not missing.parent.exists(),
          f"rc {typo.returncode}, folder created: {missing.parent.exists()}: {last_line(typo)}")
    unknown = [arshif(*args, "--db", str(history), cwd=root) for args in
               (("export", "--site", "nosuch", "--format", "jsonl", "-o", "-"), ("search", "غزة", "--site", "nosuch"),
                ("reparse", "--site", "nosuch"))]
    check("an unknown --site accepted (rc 0)", all(r.returncode == 2 for r in unknown),
          "; ".join(f"rc {r.returncode}" for r in unknown) + f": {last_line(unknown[0])}")
    runs = arshif("export", "--run", "999", "--format", "jsonl", "-o", "-", "--db", str(history), cwd=root)
    check("export --run 999 is rc 0 with 0 rows", runs.returncode == 2, f"rc {runs.returncode}: {last_line(runs)}")
    both = root / "both.db"
    for ids in ("1-400", "401-800"):  # two runs, each with its own articles
        arshif("backfill", "alhadath", "--ids", ids, "--base-url", healthy.base_url, "--db", str(both), "--no-warc",
               cwd=root)
    first, second = [row["id"] for row in rows(both, "select id from crawl_runs order by id")][:2]
    count = lambda *runs: len(arshif("export", *[arg for run in runs for arg in ("--run", str(run))], "--format",  # noqa: E731
                                     "jsonl", "-o", "-", "--db", str(both), cwd=root).stdout.splitlines())
    a, b, ab = count(first), count(second), count(first, second)
    check("export --run A --run B keeps only the last", a > 0 and b > 0 and ab == a + b,
          f"run {first}: {a} rows, run {second}: {b} rows, --run {first} --run {second}: {ab} rows")
    pipe = subprocess.run(f"{sys.executable} -m crawler export --db {history} -o - --format jsonl | head -1",
                          shell=True, cwd=root, capture_output=True, text=True, env=ENV, executable="/bin/bash")
    pipe_status = subprocess.run(f"{sys.executable} -m crawler export --db {history} -o - --format jsonl | head -1 >/dev/null;"
                                 " echo ${PIPESTATUS[0]}", shell=True, cwd=root, capture_output=True, text=True,
                                 env=ENV, executable="/bin/bash")
    code = pipe_status.stdout.strip()
    check("export | head -1 exits 1", code != "1" and clean(pipe), f"arshif exit {code}, stderr {pipe.stderr.strip()[:80]!r}")


def state_and_counts(root: Path, healthy) -> None:
    db = root / "killed.db"
    process = subprocess.Popen([sys.executable, "-m", "crawler", "backfill", "alhadath", "--ids", "1-800",
                                "--base-url", healthy.base_url, "--db", str(db), "--no-warc"], cwd=root, env=ENV,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if rows(db, "select count(*) n from articles")[0]["n"] > 20:
                break
        except sqlite3.Error:
            pass
        time.sleep(0.2)
    process.send_signal(signal.SIGKILL)
    process.wait()
    stats = arshif("stats", "--db", str(db), cwd=root)
    status = rows(db, "select status from crawl_runs order by id")[0]["status"]
    check("a run killed with kill -9 stays running", status == "abandoned",
          f"run status after `stats`: {status} (stats rc {stats.returncode})")
    fresh = root / "counts.db"
    result = arshif("crawl", "alhadath", "--base-url", healthy.base_url, "--db", str(fresh), cwd=root)
    run = rows(fresh, "select * from crawl_runs order by id desc limit 1")[0]
    stored = rows(fresh, "select count(*) n from articles where first_run_id = ?", [run["id"]])[0]["n"]
    near = rows(fresh, "select count(*) n from articles where near_duplicate_of is not null")[0]["n"]
    summary = next((line for line in result.stdout.splitlines() if line.startswith("run ")), "")
    agree = f"{stored:,} new" in summary and run["articles_new"] == stored and run["near_duplicates"] == near
    check("counts disagree within one run", result.returncode == 0 and agree,
          f"summary '{summary[summary.find('—') + 2:][:60]}', run row {run['articles_new']} new/"
          f"{run['near_duplicates']} near, archive {stored} new/{near} near")


def settings(root: Path, healthy) -> None:
    db = root / "settings.db"
    log = root / "run.log"
    result = arshif("backfill", "alhadath", "--ids", "1-40", "--base-url", healthy.base_url, "--db", str(db), "--no-warc",
                    "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=4", "--log-file", str(log), cwd=root)
    check("no -s KEY=VALUE, no --log-file", result.returncode == 0 and log.is_file() and log.stat().st_size > 0,
          f"rc {result.returncode}, log file {log.stat().st_size if log.is_file() else 0} bytes")
    quiet = arshif("backfill", "alhadath", "--ids", "41-120", "--base-url", healthy.base_url, "--db", str(db), "--no-warc",
                   cwd=root)
    lines = len(quiet.stderr.splitlines())
    check("~160 lines of Scrapy boilerplate at INFO", quiet.returncode == 0 and lines < 30, f"{lines} stderr lines at INFO")
    env = {**ENV, "ARSHIF_QUALITY_MIN_PAGES": "5"}
    first = root / "minpages.db"
    from crawler.mirror import MirrorConfig, MirrorProcess

    broken = MirrorProcess.start(MirrorConfig(articles=804, seed=1, markup="broken"))
    try:
        with_env = arshif("backfill", "alhadath", "--ids", "801-803", "--base-url", broken.base_url, "--db",
                          str(first), "--no-warc", cwd=root, env=env)
    finally:
        broken.stop()
    judged = rows(first, "select status from crawl_runs")[0]["status"]
    check("ARSHIF_QUALITY_MIN_PAGES ignored", with_env.returncode == 0 and judged == "ok",
          f"3 unreadable pages with ARSHIF_QUALITY_MIN_PAGES=5: rc {with_env.returncode}, status {judged} (not judged)")


def wacz_and_serve(root: Path, healthy) -> None:
    folder = root / "shared"
    folder.mkdir()
    for name, ids in (("a", "1-30"), ("b", "31-60")):
        arshif("backfill", "alhadath", "--ids", ids, "--base-url", healthy.base_url, "--db", str(folder / f"{name}.db"),
               cwd=folder)
    wacz = arshif("export", "--db", str(folder / "a.db"), "--format", "wacz", "-o", str(folder / "a.wacz"), cwd=folder)
    check("WACZ export crashes on another archive's WARC files", wacz.returncode == 0 and clean(wacz),
          f"rc {wacz.returncode}: {' / '.join(line[:70] for line in wacz.stderr.strip().splitlines()[-2:])}")
    server = subprocess.Popen([sys.executable, "-m", "crawler", "serve", "--db", str(folder / "a.db"), "--port", "0"],
                              cwd=folder, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = server.stdout.readline().strip()
        try:
            with urllib.request.urlopen(f"{url}/.json", timeout=30) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
    finally:
        server.terminate()
        server.wait(10)
    check("serve prints a URL ending in / ($URL/.json answers 500)", not url.endswith("/") and status == 200,
          f"printed {url!r}; $URL/.json → {status}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def distributed_stop(root: Path) -> None:
    """`arshif store` with Redis gone: SIGTERM must end it within 10 s (and a second signal at once)."""
    from crawler.mirror import MirrorConfig, MirrorProcess

    redis_bin = shutil.which("redis-server")
    if redis_bin is None:
        check("the distributed writer does not stop", False, "redis-server is not installed")
        return
    port = free_port()
    data = root / "redis"
    data.mkdir()
    redis = subprocess.Popen([redis_bin, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data),
                              "--appendonly", "yes", "--save", ""], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    mirror = MirrorProcess.start(MirrorConfig(articles=60, seed=5))
    db = root / "distributed.db"
    try:
        time.sleep(0.5)
        arshif("backfill", "alhadath", "--ids", "1-60", "--redis", url, "--base-url", mirror.base_url, "--db", str(db),
               cwd=root)
        arshif("worker", "alhadath", "--redis", url, "--base-url", mirror.base_url, "--exit-when-idle", "1", cwd=root)
        writer = subprocess.Popen([sys.executable, "-m", "crawler", "store", "--redis", url, "--db", str(db),
                                   "--batch-size", "5"], cwd=root, env=ENV, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        time.sleep(3)
        redis.kill()
        redis.wait()
        time.sleep(1.5)
        began = time.monotonic()
        writer.send_signal(signal.SIGTERM)
        try:
            writer.wait(30)
        except subprocess.TimeoutExpired:
            writer.kill()
            writer.wait()
        took = time.monotonic() - began
        check("the distributed writer does not stop with Redis gone", took < 10,
              f"exit {writer.returncode} {took:.1f}s after SIGTERM")
    finally:
        mirror.stop()
        if redis.poll() is None:
            redis.kill()
            redis.wait()


if __name__ == "__main__":
    sys.exit(main())
