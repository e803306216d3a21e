"""Re-extraction: run the current extractor over the WARC records the archive points to, offline.

Each article row with a ``warc_record`` is read back from its WARC file, extracted again and written
through the archive's normal upsert, so a changed field makes a new version exactly as a refetch would
(the previous state goes to ``article_versions``), and an unchanged one only moves ``last_seen_at``.
The row keeps its identity (site, id, canonical URL), its dedupe links and its WARC pointer.
The run is recorded in ``crawl_runs`` (command "reparse").
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from urllib.parse import urlsplit

from crawler.dedupe import Fingerprint
from crawler.site import get_site
from crawler.storage import (
    ArticleQuery,
    ArticleWrite,
    Outcome,
    RunCounts,
    count_articles,
    iter_articles,
    open_archive,
)
from crawler.warc import read_response
from pipelines.clean import CleanPipeline

logger = logging.getLogger(__name__)


@dataclass
class ReparseResult:
    run_id: int
    total: int = 0  # rows with a WARC record in the selection
    rows: int = 0  # done so far
    outcomes: dict[str, int] = field(default_factory=lambda: {o.value: 0 for o in Outcome})
    no_article: int = 0  # the current extractor finds no article in the stored page: row left as is
    missing_record: int = 0  # WARC file or record gone or corrupt: row left as is

    @property
    def updated(self) -> int:
        return self.outcomes[Outcome.UPDATED.value]

    @property
    def unchanged(self) -> int:
        return self.outcomes[Outcome.UNCHANGED.value]

    def counts(self) -> RunCounts:
        return RunCounts(pages=self.rows, articles_updated=self.updated, articles_unchanged=self.unchanged,
                         failures=self.missing_record, dropped=self.no_article)


def reparse(
    db_path: str | Path,
    warc_dir: str | Path,
    query: ArticleQuery = ArticleQuery(),
    *,
    on_row: Callable[[ReparseResult], None] | None = None,
) -> ReparseResult:
    """Re-extract every selected row that has a WARC record; ``on_row(result)`` after each (progress)."""
    from crawler.extract import extract_article  # lxml/trafilatura only when needed

    selection = ArticleQuery(query.site, query.since, query.until, with_warc=True)
    archive = open_archive(db_path)
    try:
        args = {"warc": str(warc_dir), "site": query.site, "since": query.since, "until": query.until}
        result = ReparseResult(archive.start_run(query.site or "all", command="reparse", args=args))
        result.total = count_articles(archive, selection)
        status = "failed"
        try:
            missing_files: set[str] = set()
            for row in iter_articles(archive, selection):
                outcome = _reparse_row(archive, row, warc_dir, result.run_id, extract_article, missing_files)
                if outcome is None:
                    result.missing_record += 1
                elif outcome == "no_article":
                    result.no_article += 1
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


def _reparse_row(archive, row: dict, warc_dir: str | Path, run_id: int, extract_article,
                 missing_files: set[str]) -> str | None:
    """One row: its Outcome value, "no_article", or None when its WARC record cannot be read."""
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
    # As the spider does: the page is read as if fetched from the real site (a mirror's host would
    # otherwise leak into absolute image URLs), and its record cleaned as the pipeline does.
    record = extract_article(captured.body, real_url(row["site"], captured.url), site=row["site"])
    if record is None:
        logger.warning("article %s/%s: no article in its WARC record any more", row["site"], row["article_id"])
        return "no_article"
    record = CleanPipeline().process_item(
        {**record, "site": row["site"], "article_id": row["article_id"], "url": row["url"]}
    )
    fingerprint = Fingerprint(record["paragraphs"])
    [outcome] = archive.upsert_articles([
        ArticleWrite(
            record=record,
            content_hash=fingerprint.content_hash,
            band_hashes=fingerprint.band_hashes,
            near_duplicate_of=row["near_duplicate_of"],
            similarity=row["similarity"],
            warc_record=row["warc_record"],
            run_id=run_id,
        )
    ])
    return outcome.value


def real_url(site_name: str, fetched_url: str) -> str:
    """The fetched URL's path on the site's real host (what the spider hands the extractor)."""
    parts = urlsplit(fetched_url)
    return get_site(site_name).base_url + parts.path + (f"?{parts.query}" if parts.query else "")
