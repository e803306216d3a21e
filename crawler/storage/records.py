"""What the archive takes and gives back: plain records and small dataclasses, no SQL."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum
from typing import Any

from crawler.items import ARTICLE_FIELDS, LIST_FIELDS

SQLITE_VARIABLES_PER_QUERY = 500  # well under SQLite's limit for `IN (?, ?, ...)` lookups

RUN_STATUSES = ("running", "ok", "alarm", "failed", "interrupted", "abandoned")  # abandoned: its process died


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def body_text(record: Mapping[str, Any]) -> str:
    """The article body as one text: its paragraphs, one per line."""
    return "\n".join(record.get("paragraphs") or [])


class Outcome(str, Enum):
    NEW = "new"  # a row was inserted
    UPDATED = "updated"  # the record changed: previous state kept in article_versions, version + 1
    UNCHANGED = "unchanged"  # refetched, same record: only last_seen_at moved


@dataclass
class ArticleWrite:
    """One article to store: the record (ARTICLE_FIELDS keys only) and what the archive keeps beside it."""

    record: Mapping[str, Any]
    content_hash: str
    band_hashes: Sequence[int] = ()
    near_duplicate_of: int | None = None
    similarity: float | None = None
    seen_at: str | None = None  # when it was fetched (default: now)
    warc_record: str | None = None
    run_id: int | None = None
    body_folded: str | None = None  # ``fold_arabic`` of the body, when the caller has it already
    body_form: str | None = None  # ``stem_folded`` of that body (its search form), likewise (taken as it is)
    stored: bool | None = None  # whether its row exists, when the caller has just looked (None: look)
    traces: bool | None = None  # whether a miss, open failure or alias names its id, likewise (None: look)
    band_keys: Sequence[int] | None = None  # ``keys.band_keys(band_hashes)``, when the caller made them


@dataclass(frozen=True)
class ArticleRef:
    """What dedupe needs to know about a stored article to decide which of two copies comes first."""

    site: str
    article_id: int
    published_at: str | None
    near_duplicate_of: int | None = None
    similarity: float | None = None  # to ``near_duplicate_of``


@dataclass
class RunCounts:
    pages: int = 0
    articles_new: int = 0
    articles_updated: int = 0
    articles_unchanged: int = 0
    aliases: int = 0
    near_duplicates: int = 0
    misses: int = 0
    failures: int = 0
    dropped: int = 0


@dataclass
class ArchiveSummary:
    articles: int
    aliases: int
    near_duplicates: int
    misses: int
    open_failures: int
    versions: int
    first_published: str | None
    last_published: str | None
    by_kind: dict[str, int] = field(default_factory=dict)


_to_json = json.JSONEncoder(ensure_ascii=False).encode  # = json.dumps(value, ensure_ascii=False), built once
_json_string = json.encoder.encode_basestring  # what that encoder writes a str as (ensure_ascii=False)


def encode_value(value: Any) -> Any:
    """A list or dict as JSON text (= ``json.dumps(value, ensure_ascii=False)``), anything else as it is.

    A list of strings (paragraphs, authors, tags) is written directly — ``[`` + the strings joined by ``, ``
    + ``]``, the encoder's own layout — without the encoder's per-call setup; so is a list of flat dicts of
    strings (images: ``{"url": …, "caption": …}``), each ``{`` + its ``"key": value`` pairs joined by ``, `` +
    ``}``."""
    if type(value) is list:
        if not value:
            return "[]"
        if all(type(entry) is str for entry in value):
            # Printable text without '"' or '\\' is written as it is (the encoder escapes only those and
            # characters below U+0020): one join and three C scans instead of escaping string by string.
            text = '", "'.join(value)
            if text.count('"') == 2 * len(value) - 2 and "\\" not in text and text.isprintable():
                return '["' + text + '"]'
            return "[" + ", ".join(map(_json_string, value)) + "]"
        if all(type(entry) is dict and all(type(key) is str and type(text) is str for key, text in entry.items())
               for entry in value):
            return "[" + ", ".join(["{" + ", ".join([_json_string(key) + ": " + _json_string(text)
                                                     for key, text in entry.items()]) + "}"
                                    for entry in value]) + "]"
    return _to_json(value) if isinstance(value, (list, dict)) else value


def same_record(record: Mapping[str, Any], columns: Mapping[str, Any]) -> bool:
    """Whether storing ``record`` would write exactly ``columns`` (``Archive.settled_records``): every field in
    its stored form equal (lists compared as the JSON text ``encode_value`` writes, not decoded). An equal
    record has an equal content hash (the hash is made of its paragraphs). A column written by an older
    encoder may differ in text only: then the record takes the whole path, which finds it unchanged."""
    for key in ARTICLE_FIELDS:
        value = record.get(key)
        if isinstance(value, (list, dict)):
            value = encode_value(value)
        elif key == "article_id" and value is not None:
            value = int(value)
        if value != columns.get(key):
            return False
    return True


def chunks(items: Sequence[Any], size: int = SQLITE_VARIABLES_PER_QUERY) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def record_from_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A stored article row back to its record (ARTICLE_FIELDS keys, lists decoded)."""
    record = {key: row.get(key) for key in ARTICLE_FIELDS}
    for key in LIST_FIELDS:
        record[key] = json.loads(record[key]) if record[key] else []
    return record


def json_or(text: str | None, default: Any) -> Any:
    """``text`` as JSON, else ``default`` (a missing or unreadable column)."""
    try:
        return json.loads(text) if text else default
    except ValueError:
        return default


def decoded_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A stored row with its list columns decoded and the folded/stemmed search copies left out."""
    found = dict(row)
    for key in LIST_FIELDS:
        if key in found:
            found[key] = json_or(found[key], [])
    for key in ("title_folded", "body_folded", "title_stemmed", "body_stemmed"):
        found.pop(key, None)
    return found
