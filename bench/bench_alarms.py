"""Simulate weeks of hourly runs on the mirror and count the layout alarm's false and missed alarms.

    python bench/bench_alarms.py                  # 8 healthy weeks + 8 breaks (each after a healthy week)
    python bench/bench_alarms.py --weeks 2 --breaks 2   # quicker

Each simulated hour is a small run driven through the real code path, minus the network: the hour's new ids
(a seeded diurnal Poisson count: ~4 an hour by day, ~0.5 at night, ~55 a day as on the real site) are rendered
by the mirror (``crawler.mirror.render``: soft-404s and 404s included), read by ``extract_with_trace``,
classified by ``crawler.alarms.no_article_kind`` and counted by ``crawler.monitor.record_extraction``, then
judged by ``crawler.monitor.judge_run`` against the runs a real ``Archive`` recorded (``start_run``,
``finish_run``, ``recent_runs``). Once a day at 03:00 a ``--retry-misses`` backfill asks every miss seen so
far again (known misses: never a layout failure). From a known hour the mirror serves the ``broken`` markup.

- false alarm: an alarmed run while the layout is healthy;
- missed alarm: a break with no alarm in the 48 hours after it; delay: hours and runs with an article page
  from the break to the first alarm.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from crawler.alarms import no_article_kind  # noqa: E402
from crawler.extract import extract_with_trace  # noqa: E402
from crawler.mirror import MirrorConfig, render  # noqa: E402
from crawler.monitor import Thresholds, judge_run, record_extraction  # noqa: E402
from crawler.storage import Archive, RunCounts  # noqa: E402

SITE = "alhadath"
START_ID = 200_000  # past the mirror's last anchor: ~55 ids a day
HOURS_AFTER_BREAK = 48


class Stats(dict):
    """The two calls record_extraction makes on Scrapy's stats collector."""

    def inc_value(self, key, count=1, start=0):
        self[key] = self.get(key, start) + count


def hourly_count(rng: random.Random, hour_of_day: int) -> int:
    mean = 0.5 if hour_of_day < 6 else 4.0 if hour_of_day < 20 else 1.5  # 6×0.5 + 14×4 + 4×1.5 = 65 a day
    # Poisson by inversion (no numpy needed).
    k, p, threshold = 0, 1.0, math.exp(-mean)
    while True:
        p *= rng.random()
        if p <= threshold:
            return k
        k += 1


@dataclass
class Timeline:
    hours: int
    break_at: int | None  # the hour the layout breaks (None: healthy throughout)
    seed: int
    alarms: list[int] = field(default_factory=list)  # hours of alarmed runs
    runs_with_pages_until_alarm: int | None = None
    pages: int = 0
    runs: int = 0
    healthy_runs: int = 0  # runs while the layout was healthy


def simulate(timeline: Timeline, folder: Path, thresholds: Thresholds) -> Timeline:
    rng = random.Random(timeline.seed)
    ids_needed = timeline.hours * 5 + 100
    healthy = MirrorConfig(articles=ids_needed, seed=timeline.seed, start_id=START_ID)
    broken = MirrorConfig(articles=ids_needed, seed=timeline.seed, start_id=START_ID, markup="broken")
    archive = Archive(folder / f"sim-{timeline.seed}.db")
    next_id, misses = START_ID, set()
    runs_with_pages_after_break = 0
    try:
        for hour in range(timeline.hours):
            is_broken = timeline.break_at is not None and hour >= timeline.break_at
            config = broken if is_broken else healthy
            batches = [("crawl", list(range(next_id, next_id + hourly_count(rng, hour % 24))))]
            next_id = batches[0][1][-1] + 1 if batches[0][1] else next_id
            if hour % 24 == 3 and misses:
                batches.append(("backfill", sorted(misses)))
            for command, ids in batches:
                stats = Stats()
                for article_id in ids:
                    page = render(config, f"/article/{article_id}")
                    if page.status == 301:  # to the slugged URL, as Scrapy's redirect middleware follows it
                        page = render(config, page.headers["Location"])
                    if page.status != 200:  # 404: a miss Scrapy's errback records, never a parsed page
                        misses.add(article_id)
                        continue
                    url = f"https://www.alhadath.ps/article/{article_id}"
                    extraction = extract_with_trace(page.body, url, site=SITE)
                    if extraction is None:
                        record_extraction(stats, None, no_article_kind(
                            page.body, known_miss=command == "backfill"))
                        misses.add(article_id)
                    else:
                        record_extraction(stats, extraction)
                run_id = archive.start_run(SITE, command=command, args={})
                report = judge_run(stats, thresholds, archive.recent_runs(SITE, before_run=run_id, limit=500))
                status = "alarm" if report.alarm else "ok"
                archive.finish_run(run_id, finish_reason="finished", status=status, counts=RunCounts(), stats=stats)
                timeline.runs += 1
                timeline.healthy_runs += not is_broken
                timeline.pages += report.article_pages + report.no_article_pages
                if is_broken and report.article_pages + report.no_article_pages:
                    runs_with_pages_after_break += 1
                if report.alarm:
                    timeline.alarms.append(hour)
                    if is_broken and timeline.runs_with_pages_until_alarm is None:
                        timeline.runs_with_pages_until_alarm = runs_with_pages_after_break
    finally:
        archive.close()
    return timeline


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=8, help="healthy weeks (one timeline)")
    parser.add_argument("--breaks", type=int, default=8, help="breaks, each after a healthy week")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    thresholds = Thresholds()
    started = time.perf_counter()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        healthy = simulate(Timeline(args.weeks * 168, None, args.seed), folder, thresholds)
        breaks = [simulate(Timeline(168 + HOURS_AFTER_BREAK, 168 + rng.randrange(24), args.seed + 1 + n),
                           folder, thresholds) for n in range(args.breaks)]
    elapsed = time.perf_counter() - started
    false_alarms = len(healthy.alarms) + sum(sum(1 for h in t.alarms if h < t.break_at) for t in breaks)
    healthy_runs = healthy.healthy_runs + sum(t.healthy_runs for t in breaks)
    detected = [t for t in breaks if any(h >= t.break_at for h in t.alarms)]
    delays = [min(h for h in t.alarms if h >= t.break_at) - t.break_at for t in detected]
    runs_needed = [t.runs_with_pages_until_alarm for t in detected]
    lines = [
        f"Simulated {args.weeks} healthy weeks ({healthy.runs:,} runs, {healthy.pages:,} article-URL pages) and"
        f" {args.breaks} breaks of the layout, each after a healthy week ({sum(t.runs for t in breaks):,} runs),"
        f" in {elapsed:.0f} s (`python bench/bench_alarms.py --weeks {args.weeks} --breaks {args.breaks}"
        f" --seed {args.seed}`).",
        "",
        "| figure | value |",
        "|---|---|",
        f"| false alarms (alarmed runs on a healthy layout) | {false_alarms} of {healthy_runs:,} runs |",
        f"| missed alarms (breaks without an alarm within {HOURS_AFTER_BREAK} h) | {args.breaks - len(detected)}"
        f" of {args.breaks} |",
        f"| hours from the break to the first alarm (median / max) | "
        + (f"{statistics.median(delays):g} / {max(delays)}" if delays else "-") + " |",
        "| runs with an article page from the break to the alarm, that one included (median / max) | "
        + (f"{statistics.median(runs_needed):g} / {max(runs_needed)}" if runs_needed else "-") + " |",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(main(sys.argv[1:]))
