"""What the CMS families share: the answer type, each family's article URLs, sitemaps and feeds.

The ``wordpress`` and ``slug`` families serve the model's stories (same ids, texts, dates, bylines) under
another outlet's URLs: no article URL carries the mirror's id, so each served article gets a path from its
title (the title it had on day 0: a post keeps its slug when its title is edited later), and a path seen
twice gets ``-2``, ``-3`` as WordPress does. ``paths(config)`` is that index, computed once per config,
like the model's section indexes; nothing is stored per article.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import lru_cache
from html import escape
from typing import NamedTuple
from urllib.parse import quote

from crawler.mirror import model as M
from crawler.mirror.model import ARTICLE, MirrorConfig
from crawler.sites import unquote_fully, url_key  # noqa: F401 (the Site contract's key; tests import it here)

BASE_URLS = {"alhadath": M.SITE_BASE_URL, "wordpress": "https://wpnews.example", "slug": "https://slugnews.example"}
OWN_NAMES = {"alhadath": "الحدث", "wordpress": "نبأ", "slug": "صدى"}  # as the outlet names itself in bylines
SITEMAP_SIZE = 200  # URLs per child sitemap (Yoast's default is 1000; smaller so test mirrors get several)


class Page(NamedTuple):
    status: int
    headers: dict[str, str]
    body: bytes


GIF = (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,"
       b"\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")  # every image: a 1x1 GIF


def html_page(text: str, status: int = 200) -> Page:
    return Page(status, {"Content-Type": "text/html; charset=utf-8"}, text.encode("utf-8"))


def xml_page(text: str, content_type: str = "application/xml") -> Page:
    return Page(200, {"Content-Type": f"{content_type}; charset=utf-8"}, text.encode("utf-8"))


def redirect(location: str, status: int = 301) -> Page:
    return Page(status, {"Location": location, "Content-Type": "text/html; charset=utf-8"},
                f'<a href="{escape(location)}">moved</a>'.encode())


# --- article paths ---------------------------------------------------------------------------------------

def _slug(title: str, cms: str) -> str:
    slug = quote(M.slugify(title).lower(), safe="-")
    # WordPress stores post_name percent-encoded in lower case; the slug family prints upper-case escapes.
    return slug.lower() if cms == "wordpress" else slug


@lru_cache(maxsize=8)
def _index(cms: str, seed: int, start_id: int, end_id: int) -> tuple[dict[int, str], dict[str, int]]:
    by_id: dict[int, str] = {}
    by_path: dict[str, int] = {}
    for article_id in range(start_id, end_id):
        head = M._head(seed, article_id, start_id, end_id, 0)
        if head.status != ARTICLE:
            continue
        slug = base = _slug(head.title, cms)
        n = 1
        while True:
            path = f"/{head.published:%Y/%m/%d}/{slug}/" if cms == "wordpress" else f"/news/{slug}"
            if unquote_fully(path) not in by_path:
                break
            n += 1
            slug = f"{base}-{n}"
        by_id[article_id] = path
        by_path[unquote_fully(path)] = article_id
    return by_id, by_path


def article_path(config: MirrorConfig, article_id: int) -> str | None:
    """The family's canonical path of a served article (None for a missing or soft-404 id)."""
    if config.cms == "alhadath":
        head = M.headline(config, article_id)
        return f"/article/{article_id}" if head.status == ARTICLE else None
    return _index(config.cms, config.seed, config.start_id, config.end_id)[0].get(article_id)


def article_at(config: MirrorConfig, path: str) -> int | None:
    """The id served at ``path`` (any percent-encoding, with or without the trailing ``/``)."""
    by_path = _index(config.cms, config.seed, config.start_id, config.end_id)[1]
    path = unquote_fully(path)
    return by_path.get(path) or by_path.get(path.rstrip("/") + "/" if config.cms == "wordpress" else path)


def canonical_url(config: MirrorConfig, article_id: int) -> str | None:
    path = article_path(config, article_id)
    return f"{BASE_URLS[config.cms]}{path}" if path else None


