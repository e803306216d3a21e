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
run (a backstop: such a walk is not complete).

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
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.http import Request, Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.arguments import SpiderArgumentError, parse_flag, parse_id_ranges, parse_window, politeness
from crawler.extract import Extractor
from crawler.extract.decode import declared_charset
from crawler.extract.work import PageResult, PageTask, extract_page
from crawler.middlewares.extractpool import EXTRACTED
from crawler.middlewares.reasons import failure_reason
from crawler.alarms import no_article_kind
from crawler.monitor import record_extraction
from crawler.progress import IDS_DONE, set_id_total
from crawler.statkeys import EXTRACT_WORKER_FAILED, TEMPLATE_PAGES
from crawler.sites import Site
from crawler.walkbook import LocalWalkBook, WalkBook, after_gate, after_probe, until_probe, walk_complete
from pipelines.context import RunContext, run_context
from pipelines.items import AliasItem, ArticleItem, FailureItem, FailureResolved, FetchInfo, MissItem, WalksComplete
from pipelines.state import ArchiveState
from spiders.discovery import DiscoveryMixin
from spiders.sources import OutletSources
from spiders.links import LinkReader

logger = logging.getLogger(__name__)

MODES = ("crawl", "backfill")
MISS_STATUSES = (404, 410)
LISTING_RETRY_TIMES = 8  # a lost listing page hides a whole page of articles: try harder
BACKFILL_CHUNK = 1000
ARTICLE_REQUESTS = "arshif/requests/article"  # articles asked for (retries and redirects not counted)
LISTING_REQUESTS = "arshif/requests/listing"
UNANSWERED = "no answer: the request was dropped before a response"
UNTIL_SKIPPED = "arshif/until/skipped"  # article fetches skipped: their listing page is newer than --until

# Politeness off (our own loopback server): no delay, no AutoThrottle, no robots.txt, high concurrency.
IMPOLITE_SETTINGS: dict[str, Any] = {
    "ROBOTSTXT_OBEY": False,
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "CONCURRENT_REQUESTS": 32,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 32,
}


@dataclass
class Walk:
    """One category's walk through its listing pages in this run."""

    category: int
    previously_complete: bool
    ended: bool = False  # reached its natural end (last page, stop rule, --since, --max-pages)
    lost_pages: int = 0  # listing pages that failed: the walk is not complete
    seen: set[int] = field(default_factory=set)  # ids its pages listed so far
    capped: bool = False  # stopped by ARSHIF_MAX_LISTING_PAGES: not complete


@dataclass
class PendingPage:
    """A listing page whose articles must be read before the walk goes on (only with --since)."""

    walk: Walk
    next_request: Request | None
    ids: set[int] = field(default_factory=set)
    in_window: bool = False
    gate: str | None = None  # its gate in the walk book (``crawler.walkbook``): the ids not yet read


@dataclass
class UntilProbe:
    """A page of links under --until, newest first: its oldest wanted article is fetched alone first.

    Listings show no dates on the mirror (nor, as far as the site notes say, on the real site), but they
    are newest first: if their oldest article is newer than --until, so is every other one on the page,
    and the page's other fetches are skipped (``arshif/until/skipped``). Otherwise the rest is fetched.
    """

    walk: Walk | None  # None: the home page's links
    next_request: Request | None
    rest: list[tuple[int, str]]


