"""The key levels' memory (``crawler.storage.bands``): what the writer holds of the band and content key levels so
that most lookups need no SQL — the recent level mirrored (``RecentMirror``), a Bloom filter of each lower level
(``KeyFilter``, ``passing``). Both are only ever caches: ``BandKeys`` reads them from the tables, keeps them in
step with its own writes, and drops them whenever they might disagree with the tables."""

from __future__ import annotations

from collections.abc import Sequence

import sqlite3
from typing import Any

# The filters' shape: 16 bits and 3 probes a key, ~0.5% of absent keys pass, 2 bytes a key (32 MiB at 1M articles;
# ``crawler.storage.bands`` says when they are read).
FILTER_BITS_PER_KEY = 16
FILTER_PROBES = 3
_U64 = (1 << 64) - 1
# A filter's keys are set by numpy from this many at once (a level read whole, a merge's keys): plain Python
# costs ~1.5 µs a key against numpy's ~0.1, but importing numpy costs ~60-100 ms, more than a few thousand keys.
FILTER_NUMPY_KEYS = 4_096
_numpy_module: Any = None  # numpy once imported by ``_numpy``; False: it cannot be imported here


def _numpy() -> Any:
    """numpy, or None where it cannot be imported (the filters then set their bits in plain Python)."""
    global _numpy_module
    if _numpy_module is None:
        try:
            import numpy
        except ImportError:
            _numpy_module = False
        else:
            _numpy_module = numpy
    return _numpy_module or None


class RecentMirror:
    """The recent level's rows in memory: site → key → the article id holding it (a set when several do)."""

    __slots__ = ("keys", "dirty")

    def __init__(self, conn: sqlite3.Connection, table: str) -> None:
        self.keys: dict[str, dict[int, int | set[int]]] = {}
        for site, key, article_id in conn.execute(f"select site, key, article_id from {table}"):
            self.put(site, key, article_id)
        # Whether it holds changes of an open transaction (then a transaction ended otherwise than by a
        # commit, e.g. SQLite's own rollback on a full disk, makes it wrong: it is dropped).
        self.dirty = conn.in_transaction

    def add(self, site: str, keys: Sequence[int], article_id: int) -> None:
        """An article's keys (distinct: each carries its band), added in the open transaction."""
        self.dirty = True
        owners = self.keys.setdefault(site, {})
        if owners.keys().isdisjoint(keys):  # the rule: no other article holds any of them
            owners.update(dict.fromkeys(keys, article_id))
        else:
            for key in keys:
                self.put(site, key, article_id)

    def put(self, site: str, key: int, article_id: int) -> None:
        owners = self.keys.setdefault(site, {})
        held = owners.setdefault(key, article_id)
        if held != article_id:
            if type(held) is int:
                owners[key] = {held, article_id}
            else:
                held.add(article_id)

    def drop(self, site: str, key: int, article_id: int) -> None:
        owners = self.keys.get(site, {})
        held = owners.get(key)
        if held == article_id:
            del owners[key]
        elif type(held) is set:
            held.discard(article_id)
            if not held:
                del owners[key]

    def article_ids(self, site: str, keys: Sequence[int], into: set[int]) -> None:
        owners = self.keys.get(site)
        if not owners or owners.keys().isdisjoint(keys):  # the rule: no key is known
            return
        for key in keys:
            held = owners.get(key)
            if held is None:
                continue
            if type(held) is int:
                into.add(held)
            else:
                into.update(held)


