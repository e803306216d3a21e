"""WARC capture: every fetched response kept as archives keep it, and read back for re-extraction.

Writing (setting ``ARSHIF_WARC_DIR`` turns it on; ``arshif crawl --warc DIR``):

- :class:`WarcCaptureMiddleware`, a downloader middleware placed next to the downloader, writes a
  ``response`` record (the payload as received, before decompression, with ``WARC-Payload-Digest``) and
  its ``request`` record (``WARC-Concurrent-To`` the response) for every response, redirects and errors
  included, and puts the response record's pointer in ``request.meta["warc_record"]`` (= ``response.meta``),
  which the spider puts on the item's ``FetchInfo`` and the archive stores in ``articles.warc_record``.
- :class:`RotatingWarcWriter` writes gzipped files (one gzip member per record, so any record can be
  read from its offset) named ``arshif-<UTC time>-<pid>-<serial>.warc.gz``; a file is written as
  ``<name>.open`` under an flock and renamed when closed or over ``ARSHIF_WARC_MAX_BYTES``. A ``.open``
  file that nobody holds (its writer was killed) is cut after its last whole record and renamed by the
  next writer in that directory.

A pointer is ``"<file name>:<offset>"`` (the byte offset of the response record in that file).
Reading: :func:`read_response` (one pointer) and :func:`iter_responses` (whole files).
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import logging
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from crawler import __version__

# warcio (and the http.client, ssl and email it imports, ~25 ms of CPU) is imported by the functions that
# write records or read one the plain reader leaves to it: `arshif reparse` reads records as this module
# writes them and never needs it.


@cache
def _http_reasons() -> dict[int, str]:
    """http.client.responses without importing http.client, and http's HTTPStatus (~1 ms) only once a record
    is written."""
    from http import HTTPStatus

    return {status.value: status.phrase for status in HTTPStatus}


logger = logging.getLogger(__name__)

META_KEY = "warc_record"
SUFFIX = ".warc.gz"
OPEN_SUFFIX = ".open"
DEFAULT_MAX_BYTES = 1_000_000_000  # the customary 1 GB per WARC file
# zlib's own default. warcio compresses at 9: on a 140 KB article page that costs ~2 ms more per record
# than 6 (about a fifth of a whole crawl's CPU per page) for files ~1.5% smaller; 1 is faster again but
# ~25% bigger. Readers see the same records whatever the level (ARSHIF_WARC_GZIP_LEVEL).
DEFAULT_GZIP_LEVEL = 6
# Hop-by-hop framing the HTTP client already undid: keeping it would make readers de-chunk a plain body.
_DROPPED_HEADERS = {"transfer-encoding"}


@dataclass(frozen=True)
class WarcPointer:
    file: str  # file name inside the WARC directory (final name, without ``.open``)
    offset: int

    def __str__(self) -> str:
        return f"{self.file}:{self.offset}"

    @classmethod
    def parse(cls, text: str) -> "WarcPointer":
        file, sep, offset = text.rpartition(":")
        if not sep or not file or not offset.isdigit():
            raise ValueError(f"not a WARC record pointer: {text!r}")
        return cls(file, int(offset))


@dataclass(frozen=True)
class CapturedResponse:
    url: str
    date: str  # WARC-Date, UTC ISO 8601
    status: int
    headers: list[tuple[str, str]]
    body: bytes  # content-decoded (gzip/deflate/br undone)
    pointer: WarcPointer

    def header(self, name: str, default: str = "") -> str:
        name = name.lower()
        return next((value for key, value in self.headers if key.lower() == name), default)


@cache
def _leveled_writer_class() -> type:
    """``WARCWriter(gzip=True)`` with ``level`` instead of warcio's fixed 9: one gzip member per record (a class
    made on first use, as warcio is imported then)."""
    from warcio.warcwriter import GzippingWrapper, WARCWriter

    class _GzipMember(GzippingWrapper):
        """warcio's gzip member per record, at a chosen compression level."""

        def __init__(self, out: Any, level: int) -> None:
            self.compressor = zlib.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS + 16)
            self.out = out

    class _LeveledWarcWriter(WARCWriter):
        def __init__(self, filebuf: Any, level: int, **kwargs: Any) -> None:
            super().__init__(filebuf, gzip=False, **kwargs)
            self.level = level

        def _write_warc_record(self, out: Any, record: Any) -> None:
            super()._write_warc_record(_GzipMember(out, self.level), record)  # its closing flush ends the member

    return _LeveledWarcWriter


