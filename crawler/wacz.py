"""WACZ export: the archive's WARC captures packaged for web-archive players (ReplayWeb.page, pywb).

`arshif export --format wacz -o archive.wacz` writes, with the maintained ``wacz`` package (Webrecorder;
its indexer is ``cdxj-indexer``):

- ``archive/``: the WARC files that hold the exported articles (for a whole-archive export, every WARC file
  of this archive: listing pages and redirects included, so a player can follow links between captures);
- ``indexes/index.cdx.gz``: the CDXJ index of every record;
- ``pages/pages.jsonl``: one entry per stored article (url and timestamp of its captured response, title);
- ``datapackage.json`` / ``datapackage-digest.json``: the file list with hashes.

The file is then checked with ``wacz validate`` and renamed from ``<name>.part`` only when valid. Articles
without a usable WARC record (captured before WARC was on, a file deleted, a record the index did not
find) are counted and listed in ``<output>.without-warc.jsonl``, never silently left out.

The WARC folder may hold other archives' files (``<db dir>/warc`` is shared by every archive in that
folder): only this archive's are packaged (:func:`own_warc_files`), the others are named in one note.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from warcio.exceptions import ArchiveLoadFailed

from crawler.errors import ArshifError, UsageError
from crawler.export import PART_SUFFIX, MissingExtraError
from crawler.storage import ArchiveReader, ArticleQuery, iter_articles, open_archive
from crawler.warc import SUFFIX, WarcPointer

# RotatingWarcWriter's names: arshif-[<host>-]<UTC time the file opened>-<pid>-<serial>.warc.gz
_WRITER_NAME = re.compile(r"-(?P<stamp>\d{14})-(?P<pid>\d+)-\d+" + re.escape(SUFFIX) + "$")

PAGES_ENTRY = "pages/pages.jsonl"
MISSING_SUFFIX = ".without-warc.jsonl"


class WaczError(ArshifError):
    """The WACZ could not be written or did not validate."""


@dataclass
class WaczResult:
    path: Path
    pages: int  # page entries in the WACZ (one per article with a WARC record)
    articles: int  # articles exported
    warc_files: list[str] = field(default_factory=list)
    without_warc: list[dict[str, Any]] = field(default_factory=list)  # site, article_id, url, reason
    foreign: list[str] = field(default_factory=list)  # WARC files in the folder that are not this archive's
    missing_list: Path | None = None  # where ``without_warc`` was written


def _require_wacz() -> None:
    try:
        import wacz.main  # noqa: F401
        import cdxj_indexer  # noqa: F401
    except ImportError:
        raise MissingExtraError("WACZ export needs the wacz package: pip install -e '.[wacz]' (or: pip install wacz)") from None


class _RecordHeads:
    """The WARC-Target-URI and WARC-Date of the record at a pointer, files kept open while reading."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.files: dict[str, Any] = {}

    def read(self, pointer: WarcPointer) -> tuple[str, str] | None:
        from warcio.archiveiterator import ArchiveIterator

        if pointer.file not in self.files:
            path = self.directory / pointer.file
            self.files[pointer.file] = open(path, "rb") if path.is_file() else None
        file = self.files[pointer.file]
        if file is None:
            return None
        file.seek(pointer.offset)
        for record in ArchiveIterator(file):
            if record.rec_type != "response":
                return None
            return record.rec_headers.get_header("WARC-Target-URI"), record.rec_headers.get_header("WARC-Date")
        return None

    def close(self) -> None:
        for file in self.files.values():
            if file is not None:
                file.close()


def own_warc_files(db_path: str | Path, warc_dir: Path) -> tuple[list[str], list[str]]:
    """(this archive's WARC files in ``warc_dir``, the other files there), names sorted.

    A file is this archive's when one of its pointers names it (articles, older versions, failures), or when
    one of its runs wrote it: the name's pid is the run's and the time it opened falls within the run (a
    run that only walked listings points nowhere). E.g. with ``a.db`` and ``b.db`` crawled into one
    ``warc/`` folder, a WACZ of ``a.db`` packages a's files only."""
    present = sorted(path.name for path in warc_dir.glob(f"*{SUFFIX}") if path.is_file())
    reader = ArchiveReader(db_path)
    try:
        named, runs = reader.warc_files(), reader.run_processes()
    finally:
        reader.close()
    ours = [name for name in present if name in named or _written_by(name, runs)]
    return ours, [name for name in present if name not in set(ours)]


