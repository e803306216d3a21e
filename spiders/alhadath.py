"""الحدث / Al-Hadath (alhadath.ps, Ramallah): the site model and its spider."""

import re

from crawler.site import Site

SITE = Site(
    name="alhadath",
    base_url="https://www.alhadath.ps",
    domains=("alhadath.ps",),
    article_path=re.compile(r"^/article/(\d+)(?:/|$)"),
    listing_path=re.compile(r"^/category/(\d+)(?:/[^/]*)?(?:/page/(?P<page>\d+))?/?$"),
    timezone="Asia/Hebron",
    own_names=("الحدث",),
)
