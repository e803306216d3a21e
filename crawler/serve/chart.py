"""The home page's coverage charts, drawn server-side as inline SVG (no JavaScript, testable as text).

- :func:`months_chart`: one bar per calendar month over the archive's whole span, empty months
  included (drawn as a red tick on the axis), so a gap in publication dates shows at a glance.
- :func:`blocks_chart`: per block of consecutive ids, stored ids stacked with misses and open failures.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape
from typing import Any

WIDTH, HEIGHT, AXIS = 960, 180, 20
MAX_BLOCKS = 120
MIN_SLOTS = 24
NICE_SIZES = (10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000)


def month_span(first: str, last: str) -> list[str]:
    """Every "YYYY-MM" from ``first`` to ``last`` inclusive."""
    year, month = int(first[:4]), int(first[5:7])
    end = (int(last[:4]), int(last[5:7]))
    months = []
    while (year, month) <= end:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def monthly_counts(per_month: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``[{"month", "articles"}]`` filled to every month of the span (0 where none was published)."""
    counts = {row["month"]: row["articles"] for row in per_month if row["month"]}
    if not counts:
        return []
    return [{"month": month, "articles": counts.get(month, 0)} for month in month_span(min(counts), max(counts))]


def block_size_for(low: int | None, high: int | None) -> int:
    """A round block size giving at most ``MAX_BLOCKS`` blocks over the id span."""
    span = (high - low + 1) if low is not None and high is not None else 0
    return next((size for size in NICE_SIZES if span / size <= MAX_BLOCKS), NICE_SIZES[-1])


def block_counts(blocks: Iterable[Mapping[str, Any]], low: int | None, high: int | None, size: int) -> list[dict[str, Any]]:
    """``[{"first_id", "last_id", "stored", "misses", "failures", "unknown"}]`` for every block of the span."""
    if low is None or high is None:
        return []
    found = {row["block"]: row for row in blocks}
    filled = []
    for block in range(low // size, high // size + 1):
        row = found.get(block, {})
        first, last = max(block * size, low), min(block * size + size - 1, high)
        stored, misses, failures = row.get("stored", 0), row.get("misses", 0), row.get("failures", 0)
        unknown = max(0, last - first + 1 - stored - misses - failures)
        filled.append({"first_id": first, "last_id": last, "stored": stored, "misses": misses,
                       "failures": failures, "unknown": unknown})
    return filled


def _svg(label: str, body: list[str]) -> str:
    return (
        f'<svg class="chart" role="img" aria-label="{escape(label)}" viewBox="0 0 {WIDTH} {HEIGHT + AXIS}"'
        f' preserveAspectRatio="none" xmlns="http://www.w3.org/2000/svg">' + "".join(body) + "</svg>"
    )


def months_chart(months: list[dict[str, Any]]) -> str:
    """One ``<rect class="month">`` per month; empty months are ``class="month empty"``."""
    if not months:
        return ""
    top = max(row["articles"] for row in months) or 1
    step = WIDTH / max(len(months), MIN_SLOTS)  # a short span keeps bars of a readable width
    body = [f'<line x1="0" y1="{HEIGHT}" x2="{WIDTH}" y2="{HEIGHT}" class="axis"/>']
    for i, row in enumerate(months):
        count = row["articles"]
        height = HEIGHT * count / top if count else 3
        css = "month" if count else "month empty"
        body.append(
            f'<rect class="{css}" data-month="{row["month"]}" data-count="{count}" x="{i * step:.2f}"'
            f' y="{HEIGHT - height:.2f}" width="{max(step - 1, 0.5):.2f}" height="{height:.2f}">'
            f'<title>{row["month"]}: {count:,} articles</title></rect>'
        )
        if row["month"].endswith("-01") or i == 0:
            body.append(f'<text x="{i * step:.2f}" y="{HEIGHT + 15}" class="tick">{row["month"][:4]}</text>')
    return _svg(f"Articles per month, {months[0]['month']} to {months[-1]['month']}", body)


def blocks_chart(blocks: list[dict[str, Any]]) -> str:
    """Per id block a stacked bar of its ids: stored (bottom), misses, open failures, never seen (top);
    every bar is its block's ids at full height, so a hole reads as the share of the block it is."""
    if not blocks:
        return ""
    step = WIDTH / len(blocks)
    body = [f'<line x1="0" y1="{HEIGHT}" x2="{WIDTH}" y2="{HEIGHT}" class="axis"/>']
    for i, block in enumerate(blocks):
        y = float(HEIGHT)
        title = (f'ids {block["first_id"]}–{block["last_id"]}: {block["stored"]} stored, {block["misses"]} misses,'
                 f' {block["failures"]} open failures, {block["unknown"]} never seen')
        body.append(f'<g class="block" data-first-id="{block["first_id"]}"><title>{title}</title>')
        for part in ("stored", "misses", "failures", "unknown"):
            total = block["stored"] + block["misses"] + block["failures"] + block["unknown"] or 1
            height = HEIGHT * block[part] / total
            if height:
                y -= height
                body.append(f'<rect class="{part}" x="{i * step:.2f}" y="{y:.2f}" width="{max(step - 1, 0.5):.2f}"'
                            f' height="{height:.2f}"/>')
        body.append("</g>")
    body.append(f'<text x="0" y="{HEIGHT + 15}" class="tick">{blocks[0]["first_id"]}</text>')
    body.append(f'<text x="{WIDTH}" y="{HEIGHT + 15}" class="tick end">{blocks[-1]["last_id"]}</text>')
    return _svg(f"Ids {blocks[0]['first_id']} to {blocks[-1]['last_id']} by block", body)
