"""End-to-end crawl: `arshif crawl alhadath` (extraction, all pipelines, a fresh SQLite archive) against a bare
Scrapy spider that follows the same links and parses nothing (bench/bare_spider.py), on the same mirror.

    .venv/bin/python bench/bench_crawl.py [--articles 2000] [--rounds 3] [--weights real,light] [--stock]
                                          [--extract-jobs 0,auto]

Per page weight (``real``: 82–148 KB article pages, ``light``: ~8 KiB), one mirror process serves every run, warmed by
one unmeasured bare crawl (the server renders a page once: every measured crawl meets the same server). The contenders alternate (ours, bare, ours, bare, …), each crawl a
subprocess with the same Scrapy settings (our spider's for a loopback site: no delay, no AutoThrottle, no
robots.txt, the same concurrency — CONCURRENT_ITEMS included — and extensions); wall time, CPU and peak RSS
are the kernel's figures for the crawler process. ``--stock`` adds a third contender: the bare spider with
Scrapy's own defaults for everything but politeness and request concurrency.
``--extract-jobs`` (comma-separated, default ``0,auto``): one "ours" contender per value of
``arshif crawl --extract-jobs`` (``auto``: one fewer than the cores, passed as a number: the crawl's own default
is 0, in process, so leaving the option out would measure that twice); with worker processes, "CPU"
adds the workers' own CPU (their ``arshif/extract/worker_cpu_s`` stat: per page, measured in the worker)
to the crawl process's, so CPU per article stays comparable.
``--versus DIR`` (side by side): another checkout of the project (e.g. main, ``git archive main | tar -x -C
/tmp/main``) runs the same "ours" crawls from its own tree, alternated with this tree's and the bare spider's
on the same mirror, so load hits all alike; its rows are labelled ``versus``.
Target (issue 7): our throughput ≥ 0.7× the bare spider's. ``main()`` returns the report as markdown.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.common import alternate, median, process_cpu, python_command, ratio, run_measured, table  # noqa: E402
from crawler import settings as project_settings  # noqa: E402
from crawler.mirror import MirrorConfig, MirrorProcess  # noqa: E402
from crawler.statkeys import EXTRACT_WORKER_CPU  # noqa: E402
from crawler.storage import Archive  # noqa: E402
from spiders.base import IMPOLITE_SETTINGS  # noqa: E402

TARGET = 0.7
SEED = 11
# The bare spider runs with what our spider runs with against a loopback mirror: like with like. (Both
# CONCURRENT_ITEMS and the extensions we switch off make any spider cheaper per response.)
STOCK_SETTINGS = {
    **IMPOLITE_SETTINGS,
    "TWISTED_REACTOR": project_settings.TWISTED_REACTOR,
    "USER_AGENT": project_settings.USER_AGENT,
    "DOWNLOAD_TIMEOUT": project_settings.DOWNLOAD_TIMEOUT,
}
BARE_SETTINGS = {
    **STOCK_SETTINGS,
    "CONCURRENT_ITEMS": project_settings.CONCURRENT_ITEMS,
    # The extensions our crawl leaves out (it drops them from EXTENSIONS_BASE, which imports nothing), switched
    # off as a Scrapy project usually does: None in EXTENSIONS (Scrapy then still imports them: aiohttp).
    "EXTENSIONS": {name: None for name in project_settings.scrapy_extensions_off},
}


def auto_jobs() -> int:
    """``--extract-jobs auto``: one fewer than the cores (``ARSHIF_EXTRACT_JOBS = -1``), none on one core."""
    from crawler.middlewares.extractpool import extract_jobs

    return extract_jobs(-1)


@dataclass
class CrawlRun:
    article_pages: int
    wall: float
    cpu: float
    peak_rss_mb: float
    mirror_cpu: float

    @property
    def per_second(self) -> float:
        return self.article_pages / self.wall

    @property
    def cpu_per_1000(self) -> float:
        return self.cpu / self.article_pages * 1000


class Contenders:
    def __init__(self, mirror: MirrorProcess, work: Path) -> None:
        self.mirror = mirror
        self.work = work
        self.runs = 0

    def _measure(self, command: list[str], what: str, tree: Path = REPO):
        before = process_cpu(self.mirror.process.pid)
        measured = run_measured(command, cwd=tree, env={"PYTHONPATH": str(tree)}).check(what)
        return measured, process_cpu(self.mirror.process.pid) - before

    def ours(self, jobs: str = "auto", tree: Path = REPO) -> CrawlRun:
        """`arshif crawl` as ``tree``'s code runs it (``--versus``: another checkout)."""
        self.runs += 1
        db = self.work / f"ours-{self.runs}.db"
        jobs_option = ["--extract-jobs", str(auto_jobs() if jobs == "auto" else int(jobs))]
        measured, mirror_cpu = self._measure(
            python_command("-m", "crawler", "crawl", "alhadath", "--base-url", self.mirror.base_url,
                           "--db", str(db), "--log-level", "WARNING", "--no-polite", *jobs_option),
            "arshif crawl", tree)
        with Archive(db) as archive:
            summary = archive.summary("alhadath")
            stats = archive.runs(limit=1)[0]["stats"]
        # Article pages fetched: stored, stored as an alias of another, or recorded as a miss (soft 404).
        pages = summary.articles + summary.aliases + summary.misses
        worker_cpu = float(stats.get(EXTRACT_WORKER_CPU, 0.0))
        return CrawlRun(pages, measured.wall, measured.cpu + worker_cpu, measured.peak_rss_mb, mirror_cpu)

    def bare(self, settings: dict = BARE_SETTINGS) -> CrawlRun:
        measured, mirror_cpu = self._measure(
            python_command(str(REPO / "bench" / "bare_spider.py"), "--base-url", self.mirror.base_url,
                           "--settings", json.dumps(settings)),
            "bare Scrapy spider")
        counts = json.loads(measured.stdout.strip().splitlines()[-1])
        return CrawlRun(counts["article_pages"], measured.wall, measured.cpu, measured.peak_rss_mb, mirror_cpu)

    def stock(self) -> CrawlRun:
        return self.bare(STOCK_SETTINGS)


