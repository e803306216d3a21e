"""Duplicate detection over Arabic article bodies (pure functions; the archive does the lookups).

- Exact: ``content_hash`` = SHA-256 of the folded body (``fold_arabic``: no tashkeel/tatweel, أ/إ/آ→ا,
  ى→ي, ة→ه, ASCII digits, punctuation out), so a copy differing only in spelling variants is the same body.
- Near: Jaccard similarity of the folded bodies' word shingles (``SHINGLE_WORDS`` words) ≥ ``NEAR_THRESHOLD``.
  Candidates come from MinHash LSH: ``BANDS`` band hashes per article, stored in an indexed table, so a
  lookup is one indexed query; every candidate is then verified with the exact Jaccard of its shingles.

The MinHash is one-permutation hashing with rotation densification (Li, Owen & Zhang 2012; Shrivastava &
Li 2014): one hash per shingle instead of one per shingle *and* permutation, fast in pure Python.
With 16 bands of 8 rows, a pair at Jaccard 0.9 becomes a candidate with probability > 0.9998, a pair at
0.5 with probability ≈ 0.06.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from crawler.text import fold_arabic

SHINGLE_WORDS = 3
NEAR_THRESHOLD = 0.9
BANDS = 16
ROWS_PER_BAND = 8
SLOTS = BANDS * ROWS_PER_BAND
_EMPTY = 1 << 64


def folded_body(paragraphs: Sequence[str]) -> str:
    return fold_arabic("\n".join(paragraphs))


def content_hash(paragraphs: Sequence[str]) -> str:
    return hashlib.sha256(folded_body(paragraphs).encode("utf-8")).hexdigest()


def shingles(folded: str, size: int = SHINGLE_WORDS) -> set[str]:
    """Word n-grams of an already folded text (a text shorter than ``size`` words is one shingle)."""
    words = folded.split()
    if len(words) <= size:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def _hash64(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big")


def minhash(shingle_set: set[str]) -> list[int]:
    """A ``SLOTS``-value MinHash signature (one-permutation hashing, densified)."""
    slots = [_EMPTY] * SLOTS
    for shingle in shingle_set:
        value = _hash64(shingle)
        slot, rest = value % SLOTS, value // SLOTS
        if rest < slots[slot]:
            slots[slot] = rest
    if all(value == _EMPTY for value in slots):
        return slots
    # Rotation densification: an empty slot borrows the next non-empty slot's value (offset by the
    # distance), so two sets that agree elsewhere also agree on their empty slots.
    filled = list(slots)
    for i in range(SLOTS):
        if slots[i] != _EMPTY:
            continue
        distance = 1
        while slots[(i + distance) % SLOTS] == _EMPTY:
            distance += 1
        filled[i] = slots[(i + distance) % SLOTS] + distance * _EMPTY
    return filled


def band_hashes(signature: Sequence[int]) -> list[int]:
    """One signed 64-bit hash per band (what the archive indexes)."""
    bands = []
    for band in range(BANDS):
        chunk = signature[band * ROWS_PER_BAND : (band + 1) * ROWS_PER_BAND]
        digest = hashlib.blake2b(",".join(map(str, chunk)).encode(), digest_size=8).digest()
        bands.append(int.from_bytes(digest, "big", signed=True))
    return bands


class Fingerprint:
    """What dedupe computes once per article body."""

    __slots__ = ("content_hash", "shingles", "band_hashes")

    def __init__(self, paragraphs: Sequence[str]) -> None:
        folded = folded_body(paragraphs)
        self.content_hash = hashlib.sha256(folded.encode("utf-8")).hexdigest()
        self.shingles = shingles(folded)
        self.band_hashes = band_hashes(minhash(self.shingles))

    def similarity(self, other_folded_body: str) -> float:
        return jaccard(self.shingles, shingles(other_folded_body))


def is_original_of(article_id: int, other_id: int) -> bool:
    """Of two copies of one story, the original is the one with the lower id: the CMS numbers articles as
    they are created, so a republished copy always gets a higher id than its source — even when its
    printed timestamp is earlier. Whichever copy a crawl meets first, the same one ends up the original.
    """
    return article_id < other_id
