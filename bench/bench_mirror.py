"""Benchmark the mirror: start time and memory at --articles 200000, then article pages per second.

    .venv/bin/python bench/bench_mirror.py [--articles 200000] [--requests 5000] [--connections 4] [--weights light,real]

Loopback only, a bounded number of requests. The client is a raw keep-alive socket loop in a separate
process so its cost does not land on the server's core.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import socket
import time
from urllib.parse import urlsplit

import psutil

from crawler.mirror import MirrorConfig, MirrorProcess, article_ids


def _fetch_all(base_url: str, paths: list[str]) -> tuple[int, int]:
    """GET each path over one keep-alive connection; returns (responses, bytes)."""
    url = urlsplit(base_url)
    sock = socket.create_connection((url.hostname, url.port))
    stream = sock.makefile("rb")
    done = size = 0
    for path in paths:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {url.netloc}\r\n\r\n".encode())
        status = stream.readline()
        length = 0
        while (line := stream.readline()) not in (b"\r\n", b""):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        size += len(stream.read(length))
        done += status.startswith(b"HTTP/1.1 200")
    sock.close()
    return done, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--markup", default="default")
    parser.add_argument("--weights", default="light,real", help="page weights, one run each")
    args = parser.parse_args()
    for weight in filter(None, args.weights.split(",")):
        measure(args, weight)


def measure(args, weight: str) -> None:
    config = MirrorConfig(articles=args.articles, markup=args.markup, weight=weight)
    started = time.perf_counter()
    mirror = MirrorProcess.start(config)
    start_seconds = time.perf_counter() - started
    server = psutil.Process(mirror.process.pid)
    rss_start = server.memory_info().rss / 2**20
    try:
        first_listing = time.perf_counter()
        _fetch_all(mirror.base_url, ["/category/3/x/page/2"])
        index_seconds = time.perf_counter() - first_listing
        ids = article_ids(MirrorConfig(articles=args.articles))
        rng = random.Random(7)
        paths = [f"/article/{rng.choice(ids)}/x" for _ in range(args.requests)]
        chunks = [paths[i::args.connections] for i in range(args.connections)]
        cpu_before = sum(server.cpu_times()[:2])
        began = time.perf_counter()
        with multiprocessing.Pool(args.connections) as pool:
            results = pool.starmap(_fetch_all, [(mirror.base_url, chunk) for chunk in chunks])
        elapsed = time.perf_counter() - began
        cpu = sum(server.cpu_times()[:2]) - cpu_before
        ok = sum(r[0] for r in results)
        size = sum(r[1] for r in results)
        rss_end = server.memory_info().rss / 2**20
    finally:
        mirror.stop()
    print(f"articles={args.articles} markup={args.markup} page weight={weight}")
    print(f"start: {start_seconds:.2f} s to the base URL line; RSS {rss_start:.1f} MiB")
    print(f"first listing page (builds the section/tag index): {index_seconds:.2f} s")
    print(f"{len(paths)} article GETs ({ok} x 200, {size / len(paths) / 1024:.1f} KiB avg) in {elapsed:.2f} s "
          f"over {args.connections} connections: {len(paths) / elapsed:.0f} pages/s wall, "
          f"{len(paths) / cpu:.0f} pages per server CPU-second")
    print(f"RSS after: {rss_end:.1f} MiB")


if __name__ == "__main__":
    main()