def jobs_label(key: str) -> str:
    jobs = key.split(" ", 1)[1]
    return f"auto ({auto_jobs()})" if jobs == "auto" else jobs


def report(by_weight: dict[str, dict[str, list[CrawlRun]]], articles: int, rounds: int) -> str:
    names = {"bare": "bare Scrapy spider (parses nothing)",
             "stock": "bare Scrapy spider, Scrapy's defaults (CONCURRENT_ITEMS 100, all extensions)"}
    rows = []
    verdicts = []
    for weight, runs in by_weight.items():
        medians = {}
        ours = [key for key in runs if key.startswith(("ours", "versus"))]
        labels = {key: f"arshif crawl --extract-jobs {jobs_label(key)} (extract + pipelines + SQLite)"
                       + (" (versus)" if key.startswith("versus") else "") for key in ours}
        for key, label in {**labels, **names}.items():
            if key not in runs:
                continue
            got = runs[key]
            medians[key] = {
                "per_second": median([r.per_second for r in got]),
                "cpu_per_1000": median([r.cpu_per_1000 for r in got]),
                "rss": median([r.peak_rss_mb for r in got]),
            }
            rows.append([weight, label, "/".join(str(r.article_pages) for r in got),
                         f"{median([r.wall for r in got]):.1f}", f"{medians[key]['per_second']:.0f}",
                         f"{medians[key]['cpu_per_1000']:.1f}",
                         f"{median([r.mirror_cpu / r.article_pages * 1000 for r in got]):.1f}",
                         f"{medians[key]['rss']:.0f}"])
        for key in ours:
            throughput = ratio(medians[key]["per_second"], medians["bare"]["per_second"])
            cpu = ratio(medians[key]["cpu_per_1000"], medians["bare"]["cpu_per_1000"])
            met = "met" if throughput >= TARGET else "**missed**"
            verdicts.append(
                f"- {weight} pages, --extract-jobs {jobs_label(key)}{' (versus)' if key.startswith('versus') else ''}:"
                f" throughput ours / bare "
                f"**{throughput:.2f}×** (target ≥ {TARGET}× — {met}); CPU per article ours / bare **{cpu:.1f}×**; "
                f"peak RSS ours / bare {ratio(medians[key]['rss'], medians['bare']['rss']):.2f}×.")
            if "stock" in medians:
                verdicts.append(
                    f"- {weight} pages, --extract-jobs {jobs_label(key)}, against the stock bare spider: "
                    f"throughput ours / stock **{ratio(medians[key]['per_second'], medians['stock']['per_second']):.2f}×**;"
                    f" CPU per article {ratio(medians[key]['cpu_per_1000'], medians['stock']['cpu_per_1000']):.1f}×.")
    return "\n".join([
        "### End-to-end crawl vs a bare Scrapy spider", "",
        table(["page weight", "crawler", "article pages (each round)", "wall s", "articles/s",
               "CPU s / 1,000 articles", "mirror CPU s / 1,000", "peak RSS MiB"], rows),
        *verdicts, "",
        f"Per page weight, a mirror of {articles:,} ids (one process for all runs, its pages rendered by one unmeasured "
        f"bare crawl first), medians of {rounds} alternating rounds (ours, bare, "
        f"ours, bare …); each crawl a fresh subprocess (ours into a fresh SQLite file) with CONCURRENT_REQUESTS "
        f"{IMPOLITE_SETTINGS['CONCURRENT_REQUESTS']}, CONCURRENT_ITEMS {BARE_SETTINGS['CONCURRENT_ITEMS']}, no delay, "
        "no AutoThrottle; wall includes interpreter start-up.",
    ]) + "\n"


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000, help="ids the mirror serves (all are crawled)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--weights", default="real,light", help="mirror page weights, one section each")
    parser.add_argument("--stock", action="store_true", help="also run the bare spider with Scrapy's defaults")
    parser.add_argument("--extract-jobs", default="0,auto",
                        help="ours once per value of arshif crawl --extract-jobs (auto: cores − 1)")
    parser.add_argument("--versus", type=Path, help="another checkout whose crawls run alternated with this one's")
    args = parser.parse_args(argv)
    by_weight = {}
    for weight in filter(None, args.weights.split(",")):
        with tempfile.TemporaryDirectory(prefix="arshif-bench-crawl-") as work, \
                MirrorProcess.start(MirrorConfig(articles=args.articles, seed=SEED, weight=weight)) as mirror:
            contenders = Contenders(mirror, Path(work))
            # One crawl, not measured, before the rounds: the mirror's server renders each page once and keeps it
            # (crawler.mirror.server), so without this the first contender of round 1 alone would pay its
            # rendering (~1.4 ms a real-weight page, ~1.4 CPU-s per 1,000 on the core the crawlers share).
            contenders.bare()
            runners = {}
            for jobs in filter(None, args.extract_jobs.split(",")):
                runners[f"ours {jobs}"] = lambda jobs=jobs: contenders.ours(jobs)
                if args.versus:
                    runners[f"versus {jobs}"] = lambda jobs=jobs: contenders.ours(jobs, args.versus.resolve())
            runners["bare"] = contenders.bare
            if args.stock:
                runners["stock"] = contenders.stock
            by_weight[weight] = alternate(runners, args.rounds)
    return report(by_weight, args.articles, args.rounds)


if __name__ == "__main__":
    print(main())
