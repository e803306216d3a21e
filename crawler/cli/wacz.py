"""`arshif export --format wacz`: the part of the export command that writes a WACZ (crawler.wacz)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from crawler.cli.base import live_line
from crawler.errors import UsageError

if TYPE_CHECKING:
    from crawler.storage import ArticleQuery

SHOWN_MISSING = 10
SHOWN_FOREIGN = 3


def export_wacz_command(db_path: str, output: str, warc_dir: Path, query: ArticleQuery,
                        progress: Callable[[int], None]) -> None:
    """Write, validate and summarize a WACZ; the articles without a WARC record are listed, not dropped."""
    from crawler.wacz import export_wacz

    if output == "-":
        raise UsageError("a WACZ is a zip file: give -o FILE.wacz")
    if not warc_dir.is_dir():
        raise UsageError(f"no WARC directory at {warc_dir} (give --warc DIR)")
    result = export_wacz(db_path, output, warc_dir, query, on_row=progress)
    live_line("", end="")
    if result.foreign:
        shown = ", ".join(result.foreign[:SHOWN_FOREIGN]) + (" …" if len(result.foreign) > SHOWN_FOREIGN else "")
        click.echo(f"note: left out {len(result.foreign):,} WARC file{'s' if len(result.foreign) != 1 else ''}"
                   f" in {warc_dir} that this archive does not name (another archive's): {shown}", err=True)
    click.echo(f"{result.pages:,} of {result.articles:,} articles → {output} (valid WACZ,"
               f" {len(result.warc_files):,} WARC file{'s' if len(result.warc_files) != 1 else ''})", err=True)
    if result.without_warc:
        click.echo(f"{len(result.without_warc):,} articles have no WARC record in it"
                   f" (listed in {result.missing_list}):", err=True)
        for row in result.without_warc[:SHOWN_MISSING]:
            click.echo(f"  {row['site']}/{row['article_id']}  {row['url']}  ({row['reason']})", err=True)
        if len(result.without_warc) > SHOWN_MISSING:
            click.echo(f"  … {len(result.without_warc) - SHOWN_MISSING:,} more", err=True)
