"""Archives as older versions of arshif left them, for the migration tests: the schema applied up to a
migration (``MIGRATIONS.apply(stop_before=...)``) and articles written as that schema held them (folded and
stemmed copies, band rows, the FTS triggers of the day)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import sqlite_utils

from crawler.items import ARTICLE_FIELDS
from crawler.storage import MIGRATIONS
from crawler.text import fold_arabic, stem_folded


def legacy_archive(path: Path, stop_before: str) -> sqlite_utils.Database:
    db = sqlite_utils.Database(path)
    MIGRATIONS.apply(db, stop_before=stop_before)
    return db


def add_legacy_article(
    db: sqlite_utils.Database,
    record: Mapping[str, Any],
    *,
    content_hash: str,
    band_hashes: Sequence[int] = (),
    near_duplicate_of: int | None = None,
    similarity: float | None = None,
) -> None:
    """One article row with every search copy its schema has, its band rows, and its FTS entry (by the
    insert trigger where the schema has one, else as the batch indexer of m105 did)."""
    columns = {column.name for column in db["articles"].columns}
    row = {key: json.dumps(value, ensure_ascii=False) if isinstance(value := record.get(key), (list, dict))
           else value for key in ARTICLE_FIELDS}
    title_folded = fold_arabic(record.get("title") or "")
    body_folded = fold_arabic("\n".join(record.get("paragraphs") or []))
    row.update(content_hash=content_hash, near_duplicate_of=near_duplicate_of, similarity=similarity, version=1,
               first_seen_at="2024-01-01T00:00:00+00:00", last_seen_at="2024-01-01T00:00:00+00:00",
               title_folded=title_folded, body_folded=body_folded)
    if "body_stemmed" in columns:
        row.update(title_stemmed=stem_folded(title_folded), body_stemmed=stem_folded(body_folded))
    rowid = db.conn.execute(
        f"insert into articles ({', '.join(row)}) values ({', '.join('?' * len(row))})", list(row.values())
    ).lastrowid
    db.conn.executemany(
        "insert into article_bands (site, band, hash, article_id) values (?, ?, ?, ?)",
        [(record["site"], band, value, record["article_id"]) for band, value in enumerate(band_hashes)],
    )
    has_insert_trigger = db.conn.execute(
        "select 1 from sqlite_master where type = 'trigger' and name = 'articles_ai'").fetchone()
    if not has_insert_trigger:
        db.conn.execute("insert into articles_fts (rowid, title_stemmed, body_stemmed)"
                        " select rowid, title_stemmed, body_stemmed from articles where rowid = ?", [rowid])
    db.conn.commit()
