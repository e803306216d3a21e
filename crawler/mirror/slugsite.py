"""The ``slug`` family: the model's stories on a home-grown CMS with no numeric id anywhere.

::

    /news/<slug>                    the article (the slug of its first title; ``-2`` when taken)
    /section/<name>?page=N          listings, 20 a page, newest first
    /sitemap.xml                    a sitemap index → /sitemaps/YYYY-MM.xml (one per month, with lastmod)

No JSON-LD: the publication time is only in OpenGraph's ``article:published_time`` (and printed on the page
as ``29/04/2024 - 10:15``, local time, no offset).
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import datetime
from functools import lru_cache
from html import escape
from urllib.parse import parse_qs, quote

from crawler.mirror import model as M
from crawler.mirror import outlets as O
from crawler.mirror.model import MirrorConfig
from crawler.mirror.outlets import Page
from crawler.sites import unquote_fully

SITE_NAME = O.OWN_NAMES["slug"]
PAGE_SIZE = 20
_SECTION_BY_NAME = {c.slugs[0]: c for c in M.CATEGORIES}


def section_href(category: M.Category, page: int = 1) -> str:
    return f"/section/{quote(category.slugs[0], safe='-')}" + (f"?page={page}" if page > 1 else "")


def _href(config: MirrorConfig, article_id: int) -> str:
    return O.article_path(config, article_id)


def _printed(moment: datetime) -> str:
    return f"{moment:%d/%m/%Y - %H:%M}"


def _page(title: str, body: str, meta: str = "", status: int = 200) -> Page:
    menu = "".join(f'<a href="{section_href(c)}">{c.name}</a>' for c in M.CATEGORIES)
    return O.html_page(
        f'<!DOCTYPE html>\n<html lang="ar" dir="rtl">\n<head>\n<meta charset="utf-8">\n<title>{escape(title)}</title>\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n{meta}'
        f'<link rel="stylesheet" href="/assets/app.css">\n</head>\n<body>\n<div class="topbar"><a class="logo" href="/">'
        f'{SITE_NAME}</a><nav class="sections">{menu}</nav></div>\n{body}<div class="bottom">© {SITE_NAME}</div>\n'
        f'</body>\n</html>\n', status)


def _cards(config: MirrorConfig, ids) -> str:
    out = []
    for article_id in ids:
        a = M.article(config, article_id)
        out.append(f'<div class="card"><a href="{_href(config, article_id)}"><span class="headline">{escape(a.title)}'
                   f'</span></a><span class="when">{_printed(a.published)}</span></div>\n')
    return "".join(out)


def article_page(config: MirrorConfig, article_id: int, base_url: str) -> Page:
    a = M.article(config, article_id)
    url = base_url + _href(config, article_id)
    changed = O.modified(config, a)
    meta = (f'<link rel="canonical" href="{url}">\n<meta property="og:type" content="article">\n'
            f'<meta property="og:title" content="{escape(a.title)}">\n<meta property="og:url" content="{url}">\n'
            f'<meta property="og:site_name" content="{SITE_NAME}">\n'
            f'<meta property="article:published_time" content="{O.w3c(a.published)}">\n'
            f'<meta property="article:modified_time" content="{O.w3c(changed)}">\n'
            f'<meta property="article:section" content="{a.category.name}">\n'
            + (f'<meta property="og:image" content="{base_url}{O.image_path(a)}">\n' if a.image else ""))
    figure = (f'<div class="photo"><img src="{O.image_path(a)}" alt=""><p class="photo-note">{escape(a.caption)}</p></div>\n'
              if a.image else "")
    body = "".join(f"<p>{escape(p)}</p>\n" for p in a.paragraphs)
    more = _cards(config, [i for i in O.section_ids(config, a.category_id) if i != article_id][:4])
    page = (f'<div class="crumbs"><a href="/">الرئيسية</a> / <a href="{section_href(a.category)}">{a.category.name}</a>'
            f'</div>\n<div class="story"><h1>{escape(a.title)}</h1>\n<div class="info"><span class="writer">'
            f'{escape(O.byline_raw(config, a))}</span> <span class="when">{_printed(a.published)}</span></div>\n{figure}'
            f'<div class="text">\n{body}</div>\n</div>\n<div class="more"><h3>المزيد من {a.category.name}</h3>\n{more}</div>\n')
    return _page(f"{a.title} | {SITE_NAME}", page, meta)


def not_found() -> Page:
    return _page(f"غير موجود | {SITE_NAME}", '<div class="oops"><h2>الصفحة غير موجودة</h2></div>\n', status=404)


def _listing(config: MirrorConfig, category: M.Category | None, page: int) -> Page:
    ids = O.section_ids(config, category.id) if category else O.served_ids(config)[::-1]
    pages = max(1, -(-len(ids) // PAGE_SIZE))
    if not 1 <= page <= pages:
        return not_found()
    heading = category.name if category else "آخر الأخبار"
    pager = ""
    if category:
        links = [f'<a href="{section_href(category, n)}">{n}</a>' if n != page else f"<b>{n}</b>"
                 for n in range(max(1, page - 2), min(pages, page + 2) + 1)]
        if page < pages:
            links.append(f'<a class="next" href="{section_href(category, page + 1)}">التالي</a>')
        pager = f'<div class="pages">{" ".join(links)}</div>\n'
    chunk = ids[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    return _page(f"{heading} | {SITE_NAME}", f'<div class="list"><h1>{heading}</h1>\n{_cards(config, chunk)}{pager}</div>\n')


@lru_cache(maxsize=8)
def _months(config: MirrorConfig) -> dict[str, list[int]]:
    months: dict[str, list[int]] = defaultdict(list)
    for article_id in O.served_ids(config):
        months[f"{M.headline(config, article_id).published:%Y-%m}"].append(article_id)
    return dict(months)


def route(config: MirrorConfig, target: str, base_url: str) -> Page:
    path, _, query = target.split("#", 1)[0].partition("?")
    path = unquote_fully(path) or "/"
    if path == "/robots.txt":
        text = f"User-agent: *\nDisallow: /search\n\nSitemap: {base_url}/sitemap.xml\n"
        return Page(200, {"Content-Type": "text/plain; charset=utf-8"}, text.encode())
    if path == "/":
        return _listing(config, None, 1)
    if path == "/sitemap.xml":
        children = [(f"{base_url}/sitemaps/{month}.xml", max(O.modified(config, M.headline(config, i)) for i in ids))
                    for month, ids in sorted(_months(config).items())]
        return O.sitemap_index(children)
    if match := re.fullmatch(r"/sitemaps/(\d{4}-\d{2})\.xml", path):
        ids = _months(config).get(match.group(1))
        return O.urlset(config, base_url, ids) if ids else not_found()
    if path.startswith("/news/") and (article_id := O.article_at(config, path.rstrip("/"))) is not None:
        return article_page(config, article_id, base_url)
    if match := re.fullmatch(r"/section/([^/]+)/?", path):
        category = _SECTION_BY_NAME.get(match.group(1))
        page = parse_qs(query).get("page", ["1"])[-1]
        return _listing(config, category, int(page)) if category and page.isdigit() else not_found()
    if path.startswith(("/uploads/", "/assets/")):
        return Page(200, {"Content-Type": "image/gif"}, O.GIF)
    return not_found()
