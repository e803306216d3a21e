"""Store: write the article (or its alias) into the archive's open batch, as dedupe decided."""

from __future__ import annotations

from crawler.storage import ArticleWrite, Outcome
from pipelines.context import ALIASES, NEAR_DUPLICATES, STORED, UNCHANGED, UPDATED, ArchiveStep

_OUTCOME_STATS = {Outcome.NEW: STORED, Outcome.UPDATED: UPDATED, Outcome.UNCHANGED: UNCHANGED}


class StorePipeline(ArchiveStep):
    def process_item(self, item):
        archive, site, run_id = self.context.archive, self.context.site.name, self.context.run_id
        stats = self.crawler.stats
        verdict, fetch = item.verdict, item.fetch
        record = dict(item)
        if verdict.kind == "exact":
            if archive.add_alias(record, of=verdict.of, kind="exact", similarity=1.0, run_id=run_id):
                stats.inc_value(ALIASES)
            return item
        write = ArticleWrite(
            record=record,
            content_hash=item.fingerprint.content_hash,
            band_hashes=item.fingerprint.band_hashes,
            body_folded=item.fingerprint.folded,
            near_duplicate_of=verdict.near_duplicate_of,
            similarity=verdict.similarity,
            seen_at=fetch.fetched_at if fetch else None,
            warc_record=fetch.warc_record if fetch else None,
            run_id=run_id,
        )
        [outcome] = archive.upsert_articles([write])
        stats.inc_value(_OUTCOME_STATS[outcome])
        if verdict.near_duplicate_of is not None and outcome is not Outcome.UNCHANGED:
            stats.inc_value(NEAR_DUPLICATES)
        if verdict.kind == "replaces":
            archive.demote_to_alias(site, verdict.of, of=record["article_id"], run_id=run_id)
            stats.inc_value(ALIASES)
        for other_id, similarity in verdict.repoint:
            archive.set_near_duplicate(site, other_id, of=record["article_id"], similarity=similarity)
        return item

    def close_spider(self) -> None:
        self.context.archive.commit()
