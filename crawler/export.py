"""Dataset exports: JSON Lines, CSV or Parquet, streamed from the archive in constant memory.

- Rows come from ``ArchiveReader.articles`` (keyset pages of a few hundred rows); each writer keeps at
  most one Parquet row group (``ROW_GROUP_SIZE`` rows) in memory.
- Text is UTF-8 as stored (no ``\\uXXXX`` escapes); ``published_at`` is ISO 8601 with its offset and
  ``published_hijri`` the Umm al-Qura date beside it; in CSV, lists (authors, paragraphs, images, ...)
  are JSON arrays in their cell.
- CSV for spreadsheets (``excel=True``, ``arshif export --excel``): a UTF-8 BOM (without it Excel reads
  Arabic as mojibake; programs reading CSV do not want one, hence a flag) and CRLF line ends; and every text
  cell that starts with ``= + - @``, a tab or a CR is prefixed with ``'`` so a spreadsheet shows it as text
  instead of running it as a formula (OWASP "CSV injection"). The count of such cells is reported.
- Parquet: ``published_at``, ``modified_at`` and the archive's own times are ``timestamp[us, tz=UTC]``
  (the same instant); the page's own UTC offset is kept beside them as ``published_at_offset`` /
  ``modified_at_offset`` (e.g. "+02:00", Asia/Hebron's winter offset); ``published_hijri`` is a string;
  lists are ``list<string>`` (images ``list<struct<url, caption>>``).
- A file is written as ``<name>.part`` and renamed when complete, so a reader never sees half an export.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

from crawler.errors import ArshifError, UsageError
from crawler.items import LIST_FIELDS
from crawler.storage import ALIAS_EXPORT_COLUMNS, EXPORT_COLUMNS, ArchiveReader, ArticleQuery, open_archive
from crawler.storage.queries import CHANGE_COLUMNS, VERSION_COLUMNS

FORMATS = ("jsonl", "csv", "parquet")
# Rows per Parquet row group, the unit held in memory. Peak RSS of a 20,000-row export measured 110 MB
# with 500 and 142 MB with 1,000 (pyarrow's own footprint is ~50 MB); bench/bench_export.py measures it.
ROW_GROUP_SIZE = 500
PART_SUFFIX = ".part"
# Min/max statistics only where readers filter: those of long text columns would be kept for every
# row group in the writer's memory until the footer is written (memory growing with the export's size).
STATISTICS_COLUMNS = ["site", "article_id", "published_at", "published_hijri", "category", "first_run_id",
                      "last_run_id", "version"]


class MissingExtraError(ArshifError):
    """An optional dependency is not installed."""


# Cells a spreadsheet would run as a formula (OWASP CSV injection): prefixed with ' under --excel.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EXCEL_BOM = "\ufeff"
# Parquet: ISO 8601 text → timestamp[us, tz=UTC]; the two page times keep their UTC offset in a column beside.
TIMESTAMP_COLUMNS = ("published_at", "modified_at", "first_seen_at", "last_seen_at", "updated_at", "valid_from",
                     "valid_to")
OFFSET_COLUMNS = {"published_at": "published_at_offset", "modified_at": "modified_at_offset"}


CURSOR_SUFFIX = ".cursor"


@dataclass(frozen=True)
class ExportResult:
    rows: int
    path: Path | None  # None for stdout
    neutralised_cells: int = 0  # --excel: cells prefixed with ' (see FORMULA_STARTS)
    cursor: str = ""  # what to pass as --changes-since next time (also in FILE.cursor)
    merged: int = 0  # --changes-since: rows "merged" (ids that became aliases), among ``rows``
    truncated_cells: int = 0  # csv: cells cut at Excel's limit (see EXCEL_CELL_LIMIT)
    package: Path | None = None  # datapackage.json beside the file (crawler.datacard)
    card: Path | None = None  # FILE.md


def check_runs(reader: ArchiveReader, run_ids: Iterable[int]) -> None:
    """Every run of a ``--run`` selection exists (a typo must not export nothing, silently)."""
    missing = [run_id for run_id in run_ids if reader.get_run(run_id) is None]
    if missing:
        raise UsageError(f"no run {', '.join(map(str, missing))} in this archive (see `arshif stats`)")


def cursor_path(output: Path) -> Path:
    return output.with_name(output.name + CURSOR_SUFFIX)


def export_archive(
    db_path: str | Path,
    fmt: str,
    output: str | Path,
    query: ArticleQuery = ArticleQuery(),
    *,
    include_aliases: bool = False,
    originals_only: bool = False,
    excel: bool = False,
    on_row: Callable[[int], None] | None = None,
    changes_since: str | None = None,
    versions: bool = False,
) -> ExportResult:
    """Write the articles matching ``query`` to ``output`` ("-" = stdout) in ``fmt`` (``excel``: CSV for
    spreadsheets, see the module doc).

    ``changes_since`` (a run id or an ISO time, e.g. the cursor the last export printed): only what was
    added or changed since, each row with ``change`` (new|changed|aliased) and rows ``merged`` for ids
    that became aliases of another article (``merged_into``). Every export returns the cursor to pass next
    time and, written to a file, leaves it in ``FILE.cursor``. ``versions``: one row per version of each
    article (``VERSION_COLUMNS``: the record as it was, version, valid_from/valid_to, run_id, current)."""
    if versions and (changes_since is not None or include_aliases):
        raise UsageError("--versions exports every version: not with --changes-since or --include-aliases")
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    if excel and fmt != "csv":
        raise UsageError("--excel is for --format csv")
    neutralised: list[int] = []
    truncated: list[int] = []
    writer = (partial(write_csv, excel=excel, neutralised=neutralised, truncated=truncated) if fmt == "csv"
              else WRITERS[fmt])
    if fmt == "parquet":
        _require_pyarrow()
    merged: list[int] = []
    with open_archive(db_path) as archive:
        cursor = archive.next_cursor()  # before reading: what is committed later comes next time
        if originals_only:
            query = replace(query, originals_only=True)
        if changes_since is not None:
            query = replace(query, changed_since=archive.resolve_cursor(changes_since))
        rows: Iterable[dict[str, Any]] = archive.articles(query, include_aliases=include_aliases)
        columns = (*EXPORT_COLUMNS, "aliases") if include_aliases else EXPORT_COLUMNS
        if versions:
            rows, columns = archive.versions(query), VERSION_COLUMNS
        if query.changed_since:
            rows = _with_merged(rows, archive.merged(query), merged)
            columns = (*columns, *CHANGE_COLUMNS)
        if on_row is not None:
            rows = _counting(rows, on_row)
        with _destination(output) as stream:
            count = writer(rows, stream, columns)
        path = None if str(output) == "-" else Path(output)
        package = card = None
        if path is not None:
            from crawler.datacard import card_facts, write_package

            facts = card_facts(archive, query, rows=count, fmt=fmt, changes_since=changes_since, cursor=cursor,
                               versions=versions)
            package, card = write_package(path, fmt, parquet_columns(columns) if fmt == "parquet" else columns,
                                          facts, excel=excel)
            cursor_path(path).write_text(cursor + "\n", encoding="utf-8")
    return ExportResult(count, path, sum(neutralised), cursor, sum(merged), sum(truncated), package, card)


def _with_merged(rows: Iterable[dict[str, Any]], merged: Iterable[dict[str, Any]], counted: list[int]
                 ) -> Iterator[dict[str, Any]]:
    """The changed articles, then the merged ids (counted into ``counted``)."""
    yield from rows
    count = 0
    for row in merged:
        count += 1
        yield row
    counted.append(count)


def _counting(rows: Iterable[dict[str, Any]], on_row: Callable[[int], None]) -> Iterator[dict[str, Any]]:
    for number, row in enumerate(rows, 1):
        yield row
        on_row(number)


@contextmanager
def _destination(output: str | Path) -> Iterator[BinaryIO]:
    """stdout, or ``<output>.part`` renamed to ``output`` only when the writer finished."""
    if str(output) == "-":
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    final = Path(output)
    final.parent.mkdir(parents=True, exist_ok=True)
    part = final.with_name(final.name + PART_SUFFIX)
    try:
        with open(part, "wb") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(part, final)
    except BaseException:
        part.unlink(missing_ok=True)
        raise


@contextmanager
def _text(stream: BinaryIO, newline: str) -> Iterator[io.TextIOWrapper]:
    """UTF-8 text over the binary destination, flushed and detached (the caller owns the stream)."""
    text = io.TextIOWrapper(stream, encoding="utf-8", newline=newline)
    try:
        yield text
        text.flush()
    finally:
        text.detach()


def write_jsonl(rows: Iterable[dict[str, Any]], stream: BinaryIO, columns: tuple[str, ...]) -> int:
    count = 0
    with _text(stream, "\n") as text:
        for row in rows:
            text.write(json.dumps({key: row.get(key) for key in columns}, ensure_ascii=False))
            text.write("\n")
            count += 1
    return count


_JSON_CELLS = frozenset((*LIST_FIELDS, "aliases")) - {"paragraphs"}
# Excel keeps at most 32,767 characters in a cell and silently cuts the rest: a longer cell is cut here,
# visibly, with this marker at its end (counted and reported on stderr).
EXCEL_CELL_LIMIT = 32_767
TRUNCATED_MARKER = " […truncated: Excel's 32,767-character cell limit]"
PARAGRAPH_BREAK = "\n\n"  # the body in CSV: paragraphs as text, a blank line between two
EXCEL_PARAGRAPH_BREAK = "\r\n\r\n"  # --excel: CRLF everywhere, inside cells too


def write_csv(
    rows: Iterable[dict[str, Any]],
    stream: BinaryIO,
    columns: tuple[str, ...],
    *,
    excel: bool = False,
    neutralised: list[int] | None = None,
    truncated: list[int] | None = None,
) -> int:
    """CSV for people (RFC 4180 quoting): the body as text with a blank line between paragraphs (other lists
    as JSON arrays), a cell over ``EXCEL_CELL_LIMIT`` cut with ``TRUNCATED_MARKER`` (counted into
    ``truncated``); with ``excel`` a BOM, CRLF line ends and formula-like cells neutralised, their count
    appended to ``neutralised``."""
    count = guarded = cut = 0
    with _text(stream, "") as text:
        if excel:
            text.write(EXCEL_BOM)
        writer = csv.writer(text)  # RFC 4180: CRLF line ends (also what Excel expects)
        writer.writerow(columns)
        for row in rows:
            cells = [_csv_cell(key, row.get(key), excel) for key in columns]
            for index, cell in enumerate(cells):
                if isinstance(cell, str) and len(cell) > EXCEL_CELL_LIMIT:
                    cells[index] = cell[: EXCEL_CELL_LIMIT - len(TRUNCATED_MARKER)] + TRUNCATED_MARKER
                    cut += 1
            if excel:
                for index, cell in enumerate(cells):
                    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
                        cells[index] = "'" + cell
                        guarded += 1
            writer.writerow(cells)
            count += 1
    if neutralised is not None:
        neutralised.append(guarded)
    if truncated is not None:
        truncated.append(cut)
    return count


def _csv_cell(key: str, value: Any, excel: bool = False) -> Any:
    if key == "paragraphs":
        return (EXCEL_PARAGRAPH_BREAK if excel else PARAGRAPH_BREAK).join(value or [])
    if key in _JSON_CELLS:
        return json.dumps(value if value is not None else [], ensure_ascii=False)
    return "" if value is None else value


def _require_pyarrow() -> Any:
    try:
        import pyarrow  # noqa: F401
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        raise MissingExtraError(
            "Parquet export needs pyarrow: pip install -e '.[parquet]' (or: pip install pyarrow)"
        ) from None
    return pyarrow


def parquet_columns(columns: tuple[str, ...]) -> tuple[str, ...]:
    """The export columns with each page time's offset column right after it."""
    return tuple(name for column in columns for name in (column, OFFSET_COLUMNS.get(column)) if name)


