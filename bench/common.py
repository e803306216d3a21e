"""Shared helpers for the benchmarks: the machine, alternating rounds, measured subprocesses, medians.

    from bench.common import alternate, machine_markdown, run_measured, median, ratio

- ``alternate({"ours": f, "bare": g}, rounds=3)`` runs the contenders A B A B … and returns each one's
  results in order (medians and ratios then come from ``median`` / ``ratio``).
- ``run_measured(cmd)`` runs one subprocess and returns its wall time, CPU seconds (user + system) and
  peak RSS: the kernel's own figures for that child (``os.wait4`` rusage), exact rather than polled.
- ``machine_markdown()`` is the header every report starts with: date, CPU model and cores, load,
  Python, SQLite and the versions of the packages that do the work.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("scrapy", "twisted", "parsel", "lxml", "dateparser", "sqlite-utils", "trafilatura", "pyarrow",
            "psutil")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def package_versions(names: Sequence[str] = PACKAGES) -> dict[str, str]:
    versions = {}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def machine_markdown() -> str:
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    packages = ", ".join(f"{name} {version}" for name, version in package_versions().items())
    return "\n".join([
        f"- Date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {cpu_model()}, {os.cpu_count()} logical cores, {platform.system()} {platform.release()}; "
        f"load average at start {load}",
        f"- Python {platform.python_version()} ({platform.python_implementation()}), SQLite {sqlite3.sqlite_version}",
        f"- Packages: {packages}",
    ]) + "\n"


# --- statistics -------------------------------------------------------------------------------------------

def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else float("nan")


def alternate(contenders: Mapping[str, Callable[[], Any]], rounds: int) -> dict[str, list[Any]]:
    """Run every contender once per round, in the same order each round (A B A B …), so that drifting
    load on a shared machine hits each of them alike. Returns each contender's results, round by round."""
    results: dict[str, list[Any]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, run in contenders.items():
            results[name].append(run())
    return results


# --- measured subprocesses --------------------------------------------------------------------------------

@dataclass
class Measured:
    """One finished subprocess: what it cost and what it said."""

    returncode: int
    wall: float  # seconds
    cpu: float  # user + system seconds of the process (and the children it waited for)
    peak_rss_mb: float  # kernel high-water mark of resident memory (MiB)
    stdout: str
    stderr: str
    timed_out: bool = False  # killed at the time limit

    def check(self, what: str) -> Measured:
        if self.returncode != 0 and not self.timed_out:
            raise RuntimeError(f"{what} exited with {self.returncode}: {self.stderr.strip()[-1500:]}")
        return self


def run_measured(command: Sequence[str], *, cwd: Path = REPO, timeout: float | None = None,
                 env: Mapping[str, str] | None = None, every: float = 10.0,
                 on_tick: Callable[[float, int], None] | None = None) -> Measured:
    """Run ``command`` to its end (or kill it after ``timeout`` seconds: ``Measured.timed_out``); wall
    time, CPU and peak RSS come from the kernel (``wait4`` rusage). ``on_tick(elapsed, pid)`` is called
    every ``every`` seconds meanwhile (e.g. to sample progress).

    Output goes to temporary files (a pipe left unread could stall a chatty crawler).
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(list(command), cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                   env={**os.environ, **(env or {})})
        deadline = None if timeout is None else started + timeout
        next_tick = started + every
        timed_out = False
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            now = time.perf_counter()
            if deadline is not None and now > deadline:
                process.kill()
                pid, status, usage = os.wait4(process.pid, 0)
                timed_out = True
                break
            if on_tick is not None and now >= next_tick:
                on_tick(now - started, process.pid)
                next_tick = now + every
            time.sleep(0.02)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped here: keep Popen from waiting again
        out.seek(0)
        err.seek(0)
        return Measured(
            returncode=process.returncode,
            wall=wall,
            cpu=usage.ru_utime + usage.ru_stime,
            peak_rss_mb=usage.ru_maxrss / 1024,  # KiB on Linux
            stdout=out.read().decode(errors="replace"),
            stderr=err.read().decode(errors="replace"),
            timed_out=timed_out,
        )


def python_command(*args: str) -> list[str]:
    """``python -m crawler ...`` and friends with the interpreter running the benchmark (the venv's)."""
    return [sys.executable, *args]


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a live process has used so far: e.g. the mirror between two points."""
    import psutil

    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def directory_size(path: Path) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file()) if Path(path).exists() else 0


def file_size(*paths: Path) -> int:
    """Bytes of the files that exist among ``paths`` (a DB with its -wal/-shm companions)."""
    return sum(p.stat().st_size for p in paths if p.exists())


def db_files(db: Path) -> list[Path]:
    return [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"
