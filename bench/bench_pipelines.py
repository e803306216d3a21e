"""Pipelines alone — the storage ceiling: items/s through clean → validate → date window → dedupe → store
with pre-extracted items, against a plain sqlite-utils insert of the same records; then export rows/s.

    .venv/bin/python bench/bench_pipelines.py [--articles 3000] [--rounds 3]

Items: the mirror's pages for ``--articles`` ids (exact and near duplicates included), rendered and
extracted once in-process before any clock starts. The pipelines are the ones ``ITEM_PIPELINES`` lists,
built by ``from_crawler`` on a crawler-less stand-in (settings, stats, the run's archive) exactly as the
unit tests build them. Contenders alternate (pipelines, plain insert, pipelines, …), each round into a
fresh SQLite file; time per pipeline stage is kept too. Export: ``crawler.export.export_archive`` of the
resulting archive to each format, formats alternating. Target (issue 7): pipelines ≥ 5,000 items/s.
``main()`` returns the report as markdown.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import sqlite_utils  # noqa: E402
from scrapy.exceptions import DropItem  # noqa: E402
from scrapy.settings import Settings  # noqa: E402
from scrapy.utils.misc import load_object  # noqa: E402

from bench.common import alternate, median, ratio, table  # noqa: E402
from crawler.export import FORMATS, export_archive  # noqa: E402
from crawler.distributed.writer import PREFETCH  # noqa: E402
from crawler.ingest.batch import Batch  # noqa: E402
from crawler.ingest.clean import carried_fingerprint  # noqa: E402
from crawler.extract import extract_article  # noqa: E402
from crawler.mirror import MirrorConfig, render, statuses  # noqa: E402
from crawler.mirror.model import WEIGHTS  # noqa: E402
from crawler.sites import get_site  # noqa: E402
from crawler.storage import Archive  # noqa: E402
from pipelines.context import RunContext  # noqa: E402
from pipelines.items import ArticleItem, FetchInfo  # noqa: E402

TARGET = 5000
SEED = 13
URL = "https://www.alhadath.ps/article/{}/x"


class Stats(Counter):
    """The part of Scrapy's stats collector the pipelines use."""

    def inc_value(self, key, count=1, start=0):
        self[key] += count

    def get_value(self, key, default=None):
        return self.get(key, default)


def extracted_records(articles: int, weight: str = "real") -> list[dict]:
    config = MirrorConfig(articles=articles, seed=SEED, weight=weight)
    records = []
    for article_id, _status in statuses(config):
        page = render(config, f"/article/{article_id}/x")
        if page.status == 200 and (record := extract_article(page.body, URL.format(article_id), site="alhadath")):
            records.append(record)
    return records


def pipeline_classes() -> list[type]:
    settings = Settings()
    settings.setmodule("crawler.settings")
    ordered = sorted(settings.getdict("ITEM_PIPELINES").items(), key=lambda pair: pair[1])
    return [load_object(path) for path, _order in ordered]


def run_pipelines(records: list[dict], db: Path, stage_seconds: Counter,
                  carried: list[dict] | None = None, batched: bool = False) -> tuple[float, float]:
    """(wall, CPU) seconds to push every record through the pipeline chain into a fresh archive (commit
    included). ``carried``: each record's dedupe fingerprint made beforehand, as a crawl's extraction worker
    hands it to the writer (``crawler.ingest.clean.carried_fingerprint``): the writer-side cost alone.
    ``batched``: dedupe and store by ``crawler.ingest.batch.Batch`` (new articles' writes held back and made
    together, as the distributed writer stores its queue) instead of the last two pipelines."""
    settings = Settings()
    settings.setmodule("crawler.settings")
    from scrapy.signalmanager import SignalManager

    crawler = SimpleNamespace(settings=settings, stats=Stats(), signals=SignalManager(), spider=None)
    archive = Archive(db, batch_size=settings.getint("ARSHIF_COMMIT_EVERY"))
    run_id = archive.start_run("alhadath", command="bench", args={})
    crawler.arshif_context = RunContext(archive=archive, site=get_site("alhadath"), run_id=run_id, command="bench")
    pipelines = [(type(p).__name__, p) for p in (cls.from_crawler(crawler) for cls in pipeline_classes())]
    batch = None
    if batched:  # dedupe and store by a Batch, PREFETCH items at a time (as the distributed writer)
        assert [name for name, _ in pipelines[-2:]] == ["DedupePipeline", "StorePipeline"]
        batch = Batch(crawler.arshif_context.ingest)
        del pipelines[-2:]
    fetched_at = "2026-01-01T00:00:00+00:00"
    clock = time.perf_counter
    started, cpu_started = clock(), time.process_time()
    window: list = []
    for index, record in enumerate(records):
        item = ArticleItem(record, fetch=FetchInfo(url=record["url"], fetched_at=fetched_at),
                           carried=carried[index] if carried is not None else None)
        try:
            for name, pipeline in pipelines:
                before = clock()
                item = pipeline.process_item(item)
                stage_seconds[name] += clock() - before
        except DropItem:
            continue
        if batch is not None:
            window.append(item)
            if len(window) == PREFETCH or index == len(records) - 1:
                batch.prefetch(window)
                for ahead in window:
                    batch.record(ahead)
                window = []
    if batch is not None:
        batch.prefetch(window)
        for ahead in window:
            batch.record(ahead)
        batch.flush()
    before = clock()
    for _name, pipeline in pipelines:
        if hasattr(pipeline, "close_spider"):
            pipeline.close_spider()
    archive.close()
    stage_seconds["commit at close"] += clock() - before
    return clock() - started, time.process_time() - cpu_started


