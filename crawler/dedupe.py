"""Duplicate detection over Arabic article bodies (pure functions; the archive does the lookups).

- Exact: ``content_hash`` = SHA-256 of the folded body (``fold_arabic``: no tashkeel/tatweel, أ/إ/آ→ا,
  ى→ي, ة→ه, ASCII digits, punctuation out), so a copy differing only in spelling variants is the same body.
- Evidence: two articles are the same story only when the evidence says so. A body of at least
  ``EVIDENCE_WORDS`` folded words cannot match another by chance, so an identical one is enough; a shorter
  body ("شاهد الفيديو" under a video post, a gallery's "بالصور", a caricature's credit line, a one-line
  brief) is boilerplate that different stories share, so it makes an exact copy only with the same folded
  title, and never a near duplicate (both bodies must be evidence).
- Near: Jaccard similarity of the folded bodies' word shingles (``SHINGLE_WORDS`` words) ≥ ``NEAR_THRESHOLD``.
  Candidates come from MinHash LSH: ``BANDS`` band hashes per article, stored in an indexed table, so a
  lookup is one indexed query; every candidate is then verified with the exact Jaccard of its shingles.

The MinHash is one-permutation hashing with rotation densification (Li, Owen & Zhang 2012; Shrivastava &
Li 2014): each shingle is hashed once (CRC-32 of its UTF-8 bytes, a C call), its low bits choose one of
``SLOTS`` bins and each bin keeps its smallest hash. The bins and the densification are numpy array
operations (``_signature``), no Python loop per shingle or per bin: about 20 µs for a 250-word article
after the CRCs (the pure-Python ``_reference_signature``, kept as the definition the tests hold it to,
took about 70 µs).
With 16 bands of 8 rows, a pair at Jaccard 0.9 becomes a candidate with probability > 0.9998, a pair at
0.5 with probability ≈ 0.06 (more often for texts much shorter than ``SLOTS`` shingles, whose empty bins
densification fills alike). ``SIGNATURE_VERSION`` names this scheme: archives whose band hashes were made
by another one are rebuilt from their stored folded bodies (a migration in ``crawler.storage``).
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from crawler.text import fold_arabic, fold_words, stem_words

# numpy is imported when MinHashes are many (``_body_signature``), not with this module: its import, ~0.06–0.1
# CPU-s, was a tenth of a command's start-up (``arshif export`` makes no MinHash; a reparse of unchanged pages
# makes one only for a page that may have near duplicates).
np: Any = None
# A process's first signatures are made by the plain-Python definition (~100 µs against numpy's ~55 µs for a
# 240-word body), so a process that makes few — a reparse of mostly unchanged pages (30 of 930 in
# bench_reparse), an hourly crawl of a few dozen articles — never loads numpy, and one that makes many pays
# ~6 ms more than if it had loaded numpy at once (not more: the pipelines' per-item cost stays numpy's).
PLAIN_SIGNATURES = 128
_plain_signatures = 0
_numpy_missing = False  # numpy could not be imported: every signature by the definition (slower, the same)
SHINGLE_WORDS = 3
NEAR_THRESHOLD = 0.9
# Below this many folded words a body is not evidence of a story on its own. The boilerplate bodies of
# video posts, galleries and caricatures run to a handful of words; a news brief of 30 words repeated
# word for word is a copy. (At Jaccard ≥ 0.9 two bodies differ in length by ≤ 10%, so a body just over
# the line is never a near copy of one just under it by more than a few words' edit.)
EVIDENCE_WORDS = 30
BANDS = 16
ROWS_PER_BAND = 8
SLOTS = BANDS * ROWS_PER_BAND  # a power of two: the bin is the hash's low bits
SIGNATURE_VERSION = 2  # 1: a BLAKE2b per shingle and per band, bins by a Python loop
# What a body's carried search form and word count were made by (``Fingerprint.carried(body=True)``): bump it
# with any change to what ``fold_words`` or ``stem_words`` make, so a writer never takes a form of another fold.
BODY_FORM_VERSION = 1
_SLOT_MASK = SLOTS - 1
_EMPTY = 1 << 32  # above any CRC-32: a densified bin's value says how far it borrowed from
_ALL_SLOTS = range(SLOTS)
_SLOT_SET = frozenset(_ALL_SLOTS)
_SIGNATURE = struct.Struct(f"<{SLOTS}Q")
_BAND_BYTES = ROWS_PER_BAND * 8
_BAND_VALUES = struct.Struct(f">{BANDS}q")


def folded_body(paragraphs: Sequence[str]) -> str:
    return fold_arabic("\n".join(paragraphs))


def content_hash(paragraphs: Sequence[str]) -> str:
    return hashlib.sha256(folded_body(paragraphs).encode("utf-8")).hexdigest()


def carried_text(paragraphs: Any, carried: Mapping[str, Any] | None) -> bool:
    """Whether ``paragraphs`` are, entry for entry, the cleaned paragraphs a carried body was made of (this scheme,
    ``body["clean"]``: ``crawler.ingest.clean.carried_fingerprint``): a list of strings, none empty or holding a
    "\\n", whose lines' digest is the carried one. Cleaned entries are neither either (``clean_list`` drops empty
    ones; ``clean_text``: whitespace runs → one space), so the same text split at its "\\n" is the same entries."""
    body = carried.get("body") if carried is not None else None
    if not (type(paragraphs) is list and isinstance(body, Mapping) and body.get("version") == BODY_FORM_VERSION
            and body.get("clean") is True and type(body.get("paragraphs")) is str):
        return False
    try:
        joined = "\n".join(paragraphs)
    except TypeError:  # an entry that is not text
        return False
    return (joined.count("\n") == len(paragraphs) - 1 and all(paragraphs)
            and _text_digest(joined) == body["paragraphs"])


_DIGESTS: dict[str, str] = {}  # text → its digest, up to ``DIGESTS_KEPT`` recent texts
DIGESTS_KEPT = 256


def _text_digest(text: str) -> str:
    """The digest a carried body is checked by: SHA-256 of the paragraphs' text (one per line). Recent texts'
    are kept: the writer's clean (``carried_text``) and its dedupe (``Fingerprint``) check the same text in turn,
    one right after the other item at a time, a prefetch window (50 items) apart in a ``Batch``."""
    digest = _DIGESTS.get(text)
    if digest is None:
        if len(_DIGESTS) >= DIGESTS_KEPT:
            # Emptied at once rather than the oldest dropped: one call, safe if two threads digest at the same
            # time (iterating to find the oldest is not), and the reuse this serves is ≤ 50 texts apart.
            _DIGESTS.clear()
        digest = _DIGESTS[text] = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return digest


def shingles(folded: str, size: int = SHINGLE_WORDS) -> set[str]:
    """Word n-grams of an already folded text (a text shorter than ``size`` words is one shingle)."""
    return _ngrams(folded.split(), " ", size)


def _byte_shingles(folded_utf8: bytes, size: int = SHINGLE_WORDS) -> set[bytes]:
    """``shingles`` of the UTF-8 text, as bytes: what the MinHash hashes (no encoding per shingle)."""
    return _ngrams(folded_utf8.split(), b" ", size)


def _ngrams(words: list, space, size: int) -> set:
    return set(_ngram_list(words, space, size))


def _ngram_list(words: list, space, size: int) -> list:
    """The n-grams in text order, repeats kept (a text shorter than ``size`` words is one n-gram)."""
    if len(words) <= size:
        return [space.join(words)] if words else []
    if size == 3:  # the shingles' size: the slices spelled out (no generator per call)
        return list(map(space.join, zip(words, words[1:], words[2:])))
    return list(map(space.join, zip(*(words[i:] for i in range(size)))))


def _shingle_hashes(utf8_words: list[bytes]) -> np.ndarray:
    """CRC-32 of each word shingle of a folded body's UTF-8 words, in text order (repeats kept: a repeated
    shingle cannot change a minimum), as the int64 array ``_signature`` takes."""
    grams = _ngram_list(utf8_words, b" ", SHINGLE_WORDS)
    np = _numpy()
    return np.fromiter(map(zlib.crc32, grams), dtype=np.int64, count=len(grams))


def jaccard(a: set, b: set) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def minhash(shingle_set: Iterable[str | bytes]) -> list[int]:
    """A ``SLOTS``-value MinHash signature of word shingles (one-permutation hashing, densified)."""
    encoded = (shingle.encode("utf-8") if isinstance(shingle, str) else shingle for shingle in shingle_set)
    return _signature(map(zlib.crc32, encoded)).tolist()


_SLOT_NUMBERS: Any = None  # np.arange(SLOTS), set with np by ``_numpy``
_EMPTY_SIGNATURE: Any = None  # SLOTS × _EMPTY


def _numpy() -> Any:
    global np, _SLOT_NUMBERS, _EMPTY_SIGNATURE
    if np is None:
        import numpy

        _SLOT_NUMBERS = numpy.arange(SLOTS, dtype=numpy.int64)
        _EMPTY_SIGNATURE = numpy.full(SLOTS, _EMPTY, dtype=numpy.int64)
        np = numpy
    return np


def _signature(hashes: Iterable[int] | np.ndarray) -> np.ndarray:
    """``_reference_signature`` by numpy: the same ``SLOTS`` values, as an int64 array."""
    np = _numpy()
    values = hashes if isinstance(hashes, np.ndarray) else np.fromiter(hashes, dtype=np.int64)
    if not len(values):
        return _EMPTY_SIGNATURE.copy()
    smallest = _EMPTY_SIGNATURE.copy()
    np.minimum.at(smallest, values & _SLOT_MASK, values)
    filled = (smallest != _EMPTY).nonzero()[0]
    if len(filled) == SLOTS:
        return smallest
    # Each bin's source: itself when filled, else the next filled bin (circularly: "wrap" takes index
    # len(filled) as 0); the borrowed value is offset by the distance (mod SLOTS, a power of two: & mask), as
    # in the reference. Array methods, not numpy functions: a body's 245 shingles leave ~19 bins empty, so
    # this runs for nearly every article, and each numpy call costs ~1 µs on 128 values.
    source = filled.take(filled.searchsorted(_SLOT_NUMBERS), mode="wrap")
    return smallest.take(source) + ((source - _SLOT_NUMBERS) & _SLOT_MASK) * _EMPTY


def _body_signature(utf8_words: list[bytes]) -> list[int] | np.ndarray:
    """The signature of a folded body's UTF-8 words: by numpy once loaded or once ``PLAIN_SIGNATURES`` were made
    without it, else (or where numpy cannot be imported) by ``_reference_signature``: the same values, and
    ``band_hashes`` takes either."""
    global _plain_signatures, _numpy_missing
    if np is None and not _numpy_missing and _plain_signatures >= PLAIN_SIGNATURES:
        try:
            _numpy()
        except ImportError:
            _numpy_missing = True
    if np is None:
        _plain_signatures += 1
        return _reference_signature(map(zlib.crc32, _ngram_list(utf8_words, b" ", SHINGLE_WORDS)))
    return _signature(_shingle_hashes(utf8_words))


def _reference_signature(hashes: Iterable[int]) -> list[int]:
    """The signature's definition in plain Python (the tests check ``_signature`` against it)."""
    # Largest first, so that in the dict each bin ends up holding its smallest hash.
    descending = sorted(hashes, reverse=True)
    smallest = dict(zip(map(_SLOT_MASK.__and__, descending), descending))
    signature = list(map(smallest.get, _ALL_SLOTS))
    if not smallest or len(smallest) == SLOTS:
        return [_EMPTY] * SLOTS if not smallest else signature
    # Rotation densification: an empty bin borrows the next filled bin's value (circularly), offset by the
    # distance, so two sets that agree elsewhere also agree on their empty bins.
    filled = sorted(smallest)
    for slot in _SLOT_SET.difference(smallest):
        index = bisect_left(filled, slot)
        source = filled[index] if index < len(filled) else filled[0]
        signature[slot] = smallest[source] + ((source - slot) % SLOTS) * _EMPTY
    return signature


