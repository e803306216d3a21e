"""The article record: what the extractor returns, what spiders yield and what the archive stores."""

from __future__ import annotations

from typing import TypedDict


class Image(TypedDict):
    url: str
    caption: str


class ArticleRecord(TypedDict):
    site: str
    article_id: int | None
    url: str  # canonical
    title: str
    subtitle: str
    published_at: str | None  # ISO 8601 with offset
    published_raw: str
    published_hijri: str | None  # Umm al-Qura YYYY-MM-DD
    modified_at: str | None
    byline_raw: str
    authors: list[str]
    agencies: list[str]  # canonical codes: AFP, Reuters, WAFA, ...
    dateline: str
    paragraphs: list[str]
    images: list[Image]
    category: str
    tags: list[str]
    language: str
    encoding: str


ARTICLE_FIELDS: tuple[str, ...] = tuple(ArticleRecord.__annotations__)
LIST_FIELDS: tuple[str, ...] = ("authors", "agencies", "paragraphs", "images", "tags")
