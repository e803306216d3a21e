"""Run every benchmark, print the report and write it to bench/results.md (`make bench`).

    .venv/bin/python bench/run_all.py                  # all sections, default sizes (about 10 minutes)
    .venv/bin/python bench/run_all.py --full           # + the 100,000-id backfill (~10 min) and the export benchmark
    .venv/bin/python bench/run_all.py --only crawl,scale
    .venv/bin/python bench/run_all.py --quick -o /tmp/r.md   # tiny sizes: checks the benchmarks still run

Each section runs in its own subprocess (``run_all.py --section NAME -- ARGS``: a fresh interpreter, its
own time limit), so one benchmark's memory or failure does not touch the next; a section that fails or is
missing is reported as such, with its error, and the runner exits non-zero.
"""

from __future__ import annotations

import argparse
import importlib
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.common import machine_markdown  # noqa: E402

RESULTS = REPO / "bench" / "results.md"


@dataclass
class Section:
    name: str
    title: str
    module: str  # bench/<module>.py
    args: list[str] = field(default_factory=list)
    quick_args: list[str] | None = None  # None: the section does not run in --quick mode
    full_only: bool = False
    returns_markdown: bool = True  # main() returns markdown; else its stdout is the report
    passes_argv: bool = True  # main(argv) takes the arguments; else they go in sys.argv
    timeout: float = 600


SECTIONS = [
    Section("dates", "1. Dates: crawler.dates vs dateparser", "bench_dates", passes_argv=False, quick_args=[]),
    Section("extract", "2. Extraction: extract_article vs lxml vs trafilatura", "bench_extract",
            ["--pages", "300", "--rounds", "2", "--accuracy-pages", "400"],
            quick_args=["--pages", "10", "--rounds", "1", "--accuracy-pages", "30"], timeout=1800),
    Section("templates", "2a. Learned templates per mirror family: extract_article after 50 pages vs lxml",
            "bench_templates", ["--pages", "150", "--rounds", "3"],
            quick_args=["--pages", "5", "--learn", "10", "--rounds", "1", "--families", "wordpress-unknown,slug-url"],
            timeout=1200),
    Section("realpages", "2b. Real pages of other outlets: extract_article vs trafilatura", "bench_realpages",
            ["--no-cache"], quick_args=["--source", "htmldate", "--ours-only"]),
    Section("mirror", "Mirror server (what the crawl benchmarks fetch from)", "bench_mirror",
            ["--articles", "200000", "--requests", "2000"], quick_args=["--articles", "2000", "--requests", "100"],
            returns_markdown=False, passes_argv=False),
    Section("crawl", "3. End-to-end crawl vs bare Scrapy (both page weights)", "bench_crawl",
            ["--articles", "1000", "--rounds", "3", "--weights", "real,light"],
            quick_args=["--articles", "60", "--rounds", "1", "--weights", "real"], timeout=1500),
    Section("scale", "4. Scale: id backfill (real-weight pages)", "bench_scale", ["--sizes", "2000,6000"],
            quick_args=["--sizes", "40"], timeout=1200),
    Section("pipelines", "5. Pipelines alone and export", "bench_pipelines", ["--articles", "2000", "--rounds", "3"],
            quick_args=["--articles", "60", "--rounds", "1"]),
    Section("distributed", "6. Distributed: workers, writer alone, Redis memory, 3,000-id equality",
            "bench_distributed", ["--ids", "400", "--compare", "3000"],
            quick_args=["--ids", "30", "--workers", "1,2", "--writer-items", "100", "--queue-ids", "2000"],
            timeout=2400),
    Section("reparse", "7. `arshif reparse` from WARC (both page weights)", "bench_reparse",
            ["--articles", "1000", "--rounds", "2", "--weights", "real,light", "--bytecode", "both"],
            quick_args=["--articles", "40", "--rounds", "1", "--weights", "real"], timeout=1200),
    Section("startup", "8. Start-up: CPU of short commands", "bench_startup", ["--rounds", "5", "--articles", "100"],
            quick_args=["--rounds", "1", "--articles", "12"], timeout=600),
    Section("export", "Export of a 100,000-row archive (peak RSS per format)", "bench_export", full_only=True,
            returns_markdown=False, timeout=1200),
]
# The 100,000-id backfill took 559 s on 2 cores (before the hash-lookup fix in storage: 36,118 articles in
# 25 min, slowing as the archive grew). Capped all the same so that --full always ends; a capped run is
# reported as stopped, with what it did until then.
FULL_SCALE_ARGS = ["--sizes", "10000,100000", "--max-seconds", "2400"]
FULL_SCALE_TIMEOUT = 3600


@dataclass
class Outcome:
    section: Section
    ok: bool
    seconds: float
    markdown: str


