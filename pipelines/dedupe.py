"""Dedupe: how an article relates to what the archive holds (``item.verdict``), decided by the ingest
core (``crawler.ingest.dedupe``); the store pipeline acts on it."""

from __future__ import annotations

from crawler.ingest.items import OutcomeItem
from pipelines.context import ArchiveStep


class DedupePipeline(ArchiveStep):
    def process_item(self, item):
        if isinstance(item, OutcomeItem):  # misses, failures, ...: straight to the store
            return item
        return self.context.ingest.dedupe(item)
