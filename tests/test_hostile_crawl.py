"""Hostile web against the mirror subprocess (issue 12): each hazard of `arshif mirror --hazards` met by a real
`arshif crawl`/`backfill` subprocess, with its required outcome in the archive.

Crawls that are redirected off-site run inside a loopback-only network namespace (`unshare -n`), so even
a bug cannot send a packet anywhere but loopback.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bench.common import Measured
from bench.common import run_measured as measure
from crawler.errors import EXIT_UNREACHABLE
from crawler.mirror import hazards as H
from tests.test_crawl import REPO, arshif, ok, rows


def run_measured(*args: str, cwd: Path, timeout: float = 300) -> tuple[Measured, float, float]:
    """Run `arshif ARGS`; also return its peak RSS (MB, the kernel's high-water mark) and wall time (s)."""
    result = measure([sys.executable, "-m", "crawler", *args], cwd=cwd, timeout=timeout, env={"PYTHONPATH": str(REPO)})
    return result, result.peak_rss_mb, result.wall


def failures(db: Path) -> dict[int, dict]:
    return {row["article_id"]: row for row in rows(db, "select * from failures where resolved_at is null")}


def outcome_of(db: Path, article_id: int) -> list[str]:
    """Every table that holds a row for ``article_id``: exactly one is the rule."""
    found = []
    for table, column in (("articles", "article_id"), ("aliases", "alias_id"), ("misses", "article_id"),
                          ("failures", "article_id")):
        extra = " and resolved_at is null" if table == "failures" else ""
        if rows(db, f"select 1 from {table} where {column} = ?{extra}", (article_id,)):
            found.append(table)
    return found


def hazard_id(mirror, name: str, index: int = 0) -> int:
    return next(i for i, hazard in H.hazard_ids(mirror.config).items() if hazard == (name, index))


# --- 1. robots.txt ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("hazard, why", [("robots503", "robots.txt answered 503"),
                                         ("robotsdrop", "robots.txt unreachable")])
def test_robots_error_fetches_nothing_and_exits_4(mirror_factory, tmp_path, hazard, why):
    mirror = mirror_factory(articles=60, hazards=hazard)
    db = tmp_path / "a.db"
    result = arshif("crawl", "alhadath", "--base-url", mirror.base_url, "--db", str(db), "--polite", cwd=tmp_path)
    assert result.returncode == EXIT_UNREACHABLE, result.stderr[-2000:]
    assert why in result.stderr and "RFC 9309" in result.stderr
    assert rows(db, "select count(*) n from articles")[0]["n"] == 0
    found = {row["url"]: row["reason"] for row in rows(db, "select * from failures")}
    assert "https://www.alhadath.ps/" in found  # the home page (and the sitemap probe): nothing was fetched
    assert all(reason.startswith("robots: ") and why in reason for reason in found.values()), found
    assert rows(db, "select status from crawl_runs")[0]["status"] == "failed"


def test_robots_4xx_allows_everything(mirror_factory, tmp_path):
    mirror = mirror_factory(articles=20, hazards="robots404")
    db = tmp_path / "a.db"
    ok(arshif("backfill", "alhadath", "--ids", "1-4", "--base-url", mirror.base_url, "--db", str(db), "--polite",
              "--no-warc", cwd=tmp_path))
    truth = {t["id"]: t["status"] for t in mirror.truth()}
    for article_id in range(1, 5):
        assert len(outcome_of(db, article_id)) == 1 and "failures" not in outcome_of(db, article_id), truth[article_id]


# --- 2. bombs and oversize bodies ------------------------------------------------------------------------

def test_gzip_bomb_and_huge_page_are_too_large_failures_in_bounded_memory(mirror_factory, tmp_path):
    mirror = mirror_factory(articles=30, hazards="bomb,huge")
    bomb, huge = hazard_id(mirror, "bomb"), hazard_id(mirror, "huge")
    db = tmp_path / "a.db"
    result, peak_mb, _ = run_measured("backfill", "alhadath", "--ids", f"25-{huge}", "--base-url", mirror.base_url,
                                      "--db", str(db), "--no-warc", cwd=tmp_path)
    ok(result)
    found = failures(db)
    for article_id in (bomb, huge):
        assert found[article_id]["reason"].startswith("too large: "), found[article_id]
        assert outcome_of(db, article_id) == ["failures"]  # a failure, never a miss: asked again next run
    # The bomb inflates to 2 GiB and the page is 60 MB; the cap is 16 MiB.
    assert peak_mb < 400, f"peak RSS {peak_mb:.0f} MB"
    for article_id in range(25, 31):
        assert len(outcome_of(db, article_id)) == 1


# --- 3. hung and trickling servers -----------------------------------------------------------------------

