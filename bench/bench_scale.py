"""Scale: `arshif backfill` of N ids against the mirror, for each N: throughput, CPU, peak RSS, DB size.

    .venv/bin/python bench/bench_scale.py [--sizes 10000,100000] [--no-warc] [--weight real|light]
    .venv/bin/python bench/bench_scale.py --articles 1000000     # the archive alone: bench/scale_synthetic.py

Each size gets its own mirror (``--articles N --weight real`` by default: 82–148 KB pages, its own process) and a fresh archive; the backfill is the
command users run (``python -m crawler backfill alhadath --ids 1-N``, WARC capture on as by default) in a
subprocess whose wall time, CPU and peak RSS come from the kernel (``bench.common.run_measured``).
Cost per article must not grow with the archive: the last row's cost is compared with the first one's.
Targets (issue 7): peak RSS ≤ 300 MB at 100,000 ids and within 1.25× of the 10,000-id run.
``main()`` returns the report as markdown.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.common import (  # noqa: E402
    db_files,
    directory_size,
    file_size,
    process_cpu,
    python_command,
    ratio,
    run_measured,
    table,
)
from crawler.mirror import MirrorConfig, MirrorProcess  # noqa: E402
from crawler.mirror.model import WEIGHTS  # noqa: E402
from crawler.storage import Archive  # noqa: E402

RSS_LIMIT_MB = 300
RSS_GROWTH_LIMIT = 1.25
SEED = 7


@dataclass
class ScaleRun:
    ids: int
    articles: int  # rows in `articles` after the run
    aliases: int
    misses: int
    wall: float
    cpu: float
    mirror_cpu: float
    peak_rss_mb: float
    db_bytes: int
    warc_bytes: int
    stopped: bool = False  # killed at --max-seconds: the figures cover what it did until then
    samples: list[tuple[float, int, float]] = field(default_factory=list)  # (seconds, articles stored, CPU s)
    weight: str = "real"  # the mirror's page weight

    @property
    def per_second(self) -> float:
        return self.articles / self.wall

    @property
    def cpu_ms_per_article(self) -> float:
        return self.cpu / self.articles * 1000

    @property
    def wall_ms_per_article(self) -> float:
        return self.wall / self.articles * 1000


def backfill(ids: int, work: Path, warc: bool = True, seed: int = SEED, max_seconds: float | None = None,
             every: float = 15.0, weight: str = "real") -> ScaleRun:
    db = work / f"scale-{ids}.db"
    samples: list[tuple[float, int, float]] = []

    def sample(elapsed: float, pid: int) -> None:
        """Articles committed and CPU used so far: the cost per article as the archive grows, in one run."""
        if db.exists() and elapsed > every:
            cpu = process_cpu(pid)
            with Archive(db) as archive:
                samples.append((elapsed, archive.summary("alhadath").articles, cpu))

    command = python_command("-m", "crawler", "backfill", "alhadath", "--ids", f"1-{ids}", "--db", str(db),
                             "--log-level", "WARNING")
    if not warc:
        command.append("--no-warc")
    with MirrorProcess.start(MirrorConfig(articles=ids, seed=seed, weight=weight)) as mirror:
        command += ["--base-url", mirror.base_url]
        mirror_before = process_cpu(mirror.process.pid)
        measured = run_measured(command, timeout=max_seconds, every=every, on_tick=sample).check(
            f"backfill of {ids:,} ids")
        mirror_cpu = process_cpu(mirror.process.pid) - mirror_before
    with Archive(db) as archive:
        summary = archive.summary("alhadath")
    return ScaleRun(
        ids=ids, articles=summary.articles, aliases=summary.aliases, misses=summary.misses, wall=measured.wall,
        cpu=measured.cpu, mirror_cpu=mirror_cpu, peak_rss_mb=measured.peak_rss_mb,
        db_bytes=file_size(*db_files(db)), warc_bytes=directory_size(work / "warc"), stopped=measured.timed_out,
        samples=samples, weight=weight,
    )


def growth(run: ScaleRun, points: int = 6) -> str:
    """Articles/s and crawler CPU ms/article over successive stretches of one run (start-up excluded: the
    first stretch begins at the first sample), labelled by the archive's size at their end."""
    marks = [*run.samples, (run.wall, run.articles, run.cpu)]
    step = max(1, len(marks) // points)
    chosen = marks[::step] if marks[-1] in marks[::step] else [*marks[::step], marks[-1]]
    return ", ".join(f"{count:,}: {(count - before) / (t - t0):.0f}/s, {(cpu - cpu0) / (count - before) * 1000:.1f} ms"
                     for (t0, before, cpu0), (t, count, cpu) in zip(chosen, chosen[1:]) if count > before)


def report(runs: list[ScaleRun], warc: bool) -> str:
    rows = [
        [r.weight, f"{r.ids:,}" + (" (stopped at the time limit)" if r.stopped else ""), f"{r.articles:,}", f"{r.aliases:,} / {r.misses:,}", f"{r.wall:.0f}", f"{r.per_second:.0f}",
         f"{r.cpu_ms_per_article:.2f}", f"{r.mirror_cpu / r.articles * 1000:.2f}", f"{r.peak_rss_mb:.0f}",
         f"{r.db_bytes / 2**20 / r.articles * 1000:.1f}",
         f"{r.warc_bytes / 2**20 / r.articles * 1000:.1f}" if warc else "off"]
        for r in runs
    ]
    out = ["### Scale: id backfill", "",
           table(["page weight", "ids", "articles stored", "aliases / misses", "wall s", "articles/s", "crawler CPU ms/article",
                  "mirror CPU ms/article", "peak RSS MiB", "DB MiB / 1,000 articles", "WARC MiB / 1,000 articles"],
                 rows)]
    small, large = runs[0], runs[-1]
    out += [f"As the archive grew ({r.ids:,} ids; archive size: articles/s, crawler CPU ms/article since the "
            f"previous point): {growth(r)}" for r in runs if r.samples] + [""]
    if len(runs) > 1:
        rss_growth = ratio(large.peak_rss_mb, small.peak_rss_mb)
        out += [f"Cost per article at {large.ids:,} vs {small.ids:,} ids: CPU "
                f"**{ratio(large.cpu_ms_per_article, small.cpu_ms_per_article):.2f}×**, wall "
                f"**{ratio(large.wall_ms_per_article, small.wall_ms_per_article):.2f}×** (1.00× = flat; the "
                f"target is that it does not grow). Peak RSS {large.peak_rss_mb:.0f} MiB vs "
                f"{small.peak_rss_mb:.0f} MiB: **{rss_growth:.2f}×** (target ≤ {RSS_GROWTH_LIMIT}×).", ""]
    if large.stopped:
        out.append(f"The {large.ids:,}-id backfill did not finish within --max-seconds: it was stopped after "
                   f"{large.wall:.0f} s with {large.articles:,} articles stored; its row covers that part.")
    elif large.ids >= 100_000:
        met = "met" if large.peak_rss_mb <= RSS_LIMIT_MB else "**missed**"
        out.append(f"Peak RSS at {large.ids:,} ids: {large.peak_rss_mb:.0f} MiB — target ≤ {RSS_LIMIT_MB} MB {met}.")
    else:
        out.append(f"The 100,000-id run was not part of this run (largest: {large.ids:,} ids); run it with "
                   "`make bench BENCH_ARGS=--full` or `bench/bench_scale.py --sizes 10000,100000`.")
    out += ["", f"One backfill per size (`arshif backfill alhadath --ids 1-N`, WARC {'on' if warc else 'off'}), each "
            "against its own mirror process (`--articles N`) into a fresh archive; sizes run one after the other, "
            "not alternated (each is one long run). CPU and peak RSS are the kernel's rusage of the crawler process."]
    return "\n".join(out) + "\n"


def parse_sizes(text: str) -> list[int]:
    return [int(part.replace("_", "")) for part in text.split(",") if part.strip()]


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated id counts, smallest first")
    parser.add_argument("--no-warc", action="store_true", help="backfill without WARC capture")
    parser.add_argument("--max-seconds", type=float, help="stop a backfill after this long; report what it did")
    parser.add_argument("--weight", choices=WEIGHTS, default="real", help="the mirror's page weight")
    parser.add_argument("--articles", type=int,
                        help="instead: a synthetic archive of this many articles (bench/scale_synthetic.py)")
    parser.add_argument("--migrate-up-to", type=int, default=100_000,
                        help="with --articles: time the lean migration at checkpoints up to this size")
    parser.add_argument("--lookups", action="store_true",
                        help="with --articles: ask what dedupe asks before each article (exact and near copies)")
    args = parser.parse_args(argv)
    if args.articles:
        from bench.scale_synthetic import run

        return run(args.articles, migrate_up_to=args.migrate_up_to, lookups=args.lookups)
    runs = []
    for ids in parse_sizes(args.sizes):
        with tempfile.TemporaryDirectory(prefix=f"arshif-scale-{ids}-") as work:
            runs.append(backfill(ids, Path(work), warc=not args.no_warc, max_seconds=args.max_seconds,
                                  weight=args.weight))
        r = runs[-1]
        print(f"  scale: {ids:,} ids: {r.articles:,} articles in {r.wall:.0f} s{' (stopped)' if r.stopped else ''}, "
              f"{r.cpu_ms_per_article:.1f} CPU ms/article, peak RSS {r.peak_rss_mb:.0f} MiB; growth: {growth(r)}",
              file=sys.stderr, flush=True)
    return report(runs, warc=not args.no_warc)


if __name__ == "__main__":
    print(main())
