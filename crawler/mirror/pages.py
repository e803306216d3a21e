"""The mirror's HTTP surface: URL routing and the HTML of every page, in three markups.

``default``: a div-based modern CMS (title in ``<h1>``, the timestamp in a plain ``<div>``, og:title only).
``table``: an old table-layout CMS (title in ``<td><font><b>``, ``<br><br>``-separated paragraphs, no ``<h1>``).
``broken``: the article only inside a ``<script>`` JSON blob a browser would render: nothing to extract.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from html import escape
from urllib.parse import quote

from crawler.mirror import model as M
from crawler.mirror import slugsite, wordpress
from crawler.mirror import weight as H
from crawler.mirror.links import LINK_FORMS, _href, article_href, category_href, tag_href  # noqa: F401
from crawler.mirror.model import ARTICLE, MISSING, SOFT404, MirrorConfig
from crawler.mirror.outlets import GIF, Page
from crawler.sites import unquote_fully

PAGE_SIZE = 20
SOFT404_TEXT = "الصفحة غير موجودة"
SITE_NAME = "الحدث"


# --- shared chrome ---------------------------------------------------------------------------------------

def _real(config: MirrorConfig) -> bool:
    return config.weight == "real"


def _head(config: MirrorConfig, title: str, charset: str, og_title: str | None = None) -> str:
    meta = ('<meta charset="utf-8">' if charset == "utf-8" else
            '<meta http-equiv="Content-Type" content="text/html; charset=windows-1256">')
    og = f'<meta property="og:title" content="{escape(og_title)}">' if og_title else ""
    extra = H.head_extra(config.seed) if _real(config) else ""
    return (f'<!DOCTYPE html>\n<html lang="ar" dir="rtl">\n<head>\n{meta}\n<title>{escape(title)}</title>\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<meta property="og:site_name" content="{SITE_NAME}">{og}\n'
            f'<link rel="stylesheet" href="/static/site.css">\n{extra}</head>\n')


def _menu() -> str:
    items = "".join(f'<li><a href="{category_href(c)}">{c.name}</a></li>' for c in M.CATEGORIES)
    return f'<nav class="main-menu"><ul><li><a href="/">الرئيسية</a></li>{items}</ul></nav>\n'


def _header(config: MirrorConfig, base_url: str = "") -> str:
    visit = M.visit_date(config)
    whatsapp = ('<div class="wa-box"><a href="https://wa.me/970000000000">اشترك في خدمة الواتساب</a></div>\n'
                if visit.year >= 2024 else "")
    sprite, mega, ticker = ((H.svg_sprite(config.seed), H.mega_menu(config.seed), H.ticker(config, base_url))
                            if _real(config) else ("", "", ""))
    return (f'{sprite}<header class="site-header">\n<div class="top-bar"><span class="today">'
            f'{M.format_visit_date(visit)}</span></div>\n'
            f'<div class="brand"><a href="/"><img src="/static/logo.png" alt="LOGO"></a></div>\n'
            f'{whatsapp}{_menu()}{mega}</header>\n{ticker}')


def _footer(config: MirrorConfig) -> str:
    if not _real(config):
        return _FOOTER
    return _FOOTER.replace('<footer class="site-footer">', f'<footer class="site-footer">{H.big_footer(config)}', 1)


_FOOTER = ('<footer class="site-footer"><p>جميع الحقوق محفوظة © صحيفة الحدث الفلسطيني</p>'
           '<p><a href="/">الرئيسية</a> | <a href="/search/الحدث/page/1">بحث</a></p></footer>\n</body>\n</html>\n')


def _most_read(config: MirrorConfig, base_url: str, exclude: int = -1) -> str:
    """The "most read" box: recent titles WITH their timestamps — never the page's own date."""
    items = [html for article_id, html in _most_read_items(config, base_url) if article_id != exclude][:5]
    return f'<aside class="most-read"><h3>الأكثر قراءة</h3><ul>{"".join(items)}</ul></aside>\n'


@lru_cache(maxsize=64)
def _most_read_items(config: MirrorConfig, base_url: str) -> tuple[tuple[int, str], ...]:
    items = []
    for article_id in _most_read_ids(config):
        a = M.headline(config, article_id)
        items.append((article_id, f'<li><a href="{_href(config, article_id, 1, base_url)}">{escape(a.title)}</a>'
                                  f'<span class="date">{M.format_timestamp(a.published)}</span></li>'))
    return tuple(items)