def test_hung_and_trickling_servers_end_in_timeout_times_attempts(mirror_factory, tmp_path):
    mirror = mirror_factory(articles=10, hazards="hang,trickle")
    hang, trickle = hazard_id(mirror, "hang"), hazard_id(mirror, "trickle")
    db = tmp_path / "a.db"
    result, _, elapsed = run_measured("backfill", "alhadath", "--ids", f"9-{trickle}", "--base-url",
                                      mirror.base_url, "--db", str(db), "--no-warc", "--timeout", "1.5", cwd=tmp_path)
    ok(result)
    found = failures(db)
    for article_id in (hang, trickle):
        assert found[article_id]["reason"].startswith("timeout: "), found[article_id]
        assert found[article_id]["attempts"] == 4  # RETRY_TIMES = 3
    # 1.5 s × 4 attempts = 6 s; both in parallel. Scrapy's start-up and a loaded machine add some.
    assert elapsed < 40, elapsed


# --- 4. redirect loops and the self-redirect with a cookie -----------------------------------------------

def test_redirect_loops_fail_and_the_cookie_page_is_stored(mirror_factory, tmp_path):
    mirror = mirror_factory(articles=40, hazards="loop,selfredirect-cookie")
    growing, bounce = hazard_id(mirror, "loop", 0), hazard_id(mirror, "loop", 1)
    cookie = H.cookie_article(mirror.config)
    db = tmp_path / "a.db"
    ok(arshif("crawl", "alhadath", "--base-url", mirror.base_url, "--db", str(db), "--max-pages", "1",
              cwd=tmp_path))
    found = failures(db)
    assert found[growing]["reason"].startswith("redirect loop: ") and "more than 10 redirects" in found[growing]["reason"]
    assert found[bounce]["reason"].startswith("redirect loop: ") and "came back" in found[bounce]["reason"]
    # scrapy/scrapy#1225: the dupe filter used to drop the redirect back to the same URL (no row at all).
    assert outcome_of(db, cookie) == ["articles"]
    stored = rows(db, "select title from articles where article_id = ?", (cookie,))[0]
    assert stored["title"] == next(t for t in mirror.truth() if t["id"] == cookie)["title"]


# --- 5. off-site and non-HTTP redirects, in a loopback-only namespace ------------------------------------

NETNS_SCRIPT = textwrap.dedent("""
    import json, subprocess, sys, sqlite3
    from crawler.mirror import MirrorConfig, MirrorProcess, hazards as H
    with MirrorProcess.start(MirrorConfig(articles=10, hazards="offsite,offsite-private")) as mirror:
        ids = sorted(H.hazard_ids(mirror.config))
        run = subprocess.run([sys.executable, "-m", "crawler", "backfill", "alhadath", "--ids",
                              f"{ids[0] - 1}-{ids[-1]}", "--base-url", mirror.base_url, "--db", sys.argv[1],
                              "--no-warc"], capture_output=True, text=True, timeout=120)
    rows = sqlite3.connect(sys.argv[1]).execute("select article_id, reason from failures").fetchall()
    print(json.dumps({"exit": run.returncode, "stderr": run.stderr[-3000:], "failures": dict(rows)}))
""")


def loopback_only(*command: str) -> subprocess.CompletedProcess:
    if shutil.which("unshare") is None or subprocess.run(["unshare", "-n", "true"]).returncode != 0:
        pytest.skip("needs `unshare -n` (root): off-site redirects are only crawled in a loopback-only namespace")
    shell = "ip link set lo up && exec " + " ".join(f"'{part}'" for part in command)
    return subprocess.run(["unshare", "-n", "sh", "-c", shell], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(REPO)})


def test_offsite_and_non_http_redirects_are_refused_failures(tmp_path):
    script = tmp_path / "offsite.py"
    script.write_text(NETNS_SCRIPT)
    result = loopback_only(sys.executable, str(script), str(tmp_path / "a.db"))
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["exit"] == 0, report["stderr"]
    found = {int(k): v for k, v in report["failures"].items()}
    assert len(found) == len(H.OFFSITE_TARGETS) + len(H.PRIVATE_TARGETS)
    reasons = sorted(found.values())
    assert all(r.startswith("off-site redirect: ") for r in reasons), reasons
    assert sum("another host (offsite.invalid)" in r for r in reasons) == 1
    assert sum("non-HTTP URL (file:)" in r for r in reasons) == 1 and sum("(data:)" in r for r in reasons) == 1
    # From a loopback mirror, 169.254.169.254 and 10.0.0.1 are other hosts (from a real site: private).
    assert sum("169.254.169.254" in r for r in reasons) == 1 and sum("10.0.0.1" in r for r in reasons) == 1


# --- Retry-After: rescheduled, not slept on inside the downloader (issue 10) ------------------------------

