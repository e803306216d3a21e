"""What travels with every export: a Frictionless Data Package and a short human card.

Exporting ``out/articles.jsonl`` also writes

- ``out/datapackage.json``: a Frictionless Data Package (https://datapackage.org) with one resource per
  export file of that folder (an export replaces its own resource and keeps the others): its path,
  format, row count and a schema giving each column's type and description (``COLUMNS``);
- ``out/articles.jsonl.md``: the card — outlet(s), period, counts, dedupe rules, known gaps (misses,
  open failures, id ranges never seen), the runs behind its rows (``ArchiveReader.runs_behind``) with
  their Arshif version, and a placeholder for the publisher's terms, which the team must fill in before
  sharing the data.

The same facts are in the resource's ``arshif`` key (machine-readable). Parquet files carry each
column's description in their schema metadata (``export.parquet_schema``). A stdout export has neither.
``validate_package`` checks every row of every file of a package with the ``frictionless`` library.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from crawler.storage import ArchiveReader, ArticleQuery

# Column → (Frictionless type, description). Lists are JSON arrays in JSONL and CSV cells.
COLUMNS: dict[str, tuple[str, str]] = {
    "site": ("string", "The outlet's site name in Arshif (e.g. alhadath)."),
    "article_id": ("integer", "The article's number on the site (or a stable key from its URL for sites without one);"
                              " with site, the row's key."),
    "url": ("string", "The canonical URL of the article."),
    "title": ("string", "The headline as published."),
    "subtitle": ("string", "The sub-headline, empty when there is none."),
    "published_at": ("datetime", "Publication time, ISO 8601 with the page's own UTC offset (e.g. +02:00 in"
                                 " Asia/Hebron's winter); never the visit day."),
    "published_at_offset": ("string", "Parquet only: the UTC offset published_at was written with."),
    "published_raw": ("string", "The publication date exactly as printed on the page."),
    "published_hijri": ("string", "The publication day in the Umm al-Qura calendar, YYYY-MM-DD."),
    "modified_at": ("datetime", "Last modification time the page declares, ISO 8601, when it declares one."),
    "modified_at_offset": ("string", "Parquet only: the UTC offset modified_at was written with."),
    "byline_raw": ("string", "The byline as printed."),
    "authors": ("array", "Author names read from the byline."),
    "agencies": ("array", "News agencies credited, as canonical codes (AFP, Reuters, WAFA, ...)."),
    "dateline": ("string", "The place the story was filed from, when the text opens with one."),
    "paragraphs": ("array", "The body, one string per paragraph (CSV: the text with blank lines between)."),
    "images": ("array", "Images of the article: objects with url and caption."),
    "category": ("string", "The site's section of the article."),
    "tags": ("array", "The site's tags of the article."),
    "language": ("string", "Language code of the text (ar)."),
    "encoding": ("string", "The character encoding the page was served in."),
    "content_hash": ("string", "Hash of the normalised body: equal hashes are exact copies (stored once)."),
    "near_duplicate_of": ("integer", "The earlier article this one repeats almost word for word, if any."),
    "similarity": ("number", "Similarity (0-1) to near_duplicate_of."),
    "version": ("integer", "How many times the stored record has changed, starting at 1."),
    "first_seen_at": ("datetime", "When Arshif first stored the article (UTC)."),
    "last_seen_at": ("datetime", "When a crawl last saw it (UTC); moves without a change."),
    "updated_at": ("datetime", "When the record last changed (UTC): a new version."),
    "first_run_id": ("integer", "The crawl run that first stored it (see the card's runs)."),
    "last_run_id": ("integer", "The crawl run that last saw it."),
    "warc_record": ("string", "Where the raw page is kept: WARC file and offset, when captured."),
    "aliases": ("array", "Other ids/urls of the same article (exact copies, redirects): alias_id, alias_url, kind,"
                         " similarity, title, published_at."),
    "change": ("string", "Incremental exports: new, changed (a new version), aliased (an alias or dedupe link"
                         " appeared or moved) or merged (this id is now part of merged_into: drop it)."),
    "merged_into": ("integer", "Incremental exports, change = merged: the article this id now belongs to."),
    "valid_from": ("datetime", "--versions: when this version became the stored one (UTC)."),
    "valid_to": ("datetime", "--versions: when a later version replaced it (UTC); empty for the current one."),
    "run_id": ("integer", "--versions: the run that stored this version (its first run for version 1)."),
    "current": ("boolean", "--versions: true for the stored (latest) version."),
}

DEDUPE_RULES = (
    "One row per article: the same story under another id or URL (identical normalised body, or a redirect)"
    " is stored once, under the earliest id, and listed in `aliases`; a story that repeats another almost word"
    " for word (MinHash similarity ≥ the archive's threshold) is kept with `near_duplicate_of` pointing to the"
    " original. A refetch that changes the record makes a new version; the earlier ones are kept"
    " (`--versions`)."
)
TERMS_PLACEHOLDER = (
    "**TO FILL IN before sharing:** the publisher's terms of use and copyright for this content, and the"
    " licence under which you may share this dataset. Arshif records what was published; it grants no rights."
)


def field_type(name: str) -> str:
    return COLUMNS.get(name, ("string", ""))[0]


def schema(columns: Sequence[str], fmt: str) -> dict[str, Any]:
    # CSV cells: the body is plain text (export.write_csv), other lists JSON arrays (Frictionless "array").
    return {"fields": [{"name": name, "type": "string" if fmt == "csv" and name == "paragraphs" else field_type(name),
                        "description": COLUMNS.get(name, ("", ""))[1]} for name in columns]}


def card_facts(reader: ArchiveReader, query: ArticleQuery, *, rows: int, fmt: str, versions: bool = False,
               changes_since: str | None = None, cursor: str = "") -> dict[str, Any]:
    """The facts of the card, from the archive itself: what the export holds and what the archive knows."""
    from crawler import __version__

    periods = reader.period(query)
    sites = [period["site"] for period in periods] or ([query.site] if query.site else reader.sites())
    summary = {site: reader.summary(site) for site in sites}
    coverage = {site: reader.coverage(site) for site in sites}
    return {
        "arshif_version": __version__,
        "format": fmt,
        "rows": rows,
        "versions": versions,
        "changes_since": changes_since,
        "next_cursor": cursor,
        "outlets": [
            {**period, "archive_articles": summary[period["site"]].articles} for period in periods
        ] or [{"site": site, "articles": 0, "archive_articles": summary[site].articles} for site in sites],
        "archive": {
            site: {
                "articles": s.articles, "aliases": s.aliases, "near_duplicates": s.near_duplicates,
                "earlier_versions": s.versions, "misses": s.misses, "open_failures": s.open_failures,
                "misses_by_reason": coverage[site]["misses_by_reason"],
                "never_seen": coverage[site]["never_seen"],
                "never_seen_ids": coverage[site]["never_seen_ids"],
            }
            for site, s in summary.items()
        },
        "runs": [  # the runs behind the exported rows, not every run of the archive
            {key: run.get(key) for key in ("id", "command", "spider", "started_at", "finished_at", "status",
                                           "arshif_version", "git_commit", "scrapy_version")}
            for run in reader.runs_behind(query, versions=versions)
        ],
        "archive_runs": reader.count_runs(),
    }


def card_markdown(name: str, facts: dict[str, Any]) -> str:
    lines = [f"# Dataset card: {name}", ""]
    kind = "every version of each article" if facts["versions"] else "articles"
    if facts["changes_since"]:
        kind = f"articles added or changed since {facts['changes_since']}"
    lines += [f"{facts['rows']:,} rows ({facts['format']}): {kind}. Made by Arshif {facts['arshif_version']}."
              f" Next incremental export: `--changes-since {facts['next_cursor']}`.", "", "## Outlets and period", ""]
    for outlet in facts["outlets"]:
        lines.append(f"- **{outlet['site']}**: {outlet['articles']:,} articles in this export"
                     f" (the archive holds {outlet['archive_articles']:,}), published"
                     f" {outlet.get('first_published') or '?'} … {outlet.get('last_published') or '?'}")
    lines += ["", "## Counts in the archive", "",
              "| site | articles | aliases | near duplicates | earlier versions | misses | open failures |",
              "|---|---|---|---|---|---|---|"]
    for site, a in facts["archive"].items():
        lines.append(f"| {site} | {a['articles']:,} | {a['aliases']:,} | {a['near_duplicates']:,} |"
                     f" {a['earlier_versions']:,} | {a['misses']:,} | {a['open_failures']:,} |")
    lines += ["", "## How it was deduplicated", "", DEDUPE_RULES, "", "## Known gaps", ""]
    for site, a in facts["archive"].items():
        misses = ", ".join(f"{m['reason']}: {m['misses']:,}" for m in a["misses_by_reason"]) or "none"
        ranges = ", ".join(f"{g['first']}-{g['last']}" if g["first"] != g["last"] else str(g["first"])
                           for g in a["never_seen"][:20]) or "none"
        more = f" (and {len(a['never_seen']) - 20:,} more ranges)" if len(a["never_seen"]) > 20 else ""
        lines += [f"- **{site}**: misses (ids with no article) {misses}; {a['open_failures']:,} open failures"
                  f" (fetches that failed; `arshif coverage` lists them); {a['never_seen_ids']:,} ids never seen"
                  f" between the first and last known id: {ranges}{more}"]
    lines += ["", "## Runs", "", f"{len(facts['runs']):,} of the archive's {facts['archive_runs']:,} crawl runs"
              " stored or last saw these rows" + (" (newest first; `arshif stats` shows their counts):"
                                                   if facts["runs"] else "."), ""]
    for run in facts["runs"][:20]:
        version = run.get("arshif_version") or "version not recorded"
        lines.append(f"- run {run['id']} `{run['command']}` {run['started_at']} → {run['status']}, Arshif {version}"
                     + (f" ({run['git_commit'][:12]})" if run.get("git_commit") else ""))
    lines += ["", "## Terms", "", TERMS_PLACEHOLDER, ""]
    return "\n".join(lines)


def write_package(output: Path, fmt: str, columns: Sequence[str], facts: dict[str, Any], *, excel: bool = False
                  ) -> tuple[Path, Path]:
    """``datapackage.json`` beside ``output`` (this file's resource added or replaced) and ``output.md``."""
    descriptor_path = output.with_name("datapackage.json")
    descriptor: dict[str, Any] = {"name": "arshif-export", "resources": []}
    if descriptor_path.is_file():
        try:
            descriptor = json.loads(descriptor_path.read_text(encoding="utf-8"))
        except ValueError:
            pass
    resource = {
        "name": _resource_name(output.name),
        "path": output.name,
        "format": fmt,
        "mediatype": {"jsonl": "application/jsonl", "csv": "text/csv", "parquet": "application/vnd.apache.parquet"}[fmt],
        "encoding": "utf-8-sig" if excel else "utf-8",  # --excel starts with a BOM
        "description": f"Arshif export ({facts['rows']:,} rows); card: {output.name}.md",
        "schema": schema(columns, fmt),
        "arshif": facts,
    }
    if fmt == "csv":
        resource["dialect"] = {"csv": {"delimiter": ",", "lineTerminator": "\r\n", "quoteChar": '"'}}
    descriptor["resources"] = [r for r in descriptor.get("resources", []) if r.get("path") != output.name]
    descriptor["resources"].append(resource)
    descriptor_path.write_text(json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    card = output.with_name(output.name + ".md")
    card.write_text(card_markdown(output.name, facts), encoding="utf-8")
    return descriptor_path, card


def _resource_name(filename: str) -> str:
    """Frictionless names: lower-case letters, digits, ``-._``."""
    cleaned = "".join(ch if ch.isalnum() and ch.isascii() or ch in "-._" else "-" for ch in filename.lower())
    return cleaned.strip("-") or "export"


def validate_package(descriptor: str | Path) -> dict[str, Any]:
    """Validate every row of every file of an export's ``datapackage.json`` with frictionless: {path: Report}.

    JSONL and CSV files are read by frictionless itself. A Parquet file is read row by row with pyarrow
    (Python ints, lists, tz-aware datetimes, exactly as stored) and frictionless validates those rows, header
    first, against the same resource's schema. Why not frictionless's own Parquet reader: it goes through
    pandas, which turns a nullable integer column into floats and a list into a numpy array, so a correct file
    reports type errors (e.g. ``near_duplicate_of`` 12.0, ``authors`` array(['…'])). Needs ``frictionless``
    (and ``pyarrow`` for Parquet); e.g.::

        reports = validate_package("data/datapackage.json")
        assert all(report.valid for report in reports.values())
    """
    import frictionless

    reports = {}
    for resource in frictionless.Package(str(descriptor)).resources:
        checked = _parquet_rows(resource) if resource.format == "parquet" else resource
        reports[resource.path] = frictionless.validate(checked)
    return reports


def _parquet_rows(resource: Any) -> Any:
    """An inline frictionless resource of the Parquet file's rows (its header first), streamed in batches."""
    import frictionless
    import pyarrow.parquet as pq

    path = resource.normpath  # the package folder joined with the resource's (checked, relative) path

    def rows():
        with pq.ParquetFile(path) as parquet:
            names = parquet.schema_arrow.names
            yield names
            for batch in parquet.iter_batches(batch_size=1000):
                for row in batch.to_pylist():
                    yield [row[name] for name in names]

    return frictionless.Resource(data=rows, name=resource.name, schema=resource.schema)