class RotatingWarcWriter:
    def __init__(self, directory: str | os.PathLike[str], max_bytes: int = DEFAULT_MAX_BYTES, prefix: str = "arshif",
                 gzip_level: int = DEFAULT_GZIP_LEVEL):
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self.prefix = prefix
        self.gzip_level = gzip_level
        self.directory.mkdir(parents=True, exist_ok=True)
        self._file: io.BufferedWriter | None = None
        self._name = ""
        self._writer: Any = None  # a warcio WARCWriter
        self._serial = 0
        self.records_written = 0
        self.files_closed: list[Path] = []
        recover_open_files(self.directory)

    @property
    def current_path(self) -> Path | None:
        return self.directory / f"{self._name}{OPEN_SUFFIX}" if self._file else None

    def write_exchange(
        self,
        *,
        url: str,
        method: str,
        request_headers: list[tuple[str, str]],
        request_body: bytes,
        status: int,
        response_headers: list[tuple[str, str]],
        body: bytes,
        protocol: str = "HTTP/1.1",
        ip_address: str | None = None,
    ) -> WarcPointer:
        """Write one response record and its request record; return the response record's pointer."""
        from warcio.statusandheaders import StatusAndHeaders

        writer = self._ensure_open()
        date = writer.curr_warc_date()
        reason = _http_reasons().get(status, "")
        response_fields = {"WARC-Date": date}
        if ip_address:
            response_fields["WARC-IP-Address"] = ip_address
        response = writer.create_warc_record(
            url,
            "response",
            payload=io.BytesIO(body),
            length=len(body),
            warc_headers_dict=response_fields,
            http_headers=StatusAndHeaders(f"{status} {reason}".strip(), _kept(response_headers), protocol=protocol),
        )
        split = urlsplit(url)
        target = (split.path or "/") + (f"?{split.query}" if split.query else "")
        request = writer.create_warc_record(
            url,
            "request",
            payload=io.BytesIO(request_body),
            length=len(request_body),
            warc_headers_dict={
                "WARC-Date": date,
                "WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID"),
            },
            http_headers=StatusAndHeaders(
                f"{method} {target} {protocol}", _kept(request_headers), is_http_request=True
            ),
        )
        assert self._file is not None
        pointer = WarcPointer(self._name, self._file.tell())
        writer.write_record(response)
        writer.write_record(request)
        self.records_written += 2
        if self._file.tell() >= self.max_bytes:
            self._close_file()
        return pointer

    def close(self) -> None:
        self._close_file()

    def _ensure_open(self) -> Any:
        if self._writer is not None:
            return self._writer
        self._serial += 1
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
        self._name = f"{self.prefix}-{stamp}-{os.getpid()}-{self._serial:05d}{SUFFIX}"
        self._file = open(self.directory / f"{self._name}{OPEN_SUFFIX}", "xb")
        fcntl.flock(self._file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._writer = _leveled_writer_class()(self._file, self.gzip_level, warc_version="1.1")
        info = {"software": f"arshif/{__version__} (warcio)", "format": "WARC File Format 1.1"}
        self._writer.write_record(self._writer.create_warcinfo_record(self._name, info))
        return self._writer

    def _close_file(self) -> None:
        if self._file is None:
            return
        file, self._file, self._writer = self._file, None, None
        file.flush()
        os.fsync(file.fileno())
        final = self.directory / self._name
        os.rename(self.directory / f"{self._name}{OPEN_SUFFIX}", final)
        file.close()  # closing drops the flock, after the rename
        self.files_closed.append(final)


def _kept(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(name, value) for name, value in headers if name.lower() not in _DROPPED_HEADERS]


def recover_open_files(directory: Path) -> list[Path]:
    """Rename ``.open`` files whose writer is gone, cut after their last complete record."""
    recovered = []
    for path in sorted(directory.glob(f"*{SUFFIX}{OPEN_SUFFIX}")):
        with open(path, "r+b") as file:
            try:
                fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a live writer
            good_end = _end_of_complete_records(file)
            file.truncate(good_end)
            final = path.with_name(path.name.removesuffix(OPEN_SUFFIX))
            os.rename(path, final)
        logger.warning("recovered WARC file %s (writer had stopped; kept %d bytes)", final.name, good_end)
        recovered.append(final)
    return recovered


def _end_of_complete_records(file: Any) -> int:
    from warcio.archiveiterator import ArchiveIterator

    file.seek(0)
    end = 0
    try:
        iterator = ArchiveIterator(file)
        for record in iterator:
            record.content_stream().read()
            iterator.read_to_end(record)
            end = iterator.get_record_offset() + iterator.get_record_length()
    except Exception:  # a record cut short by the kill: everything before it is whole
        pass
    return end


# ---- Scrapy components -------------------------------------------------------------------------


def _header_pairs(headers: Any) -> list[tuple[str, str]]:
    pairs = []
    for name, values in headers.items():
        for value in values:
            pairs.append((name.decode("latin-1"), value.decode("latin-1")))
    return pairs


class WarcCaptureMiddleware:
    """Downloader middleware (priority 950: sees responses as they come off the wire)."""

    def __init__(self, writer: RotatingWarcWriter, stats: Any) -> None:
        self.writer = writer
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Any) -> "WarcCaptureMiddleware":
        from scrapy import signals
        from scrapy.exceptions import NotConfigured

        directory = crawler.settings.get("ARSHIF_WARC_DIR")
        if not directory:
            raise NotConfigured
        max_bytes = crawler.settings.getint("ARSHIF_WARC_MAX_BYTES", DEFAULT_MAX_BYTES)
        level = crawler.settings.getint("ARSHIF_WARC_GZIP_LEVEL", DEFAULT_GZIP_LEVEL)
        middleware = cls(RotatingWarcWriter(directory, max_bytes=max_bytes, gzip_level=level), crawler.stats)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def process_response(self, request: Any, response: Any) -> Any:
        pointer = self.writer.write_exchange(
            url=response.url,
            method=request.method,
            request_headers=_header_pairs(request.headers),
            request_body=request.body or b"",
            status=response.status,
            response_headers=_header_pairs(response.headers),
            body=response.body,
            protocol=response.protocol or "HTTP/1.1",
            ip_address=str(response.ip_address) if response.ip_address else None,
        )
        request.meta[META_KEY] = str(pointer)
        self.stats.inc_value("arshif/warc/responses")
        return response

    def spider_closed(self, spider: Any) -> None:
        self.writer.close()
        self.stats.set_value("arshif/warc/files", len(self.writer.files_closed))


