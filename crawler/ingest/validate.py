"""Validate: an article needs an id, a title, a publication date and a body.

``problem(record)`` names what is missing (a reason string stored in ``failures.reason``), or None.
The Scrapy glue maps each reason to a named ``DropItem`` subclass (``pipelines.validate``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

NO_ID = "invalid: no article id"
NO_TITLE = "invalid: no title"
NO_DATE = "invalid: no publication date"
NO_BODY = "invalid: no body"
REASONS = (NO_ID, NO_TITLE, NO_DATE, NO_BODY)


def problem(record: Mapping[str, Any]) -> str | None:
    if not isinstance(record.get("article_id"), int):
        return NO_ID
    if not record.get("title"):
        return NO_TITLE
    if not published(record):
        return NO_DATE
    if not record.get("paragraphs"):
        return NO_BODY
    return None


def published(record: Mapping[str, Any]) -> datetime | None:
    try:
        return datetime.fromisoformat(record.get("published_at") or "")
    except ValueError:
        return None