def article_key(config: MirrorConfig, article_id: int) -> int | None:
    """What the archive keys the article by: the id where URLs carry it, else ``url_key`` of the path."""
    path = article_path(config, article_id)
    if path is None:
        return None
    return article_id if config.cms == "alhadath" else url_key(path)


def byline_raw(config: MirrorConfig, a: M.Article) -> str:
    """The byline as the family prints it: the story's, with the outlet's own name for alhadath's
    ("الحدث - وكالات" → "نبأ - وكالات"); its authors, agencies and dateline are the story's."""
    raw = a.byline.raw
    if config.cms != "alhadath" and raw.startswith(OWN_NAMES["alhadath"]):
        raw = OWN_NAMES[config.cms] + raw[len(OWN_NAMES["alhadath"]):]
    return raw


def image_path(a: M.Article) -> str:
    """Where the families keep an article's image: by month and a hash, never by the id (``/uploads/2024/04/…``)."""
    return f"/uploads/{a.published:%Y/%m}/{M.text_hash(a.image):08x}.jpg"


def modified(config: MirrorConfig, a: M.Article) -> datetime:
    """When the article last changed as of the visit day: its update day's morning, else its publication."""
    if a.updated_on_day is not None and config.day >= a.updated_on_day:
        day = M.visit_date(config) - timedelta(days=config.day - a.updated_on_day)
        return datetime(day.year, day.month, day.day, 9, 30, tzinfo=M.TIMEZONE)
    return a.published


def served_ids(config: MirrorConfig) -> list[int]:
    """The served articles, oldest first."""
    return sorted(_index(config.cms, config.seed, config.start_id, config.end_id)[0])


@lru_cache(maxsize=64)
def _section_ids(config: MirrorConfig, category_id: int) -> tuple[int, ...]:
    return tuple(i for i in served_ids(config)[::-1] if M.headline(config, i).category_id == category_id)


def section_ids(config: MirrorConfig, category_id: int) -> list[int]:
    """A section's served articles, newest first."""
    return list(_section_ids(config, category_id))


def w3c(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def utc(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc)


# --- sitemaps and feeds ----------------------------------------------------------------------------------

_URLSET = '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'


def sitemap_index(children: list[tuple[str, datetime]]) -> Page:
    rows = "".join(f"<sitemap><loc>{escape(loc)}</loc><lastmod>{w3c(last)}</lastmod></sitemap>\n"
                   for loc, last in children)
    return xml_page('<?xml version="1.0" encoding="UTF-8"?>\n'
                    f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{rows}</sitemapindex>\n')


def urlset(config: MirrorConfig, base_url: str, ids: list[int], images: bool = False) -> Page:
    rows = []
    for article_id in ids:
        a = M.headline(config, article_id)
        image = (f"<image:image><image:loc>{escape(base_url + image_path(a))}</image:loc></image:image>"
                 if images and a.image else "")
        rows.append(f"<url><loc>{escape(base_url + article_path(config, article_id))}</loc>"
                    f"<lastmod>{w3c(modified(config, a))}</lastmod>{image}</url>\n")
    extra = ' xmlns:image="http://www.google.com/schemas/sitemap-image/1.1"' if images else ""
    return xml_page(f'<?xml version="1.0" encoding="UTF-8"?>\n{_URLSET}{extra}>\n{"".join(rows)}</urlset>\n')


def news_sitemap(config: MirrorConfig, base_url: str, ids: list[int], name: str) -> Page:
    """A Google News sitemap: the newest articles with their publication (name, language), date and title."""
    rows = []
    for article_id in ids:
        a = M.headline(config, article_id)
        rows.append(f"<url><loc>{escape(base_url + article_path(config, article_id))}</loc><news:news>"
                    f"<news:publication><news:name>{escape(name)}</news:name><news:language>ar</news:language>"
                    f"</news:publication><news:publication_date>{w3c(a.published)}</news:publication_date>"
                    f"<news:title>{escape(a.title)}</news:title></news:news></url>\n")
    return xml_page(f'<?xml version="1.0" encoding="UTF-8"?>\n{_URLSET} '
                    f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n{"".join(rows)}</urlset>\n')
