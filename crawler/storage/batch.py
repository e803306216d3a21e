"""Many new articles in three statements: what a writer with a queue of items (``crawler.ingest.batch``) stores
once dedupe has found each of them new.

Item at a time, a new article costs three statements of its own (its row, its 16 band keys, its content key),
each a round trip through the sqlite3 module (~10 µs of binding and stepping besides the work). Here a batch
of them is one multi-row INSERT of the rows (``RETURNING`` each rowid, which the search index needs), one of
every band key and one of every content key: the same rows, keys and search forms, in the same order, as
``Archive.upsert_articles`` writes them one by one (``tests/test_ingest_batch.py`` compares the two archives).

Only for articles dedupe has just looked up in this same transaction and found new, with no other row naming
their id (``ArticleWrite.stored is False`` and ``traces is False``): their store is an insert and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from crawler.items import ARTICLE_FIELDS
from crawler.storage.bands import BandKeys
from crawler.storage.records import ArticleWrite, body_text, encode_value, utc_now
from crawler.storage.schema import band_keys, content_key
from crawler.text import fold_arabic, fold_words, stem_folded, stem_words

# Rows per INSERT: ~35 columns a row keeps a statement well under SQLite's 32,766 variables.
ROWS_PER_STATEMENT = 200


def article_columns(write: ArticleWrite) -> tuple[dict[str, Any], tuple[str, str], str]:
    """An article's row as the archive writes it (but version and first-seen columns), its (title, body) search
    forms and when it was seen: what ``Archive._upsert_one`` and ``insert_new`` both store."""
    record = write.record
    now = write.seen_at or utc_now()
    columns = {key: encode_value(value) if isinstance(value := record.get(key), (list, dict)) else value
               for key in ARTICLE_FIELDS}
    columns["article_id"] = int(record["article_id"])
    title_words = fold_words(record.get("title") or "")
    columns.update(
        content_hash=write.content_hash,
        near_duplicate_of=write.near_duplicate_of,
        similarity=write.similarity,
        title_folded=" ".join(title_words),
        last_seen_at=now,
        last_run_id=write.run_id,
    )
    # The search forms of title and body (the body's from the caller when it made it).
    forms = (stem_words(title_words), write.body_form if write.body_form is not None else
             stem_folded(fold_arabic(body_text(record)) if write.body_folded is None else write.body_folded))
    if write.warc_record is not None:
        columns["warc_record"] = write.warc_record
    return columns, forms, now


def insert_new(archive: Any, writes: Sequence[ArticleWrite]) -> None:
    """Insert ``writes`` (new articles, see the module) into ``archive``'s open transaction, in their order, as
    ``archive.upsert_articles(writes)`` would. One failed statement takes none of the batch's rows with it
    (a savepoint), so the caller may store them one by one instead."""
    if not writes:
        return
    if any(write.stored is not False or write.traces is not False for write in writes):
        raise ValueError("insert_new stores only articles dedupe found new and untraced")
    conn = archive.db.conn
    archive._begin()
    rows: list[dict[str, Any]] = []
    forms: dict[int, tuple[str, str]] = {}
    for write in writes:
        columns, form, now = article_columns(write)
        columns.setdefault("warc_record", None)  # the column's default: every row has the same columns
        rows.append({**columns, "version": 1, "first_seen_at": now, "updated_at": now, "first_run_id": write.run_id})
        forms[columns["article_id"]] = form
    names = list(rows[0])
    conn.execute("savepoint arshif_batch")
    indexed: list[int] = []
    try:
        for start in range(0, len(rows), ROWS_PER_STATEMENT):
            chunk = rows[start : start + ROWS_PER_STATEMENT]
            marks = ", ".join(["(" + ", ".join("?" * len(names)) + ")"] * len(chunk))
            values = [row[name] for row in chunk for name in names]
            # RETURNING's order is SQLite's: each rowid is matched to its article by id (unique in a batch).
            for rowid, article_id in conn.execute(
                    f"insert into articles ({', '.join(names)}) values {marks} returning rowid, article_id", values):
                archive._unindexed[rowid] = forms[article_id]
                indexed.append(rowid)
        site = writes[0].record["site"]
        _add_keys(archive.bands, site, [(int(w.record["article_id"]), band_keys(w.band_hashes)) for w in writes])
        _add_keys(archive.content_keys, site, [(int(w.record["article_id"]), [content_key(w.content_hash)])
                                              for w in writes if w.content_hash is not None])
    except BaseException:
        conn.execute("rollback to arshif_batch")
        conn.execute("release arshif_batch")
        for rowid in indexed:  # rows rolled back: nothing of theirs waits for the search index
            archive._unindexed.pop(rowid, None)
        raise
    conn.execute("release arshif_batch")
    archive._wrote(len(writes))


def _add_keys(keys: BandKeys, site: str, entries: Sequence[tuple[int, Sequence[int]]]) -> None:
    """``keys.add`` of each (article id, its keys), in one statement (``BandKeys.add`` writes one article's)."""
    rows = [(article_id, key) for article_id, article_keys in entries for key in article_keys]
    if not rows:
        return
    run = "0, " if keys.levels[0] in keys._run_tables else ""  # as BandKeys.add: run 0 where the level has runs
    for start in range(0, len(rows), 4 * ROWS_PER_STATEMENT):
        chunk = rows[start : start + 4 * ROWS_PER_STATEMENT]
        sql = (f"insert or ignore into {keys.levels[0]} ({run and 'run, '}site, key, article_id) values "
               + ", ".join([f"({run}?, ?, ?)"] * len(chunk)))
        added = keys.conn.execute(sql, [value for article_id, key in chunk for value in (site, key, article_id)]).rowcount
        if keys._rows is not None and len(keys.levels) > 1:
            keys._rows[0] += max(added, 0)
    if keys._mirror is not None:
        for article_id, article_keys in entries:
            keys._mirror.add(site, article_keys, article_id)
