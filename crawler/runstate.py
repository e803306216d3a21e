"""Runs whose process died: a ``crawl_runs`` row left "running" by ``kill -9``, a power cut or an OOM kill is
marked ``abandoned`` — with the pages it had noted and what it committed — by the next run on the archive or
by ``arshif stats``, and only when its process is truly gone:

- on this host: its pid is not alive, or is alive but started after the run did (the pid was reused);
- on another host (an archive on a shared disk), or a row without a pid (written before pids were kept):
  only when no process holds the archive's run lock (``crawler.lock``): the caller holds it (a new run) or
  could take it (``stats``).

    from crawler.runstate import abandon_dead_runs
    abandon_dead_runs(archive, lock_free=True)   # -> [(run_id, RunCounts), ...]
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

PID_REUSE_SLACK = 2.0  # seconds: a process started this long after the run's row is another process


def process_started(pid: int) -> float | None:
    """The process's start time (Unix seconds) from /proc (Linux), or None where that cannot be read."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        boot = next(float(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines()
                    if line.startswith("btime "))
    except (OSError, StopIteration, ValueError):
        return None
    ticks = int(stat.rsplit(")", 1)[1].split()[19])  # field 22, starttime, after the (comm) field
    return boot + ticks / os.sysconf("SC_CLK_TCK")


def process_alive(pid: int, started_at: str | None = None) -> bool:
    """Is the process that wrote the row (pid, at ``started_at``, ISO UTC) still running on this host?"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        pass
    began = process_started(pid)
    if began is not None and started_at:
        stamp = datetime.fromisoformat(started_at)
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=timezone.utc)
        if began > stamp.timestamp() + PID_REUSE_SLACK:
            return False
    return True


def gone(row: dict[str, Any], *, lock_free: bool, host: str | None = None) -> bool:
    if row.get("pid") and row.get("host") == (host or socket.gethostname()):
        return row["pid"] != os.getpid() and not process_alive(int(row["pid"]), row.get("started_at"))
    return lock_free


def abandon_dead_runs(archive: Any, *, lock_free: bool) -> list[tuple[int, Any]]:
    """Mark the archive's dead "running" rows abandoned; returns (run id, its counts) for each."""
    abandoned = []
    for row in archive.running_runs():
        if gone(row, lock_free=lock_free):
            where = f"pid {row['pid']} on {row['host']}" if row.get("pid") else "its process"
            counts = archive.abandon_run(row["id"], f"abandoned: {where} is gone")
            logger.warning("run %s (%s, started %s) was abandoned: %s is gone; it got %d pages, %d new articles,"
                           " %d aliases, %d misses, %d failures", row["id"], row["command"], row["started_at"],
                           where, counts.pages, counts.articles_new, counts.aliases, counts.misses, counts.failures)
            abandoned.append((row["id"], counts))
    return abandoned
