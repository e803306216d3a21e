"""The archive's items now live in the Scrapy-free ingest core (``crawler.ingest.items``); this name stays
for the spiders, middlewares and tests that import them from the glue layer."""

from crawler.ingest.items import (  # noqa: F401
    ARCHIVE_ITEMS,
    OUTCOME_TYPES,
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