def run_section_here(module_name: str, argv: list[str], returns_markdown: bool, passes_argv: bool) -> None:
    """The body of ``--section``: import bench/<module>.py and print its report."""
    module = importlib.import_module(f"bench.{module_name}")
    if passes_argv:
        result = module.main(argv)
    else:
        sys.argv = [module.__file__, *argv]
        result = module.main()
    if returns_markdown:
        print(result)
    elif isinstance(result, int) and result:
        sys.exit(result)


def run_section(section: Section, args: list[str], timeout: float | None = None) -> Outcome:
    path = REPO / "bench" / f"{section.module}.py"
    started = time.perf_counter()
    if not path.exists():
        return Outcome(section, False, 0.0, f"**MISSING**: {path.relative_to(REPO)} does not exist.\n")
    command = [sys.executable, str(Path(__file__).resolve()), "--section", section.module,
               "--returns", "markdown" if section.returns_markdown else "stdout",
               "--argv", "yes" if section.passes_argv else "no", "--", *args]
    print(f"[bench] {section.name}: {' '.join(args) or '(defaults)'} …", file=sys.stderr, flush=True)
    timeout = timeout or section.timeout
    try:
        done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        seconds = time.perf_counter() - started
        tail = (exc.stderr or b"")[-1500:]
        tail = tail.decode(errors="replace") if isinstance(tail, bytes) else tail
        return Outcome(section, False, seconds,
                       f"**FAILED**: no result within {timeout:.0f} s.\n\n```\n{tail.strip()}\n```\n")
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        return Outcome(section, False, seconds,
                       f"**FAILED** (exit {done.returncode}):\n\n```\n{(done.stderr or done.stdout).strip()[-2500:]}\n```\n")
    text = done.stdout.strip()
    markdown = text if section.returns_markdown else f"```\n{text}\n```"
    return Outcome(section, True, seconds, _demote_headings(markdown) + "\n")


def _demote_headings(markdown: str) -> str:
    """Sections bring their own headings: ``#`` and ``##`` become ``###``, below this report's sections."""
    return "\n".join("###" + line.lstrip("#") if re.match(r"#{1,2} ", line) else line for line in markdown.splitlines())


def render(outcomes: list[Outcome], machine: str, mode: str, total: float) -> str:
    out = ["# Arshif benchmarks", "", machine, f"- Mode: {mode}; total {total / 60:.1f} min", "",
           "| section | result | minutes |", "|---|---|---|"]
    out += [f"| {o.section.title} | {'ok' if o.ok else 'FAILED / MISSING'} | {o.seconds / 60:.1f} |" for o in outcomes]
    out.append("")
    for outcome in outcomes:
        out += [f"## {outcome.section.title}", "", outcome.markdown]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a check that every benchmark runs)")
    parser.add_argument("--full", action="store_true", help="add the 100,000-id backfill and the export benchmark")
    parser.add_argument("--only", help="comma-separated sections: " + ",".join(s.name for s in SECTIONS))
    parser.add_argument("-o", "--output", type=Path, default=RESULTS, help="where to write the report")
    parser.add_argument("--section", help=argparse.SUPPRESS)
    parser.add_argument("--returns", default="markdown", help=argparse.SUPPRESS)
    parser.add_argument("--argv", default="yes", help=argparse.SUPPRESS)
    parser.add_argument("rest", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.section:
        run_section_here(args.section, args.rest, args.returns == "markdown", args.argv == "yes")
        return 0
    if args.quick and args.full:
        parser.error("--quick and --full contradict each other")
    chosen = set(args.only.split(",")) if args.only else None
    unknown = (chosen or set()) - {s.name for s in SECTIONS}
    if unknown:
        parser.error(f"unknown section(s): {', '.join(sorted(unknown))}")
    machine = machine_markdown()
    started = time.perf_counter()
    outcomes = []
    for section in SECTIONS:
        if chosen is not None and section.name not in chosen:
            continue
        if chosen is None and section.full_only and not args.full:
            continue
        full_scale = args.full and section.name == "scale"
        if args.quick:
            if section.quick_args is None:
                continue
            section_args = section.quick_args
        else:
            section_args = FULL_SCALE_ARGS if full_scale else section.args
        outcome = run_section(section, section_args, FULL_SCALE_TIMEOUT if full_scale else None)
        print(f"[bench] {section.name}: {'ok' if outcome.ok else 'FAILED'} in {outcome.seconds:.0f} s",
              file=sys.stderr, flush=True)
        outcomes.append(outcome)
    mode = "quick (tiny sizes: a smoke check, not a measurement)" if args.quick else ("full" if args.full else "default")
    report = render(outcomes, machine, mode, time.perf_counter() - started)
    print(report)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(report, encoding="utf-8")
    print(f"[bench] written to {args.output}", file=sys.stderr)
    return 0 if all(o.ok for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
