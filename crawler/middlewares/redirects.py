"""Redirects a crawler may follow: http(s) within the site's domains, a bounded number of hops, no loops.

Scrapy's RedirectMiddleware follows 20 hops to anywhere its offsite filter lets through, and hands the
redirected request to the dupe filter, which silently drops a page that redirects to itself once to set a
cookie (scrapy/scrapy#1225: the article is lost, no row anywhere). Here:

- the target must be http/https on a host of the spider's ``allowed_domains`` (``file:``, ``data:``, other
  hosts refused), and never a private, link-local or loopback address unless the crawl itself is on
  loopback (``http://169.254.169.254/`` from a real site's page: refused);
- a URL may come back once in a chain (A → A with a cookie, then the page), not twice, and a chain ends
  after ``ARSHIF_REDIRECT_MAX_HOPS`` hops (A → A?r=1 → A?r=2 …);
- followed redirects skip the dupe filter (the two rules above bound them instead).

A refusal raises ``OffsiteRedirect`` or ``RedirectLoop``: the request's errback records a failure row.

``LeanMetaRefreshMiddleware`` is Scrapy's ``MetaRefreshMiddleware`` (``<meta http-equiv="refresh">``) that first
rules a refresh out in the page's bytes, where it can, instead of decoding the whole page to read its head.
"""

from __future__ import annotations

import codecs
import ipaddress
from urllib.parse import urljoin, urlsplit

from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware, RedirectMiddleware
from scrapy.http import HtmlResponse
from w3lib.url import safe_url_string

from crawler.middlewares.reasons import OffsiteRedirect, RedirectLoop

DEFAULT_MAX_HOPS = 10


