"""Start-up of the commands (issue 22): numpy is imported only where many MinHashes are made, and every command
works on a machine path where numpy cannot be imported at all; the plain-Python signatures a process makes
first are the very ones numpy makes."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

from tests.test_crawl import REPO, ok
from tests.test_reparse_jobs import dump

# Runs `arshif ARGS` in a fresh interpreter; with BLOCK, `import numpy` raises ImportError there (as on a machine
# without it), and with DEDUPE_PLAIN=0 every MinHash is made by numpy from the first. Prints the loaded modules
# of interest last.
RUN = """
import json, os, sys
if os.environ.get("BLOCK"):
    sys.modules["numpy"] = None
if os.environ.get("DEDUPE_PLAIN"):
    import crawler.dedupe
    crawler.dedupe.PLAIN_SIGNATURES = int(os.environ["DEDUPE_PLAIN"])
from crawler.cli import cli
try:
    code = cli.main(sys.argv[1:], prog_name="arshif", standalone_mode=False)
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code or 0, "numpy": sys.modules.get("numpy") is not None}))
"""


def run(*args: str, cwd, block: bool = False, plain: int | None = None) -> tuple[dict, subprocess.CompletedProcess]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("BLOCK", None)
    if block:
        env["BLOCK"] = "1"
    if plain is not None:
        env["DEDUPE_PLAIN"] = str(plain)
    done = subprocess.run([sys.executable, "-c", RUN, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["code"] == 0, done.stderr[-3000:]
    return answer, done


def test_every_command_works_without_numpy_and_makes_the_same_archive(mirror_factory, tmp_path):
    mirror = mirror_factory(articles=200, seed=5)
    dbs = {}
    for name, options in {"without": {"block": True}, "numpy": {"plain": 0}}.items():
        work = tmp_path / name
        work.mkdir()
        dbs[name] = work / "a.db"
        answer, _ = run("backfill", "alhadath", "--ids", "1-200", "--base-url", mirror.base_url, "--db",
                        str(dbs[name]), "--no-polite", cwd=work, **options)
        assert answer["numpy"] is (name == "numpy")
    # The same band keys (hence the same near-duplicate decisions) by either signature: past PLAIN_SIGNATURES
    # (128) the backfill without numpy goes on with the plain-Python one.
    without, numpy = dump(dbs["without"]), dump(dbs["numpy"])
    assert without["band_keys"] and without["articles"]
    for rows in (*without.values(), *numpy.values()):  # the WARC file's name holds its writing time
        for row in rows:
            row.pop("warc_record", None)
    assert without == numpy
    db, work = dbs["without"], tmp_path / "without"
    with sqlite3.connect(db) as conn:  # an older extractor's titles: reparse writes new versions
        changed = conn.execute("update articles set title = title || ' (قديم)' where article_id % 4 = 0").rowcount
    conn.close()
    for args in (["reparse", "--db", str(db)], ["reparse", "--db", str(db), "--jobs", "2"],
                 ["export", "--db", str(db), "--format", "jsonl", "--output", str(work / "out.jsonl")],
                 ["stats", "--db", str(db)], ["search", "الحدث", "--db", str(db)], ["check", "--db", str(db)],
                 ["coverage", "--db", str(db)]):
        answer, done = run(*args, cwd=work, block=True)
        assert answer["numpy"] is False
        if args[0] == "reparse" and "--jobs" not in args:
            assert f"{changed:,} changed" in done.stderr
    assert len((work / "out.jsonl").read_text().splitlines()) == len(without["articles"])


def test_a_reparse_of_unchanged_pages_and_the_read_commands_load_no_numpy(mirror_factory, tmp_path):
    """numpy installed: still not imported by a reparse that makes few MinHashes, nor by reading commands."""
    mirror = mirror_factory(articles=60, seed=3)
    db = tmp_path / "a.db"
    run("backfill", "alhadath", "--ids", "1-60", "--base-url", mirror.base_url, "--db", str(db), "--no-polite",
        cwd=tmp_path)
    for args in (["reparse", "--db", str(db)], ["stats", "--db", str(db)], ["--help"], ["crawl", "--help"]):
        answer, _ = run(*args, cwd=tmp_path)
        assert answer["numpy"] is False, args


def test_sqlite_utils_still_types_numpy_values_once_numpy_is_loaded():
    """sqlite_utils, imported after crawler.storage (by it when first used, or by anyone: the import hook of
    ``crawler.storage.migrating``), is imported with numpy hidden; a numpy value given to it later is typed as
    sqlite_utils types it when it imports numpy itself (INTEGER, REAL)."""
    code = (
        "import sys, crawler.storage, sqlite_utils\n"
        "assert 'numpy' not in sys.modules\n"
        "import numpy as np\n"
        "db = sqlite_utils.Database(memory=True)\n"
        "db['t'].insert({'i': np.int64(3), 'u': np.uint8(2), 'f': np.float32(1.5), 'n': 1})\n"
        "print(db.execute(\"select group_concat(name || ' ' || type) from pragma_table_info('t')\").fetchone()[0])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.stdout.strip() == "i INTEGER,u INTEGER,f REAL,n INTEGER"


def test_plain_signatures_are_the_numpy_ones(monkeypatch):
    import zlib

    from crawler import dedupe

    bodies = [" ".join(f"كلمة{i % n} نص{i}" for i in range(count)) for n, count in ((7, 40), (50, 300), (3, 2))]
    for body in bodies:
        words = body.encode().split()
        monkeypatch.setattr(dedupe, "_plain_signatures", 0)
        monkeypatch.setattr(dedupe, "np", None)  # as in a process that has not loaded it
        plain = dedupe._body_signature(words)
        assert isinstance(plain, list) and dedupe.np is None
        grams = dedupe._ngram_list(words, b" ", dedupe.SHINGLE_WORDS)
        assert plain == dedupe._signature(dedupe._shingle_hashes(words)).tolist() \
            == dedupe._reference_signature(map(zlib.crc32, grams))
        assert dedupe.band_hashes(plain) == dedupe.band_hashes(dedupe._signature(dedupe._shingle_hashes(words)))


def test_numpy_takes_over_after_the_plain_signatures(monkeypatch):
    from crawler import dedupe

    words = " ".join(f"كلمة{i % 11} نص{i}" for i in range(80)).encode().split()
    monkeypatch.setattr(dedupe, "np", None)
    monkeypatch.setattr(dedupe, "_plain_signatures", dedupe.PLAIN_SIGNATURES - 1)
    first = dedupe._body_signature(words)
    assert isinstance(first, list) and dedupe.np is None
    second = dedupe._body_signature(words)
    assert dedupe.np is not None and second.tolist() == first


def test_opening_an_archive_scans_no_installed_distributions(tmp_path):
    """``Archive`` and the reader's migration check make sqlite_utils' Database without its plugin hook, which
    imports importlib.metadata and reads every installed distribution's entry points (~10-20 ms a process)."""
    script = (
        "import sys\n"
        "from crawler.storage import Archive, open_archive\n"
        f"archive = Archive({str(tmp_path / 'a.db')!r}); archive.close()\n"
        f"open_archive({str(tmp_path / 'a.db')!r}).close()\n"
        "print('importlib.metadata' in sys.modules)\n")
    assert python_output(script) == "False"


def python_output(script: str) -> str:
    """What ``script`` prints, run by a fresh interpreter in the project (its stripped stdout)."""
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()
