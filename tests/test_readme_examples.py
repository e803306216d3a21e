"""The README's Python examples ("For data teams") run as written, and print what the archive holds.

The archive is made as a user makes one: `arshif backfill` of 300 mirror ids (29900-30199: late December
2015 to early January 2016, with aliases, misses and near duplicates), then a `--day 5 --refresh` backfill so
that the articles the mirror edits get a second version. It is named ``arshif.db``, the name the examples
use, in the folder they run in, so each ```python block runs unmodified in its own interpreter, in order
(the DuckDB block reads the Parquet file the pandas block wrote). What they print is checked against the
archive read with plain sqlite3, not through the API the examples show.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.mirror import MirrorConfig, MirrorProcess

REPO = Path(__file__).resolve().parents[1]
IDS, MIRROR_IDS = "29900-30199", 30200


def python_blocks(section: str = "### For data teams") -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    start = text.index(section)
    end = text.find("\n## ", start)
    return re.findall(r"^```python\n(.*?)^```", text[start:end], flags=re.M | re.S)


def arshif(*args: str, cwd: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "crawler", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, f"arshif {args[0]}: exit {done.returncode}\n{done.stderr[-3000:]}"


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("readme")
    for day, extra in ((0, ()), (5, ("--refresh",))):
        with MirrorProcess.start(MirrorConfig(articles=MIRROR_IDS, day=day)) as mirror:
            arshif("backfill", "alhadath", "--ids", IDS, "--base-url", mirror.base_url, "--db", "arshif.db",
                   "--log-level", "warning", *extra, cwd=folder)
    return folder


@pytest.fixture(scope="module")
def printed(folder) -> list[list[str]]:
    """Each block's stdout lines, the blocks run in order in ``folder``."""
    blocks = python_blocks()
    outputs = []
    for block in blocks:
        done = subprocess.run([sys.executable, "-c", block], cwd=folder, capture_output=True, text=True,
                              timeout=300, env={**os.environ, "PYTHONPATH": str(REPO)})
        assert done.returncode == 0, f"README example failed:\n{block}\n{done.stderr[-3000:]}"
        outputs.append(done.stdout.splitlines())
    return outputs


def rows(folder: Path, sql: str, params=()) -> list[tuple]:
    with sqlite3.connect(folder / "arshif.db") as conn:
        return conn.execute(sql, params).fetchall()


def test_the_section_shows_the_api_pandas_and_duckdb():
    blocks = python_blocks()
    assert len(blocks) == 4
    assert "open_archive" in blocks[0] and "import pandas" in blocks[1] and "validate_package" in blocks[2]
    assert "import duckdb" in blocks[3]


def test_the_reader_example_prints_the_archives_january_its_search_and_its_edits(folder, printed):
    lines = printed[0]
    january = rows(folder, "select article_id, published_at, title, paragraphs from articles where site = 'alhadath'"
                           " and substr(published_at, 1, 10) >= '2016-01-01' and substr(published_at, 1, 10) < '2016-02-01'"
                           " order by article_id")
    assert len(january) > 50  # the fixture spans the new year
    assert lines[0] == f"{len(january)} articles in January 2016"
    first = january[0]
    assert lines[1] == f"{first[0]} {first[1]} {first[2]}"
    found = [line for line in lines if line.startswith("found: ")]
    assert 1 <= len(found) <= 3
    by_id = {row[0]: row for row in january}
    for line in found:
        article_id = int(line.split()[1])
        assert article_id in by_id  # the search kept to January
        title, paragraphs = by_id[article_id][2], json.loads(by_id[article_id][3])
        assert line == f"found: {article_id} {title}"
        assert "حكوم" in title + " ".join(paragraphs)  # الحكومة, حكومة, حكومتها ...
    # every version past the first: earlier ones kept in article_versions, the current one in articles
    edited = rows(folder, "select article_id, version, valid_from from article_versions where version > 1"
                          " union all select article_id, version, updated_at from articles where version > 1"
                          " order by article_id, version")
    assert edited  # the --day 5 refresh edited some
    expected = [f"edited: {article_id} version {version} from {since}" for article_id, version, since in edited]
    assert [line for line in lines if line.startswith("edited: ")] == expected
    assert len(lines) == 2 + len(found) + len(expected)


def test_the_pandas_example_prints_the_exports_rows_categories_and_edits(folder, printed):
    lines = printed[1]
    count = rows(folder, "select count(*) from articles")[0][0]
    cursor = (folder / "data" / "full.parquet.cursor").read_text(encoding="utf-8").strip()
    assert lines[0] == f"{count} rows; next cursor: {cursor}"
    categories = dict(rows(folder, "select category, count(*) from articles group by category"))
    assert lines[1] == "category"  # value_counts' header, then three "name  count" lines
    shown = [re.fullmatch(r"(.+?)\s+(\d+)", line).groups() for line in lines[2:5]]
    assert all(categories[name] == int(n) for name, n in shown)
    assert [int(n) for _, n in shown] == sorted(categories.values(), reverse=True)[:3]
    lengths = [n for (n,) in rows(folder, "select json_array_length(paragraphs) from articles")]
    assert lines[5] == f"paragraphs per article: {float(statistics.median(lengths))}"
    edited = rows(folder, "select count(*) from articles where version > 1")[0][0]
    assert lines[6] == f"articles edited: {edited}" and len(lines) == 7
    assert (folder / "data" / "datapackage.json").exists() and (folder / "data" / "full.parquet.md").exists()


def test_the_validation_example_finds_every_file_of_the_package_valid(folder, printed):
    package = json.loads((folder / "data" / "datapackage.json").read_text(encoding="utf-8"))
    assert printed[2] == [f"{resource['path']} valid" for resource in package["resources"]]
    assert [resource["path"] for resource in package["resources"]] == ["full.parquet", "versions.parquet"]


def test_the_duckdb_example_prints_the_archives_top_categories(folder, printed):
    top = rows(folder, "select category, count(*) from articles group by category order by 2 desc, 1 limit 3")
    assert printed[3] == [f"{category} {count}" for category, count in top]
