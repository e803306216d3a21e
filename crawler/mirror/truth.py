"""The mirror's truth: what a perfect crawl of each served id stores, in each CMS family."""

from __future__ import annotations

from typing import Iterator

from crawler.mirror import model as M
from crawler.mirror import outlets as O
from crawler.mirror.model import ARTICLE, MirrorConfig


def truth_record(config: MirrorConfig, article_id: int) -> dict:
    """One id's truth: exactly ``TRUTH_KEYS``; what a perfect crawl on ``config.day`` would store.

    ``url`` is the family's canonical URL (None for an id the wordpress and slug families do not serve:
    they have no soft-404 pages), ``key`` what the archive keys the article by (``O.article_key``).
    """
    a = M.article(config, article_id)
    if a.status != ARTICLE:
        url = a.url if config.cms == "alhadath" else None
        return dict(id=article_id, status=a.status, url=url, title=None, published_at=None,
                    published_hijri=None, byline_raw=None, authors=[], agencies=[], dateline=None,
                    paragraphs=[], caption=None, category=None, exact_duplicate_of=None,
                    near_duplicate_of=None, updated_on_day=None, key=None)
    return dict(id=article_id, status=ARTICLE, url=O.canonical_url(config, article_id), title=a.title,
                published_at=a.published.isoformat(), published_hijri=M.hijri(a.published.date()),
                byline_raw=O.byline_raw(config, a), authors=list(a.byline.authors), agencies=list(a.byline.agencies),
                dateline=a.byline.dateline, paragraphs=list(a.paragraphs), caption=a.caption,
                category=a.category.name, exact_duplicate_of=a.exact_duplicate_of,
                near_duplicate_of=a.near_duplicate_of, updated_on_day=a.updated_on_day,
                key=O.article_key(config, article_id))


def truth(config: MirrorConfig) -> Iterator[dict]:
    """The truth of every served id, ascending."""
    for article_id in range(config.start_id, config.end_id):
        yield truth_record(config, article_id)
