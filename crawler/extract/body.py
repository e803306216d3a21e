"""The body of a page of an unknown site, from the DOM shape and text density of the tree already parsed.

No outlet's class names: the story is the cluster of paragraphs the page's own structure groups together.

1. One walk over the tree cuts its text into *blocks* (what a reader sees as one paragraph: a <p>, a
   heading, a list item, the text of a <div> between two <br>), each with the element that holds it and
   its share of linked characters. Scripts, forms, menus (<nav>, <aside>, <footer>) and figures are not
   read; the blocks of elements whose class or id says chrome on any CMS ("comment", "share", "related",
   "sidebar", …) and of <header>s are dropped — unless such an element holds half the page's prose (a
   layout class such as "bdaia-sidebar-right" around the story) or the block is an article header's
   standfirst.
2. Each block of prose (≥ 25 characters) scores its container and, half as much, the container's parent:
   1 + its commas + one per 100 characters (up to 3) — the readability heuristic. A container's score
   is weighed by its text's link density (a list of teasers is all links) and by the generic words of
   its class/id ("article", "content", "story" vs "comment", "promo", "widget").
3. The best container, with its siblings that score close to it, is the story: its blocks in page order,
   less link lists and lone link lines. Wrappers holding one element only count as one level (React
   themes wrap each paragraph in a chain of <div>s); the story climbs to an ancestor up to two branching
   levels up that holds much more prose with few links (a story cut into chunks by ads); short lines after
   its last paragraph go unless they sit beside its paragraphs; the lead paragraphs between the <h1> and
   the story's first block are put first.

E.g. a page with a menu of 40 links, a story <div> of 12 <p> and a sidebar of teasers: the <div> scores
about 12 × 3, the sidebar's teasers are mostly links (weighed down to almost 0): the 12 paragraphs.

``story_blocks`` gives nothing when no container holds 120 characters of prose: the caller then falls
back to another stage (trafilatura).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from crawler.text import clean_text

# Elements that open a block of their own (the text after them starts a new one).
_BLOCK = frozenset("address article blockquote body center dd details div dl dt fieldset hr li main "
                   "ol p pre section summary table tbody td tfoot th thead tr ul caption br h1 h2 h3 h4 h5 h6 "
                   "html".split())
# Elements never read: not text, or page chrome wherever it sits.
_SKIP = frozenset("script style noscript template iframe svg select textarea object embed head nav aside form "
                  "button menu footer figure figcaption input label dialog".split())
# Elements read as chrome unless they hold most of the page's prose (see _without_chrome); an article's
# own <header> gives its standfirst (see _standfirst). (<aside> and <form> stay skipped: on a page of
# little prose — a table of standings — a sidebar's teasers would pass for the story.)
_CHROME_TAGS = frozenset(("header",))
_HEADINGS = frozenset("h1 h2 h3 h4 h5 h6".split())
# Each tag's role in the walk, one dict lookup an element (any other tag is inline text: role 0).
_R_LINK, _R_CHROME, _R_SKIP, _R_BLOCK, _R_HEADING = 1, 2, 3, 4, 5  # from _R_BLOCK up: a block
_ROLES = {**dict.fromkeys(_BLOCK, _R_BLOCK), **dict.fromkeys(_HEADINGS, _R_HEADING), "a": _R_LINK,
          **dict.fromkeys(_CHROME_TAGS, _R_CHROME), **dict.fromkeys(_SKIP, _R_SKIP)}
# Class and id words the web's CMSes and themes use for what is not the story (readability's list).
_CHROME_NAME = re.compile(
    r"(?:^|[\s_-])(?:comments?|disqus|share|sharing|social|related|sidebar|widget|newsletter|subscribe|"
    r"promo|advert|ads?|banner|breadcrumbs?|cookie|consent|popup|modal|masthead|skip|pagination|pager|"
    r"recommend(?:ed|ations)?|outbrain|taboola|sponsor(?:ed)?|shopping|toolbar|teasers?|menu|navigation|"
    r"nav|caption|credits?|related-\w+)(?:$|[\s_-])", re.I)
_STORY_NAME = re.compile(r"article|body|content|main|story|post|entry", re.I)
_GOOD_NAME = re.compile(r"article|body|content|entry|main|post|story|text|blog|news", re.I)
_BAD_NAME = re.compile(r"comment|footer|footnote|masthead|media|meta|outbrain|promo|related|scroll|share|"
                       r"shoutbox|sidebar|skyscraper|sponsor|shopping|tags|tool|widget|teaser|more", re.I)
_MIN_PROSE = 25  # characters of a block that counts as prose
MIN_STORY = _MIN_STORY = 120  # characters of prose a story holds at the least (generic's other body stages too)
_TAIL_PROSE = 80  # characters of the paragraph a story ends with
_TAIL_KEPT = frozenset(("p", "li", "blockquote", "pre"))  # short lines after it that may still be the story's
_DECAY = (1, 2, 6, 9)
_CLIMB = 0.7  # the top holds less than this share of its parent's prose: the parent is the story
_CLIMB_LINKS = 0.25  # ... unless more than this share of the parent's text is links (a page of teasers)
_OUTSIDE_STORY = 400  # ... when the prose outside all chrome-named elements is less than this (no story there)
_CHROME_SHARE = 0.5  # a chrome-named element holding this share of the page's prose is the story's
_CLIMB_STEPS = 2  # branching ancestors above the top looked at for one that holds the rest of the story
_CONTAINERS = frozenset(("div", "section", "td", "article", "main"))  # a block's own element scores as its container


@dataclass(slots=True)
class Block:
    text: str
    owner: etree._Element  # the element whose text it is (the nearest block element)
    linked: int  # characters inside <a>
    heading: bool
    chrome: etree._Element | None = None  # the outermost ancestor whose class or id names chrome


def blocks(root: etree._Element, *, lazy_chrome: bool = False) -> tuple[list[Block], bool]:
    """The page's text blocks in reading order (see the module's docstring, step 1), and whether chrome was
    left unread.

    ``lazy_chrome``: the subtree of an outermost chrome-named element (not a <header>, holding no <h1> and in
    none: ``_lead`` looks for the title's block) is not read. Its blocks count only where the page holds
    little prose outside chrome (``_without_chrome``), which the caller tells from the blocks read (``_prose``)
    and then reads the page again in full. E.g. the related-stories cards inside an old table layout's story
    cell: 41% of that block's elements. Its start and end flush as when it is read: the blocks around it are
    the same."""
    out: list[Block] = []
    lazy_skipped = False
    frags: list[str] = []
    owners: list[etree._Element] = []
    linked = 0
    in_link = 0
    in_heading = 0
    chrome: list[etree._Element] = []  # the chrome-named elements the walk is in
    # Whitespace with no text before it in the block is not kept (clean_text would drop it: most of a page's
    # text nodes are the indentation between tags), only said to be there: its linked characters count and
    # the next block boundary flushes, as it did when it was kept (the same blocks, ~4× fewer flushes).
    pending = False

    def flush() -> None:
        nonlocal linked, pending
        if frags:
            text = clean_text("".join(frags))
            frags.clear()
            if text:
                out.append(Block(text, owners[-1], min(linked, len(text)), in_heading > 0,
                                 chrome[0] if chrome else None))
        linked = 0
        pending = False

    skipping = None  # the element whose subtree was skipped: its "end" comes next
    role_of = _ROLES.get
    walker = etree.iterwalk(root, events=("start", "end"))
    for event, el in walker:
        tag = el.tag
        if not isinstance(tag, str):  # a comment or processing instruction: only its tail is text
            if event == "end" and el.tail:
                tail = el.tail
                if frags or not tail.isspace():
                    frags.append(tail)
                else:
                    pending = True
                linked += len(tail) if in_link else 0
            continue
        role = role_of(tag, 0)
        if event == "start":
            if role == _R_SKIP:
                walker.skip_subtree()  # its "end" still comes: there, only its tail is read
                skipping = el
                continue
            if role == _R_CHROME or (tag != "body" and tag != "html" and _chrome_named(el)):
                if frags or pending:
                    flush()  # its text is a block of its own, dropped or kept as a whole (see story_blocks)
                if lazy_chrome and not chrome and not in_heading and role != _R_CHROME \
                        and next(el.iter("h1"), None) is None:
                    walker.skip_subtree()
                    skipping = el
                    lazy_skipped = True
                    continue
                chrome.append(el)
            if role >= _R_BLOCK:
                if frags or pending:
                    flush()
                owners.append(el)
                if role == _R_HEADING:
                    in_heading += 1
            elif role == _R_LINK:
                in_link += 1
            text = el.text
            if text:
                if frags or not text.isspace():
                    frags.append(text)
                else:
                    pending = True
                linked += len(text) if in_link else 0
        else:
            if el is skipping:
                skipping = None
            elif role >= _R_BLOCK:
                if frags or pending:
                    flush()
                owners.pop()
                if role == _R_HEADING:
                    in_heading -= 1
            elif role == _R_LINK:
                in_link -= 1
            if chrome and chrome[-1] is el:
                if frags or pending:
                    flush()
                chrome.pop()
            tail = el.tail
            if tail:  # the text after an element belongs to its parent's block
                if frags or not tail.isspace():
                    frags.append(tail)
                else:
                    pending = True
                linked += len(tail) if in_link else 0
    flush()
    return out, lazy_skipped


def _chrome_named(el: etree._Element) -> bool:
    """A class or id naming chrome and nothing of a story ("share-bar", not "article-body has-sidebar")."""
    # Asked of nearly every element: most have no class or id (a cut table page: 70% no attribute at all, 6% a
    # class or id), and one ``keys()`` costs less than the two ``get``s (each encodes its name and looks it up).
    names = el.keys()
    if not names:
        return False
    cls = el.get("class") if "class" in names else None
    ident = el.get("id") if "id" in names else None
    if not cls and not ident:
        return False
    chrome, story = _name_words(cls) if cls else _NO_WORDS
    if ident:
        chrome_id, story_id = _name_words(ident)
        chrome, story = chrome or chrome_id, story or story_id
    return chrome and not story and el.get("itemprop") != "articleBody"


_NO_WORDS = (False, False)
_WORDS: dict[str, tuple[bool, bool]] = {}


def _name_words(name: str) -> tuple[bool, bool]:
    """(names chrome, names a story) of one class or id value. Within one word of it the chrome word wins
    ("related-posts", "post-comments": a box of the page, not the post); in another word the story's does
    ("article-body has-sidebar": the story, on a page with a sidebar). A page repeats its class values on
    many elements (and a crawl meets a theme's on every page): each is searched once (cached, bounded)."""
    words = _WORDS.get(name)
    if words is None:
        if len(_WORDS) > 50_000:
            _WORDS.clear()
        chrome = story = False
        for word in name.split():
            if _CHROME_NAME.search(word) is not None:
                chrome = True
            elif _STORY_NAME.search(word) is not None:
                story = True
        words = _WORDS[name] = (chrome, story)
    return words


def story_blocks(root: etree._Element,
                 walked: tuple[etree._Element, list[Block], bool] | None = None) -> list[Block]:
    """The blocks of the page's story (see the module's docstring, steps 2 and 3); [] when none is found.
    ``walked``: (<body>, blocks, chrome left unread) as ``blocks(body, lazy_chrome=True)`` gives them, read by
    the page's walk (``walk.Page.blocks``); used where that <body> is the one read here."""
    body = root.find("body")
    body = body if body is not None else root
    every, lazy = walked[1:] if walked is not None and walked[0] is body else blocks(body, lazy_chrome=True)
    if lazy and _prose(every)[0] < _OUTSIDE_STORY:  # the chrome's blocks may be the story's: read them too
        every, _ = blocks(body)
    found = _without_chrome(every)
    if not found:
        return []
    scores: dict[etree._Element, float] = {}
    chars: dict[etree._Element, int] = {}
    link_chars: dict[etree._Element, int] = {}
    prose: dict[etree._Element, int] = {}  # characters of prose blocks under each element
    # Each block's owner and its ancestors, once per owner (lxml's getparent() is a method call a step).
    chains: dict[etree._Element, list[etree._Element]] = {}
    # A block's characters, linked characters and prose count in each element of its owner's chain; the sums
    # are ints, so they are summed per owner first and then added up its chain once: a cut table page's ~21
    # blocks share ~8 owners (its story's <td> holds ~9 of them), each ~5 levels deep — ~40 steps up a chain a
    # page, each adding into three dicts, where a block each was ~100 (median of the mirror's 150 timed pages).
    owned: dict[etree._Element, list[int]] = {}  # owner → [characters, linked characters, prose characters]
    # The (element, divisor) pairs a prose block's score goes to: the same for every block of one owner, as it
    # depends on the owner's chain alone (its container and the branching ancestors above), so found once an
    # owner. The scores themselves are floats, still added block by block in page order (the same sums).
    paths: dict[etree._Element, list[tuple[etree._Element, int]]] = {}
    for block in found:
        size = len(block.text)
        owner = block.owner
        linked = block.linked
        sums = owned.get(owner)
        if sums is None:
            sums = owned[owner] = [0, 0, 0]
            chains[owner] = [owner, *owner.iterancestors()]
        sums[0] += size
        sums[1] += linked
        if size < _MIN_PROSE or block.heading or linked > size / 2:
            continue
        sums[2] += size
        path = paths.get(owner)
        if path is None:
            path = paths[owner] = _score_path(chains[owner])
        if path:
            # (``min(size // 100, 3)`` without a builtin's call: once a prose block)
            score = 1 + block.text.count(",") + block.text.count("،") + (size // 100 if size < 300 else 3)
            for parent, decay in path:
                scores[parent] = scores.get(parent, 0.0) + score / decay
    for owner, (size, linked, prose_size) in owned.items():
        # every ancestor knows how much text, linked text and prose it holds
        for el in chains[owner]:
            chars[el] = chars.get(el, 0) + size
            link_chars[el] = link_chars.get(el, 0) + linked
            if prose_size:
                prose[el] = prose.get(el, 0) + prose_size
    if not scores:
        return []
    weighed = {el: score * (1 - link_chars[el] / chars[el]) * _name_weight(el) if chars.get(el) else 0.0
               for el, score in scores.items()}
    top = max(weighed, key=weighed.get)
    if weighed[top] <= 0:
        return []
    # A story cut into several containers (ads, embeds between its parts): the ancestor that holds much
    # more of the page's prose than the top does, with few links, is the story's block. It may sit a
    # level or two above the top's parent: wired.com's chunks are <div grid><div item><div body>… each,
    # the story's grid (with an ad rail beside it) a sibling of the next chunk's.
    ancestor, steps = top.getparent(), 0
    while ancestor is not None and ancestor.tag not in ("body", "html") and steps <= _CLIMB_STEPS:
        if prose.get(ancestor, 0) and prose.get(top, 0) < _CLIMB * prose[ancestor] \
                and link_chars[ancestor] < _CLIMB_LINKS * chars[ancestor]:
            top, steps = ancestor, 0
        elif len(ancestor) > 1:
            steps += 1
        ancestor = ancestor.getparent()
    # A chain of single-child wrappers around the top is one block: its siblings are the outer wrapper's.
    parent = top.getparent()
    while parent is not None and parent.tag not in ("body", "html") and len(parent) == 1 \
            and not (parent.text or "").strip():
        top, parent = parent, parent.getparent()
    parts = {top}
    if parent is not None:  # siblings that score close to the top: the story split in two containers
        threshold = max(10.0, weighed.get(top, 0.0) * 0.2)
        for sibling in parent:
            if sibling is not top and weighed.get(sibling, 0.0) >= threshold:
                parts.add(sibling)
    story = [block for block in found if not parts.isdisjoint(chains[block.owner]) and _keep(block)]
    # What follows the story's last paragraph in its container is its furniture ("War der Artikel
    # nützlich?", "Share this", a date): short lines after the last of prose go.
    # A short paragraph or list item beside the story's paragraphs (same parent) is still the story's
    # ("Begeisterung ist ansteckend", a closing line; the list of a blog post's last lines).
    last = max((n for n, block in enumerate(story) if len(block.text) >= _TAIL_PROSE and not block.heading),
               default=-1)
    if last >= 0:
        home = story[last].owner.getparent()
        while last + 1 < len(story) and story[last + 1].owner.tag in _TAIL_KEPT and not story[last + 1].heading \
                and _beside(story[last + 1].owner, home):
            last += 1
    story = story[:last + 1]
    if sum(len(block.text) for block in story if not block.heading) < _MIN_STORY:
        return []
    return _lead(every, found, story) + story


def _score_path(chain: list[etree._Element]) -> list[tuple[etree._Element, int]]:
    """The (element, divisor) pairs a prose block owned by ``chain[0]`` scores (``chain``: it and its ancestors).

    Its container full, the next ancestors less and less (1/2, 1/6, 1/9). A wrapper holding one element only is
    no level of its own: a story whose paragraphs each sit in a chain of wrappers (<div class=row><div><div><p>…
    once per paragraph, as React themes write them) adds up in full in the block around them all."""
    at = 0 if chain[0].tag in _CONTAINERS else 1  # the block's container: the owner itself or its parent
    path: list[tuple[etree._Element, int]] = []
    if at == len(chain):
        return path
    level = 0
    while level < len(_DECAY):
        parent = chain[at]
        path.append((parent, _DECAY[level]))
        if len(parent) > 1:
            level += 1
        at += 1
        if at == len(chain) or chain[at].tag in ("body", "html"):
            break
    return path


def _lead(every: list[Block], found: list[Block], story: list[Block]) -> list[Block]:
    """The paragraphs of prose between the page's <h1> and the story's first block: its lead, which many
    themes set apart from the body (vegolosi.it's <div class="sommario">, a <p class="lead"> in the
    article's header, radio.cz's "perex"). Only <p> of some length with few links: a byline, a date or a
    share bar between the title and the story is none."""
    at = {id(block): n for n, block in enumerate(every)}
    start = at[id(story[0])]
    title = next((n for n in range(start - 1, -1, -1) if every[n].heading and every[n].owner.tag == "h1"), -1)
    if title < 0:
        return []
    kept = {id(block) for block in found}
    return [block for block in every[title + 1:start]
            if id(block) in kept and block.owner.tag == "p" and len(block.text) >= _TAIL_PROSE
            and block.linked <= 0.1 * len(block.text)]


def _beside(el: etree._Element, home: etree._Element | None) -> bool:
    """``el`` sits in ``home`` itself or in a list of it (<ul><li> under the story's paragraphs' parent)."""
    parent = el.getparent()
    return parent is home or (parent is not None and parent.tag in ("ul", "ol") and parent.getparent() is home)


def _without_chrome(found: list[Block]) -> list[Block]:
    """The blocks less those of chrome-named elements — unless such an element holds most of the page's
    prose and the rest of the page holds no story (less than a few short paragraphs of prose): then its
    name was no guide and it is read like any other. (A short story beside a box of related stories
    with their summaries — the alhadath mirror's real-weight pages — keeps the box out.) Layout classes name chrome words
    about the story too: lapresse.tn's story sits in <div class="clearfix bdaia-sidebar-right">, an
    Elementor page's in <div class="elementor-widget-wrap"> (trafilatura reverts its own over-pruning so)."""
    outside, chrome_prose = _prose(found)
    total = outside + sum(chrome_prose.values())
    story_like = {el for el, size in chrome_prose.items() if size >= _CHROME_SHARE * total} \
        if outside < _OUTSIDE_STORY else set()
    return [block for block in found if block.chrome is None or block.chrome in story_like or _standfirst(block)]


def _prose(found: list[Block]) -> tuple[int, dict[etree._Element, int]]:
    """(characters of prose outside chrome, characters of prose in each outermost chrome element)."""
    outside = 0
    chrome_prose: dict[etree._Element, int] = {}
    for block in found:
        if len(block.text) >= _MIN_PROSE and not block.heading and block.linked <= len(block.text) / 2:
            if block.chrome is None:
                outside += len(block.text)
            else:
                chrome_prose[block.chrome] = chrome_prose.get(block.chrome, 0) + len(block.text)
    return outside, chrome_prose


def _standfirst(block: Block) -> bool:
    """A paragraph of prose in an article's own <header>: its standfirst (lastampa.it's "entry__subtitle").
    The page's <header> (logo, menus, a slogan) sits outside any article or main; the header's other lines
    (byline, date, share links) are no <p> of prose."""
    el = block.chrome
    if el is None or el.tag != "header" or block.owner.tag != "p" or len(block.text) < _MIN_PROSE \
            or block.linked > len(block.text) / 2:
        return False
    return any(ancestor.tag in ("article", "main") for ancestor in el.iterancestors())


def _name_weight(el: etree._Element) -> float:
    names = el.keys()  # (one call, then a ``get`` only for what is there: see ``_chrome_named``)
    if names:
        name = ((el.get("class") or "") if "class" in names else "") + " " \
            + ((el.get("id") or "") if "id" in names else "")
        itemprop = el.get("itemprop") if "itemprop" in names else None
    else:
        name, itemprop = " ", None
    weight = 1.0
    if el.tag in ("article", "main") or itemprop == "articleBody":
        weight *= 1.5
    if len(name) > 1:
        weight *= _NAME_WEIGHTS.get(name) or _name_words_weight(name)
    return weight


_NAME_WEIGHTS: dict[str, float] = {}  # "class id" → its words' weight: a theme's few values, on every page


def _name_words_weight(name: str) -> float:
    """The weight of a class and id's words (WordPress's "post-85 post type-post status-publish … hentry"
    searched by two regexes on every scored element of every page before; now once per value, bounded)."""
    weight = 1.0
    if _GOOD_NAME.search(name):
        weight *= 1.25
    if _BAD_NAME.search(name):
        weight *= 0.5
    if len(_NAME_WEIGHTS) > 50_000:
        _NAME_WEIGHTS.clear()
    _NAME_WEIGHTS[name] = weight
    return weight


def _keep(block: Block) -> bool:
    """Not a link list's line nor a lone link ("Mehr zum Thema", a teaser title)."""
    size = len(block.text)
    if block.linked >= size * 0.5:
        return False
    return not (block.owner.tag == "li" and block.linked > size * 0.3)
