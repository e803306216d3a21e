"""Sitemaps and RSS/Atom feeds read safely: discovery input from a server we do not trust.

Every document goes through ``read_xml`` first: gunzipped with a cap (a 1 MB ``.xml.gz`` may inflate to
gigabytes), parsed by lxml with no DTD loading, no entity expansion, no network, and refused outright when
it declares a DTD at all (billion laughs, ``<!ENTITY x SYSTEM "file:///etc/passwd">``): sitemaps and feeds
have no use for one. A refusal or a parser error raises ``BadXml`` (a "bad xml: …" failure row).

    parse_sitemap(body) → Sitemap(kind="urlset"|"sitemapindex", entries=[{"loc": ..., "lastmod": ...}])
    parse_feed(body)    → [FeedEntry(link, published)]   (feedparser reads the vetted bytes)
    feed_links(html_response) → feed URLs a page announces (<link rel="alternate" type="application/rss+xml">)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import NamedTuple

from lxml import etree
from scrapy.utils.gz import gunzip

from crawler.middlewares.reasons import BadXml

DEFAULT_MAX_SIZE = 50 * 1024 * 1024  # the sitemap protocol's own limit, uncompressed
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json")
COMMON_FEED_PATHS = ("/rss/news.xml", "/feed", "/rss")  # where news CMSes put them (the real site: unverified)
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)


def read_xml(body: bytes, *, max_size: int = DEFAULT_MAX_SIZE) -> etree._Element:
    """The root element of a safe, well-formed XML document of at most ``max_size`` bytes (gunzipped)."""
    if body[:2] == b"\x1f\x8b":
        try:
            body = gunzip(body, max_size=max_size)
        except ValueError as exc:  # _DecompressionMaxSizeExceeded is a ValueError
            raise BadXml(f"over {max_size:,} bytes after gunzip") from exc
        except (OSError, EOFError) as exc:
            raise BadXml(f"broken gzip: {exc}") from exc
    if len(body) > max_size:
        raise BadXml(f"{len(body):,} bytes, over the {max_size:,}-byte cap")
    # Refused before any parser sees it (a DTD comes before the root element; lxml's own check below
    # catches one hidden behind a long prolog or in another encoding).
    if _DOCTYPE.search(body[:65536]):
        raise BadXml("declares a DTD (entities are refused in sitemaps and feeds)")
    parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False,
                             remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as exc:
        raise BadXml(f"not well-formed: {str(exc)[:120]}") from exc
    except ValueError as exc:  # e.g. a str with an encoding declaration, an empty document
        raise BadXml(f"not XML: {str(exc)[:120]}") from exc
    if root is None:
        raise BadXml("empty document")
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise BadXml("declares a DTD (entities are refused in sitemaps and feeds)")
    return root


@dataclass
class Sitemap:
    kind: str  # "urlset" | "sitemapindex"
    entries: list[dict[str, str]]


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def parse_sitemap(body: bytes, *, max_size: int = DEFAULT_MAX_SIZE) -> Sitemap:
    root = read_xml(body, max_size=max_size)
    kind = _local(root.tag)
    if kind not in ("urlset", "sitemapindex"):
        raise BadXml(f"not a sitemap (root <{kind or '?'}>)")
    entries = []
    for node in root:
        if _local(node.tag) not in ("url", "sitemap"):
            continue
        entry = {_local(child.tag): (child.text or "").strip() for child in node if _local(child.tag)}
        if entry.get("loc"):
            entries.append(entry)
    return Sitemap(kind, entries)


class FeedEntry(NamedTuple):
    link: str
    published: datetime | None  # UTC


def parse_feed(body: bytes, *, max_size: int = DEFAULT_MAX_SIZE) -> list[FeedEntry]:
    """The entries of an RSS or Atom feed, newest as listed; ``BadXml`` when it is not a safe feed."""
    import feedparser  # only crawls that find a feed pay for it

    root = read_xml(body, max_size=max_size)
    if _local(root.tag) not in ("rss", "feed", "RDF"):
        raise BadXml(f"not a feed (root <{_local(root.tag) or '?'}>)")
    if body[:2] == b"\x1f\x8b":
        body = gunzip(body, max_size=max_size)
    parsed = feedparser.parse(body, sanitize_html=False, resolve_relative_uris=False)
    entries = []
    for entry in parsed.entries:
        link = entry.get("link") or ""
        if not link:
            continue
        moment = entry.get("published_parsed") or entry.get("updated_parsed")
        published = datetime(*moment[:6], tzinfo=timezone.utc) if moment else None
        entries.append(FeedEntry(link.strip(), published))
    return entries


def feed_links(response) -> list[str]:
    """Feeds a page announces: ``<link rel="alternate" type="application/rss+xml" href="...">``."""
    found = []
    for link in response.xpath("//link[@href]"):
        rel = (link.attrib.get("rel") or "").lower().split()
        kind = (link.attrib.get("type") or "").lower().split(";")[0].strip()
        if "alternate" in rel and kind in FEED_TYPES:
            url = response.urljoin(link.attrib["href"].strip())
            if url not in found:
                found.append(url)
    return found
