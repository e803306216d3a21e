"""What a spider may ask of the archive: ``ArchiveState``, a read-only interface.

The spider never opens the archive. Its few questions — which of these ids are stored (the incremental
rule), which are known misses (a backfill skips them), which article fetches failed in earlier runs
(asked again), was this category's listing walked to its end before — go through an ``ArchiveState``:

- ``SqliteArchiveState``: in one process, the owner's own connection (so reads see the open batch).
- a Redis-backed one for distributed workers (``arshif worker``): the writer keeps the answers in Redis.

The spider finds it with ``pipelines.context.run_context(crawler).state``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol, runtime_checkable

from crawler.storage import Archive


@runtime_checkable
class ArchiveState(Protocol):
    def stored_ids(self, site: str, ids: Iterable[int]) -> set[int]:
        """The ids among ``ids`` the archive holds (as articles or as aliases of one)."""

    def known_misses(self, site: str, ids: Iterable[int]) -> set[int]:
        """The ids among ``ids`` recorded as misses (404/410, soft-404)."""

    def changed_at(self, site: str, ids: Iterable[int]) -> dict[int, str]:
        """Stored article id → its stored modified_at (else published_at), ISO 8601."""

    def failed_articles(self, site: str) -> list[tuple[int, str]]:
        """(article id, canonical URL) of every open (unresolved) article failure, oldest first."""

    def listing_walk_complete(self, site: str, category: int, since: datetime | None = None) -> bool:
        """True once a run walked this category's listings to their end (or, given ``since``, down to it)."""


class SqliteArchiveState:
    """``ArchiveState`` over an open ``Archive`` (reads only)."""

    def __init__(self, archive: Archive) -> None:
        self._archive = archive

    def stored_ids(self, site: str, ids: Iterable[int]) -> set[int]:
        return self._archive.stored_ids(site, ids)

    def known_misses(self, site: str, ids: Iterable[int]) -> set[int]:
        return self._archive.known_misses(site, ids)

    def changed_at(self, site: str, ids: Iterable[int]) -> dict[int, str]:
        return self._archive.changed_at(site, ids)

    def failed_articles(self, site: str) -> list[tuple[int, str]]:
        return [(row["article_id"], row["url"]) for row in self._archive.open_failures(site)
                if row["article_id"] is not None]

    def listing_walk_complete(self, site: str, category: int, since: datetime | None = None) -> bool:
        return self._archive.listing_walk_complete(site, category, since)
