"""`arshif reparse` from WARC: pages re-extracted per second (one process, one core), per page weight.

    .venv/bin/python bench/bench_reparse.py [--articles 1500] [--rounds 3] [--weights real,light]

Per page weight, an archive is built once by `arshif backfill alhadath --ids 1-N` against a mirror of that
weight (WARC capture on, as backfills do); then `arshif reparse --db …` re-extracts every stored article
from its WARC record, ``--rounds`` times (the first round and the later ones do the same work: every
record read, extracted, cleaned and compared with its stored row; unchanged rows are left as they are).
Each reparse is a subprocess (wall, CPU and peak RSS from the kernel); it is single-threaded, so pages per
CPU-second is the pace on one core. The floor beside it: reading the same WARC records as reparse reads
them and parsing them with lxml, in-process. Target (issue 15): ≥ 600 pages/s on one core. ``main()`` returns markdown.

``--jobs 1,2`` (issue 22): the same reparse with ``--jobs N`` (N extracting processes, one writer), rounds
alternated (1 2 1 2 …) so machine load hits both alike; the speed-up is the wall time of 1 job over N jobs,
shown with and without the interpreter's start-up (measured alone: ``import`` of the CLI, reparse and the
extractor). Target: ≥ 1.7× with 2 jobs. One run's ratio moved by ±0.4 on this shared 2-core machine (the
same code against itself: 1.90× and 1.51×), so with more than one ``--jobs`` value every tree runs
``max(--rounds, --job-rounds)`` rounds (default 7), and the figure judged is the **median of the rounds'
own ratios** (each round's 1-job wall over the N-job wall run right after it, the same minute's load),
shown with their range and beside the ratio of the medians (the figure before). Then one in-process
reparse per tree and N (alternated) splits its CPU between the writer process and the N workers
(``getrusage`` of self and of the waited children): the share of the work that does not split; the writer's
CPU into the stored columns' reads, the results' application, the rest of its main thread and the pool's
threads (pickling), and its wall into the wait for the first result and the main thread's idle time, beside
the workers' CPU over N (where the N-job wall loses against an even split: see ``_CPU_SPLIT``).

``--versus DIR`` (issue 22, side by side): another checkout of the project (e.g. ``git worktree add /tmp/main
main``) runs the same reparses on the same archive, rounds alternated with this tree's (this, other, this, …),
so both see the same machine load; its rows are labelled ``versus``.

``--bytecode cached|none|both``: how each tree's modules reach the interpreter. ``cached`` (the default) runs
every tree with a bytecode cache of its own (``PYTHONPYCACHEPREFIX`` under the bench's temporary directory, written
by a first start-up before any timing): what an installed copy reads (pip compiles a wheel's modules; ``make
install`` compiles the checkout's, ``make bytecode``), so the figure is the command's own work. ``none`` makes
every start compile every module it imports (an empty cache that is never written: a checkout run from source
where ``PYTHONDONTWRITEBYTECODE`` is set, as on this machine, and no ``make bytecode`` was run): ~0.25 CPU-s more
of each 930-page reparse, and more when the host is slow. ``both`` runs each tree both ways, rounds alternated,
the compiling rows labelled ``compiled at each start``. Either way a tree's own ``__pycache__`` is not read, so
two checkouts compare alike whatever either has on disk.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.common import median, python_command, run_measured, table  # noqa: E402
from crawler.mirror import MirrorConfig, MirrorProcess  # noqa: E402
from crawler.storage import Archive  # noqa: E402

TARGET = 600
SPEEDUP_TARGET = 1.7
SEED = 17


def build_archive(articles: int, weight: str, work: Path) -> tuple[Path, int]:
    db = work / f"reparse-{weight}.db"
    with MirrorProcess.start(MirrorConfig(articles=articles, seed=SEED, weight=weight)) as mirror:
        run_measured(python_command("-m", "crawler", "backfill", "alhadath", "--ids", f"1-{articles}",
                                    "--db", str(db), "--base-url", mirror.base_url, "--log-level", "WARNING",
                                    "--no-polite")).check("backfill")
    with Archive(db) as archive:
        stored = archive.summary("alhadath").articles
    return db, stored


def floor_seconds(db: Path) -> tuple[float, int]:
    """CPU seconds to read every stored article's WARC record as reparse reads it and parse it with lxml
    (what any re-extraction pays)."""
    import lxml.html

    from crawler.storage import ArticleQuery, iter_articles, open_archive
    from crawler.warc import read_response

    archive = open_archive(db)
    try:
        pointers = [row["warc_record"] for row in iter_articles(archive, ArticleQuery(with_warc=True))]
    finally:
        archive.close()
    started = time.process_time()
    for pointer in pointers:
        lxml.html.fromstring(read_response(db.parent / "warc", pointer).body)
    return time.process_time() - started, len(pointers)


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1500, help="ids backfilled into the archive")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--weights", default="real,light")
    parser.add_argument("--jobs", default="1", help="comma-separated --jobs values, e.g. 1,2 (the first is the base)")
    parser.add_argument("--job-rounds", type=int, default=7,
                        help="with several --jobs values: at least this many rounds (the speed-up's median)")
    parser.add_argument("--versus", type=Path, help="another checkout whose reparse runs alternated with this one's")
    parser.add_argument("--bytecode", choices=("cached", "none", "both"), default="cached",
                        help="each tree with a bytecode cache of its own, or compiling at every start (docstring)")
    args = parser.parse_args(argv)
    jobs = [int(j) for j in args.jobs.split(",") if j]
    checkouts = {"this tree": REPO, **({"versus": args.versus.resolve()} if args.versus else {})}
    rows, verdicts, job_rows = [], [], []
    with tempfile.TemporaryDirectory(prefix="arshif-bench-reparse-") as tmp:
        # label → (checkout, the environment its runs add)
        trees: dict[str, tuple[Path, dict[str, str]]] = {}
        for label, tree in checkouts.items():
            if args.bytecode in ("cached", "both"):
                cache = Path(tmp) / f"pycache-{len(trees)}"  # an empty value turns PYTHONDONTWRITEBYTECODE off
                trees[label] = (
                    tree, {"PYTHONPATH": str(tree), "PYTHONPYCACHEPREFIX": str(cache), "PYTHONDONTWRITEBYTECODE": ""})
            if args.bytecode in ("none", "both"):
                empty = Path(tmp) / f"pycache-{len(trees)}"  # never written: every start compiles
                empty.mkdir()
                trees[f"{label}, compiled at each start" if args.bytecode == "both" else label] = (
                    tree, {"PYTHONPATH": str(tree), "PYTHONPYCACHEPREFIX": str(empty), "PYTHONDONTWRITEBYTECODE": "1"})

        def in_tree(label: str, *command: str):
            tree, env = trees[label]
            return run_measured(python_command(*command), cwd=tree, env=env)

        start_up = ("-c", "import crawler.cli, crawler.reparse, crawler.extract")
        for label in trees:  # writes a cached tree's bytecode before anything is timed
            in_tree(label, *start_up).check("start-up")
        startups = {label: median([in_tree(label, *start_up).check("start-up").wall for _ in range(3)])
                    for label in trees}
        for weight in filter(None, args.weights.split(",")):
            work = Path(tmp) / weight
            work.mkdir()
            db, stored = build_archive(args.articles, weight, work)
            runs_of: dict[tuple[str, int], list] = {(label, j): [] for label in trees for j in jobs}
            rounds = max(args.rounds, args.job_rounds) if len(jobs) > 1 else args.rounds
            for _ in range(rounds):
                for label in trees:
                    for j in jobs:
                        runs_of[label, j].append(in_tree(label, "-m", "crawler", "reparse", "--db", str(db),
                                                         "--jobs", str(j)).check("reparse"))
            floor_cpu, floor_pages = floor_seconds(db)
            splits = {(label, j): json.loads(in_tree(label, "-c", _CPU_SPLIT, str(db), str(j)).check("cpu split").stdout)
                      for j in (jobs if len(jobs) > 1 else ()) for label in trees}
            for label in trees:
                code = "" if label == "this tree" else f" ({label})"
                runs = runs_of[label, jobs[0]]
                base_wall = median([r.wall for r in runs])
                for j in jobs:
                    j_runs = runs_of[label, j]
                    j_wall, j_cpu = median([r.wall for r in j_runs]), median([r.cpu for r in j_runs])
                    speedup = base_wall / j_wall
                    net = _less_start_up(base_wall, j_wall, startups[label])
                    # Each round's own ratio: its 1-job run and the N-job run right after it saw the same load.
                    paired = sorted(_less_start_up(one.wall, many.wall, startups[label])
                                    for one, many in zip(runs, j_runs))
                    split = splits.get((label, j))
                    job_rows.append([weight + code, str(j), f"{j_wall:.1f}", f"{stored / j_wall:.0f}",
                                     f"{stored / j_cpu:.0f}", f"{speedup:.2f}×", f"{net:.2f}×",
                                     f"**{median(paired):.2f}×** ({paired[0]:.2f}–{paired[-1]:.2f})",
                                     *(_split_cells(split, j) if split else ["—"] * 3)])
                    if j == 2:
                        met = "met" if median(paired) >= SPEEDUP_TARGET else "**missed**"
                        verdicts.append(f"- {weight} pages{code}, 2 jobs: **{median(paired):.2f}×** the wall time of 1 "
                                        f"job less start-up, the median of {len(paired)} rounds' own ratios "
                                        f"({paired[0]:.2f}–{paired[-1]:.2f}; the medians' ratio {net:.2f}×, "
                                        f"{speedup:.2f}× with start-up; target ≥ {SPEEDUP_TARGET}× — {met}).")
                wall, cpu = median([r.wall for r in runs]), median([r.cpu for r in runs])
                per_cpu = stored / cpu
                rows.append([weight + code, f"{stored:,}", f"{wall:.1f}", f"{stored / wall:.0f}", f"{per_cpu:.0f}",
                             f"{median([r.peak_rss_mb for r in runs]):.0f}",
                             f"{floor_pages / floor_cpu:.0f}" if floor_cpu else "—"])
                met = "met" if per_cpu >= TARGET else "**missed**"
                verdicts.append(f"- {weight} pages{code}: **{per_cpu:.0f} pages per CPU-second** (target ≥ {TARGET} — "
                                f"{met}); wall {stored / wall:.0f} pages/s including interpreter start-up.")
    return "\n".join([
        "### `arshif reparse` from WARC", "",
        table(["page weight", "articles", "wall s", "pages/s (wall)", "pages per CPU-second (one core)",
               "peak RSS MiB", "floor: WARC read + lxml parse, pages per CPU-second"], rows),
        *([""] + [table(["page weight", "jobs", "wall s", "pages/s (wall)", "pages per CPU-second (all processes)",
                          "speed-up (wall)", "speed-up less start-up", "rounds' own ratios less start-up: median (range)",
                          "CPU s in process: writer / workers",
                          "writer's CPU s: stored columns · apply · main's rest · pool threads",
                          "wall s in process: all · first result · writer idle · workers' CPU / jobs"], job_rows)]
          if len(jobs) > 1 else []),
        *verdicts, "",
        "Start-up (interpreter + imports, measured alone): "
        + ", ".join(f"{seconds:.2f} s ({label})" for label, seconds in startups.items()) + ".",
        f"Archive: `arshif backfill` of {args.articles:,} ids (seed {SEED}, WARC on) per weight; medians of "
        f"{max(args.rounds, args.job_rounds) if len(jobs) > 1 else args.rounds} `arshif reparse` runs per tree and "
        f"--jobs value (subprocesses, alternated; CPU from the kernel's rusage). The floor reads each "
        f"article's WARC record as reparse does (`crawler.warc.read_response`) and parses the page with "
        f"`lxml.html.fromstring`, in-process."
        + {"cached": " Bytecode: every tree ran with a bytecode cache of its own (PYTHONPYCACHEPREFIX, written before"
                     " the timed runs), as an installed copy reads its modules.",
           "none": " Bytecode: every start compiled every module it imported (an empty PYTHONPYCACHEPREFIX, never"
                   " written), as a checkout run from source with PYTHONDONTWRITEBYTECODE set and no `make bytecode`.",
           "both": " Bytecode: the rows marked 'compiled at each start' compiled every module they imported at every"
                   " start (an empty PYTHONPYCACHEPREFIX, never written: a checkout run from source with"
                   " PYTHONDONTWRITEBYTECODE set and no `make bytecode`); the others ran with a bytecode cache of"
                   " their own, written before the timed runs, as an installed copy reads its modules."}[args.bytecode],
    ]) + "\n"


def _split_cells(split: dict, jobs: int) -> list[str]:
    """The CPU split's three cells (see ``_CPU_SPLIT``): writer / workers; the writer's parts; the wall's parts
    beside the workers' CPU shared out (what the wall would be if the extraction alone split evenly)."""
    extraction = split["workers"] if jobs > 1 else split["writer"]
    return [
        f"{split['writer']:.2f} / {split['workers']:.2f}",
        f"{split['stored']:.2f} · {split['apply']:.2f} · {split['main'] - split['stored'] - split['apply']:.2f} · "
        f"{max(0.0, split['writer'] - split['main']):.2f}",
        f"{split['wall']:.2f} · {split['first']:.2f} · {split['waiting']:.2f} · {extraction / jobs:.2f}"]


