"""Dedupe: decide how an article relates to what the archive holds (``item.verdict``); store acts on it.

- same site + id already stored → "update" (the store pipeline versions it if it changed);
- the same story under another id → "exact": the copy becomes an alias of the original ("replaces" when
  the newcomer is the original and the stored copy must become its alias). Same story = identical folded
  body that is evidence on its own (``crawler.dedupe.is_evidence``), or an identical short body under the
  same folded title: two video posts whose body is only "شاهد الفيديو" stay two articles;
- word-shingle Jaccard ≥ 0.9 with stored articles whose bodies are evidence (MinHash LSH candidates,
  verified exactly) → its own row naming its most similar lower id (``near_duplicate_of``, ``similarity``;
  ``crawler.dedupe.better_link``). A newcomer re-links the stored matches above it that it beats; a
  refetched article whose body changed makes the copies that named it decide their link again.
"The original" of exact copies is the lowest id, or for a site keyed by URL the earlier-published (then the
first-seen) copy (``crawler.dedupe.stored_copy_is_original``); of near copies the lowest id (``is_original_of``), and a near link is a fact of the pair,
so the table does not depend on the order in which a crawl meets the copies.
"""

from __future__ import annotations

from crawler.dedupe import (
    NEAR_THRESHOLD,
    Fingerprint,
    better_link,
    folded_similarity,
    is_original_of,
    stored_copy_is_original,
)
from crawler.ingest.items import ArticleItem, Verdict
from crawler.storage import Archive
from crawler.storage.keys import band_keys
from crawler.text import fold_arabic


def band_keys_of(fingerprint: Fingerprint) -> list[int]:
    """``band_keys(fingerprint.band_hashes)``, made once a fingerprint: a writer needs them up to four times an
    article (its batch's held check and hold, the near-duplicate lookup, the insert)."""
    keys = fingerprint.band_keys
    if keys is None:
        keys = fingerprint.band_keys = band_keys(fingerprint.band_hashes)
    return keys


class Deduper:
    """Dedupe for one site of one archive: ``decide(item)`` sets ``item.fingerprint`` and ``item.verdict``."""

    def __init__(self, archive: Archive, site: str, *, keyed_by_url: bool = False) -> None:
        self.archive, self.site, self.keyed_by_url = archive, site, keyed_by_url

    def decide(self, item: ArticleItem, looked_up: tuple | None = None) -> ArticleItem:
        """``looked_up``: what ``Archive.stored_and_copy`` answers for this item, when the caller asked it already
        (``crawler.ingest.batch``: many items in one round trip, for bodies that are evidence)."""
        archive, site = self.archive, self.site
        article_id = item["article_id"]
        # A fingerprint already on the item came with a queue message (``pipelines.items.from_message``),
        # checked there against this very body; ``item.carried`` came from the crawl's extraction worker
        # (``crawler.ingest.clean.carried_fingerprint``) and is taken only for this cleaned body's hash.
        fingerprint = item.fingerprint if item.fingerprint is not None else \
            Fingerprint(item["paragraphs"], item.carried)
        item.fingerprint = fingerprint
        # The stored row, an exact copy under another id and the id's other traces, in one query (the copy
        # matters only when the id is not stored yet; the traces go to the store with the verdict).
        stored, same, traces = looked_up if looked_up is not None else archive.stored_and_copy(
            site, article_id, fingerprint.content_hash,
            title_folded=None if fingerprint.evidence else fold_arabic(item.get("title") or ""),
        )
        if stored is None:
            if same is not None and stored_copy_is_original(same.article_id, same.published_at, article_id,
                                                            item.get("published_at"), keyed_by_url=self.keyed_by_url):
                item.verdict = Verdict("exact", of=same.article_id, similarity=1.0, traces=traces)
                return item
            if same is not None:  # the stored copy becomes this one's alias; near copies now name this one
                verdict = self._near(article_id, fingerprint, "replaces", also_exclude=same.article_id)
                verdict.of = same.article_id
                verdict.traces = traces
                item.verdict = verdict
                return item
        item.verdict = self._near(article_id, fingerprint, "update" if stored else "new")
        item.verdict.traces = traces
        return item

    def _near(self, article_id: int, fingerprint: Fingerprint, kind: str, also_exclude: int | None = None) -> Verdict:
        archive, site = self.archive, self.site
        matches = []
        for ref, body in archive.near_duplicate_candidates(site, fingerprint.band_hashes, exclude_id=article_id,
                                                           keys=band_keys_of(fingerprint)):
            if ref.article_id == also_exclude:
                continue
            similarity = fingerprint.similarity(body)
            if similarity >= NEAR_THRESHOLD:
                matches.append((ref, round(similarity, 4)))
        link: tuple[int | None, float | None] = (None, None)
        for ref, similarity in matches:  # this article's own link: its most similar lower id
            if is_original_of(ref.article_id, article_id) and better_link((ref.article_id, similarity), link):
                link = (ref.article_id, similarity)
        # Stored copies above this one that it beats as their link now name it.
        repoint = tuple(
            (ref.article_id, similarity)
            for ref, similarity in matches
            if is_original_of(article_id, ref.article_id)
            and better_link((article_id, similarity), (ref.near_duplicate_of, ref.similarity))
        )
        relink = self._relink(article_id, fingerprint, matches, repoint) if kind == "update" else ()
        return Verdict(kind, near_duplicate_of=link[0], similarity=link[1], repoint=repoint, relink=relink)

    def _relink(self, article_id: int, fingerprint: Fingerprint, matches, repoint) -> tuple:
        """A refetched article whose body changed: the stored copies that named it decide their link again,
        against its new body and their other candidates (same rule: most similar lower id)."""
        archive, site = self.archive, self.site
        new_similarity = {ref.article_id: similarity for ref, similarity in matches}
        repointed = {other_id for other_id, _ in repoint}
        relink = []
        for ref, body, bands in archive.near_links_to(site, article_id):
            if ref.article_id in repointed:
                continue
            link: tuple[int | None, float | None] = (None, None)
            if ref.article_id in new_similarity:  # the changed article itself, by its new body
                link = (article_id, new_similarity[ref.article_id])
            for other, other_body in archive.near_duplicate_candidates(site, bands, exclude_id=ref.article_id):
                if other.article_id == article_id or not is_original_of(other.article_id, ref.article_id):
                    continue
                similarity = round(folded_similarity(body, other_body), 4)
                if similarity >= NEAR_THRESHOLD and better_link((other.article_id, similarity), link):
                    link = (other.article_id, similarity)
            if link != (ref.near_duplicate_of, ref.similarity):
                relink.append((ref.article_id, *link))
        return tuple(relink)
