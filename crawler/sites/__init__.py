"""Sites as data: each outlet is one TOML file read into a ``Site`` (Scrapy-free, no storage, no I/O but
reading its file).

    from crawler.sites import get_site, site_names, site_for_url, load_site
    site = get_site("alhadath")              # crawler/sites/alhadath.toml, or <name>.toml under ARSHIF_SITES
    site.article_key("https://www.alhadath.ps/article/16768")   # 16768

A file's keys are documented in README.md ("Adding an outlet"); ``crawler/sites/alhadath.toml`` is the
worked example.
"""

from crawler.sites.guess import site_from_url
from crawler.sites.model import Discovery, LinkKind, Site, unquote_fully, url_key
from crawler.sites.registry import (
    SiteFileError, UnknownSiteError, dump_site, get_site, load_site, site_folders, site_for_url, site_names,
    url_host,
)

__all__ = ["Discovery", "LinkKind", "Site", "SiteFileError", "UnknownSiteError", "dump_site", "get_site",
           "load_site", "site_folders", "site_for_url", "site_from_url", "site_names", "unquote_fully", "url_host", "url_key"]
