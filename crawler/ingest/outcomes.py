"""What one ``Ingest`` call did, as a typed value (and the run's tally of them, ``IngestCounts``).

    outcome = ingest.article(item)
    if isinstance(outcome, Stored) and outcome.kind == "new": ...

``Stored`` (new | updated | unchanged; ``NearDuplicate`` is a stored article that names its original),
``Aliased`` (an exact copy or a redirect recorded as another id of a stored story), ``Missed``, ``Failed``,
``Rejected`` (failed validation: a failures row), ``OutsideWindow`` (not stored: the run's --since/--until),
``Resolved`` (a failure settled), ``WalksRecorded``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from crawler.storage import RunCounts

NEW, UPDATED, UNCHANGED = "new", "updated", "unchanged"


@dataclass(frozen=True)
class Stored:
    article_id: int
    kind: str  # NEW | UPDATED | UNCHANGED (Archive.upsert_articles' Outcome value)
    near_duplicate_of: int | None = None
    replaced: int | None = None  # the stored copy of the same story this one demoted to its alias
    # That copy was stored earlier in this same run: it is counted as an alias only, no longer as new
    # (so the progress line, the summary and the run row count the same new articles).
    replaced_new: bool = False


@dataclass(frozen=True)
class NearDuplicate(Stored):
    """A stored article whose body is ≥ 0.9 similar to a lower id's (``near_duplicate_of``)."""


@dataclass(frozen=True)
class Aliased:
    alias_id: int | None
    of: int
    alias_kind: str  # "exact" | "redirect"
    added: bool = True  # False: the archive knew this alias already


@dataclass(frozen=True)
class Missed:
    article_id: int
    reason: str


@dataclass(frozen=True)
class Failed:
    url: str
    reason: str
    article_id: int | None = None


@dataclass(frozen=True)
class Rejected(Failed):
    """An article that failed validation (no id, title, date or body): recorded as a failure, not stored."""


@dataclass(frozen=True)
class OutsideWindow:
    article_id: int | None
    published_at: str | None


@dataclass(frozen=True)
class Resolved:
    url: str


@dataclass(frozen=True)
class WalksRecorded:
    categories: tuple[int, ...]


Outcome = Stored | Aliased | Missed | Failed | OutsideWindow | Resolved | WalksRecorded


@dataclass
class IngestCounts:
    """The run's counts, kept by ``Ingest`` as its calls return (``RunCounts`` is what ``crawl_runs`` holds)."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    aliases: int = 0
    near_duplicates: int = 0
    misses: int = 0
    failures: int = 0  # fetch failures and rejected articles
    rejected: int = 0
    outside_window: int = 0

    def add(self, outcome: Outcome) -> None:
        if isinstance(outcome, Stored):
            setattr(self, outcome.kind, getattr(self, outcome.kind) + 1)
            if outcome.near_duplicate_of is not None and outcome.kind != UNCHANGED:
                self.near_duplicates += 1
            if outcome.replaced is not None:
                self.aliases += 1
                if outcome.replaced_new:
                    self.new -= 1
        elif isinstance(outcome, Aliased):
            self.aliases += outcome.added
        elif isinstance(outcome, Missed):
            self.misses += 1
        elif isinstance(outcome, Failed):
            self.failures += 1
            self.rejected += isinstance(outcome, Rejected)
        elif isinstance(outcome, OutsideWindow):
            self.outside_window += 1

    def run_counts(self, pages: int = 0, dropped: int | None = None) -> RunCounts:
        """``dropped``: records not stored (rejected or outside the window) unless the caller counts them."""
        return RunCounts(pages=pages, articles_new=self.new, articles_updated=self.updated,
                         articles_unchanged=self.unchanged, aliases=self.aliases,
                         near_duplicates=self.near_duplicates, misses=self.misses, failures=self.failures,
                         dropped=self.rejected + self.outside_window if dropped is None else dropped)

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}
