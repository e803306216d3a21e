"""`make fuzz`: every atheris harness for FUZZ_SECONDS each; prints executions and crashes per harness.

    python fuzz/run_all.py --seconds 60 [--only dates,xml]

A crash input lands in tests/fuzz_regressions/<name>-crash-<sha1> (replayed by `make test`); the exit
status is 1 when any harness crashed. Scratch corpora go to a temporary directory, seeds stay in
fuzz/corpus/<name>/.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REGRESSIONS = ROOT / "tests" / "fuzz_regressions"
NAMES = ("extract", "dates", "bylines", "xml")


def run(name: str, seconds: int, scratch: Path) -> dict:
    corpus = scratch / name
    corpus.mkdir(parents=True, exist_ok=True)
    before = set(REGRESSIONS.glob(f"{name}-*"))
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, str(ROOT / "fuzz" / "run.py"), name, f"-max_total_time={seconds}",
         f"-artifact_prefix={REGRESSIONS}/{name}-", "-rss_limit_mb=3072", "-timeout=20", "-print_final_stats=1",
         str(corpus), str(ROOT / "fuzz" / "corpus" / name)],
        cwd=ROOT, capture_output=True, text=True, errors="replace",
    )
    log = result.stderr
    runs = re.findall(r"stat::number_of_executed_units:\s*(\d+)", log) or re.findall(r"Done (\d+) runs", log)
    executions = int(runs[-1]) if runs else max((int(n) for n in re.findall(r"^#(\d+)", log, re.M)), default=0)
    crashes = sorted(set(REGRESSIONS.glob(f"{name}-*")) - before)
    return {"name": name, "executions": executions, "crashes": [p.name for p in crashes],
            "seconds": round(time.monotonic() - started, 1), "exit": result.returncode,
            "tail": "\n".join(log.splitlines()[-25:]) if result.returncode else ""}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--only", default=",".join(NAMES))
    args = parser.parse_args()
    REGRESSIONS.mkdir(parents=True, exist_ok=True)
    failed = False
    with tempfile.TemporaryDirectory(prefix="arshif-fuzz-") as scratch:
        for name in args.only.split(","):
            report = run(name, args.seconds, Path(scratch))
            crashed = bool(report["crashes"]) or report["exit"] != 0
            failed |= crashed
            print(f"fuzz {name}: {report['executions']:,} executions in {report['seconds']}s, "
                  f"{len(report['crashes'])} crashes" + (f" → {', '.join(report['crashes'])}" if report["crashes"] else ""),
                  flush=True)
            if crashed and report["tail"]:
                print(report["tail"], file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
