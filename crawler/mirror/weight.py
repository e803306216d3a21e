"""Pages of real weight (``MirrorConfig.weight == "real"``): the chrome a real news page carries around its story.

The light pages (the default, what the fast tests crawl) average 8 KiB. Real article pages weigh 80–300 KB,
and almost all of it is not the story: inline CSS and JavaScript, an SVG icon sprite, a mega menu with a
hundred links, a breaking-news ticker, "latest" and "most read" boxes with titles and timestamps, related
cards with leads and dates, the page's own state as JSON in a script (title and body included), a comments
box, and a footer with an "about" paragraph and a last-update date. This module writes those parts; the
page renderers of ``pages.py`` place them. Every part is plain ``div``/``ul`` markup as a CMS theme would
write it — no class or tag chosen to help an extractor — and text-like where real chrome is text-like.

Deterministic by (seed, id): an article page is padded with a vendor script bundle up to its own target
size, 82–148 KB of encoded bytes. The weight changes no truth: the story's fields are the light page's.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, time
from functools import lru_cache
from html import escape

from crawler.mirror import model as M
from crawler.mirror import words as W
from crawler.mirror.links import _href, category_href, tag_href

MIN_BYTES, MAX_BYTES = 82_000, 148_000
_S_WEIGHT = 91  # salt of the size decision


def target_bytes(config: M.MirrorConfig, article_id: int) -> int:
    """The encoded size an article page is padded up to (its own chrome may already pass it)."""
    return MIN_BYTES + M.mix(config.seed, article_id, _S_WEIGHT) % (MAX_BYTES - MIN_BYTES)


# --- static assets: the same on every page of a config --------------------------------------------------

_CLASSES = ("container", "row", "col", "header", "top-bar", "brand", "menu", "mega", "ticker", "post", "post-title",
            "post-meta", "post-body", "widget", "widget-title", "card", "card-img", "card-body", "btn", "share",
            "footer", "footer-col", "social", "newsletter", "comments", "ad-slot", "breadcrumb", "tags", "related",
            "latest", "most-read", "icon", "search-box", "overlay", "modal", "dropdown", "nav-item", "badge")
_PROPS = ("margin", "padding", "color", "background", "font-size", "line-height", "display", "border",
          "border-radius", "width", "max-width", "height", "position", "top", "right", "z-index", "opacity",
          "transition", "text-align", "font-weight", "box-shadow", "flex", "gap", "overflow")
_VALUES = ("0", "auto", "4px", "8px 12px", "1rem", "1.6", "#222", "#c00", "#f5f5f5", "none", "block", "flex",
           "inline-block", "100%", "50%", "relative", "absolute", "1px solid #ddd", "all .3s ease", "bold",
           "center", "0 2px 6px rgba(0,0,0,.15)", "hidden", "999")


@lru_cache(maxsize=8)
def stylesheet(seed: int) -> str:
    """An inline theme stylesheet (~24 KB): generated rules, media queries included."""
    rng = random.Random(M.mix(seed, 0, _S_WEIGHT + 1))
    rules = []
    for n in range(420):
        selector = "." + rng.choice(_CLASSES) + (f" .{rng.choice(_CLASSES)}" if rng.random() < 0.5 else "")
        if rng.random() < 0.2:
            selector += f":{rng.choice(('hover', 'focus', 'first-child', 'last-child', 'before', 'after'))}"
        body = ";".join(f"{rng.choice(_PROPS)}:{rng.choice(_VALUES)}" for _ in range(rng.randint(2, 6)))
        rules.append(f"{selector}{{{body}}}")
        if n % 60 == 59:
            rules.append(f"@media (max-width:{rng.choice((480, 768, 992))}px){{.{rng.choice(_CLASSES)}"
                         f"{{display:none}}}}")
    return "".join(rules)


_JS_NAMES = ("e", "t", "n", "r", "i", "o", "a", "s", "u", "c", "l", "f", "d", "p", "h", "m", "g", "v", "y", "b")
_JS_WORDS = ("function", "return", "var", "this", "prototype", "length", "push", "call", "apply", "document",
             "window", "addEventListener", "querySelectorAll", "getAttribute", "setTimeout", "Object", "Array",
             "JSON", "parse", "stringify", "undefined", "null", "typeof", "instanceof", "Promise", "then",
             "catch", "style", "classList", "add", "remove", "toggle", "dataset", "innerHTML", "appendChild")


@lru_cache(maxsize=8)
def vendor_bundle(seed: int, size: int = MAX_BYTES) -> str:
    """``size`` characters of minified-looking JavaScript (ASCII, no ``<``): a bundled library, the padding."""
    rng = random.Random(M.mix(seed, 1, _S_WEIGHT + 2))
    out: list[str] = []
    total = 0
    while total < size:
        a, b, c = rng.choice(_JS_NAMES), rng.choice(_JS_NAMES), rng.choice(_JS_NAMES)
        word = rng.choice(_JS_WORDS)
        piece = rng.choice((
            f"function {a}{b}({c},{a}){{return {c}.{word}({a}&&{b}.{rng.choice(_JS_WORDS)})}}",
            f"var {a}={b}.{word}||{{}};",
            f"{a}.prototype.{word}=function({b}){{this.{rng.choice(_JS_WORDS)}={b};return this}};",
            f"if(typeof {a}===\"undefined\"){{{b}={c}.{word}({rng.randint(0, 9999)})}}",
            f"{a}[{rng.randint(0, 300)}]=function({b},{c}){{\"use strict\";{c}.exports={b}.{word}}};",
            f"for(var {a}=0;{a}<{b}.length;{a}++){{{c}.push({b}[{a}])}}",
        ))
        out.append(piece)
        total += len(piece)
    return "".join(out)[:size]


_TRACKING = (
    "<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}"
    "gtag('js',new Date());gtag('config','G-ARSHIF0000',{anonymize_ip:true});</script>\n"
    "<script>!function(f,b,e,v,n,t,s){if(f.fbq)return;n=f.fbq=function(){n.callMethod?"
    "n.callMethod.apply(n,arguments):n.queue.push(arguments)};if(!f._fbq)f._fbq=n;n.push=n;n.loaded=!0;"
    "n.version='2.0';n.queue=[]}(window,document,'script');fbq('init','000000000000000');"
    "fbq('track','PageView');</script>\n"
    "<script>var googletag=googletag||{};googletag.cmd=googletag.cmd||[];googletag.cmd.push(function(){"
    "googletag.defineSlot('/0000/alhadath_top',[[728,90],[970,250]],'ad-top').addService(googletag.pubads());"
    "googletag.defineSlot('/0000/alhadath_side',[300,250],'ad-side').addService(googletag.pubads());"
    "googletag.pubads().enableSingleRequest();googletag.enableServices()});</script>\n"
)


def head_extra(seed: int) -> str:
    """What a real ``<head>`` adds: preloads, the inline theme CSS, analytics and ad scripts."""
    return (f'<link rel="preconnect" href="https://fonts.gstatic.com">\n'
            f'<link rel="preload" href="/static/fonts/arabic.woff2" as="font" crossorigin>\n'
            f'<link rel="icon" href="/static/favicon.ico">\n'
            f"<style>{stylesheet(seed)}</style>\n{_TRACKING}")


@lru_cache(maxsize=8)
def svg_sprite(seed: int) -> str:
    """An inline SVG icon sprite (~7 KB of path data) at the top of ``<body>``."""
    rng = random.Random(M.mix(seed, 2, _S_WEIGHT + 3))
    symbols = []
    for name in ("facebook", "twitter", "whatsapp", "telegram", "youtube", "instagram", "search", "menu",
                 "close", "clock", "eye", "print", "mail", "arrow-left", "arrow-right", "home", "play", "camera"):
        path = " ".join(f"{rng.choice('MLCQ')}{rng.randint(0, 240) / 10} {rng.randint(0, 240) / 10}"
                        for _ in range(rng.randint(12, 30)))
        symbols.append(f'<symbol id="icon-{name}" viewBox="0 0 24 24"><path d="{path}Z"/></symbol>')
    return f'<svg xmlns="http://www.w3.org/2000/svg" style="display:none">{"".join(symbols)}</svg>\n'


# --- chrome with text: menus, boxes, footer --------------------------------------------------------------

@lru_cache(maxsize=8)
def mega_menu(seed: int) -> str:
    """The drop-down mega menu: every section with a dozen sub-sections (~130 links)."""
    rng = random.Random(M.mix(seed, 3, _S_WEIGHT + 4))
    columns = []
    for category in M.CATEGORIES:
        subs = "".join(
            f'<li class="nav-item"><a href="{escape(tag_href(t))}">{escape(M.TAGS[t - 1][1])}</a></li>'
            for t in rng.sample(range(1, len(M.TAGS) + 1), 12))
        columns.append(f'<div class="mega-col"><div class="mega-title"><a href="{category_href(category)}">'
                       f'{category.name}</a></div><ul>{subs}</ul></div>')
    services = "".join(f'<li><a href="/page/{n}">{name}</a></li>' for n, name in enumerate(
        ("من نحن", "اتصل بنا", "أعلن معنا", "سياسة الخصوصية", "شروط الاستخدام", "الأرشيف", "النسخة المطبوعة",
         "ملفات خاصة", "فيديو", "صور", "كاريكاتير", "انفوجرافيك"), 1))
    return (f'<div class="mega-menu" id="mega-menu"><div class="mega-inner">{"".join(columns)}'
            f'<div class="mega-col"><div class="mega-title">خدمات</div><ul>{services}</ul></div></div></div>\n')


def _item(config: M.MirrorConfig, article_id: int, base_url: str, context: int, stamp: str) -> str:
    a = M.headline(config, article_id)
    return (f'<li><a href="{_href(config, article_id, context, base_url)}">{escape(a.title)}</a>'
            f'<span class="time">{stamp}</span></li>')


@lru_cache(maxsize=64)
def ticker(config: M.MirrorConfig, base_url: str) -> str:
    """"عاجل": the newest headlines with their time of day, under the header."""
    items = "".join(_item(config, i, base_url, 4, f"{M.headline(config, i).published:%H:%M}")
                    for i in M.newest_ids(config, 8))
    return f'<div class="ticker"><span class="badge">عاجل</span><ul>{items}</ul></div>\n'


@lru_cache(maxsize=64)
def latest_box(config: M.MirrorConfig, base_url: str) -> str:
    """"آخر الأخبار": ten newest titles with full timestamps (dates that are never the page's own)."""
    items = "".join(_item(config, i, base_url, 5, M.format_timestamp(M.headline(config, i).published))
                    for i in M.newest_ids(config, 10))
    return (f'<div class="widget latest"><div class="widget-title">آخر الأخبار</div><ul>{items}</ul></div>\n'
            f'<div class="ad-slot" id="ad-side"><script>googletag.cmd.push(function(){{googletag.display('
            f'"ad-side")}});</script></div>\n')


def related_cards(config: M.MirrorConfig, a: M.Article, base_url: str) -> str:
    """"أخبار ذات صلة": cards of earlier stories, each with a title, a timestamp and a lead of its text."""
    cards = []
    for article_id in M.newest_ids(config, 6, below=a.id - 4):
        other = M.article(config, article_id)
        lead = " ".join(other.paragraphs[0].split()[:24]) + " ..." if other.paragraphs else ""
        href = _href(config, article_id, 6, base_url)
        cards.append(f'<div class="card"><a class="card-img" href="{href}"><img src="/images/thumbs/{article_id}.jpg"'
                     f' alt=""></a><div class="card-body"><h4><a href="{href}">{escape(other.title)}</a></h4>'
                     f'<div class="date">{M.format_timestamp(other.published)}</div><p>{escape(lead)}</p></div></div>')
    return f'<div class="related-posts"><div class="widget-title">أخبار ذات صلة</div>{"".join(cards)}</div>\n'


def comments_box(a: M.Article) -> str:
    return (f'<div class="comments"><div class="widget-title">التعليقات</div>'
            f'<div class="fb-comments" data-href="{M.SITE_BASE_URL}/article/{a.id}" data-numposts="5"></div>'
            f'<form class="comment-form"><textarea name="comment" placeholder="أضف تعليقك"></textarea>'
            f'<button type="submit">إرسال</button></form></div>\n')


def newsletter() -> str:
    return ('<div class="widget newsletter"><div class="widget-title">النشرة البريدية</div>'
            '<p>اشترك في النشرة البريدية ليصلك أهم الأخبار يوميا</p><form><input type="email" name="email" '
            'placeholder="البريد الإلكتروني"><button type="submit">اشترك</button></form></div>\n')


def state_script(config: M.MirrorConfig, a: M.Article) -> str:
    """The page's state for the client scripts: the story itself (title, body, time) as JSON, unescaped."""
    data = {"page": "article", "article": {
        "id": a.id, "title": a.title, "category": a.category.name if a.category else "",
        "published": a.published.isoformat(), "author": a.byline.raw if a.byline else "",
        "image": a.image, "caption": a.caption, "body": "\n".join(a.paragraphs),
        "tags": [M.TAGS[t - 1][1] for t in a.tags]},
        "related": [{"id": i, "title": M.headline(config, i).title,
                     "date": M.format_timestamp(M.headline(config, i).published)}
                    for i in M.newest_ids(config, 6, below=a.id - 4)],
        "config": {"lang": "ar", "dir": "rtl", "ads": True, "api": "/api/v2"}}
    blob = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    return f"<script>window.__INITIAL_STATE__ = {blob};</script>\n"


@lru_cache(maxsize=16)
def big_footer(config: M.MirrorConfig) -> str:
    """Link columns, an "about" paragraph, contacts, the last update (the visit day, with a time)."""
    visit = M.visit_date(config)
    updated = datetime.combine(visit, time(9, 41, 7), M.TIMEZONE)
    sections = "".join(f'<li><a href="{category_href(c)}">{c.name}</a></li>' for c in M.CATEGORIES)
    tags = "".join(f'<li><a href="/tag/{t}/x">{escape(name)}</a></li>' for t, name in M.TAGS[:16])
    about = ("صحيفة الحدث الفلسطيني صحيفة مستقلة تصدر في مدينة رام الله، تعنى بالشأن الفلسطيني السياسي "
             "والاقتصادي والثقافي، وتسعى إلى تقديم صحافة مهنية تحترم عقل القارئ وحقه في المعرفة، "
             "وتنشر الأخبار والتقارير والتحقيقات ومقالات الرأي على مدار الساعة.")
    return (f'<div class="footer-top"><div class="footer-col"><div class="widget-title">عن الحدث</div>'
            f'<p>{about}</p></div><div class="footer-col"><div class="widget-title">الأقسام</div><ul>{sections}</ul>'
            f'</div><div class="footer-col"><div class="widget-title">مواضيع</div><ul>{tags}</ul></div>'
            f'<div class="footer-col"><div class="widget-title">اتصل بنا</div><p>رام الله - فلسطين، شارع الإرسال، '
            f'عمارة النجمة، الطابق الرابع</p><p>هاتف: 2960000-02-970+</p><p>آخر تحديث: '
            f'{M.format_timestamp(updated)}</p></div></div>\n'
            f'<div class="social"><a href="https://facebook.com/alhadath.ps"><svg class="icon"><use href="#icon-facebook">'
            f'</use></svg></a><a href="https://twitter.com/alhadath_ps"><svg class="icon"><use href="#icon-twitter">'
            f'</use></svg></a></div>\n')


def pad(text: str, target: int, encoding: str, seed: int) -> str:
    """``text`` (a page ending in ``</body>\\n</html>\\n``) with a vendor bundle script before ``</body>``,
    up to ``target`` encoded bytes; unchanged when it already weighs that much."""
    size = len(text.encode("utf-8" if encoding == "utf-8" else "cp1256", "xmlcharrefreplace"))
    missing = target - size - len("<script></script>\n")
    if missing <= 0:
        return text
    cut = text.rfind("</body>")
    return f"{text[:cut]}<script>{vendor_bundle(seed)[:missing]}</script>\n{text[cut:]}"
