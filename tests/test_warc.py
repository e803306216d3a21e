"""WARC capture: files warcio validates, pointers that read back the exact response, crash recovery."""

from __future__ import annotations

import gzip
import io
import subprocess
import sys
import zlib
from pathlib import Path
from types import SimpleNamespace

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.settings import Settings
from scrapy.statscollectors import MemoryStatsCollector
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from crawler.warc import (
    RotatingWarcWriter,
    WarcCaptureMiddleware,
    WarcPointer,
    _read_plain_response,
    _sha1_matches,
    iter_responses,
    read_response,
    read_with_warcio,
)

PAGE = "<html><body><h1>عنوان الخبر</h1><p>نص الخبر مع تشكيل: مُحَمَّد</p></body></html>".encode()


def write_pages(writer, count, start=0):
    pointers = []
    for number in range(start, start + count):
        body = PAGE + str(number).encode()
        pointers.append(writer.write_exchange(
            url=f"https://www.alhadath.ps/article/{number}", method="GET",
            request_headers=[("User-Agent", "Arshif")], request_body=b"", status=200,
            response_headers=[("Content-Type", "text/html; charset=utf-8")], body=body,
        ))
    return pointers


def warcio_check(paths):
    return subprocess.run([str(Path(sys.executable).with_name("warcio")), "check", "-v", *map(str, paths)],
                          capture_output=True, text=True)


def test_files_rotate_are_renamed_when_closed_and_pass_warcio_check(tmp_path):
    writer = RotatingWarcWriter(tmp_path, max_bytes=4000)
    pointers = write_pages(writer, 12)
    assert writer.current_path is not None and writer.current_path.name.endswith(".warc.gz.open")
    writer.close()
    files = sorted(tmp_path.iterdir())
    assert len(files) >= 3 and all(f.name.endswith(".warc.gz") for f in files)  # rotated, none left .open
    check = warcio_check(files)
    assert check.returncode == 0, check.stdout + check.stderr
    kinds = []
    for path in files:
        with open(path, "rb") as stream:
            for record in ArchiveIterator(stream, check_digests="raise"):
                kinds.append(record.rec_type)
                if record.rec_type == "response":
                    assert record.rec_headers.get_header("WARC-Payload-Digest").startswith("sha1:")
                    assert record.rec_headers.get_header("WARC-Date")
                if record.rec_type == "request":
                    assert record.rec_headers.get_header("WARC-Concurrent-To")
    assert kinds.count("response") == kinds.count("request") == 12
    assert kinds.count("warcinfo") == len(files)
    assert "digest pass" in check.stdout and "fail" not in check.stdout.lower()
    for number, pointer in enumerate(pointers):
        captured = read_response(tmp_path, str(pointer))
        assert captured.url == f"https://www.alhadath.ps/article/{number}"
        assert captured.body == PAGE + str(number).encode()
        assert captured.status == 200 and captured.header("content-type").startswith("text/html")
    assert [c.pointer for c in iter_responses(tmp_path)] == pointers


def test_content_encoded_payload_is_kept_raw_and_read_back_decoded(tmp_path):
    writer = RotatingWarcWriter(tmp_path)
    pointer = writer.write_exchange(
        url="https://www.alhadath.ps/article/7", method="GET", request_headers=[], request_body=b"",
        status=200, body=gzip.compress(PAGE),
        response_headers=[("Content-Encoding", "gzip"), ("Transfer-Encoding", "chunked")],
    )
    writer.close()
    captured = read_response(tmp_path, pointer)
    assert captured.body == PAGE
    assert captured.header("transfer-encoding") == ""  # framing the client already undid is not replayed
    assert warcio_check(tmp_path.iterdir()).returncode == 0


def test_the_plain_record_reader_gives_what_warcio_gives_and_leaves_every_other_record_to_it(tmp_path):
    writer = RotatingWarcWriter(tmp_path)
    plain = write_pages(writer, 3)
    odd = [
        writer.write_exchange(url="https://www.alhadath.ps/article/9", method="GET", request_headers=[],
                              request_body=b"", status=200, body=gzip.compress(PAGE),
                              response_headers=[("Content-Encoding", "gzip")]),  # a body to decode: warcio's
        writer.write_exchange(url="https://www.alhadath.ps/article/10", method="GET", request_headers=[],
                              request_body=b"", status=404, body=b"", response_headers=[("X-Name", "قيمة")]),
        writer.write_exchange(url="https://www.alhadath.ps/article/11", method="GET", request_headers=[],
                              request_body=b"", status=200, body=PAGE, response_headers=[]),
    ]
    writer.close()
    [path] = tmp_path.iterdir()
    for pointer in plain + odd:
        with open(path, "rb") as file:
            file.seek(pointer.offset)
            fast = _read_plain_response(file, pointer)
            file.seek(pointer.offset)
            slow = read_with_warcio(file, pointer)
        assert read_response(tmp_path, pointer) == slow
        if pointer in plain or pointer == odd[2]:
            assert fast == slow
        elif pointer == odd[0]:
            assert fast is None and slow.body == PAGE


