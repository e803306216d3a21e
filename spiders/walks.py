"""Listing walks: each category's listing pages, page after page, under the walk book's rules.

A mixin of ``spiders.base.ArchiveSpider``. Every rule a walk needs goes through ``self.book``
(``crawler.walkbook``): the ids asked for this round (``ask``/``asked``), a --since page's gate (the next
page waits until the page's articles are read), and each walk's count of article requests not yet
answered, which says when a walk ended complete (``count``, ``walk_complete``). One process has a
``LocalWalkBook``; a distributed worker runs this same class with a ``RedisWalkBook`` (the setting
``ARSHIF_WALK_BOOK`` names its factory), so the rules are the same code in both.

What travels inside requests is plain data (``Walk``, ``PendingPage``, ``UntilProbe``, ``NextPage``): a
worker's queued request is pickled, and a gated page's next listing page is carried as its URL and number
(``NextPage``), built into a request only when the gate opens.

When a walk ends complete (to its natural end, or down to --since, with nothing outstanding): a worker
yields ``WalksComplete`` at once (its own stop is not the round's end); one process keeps it for
``closing_items``, so, as before, only a finished run records complete walks.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from scrapy.http import Request, Response
from twisted.python.failure import Failure

from crawler.progress import IDS_DONE
from crawler.walkbook import Ending, after_gate, after_probe, until_probe, walk_complete
from pipelines.items import FailureResolved, WalksComplete
from spiders.links import PageLinks

logger = logging.getLogger(__name__)

MISS_STATUSES = (404, 410)
LISTING_RETRY_TIMES = 8  # a lost listing page hides a whole page of articles: try harder
LISTING_REQUESTS = "arshif/requests/listing"
UNTIL_SKIPPED = "arshif/until/skipped"  # article fetches skipped: their listing page is newer than --until
WALK_META = "arshif_walk"  # an article request's walk in the book: "<round>:<category>" (``Walk.key``)


@dataclass
class Walk:
    """One category's walk through its listing pages in this run."""

    category: int
    previously_complete: bool
    round: int = 0  # the round it belongs to (a worker's ``run_version``; 0 in one process)
    ended: bool = False  # reached its natural end (last page, stop rule, --since, --max-pages)
    lost_pages: int = 0  # listing pages that failed: the walk is not complete
    seen: set[int] = field(default_factory=set)  # ids its pages listed so far
    capped: bool = False  # stopped by ARSHIF_MAX_LISTING_PAGES: not complete

    @property
    def key(self) -> str:
        """Its name in the walk book, e.g. "0:12" (category 12 of one process's run)."""
        return f"{self.round}:{self.category}"


@dataclass(frozen=True)
class NextPage:
    """A walk's next listing page, not yet asked for (e.g. ``/category/3/page/2``, 2)."""

    url: str
    page: int


@dataclass
class PendingPage:
    """A listing page whose articles must be read before the walk goes on (only with --since)."""

    walk: Walk
    next_page: NextPage | None
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
    next_page: NextPage | None
    rest: list[tuple[int, str]]


