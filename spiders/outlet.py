"""The spider of every site given as data (a TOML site file, ``crawler.site.load_site``): no module per site.

``scrapy crawl outlet -a site=wpnews`` (a name in ``ARSHIF_SITES`` or ``crawler/sites``, or a path to a
site file); ``arshif crawl wpnews`` picks it for any site without a spider module of its own.
"""

from __future__ import annotations

from typing import Any

from crawler.site import Site, get_site
from spiders.base import ArchiveSpider, SpiderArgumentError


class OutletSpider(ArchiveSpider):
    name = "outlet"

    def __init__(self, *args: Any, site: str | Site | None = None, **kwargs: Any) -> None:
        if site is None:
            raise SpiderArgumentError("no site: use -a site=NAME (a site file's name or path)")
        try:
            self.site = site if isinstance(site, Site) else get_site(site)
        except KeyError as exc:
            raise SpiderArgumentError(str(exc.args[0])) from None
        super().__init__(*args, **kwargs)
