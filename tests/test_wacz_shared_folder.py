"""WACZ export when `<db dir>/warc` is shared (issue 20, item 7): two archives backfilled in one folder write
their WARC files side by side; each archive's WACZ packages its own files only, names the others in a
one-line note, and never crashes — not on a damaged foreign file, not on an archive with no WARC record
(main crashed with ``KeyError: "There is no item named 'pages/pages.jsonl'"``, rc 1)."""

from __future__ import annotations

import gzip
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
def shared(tmp_path_factory):
    """a.db (ids 1-30) and b.db (ids 31-60) backfilled into one folder, so into one warc/ folder."""
    from crawler.mirror import MirrorConfig, MirrorProcess

    root = tmp_path_factory.mktemp("shared")
    mirror = MirrorProcess.start(MirrorConfig(articles=60, seed=3))
    try:
        for name, ids in (("a", "1-30"), ("b", "31-60")):
            result = arshif("backfill", "alhadath", "--ids", ids, "--base-url", mirror.base_url,
                            "--db", str(root / f"{name}.db"), "--log-level", "warning", cwd=root)
            assert result.returncode == 0, result.stderr[-3000:]
    finally:
        mirror.stop()
    return root


def own_files(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        pointers = [row[0] for row in conn.execute("select warc_record from articles where warc_record is not null")]
    return {pointer.rpartition(":")[0] for pointer in pointers}


def packaged(wacz: Path) -> tuple[set[str], list[str]]:
    with zipfile.ZipFile(wacz) as archive:
        names = archive.namelist()
        pages = archive.read("pages/pages.jsonl").decode("utf-8").splitlines()[1:]
    return {name.removeprefix("archive/") for name in names if name.startswith("archive/")}, pages


def test_each_archive_packages_only_its_own_warc_files(shared):
    every = {path.name for path in (shared / "warc").glob("*.warc.gz")}
    files = {name: own_files(shared / f"{name}.db") for name in "ab"}
    assert files["a"] and files["b"] and not files["a"] & files["b"] and files["a"] | files["b"] == every
    for name, other in (("a", "b"), ("b", "a")):
        out = shared / f"{name}.wacz"
        result = arshif("export", "--db", str(shared / f"{name}.db"), "--format", "wacz", "-o", str(out), cwd=shared)
        assert result.returncode == 0, result.stderr[-3000:]
        inside, pages = packaged(out)
        assert inside == files[name]
        with sqlite3.connect(shared / f"{name}.db") as conn:
            assert len(pages) == conn.execute("select count(*) from articles").fetchone()[0]
        notes = [line for line in result.stderr.splitlines() if line.startswith("note: left out")]
        assert len(notes) == 1 and all(file in notes[0] for file in sorted(files[other])[:3]), result.stderr


def test_a_damaged_foreign_file_is_left_out_not_a_crash(shared, tmp_path):
    foreign = shared / "warc" / "someone-else.warc.gz"
    foreign.write_bytes(gzip.compress(b"not a WARC at all\r\n"))
    try:
        out = tmp_path / "a.wacz"
        result = arshif("export", "--db", str(shared / "a.db"), "--format", "wacz", "-o", str(out), cwd=shared)
        assert result.returncode == 0, result.stderr[-3000:]
        assert "someone-else.warc.gz" in result.stderr and "Traceback" not in result.stderr
        assert packaged(out)[0] == own_files(shared / "a.db")
    finally:
        foreign.unlink()


def test_an_archive_without_warc_records_says_so_beside_foreign_files(shared):
    """The crash of main: a third archive in the folder whose articles were stored without WARC."""
    from crawler.storage import Archive, ArticleWrite

    db = shared / "c.db"
    with Archive(db) as archive:
        archive.upsert_articles([ArticleWrite(record=synthetic_record(900, random.Random(9)), content_hash="c-900")])
    result = arshif("export", "--db", str(db), "--format", "wacz", "-o", str(shared / "c.wacz"), cwd=shared)
    assert result.returncode == 2, result.stderr[-3000:]
    assert "Traceback" not in result.stderr and "not one exported article has a WARC record" in result.stderr
    assert not (shared / "c.wacz").exists() and not (shared / "c.wacz.part").exists()
