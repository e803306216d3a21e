"""Validate: an article needs an id, a title, a publication date and a body; and the run's date window.

A page that fails is dropped with a named reason (Scrapy counts ``item_dropped_reasons_count/<Name>``)
and listed in ``failures`` so nothing disappears silently. An article outside ``--since/--until`` is
dropped as ``OutsideDateWindow``: not a failure, the run was asked not to store it.
"""

from __future__ import annotations

import logging

from scrapy.exceptions import DropItem

from crawler.ingest import validate as rules
from crawler.ingest.core import rejection
from crawler.ingest.items import OutcomeItem
from pipelines.context import OUTSIDE_WINDOW, ArchiveStep, record_outcome

logger = logging.getLogger(__name__)


class InvalidArticle(DropItem):
    reason = "invalid"


class MissingId(InvalidArticle):
    reason = rules.NO_ID


class MissingTitle(InvalidArticle):
    reason = rules.NO_TITLE


class MissingDate(InvalidArticle):
    reason = rules.NO_DATE


class MissingBody(InvalidArticle):
    reason = rules.NO_BODY


class OutsideDateWindow(DropItem):
    pass


_DROPS: dict[str, type[InvalidArticle]] = {cls.reason: cls for cls in (MissingId, MissingTitle, MissingDate, MissingBody)}


def problem(item) -> type[InvalidArticle] | None:
    reason = rules.problem(item)
    return None if reason is None else _DROPS[reason]


class ValidatePipeline(ArchiveStep):
    def process_item(self, item):
        if isinstance(item, OutcomeItem):
            return item
        reason = rules.problem(item)
        if reason is None:
            return item
        failure = rejection(self.context.site.name, item, reason)
        record_outcome(self.crawler, failure)
        logger.warning("%s: %s", reason, failure.url)  # one short line; the drop itself is logged at DEBUG
        raise _DROPS[reason](f"{reason}: {failure.url}")


class DateWindowPipeline(ArchiveStep):
    def process_item(self, item):
        if isinstance(item, OutcomeItem) or self.context.in_window(rules.published(item)):
            return item
        self.crawler.stats.inc_value(OUTSIDE_WINDOW)
        raise OutsideDateWindow(f"published {item.get('published_at')} outside the run's window: {item.get('url')}")