class KeyFilter:
    """A Bloom filter of one lower level's keys (any site): "not there" is certain, "maybe" is probed in SQL.

    Why: a new article's 16 keys are looked up in every level, and nearly all of them are in none (only a
    near copy shares a band). In SQL that is 16 B-tree seeks a level (~25 µs at 100k keys, ~100 µs at 3M, the
    largest part of the key store's cost); the filter answers "in none" in a few µs. It must only ever hold
    a superset of the level's keys: keys merged in are added, a level emptied by its merge is cleared, a
    deleted key stays (a "maybe" more, never a wrong "no"), and a filter changed or read inside a transaction
    that did not commit is dropped (``BandKeys``). The bit positions come from the key itself (a random
    hash): h1 + j·h2 (mod 2^b) from two slices of its 64 bits (double hashing)."""

    __slots__ = ("bits", "mask", "keys", "capacity")

    def __init__(self, capacity: int) -> None:
        self.capacity = max(capacity, 1 << 16)  # 128 KiB at least
        size = 1 << (self.capacity * FILTER_BITS_PER_KEY - 1).bit_length()  # bits, a power of two
        self.bits = bytearray(size >> 3)
        self.mask = size - 1
        self.keys = 0  # keys added (with repeats): when past ``capacity`` the filter is read again, larger

    def add(self, keys: Sequence[int]) -> None:
        """Set the keys' bits: by numpy arrays for many keys (a level read whole: ~0.5 µs a key), in plain
        Python for a few or where numpy cannot be imported (the same bits: ``tests/test_storage_bands.py``).
        numpy is imported here, not with this module: a reparse of unchanged pages and the read-only commands
        never load it (``tests/test_startup.py``), and an archive small enough to have empty lower levels
        reads its filters from no keys."""
        self.keys += len(keys)
        if not len(keys):
            return
        np = _numpy() if len(keys) >= FILTER_NUMPY_KEYS else None
        if np is None:
            bits, mask = self.bits, self.mask
            for key in keys:
                unsigned = key & _U64
                first, step = (unsigned >> 4) & mask, (unsigned >> 34) | 1
                for probe in range(FILTER_PROBES):
                    position = (first + probe * step) & mask
                    bits[position >> 3] |= 1 << (position & 7)
            return
        view = np.frombuffer(self.bits, dtype=np.uint8)  # the same bytes
        unsigned = np.asarray(keys, dtype=np.int64).view(np.uint64)
        first = (unsigned >> np.uint64(4)) & np.uint64(self.mask)
        step = (unsigned >> np.uint64(34)) | np.uint64(1)
        for probe in range(FILTER_PROBES):
            position = (first + np.uint64(probe) * step) & np.uint64(self.mask)
            np.bitwise_or.at(view, (position >> np.uint64(3)).astype(np.intp),
                             np.left_shift(np.uint8(1), (position & np.uint64(7)).astype(np.uint8)))
        del view  # no buffer export left on ``bits``

    def clear(self) -> None:
        self.bits[:] = bytes(len(self.bits))
        self.keys = 0

    def maybe(self, keys: Sequence[int]) -> list[int]:
        """The keys that may be in the level (the others are not)."""
        bits, mask = self.bits, self.mask
        kept = []
        for key in keys:
            unsigned = key & _U64
            first, step = (unsigned >> 4) & mask, (unsigned >> 34) | 1
            for probe in range(FILTER_PROBES):
                position = (first + probe * step) & mask
                if not bits[position >> 3] >> (position & 7) & 1:
                    break
            else:
                kept.append(key)
        return kept


def passing(filters: Sequence[tuple[str, KeyFilter]], keys: Sequence[int]) -> dict[str, list[int]]:
    """Each level's keys that its filter lets pass (levels that pass none are left out), in one pass over the
    keys: a key's probe positions are computed once for all filters (every filter's size is a power of two, so
    a smaller one's positions are the low bits of the same sums: the very bits ``KeyFilter.maybe`` tests). A
    lookup's 16 keys against three lower levels' filters: one loop of 16 instead of three (~10 µs a level)."""
    passed: dict[str, list[int]] = {}
    held = [(table, level_filter.bits, level_filter.mask) for table, level_filter in filters]
    for key in keys:
        unsigned = key & _U64
        first, step = unsigned >> 4, (unsigned >> 34) | 1
        positions = (first, first + step, first + 2 * step)[:FILTER_PROBES]
        for table, bits, mask in held:
            for position in positions:
                position &= mask
                if not bits[position >> 3] >> (position & 7) & 1:
                    break
            else:
                passed.setdefault(table, []).append(key)
    return passed
