"""`arshif export`: formats, filters, atomic output, and constant memory on a 20,000-row archive.

The 100,000-row figure is bench/bench_export.py's (the same measurement, five times the rows).
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from crawler.export import MissingExtraError, export_archive
from crawler.storage import Archive, ArticleQuery, ArticleWrite
from tests.ops_archive import build_archive, run_with_peak_rss

ROWS = 20_000
SMALL_ROWS = 1_000
# Streaming means the peak does not grow with the rows: 20,000 rows may take at most this much more than
# 1,000 (measured: +1 to +8 MB jsonl/csv, +7 to +24 MB parquet, whose row groups are buffered; an export that
# held every row would grow with the archive: 20× the rows). The absolute cap only
# catches a runaway: the floor is the interpreter plus its imports (sqlite-utils pulls in numpy when it is
# installed, pyarrow ~60 MB more), which differ by machine and version, not by archive size.
GROWTH_LIMIT_MB = 50
PEAK_LIMIT_MB = 300
ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")
ARSHIF = [sys.executable, "-m", "crawler"]


def _built_archive(tmp_path_factory, name: str, rows: int) -> Path:
    path = tmp_path_factory.mktemp(name) / f"{name}.db"
    subprocess.run([sys.executable, "-m", "tests.ops_archive", str(path), str(rows)], check=True,
                   cwd=Path(__file__).resolve().parents[1])
    return path


@pytest.fixture(scope="module")
def big_archive(tmp_path_factory) -> Path:
    return _built_archive(tmp_path_factory, "big", ROWS)


@pytest.fixture(scope="module")
def small_archive(tmp_path_factory) -> Path:
    return _built_archive(tmp_path_factory, "small", SMALL_ROWS)


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_export_of_a_large_archive_streams_in_bounded_memory(big_archive, small_archive, tmp_path, fmt):
    out = tmp_path / f"out.{fmt}"
    code, small_mb = run_with_peak_rss([*ARSHIF, "export", "--db", str(small_archive), "--format", fmt,
                                        "-o", str(tmp_path / f"small.{fmt}")])
    assert code == 0
    code, peak_mb = run_with_peak_rss([*ARSHIF, "export", "--db", str(big_archive), "--format", fmt, "-o", str(out)])
    assert code == 0
    print(f"{fmt}: peak RSS {peak_mb:.0f} MB for {ROWS:,} rows, {small_mb:.0f} MB for {SMALL_ROWS:,}")
    assert peak_mb - small_mb < GROWTH_LIMIT_MB
    assert peak_mb < PEAK_LIMIT_MB
    assert not out.with_name(out.name + ".part").exists()
    if fmt == "jsonl":
        with open(out, encoding="utf-8") as lines:
            first = next(lines)
            count = 1 + sum(1 for _ in lines)
        assert "\\u06" not in first and "الحدث" in first  # UTF-8 as is, no ASCII escapes
        row = json.loads(first)
        assert isinstance(row["paragraphs"], list) and ISO_WITH_OFFSET.match(row["published_at"])
        assert row["published_hijri"]
    elif fmt == "csv":
        with open(out, encoding="utf-8", newline="") as stream:
            reader = csv.DictReader(stream)
            first = next(reader)
            count = 1 + sum(1 for _ in reader)
        # for people: the body as text, a blank line between paragraphs; other lists stay JSON arrays
        assert "\n\n" in first["paragraphs"] and not first["paragraphs"].startswith("[")
        assert json.loads(first["images"])[0]["caption"] == "صورة ارشيفية"
        assert ISO_WITH_OFFSET.match(first["published_at"])
    else:
        import pyarrow.parquet as pq

        parquet = pq.ParquetFile(out)
        count = parquet.metadata.num_rows
        assert parquet.metadata.num_row_groups > 1  # written group by group
        assert str(parquet.schema_arrow.field("paragraphs").type) == "list<element: string>"
        assert str(parquet.schema_arrow.field("published_at").type) == "timestamp[us, tz=UTC]"
        first = parquet.read_row_group(0).slice(0, 1).to_pylist()[0]
        assert first["images"][0]["caption"] == "صورة ارشيفية" and first["published_at"].tzinfo is not None
        assert re.match(r"^[+-]\d\d:\d\d$", first["published_at_offset"])
    assert count == ROWS


@pytest.fixture
def small_archive(tmp_path) -> Path:
    path = tmp_path / "small.db"
    build_archive(path, 60, first_id=1, run_id=1)
    build_archive(path, 40, first_id=61, seed=7, run_id=2)
    with Archive(path) as archive:
        record = archive.get_article("alhadath", 5)
        archive.add_alias({**record, "article_id": 9005, "url": "https://www.alhadath.ps/article/9005"}, of=5)
    return path


def jsonl_rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_filters_by_date_run_and_site(small_archive, tmp_path):
    out = tmp_path / "o.jsonl"
    everything = export_archive(small_archive, "jsonl", out)
    assert everything.rows == 100
    rows = jsonl_rows(out)
    day = rows[50]["published_at"][:10]
    export_archive(small_archive, "jsonl", out, ArticleQuery(since=f"{day}T00:00:00", until=f"{day}T23:59:60"))
    assert {row["published_at"][:10] for row in jsonl_rows(out)} == {day}
    assert export_archive(small_archive, "jsonl", out, ArticleQuery(run_id=2)).rows == 40
    assert {row["first_run_id"] for row in jsonl_rows(out)} == {2}
    assert export_archive(small_archive, "jsonl", out, ArticleQuery(site="other")).rows == 0


def test_cli_until_includes_the_whole_day_and_stdout_works(small_archive):
    rows = [json.loads(line) for line in subprocess.run(
        [*ARSHIF, "export", "--db", str(small_archive), "--format", "jsonl", "--until", "2014-11-01"],
        check=True, capture_output=True, text=True, encoding="utf-8").stdout.splitlines()]
    assert rows and {row["published_at"][:10] for row in rows} == {"2014-11-01"}
    assert rows[-1]["published_at"] > "2014-11-01T23"  # the evening of that day is in


def test_include_aliases_lists_the_other_ids(small_archive, tmp_path):
    out = tmp_path / "o.jsonl"
    export_archive(small_archive, "jsonl", out, include_aliases=True)
    by_id = {row["article_id"]: row for row in jsonl_rows(out)}
    assert [alias["alias_id"] for alias in by_id[5]["aliases"]] == [9005]
    assert by_id[6]["aliases"] == []
    export_archive(small_archive, "parquet", tmp_path / "o.parquet", include_aliases=True)
    import pyarrow.parquet as pq

    table = pq.read_table(tmp_path / "o.parquet", columns=["article_id", "aliases"]).to_pylist()
    assert next(row["aliases"] for row in table if row["article_id"] == 5)[0]["alias_url"].endswith("/9005")


def test_a_failed_export_leaves_neither_file_nor_part(small_archive, tmp_path, monkeypatch):
    import crawler.export as export

    def broken_writer(rows, stream, columns):
        stream.write(b"half")
        raise RuntimeError("disk full")

    monkeypatch.setitem(export.WRITERS, "jsonl", broken_writer)
    out = tmp_path / "out"
    with pytest.raises(RuntimeError):
        export_archive(small_archive, "jsonl", out / "o.jsonl")
    assert list(out.iterdir()) == []


def test_parquet_without_pyarrow_says_how_to_install(small_archive, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(MissingExtraError, match=r"pip install -e '\.\[parquet\]'"):
        export_archive(small_archive, "parquet", tmp_path / "o.parquet")


def test_missing_archive_is_a_usage_error(tmp_path):
    result = subprocess.run([*ARSHIF, "export", "--db", str(tmp_path / "none.db"), "--format", "csv"],
                            capture_output=True, text=True)
    assert result.returncode == 2 and "no archive at" in result.stderr
    assert not (tmp_path / "none.db").exists()


def test_near_duplicates_can_be_left_out(small_archive, tmp_path):
    with Archive(small_archive) as archive:
        archive.set_near_duplicate("alhadath", 7, of=6, similarity=0.93)
    out = tmp_path / "o.jsonl"
    export_archive(small_archive, "jsonl", out)
    assert next(r for r in jsonl_rows(out) if r["article_id"] == 7)["near_duplicate_of"] == 6
    assert export_archive(small_archive, "jsonl", out, originals_only=True).rows == 99
    assert 7 not in {row["article_id"] for row in jsonl_rows(out)}


def test_excel_csv_has_a_bom_crlf_and_neutralised_formulas(small_archive, tmp_path):
    with Archive(small_archive) as archive:
        record = archive.get_article("alhadath", 3)
        record.update(title="=HYPERLINK(\"http://x.invalid\")", subtitle="+1 خبر", byline_raw="-2",
                      dateline="@SUM(A1)", category="\tتبويب")
        archive.upsert_articles([ArticleWrite(record, content_hash="x")])
    plain, excel = tmp_path / "plain.csv", tmp_path / "excel.csv"
    subprocess.run([*ARSHIF, "export", "--db", str(small_archive), "--format", "csv", "-o", str(plain)], check=True)
    result = subprocess.run([*ARSHIF, "export", "--db", str(small_archive), "--format", "csv", "--excel",
                             "-o", str(excel)], capture_output=True, text=True, check=True)
    assert "5 cells starting with = + - @ tab or CR were prefixed with '" in result.stderr
    raw = excel.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and not plain.read_bytes().startswith(b"\xef\xbb\xbf")
    assert raw.count(b"\r\n") >= 101 and b"\n" not in raw.replace(b"\r\n", b"")  # CRLF only
    with open(excel, encoding="utf-8-sig", newline="") as stream:
        rows = {int(row["article_id"]): row for row in csv.DictReader(stream)}
    three = rows[3]
    assert three["title"] == "'=HYPERLINK(\"http://x.invalid\")" and three["subtitle"] == "'+1 خبر"
    assert three["byline_raw"] == "'-2" and three["dateline"] == "'@SUM(A1)" and three["category"] == "'\tتبويب"
    with Archive(small_archive) as archive:
        assert rows[4]["title"] == archive.get_article("alhadath", 4)["title"]  # Arabic as stored
    with open(plain, encoding="utf-8", newline="") as stream:
        assert next(r for r in csv.DictReader(stream) if r["article_id"] == "3")["title"].startswith("=HYPERLINK")


def test_excel_is_for_csv_only(small_archive, tmp_path):
    from crawler.errors import UsageError

    with pytest.raises(UsageError, match="--excel is for --format csv"):
        export_archive(small_archive, "jsonl", tmp_path / "o.jsonl", excel=True)


def test_parquet_types_times_in_utc_with_the_offset_beside_them(small_archive, tmp_path):
    import pyarrow as pa
    import pyarrow.dataset as ds

    export_archive(small_archive, "jsonl", tmp_path / "o.jsonl")
    export_archive(small_archive, "parquet", tmp_path / "o.parquet")
    schema = pa.parquet.read_schema(tmp_path / "o.parquet")
    utc = pa.timestamp("us", tz="UTC")
    for name in ("published_at", "modified_at", "first_seen_at", "last_seen_at", "updated_at"):
        assert schema.field(name).type == utc, name
    assert schema.field("published_hijri").type == pa.string()
    assert schema.field("published_at_offset").type == pa.string()
    for name in ("authors", "agencies", "paragraphs", "tags"):
        assert schema.field(name).type == pa.list_(pa.string()), name
    assert schema.names.index("published_at_offset") == schema.names.index("published_at") + 1
    # A dataframe-style read (pyarrow's dataset scanner, filtering on the timestamp like pandas/duckdb would).
    table = ds.dataset(tmp_path / "o.parquet").to_table(
        filter=ds.field("published_at") >= pa.scalar(datetime(2014, 11, 1, tzinfo=timezone.utc), type=utc))
    by_id = {row["article_id"]: row for row in table.to_pylist()}
    for row in jsonl_rows(tmp_path / "o.jsonl"):
        local = datetime.fromisoformat(row["published_at"])
        if local < datetime(2014, 11, 1, tzinfo=timezone.utc):
            assert row["article_id"] not in by_id
            continue
        parquet_row = by_id[row["article_id"]]
        assert parquet_row["published_at"] == local  # the same instant
        assert parquet_row["published_at_offset"] == row["published_at"][-6:]  # and the page's own offset
        assert parquet_row["published_hijri"] == row["published_hijri"] and parquet_row["paragraphs"] == row["paragraphs"]
