"""Datasets for teams: incremental exports with a cursor, several runs, outdated archives (issue 21, 19.6).

The archive is built through the storage API as crawls build it (runs, upserts with versions, aliases,
near-duplicate links, a merge); the exports run as a user runs them (`python -m crawler export`).
"""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crawler.storage import Archive, ArticleWrite, RunCounts
from tests.ops_archive import synthetic_record

ARSHIF = [sys.executable, "-m", "crawler"]
REPO = Path(__file__).resolve().parents[1]
# Columns that move when an article is merely seen again (no change): not part of a change set.
SEEN_COLUMNS = ("last_seen_at", "last_run_id")


def arshif(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*ARSHIF, *args], capture_output=True, text=True, cwd=REPO)


def store(archive: Archive, run_id: int, ids, *, edit: str = "", rng=None) -> None:
    rng = rng or random.Random(7)
    writes = []
    for article_id in ids:
        record = synthetic_record(article_id, random.Random(article_id))
        if edit:
            record["paragraphs"] = [*record["paragraphs"], edit]
        writes.append(ArticleWrite(record=record, content_hash=f"h{article_id}{edit}", run_id=run_id))
    archive.upsert_articles(writes)


def run(archive: Archive, work) -> int:
    time.sleep(1.1)  # each run in its own second (archive times have whole seconds)
    run_id = archive.start_run("alhadath", command="crawl", args={})
    work(run_id)
    archive.finish_run(run_id, finish_reason="finished", status="ok", counts=RunCounts())
    return run_id


def export(db: Path, out: Path, *extra: str) -> tuple[list[dict], str]:
    # Archive times have whole seconds and a cursor repeats its own second (a row written in it may have
    # been committed after the read): the waits keep each night's writes out of the cursor's second, so the
    # change labels are exact (applying the change sets is right either way).
    time.sleep(1.1)
    done = arshif("export", "--db", str(db), "--format", "jsonl", "--include-aliases", "-o", str(out), *extra)
    assert done.returncode == 0, done.stderr
    cursor = out.with_name(out.name + ".cursor").read_text(encoding="utf-8").strip()
    assert f"next cursor: {cursor}" in done.stderr
    time.sleep(1.1)
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()], cursor


def applied(base: list[dict], *change_sets: list[dict]) -> dict[tuple[str, int], dict]:
    """What a team holds after applying change sets: upsert by (site, article_id), drop "merged" ids."""
    held = {(row["site"], row["article_id"]): row for row in base}
    for rows in change_sets:
        for row in rows:
            key = (row["site"], row["article_id"])
            if row["change"] == "merged":
                held.pop(key, None)
            else:
                held[key] = row
    return held


def comparable(row: dict) -> dict:
    return {key: value for key, value in row.items() if key not in (*SEEN_COLUMNS, "change", "merged_into")}


def test_two_nightly_incremental_exports_applied_give_the_full_export(tmp_path):
    db = tmp_path / "arshif.db"
    with Archive(db) as archive:
        run(archive, lambda r: store(archive, r, range(1, 31)))
    night1, cursor1 = export(db, tmp_path / "night1.jsonl")
    assert len(night1) == 30

    with Archive(db) as archive:
        def second(run_id: int) -> None:
            store(archive, run_id, range(31, 36))  # new
            store(archive, run_id, [5], edit="تصحيح")  # an old article updated: version 2
            store(archive, run_id, [8])  # seen again, unchanged: not a change
            copy = synthetic_record(7, random.Random(7)) | {"article_id": 41, "url": "https://www.alhadath.ps/article/41"}
            archive.add_alias(copy, of=7, run_id=run_id)  # a new id that repeats article 7
            archive.set_near_duplicate("alhadath", 10, 9, 0.93)  # a near-duplicate link that appeared
            archive.demote_to_alias("alhadath", 12, of=11, run_id=run_id)  # a stored story merged into another
        run(archive, second)
    night2, cursor2 = export(db, tmp_path / "night2.jsonl", "--changes-since", cursor1)
    changes = {row["article_id"]: row["change"] for row in night2}
    assert changes == {31: "new", 32: "new", 33: "new", 34: "new", 35: "new", 5: "changed", 7: "aliased",
                       10: "aliased", 11: "aliased", 12: "merged", 41: "merged"}
    assert {row["article_id"]: row["version"] for row in night2 if row["change"] == "changed"} == {5: 2}
    # 12 was exported last night and is now part of 11; 41 never was an article (a harmless drop)
    assert [row["merged_into"] for row in night2 if row["change"] == "merged"] == [11, 7]
    assert cursor2 > cursor1

    with Archive(db) as archive:
        def third(run_id: int) -> None:
            store(archive, run_id, [3], edit="تحديث")
            store(archive, run_id, [5], edit="تصحيح ثان")  # changed again: version 3
            store(archive, run_id, [42])
        run(archive, third)
    night3, _ = export(db, tmp_path / "night3.jsonl", "--changes-since", cursor2)
    assert {row["article_id"]: (row["change"], row["version"]) for row in night3} == {
        3: ("changed", 2), 5: ("changed", 3), 42: ("new", 1)}

    full, _ = export(db, tmp_path / "full.jsonl")
    held = applied(night1, night2, night3)
    assert sorted(held) == sorted((row["site"], row["article_id"]) for row in full)
    assert {key: comparable(row) for key, row in held.items()} == {
        (row["site"], row["article_id"]): comparable(row) for row in full}