def test_a_record_whose_digest_fails_is_refused_by_both_readers(tmp_path):
    writer = RotatingWarcWriter(tmp_path)
    [pointer] = write_pages(writer, 1)
    writer.close()
    [path] = tmp_path.iterdir()
    data = path.read_bytes()
    inflater = zlib.decompressobj(wbits=31)
    record = inflater.decompress(data[pointer.offset:])
    member_end = len(data) - len(inflater.unused_data)
    changed = record.replace(PAGE, PAGE.replace("الخبر".encode(), "الخبز".encode(), 1))
    assert changed != record and len(changed) == len(record)
    path.write_bytes(data[:pointer.offset] + gzip.compress(changed) + data[member_end:])
    with open(path, "rb") as file:
        file.seek(pointer.offset)
        assert _read_plain_response(file, pointer) is None
    with pytest.raises(ArchiveLoadFailed, match="digest"):
        read_response(tmp_path, pointer)


def test_the_block_digest_check_is_the_base32_comparison_it_stands_for():
    """``_sha1_matches`` reads the digest as a number (int() over mapped digits): it must accept exactly what
    comparing ``base64.b32encode`` of the SHA-1 accepts, whatever else int() would take (signs, spaces,
    underscores, lowercase, padding)."""
    import base64
    import hashlib
    import random

    chance = random.Random(22)
    for size in (0, 1, 57, 4096):
        data = bytes(chance.randrange(256) for _ in range(size))
        good = base64.b32encode(hashlib.sha1(data).digest()).decode("ascii")
        other = base64.b32encode(hashlib.sha1(data + b"x").digest()).decode("ascii")
        values = [good, other, good.lower(), good + "=", good[:-1], good[1:], " " + good, good + " ", "+" + good[1:],
                  good[:8] + "_" + good[9:], good[:10] + "1" + good[11:], good[:10] + "8" + good[11:], good * 2, ""]
        for value in values:
            for algorithm in ("sha1", "SHA1", "sha256", ""):
                digest = f"{algorithm}:{value}"
                expected = algorithm.lower() == "sha1" and base64.b32encode(
                    hashlib.sha1(data).digest()).decode("ascii") == value
                assert _sha1_matches(data, digest) is expected, digest
                assert _sha1_matches(memoryview(data), digest) is expected, digest
        assert _sha1_matches(data, None) is True


def test_a_member_whose_gzip_check_fails_is_not_read_plainly_and_many_records_share_one_reader(tmp_path):
    """The plain reader's inflate (ISA-L's when installed) checks the member's CRC-32 as zlib does: a flipped
    byte in the trailer leaves the record to warcio. ``WarcReader`` reads any pointers in any order from
    its open files, as ``read_response`` reads each alone."""
    from crawler.warc import WarcReader, _gunzip_member

    writer = RotatingWarcWriter(tmp_path, max_bytes=1500)  # a few records per file: several files
    pointers = write_pages(writer, 6)
    writer.close()
    assert len({pointer.file for pointer in pointers}) > 1
    with WarcReader(tmp_path) as reader:
        for pointer in [*reversed(pointers), *pointers]:
            assert reader.read(str(pointer)) == read_response(tmp_path, pointer)
    member = gzip.compress(b"<p>page</p>" * 50)
    assert _gunzip_member(io.BytesIO(member)) == b"<p>page</p>" * 50
    broken = member[:-8] + bytes([member[-8] ^ 1]) + member[-7:]  # the CRC-32's first byte
    assert _gunzip_member(io.BytesIO(broken)) is None