def band_hashes(signature: Sequence[int] | np.ndarray) -> list[int]:
    """One signed 64-bit hash per band (what the archive indexes)."""
    if np is not None and isinstance(signature, np.ndarray):  # an array is made by numpy, loaded by then
        packed = signature.astype("<u8").tobytes()  # = _SIGNATURE.pack: little-endian unsigned 64-bit
    else:
        packed = _SIGNATURE.pack(*signature)
    digests = b"".join([hashlib.blake2b(packed[start : start + _BAND_BYTES], digest_size=8).digest()
                        for start in range(0, len(packed), _BAND_BYTES)])
    # Each digest read as a big-endian signed 64-bit integer, all in one call.
    return list(_BAND_VALUES.unpack(digests)) if len(digests) == _BAND_VALUES.size else \
        [int.from_bytes(digests[start : start + 8], "big", signed=True) for start in range(0, len(digests), 8)]


def folded_band_hashes(folded: str) -> list[int]:
    """The band hashes of an already folded body (what the archive rebuilds its band index from); none for
    a body that is not evidence (``is_evidence``)."""
    if not is_evidence(folded):
        return []
    return band_hashes(_body_signature(folded.encode("utf-8").split()))


def is_evidence(folded: str) -> bool:
    """True when a folded body is long enough that an identical or near-identical one is no chance."""
    return len(folded.split(maxsplit=EVIDENCE_WORDS)) >= EVIDENCE_WORDS


