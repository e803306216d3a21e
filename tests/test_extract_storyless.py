"""A host whose pages hold a title but no story (the mirror's broken markup under a host no site file knows)
is learned as storyless: later pages skip the expensive fallback (trafilatura), every Nth page runs the full
chain as a check, and a page with a story ends it (crawler.extract.template.Templates.storyless)."""

from __future__ import annotations

from crawler.extract import Extractor
from crawler.extract.template import NO_STORY_AFTER, VERIFY_EVERY
from crawler.mirror import MirrorConfig, article_ids, render

HOST = "https://news.example.invalid"
KEY = "//news.example.invalid"

STORY = ["بدأت اليوم في مدينة رام الله أعمال المؤتمر السنوي للبلديات بمشاركة واسعة من ممثلي المجالس المحلية.",
         "وقال رئيس المؤتمر إن الجلسات ستناقش الموازنات والخدمات والمشاريع المقبلة في المحافظات كافة.",
         "ويستمر المؤتمر ثلاثة أيام تختتم بإصدار توصيات ترفع إلى الحكومة وتنشر على موقع الاتحاد."]


def broken_pages(count: int, weight: str = "light") -> list[tuple[bytes, str]]:
    config = MirrorConfig(articles=count * 2 + 20, seed=3, markup="broken", weight=weight)
    return [(render(config, f"/article/{article_id}/x").body, f"{HOST}/article/{article_id}/x")
            for article_id in article_ids(config)[:count]]


def _page(body: str) -> bytes:
    return ('<!DOCTYPE html><html lang="ar"><head><meta charset="utf-8"><title>مؤتمر البلديات يبدأ أعماله</title>'
            f'</head><body><h1>مؤتمر البلديات يبدأ أعماله</h1>{body}</body></html>').encode("utf-8")


VISIBLE = _page("<article>" + "".join(f"<p>{line}</p>" for line in STORY) + "</article>")
# A story only trafilatura reads: the density reading skips a <form> around the whole article.
IN_FORM = _page('<form action="/c">' + "".join(f"<p>{line}</p>" for line in STORY) + "</form>")


def test_a_broken_layout_under_an_unknown_host_is_learned_storyless_and_every_page_stays_no_article():
    """The records are the full chain's (no record for any page: what the layout alarm counts as unreadable),
    the pages after the first few skip trafilatura, and every VERIFY_EVERY-th page ran the full chain."""
    extractor = Extractor()
    for n, (body, url) in enumerate(broken_pages(45), 1):
        assert extractor.extract_with_trace(body, url) is None
        assert Extractor().extract_with_trace(body, url) is None  # the full chain, learning nothing
        state = extractor.templates.sites[KEY]
        if n <= NO_STORY_AFTER:
            assert state.storyless_served == 0, n
    # pages NO_STORY_AFTER+1 … 45 skip the fallback, but the checks (pages 20 and 40) ran everything
    assert state.storyless_served == 45 - NO_STORY_AFTER - 2
    assert state.verified == 2 and state.dropped == 0


def test_the_real_weight_broken_layout_is_storyless_too():
    extractor = Extractor()
    for body, url in broken_pages(12, weight="real"):
        assert extractor.extract_article(body, url) is None
    assert extractor.templates.sites[KEY].storyless_served == 12 - NO_STORY_AFTER


def test_a_page_with_a_story_ends_storyless_reading_and_gets_the_full_chains_record():
    extractor = Extractor()
    pages = broken_pages(NO_STORY_AFTER + 2)
    for body, url in pages:
        extractor.extract_article(body, url)
    state = extractor.templates.sites[KEY]
    assert state.storyless_served == 2 and extractor.templates.storyless(KEY)
    record = extractor.extract_article(VISIBLE, f"{HOST}/article/9999/x")
    assert record is not None and record["paragraphs"] == STORY
    assert record == Extractor().extract_article(VISIBLE, f"{HOST}/article/9999/x")
    assert state.no_story == 0 and not extractor.templates.storyless(KEY)
    # learned again only after NO_STORY_AFTER pages in a row without a story
    for n, (body, url) in enumerate(broken_pages(NO_STORY_AFTER), 1):
        assert not extractor.templates.storyless(KEY), n
        extractor.extract_article(body, url)
    assert extractor.templates.storyless(KEY)


def test_a_story_only_trafilatura_finds_is_missed_between_checks_and_ends_it_on_a_check():
    """What storyless reading gives up, and how it is bounded: on a page between checks a story that only
    the skipped fallback reads is no article; the next check page reads it and ends storyless reading."""
    full = Extractor().extract_with_trace(IN_FORM, f"{HOST}/article/1/x")
    assert full is not None and full.sources["paragraphs"] == "trafilatura"
    extractor = Extractor()
    pages = broken_pages(VERIFY_EVERY - 2)
    for body, url in pages:  # pages 1 … VERIFY_EVERY-2
        extractor.extract_article(body, url)
    state = extractor.templates.sites[KEY]
    assert extractor.extract_article(IN_FORM, f"{HOST}/article/1/x") is None  # page VERIFY_EVERY-1: skipped
    assert extractor.templates.storyless(KEY) is False  # the next page is a check
    record = extractor.extract_article(IN_FORM, f"{HOST}/article/2/x")  # page VERIFY_EVERY: the full chain
    assert record == Extractor().extract_article(IN_FORM, f"{HOST}/article/2/x")
    assert state.dropped == 1 and state.no_story == 0 and not extractor.templates.storyless(KEY)


def test_soft_404s_and_pages_without_a_title_say_nothing_of_the_story():
    extractor = Extractor()
    for body, url in broken_pages(NO_STORY_AFTER - 1):
        extractor.extract_article(body, url)
    untitled = b"<html><body><div>" + b"x" * 50 + b"</div></body></html>"
    assert extractor.extract_article(untitled, f"{HOST}/article/7/x") is None
    state = extractor.templates.sites[KEY]
    assert state.no_story == NO_STORY_AFTER - 1
