"""Export benchmark: peak memory and speed of `arshif export` on a 100,000-row archive, each format.

    .venv/bin/python bench/bench_export.py [--rows 100000] [--db /tmp/arshif-bench-100k.db]

The archive is built once (through the storage API, synthetic Arabic articles: tests/ops_archive.py) and
reused while its row count matches. Each export runs as `python -m crawler export ...` in a fresh
wrapper process; peak RSS is the kernel's high-water mark of that child (RUSAGE_CHILDREN ru_maxrss).
"""

from __future__ import annotations

import argparse
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.ops_archive import run_with_peak_rss  # noqa: E402

LIMIT_MB = 150


def ensure_archive(path: Path, rows: int) -> None:
    if path.exists():
        with sqlite3.connect(path) as conn:
            if conn.execute("select count(*) from articles").fetchone()[0] == rows:
                return
        path.unlink()
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "tests.ops_archive", str(path), str(rows)], check=True, cwd=REPO)
    print(f"built {rows:,}-row archive in {time.monotonic() - started:.0f} s ({path.stat().st_size / 1e6:,.0f} MB)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "arshif-bench-100k.db")
    args = parser.parse_args()
    ensure_archive(args.db, args.rows)
    failed = False
    print(f"{'format':8} {'peak RSS':>9} {'seconds':>8} {'rows/s':>8} {'file MB':>8}")
    with tempfile.TemporaryDirectory() as out_dir:
        for fmt in ("jsonl", "csv", "parquet"):
            out = Path(out_dir) / f"export.{fmt}"
            started = time.monotonic()
            code, peak = run_with_peak_rss(
                [sys.executable, "-m", "crawler", "export", "--db", str(args.db), "--format", fmt, "-o", str(out)],
                cwd=REPO,
            )
            seconds = time.monotonic() - started
            failed |= code != 0 or peak >= LIMIT_MB
            print(f"{fmt:8} {peak:7.1f}MB {seconds:8.1f} {args.rows / seconds:8,.0f} {out.stat().st_size / 1e6:8,.0f}")
    print(f"limit: peak RSS < {LIMIT_MB} MB — {'FAILED' if failed else 'ok'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
