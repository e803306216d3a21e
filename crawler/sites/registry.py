"""Site files: TOML read into ``Site``, and the registry that finds them by name or by URL.

The bundled sites are ``crawler/sites/*.toml`` (package data); a user adds more without touching code:

    ARSHIF_SITES=/etc/arshif/sites:~/my-sites arshif crawl maan       # maan.toml in one of those folders
    arshif crawl ./maan.toml                                          # or the file itself

Folders of ``ARSHIF_SITES`` (``os.pathsep``-separated) come before the bundled folder: a user's file of the
same name replaces a bundled one. A file found by name must be called ``<name>.toml``. Nothing here imports
a spider: ``get_site("alhadath")`` reads one small file.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crawler.sites.guess import is_site_url, site_from_url
from crawler.sites.model import DISCOVERY_SOURCES, KEY_RULES, SELECTOR_FIELDS, Discovery, Site

BUNDLED = Path(__file__).resolve().parent
ENV = "ARSHIF_SITES"

# Each table's keys; anything else in a file is an error (a typo must not pass silently as a default).
_TOP = {"name", "base_url", "domains", "timezone", "founded", "own_names", "key", "urls", "discovery",
        "selectors", "layout"}
_URLS = {"article", "canonical", "listing", "tag"}
_DISCOVERY = {"sources", "sitemaps", "feeds", "wp_json"}
_LAYOUT = {"timestamp", "hook"}


class SiteFileError(ValueError):
    """A site file that cannot be read; the message names the file and the key."""


class UnknownSiteError(KeyError):
    def __str__(self) -> str:  # KeyError would print the message in quotes
        return str(self.args[0])


def load_site(path: str | Path) -> Site:
    """The ``Site`` a TOML file describes; ``SiteFileError`` naming the file for any bad or unknown key."""
    path = Path(path).expanduser()
    stat = path.stat()
    cached = _CACHE.get(path)
    if cached is not None and cached[0] == stat.st_mtime_ns:
        return cached[1]
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SiteFileError(f"{path}: not valid TOML: {exc}") from None
    site = _site_from(data, path)
    _CACHE[path] = (stat.st_mtime_ns, site)
    return site


_CACHE: dict[Path, tuple[int, Site]] = {}


def _site_from(data: dict[str, Any], path: Path) -> Site:
    def fail(message: str) -> SiteFileError:
        return SiteFileError(f"{path}: {message}")

    def table(name: str, allowed: set[str]) -> dict[str, Any]:
        value = data.get(name, {}) if name else data
        if not isinstance(value, dict):
            raise fail(f"[{name}] must be a table")
        unknown = sorted(set(value) - allowed)
        if unknown:
            where = f"[{name}]" if name else "the top level"
            raise fail(f"unknown key {unknown[0]!r} in {where} (known: {', '.join(sorted(allowed))})")
        return value

    def text(where: dict[str, Any], key: str, label: str, default: str | None = None) -> str | None:
        value = where.get(key, default)
        if value is not None and not isinstance(value, str):
            raise fail(f"{label} must be a string")
        return value

    def strings(where: dict[str, Any], key: str, label: str) -> tuple[str, ...]:
        value = where.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise fail(f"{label} must be a list of strings")
        return tuple(value)

    def pattern(where: dict[str, Any], key: str, label: str) -> re.Pattern[str] | None:
        value = text(where, key, label)
        if not value:
            return None
        try:
            return re.compile(value)
        except re.error as exc:
            raise fail(f"{label}: bad regular expression {value!r}: {exc}") from None

    top = table("", _TOP)
    urls, discovery, layout = table("urls", _URLS), table("discovery", _DISCOVERY), table("layout", _LAYOUT)
    selectors = table("selectors", set(SELECTOR_FIELDS))
    name = text(top, "name", "name")
    if not name or not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", name):
        raise fail(f"name must be lower-case letters, digits, '-' or '_' (got {name!r})")
    base_url = (text(top, "base_url", "base_url") or "").rstrip("/")
    parts = re.match(r"^(https?)://([^/?#]+)$", base_url)
    if not parts:
        raise fail(f"base_url must be scheme and host, e.g. https://www.example.ps (got {base_url!r})")
    domains = strings(top, "domains", "domains") or (parts.group(2).lower().removeprefix("www."),)
    timezone = text(top, "timezone", "timezone", "UTC")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise fail(f"timezone: unknown zone {timezone!r} (e.g. Asia/Hebron)") from None
    founded = top.get("founded")
    if founded is not None and (not isinstance(founded, int) or isinstance(founded, bool)):
        raise fail("founded must be a year (an integer)")
    key = text(top, "key", "key", "id")
    if key not in KEY_RULES:
        raise fail(f"key must be one of {', '.join(KEY_RULES)} (got {key!r})")
    article = pattern(urls, "article", "[urls] article")
    if article is None:
        raise fail("[urls] article is required: the regular expression of an article's path")
    if key == "id" and "id" not in article.groupindex:
        raise fail("[urls] article needs a group (?P<id>\\d+) with key = \"id\"")
    canonical = text(urls, "canonical", "[urls] canonical")
    if canonical is not None and (key != "id" or "{id}" not in canonical):
        raise fail("[urls] canonical is a path holding {id}, e.g. \"/article/{id}\" (key = \"id\" only)")
    sources = strings(discovery, "sources", "[discovery] sources") or Discovery.sources
    unknown = [source for source in sources if source not in DISCOVERY_SOURCES]
    if unknown:
        raise fail(f"[discovery] sources: unknown {unknown[0]!r} (known: {', '.join(DISCOVERY_SOURCES)})")
    hook = text(layout, "hook", "[layout] hook", "")
    if hook and not re.fullmatch(r"[\w.]+:\w+", hook):
        raise fail(f"[layout] hook must be \"module:function\" (got {hook!r})")
    for field_name in selectors:
        text(selectors, field_name, f"[selectors] {field_name}")
    return Site(
        name=name, base_url=base_url, domains=tuple(d.lower().removeprefix("www.") for d in domains),
        article_path=article, listing_path=pattern(urls, "listing", "[urls] listing"),
        tag_path=pattern(urls, "tag", "[urls] tag"), timezone=timezone, founded=founded,
        own_names=strings(top, "own_names", "own_names"), selectors=dict(selectors),
        timestamp_pattern=pattern(layout, "timestamp", "[layout] timestamp"), key=key, canonical_path=canonical,
        discovery=Discovery(sources=sources, sitemaps=strings(discovery, "sitemaps", "[discovery] sitemaps"),
                            feeds=strings(discovery, "feeds", "[discovery] feeds"),
                            wp_json=text(discovery, "wp_json", "[discovery] wp_json", "")),
        hook=hook, source=path,
    )


def dump_site(site: Site) -> str:
    """The TOML text of a site file that ``load_site`` reads back as an equal ``Site``."""

    def value(v: Any) -> str:
        if isinstance(v, (list, tuple)):
            return "[" + ", ".join(value(item) for item in v) + "]"
        if isinstance(v, int):
            return str(v)
        return json.dumps(v, ensure_ascii=False)  # a JSON string is a TOML basic string

    def lines(pairs: dict[str, Any]) -> list[str]:
        return [f"{k} = {value(v)}" for k, v in pairs.items() if v not in (None, "", ())]

    out = lines({"name": site.name, "base_url": site.base_url, "domains": site.domains, "timezone": site.timezone,
                 "founded": site.founded, "own_names": site.own_names, "key": site.key})
    pattern = lambda p: p.pattern if p is not None else None  # noqa: E731
    tables = {
        "urls": {"article": site.article_path.pattern, "canonical": site.canonical_path,
                 "listing": pattern(site.listing_path), "tag": pattern(site.tag_path)},
        "discovery": {"sources": site.discovery.sources, "sitemaps": site.discovery.sitemaps,
                      "feeds": site.discovery.feeds, "wp_json": site.discovery.wp_json},
        "selectors": dict(site.selectors),
        "layout": {"timestamp": pattern(site.timestamp_pattern), "hook": site.hook},
    }
    for name, pairs in tables.items():
        body = lines(pairs)
        if body:
            out += ["", f"[{name}]", *body]
    return "\n".join(out) + "\n"


def site_folders() -> list[Path]:
    """Where site files are looked up by name: ``ARSHIF_SITES`` folders, then the bundled one."""
    extra = [Path(p).expanduser() for p in _sites_env().split(os.pathsep) if p.strip()]
    return [*extra, BUNDLED]


def _sites_env() -> str:
    """``os.environ.get(ENV, "")``, read on every call (a test or a user may set it at any time), without the
    exception: ``os.environ.get`` of an unset variable raises and catches two KeyErrors (``Mapping.get`` over
    ``_Environ.__getitem__``, ~7k instructions), and the extractor asks on every page. CPython's ``os.environ``
    keeps the encoded variables in ``_data``; another Python without it takes the plain call."""
    if _ENVIRON_DATA is None:
        return os.environ.get(ENV, "")
    value = _ENVIRON_DATA.get(_ENV_KEY)
    return "" if value is None else os.environ.decodevalue(value)


try:  # (the mapping os.environ reads and writes through: its setitem, putenv and unsetenv keep it current)
    _ENVIRON_DATA, _ENV_KEY = os.environ._data, os.environ.encodekey(ENV)  # type: ignore[attr-defined]
except AttributeError:
    _ENVIRON_DATA, _ENV_KEY = None, None


def _is_path(name: str) -> bool:
    return name.endswith(".toml") or os.sep in name or "/" in name


# Sites found by name, per value of ARSHIF_SITES: the extractor asks for its site on every page (a file
# lookup and stat each time cost ~0.1 ms a page); a process reads its site files once.
_BY_NAME: dict[tuple[str, str], Site] = {}
_BY_HOST: dict[str, dict[str, Site]] = {}  # ARSHIF_SITES → each known domain's site (the first by name)


def get_site(name: str) -> Site:
    """The site called ``name`` (``<name>.toml`` in ``site_folders()``), the site file at a path, or for a URL
    a site from that URL alone (``crawler.sites.guess``)."""
    key = (name, _sites_env())
    site = _BY_NAME.get(key)
    if site is None:
        site = _BY_NAME[key] = _find_site(name)
    return site


def _find_site(name: str) -> Site:
    if is_site_url(name):  # `arshif crawl --url`: no site file
        try:
            return site_from_url(name)
        except ValueError as exc:
            raise UnknownSiteError(str(exc)) from None
    if _is_path(name):
        if not Path(name).expanduser().is_file():
            raise UnknownSiteError(f"no site file at {name}")
        return load_site(name)
    for folder in site_folders():
        path = folder / f"{name}.toml"
        if path.is_file():
            site = load_site(path)
            if site.name != name:
                raise SiteFileError(f"{path}: name = {site.name!r}, but the file is called {name}.toml")
            return site
    if "." in name:  # a host: how an outlet crawled with `crawl --url` is stored
        raise UnknownSiteError(f"unknown site {name!r}; known: {', '.join(site_names())} (an outlet crawled with"
                               f" --url is known by its URL, e.g. https://{name}/, or by its host with --db of its"
                               " archive)")
    raise UnknownSiteError(f"unknown site {name!r}; known: {', '.join(site_names())} "
                           f"(or add {name}.toml to a folder of {ENV})")


def site_names() -> list[str]:
    """Every site name the registry knows, sorted: a name whose file (the first found, as ``get_site`` finds
    it) cannot be read is left out, with one warning naming the file and the error (``_readable``). Naming
    that site still fails, with the error (``get_site``: ``SiteFileError``, exit 2 in the CLI)."""
    first: dict[str, Path] = {}
    for folder in site_folders():
        if folder.is_dir():
            for path in sorted(folder.glob("*.toml")):
                first.setdefault(path.stem, path)
    return sorted(name for name, path in first.items() if _readable(path))


# Broken site files already reported (path → error): one warning per file and process, not one per URL.
_REPORTED: dict[Path, str] = {}


def _readable(path: Path) -> bool:
    """Whether a site file loads under its own name. Why not raise: one broken file in an ARSHIF_SITES
    folder must not stop every other site (``site_for_url`` reads them all for any URL)."""
    try:
        site = load_site(path)
        if site.name != path.stem:
            raise SiteFileError(f"{path}: name = {site.name!r}, but the file is called {path.stem}.toml")
        return True
    except (SiteFileError, OSError) as exc:
        if _REPORTED.get(path) != str(exc):
            _REPORTED[path] = str(exc)
            logging.getLogger(__name__).warning("site file skipped: %s", exc)
        return False


def site_for_url(url: str) -> Site | None:
    """The known site whose domains hold the URL's host (``Site.owns``; the first by name), else None.
    Asked of every page's URL and canonical link: one dict lookup by host, not a pass over the sites."""
    env = _sites_env()
    by_host = _BY_HOST.get(env)
    if by_host is None:
        by_host = _BY_HOST[env] = {}
        for site in (get_site(name) for name in site_names()):
            for domain in site.domains:
                by_host.setdefault(domain, site)
    return by_host.get(url_host(url))


