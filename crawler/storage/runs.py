"""``RunLog``: the ``crawl_runs`` rows and the archive's totals — the part of ``Archive`` that records runs.

A mixin of ``crawler.storage.archive.Archive`` (it uses the archive's connection and transaction rhythm).
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Mapping
from typing import Any

from crawler.storage.records import RUN_STATUSES, RunCounts, utc_now


class RunLog:
    # -- runs ----------------------------------------------------------------------------------

    def start_run(
        self, spider: str, *, command: str, args: Mapping[str, Any], settings: Mapping[str, Any] | None = None
    ) -> int:
        """A row for this run (status "running"), committed at once so it shows even after a crash, with its
        provenance: the software versions and ``settings``, the settings that change results
        (``crawler.provenance.result_settings``)."""
        from crawler.provenance import software

        self._begin()
        self.flush()  # committed with the row
        run_id = self._run_row_written("insert", {
            "spider": spider,
            "command": command,
            "args": json.dumps(dict(args), ensure_ascii=False, default=str),
            "started_at": utc_now(),
            "status": "running",
            "pid": os.getpid(),
            "host": socket.gethostname(),
            **software(),
            "settings": json.dumps(dict(settings or {}), ensure_ascii=False, default=str, sort_keys=True),
        })
        self.commit()
        return int(run_id)

    def _run_row_written(self, verb: str, values: dict[str, Any], run_id: int | None = None) -> int:
        """The ``crawl_runs`` row inserted (its id) or updated with ``values`` (plain text, numbers or None),
        as sqlite_utils' ``insert`` / ``update`` write it inside the open transaction; in plain SQL, so that a
        run needs no sqlite_utils (``crawler.storage.migrating``: part of a reparse's start-up).
        Other values (sqlite_utils writes a list as JSON …), and an update that finds no row (its error,
        ``NotFoundError``), are left to sqlite_utils."""
        if any(not isinstance(value, (str, int, float, type(None))) for value in values.values()):
            table = self.db["crawl_runs"]
            return table.insert(values).last_pk if verb == "insert" else table.update(run_id, values).last_pk
        columns = ", ".join(f"[{name}]" for name in values)
        if verb == "insert":
            marks = ", ".join("?" * len(values))
            return self.conn.execute(f"insert into crawl_runs ({columns}) values ({marks})",
                                     list(values.values())).lastrowid
        sets = ", ".join(f"[{name}] = ?" for name in values)
        if self.conn.execute(f"update crawl_runs set {sets} where id = ?", [*values.values(), run_id]).rowcount != 1:
            self.db["crawl_runs"].update(run_id, values)
        return run_id

    def finish_run(
        self,
        run_id: int,
        *,
        finish_reason: str,
        status: str,
        counts: RunCounts,
        stats: Mapping[str, Any] | None = None,
    ) -> None:
        if status not in RUN_STATUSES:
            raise ValueError(f"unknown run status {status!r}")
        self._begin()
        self.flush()  # committed with the row
        self._run_row_written("update", {
            "finished_at": utc_now(),
            "finish_reason": finish_reason,
            "status": status,
            **counts.__dict__,
            "stats": json.dumps(dict(stats or {}), ensure_ascii=False, default=str),
        }, run_id)
        self.commit()

    def note_run_progress(self, run_id: int, pages: int) -> None:
        """How far a running run got (pages fetched), written with the open batch: what an abandoned run's
        row keeps of it when its process dies."""
        self._begin()
        self.db.execute("update crawl_runs set pages = ? where id = ?", [pages, run_id])
        self._wrote(0)  # committed with the batch, or on time when nothing else is written

    def running_runs(self) -> list[dict[str, Any]]:
        """Rows still "running": live runs, or runs whose process died (``crawler.runstate`` tells which)."""
        return self.rows("select id, spider, command, started_at, pid, host, pages from crawl_runs"
                         " where status = 'running' order by id")

    def abandon_run(self, run_id: int, why: str) -> RunCounts:
        """Mark a run whose process is gone ``abandoned``, with what it committed (and the pages it noted)."""
        self._begin()
        self.flush()
        row = self.get_run(run_id) or {}
        counts = RunCounts(pages=int(row.get("pages") or 0), **self.committed_run_counts(run_id))
        self.db["crawl_runs"].update(run_id, {"finished_at": utc_now(), "finish_reason": why,
                                              "status": "abandoned", **counts.__dict__})
        self.commit()
        return counts

    def set_run_status(self, run_id: int, status: str) -> None:
        if status not in RUN_STATUSES:
            raise ValueError(f"unknown run status {status!r}")
        self._begin()
        self.db.execute("update crawl_runs set status = ? where id = ?", [status, run_id])
        self.commit()

    def set_alarm_reason(self, run_id: int, reason: str | None) -> None:
        """Why the quality monitor raised an alarm on a run (its status is set by ``finish_run``)."""
        self._begin()
        self.db.execute("update crawl_runs set alarm_reason = ? where id = ?", [reason, run_id])
        self._wrote()

    def recent_runs(self, spider: str, *, before_run: int | None = None,
                    limit: int = 20) -> list[tuple[str, dict[str, Any]]]:
        """(status, Scrapy stats) of the latest finished runs of ``spider`` (status ok or alarm) before run
        ``before_run``, newest first: the quality monitor's baseline and the layout alarm's history."""
        rows = self.rows(
            "select status, stats from crawl_runs where spider = ? and id < ? and status in ('ok', 'alarm')"
            " and stats is not null order by id desc limit ?",
            [spider, before_run if before_run is not None else 2**62, limit],
        )
        return [(row["status"], json.loads(row["stats"])) for row in rows]

    def committed_run_counts(self, run_id: int) -> dict[str, int]:
        """What run ``run_id`` left in the archive, counted from the rows themselves (committed writes only):
        a run whose last batch was rolled back (disk full, kill -9) reports what it really stored."""
        def count(sql: str) -> int:
            return int(self.db.execute(sql, [run_id]).fetchone()[0])

        return {
            "articles_new": count("select count(*) from articles where first_run_id = ?"),
            # of those, near duplicates (linked at insert, or later in the run when an older copy arrived)
            "near_duplicates": count(
                "select count(*) from articles where first_run_id = ? and near_duplicate_of is not null"),
            "articles_updated": count(
                "select count(distinct site || ' ' || article_id) from article_versions where replaced_by_run_id = ?"
            ),
            "aliases": count("select count(*) from aliases where run_id = ?"),
            "misses": count("select count(*) from misses where run_id = ?"),
            "failures": count("select count(*) from failures where run_id = ?"),
        }

    # -- incidents (crawler.notify) ------------------------------------------------------------

    def open_incident(self, site: str) -> dict[str, Any] | None:
        """The site's open incident (an alarm or failure not yet followed by a healthy run), if any."""
        rows = self.rows("select * from incidents where site = ? and closed_at is null order by id desc limit 1",
                         [site])
        return rows[0] if rows else None

    def start_incident(self, site: str, kind: str, reason: str, run_id: int) -> int:
        self._begin()
        incident_id = self.db["incidents"].insert(
            {"site": site, "kind": kind, "reason": reason, "opened_run_id": run_id, "opened_at": utc_now(),
             "last_run_id": run_id, "runs": 1}
        ).last_pk
        self.commit()
        return int(incident_id)

    def continue_incident(self, incident_id: int, run_id: int) -> None:
        self._begin()
        self.db.execute("update incidents set last_run_id = ?, runs = runs + 1 where id = ?", [run_id, incident_id])
        self.commit()

    def close_incident(self, incident_id: int, run_id: int) -> None:
        self._begin()
        self.db.execute("update incidents set closed_run_id = ?, closed_at = ? where id = ?",
                        [run_id, utc_now(), incident_id])
        self.commit()

    def integrity_check(self) -> str:
        return self.db.execute("PRAGMA integrity_check").fetchone()[0]
