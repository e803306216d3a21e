"""The Redis key names of one site's distributed crawl: one place, so workers, writer and seeder agree."""

from __future__ import annotations

from dataclasses import dataclass

PREFIX = "arshif"


@dataclass(frozen=True)
class Keys:
    site: str

    def _key(self, name: str) -> str:
        return f"{PREFIX}:{self.site}:{name}"

    @property
    def prefix(self) -> str:  # the walk book's keys (crawler.walkbook.RedisWalkBook): requested, gate:*, walk:*
        return self._key("")

    @property
    def requests(self) -> str:  # scrapy-redis's priority queue (a sorted set of pickled requests)
        return self._key("requests")

    @property
    def dupefilter(self) -> str:  # scrapy-redis's request fingerprints (a set)
        return self._key("dupefilter")

    @property
    def items(self) -> str:  # workers → writer (a list of JSON items)
        return self._key("items")

    @property
    def processing(self) -> str:  # taken by the writer, not yet committed to SQLite (a list)
        return self._key("items:processing")

    @property
    def stored(self) -> str:  # ids the archive holds as articles (a set the writer keeps)
        return self._key("stored")

    @property
    def changed(self) -> str:  # stored id → when its stored version last changed (a hash the writer keeps)
        return self._key("changed")

    @property
    def misses(self) -> str:  # ids recorded as misses (a set the writer keeps)
        return self._key("misses")

    @property
    def walks(self) -> str:  # listing categories walked to their end (a set the writer keeps)
        return self._key("walks")

    @property
    def walks_down_to(self) -> str:  # categories walked down to a --since only: category → ISO date (a hash)
        return self._key("walks:down_to")

    @property
    def dead(self) -> str:  # items the writer could not apply (a list, for a human to look at)
        return self._key("items:dead")

    @property
    def rate(self) -> str:  # the shared token bucket (a hash)
        return self._key("rate")

    @property
    def run(self) -> str:  # the round's settings: window, --max-pages, --refresh (a hash; ``run``)
        return self._key("run")

    @property
    def requested(self) -> str:  # article ids asked for in this crawl round, by any worker (a set)
        return self._key("requested")

    def gate(self, token: str) -> str:  # a --since page's articles not yet read (a set; ``walks``)
        return self._key(f"gate:{token}")

    def walk(self, round_: int, category: int) -> str:  # one listing walk's progress (a hash; ``walks``)
        return self._key(f"walk:{round_}:{category}")

    @property
    def writer(self) -> str:  # the running writer's name (a string with a TTL: only one writer at a time)
        return self._key("writer")