class ArchiveSpider(OutletSources, DiscoveryMixin, scrapy.Spider):
    site: Site  # set by each site's spider class (spiders.loader.spider_class)

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
        self.requested: set[int] = set()  # article ids asked for in this run
        self.article_urls: dict[int, str] = {}  # key → real URL, for a site keyed by URL (no URL from a key)
        self.settled: set[int] = set()  # ... and answered: stored, alias, miss or failure (settle)
        self.retried_misses: set[int] = set()  # --retry-misses: recorded misses asked again (no layout alarm)
        self.walks: dict[int, Walk] = {}
        self.book: WalkBook = LocalWalkBook()  # the gates' state; a distributed worker's is in Redis
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
        return spider

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

    def article_links(self, response: Response) -> dict[int, str]:
        """Article ids linked from the page (sidebars included), in page order → a URL to fetch each."""
        found: dict[int, str] = {}
        for _element, link in self.links.anchors(response):
            if link.in_site and link.article_id is not None and link.article_id not in found:
                found[link.article_id] = link.fetch
        return found

    def listing_links(self, response: Response) -> Iterator[tuple[str, int, int]]:
        """(URL on base_url, category id, page number) of every category listing the page links to."""
        for _element, link in self.links.anchors(response):
            if link.in_site and link.listing is not None:
                yield link.fetch, *link.listing

    # -- start -------------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Request]:
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
            if article_id not in self.requested:
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
                        dont_filter: bool = False) -> Request:
        self.requested.add(article_id)
        if self.site.key == "url":
            self.article_urls.setdefault(article_id, self.to_real(url))
        self.crawler.stats.inc_value(ARTICLE_REQUESTS)
        return Request(
            url,
            callback=self.parse_article,
            errback=self.failed,
            cb_kwargs={"article_id": article_id, "page": page},
            meta={"article_id": article_id},
            dont_filter=dont_filter,
        )

    # -- discovery ---------------------------------------------------------------------------

    def parse_home(self, response: Response) -> Iterator[Request | FailureResolved]:
        state, site = self.state, self.site.name
        yield FailureResolved(site, self.to_real(response.url))
        yield from self.feed_requests(response)
        if "links" in self.site.discovery.sources:  # no listing rules (a site from its URL alone): follow the pages
            yield from self.follow_pages(response)
        listings: dict[int, str] = {}
        for url, category, _page in self.listing_links(response):
            listings.setdefault(category, url)
        if not listings and "listings" in self.site.discovery.sources:
            logger.warning("no category links on the home page %s", response.url)
        for category, url in sorted(listings.items()):
            walk = Walk(category, previously_complete=state.listing_walk_complete(site, category, self.window.since))
            self.walks[category] = walk
            yield self.listing_request(walk, url, 1)
        # Articles on the home page that no listing may reach (e.g. a section missing from the menu).
        links = self.article_links(response)
        stored = set() if self.refresh else state.stored_ids(site, links)
        wanted = [(article_id, url) for article_id, url in links.items()
                  if article_id not in stored and article_id not in self.requested]
        listed = main_block_ids(response, self.site, links, self.links)
        yield from self.page_requests(None, wanted, None, listed=listed)

    def listing_request(self, walk: Walk, url: str, page: int) -> Request:
        self.crawler.stats.inc_value(LISTING_REQUESTS)
        return Request(
            url,
            callback=self.parse_listing,
            errback=self.listing_failed,
            cb_kwargs={"walk": walk, "page": page},
            meta={"max_retry_times": LISTING_RETRY_TIMES, "handle_httpstatus_list": [404], "walk": walk,
                  "page": page},
        )

    def next_listing_url(self, response: Response, walk: Walk, page: int) -> str | None:
        for url, category, number in self.listing_links(response):
            if category == walk.category and number == page + 1:
                return url
        return None

    def parse_listing(self, response: Response, walk: Walk, page: int) -> Iterator[Request | FailureResolved]:
        state, site = self.state, self.site.name
        if response.status in MISS_STATUSES:  # past the last page
            walk.ended = True
            return
        yield FailureResolved(site, self.to_real(response.url))
        links = self.article_links(response)
        listed = main_block_ids(response, self.site, links, self.links)
        if not listed:
            walk.ended = True
            return
        if listed <= walk.seen:  # nothing new: the CMS answers past its last page with the last page again
            self.crawler.stats.inc_value("arshif/listings/stopped_no_new_ids")
            walk.ended = True
            return
        walk.seen |= listed
        if page >= self.crawler.settings.getint("ARSHIF_MAX_LISTING_PAGES"):
            logger.warning("category %s: stopped at page %d (ARSHIF_MAX_LISTING_PAGES)", walk.category, page)
            walk.capped = True
        stored = state.stored_ids(site, links)
        if not self.refresh and walk.previously_complete and stored >= listed:
            self.crawler.stats.inc_value("arshif/listings/stopped_on_stored")
            walk.ended = True
            return
        known = self.known_older(walk, links, listed, stored)
        next_url = self.next_listing_url(response, walk, page)
        at_limit = walk.capped or (self.max_pages is not None and page >= self.max_pages)
        next_request = None
        if next_url is not None and not at_limit and known is None:
            next_request = self.listing_request(walk, next_url, page + 1)
        if next_request is None:
            walk.ended = True
        wanted = [
            (article_id, url)
            for article_id, url in links.items()
            if (self.refresh or article_id not in stored) and article_id not in self.requested
            and article_id not in (known or ())
        ]
        yield from self.page_requests(walk, wanted, next_request, listed=listed)

    def known_older(self, walk: Walk, links: dict[int, str], listed: set[int], stored: set[int]) -> set[int] | None:
        """With --since, on a walk an earlier run completed down to --since or further: the unstored articles
        listed after (older than) a stored one were seen by that walk — outside the window — so they are not
        fetched again, and the walk ends on this page. None when the rule does not apply."""
        if self.refresh or self.window.since is None or not walk.previously_complete:
            return None
        order = [article_id for article_id in links if article_id in listed]
        first = next((n for n, article_id in enumerate(order) if article_id in stored), None)
        if first is None:
            return None
        known = {article_id for article_id in order[first:] if article_id not in stored}
        self.crawler.stats.inc_value("arshif/listings/stopped_on_stored")
        self.crawler.stats.inc_value("arshif/listings/known_older", len(known))
        return known

    def page_requests(self, walk: Walk | None, wanted: list[tuple[int, str]], next_request: Request | None,
                      *, listed: set[int] = frozenset(), probed: bool = False,
                      in_window: bool = False) -> Iterator[Request]:
        """Requests for a page's wanted articles (in page order), then the walk's next page.

        With --until the oldest one of the page's main list (``listed``, newest first; sidebars may hold
        any date) goes first, alone (``UntilProbe``); with --since the next page waits until the page's
        articles are read (``PendingPage``: a page older than --since ends the walk).
        """
        probe = until_probe(wanted, listed)
        if self.window.end is not None and not probed and probe is not None and len(wanted) > 1:
            rest = [pair for pair in wanted if pair is not probe]
            yield self.article_request(*probe, UntilProbe(walk, next_request, rest))
            return
        pending = PendingPage(walk, next_request, in_window=in_window) if self.window.since is not None and walk else None
        if pending is None:
            for article_id, url in wanted:
                yield self.article_request(article_id, url)
        else:
            requests = []
            for article_id, url in wanted:
                pending.ids.add(article_id)
                requests.append(self.article_request(article_id, url, pending))
            if pending.ids:  # the gate opens before any of its articles can be answered
                pending.gate = self.book.open_gate(pending.ids, in_window=pending.in_window)
            yield from requests
        if (pending is None or not pending.ids) and next_request is not None:
            yield next_request

    def probe_settled(self, probe: UntilProbe, published: datetime | None) -> Iterator[Request]:
        if after_probe(newer_than_until=self.window.after(published)) == "skip":  # the whole page is newer
            self.crawler.stats.inc_value(UNTIL_SKIPPED, len(probe.rest))
            if probe.next_request is not None:
                yield probe.next_request
            return
        in_window = not self.window.before(published)
        rest = [(article_id, url) for article_id, url in probe.rest if article_id not in self.requested]  # asked meanwhile
        yield from self.page_requests(probe.walk, rest, probe.next_request, probed=True, in_window=in_window)

    def settle(self, page: PendingPage | UntilProbe | None, article_id: int,
               published: datetime | None) -> Iterator[Request]:
        """An article is settled (a gated page's, with --since/--until: the walk goes on once all are)."""
        self.crawler.stats.inc_value(IDS_DONE)
        self.settled.add(article_id)
        if page is None:
            return
        if isinstance(page, UntilProbe):
            yield from self.probe_settled(page, published)
            return
        if page.gate is None:
            return
        state = self.book.settle(page.gate, article_id, published is None or not self.window.before(published))
        page.in_window = state.in_window
        if not state.done:  # not the page's last article (with Redis: not the last of any worker's)
            return
        if after_gate(state, page.next_request is not None) == "next":
            yield page.next_request
        else:
            page.walk.ended = True

    # -- articles ----------------------------------------------------------------------------

    def page_task(self, request: Request, response: Response) -> PageTask | None:
        """An article response's extraction task (None for other pages): for ``self.extractor`` or a worker's."""
        if request.callback != self.parse_article:
            return None
        return self._page_task(response, request.meta.get("article_id"))

    def _page_task(self, response: Response, article_id: int | None) -> PageTask:
        return PageTask(response.body, self.to_real(response.url), self.site,
                        declared_charset(response.headers.get("Content-Type")), article_id)

    def parse_article(self, response: Response, article_id: int, page: PendingPage | UntilProbe | None = None):
        charset = declared_charset(response.headers.get("Content-Type"))
        # Extracted by a worker process (crawler.middlewares.extractpool, --extract-jobs), else here.
        result: PageResult = response.meta.get(EXTRACTED) or extract_page(
            self.extractor, self._page_task(response, article_id))
        if result.error is not None:  # the worker died on this page (or the pool closed): asked again next run
            self.crawler.stats.inc_value(EXTRACT_WORKER_FAILED)
            yield FailureItem(self.site.name, self.article_url(article_id), result.error,
                              http_status=response.status, article_id=article_id)
            yield from self.settle(page, article_id, None)
            return
        if result.template:
            self.crawler.stats.inc_value(TEMPLATE_PAGES)
        extraction = result.extraction
        if extraction is None:
            record_extraction(self.crawler.stats, None, no_article_kind(
                response.body, charset, known_miss=article_id in self.retried_misses))
        else:
            record_extraction(self.crawler.stats, extraction)
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

    def listing_failed(self, failure: Failure):
        """A listing page lost for good: recorded, the walk marked incomplete, the next page still tried."""
        walk, page = failure.request.meta["walk"], failure.request.meta["page"]
        walk.lost_pages += 1
        yield from self.failed(failure)
        if self.max_pages is None or page < self.max_pages:
            yield self.listing_request(walk, next_page_url(failure.request.url, page + 1), page + 1)

    def closing_items(self, reason: str) -> list[WalksComplete | FailureItem]:
        """What the run learned only by ending (the owner records it):

        - every article id asked for ends as stored, alias, miss or failure: one asked for in a finished run
          that never got an answer (its request dropped on the way, e.g. by a filter) is a failure, so the
          next crawl asks again;
        - the categories it walked completely: to their natural end — the last page, a page of stored
          articles where an earlier walk ends, or with --since a page older than it — with no listing page
          lost, no --max-pages, no --until (a walk that skipped the newest articles).
        """
        if reason != "finished":
            return []
        items: list[WalksComplete | FailureItem] = [
            FailureItem(self.site.name, self.article_url(article_id), UNANSWERED, article_id=article_id)
            for article_id in sorted(self.requested - self.settled)
        ]
        if items:
            logger.warning("%d article requests got no answer (dropped on the way): recorded as failures", len(items))
        if self.mode == "crawl" and self.max_pages is None and self.window.end is None:
            complete = [c for c, walk in self.walks.items() if walk.ended and walk_complete(
                mode=self.mode, max_pages=self.max_pages, until_set=False, lost_pages=walk.lost_pages,
                capped=walk.capped)]
            down_to = self.window.since.isoformat() if self.window.since is not None else None
            items.append(WalksComplete(self.site.name, tuple(complete), down_to=down_to))
        return items


