"""The stats a real crawl reports: the quality monitor's per-page counters (batched in the spider) are whole."""

from __future__ import annotations

import json
import subprocess
import sys

from crawler.errors import EXIT_OK
from crawler.mirror import statuses
from crawler.storage import Archive


def test_a_backfills_page_counters_match_what_it_stored(mirror_factory, tmp_path):
    # 250 ids: two batches of 100 pages merged during the run and a tail merged when the spider closes, before
    # the monitor judges and the owner records crawl_runs.stats.
    site = mirror_factory(articles=250)
    db = tmp_path / "a.db"
    result = subprocess.run([sys.executable, "-m", "crawler", "backfill", "alhadath", "--ids", "1-250",
                             "--base-url", site.base_url, "--db", str(db), "--no-warc"],
                            capture_output=True, text=True, timeout=240)
    assert result.returncode == EXIT_OK, result.stderr[-3000:]
    kinds = [status for _id, status in statuses(site.config)]
    with Archive(db) as archive:
        [run] = archive.rows("select stats from crawl_runs")
        summary = archive.summary("alhadath")
    stats = json.loads(run["stats"])
    assert stats["arshif/pages/article"] == summary.articles + summary.aliases == kinds.count("article")
    assert stats["arshif/pages/no_article"] == stats["arshif/pages/no_article/not_found"] == kinds.count("soft404")
    assert stats["arshif/field/title/found"] == stats["arshif/pages/article"]
    assert stats["arshif/field/paragraphs/found"] == stats["arshif/pages/article"]
    assert "quality ok" in result.stderr
