"""What each page of `arshif serve` shows, as plain data: the HTML templates and the JSON views render
the same dicts. Each function takes the read-only connection Datasette hands out."""

from __future__ import annotations

import sqlite3
from dataclasses import asdict
from typing import Any

from crawler.search import marked_words, snippet
from crawler.serve import chart
from crawler.serve.diff import record_diff
from crawler.storage import ArchiveReader, ArticleQuery

RECENT_RUNS = 10
RESULTS_PER_PAGE = 20
RUNS_PER_PAGE = 50
TITLE_WORDS = 1000
# What the article page shows of each alias.
ALIAS_COLUMNS = ("alias_id", "alias_url", "kind", "similarity", "title", "published_at", "first_seen_at")


def home(conn: sqlite3.Connection) -> dict[str, Any]:
    browse = ArchiveReader.over(conn)
    totals = browse.totals()
    months = chart.monthly_counts(browse.articles_per_month())
    low, high = browse.id_span()
    size = chart.block_size_for(low, high)
    blocks = chart.block_counts(browse.id_blocks(size), low, high, size)
    return {
        "totals": totals,
        "runs": browse.runs(limit=RECENT_RUNS),
        "months": months,
        "empty_months": [row["month"] for row in months if not row["articles"]],
        "id_blocks": {"block_size": size, "first_id": low, "last_id": high, "blocks": blocks},
    }


def home_charts(data: dict[str, Any]) -> dict[str, str]:
    """The SVG of the home page's two charts (HTML only; the JSON holds their numbers)."""
    return {"months_svg": chart.months_chart(data["months"]),
            "blocks_svg": chart.blocks_chart(data["id_blocks"]["blocks"])}


FACET_NAMES = ("category", "year", "agency", "author")


def search(conn: sqlite3.Connection, text: str, filters: ArticleQuery, *, page: int = 1) -> dict[str, Any]:
    """Matches as `arshif search` finds them (crawler.storage.search_condition), with facets and marked
    snippets and titles (crawler.search.marked_words)."""
    data: dict[str, Any] = {"q": text, "filters": {k: v for k, v in asdict(filters).items() if k in FACET_NAMES and v}, "page": page,
                            "per_page": RESULTS_PER_PAGE, "total": 0, "hits": [], "facets": {}}
    if not text.strip():
        return data
    words = marked_words(text)
    browse = ArchiveReader.over(conn)
    data["total"] = browse.search_count(text, filters)
    hits = browse.search(text, filters, limit=RESULTS_PER_PAGE, offset=(page - 1) * RESULTS_PER_PAGE)
    for hit in hits:
        paragraphs = hit.pop("paragraphs")
        hit["snippet_html"] = snippet(paragraphs, words, html=True)
        hit["title_html"] = snippet([hit["title"] or ""], words, TITLE_WORDS, html=True)  # the whole title, marked
    data["hits"] = hits
    data["facets"] = browse.search_facets(text, filters)
    return data


def article(conn: sqlite3.Connection, site: str, article_id: int) -> dict[str, Any] | None:
    """The article with its aliases, near duplicates and versions (each diffed against the next state)."""
    browse = ArchiveReader.over(conn)
    row = browse.article_row(site, article_id)
    if row is None:
        return None
    versions = browse.article_versions(site, article_id)
    states = [version["record"] for version in versions] + [{key: row.get(key) for key in row}]
    history = []
    for i, version in enumerate(versions):
        diff = record_diff(states[i], states[i + 1])
        history.append({
            "version": version["version"],
            "valid_from": version["valid_from"],
            "replaced_at": version["replaced_at"],
            "replaced_by_run_id": version["replaced_by_run_id"],
            "next_version": versions[i + 1]["version"] if i + 1 < len(versions) else row.get("version"),
            "record": version["record"],
            "diff": diff,
        })
    original = None
    if row.get("near_duplicate_of") is not None:
        original = browse.article_row(site, row["near_duplicate_of"])
        original = original and {k: original[k] for k in ("article_id", "title", "published_at")}
    return {
        "article": row,
        "aliases": [{key: alias[key] for key in ALIAS_COLUMNS} for alias in browse.aliases_of(site, article_id)],
        "near_duplicates": browse.near_duplicates(site, article_id),
        "near_duplicate_of": original,
        "versions": list(reversed(history)),  # newest change first
    }


def runs(conn: sqlite3.Connection, *, page: int = 1) -> dict[str, Any]:
    browse = ArchiveReader.over(conn)
    return {
        "total": browse.count_runs(),
        "page": page,
        "per_page": RUNS_PER_PAGE,
        "runs": browse.runs(limit=RUNS_PER_PAGE, offset=(page - 1) * RUNS_PER_PAGE),
    }