def parquet_schema(columns: tuple[str, ...]) -> Any:
    pa = _require_pyarrow()
    strings = pa.list_(pa.string())
    utc = pa.timestamp("us", tz="UTC")
    types = {
        **{name: utc for name in TIMESTAMP_COLUMNS},
        "article_id": pa.int64(),
        "authors": strings,
        "agencies": strings,
        "paragraphs": strings,
        "tags": strings,
        "images": pa.list_(pa.struct([("url", pa.string()), ("caption", pa.string())])),
        "near_duplicate_of": pa.int64(),
        "similarity": pa.float64(),
        "version": pa.int64(),
        "first_run_id": pa.int64(),
        "last_run_id": pa.int64(),
        "merged_into": pa.int64(),
        "run_id": pa.int64(),
        "current": pa.bool_(),
        "aliases": pa.list_(
            pa.struct(
                [
                    (name, pa.int64() if name == "alias_id" else pa.float64() if name == "similarity" else pa.string())
                    for name in ALIAS_EXPORT_COLUMNS
                ]
            )
        ),
    }
    from crawler.datacard import COLUMNS

    return pa.schema([
        pa.field(name, types.get(name, pa.string()),
                 metadata={"description": COLUMNS[name][1]} if name in COLUMNS else None)
        for name in parquet_columns(columns)
    ])


