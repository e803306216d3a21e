"""Listing walks that span workers: the single process's rules, with their shared state in Redis.

In one process a category's walk (``spiders.base.Walk``) lives in memory: the ids asked for so far, the
--since gate of a page (``PendingPage``: the next page waits until the page's articles are read; a page
all older than --since ends the walk), and at the end of the run, which walks were complete. Workers
pass a walk from one to the next inside the queued requests (each request carries a pickled copy), so
what several workers must see together moves to Redis. ``SharedWalks`` (mixed into the worker's spider
class) keeps the spider's own logic and swaps only where its state lives:

- ``requested`` (ids asked for in this round, by any worker): a Redis set (``SharedIds``), so a page does
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
import uuid
from collections.abc import Iterator
from typing import Any

from scrapy.http import Request
from scrapy.utils.request import request_from_dict

from crawler.distributed.connection import retrying
from crawler.distributed.keys import Keys
from crawler.distributed.run import RunSettings, apply
from pipelines.items import WalksComplete
from spiders.base import PendingPage

logger = logging.getLogger(__name__)

WALK_META = "arshif_walk"  # an article request's walk: "<round>:<category>"
EXPIRE = 7 * 86400  # seconds: gates and walk counters of rounds nobody finishes go away by themselves

# KEYS[1]: the gate's set of unread ids, KEYS[2]: its state (a hash); ARGV[1]: the id just read;
# ARGV[2]: "1" if it was inside the window; ARGV[3]: expiry (s).
# Returns {done, in_window}: done = 1 for the one caller that emptied the set (it decides the walk's next step).
GATE = """
local was = redis.call('SREM', KEYS[1], ARGV[1])
if ARGV[2] == '1' then
  redis.call('HSET', KEYS[2], 'in', '1')
  redis.call('EXPIRE', KEYS[2], tonumber(ARGV[3]))
end
local inside = redis.call('HGET', KEYS[2], 'in') == '1' and 1 or 0
if was == 1 and redis.call('SCARD', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[2])
  return {1, inside}
end
return {0, inside}
"""
# KEYS[1]: a walk's hash. ARGV[1]: change of its outstanding article requests; ARGV[2]: "1" if the walk
# ended just now, then ARGV[3]: "1" if it counts as complete, ARGV[4]: down_to ("" for the listing's end).
# Returns {1, complete, down_to} to the one caller that sees it ended with nothing outstanding; else {0}.
WALK = """
local out = redis.call('HINCRBY', KEYS[1], 'out', tonumber(ARGV[1]))
if ARGV[2] == '1' then
  redis.call('HSET', KEYS[1], 'ended', '1', 'complete', ARGV[3], 'down_to', ARGV[4])
end
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[5]))
if out <= 0 and redis.call('HGET', KEYS[1], 'ended') == '1' and redis.call('HSETNX', KEYS[1], 'fired', '1') == 1 then
  return {1, redis.call('HGET', KEYS[1], 'complete'), redis.call('HGET', KEYS[1], 'down_to')}
end
return {0}
"""

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


class SharedIds:
    """A set of ints in Redis with the two operations the spider uses on ``self.requested``."""

    def __init__(self, client, key: str, url: str) -> None:
        self.client, self.key, self.url = client, key, url

    def add(self, article_id: int) -> None:
        retrying(lambda: self.client.sadd(self.key, article_id), what="noting an asked id", url=self.url)

    def __contains__(self, article_id: object) -> bool:
        return bool(retrying(lambda: self.client.sismember(self.key, article_id), what="asking about an id",
                             url=self.url))


class SharedWalks:
    """Mixin of the worker's spider class (``crawler.distributed.worker.worker_spider``); see the module."""

    run_version = 0

    def share_walks(self, client, url: str) -> None:
        """Called once the worker knows its Redis (``WorkerRun``)."""
        self.redis, self.redis_url, self.keys = client, url, Keys(self.site.name)
        self.requested = SharedIds(client, self.keys.requested, url)
        self._gate = client.register_script(GATE)
        self._walk = client.register_script(WALK)
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
        round_, _, category = tag.partition(":")
        ended = walk is not None
        complete = ended and self.mode == "crawl" and self.max_pages is None and self.window.end is None \
            and not walk.lost_pages and not walk.capped
        down_to = self.window.since.isoformat() if self.window.since is not None else ""
        result = self._redis(lambda: self._walk(keys=[self.keys.walk(int(round_), int(category))],
                                                args=[change, "1" if ended else "0", "1" if complete else "0",
                                                      down_to, EXPIRE]), "counting a walk's requests")
        if int(result[0]) and result[1] in (b"1", "1"):
            down = result[2].decode() if isinstance(result[2], bytes) else result[2]
            logger.info("listing walk of category %s complete%s", category, f" down to {down}" if down else "")
            yield WalksComplete(self.site.name, (int(category),), down_to=down or None)

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
        gate = next((r.cb_kwargs["page"] for r in articles if isinstance(r.cb_kwargs.get("page"), PendingPage)),
                    None)
        if gate is not None and gate.ids:
            gate.gate = key = self.keys.gate(uuid.uuid4().hex)
            ids = sorted(gate.ids)

            def open_gate():
                pipe = self.redis.pipeline().sadd(key, *ids).expire(key, EXPIRE)
                if gate.in_window:  # a probed page already known to reach into the window
                    pipe.hset(key + ":state", "in", "1").expire(key + ":state", EXPIRE)
                pipe.execute()

            self._redis(open_gate, "opening a page's gate")
        for request in articles:
            if request.cb_kwargs.get("page") is not None:
                request.dont_filter = True  # gated: must be answered (see the module docstring)
            if walk is not None:
                request.meta[WALK_META] = self._walk_key(walk)
        if walk is not None and articles:
            list(self._walk_update(self._walk_key(walk), len(articles)))  # not ended: yields nothing
        yield from requests

    def settle(self, page, article_id, published):
        key = getattr(page, "gate", None)
        if key is not None:
            inside = published is None or not self.window.before(published)
            done, in_window = self._redis(lambda: self._gate(keys=[key, key + ":state"],
                                                                 args=[article_id, "1" if inside else "0", EXPIRE]),
                                          "reading a page's gate")
            page.ids = {article_id} if int(done) else {article_id, -1}  # the spider's rule sees the shared state
            page.in_window = bool(int(in_window))
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
