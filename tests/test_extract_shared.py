"""What a page's builds share (``PageFields.shared``) and the breadcrumb's menu rule (reparse6)."""

from __future__ import annotations

import random

from crawler.extract import fields, template
from crawler.extract.extractor import Extractor
from crawler.extract.known import in_menu
from crawler.sites import get_site
from tests.test_extract_template import pages

SITE = get_site("alhadath")


def _menu_by_count(index: int, per_line: dict[int, int]) -> bool:
    """The rule as it was written before (a count of lines index−2…index+2, then a run of three)."""
    return sum(i in per_line for i in range(index - 2, index + 3)) >= 3 \
        and any(all(j in per_line for j in range(k, k + 3)) for k in range(index - 2, index + 1))


def test_the_menu_rule_is_the_run_of_three_lines_alone():
    rng = random.Random(5)
    for _ in range(3000):
        per_line = {rng.randrange(0, 30): 1 for _ in range(rng.randrange(0, 25))}
        for index in range(-3, 33):
            assert in_menu(index, per_line) == _menu_by_count(index, per_line), (index, sorted(per_line))


def test_a_checked_page_reads_the_shared_fields_once_and_every_record_is_the_whole_pages(monkeypatch):
    """Through a template, every VERIFY_EVERY-th page is built three times (region, whole, cut): the whole
    tree's title selector and the URL's key are read once for them all; the records are those of an Extractor
    that reads each page whole (a new one per page learns nothing)."""
    calls = {"select": [], "key": []}
    select_texts, article_key = fields.select_texts, type(SITE).article_key
    monkeypatch.setattr(fields, "select_texts", lambda root, site, name: calls["select"].append((root, name))
                        or select_texts(root, site, name))
    monkeypatch.setattr(type(SITE), "article_id", lambda site, url: calls["key"].append(url)
                        or article_key(site, url))
    extractor = Extractor()
    for n, (body, url) in enumerate(pages("default", "real", 2 * template.VERIFY_EVERY, 11, 120000), 1):
        whole = Extractor().extract_article(body, url, site=SITE)
        calls["select"].clear()
        calls["key"].clear()
        assert extractor.extract_article(body, url, site=SITE) == whole, url
        checked = n % template.VERIFY_EVERY == 0
        assert len(calls["key"]) == 1, (n, calls["key"])  # 3 builds on a checked page
        # each tree read once (on a checked page: the whole page's, for its full and region builds, and the cut's)
        roots = [id(root) for root, name in calls["select"] if name == "title"]
        assert len(roots) == len(set(roots)), n
        if checked:
            assert len(roots) == 2, n
    state = extractor.templates.sites["alhadath"]
    assert state.verified == 2 and state.dropped == 0 and state.cuts > 30
