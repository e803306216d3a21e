"""Spiders found by site name through the site registry (``crawler.sites``): one spider class per site file.

``SPIDER_LOADER_CLASS`` (crawler/settings.py) points here, so ``scrapy crawl alhadath``, ``scrapy list`` and
``arshif crawl <name>`` find every site the registry knows — bundled TOML files, ``ARSHIF_SITES`` folders,
or a site file's path — without a Python module per site. A spider class written in ``spiders/`` with the
same name still wins (Scrapy's own loader is asked first).
"""

from __future__ import annotations

from scrapy.spiderloader import SpiderLoader

from crawler.sites import Site, SiteFileError, get_site, site_names
from spiders.base import ArchiveSpider

_CLASSES: dict[tuple[str, object], type[ArchiveSpider]] = {}


def spider_class(site: Site) -> type[ArchiveSpider]:
    """The spider of ``site``: ``ArchiveSpider`` with its name and data (one class per site file)."""
    cached = _CLASSES.get((site.name, site.source))
    if cached is not None and cached.site == site:
        return cached
    model = site

    class SiteSpider(ArchiveSpider):
        name = model.name
        site = model

    SiteSpider.__name__ = SiteSpider.__qualname__ = "".join(
        part.capitalize() for part in site.name.replace("-", "_").split("_")) + "Spider"
    _CLASSES[(site.name, site.source)] = SiteSpider
    return SiteSpider


class SiteSpiderLoader(SpiderLoader):
    def load(self, spider_name: str) -> type:
        try:
            return super().load(spider_name)
        except KeyError:
            pass
        try:
            return spider_class(get_site(spider_name))
        except SiteFileError:
            raise
        except KeyError:
            raise KeyError(f"Spider not found: {spider_name}") from None

    def list(self) -> list[str]:
        return list(dict.fromkeys([*super().list(), *site_names()]))