class Fingerprint:
    """What dedupe computes once per article body (the store reuses ``search_form``).

    A body that is not evidence (``is_evidence``) gets no band hashes: it is never a near duplicate, and
    its boilerplate twins do not crowd the band index.

    ``carried``: what another process made of this body (``carried()``), taken only where it checks out. The
    band hashes (any sender): for this very folded body (its content hash, computed here). The whole body's work
    (``carried(body=True)``: a crawl's extraction worker, same code, same run) for these very paragraphs (a digest
    of their text, ~15 µs, instead of the fold, its hash and the search form, ~70 µs: the writer's share of an
    article, bench/results.md, crawl4); ``folded`` is then made only if asked for (near-duplicate candidates)."""

    __slots__ = ("_folded", "_form", "_joined", "_shingles", "_words", "band_hashes", "band_keys", "content_hash",
                 "evidence")

    def __init__(self, paragraphs: Sequence[str], carried: Mapping[str, Any] | None = None) -> None:
        self._joined = "\n".join(paragraphs)
        # What the archive indexes the band hashes by (``crawler.storage.keys.band_keys``): made once, by the
        # first of the writer's steps that needs them (``crawler.ingest.dedupe.band_keys_of``), for the others.
        self.band_keys: list[int] | None = None
        self._shingles: set[bytes] | None = None
        self._form: str | None = None
        if carried is not None and self._take_body(carried):
            return
        self._words = fold_words(self._joined)  # = folded_body(paragraphs).split(), kept for search_form
        self._folded: str | None = " ".join(self._words)
        utf8 = self._folded.encode("utf-8")
        self.content_hash = hashlib.sha256(utf8).hexdigest()
        self.evidence = len(self._words) >= EVIDENCE_WORDS  # = is_evidence(self.folded): its words, counted
        if carried is not None and self._carried_bands_fit(carried):
            self.band_hashes = list(carried["band_hashes"])
            return
        # A repeated shingle cannot change a minimum: the signature hashes the n-grams as they come, and
        # the set (for ``similarity``, needed only when there are candidates) is built on first use.
        self.band_hashes = band_hashes(_body_signature(utf8.split())) if self.evidence else []

    def carried(self, body: bool = False) -> dict[str, Any]:
        """What another process needs to skip the signature of this body: ``Fingerprint(paragraphs, carried)``
        (a distributed worker computes it, the one writer checks and takes it; issue 13). ``body``: also the
        rest of the body's work (its word count and search form, under a digest of the paragraphs' text), for a
        writer running this same code (a crawl's extraction workers: ``crawler.ingest.clean.carried_fingerprint``)."""
        carried: dict[str, Any] = {"version": SIGNATURE_VERSION, "content_hash": self.content_hash,
                                   "band_hashes": self.band_hashes}
        if body:
            carried["body"] = {"version": BODY_FORM_VERSION, "paragraphs": _text_digest(self._joined),
                               "words": len(self.folded.split()) if self._words is None else len(self._words),
                               "form": self.search_form}
        return carried

    def _take_body(self, carried: Mapping[str, Any]) -> bool:
        """Take the carried body's work when it was made of these very paragraphs by this scheme (else False,
        and nothing taken)."""
        body = carried.get("body")
        if not (isinstance(body, Mapping) and body.get("version") == BODY_FORM_VERSION
                and type(body.get("words")) is int and type(body.get("form")) is str
                and type(carried.get("content_hash")) is str
                and body.get("paragraphs") == _text_digest(self._joined)):
            return False
        self.content_hash = carried["content_hash"]
        self.evidence = body["words"] >= EVIDENCE_WORDS
        if not self._carried_bands_fit(carried):
            return False
        self._words, self._folded, self._form = None, None, body["form"]
        self.band_hashes = list(carried["band_hashes"])
        return True

    def _carried_bands_fit(self, carried: Mapping[str, Any]) -> bool:
        """Band hashes made elsewhere are taken only for this very body (its content hash, computed here) and
        this signature scheme; anything else (an older worker, another version, a bad message) is recomputed."""
        bands = carried.get("band_hashes")
        return (
            carried.get("version") == SIGNATURE_VERSION
            and carried.get("content_hash") == self.content_hash
            and isinstance(bands, list)
            and len(bands) == (BANDS if self.evidence else 0)
            and all(type(value) is int and -(2**63) <= value < 2**63 for value in bands)
        )

    @property
    def folded(self) -> str:
        """``folded_body`` of the paragraphs (made here on first use when the body's work was carried)."""
        if self._folded is None:
            self._words = fold_words(self._joined)
            self._folded = " ".join(self._words)
        return self._folded

    @property
    def search_form(self) -> str:
        """The body's search form (``crawler.text.stem_folded`` of ``folded``): carried, or made from the folded
        words at hand. What the store indexes."""
        if self._form is None:
            self.folded  # noqa: B018 - makes the words
            self._form = stem_words(self._words)
        return self._form

    @property
    def shingles(self) -> set[bytes]:
        if self._shingles is None:
            self._shingles = _byte_shingles(self.folded.encode("utf-8"))
        return self._shingles

    def similarity(self, other_folded_body: str) -> float:
        return jaccard(self.shingles, _byte_shingles(other_folded_body.encode("utf-8")))