# ---- Reading -----------------------------------------------------------------------------------


def resolve(directory: str | os.PathLike[str], pointer: WarcPointer) -> Path:
    path = Path(directory) / pointer.file
    if path.exists():
        return path
    still_open = path.with_name(path.name + OPEN_SUFFIX)
    if still_open.exists():
        return still_open
    raise FileNotFoundError(f"WARC file {pointer.file} not found in {directory}")


def read_response(directory: str | os.PathLike[str], pointer: WarcPointer | str) -> CapturedResponse:
    """The response record at ``pointer`` (its block digest checked: the block holds the payload)."""
    with WarcReader(directory) as reader:
        return reader.read(pointer)


class WarcReader:
    """Reads many records of one WARC directory, each file opened once (``read_response`` for one record).

        with WarcReader("warc") as reader:
            page = reader.read("arshif-20261206-1-00001.warc.gz:1234").body

    Why: a reparse reads one record per article, mostly from the same few files; opening the file and
    finding it (``resolve``: a stat or two) cost ~0.05 ms a record, a tenth of reading it. Files stay open
    until ``close`` (at most ``MAX_OPEN``, the least recently used closed first)."""

    MAX_OPEN = 8

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = directory
        self._files: dict[str, Any] = {}  # file name → open file, least recently used first

    def read(self, pointer: WarcPointer | str) -> CapturedResponse:
        if isinstance(pointer, str):
            pointer = WarcPointer.parse(pointer)
        file = self._file(pointer)
        file.seek(pointer.offset)
        captured = _read_plain_response(file, pointer)
        if captured is not None:
            return captured
        file.seek(pointer.offset)
        return read_with_warcio(file, pointer)

    def _file(self, pointer: WarcPointer) -> Any:
        file = self._files.pop(pointer.file, None)
        if file is None:
            file = open(resolve(self.directory, pointer), "rb")
            if len(self._files) >= self.MAX_OPEN:
                self._files.pop(next(iter(self._files))).close()
        self._files[pointer.file] = file  # last: the most recently used
        return file

    def close(self) -> None:
        for file in self._files.values():
            file.close()
        self._files.clear()

    def __enter__(self) -> "WarcReader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_with_warcio(file: Any, pointer: WarcPointer) -> CapturedResponse:
    """The response record at the file's position, read by warcio (any record it reads; its errors)."""
    from warcio.archiveiterator import ArchiveIterator

    for record in ArchiveIterator(file, check_digests="raise"):
        if record.rec_type != "response":
            raise ValueError(f"{pointer} is a {record.rec_type} record, not a response")
        return _captured(record, record.content_stream().read(), pointer)
    raise ValueError(f"no WARC record at {pointer}")


