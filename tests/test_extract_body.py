"""Our own body reading for unknown sites (crawler.extract.body): the story's paragraph cluster, not the chrome."""

from crawler.extract import Extractor
from crawler.extract.body import story_blocks
from crawler.extract.decode import parse

STORY = " ".join(["The council met on Monday, and after a long debate, it voted to keep the library open."] * 2)
PAGE = f"""<html><head><title>Library stays open</title></head><body>
<nav><ul>{''.join(f'<li><a href="/s{i}">Section number {i} of the site</a></li>' for i in range(30))}</ul></nav>
<div class="main"><h1>Library stays open</h1>
{''.join(f'<div class="wrap"><p>{STORY} Paragraph {i}.</p></div>' for i in range(6))}
<div class="share-bar"><p>Share this story with your friends and family, today, please.</p></div></div>
<div id="rail"><ul>{''.join(f'<li><a href="/t{i}">A teaser headline, number {i}, of another story</a></li>' for i in range(12))}</ul></div>
</body></html>"""


def test_the_story_is_the_paragraph_cluster_without_menus_teasers_or_share_bars():
    texts = [block.text for block in story_blocks(parse(PAGE))]
    assert [t.endswith(f"Paragraph {i}.") for i, t in enumerate(t for t in texts if "Paragraph" in t)] == [True] * 6
    assert not any("Section number" in t or "teaser" in t or "Share this" in t for t in texts)


def test_an_extractor_with_the_density_body_reads_it_and_trafilatura_stays_the_default():
    url = "https://news.example.invalid/2024/05/01/library"
    dense = Extractor(density_body=True).extract_with_trace(PAGE.encode(), url)
    assert dense.sources["paragraphs"] == "density" and len(dense.record["paragraphs"]) == 6
    assert Extractor().extract_with_trace(PAGE.encode(), url).sources["paragraphs"] == "trafilatura"


def test_a_page_without_a_story_gives_no_blocks():
    assert story_blocks(parse("<html><body><nav><a href='/'>Home</a></nav><p>Short.</p></body></html>")) == []
