"""``Batch``: ``Ingest.record`` for a writer that holds many items at once (the distributed writer's queue batch),
with the writes of new articles held back and made together (``Archive.insert_new``: three statements for the
lot instead of three an article).

Every verdict is the one item-at-a-time gives. Dedupe looks in the archive only; the articles held back are not
there yet, so before an item is decided the held ones are written first whenever they could change its answer:

- its id is one of theirs (it would be an "update", not "new");
- its content hash is one of theirs (an exact copy of one of them);
- one of its band keys (``band_keys``: what the candidates are looked up by) is one of theirs (one of them would
  be a near-duplicate candidate).

Held back are only articles dedupe found "new" with nothing else to write: no other row names their id (a miss,
a failure, an alias: ``traces``), and no stored near duplicate is re-pointed. A new article changes no other
row, so what the archive answers about anything else is the same with or without them. Any other verdict (an
exact copy, "replaces", an "update" that may re-link rows) and any other item (a miss, a failure, an alias, a
walk) writes the held articles first, is decided again if it was decided before they were written, and is
stored item at a time. Held articles are written before every commit (``flush``), so a commit never counts an
item it does not hold: a writer killed with articles held loses only uncommitted work, as before.

``prefetch(items)`` asks dedupe's first question (``Archive.stored_and_copy``) for the coming items in one go
(``Archive.stored_and_copies``). An answer is taken while nothing written or held since could change it: articles
held of other ids and hashes cannot; any other write drops every answer (its item then asks alone).
"""

from __future__ import annotations

from crawler.dedupe import Fingerprint
from crawler.ingest.core import Ingest
from crawler.ingest.dedupe import band_keys_of
from crawler.ingest.items import ArticleItem, OutcomeItem
from crawler.ingest.outcomes import Outcome
from crawler.storage import ArchiveFull, ArticleWrite
from crawler.storage import Outcome as Written

HOLD = 100  # articles held back at most: the archive's default commit batch


class FlushFailed(Exception):
    """Writing the held articles failed: not the fault of the item being recorded (the distributed writer keeps
    the whole batch in Redis, as for a full disk)."""


class Batch:
    """``record(item)`` as ``ingest.record(item)``, new articles' writes held back (see the module); ``flush()``
    writes them (before a commit: ``commit()`` does both)."""

    def __init__(self, ingest: Ingest, hold: int = HOLD) -> None:
        self.ingest = ingest
        self.hold = hold
        self._writes: list[ArticleWrite] = []
        self._ids: set[int] = set()
        self._hashes: set[str] = set()
        self._bands: set[int] = set()
        # Dedupe's first lookup, asked for many items at once (``prefetch``): id → (content hash, answer). An
        # answer stands while nothing written since could change it: new articles of other ids and hashes only.
        self._looked: dict[int, tuple[str, tuple]] = {}
        self._since_ids: set[int] = set()
        self._since_hashes: set[str] = set()

    def prefetch(self, items: list) -> None:
        """Ask the archive dedupe's first question for the coming ``items`` at once (their fingerprints made now,
        which their dedupe then takes): the articles whose bodies are evidence (the others' question names their
        title too, and is asked item by item). An item that cannot be fingerprinted is left to ``record``."""
        asked: list[tuple[int, str]] = []
        for item in items:
            if not isinstance(item, ArticleItem) or item.verdict is not None:
                continue
            try:
                fingerprint = self._fingerprint(item)
                article_id = int(item["article_id"])
            except Exception:  # noqa: BLE001 - its own record() fails it, as item at a time
                continue
            if fingerprint.evidence:
                asked.append((article_id, fingerprint.content_hash))
        answers = self.ingest.archive.stored_and_copies(self.ingest.site.name, asked)
        self._looked = {article_id: (content_hash, answers[article_id]) for article_id, content_hash in asked}
        # The articles held now are not in these answers: an item of their ids or hashes asks again.
        self._since_ids = set(self._ids)
        self._since_hashes = set(self._hashes)

    @staticmethod
    def _fingerprint(item: ArticleItem) -> Fingerprint:
        if item.fingerprint is None:  # as the deduper makes it (it takes one already on the item)
            item.fingerprint = Fingerprint(item["paragraphs"], item.carried)
        return item.fingerprint

    def _answer(self, item: ArticleItem) -> tuple | None:
        """The prefetched answer for this item, if it still stands."""
        article_id, content_hash = int(item["article_id"]), item.fingerprint.content_hash
        looked = self._looked.get(article_id)
        if (looked is None or looked[0] != content_hash or not item.fingerprint.evidence
                or article_id in self._since_ids or content_hash in self._since_hashes):
            return None
        return looked[1]

    def record(self, item: ArticleItem | OutcomeItem) -> Outcome:
        if not isinstance(item, ArticleItem) or item.verdict is not None:
            self.flush()
            self._looked.clear()  # it may write anything
            return self.ingest.record(item)
        fingerprint = self._fingerprint(item)
        if self._writes and (int(item["article_id"]) in self._ids or fingerprint.content_hash in self._hashes
                             or not self._bands.isdisjoint(band_keys_of(fingerprint))):
            self.flush()
        self.ingest.deduper.decide(item, self._answer(item))
        verdict = item.verdict
        if verdict.kind == "new" and verdict.traces is False and not verdict.repoint and not verdict.relink:
            self._hold(item)
            return self.ingest._count(Ingest.stored(item, Written.NEW.value))
        if self._writes:  # decided without the held articles: write them, decide again
            self.flush()
            item.verdict = None
            self.ingest.dedupe(item)
        self._looked.clear()  # its store may write anything
        return self.ingest.store(item)

    def _hold(self, item: ArticleItem) -> None:
        write = self.ingest.article_write(item)
        self._writes.append(write)
        self._ids.add(int(item["article_id"]))
        self._hashes.add(write.content_hash)
        self._bands.update(write.band_keys)
        self._since_ids.add(int(item["article_id"]))
        self._since_hashes.add(write.content_hash)
        archive = self.ingest.archive
        # Written before the archive would commit on its own (its batch_size), so commits fall where they did.
        if len(self._writes) >= min(self.hold, max(archive.batch_size - archive.pending_writes, 1)):
            self.flush()

    def flush(self) -> None:
        """Write the held articles (in the order they came)."""
        writes = self._writes
        if not writes:
            return
        self._writes = []
        self._ids.clear()
        self._hashes.clear()
        self._bands.clear()
        try:
            self.ingest.archive.insert_new(writes)
        except ArchiveFull:  # as item at a time: the disk's own error, which the commands exit on (code and note)
            raise
        except Exception as exc:
            raise FlushFailed(f"writing {len(writes)} held articles failed: {exc}") from exc

    def commit(self) -> None:
        self.flush()
        self.ingest.commit()