def test_a_run_cursor_repeatable_runs_and_an_empty_selection(tmp_path):
    db = tmp_path / "arshif.db"
    with Archive(db) as archive:
        first = run(archive, lambda r: store(archive, r, range(1, 6)))
        second = run(archive, lambda r: store(archive, r, range(6, 9)))
        third = run(archive, lambda r: store(archive, r, [2], edit="تعديل"))
    rows, _ = export(db, tmp_path / "runs.jsonl", "--run", str(first), "--run", str(third))
    assert [row["article_id"] for row in rows] == [1, 2, 3, 4, 5]
    rows, _ = export(db, tmp_path / "since.jsonl", "--changes-since", str(second))  # a run: its start
    assert {row["article_id"]: row["change"] for row in rows} == {6: "new", 7: "new", 8: "new", 2: "changed"}

    missing = arshif("export", "--db", str(db), "--format", "jsonl", "--run", "99", "-o", str(tmp_path / "x.jsonl"))
    assert missing.returncode == 2 and missing.stderr.strip() == "arshif: no run 99 in this archive (see `arshif stats`)"
    assert not (tmp_path / "x.jsonl").exists()

    _, cursor = export(db, tmp_path / "a.jsonl")
    empty = arshif("export", "--db", str(db), "--format", "csv", "--changes-since", cursor, "-o", str(tmp_path / "e.csv"))
    assert empty.returncode == 0 and "the selection is empty" in empty.stderr


def test_the_card_lists_the_runs_behind_the_exported_rows(tmp_path):
    db = tmp_path / "arshif.db"
    with Archive(db) as archive:
        first = run(archive, lambda r: store(archive, r, range(1, 6)))
        second = run(archive, lambda r: store(archive, r, range(6, 9)))
        third = run(archive, lambda r: store(archive, r, [2], edit="تعديل"))  # 2's version 2
        fourth = run(archive, lambda r: (store(archive, r, [7]), store(archive, r, [9])))  # 7 seen again

    def card_runs(name: str, *extra: str) -> list[int]:
        out = tmp_path / name
        done = arshif("export", "--db", str(db), "--format", "jsonl", "-o", str(out), *extra)
        assert done.returncode == 0, done.stderr
        package = json.loads((tmp_path / "datapackage.json").read_text(encoding="utf-8"))
        [resource] = [r for r in package["resources"] if r["path"] == name]
        ids = [run["id"] for run in resource["arshif"]["runs"]]
        card = out.with_name(name + ".md").read_text(encoding="utf-8")
        assert f"{len(ids)} of the archive's 4 crawl runs" in card
        assert [int(n) for n in re.findall(r"^- run (\d+) ", card, flags=re.M)] == ids
        return ids

    # 6-8 were stored by the second run, and 7 last seen by the fourth; nothing of the first or third
    assert card_runs("second.jsonl", "--run", str(second)) == [fourth, second]
    # 2: stored by the first run, its current version by the third (which last saw it)
    assert card_runs("third.jsonl", "--run", str(third)) == [third, first]
    assert card_runs("versions.jsonl", "--run", str(third), "--versions") == [third, first]
    assert card_runs("all.jsonl") == [fourth, third, second, first]
    assert card_runs("since.jsonl", "--changes-since", str(fourth)) == [fourth]  # 9 (7 was only seen again)
    assert card_runs("none.jsonl", "--changes-since", "2999-01-01T00:00:00") == []


