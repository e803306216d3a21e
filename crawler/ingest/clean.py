"""Clean: every record key present, text in its stored form (``clean_text``), empty list entries out."""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any

from crawler.dedupe import Fingerprint, carried_text
from crawler.items import ARTICLE_FIELDS, LIST_FIELDS
from crawler.text import clean_text

_NULLABLE = ("article_id", "published_at", "published_hijri", "modified_at")
_DEFAULTS: dict[str, Any] = {"language": "ar"}
_RECORD_KEYS = frozenset(ARTICLE_FIELDS)
_TEXT, _LIST, _NULL = "text", "list", "nullable"
_KINDS = tuple((key, _LIST if key in LIST_FIELDS else _NULL if key in _NULLABLE else _TEXT) for key in ARTICLE_FIELDS)


def clean_record(item: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Clean the record in place (and return it): e.g. ``{"title": " خبر\\u200f "}`` → every record key,
    ``title`` "خبر", lists without empty entries, "" → None for the nullable keys, extra keys out. An item's
    paragraphs that are the very ones its carried fingerprint was made of (``item.carried``, made of cleaned
    paragraphs by ``carried_fingerprint``) are clean already: taken as they are."""
    for key, kind in _KINDS:
        value = item.get(key)
        if kind is _TEXT:
            item[key] = clean_text(value) if isinstance(value, str) else _DEFAULTS.get(key, "")
        elif kind is _LIST:
            # The paragraphs a crawl's worker cleaned and carried the fingerprint of (``carried_fingerprint``)
            # clean to themselves: checked by that fingerprint's digest (~3 µs, against ~25 µs of clean).
            item[key] = list(value) if key == "paragraphs" and carried_text(value, getattr(item, "carried", None)) \
                else clean_list(key, value)
        else:
            item[key] = value if value not in ("", None) else None
    if len(item) > len(ARTICLE_FIELDS):  # every record key is set by now: anything more is extra
        for key in [key for key in item if key not in _RECORD_KEYS]:
            del item[key]
    return item


def carried_fingerprint(record: Mapping[str, Any]) -> dict[str, Any]:
    """The dedupe fingerprint of the body the clean step will leave (``Fingerprint.carried``), with the body's
    word count and search form: made by a crawl's extraction worker so the writer skips the fold, the MinHash
    signature and the search form; the writer takes it only for paragraphs of the same text (same digest).
    Only the paragraphs are cleaned (as ``clean_record`` cleans them): the rest of the record is not the body's
    (~20 % of this step's time in a worker went to cleaning title, authors, tags and captions it never read).
    Marked ``clean``: paragraphs whose digest is the carried one are these cleaned paragraphs (``carried_text``),
    so the writer's ``clean_record`` does not clean them again."""
    carried = Fingerprint(clean_list("paragraphs", record.get("paragraphs"))).carried(body=True)
    carried["body"]["clean"] = True  # made of cleaned paragraphs: the writer's clean takes them as they are
    return carried


def clean_list(key: str, values: Any) -> list:
    if key == "images":
        return [
            {"url": (image.get("url") or "").strip(), "caption": clean_text(image.get("caption"))}
            for image in values or []
            if image and image.get("url")
        ]
    return [text for text in map(clean_text, values or ()) if text]
