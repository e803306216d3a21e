"""Scrapy's own feed is the dataset (issue 21 item 7): ``scrapy crawl alhadath -O items.jsonl`` writes the
stored articles, exact copies marked as aliases of the story they repeat, and nothing else."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.test_crawl import REPO, rows


def test_the_scrapy_feed_holds_exactly_the_archives_articles_and_marked_aliases(mirror, tmp_path):
    db, feed = tmp_path / "s.db", tmp_path / "items.jsonl"
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "alhadath", "-a", f"base_url={mirror.base_url}",
         "-s", f"ARSHIF_DB={db}", "-s", "LOG_LEVEL=WARNING", "-O", str(feed)],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    lines = [json.loads(line) for line in feed.read_text(encoding="utf-8").splitlines()]
    last = {}  # read in order: the last line of an id says what it is (a copy stored first, then demoted)
    for line in lines:
        assert line["site"] == "alhadath" and isinstance(line["article_id"], int) and line["url"]
        last[line["article_id"]] = line
    feed_articles = {i for i, line in last.items() if "alias_of" not in line}
    feed_aliases = {i: line["alias_of"] for i, line in last.items() if "alias_of" in line}

    stored = {r["article_id"] for r in rows(db, "select article_id from articles")}
    aliases = {r["alias_id"]: r["article_id"] for r in rows(db, "select alias_id, article_id from aliases")}
    assert feed_articles == stored and feed_aliases == aliases
    assert aliases, "the mirror has exact copies: they must show in the feed as aliases"
    # Full records for the stored articles (and the exact copies), as the archive holds them.
    titles = {r["article_id"]: r["title"] for r in rows(db, "select article_id, title from articles")}
    assert all(last[i]["title"] == titles[i] and last[i]["paragraphs"] for i in stored)
    # Misses and failures stay in the archive: no line is anything but an article or an alias.
    truth = mirror.truth()
    not_articles = {t["id"] for t in truth if t["status"] != "article"}
    assert not not_articles & set(last)
    assert len(lines) == len(stored) + len(aliases) + sum(
        1 for i in aliases if sum(1 for line in lines if line["article_id"] == i) == 2)