def iter_responses(directory: str | os.PathLike[str]) -> Iterator[CapturedResponse]:
    """Every response record of every WARC file in ``directory``, oldest file first."""
    from warcio.archiveiterator import ArchiveIterator

    for path in sorted(Path(directory).glob(f"*{SUFFIX}")):
        with open(path, "rb") as file:
            iterator = ArchiveIterator(file, check_digests="raise")
            for record in iterator:
                if record.rec_type == "response":
                    body = record.content_stream().read()  # before the offset: asking for it skips the record
                    yield _captured(record, body, WarcPointer(path.name, iterator.get_record_offset()))


def _captured(record: Any, body: bytes, pointer: WarcPointer) -> CapturedResponse:
    http = record.http_headers
    return CapturedResponse(
        url=record.rec_headers.get_header("WARC-Target-URI"),
        date=record.rec_headers.get_header("WARC-Date"),
        status=int(http.get_statuscode()),
        headers=list(http.headers),
        body=body,
        pointer=pointer,
    )


# The common record read without warcio: `arshif reparse` reads one record per article, and warcio's
# pure-Python stream layers cost more than decompressing, checking and parsing the page together. Only a
# record as this module writes it is read so — one gzip member, a response with CRLF ASCII headers (no
# continuation lines), a SHA-1 block digest that matches, no Content-Encoding or Transfer-Encoding to undo;
# anything else (and every error) goes to warcio, which reads it or raises as it always did.
# tests/test_warc.py holds both readers to the same CapturedResponse.

_MEMBER_CHUNK = 1 << 16

# ISA-L's inflate (the ``isal`` package, a dependency) reads the same gzip members 2.5x as fast as zlib's:
# on a real-weight page's record ~0.11 ms against ~0.28 ms, a tenth of a reparsed page. zlib if it is missing.
try:
    from isal import isal_zlib as _inflate
    _INFLATE_ERRORS: tuple[type[Exception], ...] = (zlib.error, _inflate.error)
except ImportError:  # pragma: no cover - a machine without the wheel
    _inflate = zlib
    _INFLATE_ERRORS = (zlib.error,)


