"""What spiders yield: the article, and one typed item per other outcome the archive records.

The spider never writes the archive. Everything it learns travels as an item through the pipelines
(clean → validate → date window → dedupe → store) to the one component that owns the archive
(``pipelines.owner.ArchiveOwner``; a distributed worker pushes the same items to Redis for the single
``arshif store`` writer instead). Pipelines that only concern articles pass the other items on unchanged.

Item types:

- ``ArticleItem``: a ``dict`` holding exactly the record keys (``crawler.items.ARTICLE_FIELDS``), so
  exporters and the archive see a clean record. What the pipelines need to know about the fetch — when,
  from which URL, with which status, the WARC record — travels as the ``fetch`` attribute; pipelines add
  their own findings as attributes too (``fingerprint``, ``verdict``).
- ``MissItem``: an id with no article behind it (404/410, soft-404): a rerun will not ask again. The
  ingest records it as a failure instead when the id is a stored article or alias (``Ingest.miss``).
- ``FailureItem``: a fetch that failed for good (after retries) or a page that failed validation.
- ``FailureResolved``: a later fetch of that URL succeeded (listing and home pages; articles settle
  their failures when stored).
- ``AliasItem``: another id/URL for an article (e.g. ``/article/<id>`` redirected to another id).
- ``WalksComplete``: categories whose listings this run walked to their end, or down to its --since
  (``down_to``): the incremental rule.

Outcome items are frozen dataclasses of plain values, so ``to_message``/``from_message`` turn any item
(articles included) into a JSON-safe dict and back, for a queue between processes. None carries a run
id: the owner adds its own.

Recording an outcome from code that cannot yield (a downloader middleware, a pipeline that drops the
item) goes through ``pipelines.context.record_outcome(crawler, item)`` (in a crawl) or its shorthand
``record_failure(crawler, request, reason, ...)``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

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
    # stored near duplicates that named this article and must name another one (or none) now that its
    # body changed: (id, new near_duplicate_of or None, similarity or None)
    relink: tuple[tuple[int, int | None, float | None], ...] = ()
    # whether a miss, an open failure or an alias names this id (looked up with the stored row): what
    # storing it settles (``ArticleWrite.traces``); None: not looked up
    traces: bool | None = None


class ArticleItem(dict):
    fetch: FetchInfo | None
    fingerprint: Fingerprint | None
    verdict: Verdict | None
    carried: Mapping[str, Any] | None  # a fingerprint made elsewhere (``Fingerprint.carried``), checked by dedupe

    def __init__(self, record: Mapping[str, Any] = (), *, fetch: FetchInfo | None = None,
                 carried: Mapping[str, Any] | None = None) -> None:
        super().__init__(record)
        self.fetch = fetch
        self.fingerprint = None
        self.verdict = None
        self.carried = carried


@dataclass(frozen=True)
class OutcomeItem:
    """Base of the items that are not articles; ``kind`` names the type in messages."""

    kind: ClassVar[str] = ""
    site: str


@dataclass(frozen=True)
class MissItem(OutcomeItem):
    kind: ClassVar[str] = "miss"
    article_id: int
    url: str  # canonical
    reason: str  # "http 404", "soft404", ...
    http_status: int | None = None
    warc_record: str | None = None  # the captured answer (a soft-404 of a stored id becomes a failure with it)


@dataclass(frozen=True)
class FailureItem(OutcomeItem):
    kind: ClassVar[str] = "failure"
    url: str  # canonical for an article, the real-site URL for other pages
    reason: str  # "http 503", "TimeoutError: ...", "invalid: no title", "too large: ..."
    attempts: int = 1
    http_status: int | None = None
    article_id: int | None = None
    warc_record: str | None = None  # the captured answer, when one can be extracted again (``reparse``)


@dataclass(frozen=True)
class FailureResolved(OutcomeItem):
    kind: ClassVar[str] = "failure_resolved"
    url: str  # the real-site URL of the page now fetched


@dataclass(frozen=True)
class AliasItem(OutcomeItem):
    kind: ClassVar[str] = "alias"
    alias_id: int | None
    alias_url: str  # canonical
    of: int  # the article it stands for
    alias_kind: str = "redirect"  # crawl_runs/aliases.kind: "redirect" | "exact"
    similarity: float | None = None
    title: str | None = None
    published_at: str | None = None

    def record(self) -> dict[str, Any]:
        """The fields ``Archive.add_alias`` takes as its record."""
        return {"site": self.site, "article_id": self.alias_id, "url": self.alias_url, "title": self.title,
                "published_at": self.published_at}


@dataclass(frozen=True)
class WalksComplete(OutcomeItem):
    kind: ClassVar[str] = "walks_complete"
    categories: tuple[int, ...]
    down_to: str | None = None  # None: to the listings' end; else the --since (ISO 8601) the walks reached


OUTCOME_TYPES: dict[str, type[OutcomeItem]] = {
    cls.kind: cls for cls in (MissItem, FailureItem, FailureResolved, AliasItem, WalksComplete)
}
ARCHIVE_ITEMS = (ArticleItem, *OUTCOME_TYPES.values())  # every item the archive's owner accepts


def to_message(item: ArticleItem | OutcomeItem) -> dict[str, Any]:
    """A JSON-safe dict for a queue: ``{"type": ..., ...}`` (an article keeps its fetch metadata)."""
    if isinstance(item, ArticleItem):
        fetch = dataclasses.asdict(item.fetch) if item.fetch is not None else None
        # The body's dedupe fingerprint, computed by the sender (a worker) so the one writer need not:
        # ``from_message`` takes it only for the same body and signature scheme (Fingerprint checks).
        fingerprint = item.fingerprint or Fingerprint(item.get("paragraphs") or [])
        return {"type": "article", "record": dict(item), "fetch": fetch, "fingerprint": fingerprint.carried()}
    if isinstance(item, OutcomeItem):
        fields = dataclasses.asdict(item)
        if isinstance(item, WalksComplete):
            fields["categories"] = list(item.categories)
        return {"type": item.kind, **fields}
    raise TypeError(f"not an archive item: {type(item).__name__}")


def from_message(message: Mapping[str, Any]) -> ArticleItem | OutcomeItem:
    """The item ``to_message`` made (with the fingerprint it carries, checked; the verdict is dedupe's)."""
    fields = dict(message)
    kind = fields.pop("type")
    if kind == "article":
        fetch = fields.get("fetch")
        item = ArticleItem(fields["record"], fetch=FetchInfo(**fetch) if fetch else None)
        carried = fields.get("fingerprint")
        if isinstance(carried, Mapping):  # absent from older senders' messages: dedupe computes it
            item.fingerprint = Fingerprint(item.get("paragraphs") or [], carried)
        return item
    if kind not in OUTCOME_TYPES:
        raise ValueError(f"unknown item type {kind!r}")
    if kind == WalksComplete.kind:
        fields["categories"] = tuple(fields["categories"])
    return OUTCOME_TYPES[kind](**fields)