@lru_cache(maxsize=16)
def _most_read_ids(config: MirrorConfig) -> list[int]:
    pool = M.newest_ids(config, 60)
    bits = M.mix(config.seed, config.day, 77)
    return sorted(pool, key=lambda i: M.mix(bits, i))[:6]


def _listing_items(config: MirrorConfig, ids, base_url: str) -> str:
    out = []
    for n, article_id in enumerate(ids):
        a = M.article(config, article_id)
        href = _href(config, article_id, 2, base_url)
        lead = escape(a.paragraphs[0]) if a.paragraphs else ""
        out.append(f'<div class="news-item"><a class="thumb" href="{href}">{escape(a.title)}</a>\n'
                   f'<h3 class="news-title"><a href="{href}">{escape(a.title)}</a></h3>\n'
                   f'<p class="lead">{lead}</p></div>\n')
    return "".join(out)


def _pager(href, page: int, pages: int) -> str:
    links = []
    if page > 1:
        links.append(f'<a rel="prev" href="{href(page - 1)}">السابق</a>')
    for n in range(max(1, page - 3), min(pages, page + 3) + 1):
        links.append(f"<span>{n}</span>" if n == page else f'<a href="{href(n)}">{n}</a>')
    if page < pages:
        links.append(f'<a rel="next" href="{href(page + 1)}">التالي</a>')
        links.append(f'<a href="{href(pages)}">الأخيرة</a>')
    return f'<div class="pagination">{" ".join(links)}</div>\n'


def _html(text: str, status: int = 200, charset: str = "utf-8") -> Page:
    if charset == "utf-8":
        return Page(status, {"Content-Type": "text/html; charset=utf-8"}, text.encode("utf-8"))
    # The charset only in <meta>: the HTTP header names none.
    return Page(status, {"Content-Type": "text/html"}, text.encode("cp1256", "xmlcharrefreplace"))


# --- pages -----------------------------------------------------------------------------------------------

def home_page(config: MirrorConfig, base_url: str) -> Page:
    latest = M.newest_ids(config, PAGE_SIZE)
    sections = "".join(f'<section class="home-section"><h2><a href="{category_href(c)}">{c.name}</a></h2></section>\n'
                       for c in M.CATEGORIES)
    body = (f'{_head(config, f"{SITE_NAME} - الصفحة الرئيسية", "utf-8")}<body>\n{_header(config, base_url)}'
            f'<main class="home"><h2>آخر الأخبار</h2>\n{_listing_items(config, latest, base_url)}{sections}</main>\n'
            f'{_most_read(config, base_url)}{_footer(config)}')
    return _html(body)