def url_host(url: str) -> str:
    """The URL's host as sites name their domains: lower case, without "www." ("" for none) — urlsplit's
    hostname, kept by the URL's origin (``_ORIGIN``): urlsplit of a 242-character article URL costs ~37k
    instructions, the origin's match and a dict lookup a tenth of that, on every page (twice: its site, the
    generic chain's host)."""
    origin = _ORIGIN.match(url)
    if origin is None:
        return (urlsplit(url).hostname or "").lower().removeprefix("www.")
    origin = origin.group()
    host = _HOST_OF_ORIGIN.get(origin)
    if host is None:
        host = (urlsplit(origin).hostname or "").lower().removeprefix("www.")
        if len(_HOST_OF_ORIGIN) >= _ORIGINS_KEPT:
            _HOST_OF_ORIGIN.clear()
        _HOST_OF_ORIGIN[origin] = host
    return host


# A URL up to its netloc's end: the scheme's part, "//", then up to the first "/", "?" or "#" — where urlsplit
# ends the netloc. urlsplit gives this prefix the URL's own hostname: the same netloc, and a ":" past it cannot
# make a scheme (the part before it would hold "//"). (A URL without "//": urlsplit of the URL itself.)
_ORIGIN = re.compile(r"[^/?#]*//[^/?#]*")
_ORIGINS_KEPT = 1024
_HOST_OF_ORIGIN: dict[str, str] = {}
