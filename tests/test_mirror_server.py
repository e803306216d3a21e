"""The mirror as a server and a command: `arshif mirror`, `arshif mirror truth`, faults on the wire."""

from __future__ import annotations

import http.client
import json
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from urllib.error import HTTPError
from urllib.parse import quote, unquote, urlsplit

import psutil
import pytest
from click.testing import CliRunner

from crawler.cli.base import cli
from crawler.mirror import TRUTH_KEYS, MirrorConfig, MirrorProcess, article, fault_for, render, truth

FAULTS = "status5xx=0.05,429=0.02,slow=0.02,drop=0.01,truncate=0.01"


def get(base_url: str, path: str, timeout: float = 10) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(base_url + quote(path, safe="/%"), timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_server_serves_exactly_what_the_library_renders(mirror):
    base = mirror.base_url
    assert urlsplit(base).hostname == "127.0.0.1"
    paths = ["/", "/robots.txt", "/category/3/محليات", "/category/9/x/page/2", "/tag/3/x", "/sitemap.xml"]
    paths += [f"/article/{i}/%D8%A7" for i in range(1, 301, 11)]
    for path in paths:
        status, headers, body = get(base, path)
        expected = render(mirror.config, path, base_url=base)
        assert (status, body) == (expected.status, expected.body), path
        assert headers["Content-Type"] == expected.headers["Content-Type"]


def test_bare_article_ids_redirect_to_the_slugged_page(mirror):
    a = next(article(mirror.config, i) for i in range(1, 300) if article(mirror.config, i).status == "article")
    with urllib.request.urlopen(f"{mirror.base_url}/article/{a.id}", timeout=10) as response:
        assert unquote(response.url) == f"{mirror.base_url}/article/{a.id}/{a.slug}"
        assert a.title.replace('"', "&quot;") in response.read().decode()


def test_keep_alive_and_head(mirror):
    url = urlsplit(mirror.base_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    for path in ("/robots.txt", "/article/1/x", "/"):
        connection.request("GET", path)
        response = connection.getresponse()
        assert response.status == 200 and response.read()
    connection.request("HEAD", "/article/1/x")
    response = connection.getresponse()
    assert response.status == 200 and int(response.getheader("Content-Length")) > 1000 and response.read() == b""
    connection.close()


def first_path_with(config: MirrorConfig, fault: str) -> str:
    """A path whose first request gets ``fault`` and whose second is clean."""
    return next(p for p in (f"/article/{i}/x" for i in range(1, 5000))
                if fault_for(config, p, 1) == fault and fault_for(config, p, 2) is None)


def test_every_fault_kind_on_the_wire_then_success_on_retry(mirror_factory):
    m = mirror_factory(articles=300, faults=FAULTS)
    url = urlsplit(m.base_url)
    for fault in ("500", "503", "429"):
        path = first_path_with(m.config, fault)
        status, headers, _ = get(m.base_url, path)
        assert status == int(fault)
        if fault == "429":
            assert headers["Retry-After"] == "1"
        assert get(m.base_url, path)[0] in (200, 404)
    path = first_path_with(m.config, "drop")
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    connection.request("GET", path)
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        connection.getresponse()
    assert get(m.base_url, path)[0] in (200, 404)
    path = first_path_with(m.config, "truncate")
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    connection.request("GET", path)
    response = connection.getresponse()
    with pytest.raises(http.client.IncompleteRead):
        response.read()
    assert get(m.base_url, path)[0] in (200, 404)
    path = first_path_with(m.config, "slow")
    began = time.monotonic()
    assert get(m.base_url, path)[0] in (200, 404)
    assert time.monotonic() - began >= 2.0
    assert get(m.base_url, "/robots.txt")[0] == 200


def test_faults_on_the_wire_at_about_their_rates(mirror_factory):
    m = mirror_factory(articles=300, faults="status5xx=0.1,429=0.05,drop=0.05")
    url = urlsplit(m.base_url)
    seen = {}
    for n in range(600):
        path = f"/article/{1 + n % 300}/x"
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
        connection.request("GET", path)
        try:
            response = connection.getresponse()
            response.read()
            outcome = response.status if response.status in (429, 500, 503) else "ok"
        except (http.client.RemoteDisconnected, ConnectionResetError):
            outcome = "drop"
        connection.close()
        seen[outcome] = seen.get(outcome, 0) + 1
    assert 0.06 < (seen.get(500, 0) + seen.get(503, 0)) / 600 < 0.14
    assert 0.025 < seen.get(429, 0) / 600 < 0.08 and 0.025 < seen.get("drop", 0) / 600 < 0.08
    # ... exactly the ones the library predicts for each path's 1st and 2nd request.
    predicted = {}
    for n in range(600):
        fault = fault_for(m.config, f"/article/{1 + n % 300}/x", 1 + n // 300)
        key = {"500": 500, "503": 503, "429": 429, "drop": "drop", None: "ok"}[fault]
        predicted[key] = predicted.get(key, 0) + 1
    assert seen == predicted


def test_markups_and_day_are_per_instance(mirror_factory):
    table = mirror_factory(articles=100, markup="table", day=2)
    status, _, body = get(table.base_url, "/article/3/x")
    assert status == 200 and b"<h1" not in body and "<td><font".encode() in body
    assert "الأربعاء  1 أيار 2024" in get(table.base_url, "/")[2].decode()


def test_a_200000_article_mirror_starts_without_per_article_work_and_small():
    def started_cpu(articles: int) -> float:
        """CPU seconds the mirror spent until it printed its base URL (interpreter start-up included)."""
        with MirrorProcess.start(MirrorConfig(articles=articles)) as mirror:
            times = psutil.Process(mirror.process.pid).cpu_times()
        return times.user + times.system

    # Start-up work must not grow with the site: 100x the articles, about the same CPU at start. CPU time,
    # not wall time, so a loaded machine cannot fail it; the start-up time itself is a benchmark figure
    # (bench/bench_mirror.py, "start: … s to the base URL line").
    baseline = started_cpu(2_000)
    with MirrorProcess.start(MirrorConfig(articles=200_000)) as m:
        server = psutil.Process(m.process.pid)
        times = server.cpu_times()
        assert times.user + times.system < 2 * baseline + 0.5, (times, baseline)
        assert server.memory_info().rss < 100 * 2**20
        # The first listing page builds the listing index (~1 CPU-second here at 200,000 ids; a loaded
        # machine stretched it past a 10 s socket timeout): what is checked is the answer and the memory.
        assert get(m.base_url, "/category/3/x/page/300", timeout=120)[0] == 200
        for article_id in range(1, 200_000, 9973):
            assert get(m.base_url, f"/article/{article_id}/x", timeout=60)[0] in (200, 404)
        assert server.memory_info().rss < 100 * 2**20


def run(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "crawler", *args], capture_output=True, timeout=60, **kwargs)


def test_truth_command_prints_unescaped_json_lines():
    done = run("mirror", "truth", "--articles", "40", "--seed", "2", "--start-id", "100", "--day", "1")
    assert done.returncode == 0
    lines = done.stdout.decode("utf-8").splitlines()
    rows = [json.loads(line) for line in lines]
    assert rows == list(truth(MirrorConfig(articles=40, seed=2, start_id=100, day=1)))
    assert all(tuple(r) == TRUTH_KEYS for r in rows)
    assert "\\u" not in done.stdout.decode() and "الحدث".encode() in done.stdout


def test_cli_help_has_examples_and_bad_options_fail_clearly():
    runner = CliRunner()
    for args in (["mirror", "--help"], ["mirror", "truth", "--help"]):
        result = runner.invoke(cli, args)
        assert result.exit_code == 0 and "Example" in result.output
    done = run("mirror", "--faults", "boom=0.1")
    assert done.returncode == 2 and b"bad fault" in done.stderr
    done = run("mirror", "--markup", "fancy")
    assert done.returncode == 2


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_first_line_is_the_base_url_and_a_signal_stops_cleanly(stop):
    # As a command started from a shell's foreground: SIGINT at its default. A non-interactive shell starts its
    # background jobs with SIGINT ignored (POSIX), an ignored signal is inherited across exec, and Twisted takes
    # SIGINT over only when it is at its default: a `make test &` made this mirror ignore the SIGINT (and so
    # fail, at any load), as any program started that way ignores it.
    process = subprocess.Popen([sys.executable, "-m", "crawler", "mirror", "--articles", "50", "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        base_url = process.stdout.readline().decode().strip()
        host, port = urlsplit(base_url).hostname, urlsplit(base_url).port
        assert host == "127.0.0.1" and port > 0
        socket.create_connection((host, port), timeout=5).close()
        process.send_signal(stop)
        # 30 s: at load 14 on 2 cores (two full suites and callgrind beside) a SIGINT stop once took over 10 s
        assert process.wait(30) == 0
        assert b"mirror stopped" in process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
