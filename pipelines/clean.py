"""Clean: every record key present, text in its stored form (``crawler.ingest.clean``)."""

from __future__ import annotations

from crawler.ingest.clean import clean_list, clean_record  # noqa: F401  (clean_list: for callers of old)
from crawler.ingest.items import OutcomeItem


class CleanPipeline:
    @classmethod
    def from_crawler(cls, crawler) -> CleanPipeline:
        return cls()

    def process_item(self, item):
        if isinstance(item, OutcomeItem):  # not an article: for the store
            return item
        return clean_record(item)
