"""`arshif export`, `arshif stats`, `arshif coverage`, `arshif migrate`, `arshif search`: working with the archive
(`arshif reparse` is crawler.cli.reparse's: it loads this module's code for none of them)."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import click

from crawler.cli.base import cli, db_option, default_warc_dir, live_line, site_option, window_options, window_query
from crawler.errors import UsageError
from crawler.lock import ArchiveLock


# -- export -------------------------------------------------------------------------------------


@cli.command()
@db_option
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "parquet", "wacz"]), required=True,
              help="jsonl (one JSON object a line), csv (for people: the body as text, other lists as JSON arrays), parquet (needs pyarrow)"
                   " or wacz (the WARC captures for ReplayWeb.page/pywb; needs wacz).")
@click.option("-o", "--output", default="-", show_default=True,
              help="Output file, written as FILE.part and renamed when complete; '-' = stdout.")
@window_options
@site_option
@click.option("--run", "run_ids", type=int, multiple=True,
              help="Only articles this crawl run added or changed (see `arshif stats`); repeatable.")
@click.option("--changes-since", "changes_since", metavar="CURSOR",
              help="Only what was added or changed since CURSOR: a run id, an ISO time, or the cursor the last"
                   " export printed (and wrote to FILE.cursor); adds columns change and merged_into.")
@click.option("--versions", is_flag=True,
              help="Every version of each article: the record as it was, version, valid_from, valid_to, run_id,"
                   " current.")
@click.option("--include-aliases", is_flag=True, help="Add an `aliases` list: the other ids/urls of each article.")
@click.option("--no-near-duplicates", is_flag=True,
              help="Leave out articles that repeat another almost word for word (near_duplicate_of set).")
@click.option("--warc", "warc_dir", type=click.Path(file_okay=False),
              help="wacz: directory of the WARC files [default: <db dir>/warc].")
@click.option("--excel", is_flag=True,
              help="CSV for spreadsheets: UTF-8 BOM, CRLF, cells starting with = + - @ tab or CR prefixed with '.")
def export(db_path, fmt, output, since, until, site, run_ids, changes_since, versions, include_aliases,
           no_near_duplicates, warc_dir, excel):
    """Export articles as a dataset, streamed in constant memory.

    UTF-8 as stored (no \\u escapes); published_at in ISO 8601 with its offset and published_hijri
    (Umm al-Qura) beside it; rows in (site, article_id) order.

    \b
    Examples:
        arshif export --format jsonl -o articles.jsonl
        arshif export --format csv --since 2016-01-01 --until 2016-12-31 -o 2016.csv
        arshif export --format csv --excel -o articles.csv
        arshif export --format parquet --run 12 --run 13 --include-aliases -o runs.parquet
        arshif export --format jsonl --changes-since "$(cat full.jsonl.cursor)" -o changes.jsonl
        arshif export --format parquet --versions -o versions.parquet
        arshif export --format jsonl | jq .title
        arshif export --format wacz -o archive.wacz       # open it in ReplayWeb.page
    """
    from crawler.export import export_archive

    query = window_query(since, until, site=site, run_ids=tuple(run_ids))
    if run_ids:
        from crawler.export import check_runs
        from crawler.storage import open_archive

        with open_archive(db_path) as reader:
            check_runs(reader, run_ids)
    if fmt == "parquet" and output == "-" and sys.stdout.isatty():
        raise UsageError("Parquet is binary: give -o FILE (or pipe stdout)")
    def progress(rows: int) -> None:
        if rows % 1000 == 0:
            live_line(f"{rows:,} articles exported")

    if fmt == "wacz" and (changes_since or versions):
        raise UsageError("--changes-since and --versions are for jsonl, csv and parquet")
    if fmt == "wacz":
        from crawler.cli.wacz import export_wacz_command

        warc = Path(warc_dir) if warc_dir else default_warc_dir(db_path)
        query = replace(query, originals_only=no_near_duplicates)
        return export_wacz_command(db_path, output, warc, query, progress)
    if excel and fmt != "csv":
        raise UsageError("--excel is for --format csv")
    result = export_archive(db_path, fmt, output, query, include_aliases=include_aliases,
                            originals_only=no_near_duplicates, excel=excel,
                            on_row=None if output == "-" else progress, changes_since=changes_since,
                            versions=versions)
    if output != "-":
        live_line("", end="")
        merged = f" (of which {result.merged:,} merged into another article)" if changes_since else ""
        click.echo(f"{result.rows:,} {'rows' if changes_since or versions else 'articles'}{merged} → {output}", err=True)
    if result.truncated_cells:
        click.echo(f"csv: {result.truncated_cells:,} cells over Excel's 32,767-character limit were cut and end"
                   " with \"[…truncated\" (the whole text is in the jsonl and parquet exports)", err=True)
    if result.card is not None:
        click.echo(f"dataset card: {result.card}; Frictionless package: {result.package}", err=True)
    if result.rows == 0:
        click.echo("the selection is empty: no article matches"
                   + (f" (nothing changed since {changes_since})" if changes_since else ""), err=True)
    where = f" (also in {output}.cursor)" if output != "-" else ""
    click.echo(f"next cursor: {result.cursor}  — pass it as --changes-since next time{where}", err=True)
    if excel:
        click.echo(f"excel: UTF-8 BOM and CRLF; {result.neutralised_cells:,} cells starting with = + - @ tab or CR"
                   " were prefixed with ' so a spreadsheet shows them as text (CSV injection guard)", err=True)


# -- stats --------------------------------------------------------------------------------------


def _abandon_dead_runs(db_path) -> None:
    """Runs left "running" by a dead process become "abandoned" (crawler.runstate); the run lock says whether
    any run holds the archive now. The one write ``stats`` makes, through the writer."""
    from crawler.errors import LockedError
    from crawler.lock import ArchiveLock
    from crawler.runstate import abandon_dead_runs
    from crawler.storage import Archive

    lock = ArchiveLock(db_path)
    try:
        lock.acquire()
    except LockedError:
        with Archive.existing(db_path) as archive:
            abandon_dead_runs(archive, lock_free=False)
        return
    try:
        with Archive.existing(db_path) as archive:
            abandon_dead_runs(archive, lock_free=True)
    finally:
        lock.release()


@cli.command()
@db_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON instead of tables.")
@click.option("--runs", default=10, show_default=True, help="How many recent runs to list.")
def stats(db_path, as_json, runs):
    """What the archive holds: articles per year and category, field coverage, aliases by kind,
    misses, failures by reason and the last runs with their status.

    \b
    Examples:
        arshif stats --db arshif.db
        arshif stats --json | jq .coverage
    """
    from crawler.storage import open_archive

    with open_archive(db_path):  # a damaged or outdated archive says so before anything is written
        pass
    _abandon_dead_runs(db_path)
    with open_archive(db_path) as archive:
        data = archive.stats(recent_runs=runs)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo(f"{db_path}: {data['articles']:,} articles, {data['versions']:,} earlier versions, "
               f"{data['near_duplicates']:,} near duplicates, published {data['first_published'] or '?'}"
               f" … {data['last_published'] or '?'}")
    _table("Articles per year", ["year", "articles"], data["per_year"])
    _table("Articles per category", ["category", "articles"], data["per_category"])
    coverage = [{"field": k, "coverage": f"{v:.1%}"} for k, v in data["coverage"].items()]
    _table("Field coverage", ["field", "coverage"], coverage)
    _table("Aliases by kind", ["kind", "aliases"], data["aliases_by_kind"])
    _table(f"Misses ({data['misses']:,})", ["reason", "misses"], data["misses_by_reason"])
    _table("Failures by reason", ["reason", "failures", "open"], data["failures_by_reason"])
    _table("Last runs", ["id", "command", "started_at", "status", "pages", "articles_new", "articles_updated",
                         "aliases", "misses", "failures", "alarm_reason"], data["runs"])


def _table(title: str, columns: list[str], rows: list[dict[str, Any]]) -> None:
    click.echo()
    click.secho(title, bold=True)
    if not rows:
        click.echo("  (none)")
        return
    cells = [[_cell(row.get(column)) for column in columns] for row in rows]
    widths = [max(len(column), *(len(row[i]) for row in cells)) for i, column in enumerate(columns)]
    click.echo("  " + "  ".join(column.ljust(width) for column, width in zip(columns, widths)).rstrip())
    for row in cells:
        click.echo("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return f"{value:,}" if isinstance(value, int) else str(value)


# -- coverage -----------------------------------------------------------------------------------


@cli.command()
@db_option
@site_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON.")
def coverage(db_path, site, as_json):
    """What the archive is missing: id ranges never seen between the first and last known id, misses by
    reason, open failures, and the `arshif backfill --ids ...` command that would fill the gaps.

    \b
    Examples:
        arshif coverage --db arshif.db
        arshif coverage --json | jq .[0].backfill
    """
    from crawler.storage import open_archive

    with open_archive(db_path) as reader:
        sites = [site] if site else reader.sites()
        found = [reader.coverage(name) for name in sites]
    for entry in found:
        ranges = [f"{g['first']}-{g['last']}" if g["first"] != g["last"] else str(g["first"])
                  for g in entry["never_seen"]]
        ranges += [str(f["article_id"]) for f in entry["open_failures"] if f["article_id"] is not None]
        entry["backfill"] = (f"arshif backfill {entry['site']} --ids {','.join(ranges)} --db {db_path}"
                             if ranges else None)
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    for entry in found:
        click.secho(f"{entry['site']}: ids {entry['first_id']}…{entry['last_id']}, {entry['articles']:,} articles,"
                    f" {entry['aliases']:,} aliases, {entry['never_seen_ids']:,} ids never seen", bold=True)
        _table("Never seen", ["first", "last", "ids"], entry["never_seen"])
        _table("Misses by reason", ["reason", "misses"], entry["misses_by_reason"])
        _table("Open failures", ["article_id", "url", "reason", "attempts"], entry["open_failures"])
        click.echo(f"\nTo fill the gaps: {entry['backfill'] or 'nothing to fill'}")


# -- migrate ------------------------------------------------------------------------------------


@cli.command()
@db_option
def migrate(db_path):
    """Upgrade an archive written by an older arshif to this version's schema (readers — export, stats,
    search, coverage, serve — never do it, and say so in one line with exit code 11), and build the search
    impacts of every block that lacks them (an archive from before impacts: ~80 CPU-s for 338,000 articles;
    until built, those blocks are ranked by FTS5 as before, with the same results, only slower).

    \b
    Example:
        arshif migrate --db arshif.db
    """
    from crawler.storage import Archive, pending_migrations
    from crawler.storage.impacts import blocks_due
    from crawler.storage.reader import read_only_connection

    conn = read_only_connection(db_path)
    try:
        pending = pending_migrations(conn)
        due = blocks_due(conn) if not pending else None
    finally:
        conn.close()
    if not pending and not due:
        click.echo(f"{db_path}: up to date", err=True)
        return
    with ArchiveLock(db_path):  # it writes: not beside a crawl
        archive = Archive(db_path)
        try:
            if pending:
                click.echo(f"{db_path}: applied {len(pending)} migration(s): {', '.join(pending)}", err=True)
            click.echo(f"{db_path}: building search impacts …", err=True)
            built = archive.build_search_impacts()
        finally:
            archive.close()
    click.echo(f"{db_path}: search impacts built for {built} block(s) of 1,024 articles", err=True)


# -- search -------------------------------------------------------------------------------------


@cli.command()
@click.argument("text")
@db_option
@window_options
@site_option
@click.option("--limit", default=20, show_default=True, help="At most this many results, best first.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per result.")
def search(text, db_path, since, until, site, limit, as_json):
    """Full-text search of titles and bodies, with Arabic folding and light stemming: a query with
    tashkeel, أ/إ/آ or ؤ/ئ variants finds the plain text, a bare word finds it with و/ف/ب/ل/ك/ال attached
    and pronoun or plural endings (إسرائيل finds بإسرائيل, حكومة finds الحكومة and حكومتها). Words in
    double quotes are an exact phrase.

    \b
    Examples:
        arshif search "الأسرى"
        arshif search '"رام الله" مسيرة'
        arshif search "رام الله" --since 2016-01-01 --limit 5
    """
    from crawler.search import search as run_search

    if not text.strip():
        raise UsageError("give some words to search for")
    query = window_query(since, until, site=site)
    hits = run_search(db_path, text, query, limit=limit)
    for hit in hits:
        if as_json:
            click.echo(json.dumps(asdict(hit), ensure_ascii=False))
            continue
        date = (hit.published_at or "?")[:16].replace("T", " ")
        click.secho(f"{date}  ({hit.published_hijri or '?'} هـ)  {hit.title}", bold=True)
        click.echo(f"  {hit.url}")
        click.echo(f"  {hit.snippet}\n")
    if not as_json:
        click.echo(f"{len(hits)} result{'s' if len(hits) != 1 else ''}", err=True)
