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


def test_the_density_body_is_the_default_and_trafilatura_only_the_fallback_where_it_finds_no_story():
    url = "https://news.example.invalid/2024/05/01/library"
    dense = Extractor().extract_with_trace(PAGE.encode(), url)
    assert dense.sources["paragraphs"] == "density" and len(dense.record["paragraphs"]) == 6
    # The whole story inside a <form> (aljazeera.com's, ASP.NET pages'): ours reads no story there.
    in_form = f"""<html><head><title>Library stays open</title></head><body><h1>Library stays open</h1>
        <form id="aspnetForm">{''.join(f'<p>{STORY} Paragraph {i}.</p>' for i in range(6))}</form></body></html>"""
    fallback = Extractor().extract_with_trace(in_form.encode(), url)
    assert fallback.sources["paragraphs"] == "trafilatura"
    assert [p[-12:] for p in fallback.record["paragraphs"]] == [f"Paragraph {i}." for i in range(6)]


def _texts(html: str) -> list[str]:
    return [block.text for block in story_blocks(parse(html))]


def test_paragraphs_each_in_a_chain_of_wrappers_add_up_in_the_block_around_them_all():
    # React themes (eveningstandard.co.uk): <div class=row><div><div><p> once per paragraph, ads between.
    rows = "".join(f'<div class="row"><div><div><p>{STORY} Paragraph {i}.</p></div></div></div>'
                   f'<div class="ad-slot"><span>Advertisement</span></div>' for i in range(8))
    texts = _texts(f"<html><body><div id='main'><h1>Title</h1>{rows}</div></body></html>")
    assert [t for t in texts if "Paragraph" in t] == [f"{STORY} Paragraph {i}." for i in range(8)]


def test_a_layout_class_naming_chrome_around_the_story_does_not_hide_it_but_a_real_share_box_goes():
    # lapresse.tn: the story sits in <div class="clearfix bdaia-sidebar-right">; its share box is chrome.
    paragraphs = "".join(f"<p>{STORY} Paragraph {i}.</p>" for i in range(5))
    texts = _texts(f"""<html><body><div class="clearfix bdaia-sidebar-right"><h1>T</h1>{paragraphs}</div>
        <div class="share-box"><p>Share this story with your friends and family, today, please.</p></div>
        </body></html>""")
    assert sum("Paragraph" in t for t in texts) == 5 and not any("Share this" in t for t in texts)


def test_the_lead_set_apart_from_the_body_and_a_closing_short_line_are_the_storys():
    lead = "The council's vote ends a year of debate over the future of the town's oldest public building."
    body = "".join(f"<p>{STORY} Paragraph {i}.</p>" for i in range(4))
    texts = _texts(f"""<html><body><article><header><h1>Library stays open</h1><p class="byline">By Ann</p>
        <p class="lead">{lead}</p></header><div class="entry-content">{body}<p>See you there!</p></div>
        <div class="tools"><span>Print</span></div></article></body></html>""")
    assert texts[0] == lead and texts[-1] == "See you there!" and not any("By Ann" in t for t in texts)


def test_a_page_without_a_story_gives_no_blocks():
    assert story_blocks(parse("<html><body><nav><a href='/'>Home</a></nav><p>Short.</p></body></html>")) == []


def test_a_short_story_beside_a_box_of_related_stories_with_their_summaries_keeps_the_box_out():
    # The alhadath mirror's real-weight pages: three short paragraphs, then <div class="related-posts">
    # with more prose (each card's summary) than the story itself. "related-posts" names chrome although
    # "post" names a story: within one word the chrome word wins.
    story = "".join(f"<p>{STORY} Paragraph {i}.</p>" for i in range(3))
    cards = "".join(f'<div class="card"><h4><a href="/a/{i}">Another story {i}</a></h4><p>{STORY} Summary {i}.</p>'
                    "</div>" for i in range(5))
    texts = _texts(f"""<html><body><main><article class="post"><h1>Title</h1><div class="post-body">{story}</div>
        </article><div class="related-posts">{cards}</div></main></body></html>""")
    assert [t[-12:] for t in texts if "Paragraph" in t] == [f"Paragraph {i}." for i in range(3)]
    assert not any("Summary" in t for t in texts)


def _eager(root):
    """story_blocks with every chrome subtree read (blocks without lazy_chrome), for comparison."""
    from crawler.extract import body

    lazy = body.blocks
    body.blocks = lambda el, lazy_chrome=False: lazy(el)
    try:
        return body.story_blocks(root)
    finally:
        body.blocks = lazy


def _same_story(html: str) -> list[str]:
    lazy, eager = story_blocks(parse(html)), _eager(parse(html))
    assert [(b.text, b.owner.tag, b.linked, b.heading) for b in lazy] \
        == [(b.text, b.owner.tag, b.linked, b.heading) for b in eager]
    return [b.text for b in lazy]


def test_chrome_left_unread_gives_the_same_story_as_reading_it():
    """story_blocks leaves an outermost chrome-named subtree unread (blocks' lazy_chrome) and reads it after all
    where the prose outside chrome is too little to hold the story: the same blocks either way — on the
    pages above, a story inside a chrome-named layout class, a short story beside a box of summaries, a lead
    after an <h1> holding a share box, and a story whose only <h1> sits in a chrome box."""
    related = "".join(f'<div class="card"><h4><a href="/a{i}">Another story {i}</a></h4><p>{STORY}</p></div>'
                      for i in range(4))
    lead = "The council's vote ends a year of debate over the future of the town's oldest public building."
    pages = [PAGE,
             f"""<html><body><div class="clearfix bdaia-sidebar-right"><h1>T</h1>{"<p>" + STORY + "</p>" * 5}</div>
             <div class="share-box"><p>Share this story with your friends and family, today, please.</p></div>
             </body></html>""",
             f"""<html><body><table><tr><td><h1>Short</h1><p>{STORY[:150]}</p></td></tr>
             <tr><td><div class="related-posts">{related}</div></td></tr></table></body></html>""",
             f"""<html><body><div><h1>Title <span class="share">Share <a href="/s">x</a></span></h1>
             <p>{lead}</p><div class="social-links"><a href="/f">Follow us on every network</a></div>
             <div class="entry">{"".join(f"<p>{STORY} {i}</p>" for i in range(3))}</div>
             <div class="related"><p>{STORY} related</p></div></div></body></html>""",
             f"""<html><body><div class="sidebar"><h1>Only here</h1><p>{STORY}</p><p>{STORY}</p></div>
             <div class="menu"><p>{STORY}</p></div></body></html>"""]
    stories = [_same_story(html) for html in pages]
    # little prose outside chrome: the box's blocks were read after all (there, the box holds the most prose)
    assert sum(STORY in t for t in stories[2]) == 4
    assert stories[3][0] == lead and sum(STORY in t for t in stories[3]) == 3 and "related" not in stories[3][-1]
    assert stories[4] == ["Only here", STORY, STORY]


def test_chrome_left_unread_gives_the_same_story_on_mirror_pages():
    """The same on real-weight pages of the mirror's families, whole and cut to their story block as a
    learned template parses them (the table markup's story cell holds a related-stories box)."""
    from tests.test_extract_walk_blocks import _mirror_pages

    compared = 0
    for body in _mirror_pages(("default", "table"), 20):
        assert _same_story(body.decode("utf-8"))
        compared += 1
    assert compared >= 30
