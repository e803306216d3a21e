"""A corrupt WARC record is still caught by `arshif reparse`, at 1 and 2 jobs: a flipped byte in a record's
compressed bytes (the gzip member's CRC-32, checked by every inflate) and a record edited and compressed
again (only its SHA-1 block digest tells): each row is left as stored and counted as an unreadable record."""

from __future__ import annotations

import gzip
import shutil
import sqlite3
import zlib

import pytest

from crawler.mirror import MirrorConfig, MirrorProcess
from tests.test_crawl import arshif, ok
from tests.test_reparse_jobs import dump


@pytest.fixture(scope="module")
def corrupt_archive(tmp_path_factory):
    work = tmp_path_factory.mktemp("corrupt")
    db = work / "a.db"
    with MirrorProcess.start(MirrorConfig(articles=40, seed=9)) as mirror:
        ok(arshif("backfill", "alhadath", "--ids", "1-40", "--base-url", mirror.base_url, "--db", str(db),
                  "--no-polite", cwd=work))
    with sqlite3.connect(db) as conn:
        pointers = dict(conn.execute("select article_id, warc_record from articles"))
    conn.close()
    by_offset = sorted(pointers.items(), key=lambda item: int(item[1].rpartition(":")[2]))
    [file_name] = {pointer.rpartition(":")[0] for pointer in pointers.values()}
    path = work / "warc" / file_name
    data = path.read_bytes()
    # The last article's record: edited (one "<p>" → "<P>": the same page to the extractor) and compressed
    # again, a member whose CRC-32 is right; only the request record after it moves, and no row points to it.
    edited_id, edited_pointer = by_offset[-1]
    offset = int(edited_pointer.rpartition(":")[2])
    inflater = zlib.decompressobj(wbits=31)
    record = inflater.decompress(data[offset:])
    end = len(data) - len(inflater.unused_data)
    body_start = record.index(b"\r\n\r\n", record.index(b"\r\n\r\n") + 4) + 4
    changed = record[:body_start] + record[body_start:].replace(b"<p>", b"<P>", 1)
    assert changed != record and len(changed) == len(record)
    data = data[:offset] + gzip.compress(changed) + data[end:]
    # The first article's record: one byte of its compressed bytes flipped (storage damage).
    flipped_id, flipped_pointer = by_offset[0]
    offset = int(flipped_pointer.rpartition(":")[2])
    data = data[:offset + 200] + bytes([data[offset + 200] ^ 0x10]) + data[offset + 201:]
    path.write_bytes(data)
    return db, {edited_id, flipped_id}, len(pointers)


@pytest.mark.parametrize("jobs", [1, 2])
def test_reparse_counts_both_corrupt_records_unreadable_and_leaves_their_rows(corrupt_archive, tmp_path, jobs):
    original, corrupt_ids, stored = corrupt_archive
    db = tmp_path / "a.db"
    shutil.copy(original, db)
    before = dump(db)
    result = ok(arshif("reparse", "--db", str(db), "--warc", str(original.parent / "warc"), "--jobs", str(jobs),
                       cwd=tmp_path))
    assert f"{stored - 2} unchanged" in result.stderr and "2 unreadable records" in result.stderr
    for article_id in corrupt_ids:
        assert f"/{article_id}: WARC record" in result.stderr and "unreadable" in result.stderr
    assert dump(db) == before  # nothing written: not the edited page, not the damaged one
