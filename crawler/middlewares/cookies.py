"""Scrapy's cookie middleware, without its one network fetch.

``scrapy.downloadermiddlewares.cookies`` asks ``tldextract`` whether a cookie's domain is a public suffix;
tldextract's default downloads the Public Suffix List from GitHub the first time (a packet off loopback
from a crawl of our own mirror, and a stall on a closed network). Its bundled snapshot is enough to
refuse ``Domain=co.uk`` cookies.
"""

from __future__ import annotations

import scrapy.downloadermiddlewares.cookies as scrapy_cookies
from scrapy.downloadermiddlewares.cookies import CookiesMiddleware
from tldextract import TLDExtract

scrapy_cookies._split_domain = TLDExtract(suffix_list_urls=(), include_psl_private_domains=True)


class OfflineCookiesMiddleware(CookiesMiddleware):
    """The same middleware; importing this module makes its suffix list offline."""
