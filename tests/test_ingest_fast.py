"""The writer's faster paths decide and store exactly what the plain ones do (issue 22, branch ingest3).

One stream of mirror articles — exact and near copies among them, refetches with changed bodies (their band
keys leave), copies met before their originals (the stored copy is demoted and its keys leave) — goes
through ``Ingest`` with the band-key lookups in SQL over every level (the reference) and with the recent
level mirrored in memory, with one batch for the whole stream (every match is against items of the same
open transaction) and with batches of 7 and merges every few articles (the mirror dropped and read again).
Each item's outcome, in order, and every stored row must be the same.
"""

from __future__ import annotations

import random

import pytest

from crawler.extract import extract_article
from crawler.ingest import ArticleItem, FetchInfo, Ingest
from crawler.mirror import MirrorConfig, render, statuses
from crawler.sites import get_site
from crawler.storage import Archive
from crawler.storage.bands import union_rows_sql
from crawler.storage.keys import BAND_LEVELS

URL = "https://www.alhadath.ps/article/{}/x"
FETCHED = "2026-01-01T00:00:00+00:00"


@pytest.fixture(scope="module")
def stream() -> list[dict]:
    config = MirrorConfig(articles=500, seed=13, weight="light")
    records = []
    for article_id, _status in statuses(config):
        page = render(config, f"/article/{article_id}/x")
        if page.status == 200 and (record := extract_article(page.body, URL.format(article_id), site="alhadath")):
            records.append(record)
    rng = random.Random(22)
    # Copies met before their originals: the highest ids of the stream first.
    tail = records[-40:]
    stream = tail[::-1] + records[:-40]
    # Refetches: the same record again (unchanged), or with its body changed (updated: old keys out).
    for record in rng.sample(records, 60):
        changed = dict(record)
        if rng.random() < 0.6:
            changed["paragraphs"] = list(record["paragraphs"][:-1]) or ["فقرة بديلة"]
        stream.append(changed)
    # A new id carrying another article's body word for word: an exact copy. Above the stored id it becomes
    # its alias; below it (an id the mirror has no article for) it is the original and the stored copy is
    # demoted to its alias, its band keys out.
    taken = {record["article_id"] for record in records}
    for offset, record in enumerate(rng.sample(records[40:], 20)):
        copy_id = 900_000 + offset
        if offset % 2:
            copy_id = max((i for i in range(1, record["article_id"]) if i not in taken), default=copy_id)
        taken.add(copy_id)
        stream.append({**record, "article_id": copy_id, "url": URL.format(copy_id)})
    return stream


def run(tmp_path, name: str, stream: list[dict], *, mirror: bool, batch: int, merges: bool):
    archive = Archive(tmp_path / f"{name}.db", batch_size=batch, commit_interval=10**9)
    if not mirror:
        archive.bands.mirror_max = -1  # the recent level probed in SQL, as every level was
    if merges:
        archive.bands.floor, archive.bands.ratio = 64, 2
    ingest = Ingest(archive, get_site("alhadath"), archive.start_run("alhadath", command="test", args={}))
    outcomes = [ingest.article(ArticleItem(dict(record), fetch=FetchInfo(url=record["url"], fetched_at=FETCHED)))
                for record in stream]
    archive.commit()
    sql_lookups = archive.bands._lookups  # lookups made without the mirror
    assert sql_lookups < len(stream) / 4 if mirror else sql_lookups > len(stream) / 2
    tables = {
        "articles": archive.rows("select * from articles order by site, article_id"),
        "aliases": archive.rows("select site, alias_id, alias_url, article_id, kind, similarity, title, published_at"
                                " from aliases order by site, alias_url"),
        "band_keys": [tuple(row) for row in archive.db.execute(union_rows_sql())],
        "versions": archive.rows("select site, article_id, version, content_hash, record from article_versions"
                                 " order by site, article_id, version"),
    }
    for row in tables["articles"]:
        row.pop("linked_at")  # a clock
    merged = sum(archive.scalar(f"select count(*) from {level}") for level in BAND_LEVELS[1:])
    archive.close()
    return outcomes, tables, merged


def test_the_mirrored_lookups_decide_and_store_as_the_sql_ones_item_by_item(tmp_path, stream):
    reference, tables, _ = run(tmp_path, "ref", stream, mirror=False, batch=100, merges=False)
    kinds = {type(outcome).__name__ for outcome in reference}
    assert {"Stored", "NearDuplicate", "Aliased"} <= kinds  # the stream exercises every decision
    assert any(getattr(outcome, "kind", "") == "updated" for outcome in reference)
    assert any(getattr(outcome, "replaced", None) for outcome in reference)  # a stored copy demoted
    for name, mirror, batch, merges in (("one-batch", True, 10**6, False), ("merges", True, 7, True),
                                        ("sql-merges", False, 7, True)):
        outcomes, got, merged = run(tmp_path, name, stream, mirror=mirror, batch=batch, merges=merges)
        assert not merges or merged, "the lower levels were never used"
        for index, (expected, outcome) in enumerate(zip(reference, outcomes)):
            assert outcome == expected, (name, index, stream[index]["article_id"])
        assert len(outcomes) == len(reference)
        for table in tables:
            assert got[table] == tables[table], (name, table)
