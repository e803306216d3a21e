"""The item spiders yield: the article record, with per-fetch metadata beside it (not in it).

``ArticleItem`` is a ``dict`` holding exactly the record keys (``crawler.items.ARTICLE_FIELDS``), so
exporters and the archive see a clean record. What the pipelines need to know about the fetch — when,
from which URL, with which status, later the WARC record it was written to — travels as the ``fetch``
attribute; pipelines add their own findings as attributes too (``fingerprint``, ``verdict``).
Code that builds a new item from an old one must carry the attributes over (``ArticleItem.like``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from crawler.dedupe import Fingerprint


@dataclass
class FetchInfo:
    url: str  # the URL actually fetched (mirror host included), not the canonical one
    status: int = 200
    fetched_at: str | None = None  # ISO 8601 UTC
    warc_record: str | None = None  # "<file>#<offset>" once WARC capture writes the response


@dataclass
class Verdict:
    """Dedupe's decision for the store pipeline."""

    kind: str  # "new" | "update" | "exact" (an alias of ``of``) | "replaces" (``of`` becomes its alias)
    of: int | None = None
    near_duplicate_of: int | None = None
    similarity: float | None = None
    # stored near duplicates that now name this article as their original: (id, similarity)
    repoint: tuple[tuple[int, float], ...] = ()


class ArticleItem(dict):
    fetch: FetchInfo | None
    fingerprint: Fingerprint | None
    verdict: Verdict | None

    def __init__(self, record: Mapping[str, Any] = (), *, fetch: FetchInfo | None = None) -> None:
        super().__init__(record)
        self.fetch = fetch
        self.fingerprint = None
        self.verdict = None

    def like(self, record: Mapping[str, Any]) -> ArticleItem:
        """A new item with ``record`` as its keys and this item's metadata."""
        item = ArticleItem(record, fetch=self.fetch)
        item.fingerprint, item.verdict = self.fingerprint, self.verdict
        return item
