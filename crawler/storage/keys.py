"""The lookup keys of the archive's key levels (``crawler.storage.bands``): band keys (near copies) and
content keys (exact copies), the levels' table names, and their CREATE statement. The migrations that made
the levels (``crawler.storage.schema``: m201_lean_archive, m2xx_bands_levels, m2xx_store4_content_keys,
m2xx_store5_band_keys_lower, m2xx_store6_level_runs) say why each exists."""

from __future__ import annotations

from collections.abc import Sequence

# Band hashes by key alone (m201_lean_archive): ``band_key`` puts the band number in a hash's four low bits,
# so one WITHOUT ROWID table (its primary key is the lookup) replaces a rowid table with two indexes. An article's keys
# are recomputed from its stored body when it changes or leaves (``crawler.dedupe.folded_band_hashes``).
BAND_KEY_BITS = 4  # crawler.dedupe.BANDS = 16 bands
_BAND_KEY_MASK = ~((1 << BAND_KEY_BITS) - 1)


def band_key(band: int, value: int) -> int:
    """A band hash tagged with its band (e.g. band 3 of hash -8070450532247928832 → ...835): two bands
    never share a key, as the old ``(band, hash)`` pair never did; 60 bits of the hash remain."""
    return (value & _BAND_KEY_MASK) | band


def band_keys(band_hashes: Sequence[int]) -> list[int]:
    """``band_key`` of each band hash, in band order (one comprehension: the store computes 32 for each article)."""
    return [(value & _BAND_KEY_MASK) | band for band, value in enumerate(band_hashes)]


# The band-key levels, recent first: a key is in exactly one of them (crawler.storage.bands). Three until
# m2xx_store5_band_keys_lower added ``band_keys_lower`` between the middle and the main one.
BAND_LEVELS = ("band_keys_recent", "band_keys_middle", "band_keys_lower", "band_keys")


# The content-key levels, recent first (m2xx_store4_content_keys: exact copies by content key, in levels).
CONTENT_LEVELS = ("content_keys_recent", "content_keys_middle", "content_keys")
# The recent level is merged past max(8,192 keys, middle / 8): ~60 pages, which a 1,000-article commit
# rewrites whole (the band keys' 65,536 would be ~450 pages: 0.45 a 1,000-article commit, for one key an article).
CONTENT_MERGE_FLOOR = 8_192


def content_key(content_hash: str) -> int:
    """The signed 64-bit key of a body hash: its first 16 hex digits with the four low bits cleared (a band
    key of band 0, as ``BandKeys`` stores them), e.g. "2d711642b726b044…" → 3274422879871479872. A hash that is not hex
    (tests write such) is keyed by its own BLAKE2b digest: any key is right, it only finds candidates."""
    try:
        value = int(content_hash[:16], 16)
    except ValueError:
        import hashlib

        value = int.from_bytes(hashlib.blake2b(content_hash.encode(), digest_size=8).digest(), "big")
    if value >= 1 << 63:
        value -= 1 << 64
    return value & _BAND_KEY_MASK


# The levels that hold runs, ``run`` first in their key (m2xx_store6_level_runs).
RUN_LEVELS = (*BAND_LEVELS[1:], *CONTENT_LEVELS[1:])


def level_table_sql(name: str, *, runs: bool) -> str:
    """The CREATE statement of a key level: the recent ones by key, the lower ones by run, then key."""
    if not runs:
        return (f"create table {name} (site text not null, key integer not null, article_id integer not null,"
                " primary key (site, key, article_id)) without rowid")
    return (f"create table {name} (run integer not null, site text not null, key integer not null,"
            " article_id integer not null, primary key (run, site, key, article_id)) without rowid")
