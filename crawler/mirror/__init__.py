"""An offline, deterministic alhadath.ps: the site every test, demo and benchmark crawls.

In-process API (pure functions of the config; nothing is stored per article)::

    from crawler.mirror import MirrorConfig, render, truth, statuses
    config = MirrorConfig(articles=300, seed=1, start_id=1, day=0, faults="", markup="default")
    page = render(config, "/article/42/any-slug")      # Page(status, headers, body)
    rows = list(truth(config))                          # one dict per id, keys TRUTH_KEYS

``cms="wordpress"`` or ``"slug"`` serves the same stories as another outlet would (``crawler.mirror.wordpress``,
``crawler.mirror.slugsite``); the truth's ``url`` and ``key`` follow the family.

As a server: ``arshif mirror --articles 3000`` (``MirrorProcess`` starts one as a subprocess).
"""

from crawler.mirror.model import (  # noqa: F401
    ARTICLE,
    CMS,
    CATEGORIES,
    MARKUPS,
    MISSING,
    SITE_BASE_URL,
    SOFT404,
    TRUTH_KEYS,
    Article,
    MirrorConfig,
    article,
    article_ids,
    format_timestamp,
    slugify,
    statuses,
    visit_date,
)
from crawler.mirror.pages import LINK_FORMS, SOFT404_TEXT, Page, article_href, fault_for, render, route  # noqa: F401
from crawler.mirror.process import MirrorProcess  # noqa: F401
from crawler.mirror.truth import truth, truth_record  # noqa: F401
