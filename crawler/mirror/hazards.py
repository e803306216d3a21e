"""Hostile-web hazards the mirror acts out on demand (``arshif mirror --hazards robots503,bomb,...``).

Off by default; each is deterministic. Hazard articles live at ids just past the served range
(``hazard_ids(config)``: ``end_id``, ``end_id + 1``, …), linked from the home page, so a crawl meets them and
``arshif backfill --ids`` can ask for them; ``selfredirect-cookie`` and ``endless-pages`` change pages of the
served range instead. What a crawler must do with each is in issue 12 (tests/test_hostile*.py):

- ``robots503``: robots.txt answers 503; ``robotsdrop``: the connection drops on robots.txt; ``robots404``:
  robots.txt answers 404 (no rules: everything allowed).
- ``retry-after``: the first request of each of the first ``RETRY_AFTER_IDS`` ids answers 429 with
  ``Retry-After: 10`` (more than a loopback crawl's 32 download slots).
- ``bomb``: an article answers 200 ``Content-Encoding: gzip`` with ~2 MB that inflate to 2 GiB of zeros.
- ``huge``: an article answers a 60 MB page with no Content-Length (close-delimited).
- ``hang``: headers, then silence; ``trickle``: headers, then one byte every half second.
- ``loop``: A → A?r=1 → A?r=2 … (a growing query); and A → /hazard/bounce/A → A.
- ``selfredirect-cookie``: the newest article redirects to itself once, setting a cookie, then serves the
  page to a request with the cookie (scrapy/scrapy#1225).
- ``offsite``: articles redirecting to another host (``.invalid``), ``file://`` and ``data:`` URLs.
  ``offsite-private`` adds 169.254.169.254 and 10.0.0.1 targets: only ever inside ``unshare -n``.
- ``endless-pages``: ``/category/N/.../page/K`` past the last page answers the last page again, with a
  "next" link, for every K.
- ``feed``: ``/rss/news.xml`` (RSS 2.0: 50 items, every fifth of the newest 250 articles, so it reaches
  further back than the first listing pages) and a ``<link rel="alternate">`` to it.
- ``hostile-strings``: an article whose title and first paragraph are ``HOSTILE_TITLE`` and
  ``HOSTILE_PARAGRAPH`` (SQL, quotes, ``]``, U+202E, a leading ``=``, a 200 KB line): stored and exported
  byte for byte.
- ``sitemap-bomb``: ``/sitemap.xml`` is a billion-laughs document; ``feed-xxe``: the feed declares an
  external entity (``file:///etc/passwd``).
"""

from __future__ import annotations

import re
import zlib
from email.utils import format_datetime
from functools import lru_cache
from html import escape
from typing import NamedTuple
from urllib.parse import quote

from crawler.mirror import model as M
from crawler.mirror.model import HAZARDS, parse_hazards  # noqa: F401 (the names live with the config)
from crawler.mirror.pages import PAGE_SIZE, Page, article_href, article_page, category_page

# Hazards that take an article id past the served range, in this order: name → how many ids.
_ID_HAZARDS = (("bomb", 1), ("huge", 1), ("hang", 1), ("trickle", 1), ("loop", 2), ("offsite", 3),
               ("offsite-private", 2), ("hostile-strings", 1))
OFFSITE_TARGETS = ("http://offsite.invalid/article/1/x", "file:///etc/passwd", "data:text/html,<h1>x</h1>")
PRIVATE_TARGETS = ("http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/article/1/x")
BOMB_INFLATED = 2 * 1024**3  # bytes of zeros the bomb inflates to
HUGE_BYTES = 60 * 1024**2
TRICKLE_SECONDS = 0.5
RETRY_AFTER = 10  # seconds the retry-after hazard asks for
RETRY_AFTER_IDS = 40
FEED_PATH = "/rss/news.xml"
FEED_ITEMS = 50
LOOP_HOPS = 1000
HOSTILE_TITLE = "=HYPERLINK(\"http://x\") '); DROP TABLE articles;-- \"quoted\" [a]] \u202eمقلوب"
HOSTILE_PARAGRAPH = ("'); DROP TABLE articles;-- \"; DELETE FROM aliases; ]]> \u202e" + "سطر طويل " * 22_000).strip()  # the growing-query loop gives up (answers 404) after this many hops


def enabled(config: M.MirrorConfig) -> frozenset[str]:
    return parse_hazards(getattr(config, "hazards", ""))


def hazard_ids(config: M.MirrorConfig) -> dict[int, tuple[str, int]]:
    """Article id → (hazard, index within the hazard) for the enabled per-id hazards."""
    on, out, next_id = enabled(config), {}, config.end_id
    for name, count in _ID_HAZARDS:
        if name in on:
            for index in range(count):
                out[next_id] = (name, index)
                next_id += 1
    return out


