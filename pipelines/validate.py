"""Validate: an article needs an id, a title, a publication date and a body; and the run's date window.

A page that fails is dropped with a named reason (Scrapy counts ``item_dropped_reasons_count/<Name>``)
and listed in ``failures`` so nothing disappears silently. An article outside ``--since/--until`` is
dropped as ``OutsideDateWindow``: not a failure, the run was asked not to store it.
"""

from __future__ import annotations

import logging
from datetime import datetime

from scrapy.exceptions import DropItem

from pipelines.context import OUTSIDE_WINDOW, ArchiveStep, record_outcome
from pipelines.items import FailureItem, OutcomeItem

logger = logging.getLogger(__name__)


class InvalidArticle(DropItem):
    reason = "invalid"


class MissingId(InvalidArticle):
    reason = "invalid: no article id"


class MissingTitle(InvalidArticle):
    reason = "invalid: no title"


class MissingDate(InvalidArticle):
    reason = "invalid: no publication date"


class MissingBody(InvalidArticle):
    reason = "invalid: no body"


class OutsideDateWindow(DropItem):
    pass


def problem(item) -> type[InvalidArticle] | None:
    if not isinstance(item.get("article_id"), int):
        return MissingId
    if not item.get("title"):
        return MissingTitle
    if not _published(item):
        return MissingDate
    if not item.get("paragraphs"):
        return MissingBody
    return None


def _published(item) -> datetime | None:
    try:
        return datetime.fromisoformat(item.get("published_at") or "")
    except ValueError:
        return None


class ValidatePipeline(ArchiveStep):
    def process_item(self, item):
        if isinstance(item, OutcomeItem):
            return item
        failed = problem(item)
        if failed is None:
            return item
        fetch = getattr(item, "fetch", None)
        url = item.get("url") or (fetch.url if fetch else "")
        record_outcome(self.crawler, FailureItem(
            self.context.site.name,
            url,
            failed.reason,
            attempts=1,
            http_status=fetch.status if fetch else None,
            article_id=item.get("article_id") if isinstance(item.get("article_id"), int) else None,
        ))
        logger.warning("%s: %s", failed.reason, url)  # one short line; the drop itself is logged at DEBUG
        raise failed(f"{failed.reason}: {url}")


class DateWindowPipeline(ArchiveStep):
    def process_item(self, item):
        if isinstance(item, OutcomeItem) or self.context.in_window(_published(item)):
            return item
        self.crawler.stats.inc_value(OUTSIDE_WINDOW)
        raise OutsideDateWindow(f"published {item.get('published_at')} outside the run's window: {item.get('url')}")
