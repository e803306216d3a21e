"""walk9's story_blocks (a block's characters summed per owner before they go up its chain; the score path found
once an owner) and read_layout (a line's first word without ``split``'s copy of the rest; the title hints folded
only where a timestamp is searched) give the answers they gave: against 93728b4's (read from git) on random
trees and random lines, from the blocks story_blocks reads itself and from those the walk read in its loop."""

from __future__ import annotations

import lxml.html
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.extract import body, layout
from crawler.extract.walk import Line, Page
from crawler.extract.walk import walk
from tests.test_extract_walk7 import _flat, markup, module_at

BASE = "93728b4"  # story_blocks before walk9 (each block's characters added up its owner's chain)

# Containers and blocks of each kind the scoring tells apart (containers div/section/td/article/main, owners
# that score their parent: p, li, h1, br's text), links, the chrome the blocks skip or drop, wrappers of one
# element, and class names that weigh a container up or down or name chrome.
_TAGS = ["div", "div", "p", "p", "section", "td", "tr", "table", "article", "main", "li", "ul", "br", "a", "span",
         "h1", "h2", "header", "nav", "aside", "figure", "blockquote", "pre", "!--"]
_ATTRS = ["", "", "", ' class="content"', ' class="article-body has-sidebar"', ' class="share-bar"',
          ' id="related"', ' class="sidebar"', ' class="comment"', ' class="story"', ' href="/x"',
          ' itemprop="articleBody" class="sidebar"', ' class="tags"', ' class="post" id="comments"']
_WORDS = ["", " ", "\n  ", "خبر عاجل", "text, more",
          "قالت الوزارة في بيان، إن الاجتماع بحث الأوضاع الراهنة، والخطوات المقبلة في المنطقة",
          "A paragraph of prose long enough to count, with a comma, and another, as a story's line does.",
          "Short line", "اقرأ أيضاً"]


def _base():
    return module_at(BASE, "crawler/extract/body.py")


@settings(max_examples=300, deadline=None)
@given(markup(_TAGS, _ATTRS, _WORDS, deepest=5), st.sampled_from(_WORDS), st.sampled_from(["div", "table", "td"]),
       st.sampled_from(_ATTRS))
def test_story_blocks_equal_the_bases_on_random_trees(inner, lead, outer, attrs):
    base = _base()
    markup = f"<{outer}{attrs}>{inner}{inner}</{outer}>"  # (twice: owners with many blocks, prose enough)
    if outer != "div":  # (a table layout's story cell, as on alhadath's table markup)
        markup = f"<table{attrs}><tr><td>{inner}</td><td>{inner}</td></tr></table>"
    tree = lxml.html.document_fromstring(f"<html><head><title>t</title></head><body>{lead}{markup}</body></html>")
    assert _flat(body.story_blocks(tree)) == _flat(base.story_blocks(tree))
    walked = walk(tree, blocks=True).blocks
    assert _flat(body.story_blocks(tree, walked)) == _flat(base.story_blocks(tree, walked))


def test_a_story_of_one_owners_many_blocks_is_read_as_before():
    """The case the change is for: one <td> holding a story's paragraphs between <br>s (all its blocks' owner)
    beside a box of links; the base's blocks and story, and a story at all (not [] on both sides)."""
    prose = "قالت الوزارة في بيان، إن الاجتماع بحث الأوضاع الراهنة، والخطوات المقبلة في المنطقة"
    cell = "<br>".join([prose] * 6)
    links = "".join(f'<li><a href="/{n}">عنوان خبر آخر {n}</a></li>' for n in range(8))
    tree = lxml.html.document_fromstring(
        f"<html><body><table><tr><td class='main'><h1>العنوان</h1>{cell}</td><td><ul>{links}</ul></td></tr>"
        "</table></body></html>")
    story = body.story_blocks(tree)
    assert [block.text for block in story] == ["العنوان", *[prose] * 6]
    assert [block.owner.tag for block in story] == ["h1", *["td"] * 6]  # (a <br>'s tail is its parent's)
    assert _flat(story) == _flat(_base().story_blocks(tree))


# Lines as the walk gives them (clean_text()-ed) and as no walk does (other whitespace, a leading space), titles
# that one of them folds to, or whose first words start one.
_LINE_WORDS = ["الحدث", "رام", "الله", "-", "العنوان", "أخبار", "title", "Title", "2016-02-19", "،", "ab"]
_SPACES = [" ", " ", " ", "  ", "\t", "\u00a0", "\n"]


@st.composite
def _text(draw, clean: bool):
    words = draw(st.lists(st.sampled_from(_LINE_WORDS), min_size=0, max_size=6))
    if clean:
        return " ".join(words)
    gaps = [draw(st.sampled_from(_SPACES)) for _ in words]
    lead = draw(st.sampled_from(["", " ", "\u00a0"]))
    return lead + "".join(word + gap for word, gap in zip(words, gaps))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.booleans(), st.booleans()), min_size=0, max_size=12),
       st.data(), st.booleans())
def test_read_layout_equals_the_bases_on_random_lines(shapes, data, clean):
    base = module_at(BASE, "crawler/extract/layout.py")
    lines = [Line(data.draw(_text(clean)), 0.6 if linked else 0.0, chrome, heading, False)
             for linked, chrome, heading in shapes]
    texts = [line.text for line in lines if line.text]
    title = data.draw(st.sampled_from(texts) if texts and data.draw(st.booleans()) else _text(clean))
    page = Page(lines=lines)
    hints = [title, data.draw(_text(True))]
    for own in ((), ("الحدث",)):
        assert _outcome(layout._find_title_line, lines, title) == _outcome(base._find_title_line, lines, title)
        assert _outcome(layout.read_layout, page, None, hints, title, own) == \
            _outcome(base.read_layout, page, None, hints, title, own)


def _outcome(function, *args):
    """What ``function(*args)`` gives, or the exception it raises (a line of whitespace alone, which no walk
    gives, has no first word: both raise IndexError)."""
    try:
        return _flat(function(*args))
    except Exception as error:  # (compared by type)
        return type(error)



def test_a_pages_builds_read_the_story_and_the_byline_elements_of_a_tree_once(monkeypatch):
    """The builds of one page share what they read of one tree: a template's check page reads the whole tree
    for its block and for the whole page, the story and the byline elements of that tree once; every record is
    still the full chain's (a fresh Extractor's, which shares nothing: one build a page)."""
    from crawler.extract import Extractor, generic
    from tests.test_extract_template_hosts import family

    reads: list[tuple[str, object]] = []  # (what, the tree's root: kept, so no id is reused within a page)
    story_blocks, markup_authors = generic.story_blocks, generic.markup_authors
    counted = {"story_blocks": lambda root, walked=None: reads.append(("story", root)) or story_blocks(root, walked),
               "markup_authors": lambda root: reads.append(("markup", root)) or markup_authors(root)}
    extractor = Extractor()
    checks = 0
    for body, url in family("alhadath", 45, seed=5, markup="table", weight="real"):
        reads.clear()
        with monkeypatch.context() as patch:
            for name, function in counted.items():
                patch.setattr(generic, name, function)
            record = extractor.extract_article(body, url)
        keys = [(what, id(root)) for what, root in reads]
        assert len(keys) == len(set(keys)), url  # (no tree's story or byline elements read twice a page)
        checks += len({id(root) for _, root in reads}) > 1  # (two trees: the cut's and the whole's)
        assert record is not None and record == Extractor().extract_article(body, url), url
    state = extractor.templates.sites["//news.example.invalid"]
    assert state.verified >= 1 and state.cuts >= 20 and checks >= 1, (state, checks)
