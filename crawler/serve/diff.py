"""Word-level differences between two states of an article, as HTML with <del> and <ins>.

difflib over words (not characters: an Arabic word changed by one letter reads best replaced whole;
not lines: a paragraph is one line, so a line diff would mark it all). Paragraph breaks are tokens of
their own, so a paragraph added or removed shows as such.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from difflib import SequenceMatcher
from html import escape
from typing import Any

PARAGRAPH = "\n"
# Fields shown as "old → new" when they changed (the text fields get a word diff).
SCALAR_FIELDS = ("url", "published_at", "published_hijri", "modified_at", "byline_raw", "authors", "agencies",
                 "dateline", "category", "tags")


def words(paragraphs: Sequence[str]) -> list[str]:
    tokens: list[str] = []
    for i, paragraph in enumerate(paragraphs):
        if i:
            tokens.append(PARAGRAPH)
        tokens.extend(paragraph.split())
    return tokens


def _render(tokens: Sequence[str]) -> str:
    return " ".join("<br>" if token == PARAGRAPH else escape(token) for token in tokens)


def word_diff(old: Sequence[str], new: Sequence[str]) -> tuple[str, int, int]:
    """HTML of ``new`` with removed words in <del> and added ones in <ins>; (html, removed, added)."""
    a, b = words(old), words(new)
    parts: list[str] = []
    removed = added = 0
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            parts.append(_render(b[j1:j2]))
            continue
        if i2 > i1:
            parts.append(f"<del>{_render(a[i1:i2])}</del>")
            removed += sum(token != PARAGRAPH for token in a[i1:i2])
        if j2 > j1:
            parts.append(f"<ins>{_render(b[j1:j2])}</ins>")
            added += sum(token != PARAGRAPH for token in b[j1:j2])
    return " ".join(part for part in parts if part), removed, added


def record_diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """What changed from ``old`` to ``new``: word diffs of title, subtitle and body, other fields as pairs."""
    title, title_removed, title_added = word_diff([old.get("title") or ""], [new.get("title") or ""])
    subtitle, _, _ = word_diff([old.get("subtitle") or ""], [new.get("subtitle") or ""])
    body, removed, added = word_diff(old.get("paragraphs") or [], new.get("paragraphs") or [])
    return {
        "title_html": title,
        "title_changed": bool(title_removed or title_added),
        "subtitle_html": subtitle if (old.get("subtitle") or "") != (new.get("subtitle") or "") else "",
        "body_html": body,
        "words_removed": removed + title_removed,
        "words_added": added + title_added,
        "fields": [
            {"field": key, "old": old.get(key), "new": new.get(key)}
            for key in SCALAR_FIELDS
            if old.get(key) != new.get(key)
        ],
    }
