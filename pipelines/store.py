"""Store: hand every item to the archive's owner (``RunContext.writer``: the ingest core in one process),
and let through to Scrapy's feeds (``scrapy crawl alhadath -O items.jsonl``) exactly what the archive keeps:

- a stored article (new, updated, unchanged; a near duplicate too, as the archive keeps it): its record;
- an exact copy or a redirected id, which the archive keeps as an alias: its record marked ``alias_of``
  (the id of the story it repeats), e.g. ``{"article_id": 20, ..., "alias_of": 10}``;
- a copy stored first and demoted when its original came (dedupe's "replaces"): the original's record,
  then one more feed line for the copy marked ``alias_of`` (read the feed in order: the last line of an
  id says what it is);
- misses, failures, resolved failures and completed walks: recorded in the archive, never in the feed
  (dropped as ``RecordedOutcome``, which is not counted as a dropped record).
"""

from __future__ import annotations

from scrapy import signals
from scrapy.exceptions import DropItem

from crawler.ingest import Aliased, AliasItem, ArticleItem, Stored
from pipelines.context import ArchiveStep


class RecordedOutcome(DropItem):
    """Not an article: recorded in the archive, kept out of the feed."""


ALIAS_OF = "alias_of"


class StorePipeline(ArchiveStep):
    def process_item(self, item):
        outcome = self.context.writer.record(item, self.crawler.stats)
        if isinstance(item, ArticleItem):
            if isinstance(outcome, Aliased):
                return {**item, ALIAS_OF: outcome.of}
            if isinstance(outcome, Stored) and outcome.replaced is not None:
                self._demoted(outcome.replaced, outcome.article_id)
            return item
        if isinstance(item, AliasItem) and isinstance(outcome, Aliased):
            return {**item.record(), ALIAS_OF: outcome.of}
        raise RecordedOutcome(f"{type(item).__name__} recorded in the archive")

    def _demoted(self, alias_id: int, of: int) -> None:
        """The feed line that says a copy it carried as an article is now an alias (Scrapy's feed exporter
        writes every ``item_scraped``)."""
        archive, site = self.context.archive, self.context.site.name
        marker = {"site": site, "article_id": alias_id, "url": None, ALIAS_OF: of}
        alias = archive.get_alias(site, alias_id) if archive is not None else None
        if alias is not None:
            marker.update(url=alias["alias_url"], title=alias["title"], published_at=alias["published_at"])
        self.crawler.signals.send_catch_log(signal=signals.item_scraped, item=marker, response=None,
                                            spider=self.crawler.spider)

    def close_spider(self) -> None:
        if self.context.archive is not None:
            self.context.archive.commit()