def host_is_private(host: str) -> bool:
    """An IP literal that is not a public address (loopback, private, link-local, reserved, multicast)."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return host == "localhost" or host.endswith(".localhost")
    return not address.is_global


def host_in(host: str, domains) -> bool:
    host = host.lower().rstrip(".")
    return any(host == d.lower() or host.endswith("." + d.lower().lstrip(".")) for d in domains if d)


def redirect_refusal(target: str, allowed_domains, *, base_is_loopback: bool) -> str | None:
    """Why the crawler must not follow a redirect to ``target`` (None: follow it). No packet is sent.

    >>> redirect_refusal("http://169.254.169.254/latest/meta-data/", ["alhadath.ps"], base_is_loopback=False)
    'to a private or link-local address: http://169.254.169.254/latest/meta-data/'
    """
    parts = urlsplit(target)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        return f"to a non-HTTP URL ({scheme or 'no scheme'}:): {target[:100]}"
    host = (parts.hostname or "").lower()
    if not host:
        return f"to a URL without a host: {target[:100]}"
    if host_is_private(host) and not base_is_loopback:
        return f"to a private or link-local address: {target[:100]}"
    if not host_in(host, allowed_domains):
        return f"to another host ({host}): {target[:100]}"
    return None


class _SafeTarget:
    """The one redirect policy (the module's docstring), for a ``Location`` header and a meta refresh alike."""

    def __init__(self, settings) -> None:
        super().__init__(settings)
        self.max_hops = settings.getint("ARSHIF_REDIRECT_MAX_HOPS", DEFAULT_MAX_HOPS)

    def _check(self, request, location: str) -> str:
        """The absolute target to follow (on the crawl's base host), or raise the refusal."""
        target = safe_url_string(urljoin(request.url, location.strip()))
        spider = self.crawler.spider
        to_base = getattr(spider, "to_base", None)
        if to_base is not None and urlsplit(target).scheme in ("http", "https"):
            target = to_base(target)  # the real site's host while crawling a mirror: the mirror's path
        domains = [*(getattr(spider, "allowed_domains", None) or ()), urlsplit(request.url).hostname]
        base = getattr(spider, "base_url", request.url)
        refusal = redirect_refusal(target, domains, base_is_loopback=host_is_private(urlsplit(base).hostname or ""))
        if refusal:
            self.crawler.stats.inc_value("arshif/redirects/refused")
            raise OffsiteRedirect(f"{request.url} → {refusal}")
        chain = [*request.meta.get("redirect_urls", []), request.url]
        if chain.count(target) >= 2:
            raise RedirectLoop(f"{chain[0]} came back to {target} {chain.count(target)} times")
        if len(chain) > self.max_hops:
            raise RedirectLoop(f"{chain[0]}: more than {self.max_hops} redirects (last {target[:100]})")
        return target


class SafeRedirectMiddleware(_SafeTarget, RedirectMiddleware):
    def process_response(self, request, response, spider=None):
        location = response.headers.get(b"Location")
        if (response.status in (301, 302, 303, 307, 308) and location
                and not request.meta.get("dont_redirect", False)
                and response.status not in request.meta.get("handle_httpstatus_list", ())):
            target = self._check(request, location.decode("latin-1"))
            response.headers[b"Location"] = target.encode("latin-1")
        redirected = super().process_response(request, response)
        if redirected is not response and hasattr(redirected, "dont_filter"):
            # Bounded by _check; the dupe filter would drop a self-redirect that set a cookie (#1225).
            redirected.dont_filter = True
        return redirected


# Scrapy reads a refresh from the first 4,096 characters of the decoded page (scrapy.utils.response.get_meta_refresh),
# and both w3lib tests ("http-equiv" naming "refresh", and the tag's attributes) need the ASCII word "refresh" in
# some case there: no other character lower-cases to r, e, f, s or h. Where each ASCII character is its own byte
# and no byte of another character is ASCII (UTF-8, single-byte ASCII supersets), those characters come from at
# most 4 × 4,096 bytes (4 a UTF-8 character; an undecodable byte becomes one U+FFFD), so without b"refresh" there
# in any case Scrapy would find no refresh. Anything else (a BOM, which overrides the declared charset; another
# encoding) takes Scrapy's own path.
REFRESH_SCAN_CHARS = 4096
_ASCII_SAFE = frozenset({"utf-8", "ascii", "cp1256", "cp1252", "iso8859-1", "iso8859-6"})  # codecs.lookup names
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)  # (UTF-32's begin with UTF-16's)


def may_refresh(response: HtmlResponse) -> bool:
    """False only when Scrapy's ``MetaRefreshMiddleware`` cannot find a refresh in the page (see above)."""
    body = response.body
    if body.startswith(_BOMS):
        return True
    try:
        encoding = codecs.lookup(response.encoding).name
    except LookupError:
        return True
    return encoding not in _ASCII_SAFE or b"refresh" in body[: 4 * REFRESH_SCAN_CHARS].lower()


class LeanMetaRefreshMiddleware(_SafeTarget, MetaRefreshMiddleware):
    """Scrapy's meta refresh, skipped for a page whose bytes rule a refresh out (``may_refresh``). Scrapy decodes
    the whole page (``response.text``) to look at its first 4,096 characters: for an article page extracted in a
    worker process nothing else in the crawl's process decodes it. A 1,000-article real-weight crawl's profile:
    3.5 % of the crawl's process (~0.15 ms a page; bench/results.md, crawl4)."""

    def process_response(self, request, response, spider=None):
        if isinstance(response, HtmlResponse) and not may_refresh(response):
            return response
        return super().process_response(request, response)

    def _redirect(self, redirected, request, reason):
        """A refresh's target passes the redirects' checks: ``<meta http-equiv="refresh"
        content="0; url=http://169.254.169.254/">`` on a site's page is refused as a ``Location`` header is
        (Scrapy's own middleware leaves it to the offsite filter, which lets anything through for a spider
        without ``allowed_domains``)."""
        target = self._check(request, redirected.url)
        if target != redirected.url:
            redirected = redirected.replace(url=target)
        return super()._redirect(redirected, request, reason)