KILLED_WRITER = """
import os, signal, sys
from crawler.warc import RotatingWarcWriter
writer = RotatingWarcWriter(sys.argv[1])
for n in range(3):
    writer.write_exchange(url=f"https://x/article/{n}", method="GET", request_headers=[], request_body=b"",
                          status=200, response_headers=[], body=b"page %d" % n)
writer._file.write(b"\\x1f\\x8b\\x08 half a record")  # the kill lands mid-write
writer._file.flush()
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_killed_writers_open_file_is_cut_to_whole_records_and_renamed(tmp_path):
    subprocess.run([sys.executable, "-c", KILLED_WRITER, str(tmp_path)])
    (left,) = tmp_path.iterdir()
    assert left.name.endswith(".warc.gz.open")
    RotatingWarcWriter(tmp_path).close()  # the next writer recovers it
    (recovered,) = tmp_path.iterdir()
    assert recovered.name == left.name.removesuffix(".open")
    assert [c.body for c in iter_responses(tmp_path)] == [b"page 0", b"page 1", b"page 2"]
    assert warcio_check([recovered]).returncode == 0


def test_pointer_round_trip():
    pointer = WarcPointer("arshif-20260101000000-1-00001.warc.gz", 1234)
    assert WarcPointer.parse(str(pointer)) == pointer


def test_middleware_captures_responses_and_points_to_them_in_meta(tmp_path):
    crawler = SimpleNamespace(settings=Settings({"ARSHIF_WARC_DIR": str(tmp_path)}),
                              signals=SimpleNamespace(connect=lambda *a, **k: None))
    crawler.stats = MemoryStatsCollector(crawler)
    capture = WarcCaptureMiddleware.from_crawler(crawler)
    request = Request("https://www.alhadath.ps/article/5", headers={"User-Agent": "Arshif"})
    response = HtmlResponse(request.url, body=PAGE, request=request, headers={"Content-Type": "text/html"})
    assert capture.process_response(request, response) is response
    pointer = response.meta["warc_record"]
    capture.spider_closed(None)
    assert read_response(tmp_path, pointer).body == PAGE
    assert crawler.stats.get_value("arshif/warc/responses") == 1


def test_reparse_takes_the_crawl_path_dedupe_included(tmp_path):
    """Rows stored without their near-duplicate link (as an older dedupe left them): reparse runs the crawl's
    pipelines (clean → validate → dedupe → store) over the WARC records, so the link is decided again, and
    reads each page with the charset of the record's own HTTP header (here windows-1256, no <meta> charset)."""
    import re

    from crawler.dedupe import Fingerprint
    from crawler.extract import extract_article
    from crawler.mirror import MirrorConfig
    from crawler.mirror.pages import article_page
    from crawler.reparse import reparse
    from crawler.storage import Archive, ArticleWrite

    html = article_page(MirrorConfig(articles=20, seed=1), 5, "http://127.0.0.1:1").body.decode("utf-8")
    html = re.sub(r"<meta charset=[^>]*>", "", html)
    first_paragraph = re.search(r"<p>([^<]{40,})</p>", html).group(1)
    edited = first_paragraph.split(" ", 1)[1]  # one word fewer: a near copy, not an exact one
    pages = {10: html, 20: html.replace(first_paragraph, edited, 1)}
    writer = RotatingWarcWriter(tmp_path / "warc")
    db = tmp_path / "a.db"
    with Archive(db) as archive:
        for article_id, page in pages.items():
            url = f"https://www.alhadath.ps/article/{article_id}"
            body = page.encode("cp1256", "xmlcharrefreplace")
            pointer = writer.write_exchange(
                url=url, method="GET", request_headers=[], request_body=b"", status=200, body=body,
                response_headers=[("Content-Type", "text/html; charset=windows-1256")],
            )
            record = {**extract_article(body, url, site="alhadath", encoding="windows-1256"), "article_id": article_id,
                      "url": url}
            fingerprint = Fingerprint(record["paragraphs"])
            archive.upsert_articles([ArticleWrite(record=record, content_hash=fingerprint.content_hash,
                                                  band_hashes=fingerprint.band_hashes, warc_record=str(pointer))])
    writer.close()
    result = reparse(db, tmp_path / "warc")
    assert (result.rows, result.unchanged + result.updated, result.invalid, result.missing_record) == (2, 2, 0, 0)
    with Archive(db) as archive:
        rows = {r["article_id"]: r for r in archive.rows("select * from articles")}
    assert rows[20]["near_duplicate_of"] == 10 and rows[20]["similarity"] >= 0.9
    assert rows[10]["near_duplicate_of"] is None
    assert rows[10]["title"] == re.search(r"<h1[^>]*>([^<]+)</h1>", html).group(1).strip()