def test_retry_after_waits_do_not_stall_other_requests(mirror_factory, tmp_path):
    # Ids 1-40 answer 429 "Retry-After: 10" once: more than the 32 download slots of a loopback crawl. Had
    # each waited inside the downloader, nothing else would move for 10 s; rescheduled, ids 41-80 are all
    # stored before the first retry comes back.
    mirror = mirror_factory(articles=80, hazards="retry-after")
    db = tmp_path / "a.db"
    ok(arshif("backfill", "alhadath", "--ids", "1-80", "--base-url", mirror.base_url, "--db", str(db),
              "--no-warc", cwd=tmp_path))
    seen = {row["article_id"]: row["first_seen_at"] for row in rows(db, "select article_id, first_seen_at from articles")}
    settled = {row["article_id"] for row in rows(db, "select article_id from misses union select alias_id from aliases")}
    assert set(seen) | settled == set(range(1, 81))
    assert not failures(db)
    waited = [seen[i] for i in seen if i <= H.RETRY_AFTER_IDS]
    others = [seen[i] for i in seen if i > H.RETRY_AFTER_IDS]
    assert max(others) < min(waited), (max(others), min(waited))
    stats = json.loads(rows(db, "select stats from crawl_runs")[0]["stats"])
    assert stats["arshif/retry_after_waits"] == H.RETRY_AFTER_IDS


# --- 6. endless pagination -------------------------------------------------------------------------------

def test_endless_pagination_ends_on_its_own(mirror_factory, tmp_path):
    # /category/N/.../page/K answers the last page again, with a "next" link, for every K past the end.
    from crawler.mirror import CATEGORIES
    from crawler.mirror import model as M
    from crawler.mirror.pages import PAGE_SIZE

    mirror = mirror_factory(articles=200, hazards="endless-pages")
    db = tmp_path / "a.db"
    ok(arshif("crawl", "alhadath", "--base-url", mirror.base_url, "--db", str(db), cwd=tmp_path, timeout=120))
    stats = json.loads(rows(db, "select stats from crawl_runs")[0]["stats"])
    pages = {c.id: -(-len(M.category_ids(mirror.config, c.id)) // PAGE_SIZE) for c in CATEGORIES}
    # Each walk reads its real pages and one repeat of the last (/page/K, K > 1, has the endless "next"
    # link), then stops: the repeat brings no id it had not seen.
    assert stats["arshif/requests/listing"] == sum(n + 1 if n > 1 else n for n in pages.values()), (stats, pages)
    assert stats["arshif/listings/stopped_no_new_ids"] == sum(1 for n in pages.values() if n > 1)
    for record in mirror.truth():  # a crawl reaches what listings link: every article
        if record["status"] == "article":
            assert len(outcome_of(db, record["id"])) == 1, record["id"]
    # The walks ended on their own: complete, so the next run stops at known pages.
    assert len(rows(db, "select * from listing_walks")) == sum(1 for n in pages.values() if n)


# --- 7 and feeds: RSS discovery, XML bombs and external entities ----------------------------------------

def test_feed_discovery_finds_articles_the_listings_did_not_reach(mirror_factory, tmp_path):
    mirror = mirror_factory(articles=300, hazards="feed")
    db = tmp_path / "a.db"
    ok(arshif("crawl", "alhadath", "--base-url", mirror.base_url, "--db", str(db), "--max-pages", "1",
              cwd=tmp_path, timeout=120))
    stats = json.loads(rows(db, "select stats from crawl_runs")[0]["stats"])
    assert stats["arshif/feeds/read"] == 1  # announced by <link rel="alternate"> and at /rss/news.xml: once
    # The feed reaches back past page 1 of each section (the only listing pages read with --max-pages 1).
    assert stats["arshif/feeds/articles"] > 10
    for article_id in H.feed_ids(mirror.config):
        assert len(outcome_of(db, article_id)) == 1, article_id
    assert not rows(db, "select * from failures")


def test_xml_bomb_sitemap_and_xxe_feed_are_failures_not_expanded(mirror_factory, tmp_path):
    mirror = mirror_factory(articles=60, hazards="sitemap-bomb,feed-xxe")
    db = tmp_path / "a.db"
    result, peak_mb, _ = run_measured("crawl", "alhadath", "--base-url", mirror.base_url, "--db", str(db),
                                      cwd=tmp_path)
    ok(result)
    found = {row["url"]: row["reason"] for row in rows(db, "select url, reason from failures")}
    assert found == {"https://www.alhadath.ps/sitemap.xml": "bad xml: declares a DTD (entities are refused in "
                                                            "sitemaps and feeds)",
                     "https://www.alhadath.ps/rss/news.xml": "bad xml: declares a DTD (entities are refused in "
                                                             "sitemaps and feeds)"}
    assert "root:" not in result.stderr and "root:x:0" not in json.dumps(rows(db, "select * from articles"))
    for record in mirror.truth():  # the crawl itself went on
        if record["status"] == "article":
            assert len(outcome_of(db, record["id"])) == 1, record["id"]
    assert peak_mb < 400
