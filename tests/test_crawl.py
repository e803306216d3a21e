"""End to end: `arshif crawl` / `arshif backfill` as subprocesses against the mirror, checked against its truth.

Every check compares the archive with `crawler.mirror.truth` (the same rows `arshif mirror truth` prints),
field by field.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo


import pytest

from crawler.errors import EXIT_INTERRUPTED, EXIT_UNREACHABLE, EXIT_USAGE
from crawler.feeds import COMMON_FEED_PATHS
from crawler.mirror import CATEGORIES
from crawler.mirror.pages import PAGE_SIZE

REPO = Path(__file__).resolve().parents[1]
HEBRON = ZoneInfo("Asia/Hebron")
FIELDS = ("url", "title", "published_at", "published_hijri", "byline_raw", "authors", "agencies", "dateline",
          "paragraphs", "category")
LIST_COLUMNS = ("authors", "agencies", "paragraphs", "images", "tags")


def arshif(*args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "crawler", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "PYTHONPATH": str(REPO)})


def ok(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr[-3000:]}"
    return result


def rows(db: Path, sql: str, params=()) -> list[dict]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute(sql, params)]


def articles(db: Path) -> dict[int, dict]:
    found = {}
    for row in rows(db, "select * from articles"):
        for key in LIST_COLUMNS:
            row[key] = json.loads(row[key])
        found[row["article_id"]] = row
    return found


def last_run(db: Path) -> dict:
    run = rows(db, "select * from crawl_runs order by id desc limit 1")[0]
    run["stats"] = json.loads(run["stats"])
    return run


def field_mismatches(stored: dict, truth: dict) -> list[str]:
    problems = [f"{truth['id']}.{key}: {stored[key]!r} != {truth[key]!r}" for key in FIELDS if stored[key] != truth[key]]
    caption = stored["images"][0]["caption"] if stored["images"] else ""
    if caption != (truth["caption"] or ""):
        problems.append(f"{truth['id']}.caption: {caption!r} != {truth['caption']!r}")
    return problems


def assert_archive_is_truth(db: Path, truth: list[dict], *, ids: set[int] | None = None) -> dict[str, int]:
    """The archive holds exactly the truth's articles (of ``ids``, default all), every field equal."""
    truth = [t for t in truth if ids is None or t["id"] in ids]
    stored = articles(db)
    aliases = {a["alias_id"]: a for a in rows(db, "select * from aliases")}
    originals = {t["id"]: t for t in truth if t["status"] == "article" and not t["exact_duplicate_of"]}
    exact = {t["id"]: t for t in truth if t["status"] == "article" and t["exact_duplicate_of"]}
    near = {t["id"]: t for t in truth if t["near_duplicate_of"]}
    assert set(stored) == set(originals), (sorted(set(originals) - set(stored))[:20], sorted(set(stored) - set(originals))[:20])
    assert {i: a["article_id"] for i, a in aliases.items()} == {i: t["exact_duplicate_of"] for i, t in exact.items()}
    for alias_id, alias in aliases.items():
        assert (alias["kind"], alias["title"], alias["published_at"]) == ("exact", exact[alias_id]["title"], exact[alias_id]["published_at"])
        assert alias["alias_url"] == exact[alias_id]["url"]
    linked = {i: row["near_duplicate_of"] for i, row in stored.items() if row["near_duplicate_of"] is not None}
    assert linked == {i: t["near_duplicate_of"] for i, t in near.items()}
    assert all(stored[i]["similarity"] >= 0.9 for i in linked)
    problems = [p for i, t in originals.items() for p in field_mismatches(stored[i], t)]
    assert not problems, problems[:10]
    count = rows(db, "select count(*) n, count(distinct site || '/' || article_id) d from articles")[0]
    assert count["n"] == count["d"]
    return {"articles": len(stored), "aliases": len(aliases), "near": len(linked)}


