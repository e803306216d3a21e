"""`arshif reparse`: the stored articles re-extracted from their WARC records (``crawler.reparse``).

A module of its own so that the command loads none of the other archive commands' code: a reparse's start-up
is part of its pages per CPU-second (issue 22).
"""

from __future__ import annotations

from pathlib import Path

import click

from crawler.cli.base import (ProcessCount, cli, db_option, default_warc_dir, live_line, site_option, window_options,
                              window_query)
from crawler.errors import UsageError
from crawler.lock import ArchiveLock


@cli.command()
@db_option
@click.option("--warc", "warc_dir", type=click.Path(file_okay=False),
              help="Directory of the WARC files the rows point to [default: <db dir>/warc].")
@site_option
@window_options
@click.option("--jobs", type=ProcessCount(1, "auto"), default="auto", show_default=True, metavar="N|auto",
              help="Processes that extract; auto: every usable core for a big selection, one process for a small"
                   " one (the archive keeps one writer: this process).")
def reparse(db_path, warc_dir, site, since, until, jobs):
    """Re-extract stored articles from their WARC records with the current extractor — no network.

    A changed field makes a new version (the old one stays in article_versions), as a refetch would;
    only rows captured with WARC (crawls with --warc, backfills) can be re-extracted.

    \b
    Examples:
        arshif reparse --db arshif.db
        arshif reparse --warc /data/warc --since 2016-01-01 --until 2016-06-30
        arshif reparse --db arshif.db --jobs 1            # one process (default auto: every core)
    """
    from crawler.reparse import reparse as run_reparse

    warc = Path(warc_dir) if warc_dir else default_warc_dir(db_path)
    if not warc.is_dir():
        raise UsageError(f"no WARC directory at {warc} (give --warc DIR)")
    query = window_query(since, until, site=site)
    def progress(result) -> None:
        if result.rows % 100 == 0 or result.rows == result.total:
            live_line(f"{result.rows:,}/{result.total:,} articles re-extracted · {result.updated:,} changed")

    with ArchiveLock(db_path):  # it writes: not beside a crawl
        result = run_reparse(db_path, warc, query, on_row=progress, jobs=jobs)
    live_line("", end="")
    click.echo(
        f"reparse run {result.run_id}: {result.rows:,} articles with WARC records — {result.updated:,} changed"
        f" (new version), {result.unchanged:,} unchanged, {result.no_article:,} without article now,"
        f" {result.missing_record:,} unreadable records"
        + (f", {result.recovered:,} failed extractions recovered" if result.recovered else "")
        + (f" ({result.jobs} extracting processes)" if result.jobs > 1 else ""),
        err=True,
    )
    if result.total and result.missing_record == result.total:
        raise UsageError(f"not one WARC record readable under {warc} (wrong --warc?)")
