"""Links between the alhadath family's pages, in the forms the real site's pages use.

Apart from ``pages`` so that ``weight`` (the chrome of a real page, which links too) and ``pages`` both
import it and neither imports the other: the mirror's modules import downwards only
(model → links → weight → pages → hazards → server).
"""

from __future__ import annotations

import re
from html import escape
from urllib.parse import quote

from crawler.mirror import model as M
from crawler.mirror.model import MirrorConfig

# --- links -----------------------------------------------------------------------------------------------

LINK_FORMS = ("raw", "upper", "lower", "double", "absolute", "noslug")
_LINK_WEIGHTS = (("raw", 35), ("upper", 22), ("lower", 15), ("double", 6), ("absolute", 16), ("noslug", 6))
_LOWER_ESCAPES = re.compile(r"%[0-9A-F]{2}")


def article_href(article_id: int, slug: str, form: str, base_url: str = "") -> str:
    """An article link in one of the forms the real site's pages use."""
    encoded = quote(slug, safe="-")
    if form == "raw":
        return f"/article/{article_id}/{slug}"
    if form == "upper":
        return f"/article/{article_id}/{encoded}"
    if form == "lower":
        return f"/article/{article_id}/{_LOWER_ESCAPES.sub(lambda m: m.group(0).lower(), encoded)}"
    if form == "double":
        return f"/article/{article_id}/{quote(encoded, safe='-')}"
    if form == "absolute":
        return f"{base_url}/article/{article_id}/{encoded}"
    return f"/article/{article_id}"


def _href(config: MirrorConfig, article_id: int, context: int, base_url: str) -> str:
    form = M._weighted(M.mix(config.seed, article_id, 100 + context) % 100, _LINK_WEIGHTS)
    return escape(article_href(article_id, M.headline(config, article_id).slug, form, base_url))


def category_href(category: M.Category, page: int = 1, slug_index: int = 0) -> str:
    slug = category.slugs[slug_index % len(category.slugs)]
    return f"/category/{category.id}/{slug}" + (f"/page/{page}" if page > 1 else "")


def tag_href(tag_id: int, page: int = 1) -> str:
    name = M.TAGS[tag_id - 1][1].replace(" ", "_")
    return f"/tag/{tag_id}/{name}" + (f"/page/{page}" if page > 1 else "")
