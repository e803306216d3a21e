"""Listing walks that span workers: the single process's rules, with their shared state in Redis.

In one process a category's walk (``spiders.base.Walk``) lives in memory: the ids asked for so far, the
--since gate of a page (``PendingPage``: the next page waits until the page's articles are read; a page
all older than --since ends the walk), and at the end of the run, which walks were complete. Workers
pass a walk from one to the next inside the queued requests (each request carries a pickled copy), so
what several workers must see together moves to Redis — the walk book's Redis implementation
(``crawler.walkbook.RedisWalkBook``, which holds the Lua scripts ``GATE`` and ``WALK``). ``SharedWalks`` (mixed into the worker's spider
class) keeps the spider's own logic and swaps only where its state lives:

- ``requested`` (ids asked for in this round, by any worker): a Redis set (the book's ``ask``/``asked``), so a page does
  not ask again what another worker's page asked (the single process's ``self.requested``).
- a --since page's gate: its ids in a Redis set; each worker that reads one of them removes it and
  learns whether the page is now done and whether any was inside the window (``GATE``), so exactly one
  worker — the one that read the last article — yields the next listing page or ends the walk. Gated
  article requests skip the shared dupe filter (an id another page asked meanwhile would otherwise be
  dropped and hold the gate shut forever); ``requested`` keeps them from being asked twice.
- completion (the ``WalksComplete`` item the writer records, which lets the next incremental crawl stop
  at known pages): a Redis hash per walk counts its article requests not yet answered and notes when
  and how the walk ended (``WALK``). The worker that makes it "ended, nothing outstanding" yields
  ``WalksComplete`` — under the single process's rule: a walk to its natural end (or down to --since,
  recorded with ``down_to``) with no listing page lost, no --max-pages, no --until. A walk whose
  requests a killed worker took never completes: the next crawl walks it again past stored pages, the
  safe side.

Requests inside requests (a gated page's next listing page travels in its articles' ``cb_kwargs``) are
pickled as scrapy-redis pickles the request itself, by callback name (``register_request_pickling``).
"""

from __future__ import annotations

import copyreg
import logging
from collections.abc import Iterator
from typing import Any

from scrapy.http import Request
from scrapy.utils.request import request_from_dict

from crawler.distributed.connection import retrying
from crawler.distributed.keys import Keys
from crawler.distributed.run import RunSettings, apply
from crawler.walkbook import Ending, RedisWalkBook, walk_complete
from pipelines.items import WalksComplete

logger = logging.getLogger(__name__)

WALK_META = "arshif_walk"  # an article request's walk: "<round>:<category>"

_spider: Any = None  # the worker's one spider: requests pickled inside requests name its callbacks


def _rebuild_request(data: dict) -> Request:
    return request_from_dict(data, spider=_spider)


def _reduce_request(request: Request):
    return _rebuild_request, (request.to_dict(spider=_spider),)


def register_request_pickling(spider: Any) -> None:
    """Pickle a ``Request`` met inside another request's ``cb_kwargs`` by its callbacks' names (as
    scrapy-redis does the request itself), not as a bound method that would drag the spider along."""
    global _spider
    _spider = spider
    copyreg.pickle(Request, _reduce_request)


class SharedWalks:
    """Mixin of the worker's spider class (``crawler.distributed.worker.worker_spider``); see the module."""

    run_version = 0

    def share_walks(self, client, url: str) -> None:
        """Called once the worker knows its Redis (``WorkerRun``)."""
        self.redis, self.redis_url, self.keys = client, url, Keys(self.site.name)
        # The rules' shared state (asked ids, gates, walk counters): crawler.walkbook's Redis book.
        self.book = RedisWalkBook(client, self.keys.prefix, run=lambda call, what: self._redis(call, what))
        self.requested = self.book
        register_request_pickling(self)

    def load_round(self) -> None:
        """Read the round's settings (window, --max-pages, --refresh) the seeder published; apply them."""
        version, settings = retrying(lambda: RunSettings.load(self.redis, self.site.name),
                                     what="reading the round's settings", url=self.redis_url)
        if version != self.run_version:
            apply(self, settings, version)

    def _redis(self, call, what: str):
        return retrying(call, what=what, url=self.redis_url)

    # -- walks: where they start, how far they got -------------------------------------------------------

    def _walk_key(self, walk) -> str:
        if getattr(walk, "round", None) is None:
            walk.round = self.run_version
        return f"{walk.round}:{walk.category}"

    def _walk_update(self, tag: str, change: int, walk=None) -> Iterator[WalksComplete]:
        _round, _, category = tag.partition(":")
        ending = None
        if walk is not None:
            ending = Ending(walk_complete(mode=self.mode, max_pages=self.max_pages, until_set=self.window.end is not None,
                                          lost_pages=walk.lost_pages, capped=walk.capped),
                            self.window.since.isoformat() if self.window.since is not None else None)
        ended = self.book.count(tag, change, ended=ending)
        if ended is not None and ended.complete:
            down = ended.down_to
            logger.info("listing walk of category %s complete%s", category, f" down to {down}" if down else "")
            yield WalksComplete(self.site.name, (int(category),), down_to=down)

    def parse_home(self, response):
        results = list(super().parse_home(response))
        for walk in self.walks.values():
            self._walk_key(walk)  # the round the walk belongs to, carried in every copy of it
        yield from results

    def parse_listing(self, response, walk, page):
        results = list(super().parse_listing(response, walk, page))
        yield from results
        if walk.ended:
            yield from self._walk_update(self._walk_key(walk), 0, walk)

    def page_requests(self, walk, wanted, next_request, **options):
        requests = list(super().page_requests(walk, wanted, next_request, **options))
        articles = [request for request in requests if request.meta.get("article_id") is not None]
        for request in articles:
            if request.cb_kwargs.get("page") is not None:
                request.dont_filter = True  # gated: must be answered (see the module docstring)
            if walk is not None:
                request.meta[WALK_META] = self._walk_key(walk)
        if walk is not None and articles:
            list(self._walk_update(self._walk_key(walk), len(articles)))  # not ended: yields nothing
        yield from requests

    def settle(self, page, article_id, published):
        key = getattr(page, "gate", None)  # the spider settles the gate in the (Redis) book
        results = list(super().settle(page, article_id, published))
        yield from results
        walk = getattr(page, "walk", None)
        if key is not None and walk is not None and walk.ended:
            yield from self._walk_update(self._walk_key(walk), 0, walk)

    def _answered(self, request) -> Iterator[WalksComplete]:
        tag = request.meta.get(WALK_META)
        if tag is not None and request.meta.get("article_id") is not None:
            yield from self._walk_update(tag, -1)

    def parse_article(self, response, article_id, page=None):
        yield from super().parse_article(response, article_id, page)
        yield from self._answered(response.request)

    def failed(self, failure):
        yield from super().failed(failure)
        yield from self._answered(failure.request)

    def closing_items(self, reason):
        return ()  # walks complete as they end (above), not when one worker stops
