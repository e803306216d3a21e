"""walk7's cuts in the text path give the answers they gave: the walk against main's walk (549c03f, read from git)
on random trees, the attribute helpers against their ``get`` definitions, and ``ARSHIF_SITES`` read as set."""

from __future__ import annotations

import os
import subprocess
import sys
import types
from dataclasses import fields
from pathlib import Path

import lxml.html
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.extract import body
from crawler.extract.walk import region_context, walk
from crawler.sites import registry

REPO = Path(__file__).resolve().parents[1]
MAIN = "549c03f"  # the walk before walk7 (el.tag read again at each element's end)


def walk_at(commit: str):
    """``walk`` as ``crawler/extract/walk.py`` was at ``commit``, compiled from git in memory (skips without it)."""
    return module_at(commit, "crawler/extract/walk.py").walk


def module_at(commit: str, path: str) -> types.ModuleType:
    """The module ``path`` as it was at ``commit``, compiled from git in memory (skips without that history)."""
    try:
        source = subprocess.run(["git", "show", f"{commit}:{path}"], cwd=REPO, check=True,
                                capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip(f"no git history holding {commit} (the reference {path})")
    name = f"{Path(path).stem}_{commit}"
    module = sys.modules.get(name)
    if module is None:
        module = types.ModuleType(name)
        sys.modules[name] = module  # (dataclasses look their module up)
        exec(compile(source, f"{name}.py", "exec"), module.__dict__)
    return module


def _main_walk():
    return walk_at(MAIN)


def _flat(value):
    """A Page as plain values (its classes differ between the two modules; elements compare by identity). A link is
    (element, line, in chrome): the href that later walks keep beside them (reparse10) is its element's own
    ``get("href")``, held to it by ``tests/test_extract_walk10.py``; the walks of earlier commits kept no href."""
    if hasattr(value, "__dataclass_fields__"):
        return (type(value).__name__,) + tuple(_flat([link[:3] for link in getattr(value, f.name)] if f.name == "links"
                                                     and type(value).__name__ == "Page" else getattr(value, f.name))
                                               for f in fields(value))
    if isinstance(value, (list, tuple)):
        return tuple(_flat(item) for item in value)
    if isinstance(value, dict):
        return tuple((key, _flat(item)) for key, item in value.items())
    return value


# Tags of every role the walk and the blocks tell apart, a comment, and attributes the chrome test reads.
_TAGS = ["div", "p", "span", "a", "br", "img", "script", "style", "nav", "aside", "header", "footer", "article",
         "main", "h1", "h2", "figure", "figcaption", "time", "meta", "li", "ul", "td", "b", "section", "form", "!--"]
_ATTRS = ['', ' class="share-bar"', ' id="related"', ' class="article-body has-sidebar"', ' href="/x"',
          ' class="post" id="comments"', ' itemprop="articleBody" class="sidebar"', ' src="/i.jpg" alt="صورة"',
          ' datetime="2016-02-19"', ' property="og:title" content="t"', ' rel="canonical" href="/c"']
_WORDS = ["", " ", "\n  ", "خبر عاجل", "2016-02-19 11:15:08 PM", "text, more", "   نص  طويل، ", "\u200f"]


@st.composite
def markup(draw, tags=tuple(_TAGS), attrs=tuple(_ATTRS), words=tuple(_WORDS), depth=0, deepest=4):
    """Random HTML of ``tags`` (``!--`` a comment) with one of ``attrs`` each, ``words`` between them."""
    parts = []
    for _ in range(draw(st.integers(0, 4 if depth < deepest else 0))):
        tag = draw(st.sampled_from(tags))
        if tag == "!--":
            parts.append(f"<!--{draw(st.sampled_from(words))}-->")
        elif tag in ("br", "img", "meta", "input"):
            parts.append(f"<{tag}{draw(st.sampled_from(attrs))}>")
        else:
            parts.append(f"<{tag}{draw(st.sampled_from(attrs))}>{draw(st.sampled_from(words))}"
                         f"{draw(markup(tags, attrs, words, depth + 1, deepest))}</{tag}>")
        parts.append(draw(st.sampled_from(words)))
    return "".join(parts)



@settings(max_examples=150, deadline=None)
@given(markup(), st.sampled_from(_WORDS), st.integers(0, 1_000))
def test_walk_equals_mains_walk_on_random_trees(inner, lead, pick):
    main_walk = _main_walk()
    tree = lxml.html.document_fromstring(f"<html><head><title>t</title></head><body>{lead}<div>{inner}</div>"
                                         "</body></html>")
    for blocks in (False, True):
        assert _flat(walk(tree, blocks=blocks)) == _flat(main_walk(tree, blocks=blocks))
    # A region walked alone, as a template reads its block (the region's <body> holding it alone, or not).
    regions = [el for el in tree.find("body").iter() if isinstance(el.tag, str) and region_context(el) is not None]
    region = regions[pick % len(regions)]
    context = region_context(region)
    head = tree.find("head")
    assert _flat(walk(region, head=head, context=context, blocks=True)) == \
        _flat(main_walk(region, head=head, context=context, blocks=True))


def _chrome_named_by_get(el) -> bool:
    cls, ident = el.get("class"), el.get("id")
    if not cls and not ident:
        return False
    chrome, story = body._name_words(cls) if cls else (False, False)
    if ident:
        chrome_id, story_id = body._name_words(ident)
        chrome, story = chrome or chrome_id, story or story_id
    return chrome and not story and el.get("itemprop") != "articleBody"


_VALUES = st.sampled_from(["", "share", "related-posts", "article-body has-sidebar", "post", "sidebar", "main",
                           "articleBody", "comments", "x y"])


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["div", "td", "article", "p"]),
       st.dictionaries(st.sampled_from(["class", "id", "itemprop", "href", "style", "data-id", "classy"]),
                       _VALUES, max_size=5))
def test_attribute_helpers_answer_as_their_get_definitions(tag, attrs):
    el = lxml.html.fragment_fromstring(f"<{tag}>x</{tag}>")
    for name, value in attrs.items():
        el.set(name, value)
    assert body._chrome_named(el) == _chrome_named_by_get(el)
    name = (el.get("class") or "") + " " + (el.get("id") or "")
    weight = 1.5 if el.tag in ("article", "main") or el.get("itemprop") == "articleBody" else 1.0
    if len(name) > 1:
        weight *= body._name_words_weight(name)
    assert body._name_weight(el) == weight


def test_sites_env_is_the_variable_as_set_now(monkeypatch):
    monkeypatch.delenv(registry.ENV, raising=False)
    assert registry._sites_env() == "" == os.environ.get(registry.ENV, "")
    monkeypatch.setenv(registry.ENV, "/etc/arshif/sites:/srv/مواقع")
    assert registry._sites_env() == "/etc/arshif/sites:/srv/مواقع"
    os.environ[registry.ENV] = "/other"
    assert registry._sites_env() == "/other"
    del os.environ[registry.ENV]
    assert registry._sites_env() == ""
    os.environ.update({registry.ENV: "/third"})
    assert registry._sites_env() == "/third"
