"""``Ingest``: everything a run writes into the archive, with no Scrapy: clean → validate → date window →
dedupe → store, and the run's other outcomes (misses, failures, aliases, completed listing walks).

    ingest = Ingest(archive, get_site("alhadath"), run_id)
    outcome = ingest.article(ArticleItem(record, fetch=FetchInfo(url, warc_record="f.warc.gz#0")))
    ingest.record(MissItem("alhadath", 7, url, "http 404"))      # → Missed(7, "http 404")
    ingest.counts.run_counts(pages=2)                             # → RunCounts(articles_new=1, misses=1, ...)

Its callers are thin: the Scrapy pipelines (``pipelines/``: one stage each, Scrapy stats mirrored from the
outcomes), ``crawler.reparse`` (``article``) and the distributed writer (``record`` on each queued item).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from crawler.dates import DateWindow
from crawler.ingest.clean import clean_record
from crawler.ingest.dedupe import Deduper, band_keys_of
from crawler.ingest.items import (
    AliasItem,
    ArticleItem,
    FailureItem,
    FailureResolved,
    MissItem,
    OutcomeItem,
    WalksComplete,
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
from crawler.ingest.validate import problem, published
from crawler.storage import Archive, ArticleWrite
from crawler.storage.schema import STORED_ARTICLE_NOT_EXTRACTED

if TYPE_CHECKING:  # the site's type only: importing the registry may load a site's spider module
    from crawler.sites import Site


SOFT_404 = "soft404"  # the miss reason of a page that answered 200 with no article (spiders.base)


class Ingest:
    """One run's writes into one archive for one site (``run_id``: the ``crawl_runs`` row they belong to)."""

    def __init__(self, archive: Archive, site: Site, run_id: int | None, *, window: DateWindow = DateWindow()) -> None:
        self.archive, self.site, self.run_id, self.window = archive, site, run_id, window
        self.deduper = Deduper(archive, site.name, keyed_by_url=site.key == "url")
        self.counts = IngestCounts()

    def _count(self, outcome: Outcome) -> Outcome:
        self.counts.add(outcome)
        return outcome

    # -- an article, stage by stage (the pipelines call them one at a time) -------------------------

    @staticmethod
    def clean(item: ArticleItem) -> ArticleItem:
        clean_record(item)
        return item

    def validate(self, item: ArticleItem) -> Rejected | None:
        """None if the article may be stored; else its failure is recorded and ``Rejected`` returned."""
        reason = problem(item)
        if reason is None:
            return None
        failure = rejection(self.site.name, item, reason)
        self._write_failure(failure)
        return self._count(Rejected(failure.url, failure.reason, failure.article_id))

    def outside_window(self, item: ArticleItem) -> OutsideWindow | None:
        if self.window.contains(published(item)):
            return None
        return self._count(OutsideWindow(item.get("article_id"), item.get("published_at")))

    def dedupe(self, item: ArticleItem) -> ArticleItem:
        """Sets ``item.verdict`` (and ``item.fingerprint``): how it relates to what the archive holds."""
        return self.deduper.decide(item)

    def article(self, item: ArticleItem) -> Outcome:
        """The whole path for one extracted record: clean → validate → window → dedupe → store."""
        return self.cleaned(self.clean(item))

    def cleaned(self, item: ArticleItem) -> Outcome:
        """The path after the clean, for a record cleaned already (``crawler.reparse``'s workers clean it)."""
        refused = self.validate(item) or self.outside_window(item)
        if refused is not None:
            return refused
        return self.store(self.dedupe(item))

    def store(self, item: ArticleItem) -> Stored | Aliased:
        """Write the article (or its alias) as dedupe decided."""
        archive, site, run_id = self.archive, self.site.name, self.run_id
        verdict = item.verdict
        if verdict is None or item.fingerprint is None:
            raise ValueError(f"article {item.get('article_id')} has no dedupe verdict: dedupe it first")
        record = dict(item)
        if verdict.kind == "exact":
            added = archive.add_alias(record, of=verdict.of, kind="exact", similarity=1.0, run_id=run_id)
            return self._count(Aliased(record["article_id"], verdict.of, "exact", added=bool(added)))
        [written] = archive.upsert_articles([self.article_write(item, record)])
        replaced, replaced_new = None, False
        if verdict.kind == "replaces":
            first_run = archive.demote_to_alias(site, verdict.of, of=record["article_id"], run_id=run_id)
            replaced, replaced_new = verdict.of, run_id is not None and first_run == run_id
        self.link(item)
        return self._count(self.stored(item, written.value, replaced, replaced_new))

    def article_write(self, item: ArticleItem, record: dict | None = None) -> ArticleWrite:
        """What the archive stores of a deduped article (``record``: ``dict(item)``, when made already)."""
        verdict, fetch = item.verdict, item.fetch
        return ArticleWrite(
            record=dict(item) if record is None else record,
            content_hash=item.fingerprint.content_hash,
            band_hashes=item.fingerprint.band_hashes,
            band_keys=band_keys_of(item.fingerprint),
            body_form=item.fingerprint.search_form,
            near_duplicate_of=verdict.near_duplicate_of,
            similarity=verdict.similarity,
            seen_at=fetch.fetched_at if fetch else None,
            warc_record=fetch.warc_record if fetch else None,
            run_id=self.run_id,
            stored=verdict.kind == "update",  # dedupe found its row ("new", "replaces": none)
            traces=verdict.traces,  # and whether other rows name its id
        )

    @staticmethod
    def stored(item: ArticleItem, written: str, replaced: int | None = None, replaced_new: bool = False) -> Stored:
        """The outcome of a stored article (``written``: ``Archive.upsert_articles``' Outcome value)."""
        verdict = item.verdict
        kind = NearDuplicate if verdict.near_duplicate_of is not None else Stored
        return kind(item["article_id"], written, verdict.near_duplicate_of, replaced, replaced_new)

    def link(self, item: ArticleItem) -> None:
        """Dedupe's decisions about the other stored rows (``verdict.repoint``, ``verdict.relink``) written: a
        stored article's own link is written with its row; a reparse whose record is unchanged writes only these."""
        site, verdict = self.site.name, item.verdict
        for other_id, similarity in verdict.repoint:
            self.archive.set_near_duplicate(site, other_id, of=item["article_id"], similarity=similarity)
        for other_id, of, similarity in verdict.relink:
            self.archive.set_near_duplicate(site, other_id, of=of, similarity=similarity)

    # -- the run's other outcomes -------------------------------------------------------------

    def miss(self, item: MissItem) -> Missed | Failed:
        """An id with no article behind it. Unless it is a stored article (or an alias of one): then the page
        that held it did not yield it (a changed layout, say), which is a failed extraction, never a miss. The
        article stays as stored; ``reparse`` re-extracts the failure's WARC record, a rerun asks again."""
        if self.archive.stored_ids(item.site, [item.article_id]):
            reason = STORED_ARTICLE_NOT_EXTRACTED if item.reason == SOFT_404 else f"{item.reason}: a stored article"
            return self.failure(FailureItem(item.site, item.url, reason, attempts=1, http_status=item.http_status,
                                            article_id=item.article_id, warc_record=item.warc_record))
        self.archive.record_miss(item.site, item.article_id, url=item.url, reason=item.reason,
                                 http_status=item.http_status, run_id=self.run_id)
        return self._count(Missed(item.article_id, item.reason))

    def failure(self, item: FailureItem) -> Failed:
        self._write_failure(item)
        return self._count(Failed(item.url, item.reason, item.article_id))

    def _write_failure(self, item: FailureItem) -> None:
        self.archive.record_failure(item.site, item.url, reason=item.reason, attempts=item.attempts,
                                    http_status=item.http_status, article_id=item.article_id, run_id=self.run_id,
                                    warc_record=item.warc_record)

    def failure_resolved(self, item: FailureResolved) -> Resolved:
        self.archive.resolve_failure(item.site, item.url)
        return Resolved(item.url)

    def alias(self, item: AliasItem) -> Aliased:
        added = self.archive.add_alias(item.record(), of=item.of, kind=item.alias_kind, similarity=item.similarity,
                                       run_id=self.run_id)
        return self._count(Aliased(item.alias_id, item.of, item.alias_kind, added=bool(added)))

    def walks_complete(self, item: WalksComplete) -> WalksRecorded:
        down_to = datetime.fromisoformat(item.down_to) if item.down_to else None
        self.archive.mark_listing_walks_complete(item.site, item.categories, run_id=self.run_id, down_to=down_to)
        return WalksRecorded(tuple(item.categories))

    def record(self, item: ArticleItem | OutcomeItem) -> Outcome:
        """Any archive item: an article is deduped (unless it already carries a verdict) and stored."""
        if isinstance(item, ArticleItem):
            return self.store(item if item.verdict is not None else self.dedupe(item))
        handler = _HANDLERS.get(type(item))
        if handler is None:
            raise TypeError(f"the archive does not record {type(item).__name__} items")
        return handler(self, item)

    def commit(self) -> None:
        self.archive.commit()


_HANDLERS = {MissItem: Ingest.miss, FailureItem: Ingest.failure, FailureResolved: Ingest.failure_resolved,
             AliasItem: Ingest.alias, WalksComplete: Ingest.walks_complete}


def rejection(site: str, item: ArticleItem, reason: str) -> FailureItem:
    """The failures row of an article that failed validation (under its URL, its id when it has one)."""
    fetch = item.fetch
    article_id = item.get("article_id")
    return FailureItem(site, item.get("url") or (fetch.url if fetch else ""), reason, attempts=1,
                       http_status=fetch.status if fetch else None,
                       article_id=article_id if isinstance(article_id, int) else None)
