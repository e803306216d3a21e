"""The ``wordpress`` family: the model's stories as a WordPress news site with Yoast SEO would serve them.

What a crawler meets on such a site (underscores-style theme markup, Yoast's schema graph, core's REST
API and feed, Yoast's sitemaps)::

    /YYYY/MM/DD/<slug>/                     the post (slug percent-encoded, lower case)
    /?p=ID                                  301 to the post (ID = the mirror's id, WordPress's post id)
    /page/N/, /category/<slug>/page/N/      listings, 10 posts a page
    /feed/                                  RSS 2.0, the newest 10 posts
    /sitemap_index.xml                      → /post-sitemap.xml, /post-sitemap2.xml ..., /category-sitemap.xml,
                                              /news-sitemap.xml (Google News: the newest posts)
    /wp-json/wp/v2/posts?page=N&per_page=M  newest first, X-WP-Total / X-WP-TotalPages; --wp-json off → 404,
                                              forbidden → 403 (what hardened sites answer)
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from html import escape
from urllib.parse import parse_qs, quote

from crawler.mirror import model as M
from crawler.mirror import outlets as O
from crawler.mirror.model import MirrorConfig
from crawler.mirror.outlets import Page
from crawler.sites import unquote_fully

SITE_NAME = O.OWN_NAMES["wordpress"]
PER_PAGE = 10  # WordPress's posts_per_page default
API_MAX_PER_PAGE = 100
NEWS_ITEMS = 50
_AR_MONTHS = ("يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر",
              "نوفمبر", "ديسمبر")


def category_slug(category: M.Category) -> str:
    return quote(category.slugs[0], safe="-").lower()


_CATEGORY_BY_SLUG = {unquote_fully(category_slug(c)): c for c in M.CATEGORIES}


def user_id(name: str) -> int:
    return 2 + M.text_hash(name) % 97


def _date_text(moment: datetime) -> str:
    """WordPress's Arabic date format: ``29 أبريل، 2024``."""
    return f"{moment.day} {_AR_MONTHS[moment.month - 1]}، {moment.year}"


def _href(config: MirrorConfig, article_id: int, base_url: str) -> str:
    return f"{base_url}{O.article_path(config, article_id)}"


# --- html ------------------------------------------------------------------------------------------------

def _head(title: str, base_url: str, extra: str = "") -> str:
    return (f'<!DOCTYPE html>\n<html dir="rtl" lang="ar">\n<head>\n<meta charset="UTF-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>{escape(title)}</title>\n'
            f'{extra}<link rel="alternate" type="application/rss+xml" title="{SITE_NAME} &raquo; الخلاصة" '
            f'href="{base_url}/feed/">\n<link rel="https://api.w.org/" href="{base_url}/wp-json/">\n'
            f"<link rel='stylesheet' id='theme-style-css' href='{base_url}/wp-content/themes/akhbar/style.css' "
            f"media='all'>\n</head>\n")


def _masthead(base_url: str) -> str:
    items = "".join(f'<li class="menu-item menu-item-type-taxonomy menu-item-object-category">'
                    f'<a href="{base_url}/category/{category_slug(c)}/">{c.name}</a></li>' for c in M.CATEGORIES)
    return (f'<div id="page" class="site">\n<a class="skip-link screen-reader-text" href="#primary">تخطى إلى '
            f'المحتوى</a>\n<header id="masthead" class="site-header">\n<div class="site-branding"><p class="site-title">'
            f'<a href="{base_url}/" rel="home">{SITE_NAME}</a></p></div>\n<nav id="site-navigation" '
            f'class="main-navigation"><ul id="primary-menu" class="menu">{items}</ul></nav>\n</header>\n'
            f'<div id="content" class="site-content">\n')