def _listing_page(config: MirrorConfig, heading: str, ids, page: int, href, base_url: str) -> Page:
    pages = max(1, -(-len(ids) // PAGE_SIZE))
    if page < 1 or page > pages:
        return not_found_page(config)
    chunk = ids[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    body = (f'{_head(config, f"{heading} - {SITE_NAME}", "utf-8")}<body>\n{_header(config, base_url)}'
            f'<main class="listing"><h1 class="section-title">{escape(heading)}</h1>\n'
            f'{_listing_items(config, chunk, base_url)}{_pager(href, page, pages)}</main>\n'
            f'{_most_read(config, base_url)}{_footer(config)}')
    return _html(body)


def category_page(config: MirrorConfig, category_id: int, page: int, base_url: str) -> Page:
    category = M.CATEGORY_BY_ID.get(category_id)
    if category is None:
        return not_found_page(config)
    return _listing_page(config, category.name, M.category_ids(config, category_id), page,
                         lambda n: category_href(category, n), base_url)


def tag_page(config: MirrorConfig, tag_id: int, page: int, base_url: str) -> Page:
    if not 1 <= tag_id <= len(M.TAGS):
        return not_found_page(config)
    return _listing_page(config, M.TAGS[tag_id - 1][1], M.tag_ids(config, tag_id), page,
                         lambda n: tag_href(tag_id, n), base_url)


def search_page(config: MirrorConfig) -> Page:
    body = (f'{_head(config, f"بحث - {SITE_NAME}", "utf-8")}<body>\n{_header(config)}'
            f'<main class="search"><p>لا توجد نتائج</p></main>\n{_footer(config)}')
    return _html(body)


def not_found_page(config: MirrorConfig, status: int = 404) -> Page:
    body = (f'{_head(config, f"{SOFT404_TEXT} - {SITE_NAME}", "utf-8")}<body>\n{_header(config)}'
            f'<main class="error-page"><h2>{SOFT404_TEXT}</h2><p>عذرا، الصفحة التي تبحث عنها غير موجودة '
            f'أو تم نقلها.</p><p><a href="/">العودة إلى الصفحة الرئيسية</a></p></main>\n'
            f'{_most_read(config, "")}{_footer(config)}')
    return _html(body, status)


def article_page(config: MirrorConfig, article_id: int, base_url: str) -> Page:
    a = M.article(config, article_id)
    if a.status == MISSING:
        return not_found_page(config)
    if a.status == SOFT404:
        return not_found_page(config, status=200)
    render = {"default": _default_article, "table": _table_article, "broken": _broken_article}[config.markup]
    return _html(render(config, a, base_url), charset=a.encoding)


def _related(config: MirrorConfig, a: M.Article, base_url: str) -> list[tuple[str, str]]:
    """"اقرأ أيضا": a few earlier articles (href, title)."""
    out = []
    for article_id in M.newest_ids(config, 4, below=a.id):
        out.append((_href(config, article_id, 3, base_url), escape(M.headline(config, article_id).title)))
    return out


def _share(a: M.Article) -> str:
    url = quote(a.url, safe="")
    return (f'<a href="https://www.facebook.com/sharer/sharer.php?u={url}">فيسبوك</a> '
            f'<a href="https://twitter.com/intent/tweet?url={url}">تويتر</a> '
            f'<a href="https://api.whatsapp.com/send?text={url}">واتساب</a>')


def _tags(a: M.Article) -> str:
    links = " ".join(f'<a href="{escape(tag_href(t))}">{escape(M.TAGS[t - 1][1])}</a>' for t in a.tags)
    return f'<div class="tags"><span>الوسوم:</span> {links}</div>\n'


def _separator(a: M.Article, n: int) -> str:
    return "&nbsp;" if (a.id + n) % 3 else " "


def _default_article(config: MirrorConfig, a: M.Article, base_url: str) -> str:
    category = a.category
    title = escape(a.title)
    real = _real(config)
    parts = [_head(config, f"{a.title} | {SITE_NAME}", a.encoding, og_title=a.title), "<body>\n",
             _header(config, base_url), '<div class="container">\n']
    sidebar = _most_read(config, base_url, exclude=a.id)
    if real:
        sidebar = f'<div class="sidebar">{sidebar}{H.latest_box(config, base_url)}{H.newsletter()}</div>\n'
    if a.sidebar_first:
        parts.append(sidebar)
    parts += [f'<main class="content">\n<div class="breadcrumb"><a href="/">الرئيسية</a> » '
              f'<a href="{category_href(category, slug_index=a.id)}">{category.name}</a></div>\n'
              f'<article class="post">\n<h1 class="post-title">{title}</h1>\n'
              f'<div class="post-meta"><div class="post-date">{M.format_timestamp(a.published)}</div></div>\n']
    if a.image:
        parts.append(f'<figure class="post-image"><img src="{a.image}" alt="{title}" title="{title}">'
                     f'<figcaption>{escape(a.caption)}</figcaption></figure>\n')
    if a.byline_line:
        parts.append(f'<div class="post-author">{escape(a.byline.printed)}</div>\n')
    body = []
    for n, paragraph in enumerate(a.paragraphs):
        if n:
            body.append(f"<p>{_separator(a, n)}</p>")
        body.append(f"<p>{escape(paragraph)}</p>")
    parts += ['<div class="post-body">\n', "\n".join(body), "\n</div>\n", _tags(a),
              f'<div class="share">{_share(a)}</div>\n', "</article>\n"]
    related = "".join(f'<li><a href="{h}">{t}</a></li>' for h, t in _related(config, a, base_url))
    parts.append(f'<div class="related"><h3>اقرأ أيضا</h3><ul>{related}</ul></div>\n')
    if real:
        parts += [H.related_cards(config, a, base_url), H.comments_box(a)]
    parts.append("</main>\n")
    if not a.sidebar_first:
        parts.append(sidebar)
    parts += ["</div>\n", _footer(config)]
    return _weigh(config, a, "".join(parts))


def _weigh(config: MirrorConfig, a: M.Article, page: str) -> str:
    """A real-weight page: the page's state script and the vendor bundle up to the page's target size."""
    if not _real(config):
        return page
    cut = page.rfind("</body>")
    page = f"{page[:cut]}{H.state_script(config, a)}{page[cut:]}"
    return H.pad(page, H.target_bytes(config, a.id), a.encoding, config.seed)


def _table_article(config: MirrorConfig, a: M.Article, base_url: str) -> str:
    category = a.category
    title = escape(a.title)
    visit = M.visit_date(config)
    menu = " | ".join(f'<a href="{category_href(c)}">{c.name}</a>' for c in M.CATEGORIES)
    rows = [f'<tr><td class="date">{M.format_visit_date(visit)}</td>'
            f'<td><a href="/"><img src="/static/logo.gif" alt="LOGO" border="0"></a></td></tr>',
            '<tr><td colspan="2"><a href="https://wa.me/970000000000">اشترك في خدمة الواتساب</a></td></tr>'
            if visit.year >= 2024 else "",
            f'<tr><td colspan="2"><a href="/">الرئيسية</a> | {menu}</td></tr>']
    real = _real(config)
    if real:
        rows.append(f'<tr><td colspan="2">{H.mega_menu(config.seed)}{H.ticker(config, base_url)}</td></tr>')
    side = "".join(f'<tr><td><a href="{_href(config, i, 1, base_url)}">{escape(M.headline(config, i).title)}</a><br>'
                   f'<font size="1">{M.format_timestamp(M.headline(config, i).published)}</font></td></tr>'
                   for i in _most_read_ids(config)[:5] if i != a.id)
    if real:
        side += f'<tr><td>{H.latest_box(config, base_url)}{H.newsletter()}</td></tr>'
    sidebar = f'<td width="25%" valign="top"><table><tr><td><b>الأكثر قراءة</b></td></tr>{side}</table></td>'
    story = [f'<tr><td><a href="{category_href(category, slug_index=a.id)}">{category.name}</a></td></tr>',
             f'<tr><td><font size="4" color="#990000"><b>{title}</b></font></td></tr>',
             f'<tr><td><font size="1" color="#666666">{M.format_timestamp(a.published)}</font></td></tr>']
    if a.image:
        story.append(f'<tr><td><img src="{a.image}" alt="{title}" title="{title}" width="400"><br>'
                     f'<font size="2">{escape(a.caption)}</font></td></tr>')
    if a.byline_line:
        story.append(f'<tr><td><font size="2"><b>{escape(a.byline.printed)}</b></font></td></tr>')
    text = "<br><br>".join(p if n == 0 else f"{_separator(a, n)}<br><br>{p}"
                           for n, p in enumerate(escape(p) for p in a.paragraphs))
    story.append(f'<tr><td><font size="3">{text}</font></td></tr>')
    tags = " - ".join(f'<a href="{escape(tag_href(t))}">{escape(M.TAGS[t - 1][1])}</a>' for t in a.tags)
    story.append(f'<tr><td>كلمات مفتاحية: {tags}</td></tr>')
    story.append(f'<tr><td>{_share(a)}</td></tr>')
    related = "<br>".join(f'<a href="{h}">{t}</a>' for h, t in _related(config, a, base_url))
    story.append(f'<tr><td><b>اقرأ أيضا</b><br>{related}</td></tr>')
    if real:
        story.append(f'<tr><td>{H.related_cards(config, a, base_url)}{H.comments_box(a)}</td></tr>')
    main = f'<td width="75%" valign="top"><table width="100%">{"".join(story)}</table></td>'
    cells = sidebar + main if a.sidebar_first else main + sidebar
    meta = ('<meta http-equiv="Content-Type" content="text/html; charset=utf-8">' if a.encoding == "utf-8" else
            '<meta http-equiv="Content-Type" content="text/html; charset=windows-1256">')
    head, sprite, footer = ((H.head_extra(config.seed), H.svg_sprite(config.seed),
                             f'<tr><td>{H.big_footer(config)}</td></tr>') if real else ("", "", ""))
    return _weigh(config, a, f'<html dir="rtl">\n<head>\n{meta}\n<title>{SITE_NAME} - {title}</title>\n{head}</head>\n'
                  f'<body bgcolor="#FFFFFF">\n{sprite}<table width="100%" border="0">{"".join(rows)}</table>\n'
                  f'<table width="100%" border="0"><tr>{cells}</tr></table>\n'
                  f'<table width="100%">{footer}<tr><td align="center">جميع الحقوق محفوظة © الحدث</td></tr></table>\n'
                  f'</body>\n</html>\n')


def _broken_article(config: MirrorConfig, a: M.Article, base_url: str) -> str:
    """A client-rendered page: the story only as escaped JSON in a script, the time as an epoch number."""
    data = {"i": a.id, "t": a.title, "c": a.category_id, "e": int(a.published.timestamp()),
            "b": a.byline.raw, "p": list(a.paragraphs), "m": a.image, "n": a.caption}
    blob = json.dumps(data, ensure_ascii=True).replace("</", "<\\/")
    charset = "utf-8" if a.encoding == "utf-8" else "windows-1256"
    page = (f'<!DOCTYPE html>\n<html lang="ar" dir="rtl">\n<head>\n<meta charset="{charset}">\n'
            f'<title>{SITE_NAME}</title>\n<script src="/static/app.js" defer></script>\n</head>\n<body>\n'
            f'<div id="app" data-page="article"></div>\n<noscript>يرجى تفعيل جافاسكربت</noscript>\n'
            f'<script>window.__STATE__ = {blob};</script>\n</body>\n</html>\n')
    return H.pad(page, H.target_bytes(config, a.id), a.encoding, config.seed) if _real(config) else page


def robots_page() -> Page:
    text = "User-agent: *\nDisallow: /search/\nAllow: /\n"
    return Page(200, {"Content-Type": "text/plain; charset=utf-8"}, text.encode())



# --- routing ---------------------------------------------------------------------------------------------

_ARTICLE = re.compile(r"^/article/(\d+)(/.*)?$")
_CATEGORY = re.compile(r"^/category/(\d+)(?:/[^/]*)?(?:/page/(\d+))?/?$")
_TAG = re.compile(r"^/tag/(\d+)(?:/[^/]*)?(?:/page/(\d+))?/?$")


def route(config: MirrorConfig, path: str, base_url: str = "") -> Page:
    """The page at ``path`` (query ignored), fault-free."""
    path = unquote_fully(path.split("?", 1)[0].split("#", 1)[0]) or "/"
    if path in ("/", "/index.php", "/home"):
        return home_page(config, base_url)
    if path == "/robots.txt":
        return robots_page()
    if match := _ARTICLE.match(path):
        article_id = int(match.group(1))
        if not config.serves(article_id):
            return not_found_page(config)
        a = M.headline(config, article_id)
        if match.group(2) in (None, "/") and a.status == ARTICLE:
            location = f"{base_url}/article/{article_id}/{quote(a.slug, safe='-')}"
            return Page(301, {"Location": location, "Content-Type": "text/html; charset=utf-8"},
                        f'<a href="{escape(location)}">moved</a>'.encode())
        return article_page(config, article_id, base_url)
    if match := _CATEGORY.match(path):
        return category_page(config, int(match.group(1)), int(match.group(2) or 1), base_url)
    if match := _TAG.match(path):
        return tag_page(config, int(match.group(1)), int(match.group(2) or 1), base_url)
    if path.startswith("/search/"):
        return search_page(config)
    if path.startswith(("/images/", "/static/")) and path.endswith((".jpg", ".png", ".gif")):
        return Page(200, {"Content-Type": "image/gif"}, GIF)
    return not_found_page(config)  # /sitemap.xml included: the real one is unknown


# --- faults ----------------------------------------------------------------------------------------------

SLOW_SECONDS = 2.5
RETRY_AFTER_SECONDS = 1


def fault_for(config: MirrorConfig, path: str, request_count: int) -> str | None:
    """The fault of the ``request_count``-th request of ``path``: ``500``, ``503``, ``429``, ``slow``,
    ``drop``, ``truncate`` or None. Deterministic by (seed, path, count); never on robots.txt."""
    if not config.fault_rates or path.split("?", 1)[0] == "/robots.txt":
        return None
    bits = M.mix(config.seed, M.text_hash(path), request_count)
    roll = (bits >> 11) / (1 << 53)
    for kind, rate in config.fault_rates:
        if roll < rate:
            if kind == "status5xx":
                return "503" if bits & 1 else "500"
            return kind
        roll -= rate
    return None


def render(config: MirrorConfig, path: str, request_count: int = 1, base_url: str = "") -> Page:
    """What the mirror answers to the ``request_count``-th GET of ``path`` (1 = first).

    HTTP-level faults (500, 503, 429) are part of the answer; transport faults (slow, drop, truncate) are
    the server's to act out — ``fault_for`` names them.
    """
    fault = fault_for(config, path, request_count)
    if fault in ("500", "503"):
        return Page(int(fault), {"Content-Type": "text/plain; charset=utf-8"}, b"server error\n")
    if fault == "429":
        return Page(429, {"Content-Type": "text/plain; charset=utf-8", "Retry-After": str(RETRY_AFTER_SECONDS)},
                    b"too many requests\n")
    if config.cms == "wordpress":
        return wordpress.route(config, path, base_url)
    if config.cms == "slug":
        return slugsite.route(config, path, base_url)
    return route(config, path, base_url)
