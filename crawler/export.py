"""Dataset exports: JSON Lines, CSV or Parquet, streamed from the archive in constant memory.

- Rows come from ``storage.iter_articles`` (keyset pages of a few hundred rows); each writer keeps at
  most one Parquet row group (``ROW_GROUP_SIZE`` rows) in memory.
- Text is UTF-8 as stored (no ``\\uXXXX`` escapes); ``published_at`` is ISO 8601 with its offset and
  ``published_hijri`` the Umm al-Qura date beside it; in CSV, lists (authors, paragraphs, images, ...)
  are JSON arrays in their cell.
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
from pathlib import Path
from typing import Any, BinaryIO

from crawler.errors import ArshifError, UsageError
from crawler.items import LIST_FIELDS
from crawler.storage import ALIAS_EXPORT_COLUMNS, EXPORT_COLUMNS, ArticleQuery, iter_articles, open_archive

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


@dataclass(frozen=True)
class ExportResult:
    rows: int
    path: Path | None  # None for stdout


def export_archive(
    db_path: str | Path,
    fmt: str,
    output: str | Path,
    query: ArticleQuery = ArticleQuery(),
    *,
    include_aliases: bool = False,
    originals_only: bool = False,
    on_row: Callable[[int], None] | None = None,
) -> ExportResult:
    """Write the articles matching ``query`` to ``output`` ("-" = stdout) in ``fmt``."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    writer = WRITERS[fmt]
    if fmt == "parquet":
        _require_pyarrow()
    archive = open_archive(db_path)
    try:
        if originals_only:
            query = replace(query, originals_only=True)
        rows = iter_articles(archive, query, include_aliases=include_aliases)
        if on_row is not None:
            rows = _counting(rows, on_row)
        columns = (*EXPORT_COLUMNS, "aliases") if include_aliases else EXPORT_COLUMNS
        with _destination(output) as stream:
            count = writer(rows, stream, columns)
    finally:
        archive.close()
    return ExportResult(count, None if str(output) == "-" else Path(output))


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


_JSON_CELLS = frozenset((*LIST_FIELDS, "aliases"))


def write_csv(rows: Iterable[dict[str, Any]], stream: BinaryIO, columns: tuple[str, ...]) -> int:
    count = 0
    with _text(stream, "") as text:
        writer = csv.writer(text)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_csv_cell(key, row.get(key)) for key in columns])
            count += 1
    return count


def _csv_cell(key: str, value: Any) -> Any:
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


def parquet_schema(columns: tuple[str, ...]) -> Any:
    pa = _require_pyarrow()
    strings = pa.list_(pa.string())
    types = {
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
        "aliases": pa.list_(
            pa.struct(
                [
                    (name, pa.int64() if name == "alias_id" else pa.float64() if name == "similarity" else pa.string())
                    for name in ALIAS_EXPORT_COLUMNS
                ]
            )
        ),
    }
    return pa.schema([(name, types.get(name, pa.string())) for name in columns])


def write_parquet(rows: Iterable[dict[str, Any]], stream: BinaryIO, columns: tuple[str, ...]) -> int:
    """Row groups of ``ROW_GROUP_SIZE``: only one group's rows are ever held in memory."""
    pa = _require_pyarrow()
    import pyarrow.parquet as pq

    schema = parquet_schema(columns)
    count = 0
    with pq.ParquetWriter(stream, schema, compression="zstd", write_statistics=STATISTICS_COLUMNS) as writer:
        group: list[dict[str, Any]] = []
        for row in rows:
            group.append(row)
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