def _sidebar(config: MirrorConfig, base_url: str, exclude: int = -1) -> str:
    """"أحدث المقالات" with dates (never the page's own date)."""
    items = []
    for article_id in O.served_ids(config)[::-1][:6]:
        if article_id != exclude and len(items) < 5:
            a = M.headline(config, article_id)
            items.append(f'<li><a href="{_href(config, article_id, base_url)}">{escape(a.title)}</a>'
                         f'<span class="post-date">{_date_text(a.published)}</span></li>')
    return (f'<aside id="secondary" class="widget-area"><section id="recent-posts-2" class="widget '
            f'widget_recent_entries"><h2 class="widget-title">أحدث المقالات</h2><ul>{"".join(items)}</ul>'
            f'</section></aside>\n')


_FOOTER = ('</div><!-- #content -->\n<footer id="colophon" class="site-footer"><div class="site-info">'
           f'جميع الحقوق محفوظة © {SITE_NAME} | مدعوم من <a href="https://wordpress.org/">ووردبريس</a></div>'
           '</footer>\n</div><!-- #page -->\n</body>\n</html>\n')


def _meta(config: MirrorConfig, a: M.Article, base_url: str) -> str:
    changed = O.modified(config, a)
    updated = (f'<time class="updated" datetime="{O.w3c(changed)}">{_date_text(changed)}</time>'
               if changed != a.published else "")
    return (f'<div class="entry-meta"><span class="posted-on"><a href="{_href(config, a.id, base_url)}" '
            f'rel="bookmark"><time class="entry-date published" datetime="{O.w3c(a.published)}">'
            f'{_date_text(a.published)}</time>{updated}</a></span><span class="byline"> <span class="author vcard">'
            f'{escape(O.byline_raw(config, a))}</span></span></div>\n')


def _schema(config: MirrorConfig, a: M.Article, url: str, base_url: str) -> str:
    """Yoast SEO's schema graph: Article (NewsArticle), WebPage, BreadcrumbList, WebSite, Organization, Person."""
    changed = O.modified(config, a)
    article = {"@type": ["Article", "NewsArticle"], "@id": f"{url}#article", "isPartOf": {"@id": url},
               "headline": a.title[:110], "datePublished": O.w3c(O.utc(a.published)),
               "dateModified": O.w3c(O.utc(changed)), "mainEntityOfPage": {"@id": url},
               "wordCount": sum(len(p.split()) for p in a.paragraphs),
               "publisher": {"@id": f"{base_url}/#organization"}, "articleSection": [a.category.name],
               "inLanguage": "ar"}
    graph = [article]
    if a.byline.authors:
        person_id = f"{base_url}/#/schema/person/{M.text_hash(a.byline.authors[0]):08x}"
        article["author"] = {"name": a.byline.authors[0], "@id": person_id}
        graph.append({"@type": "Person", "@id": person_id, "name": a.byline.authors[0],
                      "url": f"{base_url}/author/{user_id(a.byline.authors[0])}/"})
    if a.image:
        article["thumbnailUrl"] = base_url + O.image_path(a)
    graph += [{"@type": "WebPage", "@id": url, "url": url, "name": f"{a.title} - {SITE_NAME}",
               "isPartOf": {"@id": f"{base_url}/#website"}, "datePublished": O.w3c(O.utc(a.published)),
               "dateModified": O.w3c(O.utc(changed)), "breadcrumb": {"@id": f"{url}#breadcrumb"},
               "inLanguage": "ar", "potentialAction": [{"@type": "ReadAction", "target": [url]}]},
              {"@type": "BreadcrumbList", "@id": f"{url}#breadcrumb", "itemListElement": [
                  {"@type": "ListItem", "position": 1, "name": "الرئيسية", "item": f"{base_url}/"},
                  {"@type": "ListItem", "position": 2, "name": a.title}]},
              {"@type": "WebSite", "@id": f"{base_url}/#website", "url": f"{base_url}/", "name": SITE_NAME,
               "publisher": {"@id": f"{base_url}/#organization"}, "inLanguage": "ar"},
              {"@type": "Organization", "@id": f"{base_url}/#organization", "name": SITE_NAME,
               "url": f"{base_url}/"}]
    blob = json.dumps({"@context": "https://schema.org", "@graph": graph}, ensure_ascii=False).replace("</", "<\\/")
    return f'<script type="application/ld+json" class="yoast-schema-graph">{blob}</script>\n'


