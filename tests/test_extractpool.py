"""Extraction over worker processes in the crawl (issue 22 item 4): ``arshif crawl --extract-jobs N``.

Real crawls of the mirror subprocess; the archive is compared row by row with an in-process crawl's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from crawler.extract.work import EXIT_ON_ENV, PageTask
from crawler.middlewares.extractpool import ExtractPool, extract_jobs
from crawler.sites import get_site
from crawler.statkeys import EXTRACT_WORKER_FAILED, TEMPLATE_PAGES
from tests.test_crawl import REPO, ok, rows
from tests.test_reparse_jobs import dump


def crawl(mirror, db, jobs: int, cwd, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "crawler", "crawl", "alhadath", "--base-url", mirror.base_url, "--db", str(db),
         "--no-polite", "--extract-jobs", str(jobs)],
        cwd=cwd, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})})


def shared_memory_of_ours() -> list[str]:
    """Entries in /dev/shm a crawl of ours could have left (other processes on the machine may add their own)."""
    return [name for name in (os.listdir("/dev/shm") if os.path.isdir("/dev/shm") else ()) if "arshif" in name]


def run_stats(db) -> dict:
    return json.loads(rows(db, "select stats from crawl_runs order by id desc limit 1")[0]["stats"])


def test_two_extract_jobs_store_exactly_what_in_process_extraction_stores(mirror_factory, tmp_path):
    mirror = mirror_factory(articles=200, seed=7, weight="real")
    archives = {}
    for jobs in (0, 2):
        archives[jobs] = tmp_path / f"jobs{jobs}.db"
        ok(crawl(mirror, archives[jobs], jobs, tmp_path))
    # Row ids of aliases, failures … follow the order answers arrive in, which no two crawls share.
    here, pooled = ({table: sorted(({k: v for k, v in row.items() if k != "id"} for row in table_rows), key=repr)
                     for table, table_rows in dump(archives[jobs]).items()} for jobs in (0, 2))
    assert len(here["articles"]) > 150
    for table in here:
        assert here[table] == pooled[table], table
    # Each worker learned its own template: later pages were read by it, and the crawl counted them.
    for jobs in (0, 2):
        assert run_stats(archives[jobs]).get(TEMPLATE_PAGES, 0) > 50, jobs


def test_a_worker_killed_on_one_page_fails_that_page_only_and_the_next_crawl_gets_it(mirror_factory, tmp_path):
    mirror = mirror_factory(articles=120, seed=3)
    reference = tmp_path / "reference.db"
    ok(crawl(mirror, reference, 0, tmp_path))
    stored = sorted(row["article_id"] for row in rows(reference, "select article_id from articles"))
    victim = stored[len(stored) // 2]

    db = tmp_path / "killed.db"
    ok(crawl(mirror, db, 1, tmp_path, env={EXIT_ON_ENV: str(victim)}))
    assert shared_memory_of_ours() == []  # the workers' rings are anonymous (memfd): none left, killed or not
    failures = rows(db, "select article_id, reason from failures where resolved_at is null")
    assert [row["article_id"] for row in failures] == [victim]
    assert failures[0]["reason"].startswith("extraction worker died (exit code 70)")
    assert sorted(row["article_id"] for row in rows(db, "select article_id from articles")) == \
        [article_id for article_id in stored if article_id != victim]
    assert run_stats(db)[EXTRACT_WORKER_FAILED] == 1

    ok(crawl(mirror, db, 1, tmp_path))  # open failures are asked again: the page is stored now
    assert sorted(row["article_id"] for row in rows(db, "select article_id from articles")) == stored
    assert rows(db, "select article_id from failures where resolved_at is null") == []


def page(article_id: int) -> PageTask:
    body = f"<html><head><title>t</title></head><body><h1>خبر {article_id}</h1><p>نص</p></body></html>"
    return PageTask(body.encode(), f"https://www.alhadath.ps/article/{article_id}", get_site("alhadath"),
                    "utf-8", article_id)


def test_pool_replaces_a_dead_worker_and_close_answers_what_it_still_held(monkeypatch):
    monkeypatch.setenv(EXIT_ON_ENV, "2")
    pool = ExtractPool(1)
    try:
        futures = [pool.submit(page(article_id)) for article_id in (1, 2, 3)]
        results = [future.result(timeout=60) for future in futures]
        assert results[0].error is None and results[2].error is None
        assert results[1].error == "extraction worker died (exit code 70)"
        assert pool.replaced == 1
        workers = [worker.process for worker in pool._workers]
    finally:
        pool.close()
    assert not any(process.is_alive() for process in workers)
    late = pool.submit(page(4))
    assert late.result(timeout=1).error == "extraction pool closed"


def test_close_does_not_hang_on_pages_in_flight():
    pool = ExtractPool(1)
    futures = [pool.submit(page(article_id)) for article_id in range(1, 40)]
    pool.close()
    assert all(future.done() for future in futures)  # each answered: extracted, or "extraction pool closed"
    assert {future.result().error for future in futures} <= {None, "extraction pool closed"}


def test_extract_jobs_auto_is_one_fewer_than_the_cores():
    assert extract_jobs(-1, cpus=1) == 0
    assert extract_jobs(-1, cpus=2) == 1
    assert extract_jobs(-1, cpus=8) == 7
    assert extract_jobs(0) == 0 and extract_jobs("3") == 3


def test_the_worker_fingerprint_spares_the_writer_the_minhash(monkeypatch):
    import crawler.dedupe
    from crawler.ingest import ArticleItem
    from crawler.ingest.clean import carried_fingerprint, clean_record

    words = " ".join(f"كلمة{n}" for n in range(60))
    # As extraction leaves it: the clean step still trims, drops the RLM mark and the empty paragraph.
    record = {"article_id": 5, "title": " خبر ", "paragraphs": [f"  {words}\u200f ", "", f"{words} ثانية"]}
    carried = carried_fingerprint(record)  # in the worker, before the writer's clean step
    item = ArticleItem(record, carried=carried)
    clean_record(item)  # the writer's clean pipeline
    expected = crawler.dedupe.Fingerprint(item["paragraphs"])
    assert expected.evidence and carried["band_hashes"] == expected.band_hashes

    def no_signature(*args, **kwargs):
        raise AssertionError("the writer computed the MinHash signature")

    def no_fold(*args, **kwargs):
        raise AssertionError("the writer folded the body")

    monkeypatch.setattr(crawler.dedupe, "_body_signature", no_signature)
    monkeypatch.setattr(crawler.dedupe, "fold_words", no_fold)
    taken = crawler.dedupe.Fingerprint(item["paragraphs"], item.carried)  # what dedupe does with the item
    assert (taken.band_hashes, taken.content_hash, taken.evidence, taken.search_form) == \
        (expected.band_hashes, expected.content_hash, expected.evidence, expected.search_form)
    monkeypatch.undo()
    assert taken.folded == expected.folded  # made on first use (near-duplicate candidates)

    other_record = {**record, "paragraphs": [f"{words} ثالثة"]}
    others_carried = carried_fingerprint(other_record)
    monkeypatch.setattr(crawler.dedupe, "_body_signature", no_signature)
    without_body = {key: value for key, value in carried.items() if key != "body"}  # what a queue message carries
    assert crawler.dedupe.Fingerprint(item["paragraphs"], without_body).band_hashes == expected.band_hashes
    # Not taken, so recomputed (here: the signature would run): the bands of another body (its content hash),
    # the body's work for other paragraphs (another record's), or of another fold (version).
    for other in ({**without_body, "content_hash": "0" * 64}, others_carried,
                  {**carried, "body": {**carried["body"], "version": -1}, "content_hash": "0" * 64}):
        try:
            crawler.dedupe.Fingerprint(item["paragraphs"], other)
        except AssertionError as exc:
            assert "MinHash" in str(exc)
        else:
            raise AssertionError(f"a fingerprint of another body was taken: {other}")
    monkeypatch.undo()
    # Recomputed, it is this body's own fingerprint.
    for other in (others_carried, {**carried, "body": {**carried["body"], "words": "60"}}):
        remade = crawler.dedupe.Fingerprint(item["paragraphs"], other)
        assert (remade.band_hashes, remade.content_hash, remade.search_form) == \
            (expected.band_hashes, expected.content_hash, expected.search_form)


def test_sigterm_stops_the_extraction_workers_with_the_crawl(mirror_factory, tmp_path):
    import signal
    import time

    import psutil

    from crawler.errors import EXIT_INTERRUPTED
    from tests.test_crawl import settled_ids

    mirror = mirror_factory(articles=2000, seed=5)
    db = tmp_path / "a.db"
    process = subprocess.Popen(
        [sys.executable, "-m", "crawler", "backfill", "alhadath", "--ids", "1-2000", "--base-url", mirror.base_url,
         "--db", str(db), "--log-level", "WARNING", "--no-warc", "--extract-jobs", "2"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        while process.poll() is None and settled_ids(db) == 0:
            time.sleep(0.01)  # until the first batch is committed: the workers are at work
        assert process.poll() is None, "the backfill ended before it could be stopped"
        helpers = psutil.Process(process.pid).children(recursive=True)  # the fork server and its 2 workers
        assert len(helpers) >= 3
        process.send_signal(signal.SIGTERM)
        _stdout, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == EXIT_INTERRUPTED, stderr[-3000:]
    gone, alive = psutil.wait_procs(helpers, timeout=30)
    assert alive == [], alive


def test_a_bug_in_in_process_extraction_fails_that_page_as_a_worker_would(monkeypatch, caplog):
    # --extract-jobs 0: an exception in the extractor is that page's failure (reason, WARC record, walk
    # answered), as in a worker process, not a Scrapy spider error left as "no answer" at the run's end.
    from scrapy.http import HtmlResponse, Request

    from crawler.ingest.items import FailureItem
    from tests.test_spider_walks import build

    spider = build()

    def broken(*args, **kwargs):
        raise ValueError("a bug on this page")

    monkeypatch.setattr(spider.extractor, "extract_with_trace", broken)
    url = spider.article_url(42)
    request = Request(url, cb_kwargs={"article_id": 42}, meta={"warc_record": "x.warc.gz:0"})
    response = HtmlResponse(url, body=b"<html><body><h1>t</h1></body></html>", encoding="utf-8", request=request)
    with caplog.at_level("ERROR"):
        out = list(spider.parse_article(response, article_id=42))
    failures = [item for item in out if isinstance(item, FailureItem)]
    assert [(f.article_id, f.reason, f.warc_record) for f in failures] == [
        (42, "extraction failed: ValueError: a bug on this page", "x.warc.gz:0")]
    assert "extraction of" in caplog.text and "a bug on this page" in caplog.text  # the traceback is logged


def test_a_worker_dying_mid_batch_fails_its_page_and_the_next_worker_takes_the_rest(monkeypatch):
    # Pages go a few to a message when the queue is deep (the pool's lock held: all six wait, then leave in one
    # message); the worker answers page by page, so when it dies on page 2 only page 2 fails: 3 to 6, sent with
    # it but not started, go to its successor.
    monkeypatch.setenv(EXIT_ON_ENV, "2")
    pool = ExtractPool(1)
    try:
        with pool._lock:
            futures = [pool.submit(page(article_id)) for article_id in range(1, 7)]
        results = [future.result(timeout=60) for future in futures]
    finally:
        pool.close()
    assert [result.error for result in results] == [None, "extraction worker died (exit code 70)", None, None, None,
                                                    None]
    assert all(result.cpu > 0 for n, result in enumerate(results, 1) if n != 2)  # each extracted by a worker
    assert pool.replaced == 1


class Pipe:
    """A worker's pipe that keeps what is sent down it (and gives it back, as the worker's end would)."""

    def __init__(self):
        self.sent = []

    def send(self, message):
        self.sent.append(message)

    def recv(self):
        return self.sent.pop(0)


def test_a_worker_is_sent_the_site_once_and_each_page_as_its_bytes():
    from crawler.middlewares.extractpool import _Worker

    worker = _Worker(pool=None, process=None, conn=Pipe(), buffer=1 << 20)
    first, second = page(1), page(2)
    assert worker.send([first]) and worker.send([second])
    (site1, pages1), (site2, pages2) = worker.conn.sent
    assert site1 is first.site and site2 is None  # the same Site object: not pickled again
    assert pages1 == [(first.body, first.url, "utf-8", 1, None, None)] and pages2[0][3] == 2


def test_a_send_to_a_worker_that_just_died_first_takes_what_it_answered(monkeypatch):
    # The worker answered page 1, then died on page 2; the next pages are handed to it before its end was read
    # (the send fails): page 1 keeps its answer, page 2 fails, page 3 goes to the successor. (A crawl saw page 1
    # failed in page 2's place, and page 2 asked of the successor, which died on it again.)
    monkeypatch.setenv(EXIT_ON_ENV, "2")
    pool = ExtractPool(1)
    try:
        with pool._lock:  # the pool's own thread cannot read the worker's end meanwhile
            futures = [pool.submit(page(article_id)) for article_id in (1, 2)]
            pool._hand_out()
            pool._workers[0].process.join(timeout=60)
            assert pool._workers[0].process.exitcode == 70
            futures.append(pool.submit(page(3)))
            pool._hand_out()  # the send fails: the worker is gone
        results = [future.result(timeout=60) for future in futures]
    finally:
        pool.close()
    assert [result.error for result in results] == [None, "extraction worker died (exit code 70)", None]
    assert pool.replaced == 1


def test_extract_jobs_auto_on_the_command_line():
    """``--extract-jobs auto`` is the setting's -1 (one fewer than the cores); a count stays a count; anything
    else is a usage error (exit 2) naming the value, before any crawl starts."""
    from click.testing import CliRunner

    from crawler.cli import cli
    from crawler.cli.crawl import JOBS

    assert JOBS.convert("auto", None, None) == -1 and JOBS.convert("AUTO", None, None) == -1
    assert JOBS.convert("0", None, None) == 0 and JOBS.convert("3", None, None) == 3
    assert extract_jobs(JOBS.convert("auto", None, None), cpus=4) == 3
    for bad in ("-1", "many", "1.5"):
        done = CliRunner().invoke(cli, ["crawl", "alhadath", "--db", "unused.db", "--extract-jobs", bad])
        assert done.exit_code == 2 and f"'{bad}' is neither a count of worker processes" in done.output


def test_a_crawl_with_workers_starts_their_fork_server_before_it_builds_the_crawler(monkeypatch, tmp_path):
    # The fork server imports the extractor (~0.3 CPU-s) while the crawl's process builds Scrapy's crawler, so
    # the first worker's start at spider_opened does not hold the reactor; without workers there is no server.
    import crawler.middlewares.extractpool as extractpool
    import crawler.runner as runner

    calls: list[str] = []
    monkeypatch.setattr(extractpool, "start_fork_server", lambda: calls.append("fork server"))

    class Built(Exception):
        pass

    def crawler_process(settings):
        calls.append(f"crawler (jobs {settings.get('ARSHIF_EXTRACT_JOBS')})")
        raise Built

    monkeypatch.setattr(runner, "crawler_process", crawler_process)
    for jobs in (2, 0):
        with pytest.raises(Built):
            runner.run_crawl(runner.CrawlOptions(db_path=tmp_path / "a.db", settings={"ARSHIF_EXTRACT_JOBS": jobs}))
    assert calls == ["fork server", "crawler (jobs 2)", "crawler (jobs 0)"]


def test_the_fork_server_started_early_is_the_one_the_pool_forks_its_workers_from():
    from multiprocessing import forkserver

    import psutil

    from crawler.middlewares.extractpool import start_fork_server

    start_fork_server()
    server = forkserver._forkserver._forkserver_pid
    # It imported the extractor and the workers' default derive (crawler.ingest, crawler.storage) once, and
    # Scrapy's responses (a listing page's links: spiders.links.ListingJob): a worker forked from it has them,
    # instead of importing them as its first page comes in (~0.3 CPU-s a worker, each).
    assert server is not None and forkserver._forkserver._preload_modules == [
        "crawler.middlewares.bodyring", "crawler.ingest.clean", "scrapy.http", "scrapy.utils.response"]
    assert ExtractPool.__init__.__defaults__[0].__module__ == "crawler.ingest.clean"
    pool = ExtractPool(1)
    try:
        assert pool.submit(page(1)).result(timeout=60).error is None
        assert psutil.Process(pool._workers[0].process.pid).ppid() == server
        assert forkserver._forkserver._forkserver_pid == server  # no second server
    finally:
        pool.close()
