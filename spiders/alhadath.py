"""الحدث / Al-Hadath (alhadath.ps, Ramallah): the site model and its spider."""

import re

from crawler.site import Site

SITE = Site(
    name="alhadath",
    base_url="https://www.alhadath.ps",
    domains=("alhadath.ps",),
    article_path=re.compile(r"^/article/(\d+)(?:/|$)"),
    listing_path=re.compile(r"^/category/(\d+)(?:/[^/]*)?(?:/page/(?P<page>\d+))?/?$"),
    tag_path=re.compile(r"^/tag/(\d+)(?:/|$)"),
    timezone="Asia/Hebron",
    founded=2014,  # site notes: ids start near 0 in late 2014; an earlier "publication date" is a misreading
    own_names=("الحدث",),
    timestamp_pattern=re.compile(r"\b\d{4}-\d{2}-\d{2} \d{1,2}:\d{2}:\d{2} [AaPp][Mm]\b"),
    # Structural guesses only: the real markup is unknown (site notes), so nothing here names a class.
    selectors={"title": "h1"},
)


# --- the spider (spiders/base.py does the work; the site above is data) ---------------------------------

from spiders.base import ArchiveSpider  # noqa: E402


class AlhadathSpider(ArchiveSpider):
    name = "alhadath"
    site = SITE