class ListingWalks:
    """The walk half of ``ArchiveSpider`` (attributes it reads: ``book``, ``window``, ``max_pages``, ...)."""

    book: Any
    shared_round: bool  # a distributed worker (``ARSHIF_SHARED_ROUND``): see ArchiveSpider
    run_version = 0  # the round a worker applied (``crawler.distributed.run``); 0 in one process

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

    def next_listing_url(self, read: PageLinks, walk: Walk, page: int) -> str | None:
        for url, category, number in read.listings:
            if category == walk.category and number == page + 1:
                return url
        return None

    def parse_listing(self, response: Response, walk: Walk, page: int) -> Iterator[Any]:
        # The page's article requests are counted in the book before its end is noted (an end with
        # requests outstanding completes only when the last one is answered).
        yield from self.listing_page(response, walk, page)
        if walk.ended:
            yield from self.walk_count(walk.key, 0, walk)

    def listing_page(self, response: Response, walk: Walk, page: int) -> Iterator[Request | FailureResolved]:
        state, site = self.state, self.site.name
        if response.status in MISS_STATUSES:  # past the last page
            walk.ended = True
            return
        yield FailureResolved(site, self.to_real(response.url))
        read = self.read_links(response)  # by the extraction worker, when there is one (spiders.links.ListingJob)
        links, listed = read.articles, read.listed
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
        next_url = self.next_listing_url(read, walk, page)
        at_limit = walk.capped or (self.max_pages is not None and page >= self.max_pages)
        next_page = None
        if next_url is not None and not at_limit and known is None:
            next_page = NextPage(next_url, page + 1)
        if next_page is None:
            walk.ended = True
        book = self.book
        wanted = [
            (article_id, url)
            for article_id, url in links.items()
            if (self.refresh or article_id not in stored) and not book.asked(article_id)
            and article_id not in (known or ())
        ]
        yield from self.page_requests(walk, wanted, next_page, listed=listed)

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

    def page_requests(self, walk: Walk | None, wanted: list[tuple[int, str]], next_page: NextPage | None,
                      *, listed: set[int] = frozenset(), probed: bool = False,
                      in_window: bool = False) -> Iterator[Request]:
        """Requests for a page's wanted articles (in page order), then the walk's next page.

        With --until the oldest one of the page's main list (``listed``, newest first; sidebars may hold
        any date) goes first, alone (``UntilProbe``); with --since the next page waits until the page's
        articles are read (``PendingPage``: a page older than --since ends the walk). A walk's article
        requests are counted in the book (``walk_count``) before any can be answered.
        """
        key = walk.key if walk is not None else None
        probe = until_probe(wanted, listed)
        if self.window.end is not None and not probed and probe is not None and len(wanted) > 1:
            rest = [pair for pair in wanted if pair is not probe]
            request = self.article_request(*probe, UntilProbe(walk, next_page, rest), walk=key,
                                           dont_filter=self.shared_round)  # must be answered: see below
            yield from self.walk_count(key, 1)
            yield request
            return
        pending = PendingPage(walk, next_page, in_window=in_window) if self.window.since is not None and walk else None
        requests = [self.article_request(article_id, url, pending, walk=key) for article_id, url in wanted]
        if pending is not None and requests:
            pending.ids.update(article_id for article_id, _url in wanted)
            # The gate opens before any of its articles can be answered. A worker's gated requests skip
            # the shared dupe filter: one it dropped (e.g. a redirect to a page another worker fetched)
            # would hold the gate shut forever; the book keeps the ids from being asked twice.
            pending.gate = self.book.open_gate(pending.ids, in_window=pending.in_window)
            for request in requests:
                request.dont_filter = request.dont_filter or self.shared_round
        yield from self.walk_count(key, len(requests))
        yield from requests
        if (pending is None or not pending.ids) and next_page is not None:
            yield self.listing_request(walk, next_page.url, next_page.page)

    def probe_settled(self, probe: UntilProbe, published: datetime | None) -> Iterator[Request]:
        if after_probe(newer_than_until=self.window.after(published)) == "skip":  # the whole page is newer
            self.crawler.stats.inc_value(UNTIL_SKIPPED, len(probe.rest))
            if probe.next_page is not None:
                yield self.listing_request(probe.walk, probe.next_page.url, probe.next_page.page)
            return
        in_window = not self.window.before(published)
        rest = [(article_id, url) for article_id, url in probe.rest if not self.book.asked(article_id)]  # asked meanwhile
        yield from self.page_requests(probe.walk, rest, probe.next_page, probed=True, in_window=in_window)

    def settle(self, page: PendingPage | UntilProbe | None, article_id: int,
               published: datetime | None) -> Iterator[Any]:
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
        if after_gate(state, page.next_page is not None) == "next":
            yield self.listing_request(page.walk, page.next_page.url, page.next_page.page)
        else:
            page.walk.ended = True
            yield from self.walk_count(page.walk.key, 0, page.walk)

    def answered(self, request: Request) -> Iterator[WalksComplete]:
        """An article request of a walk got its answer (stored, miss, failure): one less outstanding."""
        key = request.meta.get(WALK_META)
        if key is not None and request.meta.get("article_id") is not None:
            yield from self.walk_count(key, -1)

    def walk_count(self, key: str | None, change: int, ended: Walk | None = None) -> Iterator[WalksComplete]:
        """Change walk ``key``'s outstanding article requests in the book (``ended``: the walk just ended).
        The one call that leaves it ended with nothing outstanding learns whether it was complete."""
        if key is None or (not change and ended is None):
            return
        ending = None
        if ended is not None:
            since = self.window.since
            ending = Ending(walk_complete(mode=self.mode, max_pages=self.max_pages, until_set=self.window.end is not None,
                                          lost_pages=ended.lost_pages, capped=ended.capped),
                            since.isoformat() if since is not None else None)
        done = self.book.count(key, change, ended=ending)
        if done is None or not done.complete:
            return
        category = int(key.partition(":")[2])
        if not self.shared_round:
            self.complete_walks.append(category)  # recorded when the run finishes (closing_items)
            return
        logger.info("listing walk of category %s complete%s", category,
                    f" down to {done.down_to}" if done.down_to else "")
        yield WalksComplete(self.site.name, (category,), down_to=done.down_to)

    def listing_failed(self, failure: Failure):
        """A listing page lost for good: recorded, the walk marked incomplete, the next page still tried."""
        walk, page = failure.request.meta["walk"], failure.request.meta["page"]
        walk.lost_pages += 1
        yield from self.failed(failure)
        if self.max_pages is None or page < self.max_pages:
            yield self.listing_request(walk, next_page_url(failure.request.url, page + 1), page + 1)


def next_page_url(url: str, page: int) -> str:
    """The listing URL of page ``page`` next to ``url`` (…/page/<n> replaced or appended)."""
    parts = urlsplit(url)
    path = re.sub(r"/page/\d+/?$", "", parts.path).rstrip("/")
    return f"{parts.scheme}://{parts.netloc}{path}/page/{page}"
