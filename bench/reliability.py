"""`make reliability`: every hazard class of issue 12 against the mirror, one summary line, a JSON report.

    python bench/reliability.py [-o bench/reliability-report.json]

Each class runs real `arshif crawl`/`backfill` subprocesses against `arshif mirror --hazards ...` (the
off-site class inside `unshare -n`, a loopback-only network namespace) and checks the archive: every
article URL asked for ends as exactly one of stored / alias / miss / failure ("lost" counts those with no
row, "duplicates" those with more than one), stored articles are whole ("partial": no title or no
paragraph, or runs whose summaries count more new articles than the archive holds as articles and
aliases), `PRAGMA integrity_check` passes,
and the peak RSS of every crawl process is read (the kernel's high-water mark, wait4). It ends with one line:

    N faults across K classes: 0 lost, 0 duplicates, 0 partial, integrity ok, peak RSS X MB

A class that cannot run here is reported as skipped (and not counted in K). Needs no ../shared.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import Measured, run_measured  # noqa: E402
from crawler.mirror import MirrorConfig, MirrorProcess, truth  # noqa: E402
from crawler.mirror import hazards as H  # noqa: E402
from crawler.mirror import model as M  # noqa: E402
from crawler.text import clean_text  # noqa: E402

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


class Checks:
    def __init__(self) -> None:
        self.classes: list[dict] = []
        self.peak_mb = 0.0
        self.lost: list = []
        self.duplicates: list = []
        self.partial: list = []
        self.integrity: list = []
        self.audited = 0

    def run(self, *args: str, cwd: Path, timeout: float = 600) -> tuple[Measured, float]:
        """`arshif ARGS` with its peak RSS (the kernel's high-water mark); returns (result, seconds)."""
        result = run_measured([sys.executable, "-m", "crawler", *args], cwd=cwd, timeout=timeout, env=ENV)
        self.peak_mb = max(self.peak_mb, result.peak_rss_mb)
        return result, result.wall

    def audit(self, db: Path, asked: set[int], label: str) -> dict[int, list[str]]:
        """Outcome tables per asked id; records lost, duplicated and partial ones, and integrity."""
        conn = sqlite3.connect(db)
        try:
            outcomes: dict[int, list[str]] = {i: [] for i in asked}
            self.audited += len(asked)
            for table, column, extra in (("articles", "article_id", ""), ("aliases", "alias_id", ""),
                                         ("misses", "article_id", ""),
                                         ("failures", "article_id", " and resolved_at is null")):
                for (article_id,) in conn.execute(f"select {column} from {table} where {column} is not null{extra}"):
                    if article_id in outcomes:
                        outcomes[article_id].append(table)
            self.lost += [(label, i) for i, found in outcomes.items() if not found]
            self.duplicates += [(label, i, found) for i, found in outcomes.items() if len(found) > 1]
            for article_id, title, paragraphs in conn.execute("select article_id, title, paragraphs from articles"):
                if not title or not json.loads(paragraphs or "[]"):
                    self.partial.append((label, article_id, "no title or no paragraph"))
            # A stored article may later become an alias (a lower id with the same story arrives): count both.
            held = conn.execute("select (select count(*) from articles) + (select count(*) from aliases)").fetchone()[0]
            claimed = conn.execute("select coalesce(sum(articles_new), 0) from crawl_runs").fetchone()[0]
            if claimed > held:
                self.partial.append((label, None, f"runs claim {claimed} new articles, the archive holds {held} "
                                                  "articles and aliases"))
            check = conn.execute("pragma integrity_check").fetchone()[0]
            if check != "ok":
                self.integrity.append((label, check))
            return outcomes
        finally:
            conn.close()

    def record(self, name: str, faults: int, ok: bool, detail: str, **figures) -> None:
        self.classes.append({"class": name, "faults": faults, "ok": ok, "detail": detail, **figures})
        print(f"  {'ok  ' if ok else 'FAIL'} {name}: {detail}", flush=True)

    def skip(self, name: str, why: str) -> None:
        self.classes.append({"class": name, "skipped": why})
        print(f"  skip {name}: {why}", flush=True)


def failures(db: Path) -> dict[int, str]:
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("select article_id, reason from failures where article_id is not null and "
                                 "resolved_at is null"))


