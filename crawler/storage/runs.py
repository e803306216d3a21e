"""``RunLog``: the ``crawl_runs`` rows and the archive's totals — the part of ``Archive`` that records runs.

A mixin of ``crawler.storage.archive.Archive`` (it uses the archive's connection and transaction rhythm).
"""

from __future__ import annotations

import json
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
        self.flush()  # sqlite-utils commits the open batch with the row
        run_id = self.db["crawl_runs"].insert(
            {
                "spider": spider,
                "command": command,
                "args": json.dumps(dict(args), ensure_ascii=False, default=str),
                "started_at": utc_now(),
                "status": "running",
                **software(),
                "settings": json.dumps(dict(settings or {}), ensure_ascii=False, default=str, sort_keys=True),
            }
        ).last_pk
        self.commit()
        return int(run_id)

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
        self.flush()  # sqlite-utils commits the open batch with the row
        self.db["crawl_runs"].update(
            run_id,
            {
                "finished_at": utc_now(),
                "finish_reason": finish_reason,
                "status": status,
                **counts.__dict__,
                "stats": json.dumps(dict(stats or {}), ensure_ascii=False, default=str),
            },
        )
        self.commit()

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

    def recent_run_stats(self, spider: str, *, before_run: int | None = None, limit: int = 20) -> list[dict[str, Any]]:
        """The Scrapy stats of the latest finished runs of ``spider`` (status ok or alarm) before run
        ``before_run``, newest first: the quality monitor's baseline."""
        rows = self.rows(
            "select stats from crawl_runs where spider = ? and id < ? and status in ('ok', 'alarm')"
            " and stats is not null order by id desc limit ?",
            [spider, before_run if before_run is not None else 2**62, limit],
        )
        return [json.loads(row["stats"]) for row in rows]

    def committed_run_counts(self, run_id: int) -> dict[str, int]:
        """What run ``run_id`` left in the archive, counted from the rows themselves (committed writes only):
        a run whose last batch was rolled back (disk full, kill -9) reports what it really stored."""
        def count(sql: str) -> int:
            return int(self.db.execute(sql, [run_id]).fetchone()[0])

        return {
            "articles_new": count("select count(*) from articles where first_run_id = ?"),
            "articles_updated": count(
                "select count(distinct site || ' ' || article_id) from article_versions where replaced_by_run_id = ?"
            ),
            "aliases": count("select count(*) from aliases where run_id = ?"),
            "misses": count("select count(*) from misses where run_id = ?"),
            "failures": count("select count(*) from failures where run_id = ?"),
        }

    def integrity_check(self) -> str:
        return self.db.execute("PRAGMA integrity_check").fetchone()[0]
