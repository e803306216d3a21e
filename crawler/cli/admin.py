"""`arshif check` and `arshif backup`: the archive file's health and a consistent copy of it."""

from __future__ import annotations

import click

from crawler.cli.base import cli, db_option
from crawler.errors import BadArchiveError


@cli.command()
@db_option
def check(db_path) -> None:
    """Check the archive: SQLite's integrity and foreign-key checks, the search index against the
    articles, and the archive's own rules (every alias points at a stored article, no miss for a stored
    article, versions 1 … n-1 for an article at version n). Reads the whole file; never writes.

    Exit 0 when sound; 10 with one line per problem and what to do about it.

    \b
    Examples:
        arshif check --db arshif.db
        arshif check --db arshif.db || mail -s "arshif archive damaged" ops@example.org < /dev/null
    """
    from crawler.storage.health import check_archive

    findings = check_archive(db_path)
    for finding in findings:
        examples = f" (e.g. {', '.join(finding.examples)})" if finding.examples else ""
        click.echo(f"{finding.name}: {finding.count:,} — {finding.what}{examples}")
        click.echo(f"  what to do: {finding.todo}")
    if findings:
        raise BadArchiveError(f"{db_path}: {len(findings)} problem{'s' if len(findings) != 1 else ''} found")
    click.echo(f"{db_path}: ok (integrity, foreign keys, search index, aliases, misses, versions)")


@cli.command()
@click.argument("dest", type=click.Path())
@db_option
@click.option("--overwrite", is_flag=True, help="Replace DEST if it exists.")
def backup(dest, db_path, overwrite) -> None:
    """Copy the archive to DEST (a file, or a folder) consistently, even while a crawl writes to it.

    SQLite's online backup from one snapshot: the copy holds every batch committed when it started and
    nothing half-written. Written as DEST.part, checked, then renamed.

    \b
    Examples:
        arshif backup /backup/arshif-$(date +%F).db --db arshif.db
        arshif backup /backup/ --db /srv/arshif/arshif.db      # → /backup/arshif.db
    """
    from crawler.storage.health import backup_archive

    target = backup_archive(db_path, dest, overwrite=overwrite)
    click.echo(f"{db_path} → {target} ({target.stat().st_size:,} bytes)")
