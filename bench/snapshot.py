"""The refactor's safety net: snapshot what the code produces, then compare two snapshots.

    .venv/bin/python bench/snapshot.py take DIR              # records + archive dumps into DIR (~1-2 min)
    .venv/bin/python bench/snapshot.py take DIR --real-pages /work/shared/data/real_pages   # a copy elsewhere
    .venv/bin/python bench/snapshot.py compare OLD_DIR NEW_DIR

``take`` writes, as sorted JSON lines:

- ``records-realpages.jsonl``: ``extract_article`` on every page of ``../shared/data/real_pages`` (skipped,
  with a warning, when that folder is not beside the project; a tree elsewhere, a worktree or a ``git archive``
  in /tmp, names it with ``--real-pages DIR``, and a named folder without ``gold.jsonl`` is an error);
- ``records-mirror.jsonl``: the alhadath mirror's article pages (markups default/table/broken, light and
  real weight), read as alhadath and read generically (the same bytes under an unknown host);
- ``archive-*.jsonl``: every row of every table of archives made by ``arshif crawl`` and ``arshif backfill``
  from a mirror, less the columns that differ between two identical runs (clock times, run ids).

``compare`` prints the first differing lines of each file and exits 1 when anything differs.
"""

from __future__ import annotations

import gzip
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from crawler.storage.bands import union_rows_sql  # noqa: E402
from crawler.storage.keys import BAND_LEVELS  # noqa: E402

REAL_PAGES = REPO.parent / "shared" / "data" / "real_pages"
NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
# Columns whose values are clocks, durations or run bookkeeping: they differ between two identical runs.
VOLATILE = ("fetched_at", "first_seen", "last_seen", "seen_at", "started_at", "finished_at", "ended_at",
            "recorded_at", "created_at", "checked_at", "duration", "elapsed", "heartbeat", "pid", "host",
            "valid_from", "valid_to", "at", "updated", "last_attempt", "first_attempt", "attempted_at",
            "run_id", "first_run", "last_run", "warc_file", "warc_offset", "warc_record_id", "version_info",
            "settings", "software", "stats", "args")
KEPT_TIMES = ("published_at", "modified_at")


def _volatile(column: str) -> bool:
    return column in VOLATILE or (column.endswith("_at") and column not in KEPT_TIMES)


def _dump(path: Path, rows) -> int:
    # BLOB columns (the search impacts' packed postings) as hex.
    lines = sorted(json.dumps(row, ensure_ascii=False, sort_keys=True, default=bytes.hex) for row in rows)
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return len(lines)


def records_realpages(out: Path, folder: Path | None = None) -> None:
    from crawler.extract import extract_article

    if folder is not None and not (folder / "gold.jsonl").exists():
        raise SystemExit(f"--real-pages {folder}: no gold.jsonl there")
    folder = folder or REAL_PAGES
    if not (folder / "gold.jsonl").exists():
        print(f"WARNING: no real pages at {folder}: records-realpages skipped (name them with --real-pages DIR)",
              file=sys.stderr)
        return
    rows = []
    for line in (folder / "gold.jsonl").read_text(encoding="utf-8").splitlines():
        if not line:
            continue
        row = json.loads(line)
        page = gzip.decompress((folder / row["file"]).read_bytes())
        record = extract_article(page, row["url"], encoding=row.get("encoding"), now=NOW)
        rows.append({"file": row["file"], "record": record})
    print(f"records-realpages: {_dump(out / 'records-realpages.jsonl', rows)} pages", file=sys.stderr)