def cookie_article(config: M.MirrorConfig) -> int:
    """The article ``selfredirect-cookie`` acts on: the newest one (linked from the home page)."""
    return M.newest_ids(config, 1)[0]


def count_key(target: str) -> str:
    """What the server counts requests by: an article's id (any slug, any query), else the path."""
    path = target.split("?", 1)[0]
    match = _ARTICLE.match(path)
    return f"/article/{match.group(1)}" if match else path


class Act(NamedTuple):
    """What the server does instead of answering a page: ``kind`` is hang | trickle | stream | drop."""

    kind: str
    headers: dict[str, str]
    chunks: object = None  # an iterator of bytes (stream) or the declared length (hang, trickle)


_ARTICLE = re.compile(r"^/article/(\d+)(/[^?]*)?(?:\?(.*))?$")
_BOUNCE = re.compile(r"^/hazard/bounce/(\d+)$")
_CATEGORY = re.compile(r"^/category/(\d+)(/[^/?]*)?/page/(\d+)/?$")


def act(config: M.MirrorConfig, target: str, headers: dict[str, str], base_url: str,
        count: int = 1) -> Page | Act | None:
    """The hazard's answer to the ``count``-th request of ``target``, or None when no hazard applies (the
    normal page follows)."""
    on = enabled(config)
    if not on:
        return None
    path = target.split("#", 1)[0]
    bare = path.split("?", 1)[0]
    if bare == "/robots.txt":
        if "robots503" in on:
            return Page(503, {"Content-Type": "text/plain", "Retry-After": "3600"}, b"maintenance\n")
        if "robotsdrop" in on:
            return Act("drop", {})
        if "robots404" in on:
            return Page(404, {"Content-Type": "text/plain"}, b"not found\n")
    if bare == FEED_PATH and ("feed" in on or "feed-xxe" in on):
        return feed_page(config, base_url, xxe="feed-xxe" in on)
    if bare == "/sitemap.xml" and "sitemap-bomb" in on:
        return Page(200, {"Content-Type": "application/xml"}, billion_laughs())
    if match := _BOUNCE.match(bare):  # B of A → B → A
        return _redirect(f"{base_url}/article/{match.group(1)}/hazard-loop")
    if (match := _CATEGORY.match(path)) and "endless-pages" in on:
        return endless_page(config, int(match.group(1)), match.group(2) or "", int(match.group(3)), base_url)
    match = _ARTICLE.match(path)
    if not match:
        return None
    article_id = int(match.group(1))
    if "retry-after" in on and count == 1 and config.start_id <= article_id < config.start_id + RETRY_AFTER_IDS:
        return Page(429, {"Content-Type": "text/plain", "Retry-After": str(RETRY_AFTER)}, b"slow down\n")
    if "selfredirect-cookie" in on and article_id == cookie_article(config):
        if "arshif_hazard=1" not in headers.get("cookie", ""):
            return _redirect(f"{base_url}{path}", {"Set-Cookie": "arshif_hazard=1; Path=/"})
        return None
    hazard = hazard_ids(config).get(article_id)
    if hazard is None:
        return None
    name, index = hazard
    if name == "bomb":
        return Act("stream", {"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip",
                              "Content-Length": str(len(gzip_bomb()))}, iter((gzip_bomb(),)))
    if name == "huge":
        return Act("stream", {"Content-Type": "text/html; charset=utf-8"}, huge_chunks())
    if name == "hang":
        return Act("hang", {"Content-Type": "text/html; charset=utf-8", "Content-Length": "5000"})
    if name == "trickle":
        return Act("trickle", {"Content-Type": "text/html; charset=utf-8", "Content-Length": "100000"})
    if name == "loop":
        if index == 1:
            return _redirect(f"{base_url}/hazard/bounce/{article_id}")
        hop = int((match.group(3) or "r=0").partition("=")[2] or 0)
        if hop >= LOOP_HOPS:
            return None
        return _redirect(f"{base_url}/article/{article_id}/loop?r={hop + 1}")
    if name == "offsite":
        return _redirect(OFFSITE_TARGETS[index])
    if name == "offsite-private":
        return _redirect(PRIVATE_TARGETS[index])
    if name == "hostile-strings":
        return hostile_page(config, base_url)
    return None


def _redirect(location: str, extra: dict[str, str] | None = None) -> Page:
    return Page(302, {"Location": location, "Content-Type": "text/html; charset=utf-8", **(extra or {})},
                b"<a href='moved'>moved</a>")


