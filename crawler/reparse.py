"""Re-extraction: run the current extractor over the WARC records the archive points to, offline.

Each article row with a ``warc_record`` is read back from its WARC file and takes the crawl's own path
(``ReparseChain``): extraction with the charset of the record's own HTTP headers and its fetch time,
then the clean → validate → dedupe → store pipelines and the writer a crawl uses. So a changed field
makes a new version exactly as a refetch would (the previous state goes to ``article_versions``), an
unchanged one only moves ``last_seen_at``, near-duplicate links are decided again as a crawl decides
them, and a page that no longer validates (no title, date or body) is left as it is and listed in
``failures``. The row keeps its identity (site, id, canonical URL) and its WARC pointer. The run is
recorded in ``crawl_runs`` (command "reparse").
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

from scrapy.exceptions import DropItem

from crawler.site import get_site
from crawler.storage import Archive, ArticleQuery, Outcome, RunCounts, count_articles, iter_articles
from crawler.warc import read_response
from pipelines.clean import CleanPipeline
from pipelines.context import STORED, UNCHANGED, UPDATED, RunContext
from pipelines.items import ArticleItem, FetchInfo
from pipelines.store import StorePipeline
from spiders.base import declared_charset

logger = logging.getLogger(__name__)


@dataclass
class ReparseResult:
    run_id: int
    total: int = 0  # rows with a WARC record in the selection
    rows: int = 0  # done so far
    outcomes: dict[str, int] = field(default_factory=lambda: {o.value: 0 for o in Outcome})
    no_article: int = 0  # the current extractor finds no article in the stored page: row left as is
    invalid: int = 0  # an article the validate pipeline rejects (no title, date or body): row left as is, failure row
    missing_record: int = 0  # WARC file or record gone or corrupt: row left as is

    @property
    def updated(self) -> int:
        return self.outcomes[Outcome.UPDATED.value]

    @property
    def unchanged(self) -> int:
        return self.outcomes[Outcome.UNCHANGED.value]

    def counts(self) -> RunCounts:
        return RunCounts(pages=self.rows, articles_updated=self.updated, articles_unchanged=self.unchanged,
                         failures=self.missing_record + self.invalid, dropped=self.no_article + self.invalid)


def reparse(
    db_path: str | Path,
    warc_dir: str | Path,
    query: ArticleQuery = ArticleQuery(),
    *,
    on_row: Callable[[ReparseResult], None] | None = None,
) -> ReparseResult:
    """Re-extract every selected row that has a WARC record; ``on_row(result)`` after each (progress)."""
    selection = ArticleQuery(query.site, query.since, query.until, with_warc=True)
    archive = Archive.existing(db_path)  # it writes: the writer, which migrates
    try:
        args = {"warc": str(warc_dir), "site": query.site, "since": query.since, "until": query.until}
        result = ReparseResult(archive.start_run(query.site or "all", command="reparse", args=args))
        result.total = count_articles(archive, selection)
        status = "failed"
        try:
            missing_files: set[str] = set()
            chain = ReparseChain(archive, result.run_id)
            for row in iter_articles(archive, selection):
                outcome = _reparse_row(chain, row, warc_dir, missing_files)
                if outcome is None:
                    result.missing_record += 1
                elif outcome == "no_article":
                    result.no_article += 1
                elif outcome == "invalid":
                    result.invalid += 1
                else:
                    result.outcomes[outcome] += 1
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


def _reparse_row(chain: "ReparseChain", row: dict, warc_dir: str | Path, missing_files: set[str]) -> str | None:
    """One row: its Outcome value, "no_article", "invalid", or None when its WARC record cannot be read."""
    try:
        captured = read_response(warc_dir, row["warc_record"])
    except FileNotFoundError as exc:
        if str(exc) not in missing_files:  # one line per missing file, not per row
            missing_files.add(str(exc))
            logger.warning("%s: its rows are left as they are", exc)
        return None
    except Exception as exc:  # noqa: BLE001 - one bad record (bad digest, cut file) must not stop the run
        logger.warning("article %s/%s: WARC record %s unreadable: %s",
                       row["site"], row["article_id"], row["warc_record"], exc)
        return None
    return chain.process(row, captured)


class ReparseChain:
    """The crawl's own path for one captured response: extract (with the record's HTTP charset and its
    fetch time), then clean → validate → dedupe → store, the same pipelines and writer a crawl uses."""

    def __init__(self, archive, run_id: int) -> None:
        from crawler.extract import extract_article  # lxml/trafilatura only when needed
        from pipelines.dedupe import DedupePipeline
        from pipelines.validate import ValidatePipeline

        self.extract = extract_article
        self.stats = _Stats()
        self.archive, self.run_id = archive, run_id
        self._chains: dict[str, list] = {}
        self._classes = (CleanPipeline, ValidatePipeline, DedupePipeline, StorePipeline)

    def _pipelines(self, site_name: str) -> list:
        """The pipelines for one site's rows (their context names the site)."""
        if site_name not in self._chains:
            context = RunContext(archive=self.archive, site=get_site(site_name), run_id=self.run_id,
                                 command="reparse")
            host = SimpleNamespace(stats=self.stats, settings={}, arshif_context=context, spider=None)
            self._chains[site_name] = [cls.from_crawler(host) for cls in self._classes]
        return self._chains[site_name]

    def process(self, row: dict, captured) -> str:
        site = row["site"]
        # As the spider does: the page is read as if fetched from the real site (a mirror's host would
        # otherwise leak into absolute image URLs), with only the charset its HTTP answer declared.
        charset = declared_charset(captured.header("Content-Type"))
        fetched = _instant(captured.date)
        record = self.extract(captured.body, real_url(site, captured.url), site=site, encoding=charset, now=fetched)
        if record is None:
            logger.warning("article %s/%s: no article in its WARC record any more", site, row["article_id"])
            return "no_article"
        item = ArticleItem({**record, "site": site, "article_id": row["article_id"], "url": row["url"]},
                           fetch=FetchInfo(url=captured.url, status=captured.status, warc_record=row["warc_record"]))
        before = dict(self.stats)
        try:
            for pipeline in self._pipelines(site):
                item = pipeline.process_item(item)
        except DropItem as exc:
            logger.warning("article %s/%s: %s", site, row["article_id"], exc)
            return "invalid"
        # A stored row is always written back (dedupe's verdict for a known id is "update"): one of these moved.
        changed = {key for key, value in self.stats.items() if value != before.get(key)}
        return next(outcome.value for outcome, stat in
                    ((Outcome.NEW, STORED), (Outcome.UPDATED, UPDATED), (Outcome.UNCHANGED, UNCHANGED))
                    if stat in changed)


class _Stats(Counter):
    """The counters pipelines keep (Scrapy's stats collector API, the part they use)."""

    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None:
        self[key] += count

    def get_value(self, key: str, default=None):
        return self.get(key, default)


def _instant(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat((value or "").replace("Z", "+00:00"))
    except ValueError:
        return None


def real_url(site_name: str, fetched_url: str) -> str:
    """The fetched URL's path on the site's real host (what the spider hands the extractor)."""
    parts = urlsplit(fetched_url)
    return get_site(site_name).base_url + parts.path + (f"?{parts.query}" if parts.query else "")