def _content(a: M.Article) -> str:
    return "\n\n".join(f"<p>{escape(p)}</p>" for p in a.paragraphs) + "\n"


def article_page(config: MirrorConfig, article_id: int, base_url: str) -> Page:
    a = M.article(config, article_id)
    url = _href(config, article_id, base_url)
    changed = O.modified(config, a)
    excerpt = escape(" ".join(a.paragraphs[0].split()[:30])) if a.paragraphs else ""
    yoast = (f'<!-- This site is optimized with the Yoast SEO plugin v22.5 - https://yoast.com/wordpress/plugins/seo/ -->\n'
             f'<meta name="description" content="{excerpt}">\n<link rel="canonical" href="{url}">\n'
             f'<meta property="og:locale" content="ar_AR">\n<meta property="og:type" content="article">\n'
             f'<meta property="og:title" content="{escape(a.title)} - {SITE_NAME}">\n'
             f'<meta property="og:description" content="{excerpt}">\n<meta property="og:url" content="{url}">\n'
             f'<meta property="og:site_name" content="{SITE_NAME}">\n'
             f'<meta property="article:published_time" content="{O.w3c(O.utc(a.published))}">\n'
             f'<meta property="article:modified_time" content="{O.w3c(O.utc(changed))}">\n'
             + (f'<meta property="og:image" content="{base_url}{O.image_path(a)}">\n' if a.image else "")
             + (f'<meta name="author" content="{escape(a.byline.authors[0])}">\n' if a.byline.authors else "")
             + f'<meta name="twitter:card" content="summary_large_image">\n{_schema(config, a, url, base_url)}'
             f'<!-- / Yoast SEO plugin. -->\n'
             f'<link rel="alternate" type="application/json" href="{base_url}/wp-json/wp/v2/posts/{a.id}">\n'
             f"<link rel='shortlink' href='{base_url}/?p={a.id}'>\n")
    category = a.category
    figure = ""
    if a.image:
        figure = (f'<figure class="wp-block-image size-large post-thumbnail"><img src="{base_url}{O.image_path(a)}" '
                  f'class="attachment-post-thumbnail size-post-thumbnail wp-post-image" alt="">'
                  + (f'<figcaption class="wp-element-caption">{escape(a.caption)}</figcaption>' if a.caption else "")
                  + "</figure>\n")
    tags = ", ".join(f'<a href="{base_url}/tag/{quote(M.TAGS[t - 1][1].replace(" ", "-"), safe="-").lower()}/" '
                     f'rel="tag">{escape(M.TAGS[t - 1][1])}</a>' for t in a.tags)
    ids = O.served_ids(config)
    at = ids.index(article_id)
    nav = ""
    if at > 0:
        nav += (f'<div class="nav-previous"><a href="{_href(config, ids[at - 1], base_url)}" rel="prev">'
                f'{escape(M.headline(config, ids[at - 1]).title)}</a></div>')
    if at + 1 < len(ids):
        nav += (f'<div class="nav-next"><a href="{_href(config, ids[at + 1], base_url)}" rel="next">'
                f'{escape(M.headline(config, ids[at + 1]).title)}</a></div>')
    body = (f'{_head(f"{a.title} - {SITE_NAME}", base_url, yoast)}<body class="post-template-default single '
            f'single-post postid-{a.id} single-format-standard rtl">\n{_masthead(base_url)}'
            f'<main id="primary" class="site-main">\n<article id="post-{a.id}" class="post-{a.id} post type-post '
            f'status-publish format-standard hentry category-{category_slug(category)}">\n'
            f'<header class="entry-header">\n<h1 class="entry-title">{escape(a.title)}</h1>\n{_meta(config, a, base_url)}'
            f'</header><!-- .entry-header -->\n{figure}<div class="entry-content">\n{_content(a)}</div><!-- .entry-content -->\n'
            f'<footer class="entry-footer"><span class="cat-links">نشر في <a href="{base_url}/category/'
            f'{category_slug(category)}/" rel="category tag">{category.name}</a></span>'
            f'<span class="tags-links">وسوم {tags}</span></footer>\n</article>\n'
            f'<nav class="navigation post-navigation" aria-label="مقالات"><div class="nav-links">{nav}</div></nav>\n'
            f'</main><!-- #main -->\n{_sidebar(config, base_url, exclude=a.id)}{_FOOTER}')
    return O.html_page(body)