def _written_by(name: str, runs: list[dict[str, Any]]) -> bool:
    match = _WRITER_NAME.search(name)
    if match is None:
        return False
    opened = datetime.strptime(match["stamp"], "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)
    for run in runs:
        if str(run["pid"]) != match["pid"] or not run.get("started_at"):
            continue
        began = datetime.fromisoformat(run["started_at"]) - timedelta(seconds=1)  # the name keeps whole seconds
        ended = datetime.fromisoformat(run["finished_at"]) if run.get("finished_at") else datetime.now(timezone.utc)
        if began <= opened <= ended:
            return True
    return False


def _pages(
    db_path: str | Path, warc_dir: Path, query: ArticleQuery, without: list[dict[str, Any]],
    on_row: Callable[[int], None] | None,
) -> Iterator[tuple[dict[str, Any], str]]:
    """(page entry, WARC file name) for every exported article that has a readable WARC record."""
    archive = open_archive(db_path)
    heads = _RecordHeads(warc_dir)
    try:
        for number, row in enumerate(iter_articles(archive, query), 1):
            if on_row is not None:
                on_row(number)
            missing = {"site": row["site"], "article_id": row["article_id"], "url": row["url"]}
            if not row.get("warc_record"):
                without.append({**missing, "reason": "captured without WARC"})
                continue
            try:
                pointer = WarcPointer.parse(row["warc_record"])
                head = heads.read(pointer)
            except (ValueError, OSError, ArchiveLoadFailed) as exc:
                without.append({**missing, "reason": f"unreadable WARC record: {exc}"})
                continue
            if head is None:
                without.append({**missing, "reason": f"no response record at {row['warc_record']}"})
                continue
            url, date = head
            yield {"id": f"{row['site']}-{row['article_id']}", "url": url, "ts": date, "title": row["title"]}, pointer.file
    finally:
        heads.close()
        archive.close()


def export_wacz(
    db_path: str | Path,
    output: str | Path,
    warc_dir: str | Path,
    query: ArticleQuery = ArticleQuery(),
    *,
    title: str = "Arshif archive",
    on_row: Callable[[int], None] | None = None,
) -> WaczResult:
    """Package the WARC captures of the articles matching ``query`` as a validated WACZ at ``output``."""
    _require_wacz()
    from wacz.main import main as wacz_main

    warc_dir, final = Path(warc_dir), Path(output)
    if not warc_dir.is_dir():
        raise WaczError(f"no WARC directory at {warc_dir} (give --warc DIR)")
    whole_archive = query == ArticleQuery()
    without: list[dict[str, Any]] = []
    ours, foreign = own_warc_files(db_path, warc_dir)
    with tempfile.TemporaryDirectory(prefix="arshif-wacz-") as tmp:
        pages_path = Path(tmp) / "pages.jsonl"
        files: set[str] = set()
        expected: dict[str, dict[str, Any]] = {}
        with open(pages_path, "w", encoding="utf-8") as pages:
            pages.write(json.dumps({"format": "json-pages-1.0", "id": "pages", "title": "Articles"}) + "\n")
            for page, file in _pages(db_path, warc_dir, query, without, on_row):
                files.add(file)
                expected[page["id"]] = page
                pages.write(json.dumps(page, ensure_ascii=False) + "\n")
        articles = len(expected) + len(without)
        if whole_archive:  # listing pages, redirects and misses too: everything this archive captured
            files |= set(ours)
        if not files:  # an empty selection (exit 2), not a failure
            raise UsageError(f"not one exported article has a WARC record under {warc_dir}"
                            f" ({len(without):,} articles captured without WARC)")
        final.parent.mkdir(parents=True, exist_ok=True)
        part = final.with_name(final.name + PART_SUFFIX)
        try:
            inputs = [str(warc_dir / name) for name in sorted(files)]
            _quietly(wacz_main, ["create", "-o", str(part), "-p", str(pages_path), "--title", title,
                                 "--desc", f"{len(expected):,} articles exported by Arshif", *inputs],
                     "wacz create")
            _quietly(wacz_main, ["validate", "-f", str(part)], "wacz validate")
            found = _page_ids(part)
            if not found:  # wacz writes no pages/pages.jsonl when none of the entries matched a record
                raise WaczError(f"none of the {len(expected):,} articles' WARC records was found in"
                                f" {len(files):,} WARC files under {warc_dir}")
            os.replace(part, final)
        except BaseException:
            part.unlink(missing_ok=True)
            raise
    for page_id in sorted(set(expected) - found):
        site, _, article_id = page_id.rpartition("-")
        without.append({"site": site, "article_id": int(article_id), "url": expected[page_id]["url"],
                        "reason": "record not matched by the WACZ index"})
    result = WaczResult(final, len(found & set(expected)), articles, sorted(files), without, foreign)
    if without:
        result.missing_list = final.with_name(final.name + MISSING_SUFFIX)
        with open(result.missing_list, "w", encoding="utf-8") as out:
            for row in without:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return result


def _quietly(run: Callable[[list[str]], int], args: list[str], what: str) -> None:
    """Run the wacz command line in process, its chatter kept; raise with it when it fails."""
    chatter = io.StringIO()
    with contextlib.redirect_stdout(chatter):
        try:
            code = run(args)
        except Exception as exc:  # e.g. warcio's ArchiveLoadFailed on a damaged WARC file
            raise WaczError(f"{what} failed: {type(exc).__name__}: {str(exc)[:300]}") from None
    if code != 0:
        raise WaczError(f"{what} failed: {chatter.getvalue().strip()[-500:]}")


def _page_ids(path: Path) -> set[str]:
    return {page.get("id") for page in read_pages(path)}


def read_pages(path: str | Path) -> list[dict[str, Any]]:
    """The page entries of a WACZ (header line left out)."""
    with zipfile.ZipFile(path) as wacz:
        if PAGES_ENTRY not in wacz.namelist():
            return []
        lines = wacz.read(PAGES_ENTRY).decode("utf-8").splitlines()
    return [json.loads(line) for line in lines[1:] if line.strip()]
