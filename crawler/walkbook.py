"""The walk book: the listing-walk rules and their state, without Scrapy.

A crawl walks each category's listing pages. Three facts about a round must be kept somewhere — in
memory for one process (``LocalWalkBook``), in Redis when several workers share the round
(``RedisWalkBook``) — and the rules reading them are the same for both:

- **ask / asked**: which article ids a page asks for: those not asked before in this round, by any page
  (``book.ask([7, 8, 9])`` → ``[9]`` when 7 and 8 were asked already; the ids returned are now asked).
- **gate** (--since): a listing page's next page waits until the page's articles are read. The page
  opens a gate on its ids; each answer settles one id (``book.settle(gate, id, inside=...)``); the one
  settle that empties the gate learns ``GateState(done=True, in_window=...)`` and decides the walk's
  next step with ``after_gate``: the next page if any article was inside the window, else the walk ends
  (a page all older than --since). Exactly one caller sees ``done`` — with Redis, exactly one worker.
- **until probe** (--until): ``until_probe`` picks the page's oldest main-list article to fetch alone
  first; ``after_probe`` says whether the rest of the page is skipped (all newer than --until).
- **ended**: a walk counts its article requests not yet answered (``book.count(walk, +n)``, then −1 per
  answer) and notes when and how it ended (``book.count(walk, 0, ended=Ending(...))``). The one call that
  sees "ended, nothing outstanding" gets the ``Ending`` back; ``walk_complete`` says whether such an end
  lets the next incremental crawl stop at known pages.

Redis calls go through ``run(call, what)`` so the distributed worker can wrap them in its retry loop
(``crawler.distributed.connection.retrying``) while this module stays below it in the layers.

The spider's listing walks (``spiders.walks``) go through this interface only, so one process and a
distributed worker run the same spider code: only the book they are given differs (``ARSHIF_WALK_BOOK``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

EXPIRE = 7 * 86400  # seconds: gates and walk counters of rounds nobody finishes go away by themselves


@dataclass(frozen=True)
class GateState:
    done: bool  # this settle emptied the gate: its caller decides the walk's next step
    in_window: bool  # some article of the page was inside the --since window (or undated)


@dataclass(frozen=True)
class Ending:
    complete: bool  # walked to its natural end, nothing lost, no --max-pages, no --until
    down_to: str | None = None  # the --since it was walked down to (ISO), None for the listing's end


def walk_complete(*, mode: str, max_pages: int | None, until_set: bool, lost_pages: int, capped: bool) -> bool:
    """Whether an ended walk counts as complete: a crawl walk to its natural end with no listing page lost,
    no --max-pages, no --until (a walk that skipped the newest articles), not capped."""
    return mode == "crawl" and max_pages is None and not until_set and not lost_pages and not capped


def after_gate(state: GateState, has_next: bool) -> str:
    """The walk's step once a gate is done: "next" (yield the next listing page) or "end"."""
    return "next" if state.in_window and has_next else "end"


def until_probe(wanted: list[tuple[int, str]], listed: Iterable[int]) -> tuple[int, str] | None:
    """The page's oldest wanted article of its main list (newest first; sidebars may hold any date)."""
    listed = set(listed)
    return next((pair for pair in reversed(wanted) if pair[0] in listed), None)


def after_probe(*, newer_than_until: bool) -> str:
    """The probe's answer: "skip" the page's other articles (all newer than --until) or "fetch" them."""
    return "skip" if newer_than_until else "fetch"


class WalkBook(Protocol):
    def ask(self, ids: Iterable[int]) -> list[int]: ...

    def asked(self, article_id: int) -> bool: ...

    def open_gate(self, ids: Iterable[int], in_window: bool = False) -> str: ...

    def settle(self, gate: str, article_id: int, inside: bool) -> GateState: ...

    def count(self, walk: str, change: int, ended: Ending | None = None) -> Ending | None: ...


def _ask_each(book: WalkBook, ids: Iterable[int]) -> list[int]:
    return [article_id for article_id in dict.fromkeys(ids) if book.add(article_id)]  # type: ignore[attr-defined]