def _listing(config: MirrorConfig, heading: str, ids: list[int], page: int, href, base_url: str,
             body_class: str) -> Page:
    pages = max(1, -(-len(ids) // PER_PAGE))
    if not 1 <= page <= pages:
        return not_found(config, base_url)
    posts = []
    for article_id in ids[(page - 1) * PER_PAGE: page * PER_PAGE]:
        a = M.article(config, article_id)
        excerpt = escape(" ".join(a.paragraphs[0].split()[:30])) + " [&hellip;]" if a.paragraphs else ""
        posts.append(f'<article id="post-{a.id}" class="post-{a.id} post type-post status-publish hentry">\n'
                     f'<header class="entry-header"><h2 class="entry-title"><a href="{_href(config, a.id, base_url)}" '
                     f'rel="bookmark">{escape(a.title)}</a></h2>{_meta(config, a, base_url)}</header>\n'
                     f'<div class="entry-summary"><p>{excerpt}</p></div>\n</article>\n')
    links = []
    if page < pages:
        links.append(f'<div class="nav-previous"><a href="{href(page + 1)}">مقالات أقدم</a></div>')
    if page > 1:
        links.append(f'<div class="nav-next"><a href="{href(page - 1)}">مقالات أحدث</a></div>')
    title = f'<header class="page-header"><h1 class="page-title">{escape(heading)}</h1></header>\n' if heading else ""
    body = (f'{_head(f"{heading or SITE_NAME} - {SITE_NAME}", base_url)}<body class="{body_class} rtl">\n'
            f'{_masthead(base_url)}<main id="primary" class="site-main">\n{title}{"".join(posts)}'
            f'<nav class="navigation posts-navigation"><div class="nav-links">{"".join(links)}</div></nav>\n'
            f'</main>\n{_sidebar(config, base_url)}{_FOOTER}')
    return O.html_page(body)


def not_found(config: MirrorConfig, base_url: str) -> Page:
    body = (f'{_head(f"الصفحة غير موجودة - {SITE_NAME}", base_url)}<body class="error404 rtl">\n{_masthead(base_url)}'
            f'<main id="primary" class="site-main"><section class="error-404 not-found"><header class="page-header">'
            f'<h1 class="page-title">عذراً! لا يمكن العثور على هذه الصفحة.</h1></header></section></main>\n{_FOOTER}')
    return O.html_page(body, 404)


# --- feed, sitemaps, REST API ----------------------------------------------------------------------------

def feed(config: MirrorConfig, base_url: str) -> Page:
    items = []
    for article_id in O.served_ids(config)[::-1][:PER_PAGE]:
        a = M.article(config, article_id)
        creator = a.byline.authors[0] if a.byline.authors else O.byline_raw(config, a)
        items.append(f"<item><title>{escape(a.title)}</title><link>{_href(config, a.id, base_url)}</link>"
                     f"<dc:creator><![CDATA[{creator}]]></dc:creator>"
                     f"<pubDate>{O.utc(a.published):%a, %d %b %Y %H:%M:%S +0000}</pubDate>"
                     f"<category><![CDATA[{a.category.name}]]></category>"
                     f'<guid isPermaLink="false">{base_url}/?p={a.id}</guid>'
                     f"<description><![CDATA[{a.paragraphs[0][:200]} [&#8230;]]]></description>"
                     f"<content:encoded><![CDATA[{_content(a)}]]></content:encoded></item>\n")
    return O.xml_page('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
                      'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
                      'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">\n'
                      f'<channel><title>{SITE_NAME}</title><link>{base_url}</link><language>ar</language>'
                      f'<atom:link href="{base_url}/feed/" rel="self" type="application/rss+xml" />\n'
                      f'{"".join(items)}</channel></rss>\n', "application/rss+xml")


def _post_sitemaps(config: MirrorConfig) -> list[list[int]]:
    ids = O.served_ids(config)
    return [ids[n: n + O.SITEMAP_SIZE] for n in range(0, len(ids), O.SITEMAP_SIZE)]


def sitemap_index(config: MirrorConfig, base_url: str) -> Page:
    children = []
    for n, chunk in enumerate(_post_sitemaps(config), 1):
        last = max(O.modified(config, M.headline(config, i)) for i in chunk)
        children.append((f"{base_url}/post-sitemap{n if n > 1 else ''}.xml", last))
    newest = max(last for _, last in children) if children else M.visit_date(config)
    children.append((f"{base_url}/category-sitemap.xml", newest))
    return O.sitemap_index(children)


def category_sitemap(config: MirrorConfig, base_url: str) -> Page:
    rows = "".join(f"<url><loc>{base_url}/category/{category_slug(c)}/</loc></url>\n" for c in M.CATEGORIES)
    return O.xml_page('<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/'
                      f'sitemap/0.9">\n{rows}</urlset>\n')


def _post_json(config: MirrorConfig, article_id: int, base_url: str) -> dict:
    a = M.article(config, article_id)
    changed = O.modified(config, a)
    path = O.article_path(config, article_id)
    excerpt = " ".join(a.paragraphs[0].split()[:30]) if a.paragraphs else ""
    return {"id": a.id, "date": f"{a.published:%Y-%m-%dT%H:%M:%S}",
            "date_gmt": f"{O.utc(a.published):%Y-%m-%dT%H:%M:%S}", "guid": {"rendered": f"{base_url}/?p={a.id}"},
            "modified": f"{changed:%Y-%m-%dT%H:%M:%S}", "modified_gmt": f"{O.utc(changed):%Y-%m-%dT%H:%M:%S}",
            "slug": path.rstrip("/").rsplit("/", 1)[-1], "status": "publish", "type": "post",
            "link": base_url + path, "title": {"rendered": escape(a.title, quote=False)},
            "content": {"rendered": _content(a), "protected": False},
            "excerpt": {"rendered": f"<p>{escape(excerpt, quote=False)} [&hellip;]</p>\n", "protected": False},
            "author": user_id(a.byline.authors[0]) if a.byline.authors else 1,
            "featured_media": M.text_hash(a.image) % 100000 if a.image else 0,
            "categories": [a.category_id], "tags": list(a.tags)}


def _json(data, status: int = 200, headers: dict[str, str] | None = None) -> Page:
    body = json.dumps(data, ensure_ascii=True, separators=(",", ":")).encode()
    return Page(status, {"Content-Type": "application/json; charset=UTF-8", **(headers or {})}, body)


def _api_error(code: str, message: str, status: int) -> Page:
    return _json({"code": code, "message": message, "data": {"status": status}}, status)


def wp_json(config: MirrorConfig, path: str, query: str, base_url: str) -> Page:
    if config.wp_json == "off":
        return not_found(config, base_url)
    if config.wp_json == "forbidden":
        return _api_error("rest_forbidden", "عذراً، غير مسموح لك بالقيام بذلك.", 403)
    args = {k: v[-1] for k, v in parse_qs(query).items()}
    if path in ("/wp-json", "/wp-json/"):
        return _json({"name": SITE_NAME, "url": base_url, "namespaces": ["oembed/1.0", "wp/v2", "yoast/v1"]})
    if match := re.fullmatch(r"/wp-json/wp/v2/posts/(\d+)/?", path):
        article_id = int(match.group(1))
        if O.article_path(config, article_id) is None:
            return _api_error("rest_post_invalid_id", "رقم تعريف المقالة غير صالح.", 404)
        return _json(_post_json(config, article_id, base_url))
    if path.rstrip("/") != "/wp-json/wp/v2/posts":
        return _api_error("rest_no_route", "لم يتم العثور على مسار يتطابق مع URL وطريقة الطلب.", 404)
    try:
        page, per_page = int(args.get("page", 1)), int(args.get("per_page", PER_PAGE))
    except ValueError:
        return _api_error("rest_invalid_param", "Invalid parameter(s): page", 400)
    if not 1 <= per_page <= API_MAX_PER_PAGE or page < 1:
        return _api_error("rest_invalid_param", "Invalid parameter(s): per_page", 400)
    ids = O.served_ids(config)[::-1]
    pages = max(1, -(-len(ids) // per_page))
    if page > pages:
        return _api_error("rest_post_invalid_page_number",
                          "رقم الصفحة المطلوب أكبر من عدد الصفحات المتاحة.", 400)
    posts = [_post_json(config, i, base_url) for i in ids[(page - 1) * per_page: page * per_page]]
    return _json(posts, headers={"X-WP-Total": str(len(ids)), "X-WP-TotalPages": str(pages)})


# --- routing ---------------------------------------------------------------------------------------------

_PAGED = re.compile(r"^(?:/category/(?P<category>[^/]+))?(?:/page/(?P<page>\d+))?/?$")
_POST_SITEMAP = re.compile(r"^/post-sitemap(\d*)\.xml$")


def route(config: MirrorConfig, target: str, base_url: str) -> Page:
    path, _, query = target.split("#", 1)[0].partition("?")
    path = unquote_fully(path) or "/"
    if path == "/" and (p := parse_qs(query).get("p")):
        article_id = int(p[-1]) if p[-1].isdigit() else 0
        where = O.article_path(config, article_id) if config.serves(article_id) else None
        return O.redirect(base_url + where) if where else not_found(config, base_url)
    if path == "/robots.txt":
        text = (f"User-agent: *\nDisallow: /wp-admin/\nAllow: /wp-admin/admin-ajax.php\n\n"
                f"Sitemap: {base_url}/sitemap_index.xml\n")
        return Page(200, {"Content-Type": "text/plain; charset=utf-8"}, text.encode())
    if path.startswith("/wp-json"):
        return wp_json(config, path, query, base_url)
    if path in ("/feed", "/feed/"):
        return feed(config, base_url)
    if path == "/sitemap_index.xml":
        return sitemap_index(config, base_url)
    if match := _POST_SITEMAP.match(path):
        chunks, n = _post_sitemaps(config), int(match.group(1) or 1)
        if match.group(1) == "1" or not 1 <= n <= len(chunks):  # Yoast: post-sitemap.xml, post-sitemap2.xml, ...
            return not_found(config, base_url)
        return O.urlset(config, base_url, chunks[n - 1], images=True)
    if path == "/category-sitemap.xml":
        return category_sitemap(config, base_url)
    if path == "/news-sitemap.xml":
        return O.news_sitemap(config, base_url, O.served_ids(config)[::-1][:NEWS_ITEMS], SITE_NAME)
    if (article_id := O.article_at(config, path)) is not None:
        canonical = O.article_path(config, article_id)
        if not path.endswith("/"):  # WordPress adds the trailing slash
            return O.redirect(base_url + canonical)
        return article_page(config, article_id, base_url)
    if match := _PAGED.match(path):
        page = int(match.group("page") or 1)
        if match.group("category"):
            category = _CATEGORY_BY_SLUG.get(match.group("category"))
            if category is None:
                return not_found(config, base_url)
            ids = O.section_ids(config, category.id)
            slug = category_slug(category)
            return _listing(config, category.name, ids, page,
                            lambda n: f"{base_url}/category/{slug}/" + (f"page/{n}/" if n > 1 else ""),
                            base_url, "archive category")
        return _listing(config, "", O.served_ids(config)[::-1], page,
                        lambda n: f"{base_url}/" + (f"page/{n}/" if n > 1 else ""), base_url,
                        "home blog" if page == 1 else "home blog paged")
    if path.startswith(("/wp-content/", "/uploads/")):
        return Page(200, {"Content-Type": "image/gif"}, O.GIF)
    return not_found(config, base_url)

