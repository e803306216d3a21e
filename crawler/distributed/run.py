"""The round's settings, carried from the seeding command to every worker through Redis.

``arshif crawl/backfill --redis`` read ``--since``/``--until`` once, with the one date-window reader
(``crawler.dates.DateWindow.read``, via ``spiders.base.parse_window``), and publish the resulting window
— two instants, not the user's words, so "yesterday" means the same to a worker that starts tomorrow —
with ``--max-pages`` and ``--refresh`` in the hash ``arshif:<site>:run``, under a new version number.
Every request the seeder queues carries that version (``meta["arshif_run"]``), and so does every request
a worker queues from a page of that round (``scheduler.RedisScheduler.enqueue_request``); a worker that
takes a request of a version it has not applied yet reads the hash first (``RunSettings.load``) and
applies it to its spider and run context (``apply``). So every worker judges every page of a round by the same
window and page limit as a single process given the same flags.

One round's settings at a time: seeding different settings while requests of another round still wait
in the queue is refused (the workers could not tell which round a page belongs to).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import redis

from crawler.dates import DateWindow
from crawler.distributed.connection import retrying
from crawler.distributed.keys import Keys
from crawler.errors import UsageError

logger = logging.getLogger(__name__)

META = "arshif_run"  # request.meta key: the version of the round settings a seeded request belongs to


@dataclass(frozen=True)
class RunSettings:
    since: str | None = None  # ISO instants of the window (DateWindow.since / .end), not the user's words
    end: str | None = None
    tz: str = "Asia/Hebron"
    max_pages: int | None = None
    refresh: bool = False
    given: str = ""  # the user's --since/--until as typed, for log lines and errors

    @classmethod
    def of(cls, window: DateWindow, *, max_pages: int | None, refresh: bool, since: str | None = None,
           until: str | None = None) -> RunSettings:
        given = " ".join(f"{flag} {value}" for flag, value in (("--since", since), ("--until", until)) if value)
        return cls(since=window.since.isoformat() if window.since else None,
                   end=window.end.isoformat() if window.end else None, tz=window.tz, max_pages=max_pages,
                   refresh=bool(refresh), given=given)

    @property
    def window(self) -> DateWindow:
        return DateWindow(datetime.fromisoformat(self.since) if self.since else None,
                          datetime.fromisoformat(self.end) if self.end else None, self.tz)

    def same_round(self, other: RunSettings) -> bool:
        return (self.since, self.end, self.max_pages, self.refresh) == \
            (other.since, other.end, other.max_pages, other.refresh)

    def describe(self) -> str:
        parts = [self.given or "no date window"]
        if self.max_pages:
            parts.append(f"--max-pages {self.max_pages}")
        if self.refresh:
            parts.append("--refresh")
        return ", ".join(parts)

    def to_hash(self, version: int) -> dict[str, str]:
        return {"version": str(version), "since": self.since or "", "end": self.end or "", "tz": self.tz,
                "max_pages": str(self.max_pages or ""), "refresh": "1" if self.refresh else "", "given": self.given}

    @classmethod
    def from_hash(cls, fields: dict[bytes, bytes]) -> tuple[int, RunSettings]:
        text = {key.decode(): value.decode() for key, value in fields.items()}
        if not text:
            return 0, cls()
        return int(text.get("version") or 0), cls(
            since=text.get("since") or None, end=text.get("end") or None, tz=text.get("tz") or "Asia/Hebron",
            max_pages=int(text["max_pages"]) if text.get("max_pages") else None,
            refresh=text.get("refresh") == "1", given=text.get("given", ""))

    @classmethod
    def load(cls, client: redis.Redis, site: str) -> tuple[int, RunSettings]:
        return cls.from_hash(client.hgetall(Keys(site).run))


def publish(client: redis.Redis, site: str, settings: RunSettings, *, queued: int) -> int:
    """Make ``settings`` the round's (a new version) and return the version the seeded requests carry.

    ``queued``: requests waiting in the queue now. With some waiting, only the same settings may be
    seeded (more ids for the same round); anything else is a ``UsageError``."""
    keys = Keys(site)
    version, current = RunSettings.load(client, site)
    if queued and version and not current.same_round(settings):
        raise UsageError(f"{queued:,} requests of a round with other settings ({current.describe()}) still wait"
                         f" in {keys.requests}: let the workers finish it first (or clear the queue) before"
                         f" seeding one with {settings.describe()}")
    if queued and version and current == settings:
        return version  # more work for the running round; a new round (empty queue) gets a new version
    version = int(client.incr(keys.run + ":version"))
    client.hset(keys.run, mapping=settings.to_hash(version))
    logger.info("round settings v%d: %s", version, settings.describe())
    return version


def load_round(spider: Any, client: redis.Redis, url: str) -> None:
    """Read the round's settings the seeder published and give them to a worker's spider if they are new."""
    version, settings = retrying(lambda: RunSettings.load(client, spider.site.name),
                                 what="reading the round's settings", url=url)
    if version != spider.run_version:
        apply(spider, settings, version)


def apply(spider: Any, settings: RunSettings, version: int) -> None:
    """Give a worker's spider and run context the round's settings (what the seeding command was given)."""
    spider.window = settings.window
    spider.max_pages = settings.max_pages
    spider.refresh = settings.refresh
    spider.args.update({"since": settings.since, "until": settings.end, "max_pages": settings.max_pages,
                        "refresh": settings.refresh})
    spider.run_version = version
    context = getattr(spider.crawler, "arshif_context", None)
    if context is not None:
        context.window, context.refresh = spider.window, spider.refresh
    logger.info("round settings v%d: %s", version, settings.describe())
