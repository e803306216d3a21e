"""The spider every site shares: discovery through listings, backfill by id, misses and failures.

Each site file (``crawler/sites/<name>.toml``) gets its subclass by name (``spiders.loader``): ``name`` and
``site`` (its ``Site`` data).
Arguments (``scrapy crawl <site> -a key=value`` or ``arshif crawl/backfill``; see ``SpiderArgs``):

- ``base_url``: fetch from another host with the same paths (the mirror); records keep the real URLs.
- ``mode``: "crawl" (home → categories → listings → articles, incremental) or "backfill" (``ids``).
- ``ids``: "30000-35000" or "1-5,9"; ``retry_misses``: ask known misses again.
- ``since``/``until``: any date ``crawler.dates`` reads; bound what listings fetch and what is stored.
- ``max_pages``: listing pages per category; ``refresh``: refetch stored articles (changes are versioned).
- ``polite``: "auto" (default: off for a loopback base URL, on otherwise), "1"/"0" to force.

Discovery also reads ``/sitemap.xml`` (and the sitemaps an index names) and RSS/Atom feeds (announced by
the home page, or at common paths) when the site has them (``spiders.discovery``).

A walk also ends at a listing page that brings no id not already seen in this walk (CMSes that answer
``/page/N`` for any N with the last page), and after ``ARSHIF_MAX_LISTING_PAGES`` pages per category in a
run (a backstop: such a walk is not complete). The walks and their rules (asked ids, --since gates,
--until probes, when a walk ended complete) are ``spiders.walks``, over the walk book ``self.book``.

Incremental rule: a category's walk stops at a listing page whose articles are all stored — but only once
an earlier run walked that category to its end (``listing_walks``); until then (first run, a run that was
interrupted or lost a listing page) the walk goes on past stored pages, so a rerun completes the rest.
Open article failures of earlier runs are asked again at the start of every crawl.

The spider never writes the archive: what it finds goes out as items (``pipelines.items``: articles,
misses, failures, resolved failures, redirect aliases, and at the end completed listing walks through
``closing_items``) to the archive's one owner (``pipelines.owner.ArchiveOwner``). Its questions (stored
ids, known misses, open failures, completed walks) go through ``self.state``, a read-only
``pipelines.state.ArchiveState``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timezone
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.http import HtmlResponse, Request, Response
from scrapy.utils.misc import load_object
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.arguments import SpiderArgumentError, parse_flag, parse_id_ranges, parse_window, politeness
from crawler.extract import Extractor
from crawler.extract.decode import declared_charset
from crawler.extract.work import PageResult, PageTask, extract_page_or_failure
from crawler.middlewares.extractpool import EXTRACTED
from crawler.middlewares.reasons import failure_reason
from crawler.alarms import no_article_kind
from crawler.monitor import PageTally
from crawler.progress import set_id_total
from crawler.statkeys import EXTRACT_WORKER_FAILED, TEMPLATE_PAGES
from crawler.sites import Site
from crawler.walkbook import LocalWalkBook, WalkBook
from pipelines.context import RunContext, run_context
from pipelines.items import AliasItem, ArticleItem, FailureItem, FailureResolved, FetchInfo, MissItem, WalksComplete
from pipelines.state import ArchiveState
from spiders.discovery import DiscoveryMixin
from spiders.sources import OutletSources
from spiders.links import LinkReader, ListingJob, PageLinks, page_links
from spiders.walks import (  # noqa: F401  (next_page_url, LISTING_REQUESTS: read from here too)
    LISTING_REQUESTS,
    LISTING_RETRY_TIMES,
    MISS_STATUSES,
    WALK_META,
    ListingWalks,
    PendingPage,
    UntilProbe,
    Walk,
    next_page_url,
)

logger = logging.getLogger(__name__)

MODES = ("crawl", "backfill")
BACKFILL_CHUNK = 1000
ARTICLE_REQUESTS = "arshif/requests/article"  # articles asked for (retries and redirects not counted)
UNANSWERED = "no answer: the request was dropped before a response"

# Politeness off (our own loopback server): no delay, no AutoThrottle, no robots.txt, high concurrency.
IMPOLITE_SETTINGS: dict[str, Any] = {
    "ROBOTSTXT_OBEY": False,
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "CONCURRENT_REQUESTS": 32,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 32,
}


class ArchiveSpider(ListingWalks, OutletSources, DiscoveryMixin, scrapy.Spider):
    site: Site  # set by each site's spider class (spiders.loader.spider_class)
    # One worker of a round shared through Redis (``ARSHIF_SHARED_ROUND``, set by ``arshif worker``): the
    # seeding command yields the start requests, the queue and its dupe filter are shared, and this
    # process's stop is not the round's end (walks complete as they end: ``spiders.walks``).
    shared_round = False

    def __init__(
        self,
        *args: Any,
        base_url: str | None = None,
        mode: str = "crawl",
        ids: str | None = None,
        since: str | None = None,
        until: str | None = None,
        max_pages: Any = None,
        refresh: Any = False,
        retry_misses: Any = False,
        polite: Any = "auto",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if mode not in MODES:
            raise SpiderArgumentError(f"unknown mode {mode!r}: use crawl or backfill")
        self.mode = mode
        self.base_url = (base_url or self.site.base_url).rstrip("/")
        if not urlsplit(self.base_url).scheme or not urlsplit(self.base_url).hostname:
            raise SpiderArgumentError(f"bad base URL {base_url!r}: use e.g. http://127.0.0.1:8000")
        self.allowed_domains = [urlsplit(self.base_url).hostname, *self.site.domains]
        # A site keyed by URL has no id to count through: its backfill reads wp-json or sitemaps (spiders.sources).
        self.id_ranges = parse_id_ranges(ids) if mode == "backfill" and self.site.key == "id" else []
        self.window = parse_window(since, until, tz=self.site.timezone)
        self.max_pages = int(max_pages) if max_pages not in (None, "", "0", 0) else None
        self.refresh = parse_flag(refresh)
        self.retry_misses = parse_flag(retry_misses)
        self.polite = politeness(self.base_url, polite)
        self.args = {
            "base_url": self.base_url, "mode": mode, "ids": ids, "since": since, "until": until,
            "max_pages": self.max_pages, "refresh": self.refresh, "retry_misses": self.retry_misses,
            "polite": self.polite,
        }
        self.asked_here: dict[int, str | None] = {}  # article ids this process asked for → their walk's key
        self.article_urls: dict[int, str] = {}  # key → real URL, for a site keyed by URL (no URL from a key)
        self.settled: set[int] = set()  # ... and answered: stored, alias, miss or failure (settle)
        self.retried_misses: set[int] = set()  # --retry-misses: recorded misses asked again (no layout alarm)
        self.walks: dict[int, Walk] = {}
        # The walk rules' state (asked ids, gates, walks' outstanding requests); a worker's is in Redis.
        self.book: WalkBook = LocalWalkBook()
        self.complete_walks: list[int] = []  # categories walked complete, for closing_items
        self.links = LinkReader(self.site, self.base_url, self.to_base)  # each page's anchors, read once
        self.extractor = Extractor()  # the story block this run learns of the site's pages

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any) -> ArchiveSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        if not spider.polite:
            crawler.settings.setdict(IMPOLITE_SETTINGS, priority="spider")
        # Scrapy's check for generator callbacks that return a value reads and parses the callback's source
        # on every response (its cache is keyed on the bound method, a new object each time): ~3% of a
        # backfill's CPU. Our callbacks return no value.
        crawler.settings.set("WARN_ON_GENERATOR_RETURN_VALUE", False, priority="spider")
        spider.shared_round = crawler.settings.getbool("ARSHIF_SHARED_ROUND")
        factory = crawler.settings.get("ARSHIF_WALK_BOOK")  # e.g. crawler.distributed.worker.redis_walk_book
        if factory:
            spider.book = load_object(factory)(spider)
        return spider

    @cached_property
    def tally(self) -> PageTally:
        """The quality monitor's per-page counters, merged into the stats in batches and when the spider
        closes (``closed``: Scrapy connects it when the spider is made, before any extension's handler, so
        the monitor, the owner's ``crawl_runs`` row and the summary read the merged numbers)."""
        return PageTally(self.crawler.stats)

    def closed(self, reason: str) -> None:
        """Scrapy's ``spider_closed`` for the spider itself (the first handler): the tally's last pages."""
        if "tally" in self.__dict__:
            self.tally.flush()

    def run_arguments(self) -> dict[str, Any]:
        """What the archive's owner records for this run (``crawl_runs``) and the pipelines' window."""
        return {"command": self.mode, "args": self.args, "window": self.window, "refresh": self.refresh}

    @property
    def context(self) -> RunContext:
        """The run's context (set up by the archive's owner)."""
        return run_context(self.crawler)

    @property
    def state(self) -> ArchiveState:
        """Read-only answers from the archive: stored ids, known misses, open failures, complete walks."""
        return self.context.state

    # -- URLs --------------------------------------------------------------------------------

    def to_base(self, url: str) -> str:
        """A link of the site (relative, or absolute on the real host) → the same path on ``base_url``."""
        return self.site.to_base(url, self.base_url)

    def to_real(self, url: str) -> str:
        """A fetched URL → the same path on the real site (what records and failures name)."""
        return self.site.to_real(url, self.base_url)

    def site_links(self, response: Response) -> Iterator[str]:
        """Every link of the page that points into the site (on its real host or on ``base_url``)."""
        for _element, link in self.links.anchors(response):
            if link.in_site:
                yield link.url

    def read_links(self, response: Response) -> PageLinks:
        """The page's article links, main list and listing links: as an extraction worker read them
        (``page_task``: a listing page's ``ListingJob``), or here."""
        result = response.meta.get(EXTRACTED)
        if result is not None and result.read is not None:
            return result.read
        return page_links(self.links, self.site, response)

    # -- start -------------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Request]:
        if self.shared_round:  # seeded elsewhere (``arshif crawl/backfill --redis``)
            return
        if self.mode == "backfill" and self.site.key == "url":
            for request in self.outlet_backfill_requests():
                yield request
            return
        if self.mode == "backfill":
            for count, request in enumerate(self.backfill_requests(), 1):
                yield request
                if count % BACKFILL_CHUNK == 0:
                    # Scrapy schedules every start request at once: 100,000 queued requests would hold
                    # ~1 KB each. Hand out the next chunk only when the scheduler has run dry.
                    await self.crawler.signals.wait_for(signals.scheduler_empty)
            return
        yield Request(self.base_url + "/", callback=self.parse_home, errback=self.failed,
                      meta={"max_retry_times": LISTING_RETRY_TIMES})
        if "sitemaps" in self.site.discovery.sources:
            for path in self.site.discovery.sitemaps:
                yield self.sitemap_request(self.base_url + path)
        for article_id, url in self.state.failed_articles(self.site.name):
            if not self.book.asked(article_id):
                yield self.article_request(article_id, self.to_base(url))

    def backfill_requests(self) -> Iterator[Request]:
        state, site = self.state, self.site.name
        todo: list[int] = []
        for low, high in self.id_ranges:
            for start in range(low, high + 1, BACKFILL_CHUNK):
                chunk = range(start, min(high, start + BACKFILL_CHUNK - 1) + 1)
                known = set() if self.refresh else state.stored_ids(site, chunk)
                if not self.retry_misses:
                    known |= state.known_misses(site, chunk)
                else:
                    self.retried_misses |= state.known_misses(site, chunk)
                todo += [article_id for article_id in chunk if article_id not in known]
        todo = list(dict.fromkeys(todo))
        set_id_total(self.crawler.stats, len(todo))
        logger.info("backfill: %d ids to ask for (%d already recorded)", len(todo),
                    sum(high - low + 1 for low, high in self.id_ranges) - len(todo))
        for article_id in todo:
            # Each id is asked once by construction: Scrapy's dupe filter would only hold a fingerprint per id.
            url = self.to_base(self.site.canonical_url(article_id))  # "/article/{id}" of alhadath.toml
            yield self.article_request(article_id, url, dont_filter=True)

    def article_url(self, article_id: int) -> str:
        """The real URL records and failures name for an article key."""
        if self.site.canonical_path is None:  # a key made from the URL names no URL: the one asked for
            return self.article_urls.get(article_id, "")
        return self.site.canonical_url(article_id)

    def article_request(self, article_id: int, url: str, page: PendingPage | UntilProbe | None = None,
                        dont_filter: bool = False, walk: str | None = None) -> Request:
        """The request for an article (``walk``: the key of the walk whose page asks for it)."""
        self.book.ask((article_id,))
        if not self.shared_round:  # a worker's stop is not the round's end: it never lists the unanswered
            self.asked_here[article_id] = walk
        if self.site.key == "url":
            self.article_urls.setdefault(article_id, self.to_real(url))
        self.crawler.stats.inc_value(ARTICLE_REQUESTS)
        return Request(
            url,
            callback=self.parse_article,
            errback=self.failed,
            cb_kwargs={"article_id": article_id, "page": page},
            meta={"article_id": article_id} if walk is None else {"article_id": article_id, WALK_META: walk},
            dont_filter=dont_filter,
        )

    # -- discovery ---------------------------------------------------------------------------

    def parse_home(self, response: Response) -> Iterator[Request | FailureResolved]:
        state, site = self.state, self.site.name
        yield FailureResolved(site, self.to_real(response.url))
        yield from self.feed_requests(response)
        if "links" in self.site.discovery.sources:  # no listing rules (a site from its URL alone): follow the pages
            yield from self.follow_pages(response)
        read = self.read_links(response)
        listings: dict[int, str] = {}
        for url, category, _page in read.listings:
            listings.setdefault(category, url)
        if not listings and "listings" in self.site.discovery.sources:
            logger.warning("no category links on the home page %s", response.url)
        for category, url in sorted(listings.items()):
            walk = Walk(category, previously_complete=state.listing_walk_complete(site, category, self.window.since),
                        round=self.run_version)
            self.walks[category] = walk
            yield self.listing_request(walk, url, 1)
        # Articles on the home page that no listing may reach (e.g. a section missing from the menu).
        links = read.articles
        stored = set() if self.refresh else state.stored_ids(site, links)
        wanted = [(article_id, url) for article_id, url in links.items()
                  if article_id not in stored and not self.book.asked(article_id)]
        yield from self.page_requests(None, wanted, None, listed=read.listed)

    # -- articles ----------------------------------------------------------------------------

    def page_task(self, request: Request, response: Response) -> PageTask | None:
        """What an extraction worker can do for a response (None: nothing): an article's extraction (else
        ``self.extractor`` does it here), or a listing page's links (``ListingJob``; else ``read_links``
        reads them here). Only an ``HtmlResponse`` as the downloader makes them, whose decoding rests on its
        bytes and Content-Type alone (no encoding given, as ``Response.replace`` gives one): the worker
        rebuilds it from those."""
        if request.callback == self.parse_article:
            return self._page_task(response, request.meta.get("article_id"))
        if (request.callback == self.parse_listing and type(response) is HtmlResponse
                and getattr(response, "_encoding", None) is None):
            return PageTask(response.body, self.to_real(response.url), self.site, read=ListingJob(
                response.url, self.base_url, response.headers.get(b"Content-Type")))
        return None

    def _page_task(self, response: Response, article_id: int | None) -> PageTask:
        return PageTask(response.body, self.to_real(response.url), self.site,
                        declared_charset(response.headers.get("Content-Type")), article_id)

    def parse_article(self, response: Response, article_id: int, page: PendingPage | UntilProbe | None = None):
        yield from self.read_article(response, article_id, page)
        if response.request is not None:
            yield from self.answered(response.request)  # its walk's count in the book (spiders.walks)

    def read_article(self, response: Response, article_id: int, page: PendingPage | UntilProbe | None):
        charset = declared_charset(response.headers.get("Content-Type"))
        # Extracted by a worker process (crawler.middlewares.extractpool, --extract-jobs), else here.
        result: PageResult = response.meta.get(EXTRACTED) or extract_page_or_failure(
            self.extractor, self._page_task(response, article_id))
        if result.error is not None:  # extraction failed, or its worker died (or the pool closed): asked again next run
            self.crawler.stats.inc_value(EXTRACT_WORKER_FAILED)
            yield FailureItem(self.site.name, self.article_url(article_id), result.error,  # with its WARC
                              http_status=response.status, article_id=article_id,  # record: reparse reads it
                              warc_record=response.meta.get("warc_record"))  # once the extractor is fixed
            yield from self.settle(page, article_id, None)
            return
        if result.template:
            self.tally.count(TEMPLATE_PAGES)
        extraction = result.extraction
        if extraction is None:
            self.tally.record(None, no_article_kind(response.body, charset,
                                                    known_miss=article_id in self.retried_misses))
        else:
            self.tally.record(extraction)
        if extraction is None:
            yield MissItem(self.site.name, article_id, self.article_url(article_id), "soft404",
                           http_status=response.status, warc_record=response.meta.get("warc_record"))
            yield from self.settle(page, article_id, None)
            return
        record = dict(extraction.record)
        found_id = record.get("article_id")
        if found_id is None:
            record["article_id"], record["url"] = article_id, self.article_url(article_id)
        elif found_id != article_id:  # /article/<id> redirected to another id: the asked id is an alias
            yield AliasItem(self.site.name, article_id, self.article_url(article_id), of=found_id,
                            alias_kind="redirect", title=record.get("title"),
                            published_at=record.get("published_at"))
        fetch = FetchInfo(
            url=response.url,
            status=response.status,
            fetched_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            warc_record=response.meta.get("warc_record"),
        )
        yield ArticleItem(record, fetch=fetch, carried=result.carried)
        published = None
        if record.get("published_at"):
            try:
                published = datetime.fromisoformat(record["published_at"])
            except ValueError:
                published = None
        yield from self.settle(page, article_id, published)

    # -- errors ------------------------------------------------------------------------------

    def failed(self, failure: Failure):
        """A request that failed for good (after retries): a miss (404/410) or a failures row."""
        request = failure.request
        response = failure.value.response if failure.check(HttpError) else None
        status = response.status if response is not None else None
        article_id = request.meta.get("article_id")
        site = self.site.name
        if article_id is not None and status in MISS_STATUSES:
            yield MissItem(site, article_id, self.article_url(article_id), f"http {status}",
                           http_status=status)
        else:
            reason = f"http {status}" if status is not None else failure_reason(failure)
            attempts = int(request.meta.get("retry_times", 0)) + 1
            url = self.article_url(article_id) if article_id is not None else self.to_real(request.url)
            yield FailureItem(site, url, reason, attempts=attempts, http_status=status, article_id=article_id)
            logger.warning("failed after %d attempts: %s (%s)", attempts, request.url, reason)
        if article_id is not None:
            yield from self.settle(request.cb_kwargs.get("page"), article_id, None)
            yield from self.answered(request)

    def closing_items(self, reason: str) -> list[WalksComplete | FailureItem]:
        """What the run learned only by ending (the owner records it):

        - every article id asked for ends as stored, alias, miss or failure: one asked for in a finished run
          that never got an answer (its request dropped on the way, e.g. by a filter) is a failure, so the
          next crawl asks again;
        - the categories it walked completely: to their natural end — the last page, a page of stored
          articles where an earlier walk ends, or with --since a page older than it — with no listing page
          lost, no --max-pages, no --until (a walk that skipped the newest articles).

        A walk is complete when the book says so (``spiders.walks``: ended, nothing outstanding); an
        unanswered request, now a failure, counts as answered. One process records them only here, when the
        run finished (an interrupted run records none); a worker of a shared round yields them as they end.
        """
        if reason != "finished":
            return []
        unanswered = sorted(article_id for article_id in self.asked_here if article_id not in self.settled)
        items: list[WalksComplete | FailureItem] = [
            FailureItem(self.site.name, self.article_url(article_id), UNANSWERED, article_id=article_id)
            for article_id in unanswered
        ]
        if items:
            logger.warning("%d article requests got no answer (dropped on the way): recorded as failures", len(items))
        for article_id in unanswered:
            items.extend(self.walk_count(self.asked_here[article_id], -1))  # a worker's: none (it has no close)
        if self.mode == "crawl" and self.max_pages is None and self.window.end is None:
            down_to = self.window.since.isoformat() if self.window.since is not None else None
            items.append(WalksComplete(self.site.name, tuple(sorted(self.complete_walks)), down_to=down_to))
        return items
