"""Start-up of the commands: CPU seconds of short `arshif` runs, where imports are most of the cost.

    .venv/bin/python bench/bench_startup.py [--rounds 5] [--articles 100] [--versus /tmp/main]

Each command is a fresh subprocess (CPU and peak RSS from the kernel), run ``--rounds`` times; with ``--versus
DIR`` (another checkout, e.g. ``git archive main | tar -x -C /tmp/main``) the same command runs from that tree
too, alternated with this tree's (this, other, this, …), so both see the same machine load. The commands:
``arshif --help`` (lists every command), ``crawl --help``, ``stats`` and ``reparse`` of a small archive (a
backfill of ``--articles`` ids of a real-weight mirror, WARC on: every page unchanged), and a crawl of a
``--articles``-id mirror (a cron run's size: its start-up is most of it). ``main()`` returns markdown.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.common import median, python_command, run_measured, table  # noqa: E402
from crawler.mirror import MirrorConfig, MirrorProcess  # noqa: E402

SEED = 17


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--articles", type=int, default=100, help="ids of the small archive and of the crawl")
    parser.add_argument("--versus", type=Path, help="another checkout whose runs alternate with this one's")
    args = parser.parse_args(argv)
    trees = {"this tree": REPO, **({"versus": args.versus.resolve()} if args.versus else {})}

    def in_tree(tree: Path, *command: str):
        return run_measured(python_command("-m", "crawler", *command), cwd=tree,
                            env={"PYTHONPATH": str(tree)}).check(" ".join(command[:2]))

    with tempfile.TemporaryDirectory(prefix="arshif-bench-startup-") as tmp, \
            MirrorProcess.start(MirrorConfig(articles=args.articles, seed=SEED, weight="real")) as mirror:
        work = Path(tmp)
        db = work / "small.db"
        in_tree(REPO, "backfill", "alhadath", "--ids", f"1-{args.articles}", "--db", str(db), "--base-url",
                mirror.base_url, "--log-level", "WARNING", "--no-polite")
        crawls = iter(range(10**6))
        commands = {
            "arshif --help": lambda: ["--help"],
            "arshif crawl --help": lambda: ["crawl", "--help"],
            "arshif stats (small archive)": lambda: ["stats", "--db", str(db)],
            f"arshif reparse ({args.articles} ids, unchanged)": lambda: ["reparse", "--db", str(db)],
            f"arshif crawl of a {args.articles}-id mirror": lambda: [
                "crawl", "alhadath", "--base-url", mirror.base_url, "--db", str(work / f"crawl-{next(crawls)}.db"),
                "--log-level", "WARNING", "--no-polite"],
        }
        runs: dict[tuple[str, str], list] = {(name, label): [] for name in commands for label in trees}
        for _ in range(args.rounds):
            for name, command in commands.items():
                for label, tree in trees.items():
                    runs[name, label].append(in_tree(tree, *command()))
    rows = []
    for name in commands:
        cpu = {label: median([r.cpu for r in runs[name, label]]) for label in trees}
        row = [name, *(f"{cpu[label]:.2f}" for label in trees)]
        if args.versus:
            row.append(f"{cpu['versus'] - cpu['this tree']:+.2f}")
        row.append(f"{median([r.peak_rss_mb for r in runs[name, 'this tree']]):.0f}")
        rows.append(row)
    header = ["command", *(f"CPU s ({label})" for label in trees),
              *(["CPU s saved (versus − this tree)"] if args.versus else []), "peak RSS MiB (this tree)"]
    return "\n".join([
        "### Start-up: CPU of short commands", "",
        table(header, rows), "",
        f"Medians of {args.rounds} runs each (fresh subprocesses, user + system CPU from the kernel), trees "
        f"alternated; the archive: `arshif backfill` of {args.articles} real-weight ids (seed {SEED}, WARC on).",
    ]) + "\n"


if __name__ == "__main__":
    print(main())