def urls_failed(db: Path) -> dict[str, str]:
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("select url, reason from failures where resolved_at is null"))


def articles_ids(config: MirrorConfig) -> set[int]:
    return {t["id"] for t in truth(config) if t["status"] == M.ARTICLE}


def mixed_crawl(c: Checks, work: Path) -> None:
    """Classes 2, 3, 4, 6, 7, 8 and feeds in one crawl of a 300-id mirror, then a rerun."""
    hazards = "bomb,huge,hang,trickle,loop,selfredirect-cookie,endless-pages,feed,sitemap-bomb,hostile-strings"
    config = MirrorConfig(articles=300, hazards=hazards)
    db = work / "mixed.db"
    ids = H.hazard_ids(config)
    by_name = {name: i for i, (name, index) in ids.items() if index == 0}
    with MirrorProcess.start(config) as mirror:
        result, seconds = c.run("crawl", "alhadath", "--base-url", mirror.base_url, "--db", str(db), "--timeout", "2",
                                "--log-level", "WARNING", cwd=work)
        rerun, _ = c.run("crawl", "alhadath", "--base-url", mirror.base_url, "--db", str(db), "--timeout", "2",
                         "--log-level", "WARNING", cwd=work)
    asked = articles_ids(config) | set(ids)
    c.audit(db, asked, "mixed")
    found, by_url = failures(db), urls_failed(db)
    ran = result.returncode == 0 and rerun.returncode == 0
    tail = "" if ran else f" (exit {result.returncode}/{rerun.returncode}: {result.stderr[-300:]})"

    too_large = [found.get(by_name[n], "") for n in ("bomb", "huge")]
    c.record("2 decompression bombs and oversize bodies", 2, ran and all(r.startswith("too large") for r in too_large),
             f"2 GiB gzip bomb and 60 MB page → {too_large[0][:40]!r}, {too_large[1][:40]!r}{tail}")
    timeouts = [found.get(by_name[n], "") for n in ("hang", "trickle")]
    c.record("3 hung and trickling servers", 2, ran and all(r.startswith("timeout") for r in timeouts),
             f"--timeout 2 × 4 attempts; the whole first run took {seconds:.0f}s → {timeouts[0][:30]!r}",
             seconds=round(seconds, 1))
    loops = [found.get(i, "") for i, (n, _) in ids.items() if n == "loop"]
    cookie = H.cookie_article(config)
    with sqlite3.connect(db) as conn:
        cookie_stored = conn.execute("select count(*) from articles where article_id = ?", (cookie,)).fetchone()[0]
    c.record("4 redirect loops and the cookie self-redirect", 3,
             ran and all(r.startswith("redirect loop") for r in loops) and cookie_stored == 1,
             f"growing query and A→B→A → redirect loop failures; self-redirect with a cookie stored: {bool(cookie_stored)}")
    with sqlite3.connect(db) as conn:
        stats = json.loads(conn.execute("select stats from crawl_runs order by id limit 1").fetchone()[0])
    listing = stats.get("arshif/requests/listing", 0)
    expected = sum(n + 1 if n > 1 else n for n in
                   (-(-len(M.category_ids(config, cat.id)) // 20) for cat in M.CATEGORIES))
    c.record("6 endless pagination", 1, ran and listing == expected,
             f"/page/N answers the last page for every N: {listing} listing requests (the real pages + one repeat "
             f"each: {expected}), walk ended on its own")
    bad = by_url.get("https://www.alhadath.ps/sitemap.xml", "")
    c.record("7 XML bomb and entities in sitemaps and feeds", 1, ran and bad.startswith("bad xml: declares a DTD"),
             f"billion-laughs sitemap → {bad!r}")
    c.record("feeds: RSS discovery", 1, ran and stats.get("arshif/feeds/read") == 1
             and stats.get("arshif/feeds/articles", 0) > 0,
             f"feed announced by <link rel=alternate> read once, {stats.get('arshif/feeds/articles', 0)} articles "
             "found through it")
    hostile_ok, detail = hostile_strings(c, db, by_name["hostile-strings"], work)
    c.record("8 hostile strings", 1, ran and hostile_ok, detail)


def hostile_strings(c: Checks, db: Path, article_id: int, work: Path) -> tuple[bool, str]:
    with sqlite3.connect(db) as conn:
        row = conn.execute("select title, paragraphs from articles where article_id = ?", (article_id,)).fetchone()
        tables = {name for (name,) in conn.execute("select name from sqlite_master where type = 'table'")}
    if row is None:
        return False, "the hostile article was not stored"
    title_ok = row[0] == clean_text(H.HOSTILE_TITLE)
    body_ok = json.loads(row[1])[0] == clean_text(H.HOSTILE_PARAGRAPH)
    exported = {}
    for fmt in ("jsonl", "csv"):
        out = work / f"hostile.{fmt}"
        result, _ = c.run("export", "--db", str(db), "--format", fmt, "-o", str(out), cwd=work)
        exported[fmt] = result.returncode == 0 and clean_text(H.HOSTILE_TITLE) in exported_titles(out, fmt)
    schema_ok = {"articles", "aliases", "misses", "failures", "crawl_runs"} <= tables
    ok = title_ok and body_ok and all(exported.values()) and schema_ok
    return ok, (f"SQL, quotes, ], a leading '=', a 200 KB line: stored equal after the project's text cleaning "
                f"(which drops U+202E): title {title_ok}, body {body_ok}; exports {exported}; schema intact {schema_ok}")


def exported_titles(path: Path, fmt: str) -> set[str]:
    import csv

    with open(path, encoding="utf-8-sig", newline="") as handle:
        if fmt == "jsonl":
            return {json.loads(line)["title"] for line in handle if line.strip()}
        csv.field_size_limit(10**8)
        return {row["title"] for row in csv.DictReader(handle)}


def robots(c: Checks, work: Path) -> None:
    results = []
    for hazard in ("robots503", "robotsdrop"):
        db = work / f"{hazard}.db"
        with MirrorProcess.start(MirrorConfig(articles=60, hazards=hazard)) as mirror:
            result, _ = c.run("crawl", "alhadath", "--base-url", mirror.base_url, "--db", str(db), "--polite",
                              "--log-level", "WARNING", cwd=work)
        with sqlite3.connect(db) as conn:
            stored = conn.execute("select count(*) from articles").fetchone()[0]
        results.append((hazard, result.returncode, stored, result.stderr.strip().splitlines()[-1][:120]))
        c.audit(db, set(), hazard)
    db = work / "robots404.db"
    with MirrorProcess.start(MirrorConfig(articles=20, hazards="robots404")) as mirror:
        allowed, _ = c.run("backfill", "alhadath", "--ids", "1-3", "--base-url", mirror.base_url, "--db", str(db),
                           "--polite", "--no-warc", "--log-level", "WARNING", cwd=work)
    c.audit(db, {1, 2, 3}, "robots404")
    ok = all(code == 4 and stored == 0 for _, code, stored, _ in results) and allowed.returncode == 0
    c.record("1 robots.txt errors", 3, ok, f"503 and dropped → exit {results[0][1]}/{results[1][1]}, nothing fetched "
             f"({results[0][3]!r}); 404 → allowed (exit {allowed.returncode})")


def offsite(c: Checks, work: Path) -> None:
    if shutil.which("unshare") is None or subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode:
        c.skip("5 off-site and non-HTTP redirects", "needs `unshare -n` (root) for a loopback-only namespace")
        return
    script = work / "offsite.py"
    script.write_text(textwrap.dedent("""
        import json, subprocess, sys
        from crawler.mirror import MirrorConfig, MirrorProcess, hazards as H
        with MirrorProcess.start(MirrorConfig(articles=10, hazards="offsite,offsite-private")) as mirror:
            ids = sorted(H.hazard_ids(mirror.config))
            run = subprocess.run([sys.executable, "-m", "crawler", "backfill", "alhadath", "--ids",
                                  f"{ids[0] - 1}-{ids[-1]}", "--base-url", mirror.base_url, "--db", sys.argv[1],
                                  "--no-warc", "--log-level", "WARNING"], capture_output=True, text=True)
        print(json.dumps({"exit": run.returncode, "ids": ids}))
    """))
    db = work / "offsite.db"
    shell = f"ip link set lo up && exec '{sys.executable}' '{script}' '{db}'"
    result = subprocess.run(["unshare", "-n", "sh", "-c", shell], capture_output=True, text=True, env=ENV)
    report = json.loads(result.stdout.strip().splitlines()[-1]) if result.returncode == 0 else {"exit": None, "ids": []}
    found = failures(db) if db.exists() else {}
    c.audit(db, set(report["ids"]), "offsite") if db.exists() else None
    refused = [found.get(i, "") for i in report["ids"]]
    ok = report["exit"] == 0 and len(refused) == 5 and all(r.startswith("off-site redirect") for r in refused)
    c.record("5 off-site and non-HTTP redirects", 5, ok,
             "inside unshare -n: .invalid host, file:, data:, 169.254.169.254, 10.0.0.1 → off-site redirect failures")


def reader(c: Checks, work: Path) -> None:
    """Class 11: a reader holding a read transaction open on the archive all through a backfill."""
    db = work / "reader.db"
    config = MirrorConfig(articles=400)
    stop = threading.Event()
    reads = [0]

    def hold() -> None:
        while not db.exists() and not stop.is_set():
            time.sleep(0.05)
        conn = sqlite3.connect(db, timeout=30)
        while not stop.is_set():
            try:
                conn.execute("begin")
                conn.execute("select count(*) from sqlite_master").fetchone()
                time.sleep(0.5)  # a long read, as a Datasette page or a sqlite3 shell would hold
                conn.execute("commit")
                reads[0] += 1
            except sqlite3.OperationalError:
                time.sleep(0.05)
        conn.close()

    holder = threading.Thread(target=hold, daemon=True)
    with MirrorProcess.start(config) as mirror:
        holder.start()
        result, _ = c.run("backfill", "alhadath", "--ids", "1-400", "--base-url", mirror.base_url, "--db", str(db),
                          "--no-warc", "--log-level", "WARNING", cwd=work)
        stop.set()
        holder.join()
    c.audit(db, set(range(1, 401)), "reader")
    c.record("11 a reader holding the archive", 1, result.returncode == 0 and "locked" not in result.stderr,
             f"backfill of 400 ids with a reader in a read transaction ({reads[0]} reads): exit {result.returncode}")


def retry_after(c: Checks, work: Path) -> None:
    db = work / "retry.db"
    with MirrorProcess.start(MirrorConfig(articles=80, hazards="retry-after")) as mirror:
        result, seconds = c.run("backfill", "alhadath", "--ids", "1-80", "--base-url", mirror.base_url, "--db",
                                str(db), "--no-warc", "--log-level", "WARNING", cwd=work)
    c.audit(db, set(range(1, 81)), "retry-after")
    with sqlite3.connect(db) as conn:
        seen = dict(conn.execute("select article_id, first_seen_at from articles"))
    waited = [v for k, v in seen.items() if k <= H.RETRY_AFTER_IDS]
    others = [v for k, v in seen.items() if k > H.RETRY_AFTER_IDS]
    ok = result.returncode == 0 and waited and others and max(others) < min(waited)
    c.record("Retry-After on 429 (issue 10)", H.RETRY_AFTER_IDS, bool(ok),
             f"40 ids answer 429 Retry-After: {H.RETRY_AFTER} once: the 40 others all stored before the first "
             "retry; "
             f"run {seconds:.0f}s")


def bytes_no_one_expected(c: Checks) -> None:
    """Class 12: every fuzz target over its seeds and 300 random mutations each (atheris runs: make fuzz)."""
    from fuzz.targets import TARGETS

    rng = random.Random(12)
    crashes, runs = [], 0
    for name, target in TARGETS.items():
        seeds = [p.read_bytes() for p in (ROOT / "fuzz" / "corpus" / name).glob("*")]
        seeds += [p.read_bytes() for p in (ROOT / "tests" / "fuzz_regressions").glob(f"{name}-*")]
        inputs = list(seeds)
        for _ in range(300):
            data = bytearray(rng.choice(seeds))
            for _ in range(rng.randint(1, 8)):
                if data and rng.random() < 0.7:
                    data[rng.randrange(len(data))] = rng.randrange(256)
                else:
                    data[rng.randrange(len(data) + 1):0] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 4)))
            inputs.append(bytes(data))
        for data in inputs:
            runs += 1
            try:
                target(data)
            except Exception as exc:  # noqa: BLE001 - a crash is what we count
                crashes.append((name, repr(exc)[:120]))
    c.record("12 bytes no one expected", len(TARGETS), not crashes,
             f"{runs} inputs (seeds, kept crash inputs, random mutations) through extraction, dates, bylines, "
             f"sitemap/feed parsing: {len(crashes)} crashes", crashes=crashes[:10])


