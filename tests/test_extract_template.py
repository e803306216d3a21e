"""The per-site template fast path (crawler.extract.template): same records as the whole-page walk, always."""

from __future__ import annotations

from pathlib import Path

from crawler.extract.decode import decode, parse, parsed_bytes
from crawler.extract.known import KnownSiteFields
from crawler.extract.template import VERIFY_EVERY, Templates
from crawler.extract.walk import walk
from crawler.mirror import MirrorConfig, article_ids, render
from crawler.sites import get_site

SITE = get_site("alhadath")
FIXTURES = Path(__file__).parent / "fixtures" / "alhadath"


def extract_both(templates: Templates, body: bytes, url: str):
    """(through the template, by the whole-page walk) for one page."""
    text, codec = decode(body)
    exact = codec == "utf-8" and "\ufffd" not in text
    root = parse(text)
    stamp = SITE.timestamp_pattern

    def build(tree, region, context):
        page = walk(tree, stamp) if region is None else walk(region, stamp, head=tree.find("head"), context=context)
        return KnownSiteFields(tree, page, SITE, url, codec).build()

    via_template = templates.extract(SITE.name, lambda: root, build, lambda e: e.record,
                                     source=parsed_bytes(text, body if exact else None),
                                     selectors=list(SITE.selectors.values()))
    whole = KnownSiteFields(root, walk(root, stamp), SITE, url, codec).build()
    return (via_template.record if via_template else None), (whole.record if whole else None)


def pages(markup: str, weight: str, count: int, seed: int, start_id: int) -> list[tuple[bytes, str]]:
    config = MirrorConfig(articles=count + 10, seed=seed, start_id=start_id, markup=markup, weight=weight)
    return [(render(config, f"/article/{i}/x").body, f"https://www.alhadath.ps/article/{i}/x")
            for i in article_ids(config)[:count]]


def test_the_template_walks_only_the_story_block_and_changes_no_record():
    templates = Templates()
    for body, url in pages("default", "real", 60, 5, 70000):
        fast, whole = extract_both(templates, body, url)
        assert fast == whole, url
    state = templates.sites["alhadath"]
    assert state.path == "/html/body/div[@class='container']/main[@class='content']"
    assert state.fast > 45 and state.verified >= 60 // VERIFY_EVERY - 1 and state.dropped == 0


def test_a_new_layout_is_learned_again_and_mixed_pages_keep_their_records():
    """Default and table layouts, both weights, soft 404s and the hand-written pages, interleaved."""
    templates = Templates()
    mixed = (pages("default", "light", 30, 6, 80000) + pages("table", "real", 40, 7, 185000)
             + pages("default", "real", 20, 8, 90000))
    hand = [(path.read_bytes(), f"https://www.alhadath.ps/article/{n}/x")
            for n, path in enumerate(sorted(FIXTURES.glob("*.html")), 1)]
    for n, (body, url) in enumerate(mixed):
        fast, whole = extract_both(templates, body, url)
        assert fast == whole, url
        if n % 7 == 0 and hand:
            fast, whole = extract_both(templates, *hand[(n // 7) % len(hand)])
            assert fast == whole
    state = templates.sites["alhadath"]
    assert state.fast > 40
    assert state.path.endswith("main[@class='content']")  # the last layout seen


def test_a_template_that_stops_matching_gives_way_to_the_whole_walk():
    templates = Templates()
    for body, url in pages("default", "real", 12, 9, 100000):
        extract_both(templates, body, url)
    assert templates.sites["alhadath"].path
    # The same site's pages in the table layout: no <main> — the whole walk answers, then a new template.
    for body, url in pages("table", "light", 20, 9, 100000):
        fast, whole = extract_both(templates, body, url)
        assert fast == whole
    assert "td[@width='75%']" in templates.sites["alhadath"].path


def test_each_extractor_owns_what_it_learns():
    """A spider's Extractor learns its site's block; another Extractor (another run) starts from nothing,
    and both give the same records."""
    from crawler.extract import Extractor, extract_article

    first, second = Extractor(), Extractor()
    for body, url in pages("default", "real", 12, 11, 110000):
        record = first.extract_article(body, url)
        assert record == extract_article(body, url, extractor=Extractor())
    assert first.templates.sites["alhadath"].path.endswith("main[@class='content']")
    assert "alhadath" not in second.templates.sites
