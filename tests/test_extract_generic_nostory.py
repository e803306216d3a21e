"""Unknown hosts whose visible page holds no story: the body from metadata (JSON-LD articleBody), else no
article — and no date read for a page that has no story (htmldate would read the whole page)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from crawler.extract import Extractor
from crawler.mirror import MirrorConfig, article_ids, render

CHROME = "".join(f'<li><a href="/c/{n}">قسم رقم {n}</a></li>' for n in range(3))
STORY = ["بدأت اليوم في مدينة رام الله أعمال المؤتمر السنوي للبلديات بمشاركة واسعة من ممثلي المجالس المحلية.",
         "وقال رئيس المؤتمر إن الجلسات ستناقش الموازنات والخدمات والمشاريع المقبلة في المحافظات كافة.",
         "ويستمر المؤتمر ثلاثة أيام تختتم بإصدار توصيات ترفع إلى الحكومة."]


def _page(head: str = "", body: str = "") -> bytes:
    return (f'<!DOCTYPE html><html lang="ar"><head><meta charset="utf-8"><title>مؤتمر البلديات يبدأ أعماله</title>'
            f'{head}</head><body><nav><ul>{CHROME}</ul></nav><h1>مؤتمر البلديات يبدأ أعماله</h1>{body}'
            f'<footer><p>جميع الحقوق محفوظة</p></footer></body></html>').encode("utf-8")


def _ld(**fields) -> str:
    return ('<script type="application/ld+json">'
            + json.dumps({"@context": "https://schema.org", "@type": "NewsArticle", **fields}, ensure_ascii=False)
            + "</script>")


def test_a_story_only_in_jsonld_article_body_is_read_from_it():
    page = _page(head=_ld(headline="مؤتمر البلديات يبدأ أعماله", datePublished="2024-03-05T10:00:00+02:00",
                          articleBody="\n".join(STORY)),
                 body='<div id="app"></div><noscript>يرجى تفعيل جافاسكربت</noscript>')
    extraction = Extractor().extract_with_trace(page, "https://news.example.invalid/a/1")
    assert extraction is not None
    assert extraction.record["paragraphs"] == STORY
    assert extraction.sources["paragraphs"] == "jsonld"
    assert datetime.fromisoformat(extraction.record["published_at"]) == datetime(2024, 3, 5, 8, tzinfo=timezone.utc)
    assert list(extraction.sources)[:3] == ["title", "published_at", "paragraphs"]


def test_the_visible_story_wins_over_article_body():
    visible = "".join(f"<p>{line}</p>" for line in STORY)
    page = _page(head=_ld(articleBody="نص آخر مختلف تماما " * 20), body=f"<article>{visible}</article>")
    extraction = Extractor().extract_with_trace(page, "https://news.example.invalid/a/2")
    assert extraction.record["paragraphs"] == STORY and extraction.sources["paragraphs"] == "density"


@pytest.mark.parametrize("weight", ["light", "real"])
def test_a_page_whose_story_only_a_script_writes_is_no_article(weight):
    """The mirror's broken markup under a host no site file knows: only a <noscript> notice is visible and the
    story sits in a script's JSON state of its own keys: no article (before: the notice was the body and
    htmldate read the whole page for a date)."""
    config = MirrorConfig(articles=30, seed=3, markup="broken", weight=weight)
    extractor = Extractor()
    for article_id in article_ids(config)[:8]:
        page = render(config, f"/article/{article_id}/x").body
        assert extractor.extract_article(page, f"https://news.example.invalid/article/{article_id}/x") is None


def test_a_short_article_body_is_no_story():
    page = _page(head=_ld(articleBody="سطر قصير"), body="<noscript>يرجى تفعيل جافاسكربت</noscript>")
    assert Extractor().extract_article(page, "https://news.example.invalid/a/4") is None