def test_crawl_stores_exactly_the_truth_then_stops_at_known_pages(mirror, tmp_path):
    db = tmp_path / "a.db"
    first = ok(arshif("crawl", "alhadath", "--base-url", mirror.base_url, "--db", str(db), cwd=tmp_path))
    assert "run 1: ok" in first.stdout
    truth = mirror.truth()
    counts = assert_archive_is_truth(db, truth)
    assert counts["aliases"] > 0
    soft404 = {t["id"] for t in truth if t["status"] == "soft404"}
    assert not soft404 & set(articles(db))
    run = last_run(db)
    assert (run["status"], run["failures"], run["misses"]) == ("ok", 0, 0)
    assert run["articles_new"] >= counts["articles"]  # (+ copies stored before their original turned up)

    second = ok(arshif("crawl", "alhadath", "--base-url", mirror.base_url, "--db", str(db), cwd=tmp_path))
    run = last_run(db)
    assert run["articles_new"] == 0 and run["aliases"] == 0
    assert run["stats"].get("arshif/requests/article", 0) == 0  # only listing pages were fetched
    categories = len(rows(db, "select * from listing_walks"))
    assert run["stats"]["arshif/requests/listing"] == categories  # one page per category, then it stopped
    # + the home page, the sitemap probe and the common feed paths (404 on the mirror)
    assert run["pages"] == categories + 2 + len(COMMON_FEED_PATHS)
    assert "0 new" in second.stdout
    assert_archive_is_truth(db, truth)


def test_refresh_on_a_later_day_records_versions(mirror_factory, tmp_path):
    db = tmp_path / "a.db"
    day0 = mirror_factory(articles=250, seed=3, day=0)
    ok(arshif("crawl", "alhadath", "--base-url", day0.base_url, "--db", str(db), cwd=tmp_path))
    day0.stop()
    day5 = mirror_factory(articles=250, seed=3, day=5)
    ok(arshif("crawl", "alhadath", "--base-url", day5.base_url, "--db", str(db), "--refresh", cwd=tmp_path))
    run = last_run(db)
    assert run["articles_new"] == 0 and run["aliases"] == 0  # refetched aliases are not new ones
    truth = day5.truth()
    changed = {t["id"] for t in truth if t["updated_on_day"] and not t["exact_duplicate_of"]}
    assert changed, "the mirror should update some articles by day 5"
    versions = rows(db, "select article_id, version, record from article_versions")
    assert {v["article_id"] for v in versions} == changed
    old = {t["id"]: t for t in day0.truth()}
    for version in versions:
        previous = json.loads(version["record"])
        assert version["version"] == 1
        assert (previous["title"], previous["paragraphs"]) == (old[version["article_id"]]["title"], old[version["article_id"]]["paragraphs"])
    assert_archive_is_truth(db, truth)  # the rows now hold the new state
    assert {r["article_id"] for r in rows(db, "select article_id from articles where version = 2")} == changed
    assert last_run(db)["articles_updated"] == len(changed)


def settled_ids(db: Path) -> int:
    """Ids the archive has committed as done (articles, aliases, misses); 0 before the schema exists."""
    try:
        return sum(rows(db, f"select count(*) as n from {table}")[0]["n"] for table in ("articles", "aliases", "misses"))
    except sqlite3.OperationalError:
        return 0