def _instant(text: str | None) -> datetime | None:
    """ISO 8601 text → an aware UTC datetime (a time without offset is taken as UTC)."""
    if not text:
        return None
    value = datetime.fromisoformat(text)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _offset(text: str | None) -> str | None:
    """The UTC offset an ISO 8601 time was written with ("+02:00"), or None."""
    if not text:
        return None
    offset = datetime.fromisoformat(text).utcoffset()
    if offset is None:
        return None
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _parquet_row(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    for column, offset_column in OFFSET_COLUMNS.items():
        out[offset_column] = _offset(row.get(column))
    for column in TIMESTAMP_COLUMNS:
        out[column] = _instant(row.get(column))
    return out


def write_parquet(rows: Iterable[dict[str, Any]], stream: BinaryIO, columns: tuple[str, ...]) -> int:
    """Row groups of ``ROW_GROUP_SIZE``: only one group's rows are ever held in memory."""
    pa = _require_pyarrow()
    import pyarrow.parquet as pq

    schema = parquet_schema(columns)
    count = 0
    with pq.ParquetWriter(stream, schema, compression="zstd", write_statistics=STATISTICS_COLUMNS) as writer:
        group: list[dict[str, Any]] = []
        for row in rows:
            group.append(_parquet_row(row))
            if len(group) >= ROW_GROUP_SIZE:
                writer.write_table(pa.Table.from_pylist(group, schema=schema), row_group_size=ROW_GROUP_SIZE)
                count += len(group)
                group = []
        if group or count == 0:
            writer.write_table(pa.Table.from_pylist(group, schema=schema), row_group_size=ROW_GROUP_SIZE)
            count += len(group)
    return count


WRITERS: dict[str, Callable[[Iterable[dict[str, Any]], BinaryIO, tuple[str, ...]], int]] = {
    "jsonl": write_jsonl,
    "csv": write_csv,
    "parquet": write_parquet,
}