def disk_full(c: Checks) -> None:
    c.skip("9 disk full", "not exercised by this script (issue 12 item 9 belongs to the storage work; see its tests)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", default=str(ROOT / "bench" / "reliability-report.json"))
    args = parser.parse_args()
    c = Checks()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="arshif-reliability-") as tmp:
        work = Path(tmp)
        for step in (robots, mixed_crawl, offsite, reader, retry_after):
            print(f"{step.__name__} ...", flush=True)
            try:
                step(c, work)
            except Exception as exc:  # noqa: BLE001 - one broken class must not hide the others
                c.record(step.__name__, 0, False, f"crashed: {exc!r}")
        bytes_no_one_expected(c)
        disk_full(c)
    c.record("10 every outcome has a row", 0, not c.lost and not c.duplicates,
             f"{c.audited} article URLs asked across all runs: {len(c.lost)} without a row, {len(c.duplicates)} "
             "with more than one (stored / alias / miss / failure)")
    ran = [k for k in c.classes if "skipped" not in k]
    faults = sum(k["faults"] for k in ran)
    numbered = [k for k in ran if k["class"].split()[0].isdigit()]  # issue 12's classes (feeds, 429: extra)
    integrity = "ok" if not c.integrity else f"{len(c.integrity)} FAILED"
    line = (f"{faults} faults across {len(numbered)} classes: {len(c.lost)} lost, {len(c.duplicates)} duplicates, "
            f"{len(c.partial)} partial, integrity {integrity}, peak RSS {c.peak_mb:.0f} MB")
    failed = [k["class"] for k in ran if not k["ok"]]
    report = {
        "summary": line, "failed_classes": failed, "classes": c.classes,
        "lost": c.lost[:50], "duplicates": c.duplicates[:50], "partial": c.partial[:50], "integrity": c.integrity,
        "peak_rss_mb": round(c.peak_mb, 1), "seconds": round(time.monotonic() - started, 1),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB, "
                   f"Python {platform.python_version()}, {platform.system()} {platform.release()}",
    }
    Path(args.output).write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    skipped = [k["class"] for k in c.classes if "skipped" in k]
    if skipped:
        print(f"(skipped: {', '.join(skipped)})")
    print(line + ("" if not failed else f" — FAILED: {', '.join(failed)}"))
    return 1 if failed or c.lost or c.duplicates or c.partial or c.integrity else 0


if __name__ == "__main__":
    sys.exit(main())
