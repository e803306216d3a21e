"""First contact with a site: does what we guessed about its markup hold? (``arshif probe``)

The real alhadath.ps markup is unknown (site notes): the URL patterns, the timestamp line and the selectors in
``crawler/sites/alhadath.toml`` are guesses. A probe fetches, politely, the home page, one listing page and a handful
of article pages, and tells in a minute:

- which of the site's URL patterns (article, listing, tag) the links of the home and listing pages match;
- for each article page, which stage of the extraction chains delivered each field (``extract_with_trace``:
  selector, jsonld, meta, time, layout, density, trafilatura) and where a fallback had to stand in for the site's
  own selector;
- whether the text-layout anchors of the site notes were found: the timestamp line (``Site.timestamp_pattern``),
  the title above it and the byline below;
- what to put in ``Site.selectors``: for each field, the CSS selector (tag and class) of the element that held
  the value on every probed page, when one did.

Polite: robots.txt is read first and honoured (4xx: no rules; 5xx or unreachable: nothing is fetched, as
RFC 9309 says); one request a second, except against a loopback base URL (the mirror); the project's
User-Agent and download timeout; no redirect off the site. It is a one-minute check, not a crawl: plain
``urllib``, one request at a time.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
import urllib.robotparser
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

from lxml import etree
from lxml.cssselect import CSSSelector

from crawler import settings as project
from crawler.arguments import is_loopback
from crawler.extract import extract_with_trace, read_layout, walk
from crawler.extract.decode import decode, parse
from crawler.extract.walk import text_content
from crawler.sites import Site, unquote_fully

# Extraction sources (record keys) → the Site.selectors name of the same field.
SELECTOR_NAMES = {"title": "title", "published_at": "published", "byline_raw": "byline", "caption": "caption",
                  "paragraphs": "paragraphs", "subtitle": "subtitle", "category": "category", "tags": "tags"}
CORE_FIELDS = ("title", "published_at", "paragraphs")  # without these a page is no usable article
REPORTED_FIELDS = ("title", "published_at", "byline_raw", "paragraphs", "caption", "images", "category", "tags")
POLITE_DELAY = 1.0
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~"


@dataclass
class Fetched:
    url: str
    status: int | None
    body: bytes = b""
    charset: str | None = None
    error: str = ""


@dataclass
class ArticleProbe:
    url: str
    status: int | None
    article: bool = False
    stages: dict[str, str] = field(default_factory=dict)  # field → stage, "missing" when not read
    fallbacks: list[str] = field(default_factory=list)  # fields the site has a selector for, read by another stage
    anchors: dict[str, bool] = field(default_factory=dict)  # timestamp, title, byline
    selectors: dict[str, str] = field(default_factory=dict)  # field → CSS of the element holding its value
    error: str = ""

    @property
    def core_read(self) -> bool:
        return self.article and all(self.stages.get(name, "missing") != "missing" for name in CORE_FIELDS)


@dataclass
class ProbeReport:
    site: str
    base_url: str
    robots: str
    pages: dict[str, Any] = field(default_factory=dict)  # home / listing: url, status, links per pattern
    articles: list[ArticleProbe] = field(default_factory=list)
    suggested_selectors: dict[str, str] = field(default_factory=dict)
    current_selectors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """The core fields (title, date, body) were read on every probed article page."""
        return bool(self.articles) and all(a.core_read for a in self.articles)

    def problems(self) -> list[str]:
        if not self.articles:
            return ["no article page could be probed"]
        return [f"{unquote_fully(a.url)}: " + (a.error or ("no article" if not a.article else "core fields not read: " + ", ".join(
            n for n in CORE_FIELDS if a.stages.get(n, "missing") == "missing"))) for a in self.articles if not a.core_read]

    def selector_misses(self) -> dict[str, int]:
        """Site.selectors entries that another stage had to stand in for, on how many article pages."""
        misses = Counter(SELECTOR_NAMES[name] for a in self.articles for name in a.fallbacks)
        return {name: misses[name] for name in self.current_selectors if misses.get(name)}

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["selector_misses"] = self.selector_misses()
        data["ok"] = self.ok
        data["problems"] = self.problems()
        return data

    def text(self) -> str:
        out = [f"probe {self.site} at {self.base_url}", f"robots.txt: {self.robots}"]
        for kind, page in self.pages.items():
            links = ", ".join(f"{pattern} {count}" for pattern, count in page["links"].items()) or "none"
            out.append(f"{kind} page {unquote_fully(page['url'])} → {page['status'] or page['error']};"
                       f" links matching: {links}")
        for a in self.articles:
            out.append(f"article {unquote_fully(a.url)} → {a.status or a.error}")
            if not a.article:
                out.append("  no article read" + (f" ({a.error})" if a.error else ""))
                continue
            out.append("  fields: " + ", ".join(f"{name} ← {stage}" for name, stage in a.stages.items()))
            if a.fallbacks:
                out.append("  fallbacks used for: " + ", ".join(a.fallbacks) + " (the site's selector missed)")
            out.append("  layout anchors: " + ", ".join(f"{k} {'found' if v else 'NOT found'}" for k, v in a.anchors.items()))
        share = Counter(stage for a in self.articles for stage in a.stages.values())
        if share:
            out.append("stages over all fields: " + ", ".join(f"{k} {v}" for k, v in share.most_common()))
        out.append("Site.selectors now: " + (repr(self.current_selectors) if self.current_selectors else "{}"))
        for name, misses in self.selector_misses().items():
            out.append(f"  selectors[{name!r}] = {self.current_selectors[name]!r} missed on {misses} of "
                       f"{sum(a.article for a in self.articles)} article pages (another stage read the field)")
        out.append("Site.selectors suggested (the element holding the value on every probed page): "
                   + (repr(self.suggested_selectors) if self.suggested_selectors else "none found"))
        out.append("result: ok — title, date and body read on every article page" if self.ok
                   else "result: FAILED — " + "; ".join(self.problems()))
        return "\n".join(out)


class _SameSiteRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects only within the probed hosts (an open redirect must not send us elsewhere)."""

    def __init__(self, hosts: set[str]) -> None:
        self.hosts = hosts

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001 - urllib's signature
        host = (urlsplit(newurl).hostname or "").lower().removeprefix("www.")
        if host not in self.hosts:
            raise urllib.error.HTTPError(newurl, code, f"redirect off the site to {newurl}", headers, fp)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class Fetcher:
    """One GET at a time with the project's User-Agent and timeout, a pause between requests unless polite
    is off, robots.txt honoured."""

    def __init__(self, base_url: str, site: Site, *, polite: bool, timeout: float | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        hosts = {(urlsplit(self.base_url).hostname or "").lower().removeprefix("www."), *site.domains}
        self.opener = urllib.request.build_opener(_SameSiteRedirects(hosts))
        self.timeout = timeout or project.DOWNLOAD_TIMEOUT
        self.delay = POLITE_DELAY if polite else 0.0
        self.last = 0.0
        self.robots = urllib.robotparser.RobotFileParser()
        self.robots_note = ""

    def read_robots(self) -> str:
        fetched = self._get(self.base_url + "/robots.txt")
        if fetched.status == 200:
            self.robots.parse(fetched.body.decode("utf-8", "replace").splitlines())
            self.robots_note = "read; its rules are followed"
        elif fetched.status is not None and 400 <= fetched.status < 500:
            self.robots.allow_all = True
            self.robots_note = f"HTTP {fetched.status}: no rules, everything allowed"
        else:
            self.robots.disallow_all = True
            self.robots_note = (f"{fetched.error or f'HTTP {fetched.status}'}: nothing is fetched "
                                "(RFC 9309: an unreachable robots.txt disallows all)")
        return self.robots_note

    def get(self, url: str) -> Fetched:
        url = quote(url, safe=_URL_SAFE)  # links carry raw Arabic: the request line needs it %-encoded
        if not self.robots.can_fetch(project.USER_AGENT, url):
            return Fetched(url, None, error="disallowed by robots.txt")
        return self._get(url)

    def _get(self, url: str) -> Fetched:
        wait = self.last + self.delay - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        request = urllib.request.Request(url, headers={"User-Agent": project.USER_AGENT,
                                                       "Accept-Language": "ar,en;q=0.5"})
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                body = response.read(10 * 1024 * 1024)
                return Fetched(response.geturl(), response.status, body, response.headers.get_content_charset())
        except urllib.error.HTTPError as exc:
            return Fetched(url, exc.code, error=f"HTTP {exc.code}" + (f" ({exc.msg})" if "redirect" in str(exc.msg) else ""))
        except (urllib.error.URLError, OSError, ValueError) as exc:
            return Fetched(url, None, error=f"unreachable: {getattr(exc, 'reason', exc)}")
        finally:
            self.last = time.monotonic()


def probe(site: Site, base_url: str | None = None, *, articles: int = 5, polite: bool | None = None,
          timeout: float | None = None) -> ProbeReport:
    """Fetch the home page, one listing page and up to ``articles`` article pages; report what was read."""
    base = (base_url or site.base_url).rstrip("/")
    fetcher = Fetcher(base, site, polite=not is_loopback(base) if polite is None else polite, timeout=timeout)
    report = ProbeReport(site.name, base, fetcher.read_robots(), current_selectors=dict(site.selectors))
    if fetcher.robots.disallow_all:
        return report
    home = fetcher.get(base + "/")
    home_links = _links(home, site, base)
    report.pages["home"] = _page_summary(home, home_links)
    article_urls = list(home_links["article"])
    if home_links["listing"]:
        listing = fetcher.get(home_links["listing"][0])
        listing_links = _links(listing, site, base)
        report.pages["listing"] = _page_summary(listing, listing_links)
        article_urls = list(dict.fromkeys(listing_links["article"] + article_urls))
    now = datetime.now(timezone.utc)
    for url in article_urls[:articles]:
        report.articles.append(_probe_article(fetcher.get(url), site, base, now))
    report.suggested_selectors = _common_selectors(report.articles)
    return report


def _links(fetched: Fetched, site: Site, base: str) -> dict[str, list[str]]:
    """The page's links into the site, by the URL pattern they match (on ``base``)."""
    found: dict[str, list[str]] = {"article": [], "listing": [], "tag": [], "other": []}
    if not fetched.body:
        return found
    root = parse(decode(fetched.body, fetched.charset)[0])
    if root is None:
        return found
    seen_ids: set[int] = set()
    for href in root.xpath("//a/@href"):
        url = urljoin(fetched.url, str(href).strip())
        if not site.on_site(url, base):
            continue
        on_base = site.to_base(url, base)
        kind = site.link_kind(url)
        if kind == "article":
            article_id = site.article_key(url)
            if article_id not in seen_ids:
                seen_ids.add(article_id)
                found["article"].append(on_base)
        else:
            found[kind].append(on_base)
    for kind in ("listing", "tag", "other"):
        found[kind] = list(dict.fromkeys(found[kind]))
    return found


def _page_summary(fetched: Fetched, links: dict[str, list[str]]) -> dict[str, Any]:
    return {"url": fetched.url, "status": fetched.status, "error": fetched.error,
            "links": {kind: len(urls) for kind, urls in links.items() if urls}}


def _probe_article(fetched: Fetched, site: Site, base: str, now: datetime) -> ArticleProbe:
    real_url = site.to_real(fetched.url, base)
    result = ArticleProbe(real_url, fetched.status, error=fetched.error)
    if not fetched.body or (fetched.status or 0) >= 400:
        result.error = result.error or f"HTTP {fetched.status}"
        return result
    extraction = extract_with_trace(fetched.body, real_url, site=site, encoding=fetched.charset, now=now)
    if extraction is None:
        return result
    record, sources = extraction.record, extraction.sources
    result.article = True
    images = record.get("images") or []
    for name in REPORTED_FIELDS:
        value = images[0].get("caption") if name == "caption" and images else record.get(name)
        result.stages[name] = sources.get(name, "read") if value not in (None, "", [], {}) else "missing"
    result.fallbacks = [name for name, stage in result.stages.items()
                        if SELECTOR_NAMES.get(name) in site.selectors and stage not in ("selector", "missing")]
    root = parse(decode(fetched.body, fetched.charset)[0])
    if root is not None:
        page = walk(root, site.timestamp_pattern)
        layout = read_layout(page, site, [record["title"]] if record.get("title") else [], record.get("title") or "",
                             site.own_names)
        stamp = layout.published_raw
        result.anchors = {
            "timestamp": bool(stamp and site.timestamp_pattern is not None and site.timestamp_pattern.fullmatch(stamp)),
            "title": layout.title_index >= 0,
            "byline": bool(layout.byline),
        }
        result.selectors = _selectors_for(root, record)
    return result


def _selectors_for(root: etree._Element, record: dict[str, Any]) -> dict[str, str]:
    """For each field, the CSS (tag and class) of the smallest element whose text is the field's value."""
    wanted = {"title": record.get("title"), "published": record.get("published_raw"),
              "byline": record.get("byline_raw"), "subtitle": record.get("subtitle")}
    images = record.get("images") or []
    if images and images[0].get("caption"):
        wanted["caption"] = images[0]["caption"]
    found: dict[str, str] = {}
    by_text: dict[str, etree._Element] = {}
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag in ("html", "body", "head", "title", "meta", "script", "style"):
            continue
        text = text_content(el)
        if text and len(text) <= 300:
            by_text[text] = el  # iter() is document order: the last kept is the innermost of equal texts
    for name, value in wanted.items():
        if value and value in by_text:
            css = _css(by_text[value])
            if _texts(root, css)[:1] == [value]:  # only a selector whose first match is the value
                found[name] = css
    paragraphs = record.get("paragraphs") or []
    if paragraphs and paragraphs[0] in by_text:
        el = by_text[paragraphs[0]]
        parent = el.getparent()
        if parent is not None:
            css = f"{_css(parent)} {el.tag}"
            if _texts(root, css)[: len(paragraphs)] == paragraphs:
                found["paragraphs"] = css
    return found


def _texts(root: etree._Element, css: str) -> list[str]:
    return [t for t in (text_content(el) for el in CSSSelector(css, translator="html")(root)) if t]


def _css(el: etree._Element) -> str:
    if el.get("id"):
        return f"{el.tag}#{el.get('id')}"
    classes = (el.get("class") or "").split()
    return f"{el.tag}.{classes[0]}" if classes else el.tag


def _common_selectors(articles: list[ArticleProbe]) -> dict[str, str]:
    """A selector per field that every probed article page agreed on."""
    read = [a for a in articles if a.article]
    if not read:
        return {}
    common: dict[str, str] = {}
    for name in read[0].selectors:
        values = {a.selectors.get(name) for a in read}
        if len(values) == 1 and None not in values:
            common[name] = values.pop()
    return common