def records_mirror(out: Path, ids: int = 150) -> None:
    from crawler.extract import extract_article
    from crawler.mirror import MirrorConfig, route

    rows = []
    for markup in ("default", "table", "broken"):
        for weight in ("light", "real"):
            config = MirrorConfig(articles=ids, markup=markup, weight=weight, seed=3)
            for article_id in range(config.start_id, config.end_id):
                page = route(config, f"/article/{article_id}")
                if page.status in (301, 302):  # /article/<id> → the slugged URL
                    page = route(config, page.headers["Location"])
                if page.status != 200:
                    continue
                for host, site in (("https://www.alhadath.ps", "alhadath"), ("https://news.example.invalid", None)):
                    url = f"{host}/article/{article_id}"
                    record = extract_article(page.body, url, site=site, now=NOW)
                    rows.append({"markup": markup, "weight": weight, "id": article_id, "site": site,
                                 "record": record})
    print(f"records-mirror: {_dump(out / 'records-mirror.jsonl', rows)} pages", file=sys.stderr)


def _table_rows(db: Path) -> dict[str, list[dict]]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    names = [r[0] for r in conn.execute(
        "select name from sqlite_master where type='table' and name not like 'sqlite_%' "
        "and name not like '%\_fts%' escape '\\' and substr(name, 1, 1) != '_' order by name")]
    # The band keys as one table held them (sorted union of the levels, crawler.storage.bands): where a key
    # sits is the store's business, which keys exist is the archive's.
    levels = [name for name in BAND_LEVELS if name in names]
    if levels:
        names = sorted(name for name in names if name not in levels[:-1])
    tables = {}
    for name in names:
        rows = []
        query = union_rows_sql() if name == "band_keys" and len(levels) > 1 else f'select * from "{name}"'
        for row in conn.execute(query):
            rows.append({k: row[k] for k in row.keys() if not _volatile(k)})
        tables[name] = rows
    conn.close()
    return tables


def archives(out: Path) -> None:
    from crawler.mirror import MirrorConfig, MirrorProcess

    python = sys.executable
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with tempfile.TemporaryDirectory() as tmp, MirrorProcess.start(MirrorConfig(articles=600, seed=5)) as mirror:
        runs = {
            "crawl": ["crawl", "alhadath", "--no-warc"],
            "backfill": ["backfill", "alhadath", "--ids", "1-600", "--no-warc"],
        }
        for label, args in runs.items():
            db = Path(tmp) / f"{label}.db"
            cmd = [python, "-m", "crawler", *args, "--base-url", mirror.base_url, "--db", str(db),
                   "--log-level", "WARNING"]
            done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
            if done.returncode not in (0, 5):
                raise SystemExit(f"{label}: rc {done.returncode}\n{done.stderr[-2000:]}")
            for table, rows in _table_rows(db).items():
                _dump(out / f"archive-{label}-{table}.jsonl", rows)
            print(f"archive-{label}: rc {done.returncode}", file=sys.stderr)


def take(out: Path, real_pages: Path | None = None) -> None:
    out.mkdir(parents=True, exist_ok=True)
    records_realpages(out, real_pages)
    records_mirror(out)
    archives(out)


def compare(old: Path, new: Path) -> int:
    differ = 0
    for path in sorted(old.glob("*.jsonl")):
        other = new / path.name
        if not other.exists():
            print(f"{path.name}: missing in {new}")
            differ += 1
            continue
        a, b = path.read_text(encoding="utf-8").splitlines(), other.read_text(encoding="utf-8").splitlines()
        if a == b:
            print(f"{path.name}: same ({len(a)} lines)")
            continue
        differ += 1
        only_old, only_new = sorted(set(a) - set(b)), sorted(set(b) - set(a))
        print(f"{path.name}: DIFFERS ({len(a)} vs {len(b)} lines; {len(only_old)} only old, {len(only_new)} only new)")
        for line in only_old[:2]:
            print("  - " + line[:600])
        for line in only_new[:2]:
            print("  + " + line[:600])
    for path in sorted(new.glob("*.jsonl")):
        if not (old / path.name).exists():
            print(f"{path.name}: new in {new}")
    return 1 if differ else 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["take"] and len(argv) in (2, 4) and (len(argv) == 2 or argv[2] == "--real-pages"):
        take(Path(argv[1]), Path(argv[3]) if len(argv) == 4 else None)
        return 0
    if len(argv) == 3 and argv[0] == "compare":
        return compare(Path(argv[1]), Path(argv[2]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