def test_backfill_survives_kill_9(mirror_factory, tmp_path):
    """SIGKILL at 5 seeded moments, rerun each time: exactly the truth, no duplicates, integrity ok.

    Each kill lands after a seeded number of newly committed ids (the archive is polled), not after a
    time: a fast machine cannot finish a run before its kill, a slow one cannot be killed before its
    first commit. A kill lands at its run's first commit (batches of 100 here, or fewer on the 5 s timer; the
    default is 500, which would let a run of 1,000 ids finish before its fifth kill), so 5 kills leave about
    half of the 1,000 ids to the final rerun (2,000 ids made that rerun alone take minutes on a loaded
    machine: the work, not the check, is what got smaller).
    """
    mirror = mirror_factory(articles=1000, seed=7)
    db = tmp_path / "a.db"
    command = [sys.executable, "-m", "crawler", "backfill", "alhadath", "--ids", "1-1000", "--base-url",
               mirror.base_url, "--db", str(db), "--log-level", "WARNING"]
    rng = random.Random(7)
    kills = 0
    for _ in range(5):
        before = settled_ids(db)
        target = before + rng.randint(1, 100)  # kill once this many ids are committed (batches of 100)
        process = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   env={**os.environ, "ARSHIF_COMMIT_EVERY": "100"})
        deadline = time.monotonic() + 120
        while process.poll() is None and settled_ids(db) < target and time.monotonic() < deadline:
            time.sleep(0.01)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait()
        assert rows(db, "PRAGMA integrity_check")[0]["integrity_check"] == "ok"
        print(f"kill {kills}: {settled_ids(db)} ids settled (target {target})")
    assert kills == 5, "a run finished before its kill"
    done_before = len(articles(db)) + len(rows(db, "select * from misses"))
    assert done_before > 0, "the killed runs committed nothing"
    ok(arshif("backfill", "alhadath", "--ids", "1-1000", "--base-url", mirror.base_url, "--db", str(db),
              "--log-level", "WARNING", cwd=tmp_path))
    truth = mirror.truth()
    assert_archive_is_truth(db, truth)
    aliases_ = rows(db, "select * from aliases")
    misses = {m["article_id"]: m["reason"] for m in rows(db, "select * from misses")}
    assert set(misses) == {t["id"] for t in truth if t["status"] in ("missing", "soft404")}
    assert all(misses[t["id"]] == ("soft404" if t["status"] == "soft404" else "http 404")
               for t in truth if t["id"] in misses)
    assert rows(db, "PRAGMA integrity_check")[0]["integrity_check"] == "ok"
    print(f"final: {len(articles(db))} articles, {len(aliases_)} aliases, {len(misses)} misses")
    # Nothing left to ask: a rerun fetches nothing.
    ok(arshif("backfill", "alhadath", "--ids", "1-1000", "--base-url", mirror.base_url, "--db", str(db),
              "--log-level", "WARNING", cwd=tmp_path))
    assert last_run(db)["pages"] == 0 or last_run(db)["stats"].get("arshif/requests/article", 0) == 0


def test_faults_leave_nothing_unaccounted_and_a_rerun_completes(mirror_factory, tmp_path):
    mirror = mirror_factory(articles=300, seed=11, faults="status5xx=0.25,429=0.05,drop=0.05,truncate=0.05")
    db = tmp_path / "a.db"
    ok(arshif("crawl", "alhadath", "--base-url", mirror.base_url, "--db", str(db), cwd=tmp_path))
    truth = mirror.truth()
    expected = {t["id"] for t in truth if t["status"] == "article"}
    stored = set(articles(db)) | {a["alias_id"] for a in rows(db, "select alias_id from aliases")}
    failures = rows(db, "select * from failures where resolved_at is null")
    failed_ids = {f["article_id"] for f in failures}
    assert failures, "the fault rates should make some fetches fail for good"
    assert all(f["reason"] and f["attempts"] >= 4 for f in failures)
    assert last_run(db)["stats"]["arshif/retry_after_waits"] > 0  # 429s were answered with Retry-After
    assert expected <= stored | failed_ids, sorted(expected - stored - failed_ids)
    # every stored field is right despite truncated answers
    for article_id, row in articles(db).items():
        truth_row = next(t for t in truth if t["id"] == article_id)
        assert not field_mismatches(row, truth_row)
    for _ in range(3):  # each rerun retries the open failures
        ok(arshif("crawl", "alhadath", "--base-url", mirror.base_url, "--db", str(db), cwd=tmp_path))
        if not rows(db, "select * from failures where resolved_at is null"):
            break
    assert rows(db, "select * from failures where resolved_at is null") == []
    assert_archive_is_truth(db, truth)


