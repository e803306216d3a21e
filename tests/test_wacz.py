"""`arshif export --format wacz`: a 300-id backfill packaged as a WACZ that `wacz validate` accepts, with one
page entry per stored article, and the articles without a WARC record listed, not dropped."""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.ops_archive import synthetic_record

REPO = Path(__file__).resolve().parents[1]
pytest.importorskip("wacz", reason="the wacz extra is not installed (pip install -e '.[wacz]')")


def arshif(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "crawler", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PYTHONPATH": str(REPO)})


@pytest.fixture(scope="module")
def backfilled(tmp_path_factory):
    """A 300-id backfill (WARC on by default, in <db dir>/warc) plus one article stored without WARC."""
    from crawler.mirror import MirrorConfig, MirrorProcess
    from crawler.storage import Archive, ArticleWrite

    root = tmp_path_factory.mktemp("wacz")
    db = root / "arshif.db"
    mirror = MirrorProcess.start(MirrorConfig(articles=300, seed=2))
    try:
        result = arshif("backfill", "alhadath", "--ids", "1-300", "--base-url", mirror.base_url, "--db", str(db),
                        "--log-level", "warning", cwd=root)
    finally:
        mirror.stop()
    assert result.returncode == 0, result.stderr[-3000:]
    with Archive(db) as archive:  # as if captured before WARC was on
        record = synthetic_record(900, random.Random(9))
        archive.upsert_articles([ArticleWrite(record=record, content_hash="no-warc-900")])
    return db


def stored(db: Path) -> dict[int, dict]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return {row["article_id"]: dict(row) for row in conn.execute("select article_id, title, warc_record from articles")}


def test_wacz_of_a_backfill_validates_with_one_page_per_article(backfilled, tmp_path):
    out = tmp_path / "archive.wacz"
    result = arshif("export", "--db", str(backfilled), "--format", "wacz", "-o", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    articles = stored(backfilled)
    with_warc = {article_id: row for article_id, row in articles.items() if row["warc_record"]}
    assert len(with_warc) >= 250 and len(articles) == len(with_warc) + 1

    validate = subprocess.run([sys.executable, "-m", "wacz", "validate", "-f", str(out)],
                              capture_output=True, text=True, timeout=120)
    assert validate.returncode == 0 and "is valid" in validate.stdout, validate.stdout + validate.stderr

    with zipfile.ZipFile(out) as wacz:
        names = set(wacz.namelist())
        lines = wacz.read("pages/pages.jsonl").decode("utf-8").splitlines()
    assert {"datapackage.json", "datapackage-digest.json", "indexes/index.cdx.gz", "pages/pages.jsonl"} <= names
    assert any(name.startswith("archive/") and name.endswith(".warc.gz") for name in names)
    header, pages = json.loads(lines[0]), [json.loads(line) for line in lines[1:]]
    assert header["format"] == "json-pages-1.0"
    assert sorted(int(page["id"].rpartition("-")[2]) for page in pages) == sorted(with_warc)
    for page in pages:
        row = with_warc[int(page["id"].rpartition("-")[2])]
        assert page["title"] == row["title"]
        assert page["url"].split("/article/")[1].split("/")[0] == page["id"].rpartition("-")[2]
        assert page["ts"].endswith("Z")

    assert f"{len(with_warc):,} of {len(articles):,} articles" in result.stderr
    assert "1 articles have no WARC record" in result.stderr and "alhadath/900" in result.stderr
    missing = [json.loads(line) for line in Path(str(out) + ".without-warc.jsonl").read_text().splitlines()]
    assert missing == [{"site": "alhadath", "article_id": 900, "url": "https://www.alhadath.ps/article/900",
                        "reason": "captured without WARC"}]
    assert not Path(str(out) + ".part").exists()


def test_wacz_needs_a_file_and_a_warc_directory(backfilled, tmp_path):
    to_stdout = arshif("export", "--db", str(backfilled), "--format", "wacz", cwd=tmp_path)
    assert to_stdout.returncode == 2 and "-o FILE.wacz" in to_stdout.stderr
    no_warc = arshif("export", "--db", str(backfilled), "--format", "wacz", "-o", "a.wacz", "--warc",
                     str(tmp_path / "nowhere"), cwd=tmp_path)
    assert no_warc.returncode == 2 and "no WARC directory" in no_warc.stderr


def test_wacz_of_a_date_window_holds_only_its_articles(backfilled, tmp_path):
    with sqlite3.connect(backfilled) as conn:
        days = [day for (day,) in conn.execute(
            "select distinct substr(published_at, 1, 10) from articles where warc_record is not null order by 1")]
        since = days[len(days) // 2]
        expected = {article_id for (article_id,) in conn.execute(
            "select article_id from articles where warc_record is not null and published_at >= ?", [since])}
    out = tmp_path / "window.wacz"
    result = arshif("export", "--db", str(backfilled), "--format", "wacz", "--since", since, "-o", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    from crawler.wacz import read_pages

    assert {int(page["id"].rpartition("-")[2]) for page in read_pages(out)} == expected
    assert 0 < len(expected) < len(stored(backfilled))


def test_whole_archive_wacz_holds_every_warc_file(backfilled, tmp_path):
    out = tmp_path / "all.wacz"
    assert arshif("export", "--db", str(backfilled), "--format", "wacz", "-o", str(out), cwd=tmp_path).returncode == 0
    with zipfile.ZipFile(out) as wacz:
        packed = {name.removeprefix("archive/") for name in wacz.namelist() if name.startswith("archive/")}
    assert packed == {path.name for path in (backfilled.parent / "warc").glob("*.warc.gz")}