def decorate_home(config: M.MirrorConfig, page: Page) -> Page:
    """The home page with a link to each hazard article and, with ``feed``, its feed ``<link>``."""
    on = enabled(config)
    if not on or page.status != 200:
        return page
    body = page.body
    links = "".join(f'<li><a href="/article/{i}/hazard-{name}">hazard {name}</a></li>'
                    for i, (name, _) in hazard_ids(config).items())
    if links:
        body = body.replace(b"</main>", f'<ul class="hazards">{links}</ul></main>'.encode(), 1)
    if "feed" in on or "feed-xxe" in on:
        link = f'<link rel="alternate" type="application/rss+xml" title="RSS" href="{FEED_PATH}">'
        body = body.replace(b"</head>", link.encode() + b"</head>", 1)
    return page._replace(body=body)


# --- bodies ----------------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def gzip_bomb() -> bytes:
    """~2 MB of gzip that inflate to ``BOMB_INFLATED`` zero bytes: one member repeated (gzip allows
    concatenated members), so building it costs one 64 MiB compression, never 2 GiB in memory."""
    member_size = 64 * 1024**2
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = bytes(1024**2)
    member = b"".join(compressor.compress(chunk) for _ in range(member_size // len(chunk))) + compressor.flush()
    return member * (BOMB_INFLATED // member_size)


def huge_chunks():
    """A 60 MB article-like page, written a megabyte at a time."""
    yield b'<!DOCTYPE html><html lang="ar"><head><meta charset="utf-8"><title>huge</title></head><body><article><h1>huge</h1>'
    line = ("<p>" + "كلام " * 200 + "</p>\n").encode()
    block = line * max(1, (1024**2) // len(line))
    for _ in range(HUGE_BYTES // len(block)):
        yield block
    yield b"</article></body></html>"


def hostile_page(config: M.MirrorConfig, base_url: str) -> Page:
    """The newest article's page with ``HOSTILE_TITLE`` and ``HOSTILE_PARAGRAPH`` in place of its own."""
    a = M.article(config, cookie_article(config))
    body = article_page(config, a.id, base_url).body
    body = body.replace(escape(a.title).encode(), escape(HOSTILE_TITLE).encode())
    body = body.replace(escape(a.paragraphs[0]).encode(), escape(HOSTILE_PARAGRAPH).encode(), 1)
    return Page(200, {"Content-Type": "text/html; charset=utf-8"}, body)


def billion_laughs() -> bytes:
    entities = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{("&lol%d;" % (i - 1)) * 10}">' for i in range(1, 10)]
    return ('<?xml version="1.0"?>\n<!DOCTYPE urlset [' + "".join(entities) + ']>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>&lol9;</loc></url></urlset>\n'
            ).encode()


def feed_ids(config: M.MirrorConfig) -> list[int]:
    return M.newest_ids(config, FEED_ITEMS * 5)[::5]


def feed_page(config: M.MirrorConfig, base_url: str, xxe: bool = False) -> Page:
    """RSS 2.0 of ``feed_ids``, links on the real host (as the real site would)."""
    items = []
    for article_id in feed_ids(config):
        a = M.headline(config, article_id)
        link = article_href(article_id, a.slug, "absolute", M.SITE_BASE_URL)
        items.append(f"<item><title>{escape(a.title)}</title><link>{escape(link)}</link>"
                     f"<guid isPermaLink=\"true\">{escape(link)}</guid>"
                     f"<pubDate>{format_datetime(a.published)}</pubDate></item>")
    doctype = '<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n' if xxe else ""
    title = "&xxe;" if xxe else "الحدث"
    text = (f'<?xml version="1.0" encoding="utf-8"?>\n{doctype}<rss version="2.0"><channel><title>{title}</title>'
            f"<link>{M.SITE_BASE_URL}/</link><description>news</description>{''.join(items)}</channel></rss>\n")
    return Page(200, {"Content-Type": "application/rss+xml; charset=utf-8"}, text.encode())


def endless_page(config: M.MirrorConfig, category_id: int, slug: str, page: int, base_url: str) -> Page | None:
    """Past the last page: the last page again, always with a "next" link (many CMSes do this)."""
    category = M.CATEGORY_BY_ID.get(category_id)
    if category is None:
        return None
    pages = max(1, -(-len(M.category_ids(config, category_id)) // PAGE_SIZE))
    if page < pages:
        return None
    last = category_page(config, category_id, pages, base_url)
    href = f"/category/{category_id}{quote(slug, safe='/')}/page/{page + 1}"
    link = f'<div class="pagination"><a rel="next" href="{escape(href)}">التالي</a> '
    return last._replace(body=last.body.replace(b'<div class="pagination">', link.encode(), 1))