@dataclass
class _WalkCount:
    out: int = 0
    ending: Ending | None = None
    fired: bool = False


@dataclass
class LocalWalkBook:
    """The book of one process: plain sets and dicts."""

    requested: set[int] = field(default_factory=set)
    gates: dict[str, tuple[set[int], list[bool]]] = field(default_factory=dict)
    walks: dict[str, _WalkCount] = field(default_factory=dict)

    def add(self, article_id: int) -> bool:
        if article_id in self.requested:
            return False
        self.requested.add(article_id)
        return True

    def ask(self, ids: Iterable[int]) -> list[int]:
        return _ask_each(self, ids)

    def asked(self, article_id: int) -> bool:
        return article_id in self.requested

    def open_gate(self, ids: Iterable[int], in_window: bool = False) -> str:
        token = uuid.uuid4().hex
        self.gates[token] = (set(ids), [in_window])
        return token

    def settle(self, gate: str, article_id: int, inside: bool) -> GateState:
        ids, flag = self.gates.get(gate, (set(), [False]))
        if inside:
            flag[0] = True
        was = article_id in ids
        ids.discard(article_id)
        if was and not ids:
            self.gates.pop(gate, None)
            return GateState(True, flag[0])
        return GateState(False, flag[0])

    def count(self, walk: str, change: int, ended: Ending | None = None) -> Ending | None:
        state = self.walks.setdefault(walk, _WalkCount())
        state.out += change
        if ended is not None:
            state.ending = ended
        if state.out <= 0 and state.ending is not None and not state.fired:
            state.fired = True
            return state.ending
        return None


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


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _direct(call: Callable[[], Any], what: str) -> Any:
    return call()


class RedisWalkBook:
    """The book of a round shared by workers: its state in Redis under ``prefix`` (e.g. "arshif:alhadath:").

    ``run(call, what)`` runs each Redis call (the worker passes its retry loop); by default, directly.
    """

    def __init__(self, client: Any, prefix: str, run: Callable[[Callable[[], Any], str], Any] = _direct,
                 expire: int = EXPIRE) -> None:
        self.client, self.prefix, self.run, self.expire = client, prefix, run, expire
        self.requested_key = prefix + "requested"
        self._gate = client.register_script(GATE)
        self._walk = client.register_script(WALK)

    def add(self, article_id: int) -> bool:
        return bool(self.run(lambda: self.client.sadd(self.requested_key, article_id), "noting an asked id"))

    def ask(self, ids: Iterable[int]) -> list[int]:
        return _ask_each(self, ids)

    def asked(self, article_id: int) -> bool:
        return bool(self.run(lambda: self.client.sismember(self.requested_key, article_id), "asking about an id"))

    def gate_key(self, token: str) -> str:
        return f"{self.prefix}gate:{token}"

    def open_gate(self, ids: Iterable[int], in_window: bool = False) -> str:
        key, ids = self.gate_key(uuid.uuid4().hex), sorted(set(ids))

        def open_it() -> None:
            pipe = self.client.pipeline()
            if ids:
                pipe.sadd(key, *ids).expire(key, self.expire)
            if in_window:  # a probed page already known to reach into the window
                pipe.hset(key + ":state", "in", "1").expire(key + ":state", self.expire)
            pipe.execute()

        self.run(open_it, "opening a page's gate")
        return key

    def settle(self, gate: str, article_id: int, inside: bool) -> GateState:
        done, in_window = self.run(lambda: self._gate(keys=[gate, gate + ":state"],
                                                      args=[article_id, "1" if inside else "0", self.expire]),
                                   "reading a page's gate")
        return GateState(bool(int(done)), bool(int(in_window)))

    def count(self, walk: str, change: int, ended: Ending | None = None) -> Ending | None:
        args = [change, "1" if ended else "0", "1" if ended and ended.complete else "0",
                (ended.down_to or "") if ended else "", self.expire]
        result = self.run(lambda: self._walk(keys=[f"{self.prefix}walk:{walk}"], args=args),
                          "counting a walk's requests")
        if not int(result[0]):
            return None
        return Ending(_text(result[1]) == "1", _text(result[2]) or None)