def _less_start_up(base_wall: float, wall: float, start_up: float) -> float:
    """The speed-up of ``wall`` over ``base_wall`` once the interpreter's start-up is taken from both."""
    return (base_wall - start_up) / (wall - start_up) if wall > start_up else float("nan")


# One in-process reparse (argv: db, jobs), printing as JSON where its time went: the CPU seconds in this process
# ("writer": selection, stored columns, pickling, the results' application; with 1 job the extraction too) and in
# its waited children ("workers"; 0 for 1 job); of the writer's, its main thread's ("main") in the stored columns'
# reads ("stored", ``ReparseChain.stored_for``) and the results' application ("apply", ``ReparseChain.apply``) —
# the rest of the process's ("pool threads" = writer - main) is the pool's threads pickling the tasks and
# unpickling the results; the wall time ("wall"), of which the main thread spent "waiting" idle for the next
# result, and "first" before the first result came (the pool's start and the first chunk). Imports before it
# are not counted. The names are patched on the module and class, as any tree's code has them.
_CPU_SPLIT = """
import json, resource, sys, time
from pathlib import Path
import crawler.extract
import crawler.reparse as reparse_module
def cpu(who):
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime
spent = {"stored": 0.0, "apply": 0.0, "waiting": 0.0, "first": None}
def timed(name, method):
    def wrapper(*args, **kwargs):
        started = time.thread_time()
        try:
            return method(*args, **kwargs)
        finally:
            spent[name] += time.thread_time() - started
    return wrapper
chain = reparse_module.ReparseChain
chain.stored_for, chain.apply = timed("stored", chain.stored_for), timed("apply", chain.apply)
extractions = reparse_module.extractions
def watched(*args, **kwargs):
    results = extractions(*args, **kwargs)
    while True:
        wall, busy, stored = time.perf_counter(), time.thread_time(), spent["stored"]
        item = next(results, None)
        # idle: the wall time in next() less this thread's CPU in it (its stored-column reads, the submits)
        spent["waiting"] += (time.perf_counter() - wall) - (time.thread_time() - busy)
        if spent["first"] is None:
            spent["first"] = time.perf_counter() - begun
        if item is None:
            return
        yield item
reparse_module.extractions = watched
db = Path(sys.argv[1])
me, kids, main = cpu(resource.RUSAGE_SELF), cpu(resource.RUSAGE_CHILDREN), time.thread_time()
begun = time.perf_counter()
reparse_module.reparse(db, db.parent / "warc", jobs=int(sys.argv[2]))
wall = time.perf_counter() - begun
print(json.dumps({"writer": cpu(resource.RUSAGE_SELF) - me, "workers": cpu(resource.RUSAGE_CHILDREN) - kids,
                  "main": time.thread_time() - main, "wall": wall, **spent}))
"""


if __name__ == "__main__":
    print(main())