def test_date_window_and_max_pages(mirror, tmp_path):
    truth = [t for t in mirror.truth() if t["status"] == "article"]
    dates = sorted(t["published_at"] for t in truth)
    since, until = dates[len(dates) // 3][:10], dates[2 * len(dates) // 3][:10]
    db = tmp_path / "a.db"
    ok(arshif("crawl", "alhadath", "--base-url", mirror.base_url, "--db", str(db), "--since", since,
              "--until", until, cwd=tmp_path))
    low = datetime.fromisoformat(since + "T00:00:00").replace(tzinfo=HEBRON)
    high = datetime.fromisoformat(until + "T23:59:59").replace(tzinfo=HEBRON)
    stored = articles(db)
    outside = [r["published_at"] for r in stored.values() if not low <= datetime.fromisoformat(r["published_at"]) <= high]
    assert stored and not outside, outside
    inside = {t["id"] for t in truth if since <= t["published_at"][:10] <= until and not t["exact_duplicate_of"]}
    aliased = {a["alias_id"] for a in rows(db, "select alias_id from aliases")}
    assert inside <= set(stored) | aliased

    db2 = tmp_path / "b.db"
    ok(arshif("crawl", "alhadath", "--base-url", mirror.base_url, "--db", str(db2), "--max-pages", "1", cwd=tmp_path))
    run = last_run(db2)
    assert run["stats"]["arshif/requests/listing"] == len(CATEGORIES)  # page 1 of each, no further
    assert 0 < run["articles_new"] <= PAGE_SIZE * (len(CATEGORIES) + 1)  # listed on those pages or the home page
    assert rows(db2, "select * from listing_walks") == []  # a bounded walk is not a complete one


def test_scrapy_crawl_works_too(mirror, tmp_path):
    db = tmp_path / "s.db"
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "alhadath", "-a", f"base_url={mirror.base_url}",
         "-a", "mode=backfill", "-a", "ids=1-40", "-s", f"ARSHIF_DB={db}", "-s", "LOG_LEVEL=WARNING"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert_archive_is_truth(db, mirror.truth(), ids=set(range(1, 41)))


def test_usage_errors_and_unreachable_site(tmp_path):
    bad_ids = arshif("backfill", "alhadath", "--ids", "9-3", "--db", str(tmp_path / "a.db"), cwd=tmp_path)
    assert bad_ids.returncode == EXIT_USAGE and "9-3" in bad_ids.stderr
    bad_date = arshif("crawl", "alhadath", "--since", "someday", "--db", str(tmp_path / "a.db"), cwd=tmp_path)
    assert bad_date.returncode == EXIT_USAGE and "someday" in bad_date.stderr
    unknown = arshif("crawl", "nosuchsite", "--db", str(tmp_path / "a.db"), cwd=tmp_path)
    assert unknown.returncode == EXIT_USAGE
    down = arshif("crawl", "alhadath", "--base-url", "http://127.0.0.1:9", "--db", str(tmp_path / "a.db"),
                  "--log-level", "ERROR", cwd=tmp_path, timeout=120)
    assert down.returncode == EXIT_UNREACHABLE, down.stderr[-2000:]
    assert "nothing reachable" in down.stderr
    assert rows(tmp_path / "a.db", "select status from crawl_runs") == [{"status": "failed"}]


def id_ranges(ids: list[int]) -> str:
    """[1, 2, 3, 7] → "1-3,7"."""
    spans: list[list[int]] = []
    for article_id in sorted(ids):
        if spans and article_id == spans[-1][1] + 1:
            spans[-1][1] = article_id
        else:
            spans.append([article_id, article_id])
    return ",".join(f"{low}-{high}" if high > low else str(low) for low, high in spans)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_commits_the_batch_records_interrupted_and_exits_8(mirror_factory, tmp_path, signum):
    """A stopped backfill: exit 7, its run row says ``interrupted (shutdown)`` and counts exactly what it committed."""
    mirror = mirror_factory(articles=2000, seed=5)
    truth = mirror.truth()
    copies = {t["id"] for t in truth if t["exact_duplicate_of"]} | {t["exact_duplicate_of"] for t in truth}
    ids = id_ranges([t["id"] for t in truth if t["id"] not in copies])  # no aliases: one row per counted id
    db = tmp_path / "a.db"
    process = subprocess.Popen(
        [sys.executable, "-m", "crawler", "backfill", "alhadath", "--ids", ids, "--base-url", mirror.base_url,
         "--db", str(db), "--log-level", "WARNING", "--no-warc"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    deadline = time.monotonic() + 120
    while process.poll() is None and settled_ids(db) == 0 and time.monotonic() < deadline:
        time.sleep(0.01)  # the first batch is committed: the run is under way
    assert process.poll() is None, "the backfill ended before it could be stopped"
    process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == EXIT_INTERRUPTED, stderr[-3000:]
    assert "interrupted (shutdown)" in stdout and "rerun the same command" in stderr
    run = last_run(db)
    assert (run["status"], run["finish_reason"]) == ("interrupted", "shutdown")
    stored, misses = len(articles(db)), len(rows(db, "select * from misses"))
    assert 0 < stored + misses < len(truth) - len(copies)  # stopped midway
    assert (run["articles_new"], run["misses"], run["aliases"]) == (stored, misses, 0)
    assert rows(db, "PRAGMA integrity_check")[0]["integrity_check"] == "ok"


def test_until_skips_the_fetches_of_listing_pages_newer_than_it_and_logs_no_drops(mirror, tmp_path):
    """Listings are newest first: a page whose oldest article is newer than --until is not fetched further."""
    truth = [t for t in mirror.truth() if t["status"] == "article"]
    dates = sorted(t["published_at"] for t in truth)
    until = dates[len(dates) // 4][:10]
    db = tmp_path / "a.db"
    result = ok(arshif("crawl", "alhadath", "--base-url", mirror.base_url, "--db", str(db), "--until", until,
                       "--log-level", "WARNING", cwd=tmp_path))
    inside = {t["id"] for t in truth if t["published_at"][:10] <= until and not t["exact_duplicate_of"]}
    stored = set(articles(db))
    assert inside <= stored | {a["alias_id"] for a in rows(db, "select alias_id from aliases")}
    assert all(t["published_at"][:10] <= until for t in truth if t["id"] in stored)
    run = last_run(db)
    asked, skipped = run["stats"]["arshif/requests/article"], run["stats"]["arshif/until/skipped"]
    # Without the skip every listed article is fetched (~all 300 ids); now about the window (a quarter),
    # one probe per newer listing page and the pages that straddle --until.
    assert skipped > len(truth) // 3 and asked < 0.7 * len(truth), (asked, skipped, len(inside))
    assert len(result.stderr) < 10_000, result.stderr[-2000:]  # drops are logged at DEBUG only
    assert "Dropped" not in result.stderr
    assert run["stats"]["item_dropped_reasons_count/OutsideDateWindow"] > 0  # but counted
    assert rows(db, "select * from listing_walks") == []  # it skipped the newest: not a complete walk


def test_a_repeated_since_crawl_stops_where_the_last_one_reached(mirror, tmp_path):
    truth = [t for t in mirror.truth() if t["status"] == "article"]
    dates = sorted(t["published_at"] for t in truth)
    since = dates[3 * len(dates) // 4][:10]
    db = tmp_path / "a.db"
    ok(arshif("crawl", "alhadath", "--base-url", mirror.base_url, "--db", str(db), "--since", since, cwd=tmp_path))
    first = last_run(db)
    walks = rows(db, "select * from listing_walks")
    assert len(walks) == len(CATEGORIES) and all(w["down_to"] for w in walks)
    ok(arshif("crawl", "alhadath", "--base-url", mirror.base_url, "--db", str(db), "--since", since, cwd=tmp_path))
    again = last_run(db)
    assert again["stats"].get("arshif/requests/article", 0) == 0  # no out-of-window article fetched again
    assert again["stats"]["arshif/requests/listing"] == len(CATEGORIES) < first["stats"]["arshif/requests/listing"]
    # A walk down to a date is not a walk to the end: a crawl without --since walks on and completes the archive.
    ok(arshif("crawl", "alhadath", "--base-url", mirror.base_url, "--db", str(db), cwd=tmp_path))
    assert_archive_is_truth(db, mirror.truth())
    assert all(w["down_to"] is None for w in rows(db, "select * from listing_walks"))
