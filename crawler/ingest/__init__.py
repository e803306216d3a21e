"""The Scrapy-free ingest core: what a run writes into the archive and what each write did.

    from crawler.ingest import Ingest, Stored
    ingest = Ingest(archive, site, run_id)
    outcome = ingest.article(item)          # clean → validate → window → dedupe → store: a typed outcome

Used by the Scrapy pipelines (thin callers), ``crawler.reparse`` and the distributed writer.
"""

from crawler.ingest.core import Ingest, rejection
from crawler.ingest.items import (
    ARCHIVE_ITEMS,
    AliasItem,
    ArticleItem,
    FailureItem,
    FailureResolved,
    FetchInfo,
    MissItem,
    OutcomeItem,
    Verdict,
    WalksComplete,
    from_message,
    to_message,
)
from crawler.ingest.outcomes import (
    Aliased,
    Failed,
    IngestCounts,
    Missed,
    NearDuplicate,
    Outcome,
    OutsideWindow,
    Rejected,
    Resolved,
    Stored,
    WalksRecorded,
)

__all__ = [
    "ARCHIVE_ITEMS", "Aliased", "AliasItem", "ArticleItem", "Failed", "FailureItem", "FailureResolved", "FetchInfo",
    "Ingest", "IngestCounts", "MissItem", "Missed", "NearDuplicate", "Outcome", "OutcomeItem", "OutsideWindow",
    "Rejected", "Resolved", "Stored", "Verdict", "WalksComplete", "WalksRecorded", "from_message", "rejection",
    "to_message",
]