def _read_plain_response(file: Any, pointer: WarcPointer) -> CapturedResponse | None:
    record = _gunzip_member(file)
    if record is None:
        return None
    end = record.find(b"\r\n\r\n")
    warc = _plain_headers(record[:end]) if end > 0 else None
    if warc is None or not warc[0].startswith("WARC/1.") or " " in warc[0]:
        return None
    fields = {name.lower(): value for name, value in warc[1]}
    if len(fields) != len(warc[1]) or fields.get("warc-type") != "response" \
            or not fields.get("content-type", "").startswith("application/http"):
        return None
    length = fields.get("content-length", "")
    # Views, not copies: the block and the payload are ~110 KB of a real page, copied once, at the end.
    block = memoryview(record)[end + 4: end + 4 + int(length)] if length.isdigit() else b""
    if not length or len(block) != int(length) or not _sha1_matches(block, fields.get("warc-block-digest")):
        return None
    end = record.find(b"\r\n\r\n", end + 4, end + 4 + len(block)) - (end + 4)
    http = _plain_headers(bytes(block[:end])) if end > 0 else None
    if http is None:
        return None
    payload = bytes(block[end + 4:])
    protocol, _, status = http[0].partition(" ")
    names = {name.lower() for name, _ in http[1]}
    # The payload's own digest is not computed again: the block digest above already checked these very
    # bytes (the payload is the block's tail), and a second SHA-1 over ~110 KB cost ~0.17 ms of a reparsed
    # page. It is only looked at for being SHA-1, as this module writes it; warcio reads any other.
    payload_digest = fields.get("warc-payload-digest")
    if "content-encoding" in names or "transfer-encoding" in names or not status.split(" ", 1)[0].isdigit() \
            or (payload_digest is not None and not payload_digest.lower().startswith("sha1:")) or not protocol:
        return None
    return CapturedResponse(url=fields.get("warc-target-uri"), date=fields.get("warc-date"),
                            status=int(status.split(" ", 1)[0]), headers=http[1], body=payload, pointer=pointer)


def _gunzip_member(file: Any) -> bytes | None:
    """The gzip member starting at the file's position, decompressed; None if it does not end whole."""
    inflater = _inflate.decompressobj(wbits=31)
    parts = []
    try:
        while not inflater.eof:
            chunk = file.read(_MEMBER_CHUNK)
            if not chunk:
                return None
            parts.append(inflater.decompress(chunk))
    except _INFLATE_ERRORS:
        return None
    return b"".join(parts)


def _plain_headers(head: bytes) -> tuple[str, list[tuple[str, str]]] | None:
    """(first line, [(name, value)]) of CRLF lines of ASCII "name: value" headers; None for anything else."""
    if not head.isascii() or b"\n" in head.replace(b"\r\n", b""):
        return None
    lines = head.decode("ascii").split("\r\n")
    headers = []
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon or not line.strip() or line[0] in " \t":
            return None
        headers.append((name.rstrip(" \t"), value.strip()))
    first = lines[0]
    return (first, headers) if first and first == first.strip() else None


# A SHA-1 digest as WARC writes it: 32 digits of RFC 4648's base-32 alphabet (160 bits, no padding). Read as
# one number by int() once mapped onto int's own base-32 digits, e.g. "A" → "0", "7" → "v": ~1 µs a record
# against ~6 µs for base64.b32encode (pure Python) of the computed digest.
_BASE32_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_BASE32_AS_INT_DIGITS = str.maketrans(_BASE32_DIGITS, "0123456789abcdefghijklmnopqrstuv")


def _sha1_matches(data: bytes | memoryview, digest: str | None) -> bool:
    """True when no digest is given (nothing to check) or the SHA-1 one matches; False for another algorithm.
    Matches exactly when ``base64.b32encode(sha1(data).digest()).decode() == value`` (tests/test_warc.py)."""
    if digest is None:
        return True
    algorithm, _, value = digest.partition(":")
    return (algorithm.lower() == "sha1" and len(value) == 32 and not value.strip(_BASE32_DIGITS)
            and int(value.translate(_BASE32_AS_INT_DIGITS), 32) == int.from_bytes(hashlib.sha1(data).digest(), "big"))