def test_readers_never_migrate_an_outdated_archive(tmp_path):
    import sqlite3

    db = tmp_path / "old.db"
    Archive(db).close()
    with sqlite3.connect(db) as conn:  # as if written before the provenance columns existed
        for column in ("arshif_version", "git_commit", "scrapy_version", "settings"):
            conn.execute(f"alter table crawl_runs drop column {column}")
        conn.execute("delete from _sqlite_migrations where name = 'm202_datasets_run_provenance'")
    before = db.read_bytes()
    for command in (["stats"], ["export", "--format", "jsonl"], ["search", "غزة"]):
        done = arshif(*command, "--db", str(db))
        assert done.returncode == 11, (command, done.stderr)
        assert done.stderr.count("\n") == 1 and "arshif migrate --db" in done.stderr
    assert db.read_bytes() == before
    assert arshif("migrate", "--db", str(db)).returncode == 0
    assert arshif("stats", "--db", str(db)).returncode == 0
    assert "up to date" in arshif("migrate", "--db", str(db)).stderr


def gapped_archive(db: Path) -> None:
    """Articles 1-20 and 31-40 stored, 21-24 missed (404), 25 a failed fetch, 26-30 never asked."""
    with Archive(db) as archive:
        def crawl(run_id: int) -> None:
            store(archive, run_id, [*range(1, 21), *range(31, 41)])
            for article_id in range(21, 25):
                archive.record_miss("alhadath", article_id, url=f"https://www.alhadath.ps/article/{article_id}",
                                    reason="http_404", http_status=404, run_id=run_id)
            archive.record_failure("alhadath", "https://www.alhadath.ps/article/25", reason="timeout", attempts=3,
                                   article_id=25, run_id=run_id)
        run(archive, crawl)


def test_every_export_is_a_valid_frictionless_package_with_a_card(tmp_path):
    import pyarrow.parquet as pq

    from crawler.datacard import validate_package
    from crawler.storage import ArchiveReader

    db = tmp_path / "arshif.db"
    gapped_archive(db)
    out = tmp_path / "out"
    for fmt in ("jsonl", "csv", "parquet"):
        done = arshif("export", "--db", str(db), "--format", fmt, "-o", str(out / f"articles.{fmt}"))
        assert done.returncode == 0, done.stderr
    done = arshif("export", "--db", str(db), "--format", "csv", "--excel", "-o", str(out / "excel.csv"))
    assert done.returncode == 0, done.stderr

    package = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    assert [r["path"] for r in package["resources"]] == ["articles.jsonl", "articles.csv", "articles.parquet", "excel.csv"]
    # Frictionless validates every row of every file against the package: JSONL and CSV as it reads them,
    # Parquet as pyarrow reads it (crawler.datacard.validate_package says why not through pandas).
    reports = validate_package(out / "datapackage.json")
    assert list(reports) == ["articles.jsonl", "articles.csv", "articles.parquet", "excel.csv"]
    for path, report in reports.items():
        assert report.valid, (path, report.flatten(["rowNumber", "fieldName", "type", "note"])[:5])
        assert report.tasks[0].stats["rows"] == 30, path
    for resource in package["resources"]:
        assert all(field["description"] for field in resource["schema"]["fields"]), resource["path"]
    # Parquet carries the same descriptions in its schema metadata.
    parquet = pq.read_schema(out / "articles.parquet")
    [described] = [r for r in package["resources"] if r["path"] == "articles.parquet"]
    assert [field["name"] for field in described["schema"]["fields"]] == parquet.names
    kinds = {"integer": "int64", "number": "double", "string": "string", "datetime": "timestamp[us, tz=UTC]"}
    for field in described["schema"]["fields"]:
        assert parquet.field(field["name"]).metadata[b"description"].decode() == field["description"]
        assert kinds.get(field["type"], "list") in str(parquet.field(field["name"]).type), field

    # The card's counts are the archive's.
    with ArchiveReader(db) as reader:
        summary = reader.summary("alhadath")
    facts = package["resources"][0]["arshif"]
    assert facts["rows"] == summary.articles == 30
    counts = facts["archive"]["alhadath"]
    assert (counts["articles"], counts["misses"], counts["open_failures"], counts["aliases"]) == (
        summary.articles, summary.misses, summary.open_failures, summary.aliases) == (30, 4, 1, 0)
    assert counts["misses_by_reason"] == [{"reason": "http_404", "misses": 4}]
    assert counts["never_seen"] == [{"first": 26, "last": 30, "ids": 5}]
    card = (out / "articles.jsonl.md").read_text(encoding="utf-8")
    assert "| alhadath | 30 | 0 | 0 | 0 | 4 | 1 |" in card
    assert "http_404: 4" in card and "26-30" in card and "TO FILL IN" in card and "Arshif" in card
    from crawler import __version__

    assert facts["runs"][0]["arshif_version"] == __version__ and f"Arshif {__version__}" in card


