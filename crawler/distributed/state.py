"""What workers know of the archive without SQLite: sets in Redis that the writer keeps.

``RedisArchiveState`` answers the spider's questions (``pipelines.state.ArchiveState``) from three sets:
``stored`` (ids held as articles or aliases), ``misses`` and ``walks`` (categories walked to their end),
and the hash ``walks:down_to`` (categories walked down to a --since only, and how far).
The hash ``changed`` (stored id → its ``coalesce(modified_at, published_at)``) answers ``changed_at``, so a
round refetches an article whose sitemap ``lastmod`` is newer, as one process does. The writer fills them from SQLite when it starts (``load_sets``: also after Redis lost its data) and adds
what each batch committed (``add_committed``), so an answer is never ahead of the archive. Open failures
are not asked here: seeding (``crawler.distributed.seed``) reads them from the archive.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import redis

from crawler.distributed.connection import retrying
from crawler.distributed.keys import Keys
from crawler.storage import Archive

CHUNK = 5000


class RedisArchiveState:
    def __init__(self, client: redis.Redis, url: str) -> None:
        self.client, self.url = client, url

    def _members(self, key: str, ids: Iterable[int]) -> set[int]:
        ids = list(dict.fromkeys(ids))
        if not ids:
            return set()
        found: set[int] = set()
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start:start + CHUNK]
            flags = retrying(lambda: self.client.smismember(key, chunk), what="asking which ids are known",
                             url=self.url)
            found.update(article_id for article_id, flag in zip(chunk, flags) if flag)
        return found

    def stored_ids(self, site: str, ids: Iterable[int]) -> set[int]:
        return self._members(Keys(site).stored, ids)

    def known_misses(self, site: str, ids: Iterable[int]) -> set[int]:
        return self._members(Keys(site).misses, ids)

    def changed_at(self, site: str, ids: Iterable[int]) -> dict[int, str]:
        """As ``Archive.changed_at``, from the writer's ``changed`` hash: the spider's one lastmod rule
        (``spiders.discovery``) then refetches a stored article whose sitemap entry is newer."""
        ids = list(dict.fromkeys(ids))
        found: dict[int, str] = {}
        key = Keys(site).changed
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start:start + CHUNK]
            values = retrying(lambda: self.client.hmget(key, chunk), what="asking when articles changed",
                              url=self.url)
            found.update((article_id, value.decode()) for article_id, value in zip(chunk, values) if value)
        return found

    def failed_articles(self, site: str) -> list[tuple[int, str]]:
        return []  # asked again by `arshif crawl --redis` (the seeder reads them from the archive)

    def listing_walk_complete(self, site: str, category: int, since: datetime | None = None) -> bool:
        # As ``Archive.listing_walk_complete``: walked to the end (the set), or given ``since``, down to it or
        # further (the hash of walks that reached a --since only).
        keys = Keys(site)
        if retrying(lambda: self.client.sismember(keys.walks, category), what="asking about a listing walk",
                    url=self.url):
            return True
        if since is None:
            return False
        down_to = retrying(lambda: self.client.hget(keys.walks_down_to, category), what="asking about a listing walk",
                           url=self.url)
        return down_to is not None and datetime.fromisoformat(down_to.decode()) <= since


def settle_walks(pipe, keys: Keys, reach: dict[int, str | None]) -> None:
    """Mirror the archive's record of these walks (``Archive.listing_walk_reach``) into the workers' keys."""
    for category, down_to in reach.items():
        if down_to is None:
            pipe.sadd(keys.walks, category)
            pipe.hdel(keys.walks_down_to, category)
        else:
            pipe.srem(keys.walks, category)
            pipe.hset(keys.walks_down_to, category, down_to)


def load_sets(client: redis.Redis, archive: Archive, site: str) -> tuple[int, int, int]:
    """Replace the three sets with what the archive holds (built aside, then renamed: never half-full)."""
    keys = Keys(site)
    sets = dict(zip((keys.stored, keys.misses, keys.walks), archive.recorded_ids(site)))
    pipe = client.pipeline(transaction=False)
    for key, members in sets.items():
        pipe.delete(key + ":loading")
        members = sorted(members)
        for start in range(0, len(members), CHUNK):
            pipe.sadd(key + ":loading", *members[start:start + CHUNK])
    pipe.execute()
    swap = client.pipeline(transaction=True)
    for key, members in sets.items():
        if members:
            swap.rename(key + ":loading", key)
        else:
            swap.delete(key)
    changed = list(archive.changed_at(site, sets[keys.stored]).items())
    swap.delete(keys.changed)
    for start in range(0, len(changed), CHUNK):
        swap.hset(keys.changed, mapping=dict(changed[start:start + CHUNK]))
    down_to = {category: reach for category, reach in archive.listing_walk_reach(site).items() if reach is not None}
    swap.delete(keys.walks_down_to)
    if down_to:
        swap.hset(keys.walks_down_to, mapping=down_to)
    swap.execute()
    return tuple(len(members) for members in sets.values())
