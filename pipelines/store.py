"""Store: hand every item to the archive's owner (``RunContext.writer``): an article as dedupe decided,
and the spider's other outcomes (misses, failures, aliases, completed walks) as they come."""

from __future__ import annotations

from pipelines.context import ArchiveStep


class StorePipeline(ArchiveStep):
    def process_item(self, item):
        self.context.writer.record(item, self.crawler.stats)
        return item

    def close_spider(self) -> None:
        if self.context.archive is not None:
            self.context.archive.commit()