def test_frictionless_finds_wrong_parquet_rows_and_columns(tmp_path):
    """The Parquet check reads the rows: a value of the wrong type, a list that is not one, a missing column."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from crawler.datacard import validate_package

    db = tmp_path / "arshif.db"
    gapped_archive(db)
    out = tmp_path / "out"
    for name in ("good", "bad", "short"):
        done = arshif("export", "--db", str(db), "--format", "parquet", "-o", str(out / f"{name}.parquet"))
        assert done.returncode == 0, done.stderr
    table = pq.read_table(out / "bad.parquet")
    ids = [str(n) for n in table["article_id"].to_pylist()]
    ids[3] = "x"
    authors: list = [None] * table.num_rows
    authors[5] = "not a list"
    bad = table.set_column(table.schema.get_field_index("article_id"), "article_id", pa.array(ids))
    bad = bad.set_column(bad.schema.get_field_index("authors"), "authors", pa.array(authors, pa.string()))
    pq.write_table(bad, out / "bad.parquet")
    pq.write_table(table.drop_columns(["title"]), out / "short.parquet")

    reports = validate_package(out / "datapackage.json")
    assert reports["good.parquet"].valid
    errors = reports["bad.parquet"].flatten(["rowNumber", "fieldName", "type"])
    assert errors == [[5, "article_id", "type-error"], [7, "authors", "type-error"]]  # row 1 is the header
    short = reports["short.parquet"].flatten(["fieldName", "type"])  # the header no longer matches the schema
    assert ["title", "incorrect-label"] in short and ["warc_record", "missing-label"] in short


def test_csv_for_people_body_as_text_and_long_cells_cut_with_a_marker(tmp_path):
    import csv

    from crawler.export import EXCEL_CELL_LIMIT, TRUNCATED_MARKER

    db = tmp_path / "arshif.db"
    with Archive(db) as archive:
        record = synthetic_record(1, random.Random(1))
        record["paragraphs"] = ["أول", "ثان " * 12_000]  # 48,000 characters: over Excel's cell limit
        archive.upsert_articles([ArticleWrite(record=record, content_hash="long")])
        store(archive, None, [2])
    done = arshif("export", "--db", str(db), "--format", "csv", "-o", str(tmp_path / "a.csv"))
    assert done.returncode == 0 and "1 cells over Excel's 32,767-character limit were cut" in done.stderr
    with open(tmp_path / "a.csv", encoding="utf-8", newline="") as stream:
        rows = {int(row["article_id"]): row for row in csv.DictReader(stream)}
    assert len(rows[1]["paragraphs"]) == EXCEL_CELL_LIMIT and rows[1]["paragraphs"].endswith(TRUNCATED_MARKER)
    assert rows[1]["paragraphs"].startswith("أول\n\nثان ")
    two = synthetic_record(2, random.Random(2))["paragraphs"]
    assert rows[2]["paragraphs"] == "\n\n".join(two)


def test_each_run_records_its_provenance(tmp_path):
    from scrapy.settings import Settings

    from crawler import __version__
    from crawler.provenance import result_settings
    from crawler.storage import ArchiveReader

    settings = Settings({"DOWNLOAD_MAXSIZE": 1024, "RETRY_TIMES": 5, "LOG_LEVEL": "DEBUG"})
    with Archive(tmp_path / "a.db") as archive:
        run_id = archive.start_run("alhadath", command="crawl", args={}, settings=result_settings(settings))
    with ArchiveReader(tmp_path / "a.db") as reader:
        row = reader.get_run(run_id)
    import importlib.metadata

    assert row["arshif_version"] == __version__
    assert row["scrapy_version"] == importlib.metadata.version("scrapy")
    head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True)
    assert row["git_commit"] == (head.stdout.strip() if head.returncode == 0 else None)
    recorded = json.loads(row["settings"])
    assert recorded["DOWNLOAD_MAXSIZE"] == 1024 and recorded["RETRY_TIMES"] == 5
    assert "LOG_LEVEL" not in recorded  # how loudly is not what


def test_versions_export_lists_every_version_with_its_window_and_run(tmp_path):
    db = tmp_path / "arshif.db"
    with Archive(db) as archive:
        first = run(archive, lambda r: store(archive, r, [1, 2]))
        second = run(archive, lambda r: store(archive, r, [1], edit="تعديل"))
        third = run(archive, lambda r: store(archive, r, [1], edit="تعديل ثان"))
    for fmt in ("jsonl", "parquet"):
        done = arshif("export", "--db", str(db), "--format", fmt, "--versions", "-o", str(tmp_path / f"v.{fmt}"))
        assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in (tmp_path / "v.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(r["article_id"], r["version"], r["run_id"], r["current"]) for r in rows] == [
        (1, 1, first, False), (1, 2, second, False), (1, 3, third, True), (2, 1, first, True)]
    one = [r for r in rows if r["article_id"] == 1]
    assert one[0]["valid_to"] == one[1]["valid_from"] and one[1]["valid_to"] == one[2]["valid_from"]
    assert one[2]["valid_to"] is None and one[2]["paragraphs"][-1] == "تعديل ثان"
    assert one[0]["paragraphs"][-1] != "تعديل"
    import pyarrow.parquet as pq

    assert pq.read_table(tmp_path / "v.parquet").num_rows == 4


def test_coverage_names_exactly_the_missing_ranges_and_the_backfill_to_fill_them(tmp_path):
    db = tmp_path / "arshif.db"
    gapped_archive(db)
    done = arshif("coverage", "--db", str(db), "--json")
    assert done.returncode == 0, done.stderr
    [entry] = json.loads(done.stdout)
    assert entry["never_seen"] == [{"first": 26, "last": 30, "ids": 5}]
    assert entry["misses_by_reason"] == [{"reason": "http_404", "misses": 4}]
    assert [f["article_id"] for f in entry["open_failures"]] == [25]
    assert entry["backfill"] == f"arshif backfill alhadath --ids 26-30,25 --db {db}"
    text = arshif("coverage", "--db", str(db))
    assert text.returncode == 0 and "5 ids never seen" in text.stdout and "--ids 26-30,25" in text.stdout


def test_the_python_api_under_one_name_loads_no_scrapy(tmp_path):
    code = ("import sys, crawler\n"
            "from crawler import open_archive, ArchiveReader, ArticleQuery, export_archive\n"
            "assert 'scrapy' not in sys.modules, 'scrapy loaded'\n"
            "print(crawler.__doc__ is not None)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0 and done.stdout.strip() == "True", done.stderr
    db = tmp_path / "arshif.db"
    gapped_archive(db)
    from crawler import ArticleQuery, export_archive, open_archive

    with open_archive(db) as reader:
        assert [a["article_id"] for a in reader.articles(ArticleQuery(site="alhadath"))][:3] == [1, 2, 3]
        assert reader.article_versions("alhadath", 5) == []
    result = export_archive(db, "jsonl", tmp_path / "out" / "articles.jsonl")
    assert result.rows == 30 and result.card.is_file() and result.package.is_file()
