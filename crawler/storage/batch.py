"""Many new articles in three statements: what a writer with a queue of items (``crawler.ingest.batch``) stores
once dedupe has found each of them new; and dedupe's first question (``Archive.stored_and_copy``) for many
articles in four (``stored_and_copies``).

Item at a time, a new article costs three statements of its own (its row, its 16 band keys, its content key),
each a round trip through the sqlite3 module (~10 µs of binding and stepping besides the work). Here a batch
of them is one multi-row INSERT of the rows (``RETURNING`` each rowid, which the search index needs), one of
every band key and one of every content key: the same rows, keys and search forms, in the same order, as
``Archive.upsert_articles`` writes them one by one (``tests/test_ingest_batch.py`` compares the two archives).

Only for articles dedupe has just looked up in this same transaction and found new, with no other row naming
their id (``ArticleWrite.stored is False`` and ``traces is False``): their store is an insert and nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from crawler.items import ARTICLE_FIELDS
from crawler.storage.lookups import _REF_COLUMNS, traced_ids_sql
from crawler.storage.records import ArticleRef, ArticleWrite, body_text, chunks, encode_value, utc_now
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
    conn = archive.conn
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
        archive.bands.add_many(site, [(int(w.record["article_id"]),
                                       band_keys(w.band_hashes) if w.band_keys is None else w.band_keys)
                                      for w in writes])
        archive.content_keys.add_many(site, [(int(w.record["article_id"]), [content_key(w.content_hash)])
                                             for w in writes if w.content_hash is not None])
    except BaseException:
        # A full disk has rolled the whole open transaction back already (``connection._full``: ``ArchiveFull``),
        # savepoint and all: asking for the savepoint then would raise "no such savepoint" over the disk's error.
        if conn.in_transaction:
            conn.execute("rollback to arshif_batch")
            conn.execute("release arshif_batch")
        for rowid in indexed:  # rows rolled back: nothing of theirs waits for the search index
            archive._unindexed.pop(rowid, None)
        raise
    conn.execute("release arshif_batch")
    archive._wrote(len(writes))


def stored_and_copies(archive: Any, site: str, articles: Sequence[tuple[int, str]]
                      ) -> dict[int, tuple[ArticleRef | None, ArticleRef | None, bool]]:
    """``archive.stored_and_copy(site, article_id, content_hash)`` (no title: bodies that are evidence) of each
    (article id, content hash), by id: four statements for all of them (the stored rows, the copies found by
    their content keys, the ids' traces) instead of one an article. The same answers: the stored row, the
    lowest other id with that very hash, whether a miss, an open failure or an alias names the id."""
    found: dict[int, tuple[ArticleRef | None, ArticleRef | None, bool]] = {}
    if not articles:
        return found
    conn = archive.conn
    ids = sorted({article_id for article_id, _ in articles})
    hashes = sorted({content_hash for _, content_hash in articles})
    stored: dict[int, ArticleRef] = {}
    traced: set[int] = set()
    for chunk in chunks(ids):
        marks = ",".join("?" * len(chunk))
        stored.update((row[1], ArticleRef(*row)) for row in conn.execute(
            f"select {_REF_COLUMNS} from articles where site = ? and article_id in ({marks})", [site, *chunk]))
        numbered = ",".join(f"?{number}" for number in range(2, len(chunk) + 2))  # ?1: the site
        traced.update(row[0] for row in conn.execute(traced_ids_sql(numbered), [site, *chunk]))
    # Each hash's rows, lowest id first: found by the hashes' content keys in every level and run.
    by_hash: dict[str, list[ArticleRef]] = {}
    for chunk in chunks(hashes, 250):  # a hash and its key: two variables each
        key_marks = ",".join("?" * len(chunk))
        holders, levels = archive.content_keys.keys_ids_sql(len(chunk))
        if holders is None:
            continue
        key_values = [content_key(content_hash) for content_hash in chunk]
        for row in conn.execute(
                f"select {_REF_COLUMNS}, content_hash from articles where site = ? and article_id in ({holders})"
                f" and content_hash in ({key_marks}) order by article_id",
                [site, *[value for _ in range(levels) for value in (site, *key_values)], *chunk]):
            by_hash.setdefault(row[5], []).append(ArticleRef(*row[:5]))
    for article_id, content_hash in articles:
        copy = next((ref for ref in by_hash.get(content_hash, ()) if ref.article_id != article_id), None)
        found[article_id] = (stored.get(article_id), copy, article_id in traced)
    return found
