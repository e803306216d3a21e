"""names.markup_authors: the byline elements of a page (itemprop/rel "author", a class or id naming the author
or byline), found by one XPath over the four attributes — the same names, in the same order, as the plain
pass over every element it replaced (kept here as the reference)."""

from __future__ import annotations

import re

import pytest

from crawler.extract.decode import parse
from crawler.extract.names import markup_authors
from crawler.text import clean_text

_AUTHOR_CLASS = re.compile(r"(^|[ _-])(author|byline|autor|auteur|autore|writer|reporter)([ _-]|s?$)", re.I)
_AUTHOR_ID = re.compile(r"^(author|byline)", re.I)


def reference(root) -> list[str]:
    """The pass over every element, as markup_authors read the page before (names.py at 493066b)."""
    out, found = [], 0
    for el in root.iter("*"):
        cls, ident = el.get("class"), el.get("id")
        named = bool(cls) and _AUTHOR_CLASS.search(cls) is not None
        if not (named or ident and _AUTHOR_ID.match(ident)
                or el.get("itemprop") == "author" or el.get("rel") == "author"):
            continue
        if any(a.tag in ("aside", "nav", "footer") or re.search("comment", a.get("class") or "", re.I)
               for a in el.iterancestors()):
            continue
        named = el.xpath(".//*[@itemprop='name']")
        text = clean_text(" ".join(named[0].itertext()) if named else " ".join(el.itertext()))
        if text and len(text) <= 80:
            out.append(text)
        found += 1
        if found == 12:
            break
    return out


PAGES = [
    '<div class="author vcard" id="byline-1"><a rel="author">Ann Lee</a></div>',  # class, id and rel: 2 elements
    '<span class="entry-byline"><span itemprop="author"><b itemprop="name">Omar</b> <i>Gaza</i></span></span>',
    '<p class="">x</p><p id="">y</p><span class="Autores">Ana, Luis</span><span class="writer-box">W</span>',
    '<aside><span class="author">Not him</span></aside><div class="comments"><b class="byline">Nor</b></div>',
    '<div class="author">' + "x" * 90 + '</div><div id="AUTHOR-x">Kim</div><em rel="author">Rel</em>',
    "".join(f'<span class="byline">Writer {n}</span>' for n in range(15)),  # twelve at most
    '<span class="co-author">Co</span><span class="authority">No</span><span class="post_author">P</span>',
    '<div itemprop="author" class="byline"><span itemprop="name">A</span><span itemprop="name">B</span></div>',
]


@pytest.mark.parametrize("html", PAGES)
def test_the_same_names_as_the_pass_over_every_element(html):
    root = parse(f"<html><head><meta name='author' content='M'><link rel='author' href='/a'></head>"
                 f"<body><main>{html}</main><footer><span class='author'>F</span></footer></body></html>")
    assert markup_authors(root) == reference(root)


def test_the_same_names_on_mirror_pages():
    from crawler.mirror import ARTICLE, MirrorConfig, render, route, truth

    compared = named = 0
    for cms, markup in (("alhadath", "default"), ("alhadath", "table"), ("wordpress", "default"),
                        ("slug", "default")):
        config = MirrorConfig(articles=25, seed=4, markup=markup, weight="real") if cms == "alhadath" \
            else MirrorConfig(articles=25, seed=4, cms=cms)
        for row in truth(config):
            if row["status"] != ARTICLE:
                continue
            page = (route if cms == "alhadath" else render)(config, "/" + row["url"].split("://", 1)[1].split("/", 1)[1])
            if page.status != 200:
                continue
            root = parse(page.body.decode("utf-8"))
            found = markup_authors(root)
            assert found == reference(root), row["url"]
            compared += 1
            named += bool(found)
    assert compared >= 40 and named >= 10