def folded_similarity(a: str, b: str) -> float:
    """Jaccard similarity of two folded bodies' word shingles."""
    return jaccard(_byte_shingles(a.encode("utf-8")), _byte_shingles(b.encode("utf-8")))


def better_link(candidate: tuple[int, float], current: tuple[int | None, float | None]) -> bool:
    """Whether ``candidate`` (id, similarity) beats ``current`` as an article's near-duplicate link.

    An article names its *most similar lower id* (ties: the lowest): a fact of the pair alone, so the
    table is the same whatever order a crawl meets the copies in. A chain A(10) ≈ B(20) ≈ C(30) with
    J(A, C) below the threshold stores {20: 10, 30: 20} in every order; a newcomer with a lower id than
    its stored matches re-links those it beats (``pipelines.dedupe``)."""
    current_id, current_similarity = current
    if current_id is None or current_similarity is None:
        return True
    candidate_id, candidate_similarity = candidate
    return (-candidate_similarity, candidate_id) < (-current_similarity, current_id)


def is_original_of(article_id: int, other_id: int) -> bool:
    """Of two copies of one story, the original is the one with the lower id: the CMS numbers articles as
    they are created, so a republished copy always gets a higher id than its source — even when its
    printed timestamp is earlier. Whichever copy a crawl meets first, the same one ends up the original.
    """
    return article_id < other_id


def published_before(published: str | None, other: str | None) -> bool:
    """Whether ``published`` is a strictly earlier instant than ``other`` (ISO timestamps with offsets,
    compared in UTC: "2026-03-29T01:30:00+02:00" is before "2026-03-29T00:00:00+00:00"). An unknown or
    unreadable date is never earlier."""
    if not published or not other:
        return False
    try:
        first, second = datetime.fromisoformat(published), datetime.fromisoformat(other)
        return first < second
    except (TypeError, ValueError):  # unreadable, or one without an offset: no order
        return False


def stored_copy_is_original(stored_id: int, stored_published: str | None, article_id: int,
                            published: str | None, *, keyed_by_url: bool) -> bool:
    """Of a stored article and an exact copy of it arriving now, whether the stored one stays the original.

    Numeric ids (``key = "id"``): the lower id (``is_original_of``). Keys made from URLs (``key = "url"``) are
    hashes, so their order says nothing: the earlier-published copy is the original, and on the same or an
    unknown date the stored one — the copy seen first."""
    if not keyed_by_url:
        return is_original_of(stored_id, article_id)
    return not published_before(published, stored_published)