def run_plain_insert(records: list[dict], db: Path) -> tuple[float, float]:
    """The floor: the same records as rows (lists as JSON) with sqlite-utils insert_all, one transaction
    per 100 rows as the archive commits."""
    rows = [{key: json.dumps(value, ensure_ascii=False) if isinstance(value, (list, dict)) else value
             for key, value in record.items()} for record in records]
    started, cpu_started = time.perf_counter(), time.process_time()
    database = sqlite_utils.Database(db)
    database.execute("PRAGMA journal_mode=WAL")
    database.execute("PRAGMA synchronous=NORMAL")
    database["articles"].insert_all(rows, pk=("site", "article_id"), batch_size=100, replace=True)
    database.conn.close()
    return time.perf_counter() - started, time.process_time() - cpu_started


def export_rates(db: Path, work: Path, rounds: int) -> dict[str, float]:
    """Median rows/s per format; formats alternate round by round."""
    rows: dict[str, int] = {}

    def exporter(fmt: str):
        def run() -> float:
            started = time.perf_counter()
            result = export_archive(db, fmt, work / f"export.{fmt}")
            seconds = time.perf_counter() - started
            rows[fmt] = result.rows
            return result.rows / seconds
        return run

    formats = [fmt for fmt in FORMATS if fmt != "parquet" or _has_pyarrow()]
    results = alternate({fmt: exporter(fmt) for fmt in formats}, rounds)
    return {fmt: (median(rates), rows[fmt], (work / f"export.{fmt}").stat().st_size) for fmt, rates in results.items()}


def _has_pyarrow() -> bool:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=3000, help="mirror ids to extract once and push through")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--weight", choices=WEIGHTS, default="real",
                        help="page weight the items are extracted from (the records are the same for both)")
    args = parser.parse_args(argv)
    records = extracted_records(args.articles, args.weight)
    carried = [carried_fingerprint(record) for record in records]  # as the crawl's workers make them
    stage_seconds: Counter = Counter()
    with tempfile.TemporaryDirectory(prefix="arshif-bench-pipelines-") as tmp:
        work = Path(tmp)
        counter = iter(range(10**6))
        runs = alternate({
            "pipelines": lambda: run_pipelines(records, work / f"p{next(counter)}.db", stage_seconds),
            "carried": lambda: run_pipelines(records, work / f"c{next(counter)}.db", Counter(), carried),
            "batched": lambda: run_pipelines(records, work / f"b{next(counter)}.db", Counter(), carried, batched=True),
            "plain": lambda: run_plain_insert(records, work / f"i{next(counter)}.db"),
        }, args.rounds)
        archive_db = work / "p0.db"
        with Archive(archive_db) as archive:
            summary = archive.summary("alhadath")
        exports = export_rates(archive_db, work, args.rounds)
    ours, plain = (median([wall for wall, _cpu in runs[key]]) for key in ("pipelines", "plain"))
    ours_cpu, plain_cpu = (median([cpu for _wall, cpu in runs[key]]) for key in ("pipelines", "plain"))
    ours_rate, plain_rate = len(records) / ours, len(records) / plain
    writer = median([wall for wall, _cpu in runs["carried"]])
    writer_cpu = median([cpu for _wall, cpu in runs["carried"]])
    batched = median([wall for wall, _cpu in runs["batched"]])
    batched_cpu = median([cpu for _wall, cpu in runs["batched"]])
    total_stage = sum(stage_seconds.values())
    stages = ", ".join(f"{name} {seconds / total_stage:.0%}" for name, seconds in stage_seconds.most_common())
    met = "met" if ours_rate >= TARGET else "**missed**"
    out = [
        "### Pipelines alone (the storage ceiling) and export", "",
        table(["page weight", "contender", "items", "median s", "items/s", "items per CPU-second"], [
            [args.weight, "clean → validate → date window → dedupe → store (Archive)", len(records), f"{ours:.2f}",
             f"{ours_rate:,.0f}", f"{len(records) / ours_cpu:,.0f}"],
            [args.weight, "the same, fingerprints made beforehand (the writer's share with --extract-jobs ≥ 1)",
             len(records), f"{writer:.2f}", f"{len(records) / writer:,.0f}", f"{len(records) / writer_cpu:,.0f}"],
            [args.weight, "the same, new articles' writes batched (crawler.ingest.batch, as the distributed writer)",
             len(records), f"{batched:.2f}", f"{len(records) / batched:,.0f}", f"{len(records) / batched_cpu:,.0f}"],
            [args.weight, "plain sqlite-utils insert_all of the same records (floor)", len(records), f"{plain:.2f}",
             f"{plain_rate:,.0f}", f"{len(records) / plain_cpu:,.0f}"],
        ]),
        f"Pipelines: **{ours_rate:,.0f} items/s** (target ≥ {TARGET:,} — {met}); {ratio(ours, plain):.1f}× the time of "
        f"a plain insert. Archive after a run: {summary.articles:,} articles, {summary.aliases:,} exact-duplicate "
        f"aliases, {summary.near_duplicates:,} near duplicates.", "",
        f"Time by stage (all rounds): {stages}.", "",
        table(["page weight", "export format", "rows", "rows/s", "file MiB"],
              [[args.weight, fmt, f"{rows:,}", f"{rate:,.0f}", f"{size / 2**20:.1f}"] for fmt, (rate, rows, size) in exports.items()]),
        f"Items: {len(records):,} records extracted once from a {args.articles:,}-id mirror (seed {SEED}, {args.weight}-weight "
        f"pages; both weights give the same records, so the pipelines' figures hold for both) before timing. "
        f"Medians of {args.rounds} alternating rounds, each into a fresh SQLite file; export "
        f"(`crawler.export.export_archive`, in-process) of that archive, formats alternating.",
    ]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    print(main())
