"""A site's own CSS selectors (``Site.selectors``): small data, a miss falls through to the next stage."""

from __future__ import annotations

import re
from functools import lru_cache

from lxml import etree
from lxml.cssselect import CSSSelector

from crawler.extract.walk import text_content
from crawler.sites import Site
from crawler.text import clean_text

URL_PATH = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.-]*:)?(?://[^/?#]*)?([^?#]*)")


@lru_cache(maxsize=256)
def _selector(css: str) -> CSSSelector | None:
    try:
        return CSSSelector(css, translator="html")
    except Exception:  # a bad selector in site data is a miss, not a crash
        return None


_TAG_NAME = re.compile(r"[a-z][a-z0-9]*")


@lru_cache(maxsize=256)
def _tag_only(css: str) -> bool:
    """A bare tag name: ``root.iter(tag)`` finds what the selector finds (descendant-or-self, document order)
    without an XPath evaluation."""
    return bool(_TAG_NAME.fullmatch(css))


def select_texts(root: etree._Element, site: Site | None, name: str) -> list[str]:
    if site is None or name not in site.selectors:
        return []
    css = site.selectors[name]
    selector = _selector(css)
    if selector is None:
        return []
    texts = []
    for el in (root.iter(css) if _tag_only(css) else selector(root)):
        value = el.get("datetime") or el.get("content") if name == "published" else None
        text = clean_text(value) if value else text_content(el)
        if text:
            texts.append(text)
    return texts
