"""Re-extraction: run the current extractor over the WARC records the archive points to, offline.

Each article row with a ``warc_record`` is read back from its WARC file and takes the crawl's own path
(``ReparseChain``): extraction with the charset of the record's own HTTP headers and its fetch time,
then the ingest core a crawl uses (``crawler.ingest.Ingest``: clean → validate → dedupe → store). So a changed field
makes a new version exactly as a refetch would (the previous state goes to ``article_versions``), an
unchanged one is left as it is (``ReparseChain``: not even ``last_seen_at``), near-duplicate links are
decided again as a crawl decides them, and a page that no longer validates (no title, date or body) is left as it is and listed in
``failures``. The row keeps its identity (site, id, canonical URL) and its WARC pointer. The run is
recorded in ``crawl_runs`` (command "reparse").
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from functools import lru_cache
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from crawler.arguments import usable_cores
from crawler.extract.decode import declared_charset
from crawler.ingest import Aliased, ArticleItem, FetchInfo, Ingest, Rejected
from crawler.ingest.validate import problem
from crawler.sites import Site
from crawler.storage import Archive, ArticleQuery, Outcome, RunCounts, same_record
from crawler.warc import WarcReader

logger = logging.getLogger(__name__)


@dataclass
class ReparseResult:
    run_id: int
    total: int = 0  # rows with a WARC record in the selection (+ failed extractions with one)
    rows: int = 0  # done so far
    outcomes: dict[str, int] = field(default_factory=lambda: {o.value: 0 for o in Outcome})
    no_article: int = 0  # the current extractor finds no article in the stored page: row left as is
    invalid: int = 0  # an article the validate pipeline rejects (no title, date or body): row left as is, failure row
    missing_record: int = 0  # WARC file or record gone or corrupt: row left as is
    recovered: int = 0  # failed extractions (e.g. a page of a stored article in a broken layout) now extracted
    jobs: int = 1  # processes that extracted (``jobs="auto"``: what ``auto_jobs`` chose)

    @property
    def updated(self) -> int:
        return self.outcomes[Outcome.UPDATED.value]

    @property
    def unchanged(self) -> int:
        return self.outcomes[Outcome.UNCHANGED.value]

    def counts(self) -> RunCounts:
        return RunCounts(pages=self.rows, articles_updated=self.updated, articles_unchanged=self.unchanged,
                         failures=self.missing_record + self.invalid, dropped=self.no_article + self.invalid)


# The charset a Content-Type value declares, read once per distinct value: a reparse's pages carry one or two
# ("text/html; charset=utf-8"), and w3lib's reading of one cost ~5 µs a page.
_declared_charset = lru_cache(maxsize=64)(declared_charset)

# ``jobs="auto"`` (`arshif reparse`'s default): every usable core for a selection of at least this many rows, else
# one process. Why the floor: a pool forks its workers and sends each chunk's rows and stored columns both ways,
# which pays only once there is work to split; 200 real-weight pages are ~0.5 CPU-s on one core, where 2 jobs save
# ~0.2 s of wall, and below that a cron-sized reparse (a site's latest day) is done before a pool would be.
AUTO_JOBS_MIN_ROWS = 200


def auto_jobs(rows: int, cores: int | None = None) -> int:
    """The extracting processes ``jobs="auto"`` runs for ``rows`` selected rows: ``cores`` (default: the usable
    cores, ``crawler.arguments.usable_cores``) from ``AUTO_JOBS_MIN_ROWS`` rows on, else 1. E.g. on 2 cores:
    ``auto_jobs(930) == 2``, ``auto_jobs(93) == 1``."""
    return max(1, cores or usable_cores()) if rows >= AUTO_JOBS_MIN_ROWS else 1


# What a row needs to be re-extracted (and what crosses to a worker process and back).
_ROW_KEYS = ("site", "article_id", "url", "warc_record")


def reparse(
    db_path: str | Path,
    warc_dir: str | Path,
    query: ArticleQuery = ArticleQuery(),
    *,
    on_row: Callable[[ReparseResult], None] | None = None,
    jobs: int | str = 1,
    shortcut: bool = True,
) -> ReparseResult:
    """Re-extract every selected row that has a WARC record; ``on_row(result)`` after each (progress).

    Then the open failed extractions that kept their WARC record (a stored article's page that yielded no
    article, ``crawler.ingest.Ingest.miss``): re-extracted too, so a fixed extractor recovers them with
    no refetch. ``jobs`` > 1: the extraction runs in that many processes; the results are applied here,
    in the rows' order, by this process alone (the archive's one writer): the same archive as one job.
    ``jobs="auto"``: ``auto_jobs`` of the selection (every usable core for a big one; ``ReparseResult.jobs``).
    ``shortcut=False`` takes every page down the whole ingest path, unchanged ones too (``ReparseChain``):
    the tests hold the shortcut to it.
    """
    if jobs != "auto" and (not isinstance(jobs, int) or jobs < 1):
        raise ValueError(f"jobs must be a count of at least 1 or 'auto', not {jobs!r}")
    selection = ArticleQuery(query.site, query.since, query.until, with_warc=True)
    archive = Archive.existing(db_path)  # it writes: the writer, which migrates
    try:
        # The selection is read before any write: a worker pool's feeding thread must not share the
        # connection the writes use (and a row rewritten meanwhile must not move the keyset pagination).
        rows = archive.warc_rows(selection)
        # An open failed extraction holds the page's newest capture: it is re-extracted in place of the
        # article's older one (which would only say again what is stored, and settle the failure unread).
        selected = {(row["site"], row["article_id"]) for row in rows}
        failed = [{key: row[key] for key in _ROW_KEYS} for row in archive.open_failures(query.site)
                  if row.get("warc_record") and row["article_id"] is not None
                  and (not (query.since or query.until) or (row["site"], row["article_id"]) in selected)]
        refetched = {(row["site"], row["article_id"]) for row in failed}
        rows = [row for row in rows if (row["site"], row["article_id"]) not in refetched]
        jobs = auto_jobs(len(rows) + len(failed)) if jobs == "auto" else jobs
        args = {"warc": str(warc_dir), "site": query.site, "since": query.since, "until": query.until, "jobs": jobs}
        result = ReparseResult(archive.start_run(query.site or "all", command="reparse", args=args), jobs=jobs)
        result.total = len(rows) + len(failed)
        status = "failed"
        try:
            missing_files: set[str] = set()
            chain = ReparseChain(archive, result.run_id, settled=rows if shortcut else [])
            work = extractions([*rows, *failed], warc_dir, jobs, chain.site, chain.stored_for)
            for index, (row, extracted) in enumerate(work):
                outcome = chain.apply(row, extracted, missing_files)
                if outcome is None:
                    result.missing_record += 1
                elif outcome == "no_article":
                    result.no_article += 1
                elif outcome == "invalid":
                    result.invalid += 1
                else:
                    result.outcomes[outcome] += 1
                    result.recovered += index >= len(rows)
                result.rows += 1
                if on_row is not None:
                    on_row(result)
            status = "ok"
        except KeyboardInterrupt:
            status = "interrupted"
            raise
        finally:
            archive.commit()
            archive.finish_run(result.run_id, finish_reason="finished" if status == "ok" else status,
                               status=status, counts=result.counts())
        return result
    finally:
        archive.close()


@dataclass
class Extracted:
    """One WARC record re-extracted (in a worker process or here): what the writer needs of it."""

    record: dict | None = None  # the cleaned record with the row's keys (None: no article, or ``same``)
    url: str = ""  # the URL the record was fetched from
    status: int = 200
    error: str | None = None  # the record could not be read: why
    missing_file: bool = False  # ... because its WARC file is gone
    same: bool = False  # valid and equal to the stored columns it was given (the record is sent only if needed)


def extract_row(row: dict, warc: WarcReader, site: Site, stored: dict | None = None) -> Extracted:
    """Read one row's WARC record, extract it as the spider would have (charset, fetch time, real URL) and
    clean it with the row's keys, as the ingest's first stage does; ``site``: the row's
    (``ArchiveReader.site``: a `crawl --url` outlet has no file to find it by name). ``stored``: the row's
    stored columns (``ReparseChain.stored_for``): a valid record equal to them comes back as ``same``."""
    from crawler.extract import extract_article  # lxml/trafilatura only when needed

    try:
        captured = warc.read(row["warc_record"])
    except FileNotFoundError as exc:
        return Extracted(error=str(exc), missing_file=True)
    except Exception as exc:  # noqa: BLE001 - one bad record (bad digest, cut file) must not stop the run
        return Extracted(error=str(exc))
    # As the spider does: the page is read as if fetched from the real site (a mirror's host would
    # otherwise leak into absolute image URLs), with only the charset its HTTP answer declared.
    charset = _declared_charset(captured.header("Content-Type"))
    record = extract_article(captured.body, site.on_real_host(captured.url), site=site, encoding=charset,
                             now=_instant(captured.date))
    if record is None:
        return Extracted(url=captured.url, status=captured.status)
    record = Ingest.clean({**record, "site": row["site"], "article_id": row["article_id"], "url": row["url"]})
    same = stored is not None and problem(record) is None and same_record(record, stored)
    keep = not same or stored["may_link"]  # dedupe needs it; an unchanged page alone is not sent back
    return Extracted(record=record if keep else None, url=captured.url, status=captured.status, same=same)


# A worker process's own WARC reader and the sites, set once by ``_start_worker`` (after the fork: no
# file is shared with the parent, whose reader would move the same file offset).
_worker: tuple[WarcReader, dict[str, Site]] | None = None


def _start_worker(warc_dir: str, sites: dict[str, Site]) -> None:
    global _worker
    _worker = (WarcReader(warc_dir), sites)


def _extract_chunk(tasks: list[tuple[dict, dict | None]]) -> list[Extracted]:
    assert _worker is not None, "a reparse worker runs _start_worker first"
    reader, sites = _worker
    return [extract_row(row, reader, sites[row["site"]], stored) for row, stored in tasks]


def extractions(rows: list[dict], warc_dir: str | Path, jobs: int, site_of: Callable[[str], Site],
                stored_for: Callable[[list[dict]], list[dict | None]] | None = None,
                ) -> Iterator[tuple[dict, Extracted]]:
    """(row, its extraction) in the rows' order, extracted here (1 job) or by ``jobs`` worker processes;
    ``site_of(name)``: the ``Site`` of a row's site name; ``stored_for(chunk)``: each row's stored columns
    (or None), asked in this thread, between the caller's writes, for each chunk before it is extracted."""
    stored_for = stored_for or (lambda chunk: [None] * len(chunk))
    if jobs == 1:
        with WarcReader(warc_dir) as reader:
            for start in range(0, len(rows), ReparseChain.BATCH):
                chunk = rows[start:start + ReparseChain.BATCH]
                for row, stored in zip(chunk, stored_for(chunk)):
                    yield row, extract_row(row, reader, site_of(row["site"]), stored)
        return
    import multiprocessing
    from collections import deque

    # fork: the workers start at once with the extractor imported (no re-import per process); they
    # never touch the parent's SQLite connection. A task is a chunk of rows with their stored columns,
    # small enough that the workers end together (930 rows, 2 jobs: chunks of 29) and few enough in
    # flight (``jobs`` × 3) that the stored columns read ahead stay few; this thread submits them (the
    # stored columns are read on the writer's connection, which no other thread may use).
    sites = {name: site_of(name) for name in {row["site"] for row in rows}}
    size = max(1, min(64, len(rows) // (jobs * 16)))
    chunks = [rows[start:start + size] for start in range(0, len(rows), size)]
    context = multiprocessing.get_context("fork")
    with context.Pool(jobs, initializer=_start_worker, initargs=(str(warc_dir), sites)) as pool:
        pending: deque = deque()
        for chunk in chunks:
            pending.append((chunk, pool.apply_async(_extract_chunk, (list(zip(chunk, stored_for(chunk))),))))
            if len(pending) >= jobs * 3:
                done, results = pending.popleft()
                yield from zip(done, results.get())
        while pending:
            done, results = pending.popleft()
            yield from zip(done, results.get())


class ReparseChain:
    """The crawl's own path for one captured response: extract (with the record's HTTP charset and its
    fetch time), then the site's ``Ingest`` (clean → validate → dedupe → store), as a crawl does.

    ``settled``: the rows whose stored record is compared (``stored_for``, asked for each chunk of rows before
    it is extracted; ``Archive.settled_records``). A page that cleans to exactly that record — most of a
    reparse with an unchanged extractor — is left as it is: no fold or stem, no write, not even
    ``last_seen_at`` (a reparse sees no page on the site). Its near-duplicate links are decided again, as a
    crawl's store decides them, only when a lookup could find any (``may_link``): the article has a link, is
    named by one, or shares a band key with another (``BandKeys.shared_article_ids``); an archive left
    without its links by an older dedupe gets them here. Any other page, and any id another row names (a
    miss, an open failure, an alias: storing settles them), takes the whole path as a crawl would.

    A stored record read ahead of the writes before it is still the one its own row finds: only that row
    changes its record, and the ids other rows name are settled only by their own rows. Links that change
    meanwhile are decided by the row that changes them, against this one's stored body.

    Finding the articles that share band keys scans the site's band keys once (~16 an article): done when
    the selection holds at least ``1 / SCAN_SHARE`` of the site's articles (e.g. 62,500 of 1M: ~0.1 ms of
    scan per row against ~0.5 ms of dedupe saved); for a smaller one every unchanged page is deduped."""

    BATCH = 256  # rows whose stored columns one job reads at once (jobs: chunks sized for balance)
    SCAN_SHARE = 16

    def __init__(self, archive, run_id: int, settled: list[dict] = ()) -> None:
        self.archive, self.run_id = archive, run_id
        self._ingests: dict[str, Ingest] = {}
        self._sites: dict[str, Site] = {}
        self._settled_rows = settled
        self._settled = {(row["site"], row["article_id"]) for row in settled}
        self._shared: dict[str, set[int] | None] = {}  # site → ids sharing band keys (None: no shortcut)

    def stored_for(self, rows: list[dict]) -> list[dict | None]:
        """Each row's stored columns and ``may_link`` (None: not a settled row, or an id another row names)."""
        by_site: dict[str, list[int]] = {}
        for row in rows:
            if (row["site"], row["article_id"]) in self._settled:
                by_site.setdefault(row["site"], []).append(row["article_id"])
        stored: dict[tuple[str, int], dict] = {}
        for site, ids in by_site.items():
            shared = self._shared_ids(site)
            for article_id, columns in self.archive.settled_records(site, ids).items():
                linked = columns.pop("linked")
                columns["may_link"] = bool(linked) or shared is None or article_id in shared
                stored[site, article_id] = columns
        return [stored.get((row["site"], row["article_id"])) for row in rows]

    def _shared_ids(self, site: str) -> set[int] | None:
        if site not in self._shared:
            selected = sum(row["site"] == site for row in self._settled_rows)
            stored = self.archive.scalar("select count(*) from articles where site = ?", [site])
            self._shared[site] = self.archive.bands.shared_article_ids(site) \
                if selected * self.SCAN_SHARE >= stored else None
        return self._shared[site]

    def site(self, site_name: str) -> Site:
        """The site a row's name stands for in this archive (a site file, or a `crawl --url` outlet's host)."""
        if site_name not in self._sites:
            self._sites[site_name] = self.archive.site(site_name)
        return self._sites[site_name]

    def ingest(self, site_name: str) -> Ingest:
        """The ingest for one site's rows (one per site: dedupe compares within a site)."""
        if site_name not in self._ingests:
            self._ingests[site_name] = Ingest(self.archive, self.site(site_name), self.run_id)
        return self._ingests[site_name]

    def apply(self, row: dict, extracted: Extracted, missing_files: set[str] | None = None) -> str | None:
        """Store one row's new extraction: its Outcome value, "no_article", "invalid", or None when its WARC
        record could not be read."""
        site = row["site"]
        if extracted.error is not None:
            if extracted.missing_file:
                if missing_files is None or extracted.error not in missing_files:  # one line per missing file
                    if missing_files is not None:
                        missing_files.add(extracted.error)
                    logger.warning("%s: its rows are left as they are", extracted.error)
            else:
                logger.warning("article %s/%s: WARC record %s unreadable: %s",
                               site, row["article_id"], row["warc_record"], extracted.error)
            return None
        ingest = self.ingest(site)
        item = None if extracted.record is None else ArticleItem(
            extracted.record, fetch=FetchInfo(url=extracted.url, status=extracted.status,
                                              warc_record=row["warc_record"]))
        if extracted.same:  # what Ingest.store does for it, less the write that would only move last_seen_at
            if item is not None:  # it may have near duplicates: sent back for dedupe
                ingest.link(ingest.dedupe(item))
            return Outcome.UNCHANGED.value
        if item is None:
            logger.warning("article %s/%s: no article in its WARC record any more", site, row["article_id"])
            return "no_article"
        outcome = ingest.cleaned(item)  # cleaned with the extraction (extract_row)
        if isinstance(outcome, Rejected):
            logger.warning("article %s/%s: %s: %s", site, row["article_id"], outcome.reason, outcome.url)
            return "invalid"
        if isinstance(outcome, Aliased):  # a failed extraction whose page now reads as an exact copy
            return Outcome.UNCHANGED.value
        # A stored row is always written back (dedupe's verdict for a known id is "update"): stored again.
        return outcome.kind


def _instant(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat((value or "").replace("Z", "+00:00"))
    except ValueError:
        return None