def main_block_ids(response: Response, site: Site, links: dict[int, str],
                   reader: LinkReader | None = None) -> set[int]:
    """The article ids of the page's main list, without sidebars ("most read") or other chrome.

    No class names are known for the real site, so this goes by DOM shape: the deepest element that holds
    at least half of the page's distinct article links is the list; sidebars hold fewer. ``reader``: the
    spider's, when the page's anchors were read already.
    """
    reader = reader or LinkReader(site, site.base_url, lambda url: url)
    held: dict[Any, set[int]] = {}
    depth: dict[Any, int] = {}
    for element, link in reader.anchors(response):
        article_id = link.article_id
        if article_id is None or article_id not in links:
            continue
        for level, ancestor in enumerate(reversed(list(element.iterancestors()))):
            held.setdefault(ancestor, set()).add(article_id)
            depth[ancestor] = level
    if not held:
        return set()
    enough = max(2, (len(links) + 1) // 2)
    blocks = [element for element, ids in held.items() if len(ids) >= enough]
    if not blocks:
        return set(links)
    return held[max(blocks, key=depth.__getitem__)]


def next_page_url(url: str, page: int) -> str:
    """The listing URL of page ``page`` next to ``url`` (…/page/<n> replaced or appended)."""
    parts = urlsplit(url)
    path = re.sub(r"/page/\d+/?$", "", parts.path).rstrip("/")
    return f"{parts.scheme}://{parts.netloc}{path}/page/{page}"
