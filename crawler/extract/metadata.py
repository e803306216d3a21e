"""Standard metadata: schema.org JSON-LD (NewsArticle and kin, ``@graph`` included) read as text."""

from __future__ import annotations

import json

from crawler.text import clean_text

_ARTICLE_TYPES = frozenset(
    "Article NewsArticle ReportageNewsArticle OpinionNewsArticle AnalysisNewsArticle BackgroundNewsArticle "
    "BlogPosting Report ScholarlyArticle LiveBlogPosting".split()
)


def jsonld_article(blocks: list[str]) -> dict:
    """The first schema.org Article (any kind) in the page's JSON-LD blocks, ``@graph`` included."""
    for block in blocks:
        try:
            data = json.loads(block)
        except (ValueError, RecursionError):
            continue
        stack = [data]
        while stack:
            node = stack.pop(0)
            if isinstance(node, list):
                stack.extend(node)
            elif isinstance(node, dict):
                kinds = node.get("@type")
                kinds = kinds if isinstance(kinds, list) else [kinds]
                if any(isinstance(kind, str) and kind in _ARTICLE_TYPES for kind in kinds):
                    return node
                stack.extend(value for key, value in node.items() if key in ("@graph", "mainEntity"))
    return {}


def jsonld_by_id(blocks: list[str]) -> dict[str, dict]:
    """Every JSON-LD node with an ``@id`` (a Yoast ``@graph`` names the author as ``{"@id": "…#/schema/person/…"}``)."""
    found: dict[str, dict] = {}
    for block in blocks:
        try:
            stack = [json.loads(block)]
        except (ValueError, RecursionError):
            continue
        while stack:
            node = stack.pop()
            if isinstance(node, list):
                stack.extend(node)
            elif isinstance(node, dict):
                if isinstance(node.get("@id"), str) and len(node) > 1:
                    found.setdefault(node["@id"], node)
                stack.extend(value for value in node.values() if isinstance(value, (list, dict)))
    return found


def ld_text(value) -> str:
    """A JSON-LD value as text: a string, the name of an object, or names of a list joined by "، "."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return ld_text(value.get("name") or value.get("@value") or "")
    if isinstance(value, list):
        return "، ".join(filter(None, map(ld_text, value)))
    return ""


def ld_list(value) -> list[str]:
    if isinstance(value, str):
        return [clean_text(part) for part in value.split(",") if clean_text(part)]
    if isinstance(value, list):
        return [text for text in map(ld_text, value) if text]
    return []


def ld_image(value) -> tuple[str, str]:
    """(url, caption) of a JSON-LD image: a URL, an ImageObject or a list of either."""
    if isinstance(value, list):
        value = value[0] if value else ""
    if isinstance(value, dict):
        return ld_text(value.get("url") or value.get("contentUrl") or ""), ld_text(value.get("caption") or "")
    return (ld_text(value), "")
