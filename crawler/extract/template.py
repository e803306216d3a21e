"""A per-site template: walk only the block that holds the story, once the site's layout is known.

Most of a real page is chrome (menus, boxes, footers, scripts): walking all of it into lines costs about
as much as parsing it. After a full extraction, the block that held the title, the timestamp and the
first and last paragraphs is located — their lowest common ancestor, or a parent of it — and kept as a
path of stable steps (tag, class, id, width…, e.g. ``body/div[@class='container']/main[@class='content']``)
once a walk of that block alone gives *exactly* the full record. Later pages of the site walk only that
block (plus their <head>), while:

- the path matches exactly one element that the whole walk would enter as a plain block, and no
  metadata sits outside it (body <meta>/<link>/<time>, JSON-LD);
- the block gives a record at all (else the full chain runs);
- every ``VERIFY_EVERY``-th page of the site runs both and compares (a check): a difference drops the
  template (the full record is the answer) and it is learned again from the next pages; so do
  ``MISSES_BEFORE_RELEARN`` article pages in a row that the template did not fit (a new layout). Once a
  template has passed ``SETTLED_AFTER`` checks in a row (200 pages), only every ``VERIFY_SETTLED_EVERY``-th
  page is a check; a page the template did not fit puts it back to every ``VERIFY_EVERY``-th (see
  ``_verify``).

Further, when the page's bytes allow it, the page is not even parsed whole: ``crawler.extract.cut``
parses its head and that block's bytes alone (learned with the path, checked on the raw bytes per page,
and compared with the full record on the same every-Nth pages).

One template per site and Extractor (crawler.extract.extractor), keyed by the site's name, or for a page
of a site with no site file by its host ("//news.example"): there it is learned from the generic chain's
answers only after the host's third page (``learn_after``; a site seen once or twice pays nothing) and
runs beside the full chain on its first pages (``trial``) before it serves. Records do not change: the path
is only adopted when it reproduced the full record, and is checked again every Nth page. An element id
with a number (``post-9``) is no step of a path: it names one article, not the layout.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from crawler.extract.cut import Cut, lean_page
from crawler.extract.decode import parse_utf8
from crawler.extract.cut import learn as learn_cut
from crawler.extract.walk import region_context

VERIFY_EVERY = 20  # every Nth page of a site with a young template: both walks, compared
VERIFY_SETTLED_EVERY = 40  # every Nth page once the template has passed SETTLED_AFTER checks in a row
# Checks passed in a row before a template is settled: 10 checks are 200 pages of the site read both ways with
# the same record each time; a check costs ~4 pages' work on real-weight pages (three builds and the whole parse:
# 22.7 M instructions against 5.55 M for a cut page, bench/results.md, reparse10), so a settled template's checks
# cost half (~18% of a site-file page's extraction at every 20th page, ~10% at every 40th; 11% over 930 pages).
# Every 40th is the most the product owner allows: a changed layout the template still fits is caught within 40 pages.
SETTLED_AFTER = 10
RELEARN_EVERY = 25  # after a failed learning, pages before the next attempt
MISSES_BEFORE_RELEARN = 5  # article pages in a row the template did not fit: learn the new layout
_STABLE_ATTRIBUTES = ("id", "class", "role", "itemprop", "width", "align", "valign")
# An id with a number names one article, not the layout (WordPress's <article id="post-9">): not a step.
_NUMBERED = re.compile(r"\d")
MAX_SITES = 512  # sites (hosts) whose state an Extractor keeps
_MAX_UP = 4  # parents of the lowest common ancestor tried as the block
_METADATA_TAGS = ("meta", "link", "time", "base", "script")  # what the walk reads outside the text


@dataclass
class _SiteState:
    path: str = ""
    xpath: etree.XPath | None = None
    cut: Cut | None = None  # the block's bytes alone parsed (crawler.extract.cut), learned with the path
    pages: int = 0
    wait: int = 0  # pages left before learning is tried again
    fast: int = 0  # pages served by the template (for tests and profiles)
    cuts: int = 0  # of which served by parsing the cut bytes alone
    cut_wait: int = 0  # pages left before learning the cut is tried again
    verified: int = 0
    dropped: int = 0
    misses: int = 0  # pages in a row the template did not serve: the layout changed, learn again
    trial: int = 0  # pages left on which a new template runs beside the full chain before it serves
    # Every-Nth-page checks (not a trial's) the template and its cut passed in a row: SETTLED_AFTER back them off.
    passed: int = 0
    # The cut whose bytes the tree being built was parsed from (``Cut.outside`` tells what it left out).
    parsed: Cut | None = None
    # How the page being read parses bytes cut from its ``source`` (``Cut.parse``; ``cut.cut_parser``).
    parse_cut: Callable[[bytes], etree._Element | None] = parse_utf8
    # Pages in a row on which the full chain found a title but no story (see ``Templates.storyless``).
    no_story: int = 0
    storyless_served: int = 0  # pages read without the expensive fallbacks (for tests and profiles)
    lean: int = 0  # pages of a storyless site parsed without their scripts' text (``cut.lean_page``)


# Pages in a row with a title and no story before a host is read as storyless (``Templates.storyless``).
NO_STORY_AFTER = 5

Context = tuple[int, int, int, int]
Build = Callable[[etree._Element, etree._Element | None, Context | None], object]


class Templates:
    """The template of each site seen in this process; ``extract`` runs one page through it."""

    def __init__(self) -> None:
        self.sites: dict[str, _SiteState] = {}
        self.served = 0  # pages a template read, all sites (``crawler.extract.work``: the crawl's stats)

    def extract(self, site_name: str, parse_whole: Callable[[], etree._Element | None], build: Build,
                record_of: Callable[[object], dict], source: bytes | None = None, selectors: list[str] = (),
                learn_after: int = 1, trial: int = 0, settled: Callable[[], bool] | None = None,
                parse_cut: Callable[[bytes], etree._Element | None] = parse_utf8):
        """One page's extraction. ``parse_whole()``: the page's tree (None: nothing to parse);
        ``build(root, region, context)`` extracts it — the whole page when ``region`` is None;
        ``source``: the bytes ``parse_whole`` parses when they are parsed as they are, or the bytes of a page
        in a charset ``parse_cut`` reads bytes cut from them in (``cut.cut_parser``; else None: no cut);
        ``selectors``: the site's CSS selectors (a cut needs them to be bare tag names);
        ``learn_after``: the site's pages read whole before a template is learned; ``trial``: the pages a
        newly learned template runs beside the full chain (the full record the answer) before it serves;
        ``settled()``: after a ``build`` that gave None, whether None is the page's answer (a title and no story by
        the stages that ran, none of which needed the whole page): a storyless site's pages are then parsed
        without their scripts' text (``cut.lean_page``)."""
        state = self.sites.get(site_name)
        if state is None:
            if len(self.sites) >= MAX_SITES:  # many hosts seen once (a reparse of mixed pages): forget the oldest
                del self.sites[next(iter(self.sites))]
            state = self.sites[site_name] = _SiteState(wait=learn_after - 1)
        state.parse_cut = parse_cut
        try:
            return self._extract(state, parse_whole, build, record_of, source, selectors, trial, settled)
        finally:  # the page's bytes are not kept past its extraction (up to MAX_SITES cuts would hold one each)
            if state.parsed is not None:
                state.parsed.last.clear()
            state.parsed = None
            state.parse_cut = parse_utf8

    def storyless(self, site_name: str) -> bool:
        """Whether the next page of ``site_name`` may skip the expensive last fallbacks of its story.

        A site whose pages hold a title but no story the chain can read — the story only in a script's
        JSON state, written by JavaScript (the mirror's broken markup) — sends every page through every
        fallback (trafilatura reads the whole page again: 5 ms a page, 35× an lxml parse). After
        ``NO_STORY_AFTER`` such pages in a row the site is storyless: its pages run the cheap stages only
        (a story they find is the full chain's answer too, as the fallbacks run only where they find none),
        and every ``VERIFY_EVERY``-th page runs the full chain as a check. A page with a story — on a check
        or by the cheap stages — ends it; ``NO_STORY_AFTER`` pages in a row learn it again. The records are
        the full chain's but on a non-check page whose story only a skipped fallback would find."""
        state = self.sites.get(site_name)
        return state is not None and state.no_story >= NO_STORY_AFTER and (state.pages + 1) % VERIFY_EVERY != 0

    def story_seen(self, site_name: str, story: bool | None, skipped: bool) -> None:
        """After a page of ``site_name``: ``story`` True (a record), False (a title but no story), None (no
        article for another reason: a soft 404, no title — nothing said of the story); ``skipped``: the
        expensive fallbacks were not run (``storyless``)."""
        state = self.sites.get(site_name)
        if state is None or story is None:
            return
        learned = state.no_story >= NO_STORY_AFTER
        if story:
            if learned:
                state.dropped += 1
            state.no_story = 0
        elif skipped:
            state.storyless_served += 1
        else:
            if learned:
                state.verified += 1
            state.no_story += 1

    def _extract(self, state: _SiteState, parse_whole, build: Build, record_of, source: bytes | None, selectors,
                 trial: int, settled: Callable[[], bool] | None = None):
        state.pages += 1
        verify = _verify(state)
        cut = state.cut.parse(source, state.parse_cut) if state.cut is not None and source is not None else None
        state.parsed = state.cut
        if cut is not None and not verify:
            fast = build(*cut)
            if fast is not None:
                state.fast += 1
                self.served += 1
                state.cuts += 1
                state.misses = 0
                return fast
            cut = None  # no record from the block alone: the whole page decides
        if cut is None and not verify and settled is not None and source is not None \
                and state.no_story >= NO_STORY_AFTER:
            # A storyless site's page (``storyless``): the cheap stages it is read by read no script's text but
            # JSON-LD's, so it is parsed without (``cut.lean_page``); a page they find a story in is that story's
            # record, one a stage would read whole of (``build`` gives None, not ``settled``) is parsed whole.
            lean = lean_page(source)
            if lean is not None:
                fast = build(lean, None, None)
                if fast is not None or settled():
                    state.lean += 1
                    return fast
        root = parse_whole()
        if root is None:
            return None
        if state.xpath is not None:
            region = _region(root, state.xpath)
            fast = build(root, *region) if region is not None else None
            if fast is not None:
                state.misses = 0
                if not verify:
                    state.fast += 1
                    self.served += 1
                    if state.cut is None and source is not None:
                        self._learn_cut_later(state, root, region, build, fast, record_of, source, selectors)
                    return fast
                full = build(root, None, None)
                # No record from the cut bytes is no disagreement: such a page is parsed whole (above). The cut is
                # built only where the region agreed (else the template is dropped whatever it gives), but for a
                # page with no full record, whose outcome a build may still tell (``Extractor._by_host``'s story).
                agreed = full is not None and record_of(fast) == record_of(full)
                by_cut = build(*cut) if cut is not None and (agreed or full is None) else fast
                if agreed and (by_cut is None or record_of(by_cut) == record_of(full)):
                    state.verified += 1
                    if state.trial > 0:  # a trial's checks are pages in a row: no run of the site's pages over time
                        state.trial -= 1
                    else:
                        state.passed += 1
                else:
                    _drop(state)
                    state.dropped += 1
                return full
            full = build(root, None, None)
            if full is None:  # no article (a soft 404): says nothing of the template
                return full
            state.misses += 1
            state.passed = 0  # a page the template did not fit: the layout may be changing, check every 20th again
            if state.misses < MISSES_BEFORE_RELEARN:
                return full
            _drop(state)
        else:
            full = build(root, None, None)
        if full is not None:
            if state.wait > 0:
                state.wait -= 1
            else:
                try:
                    self._learn(state, root, build, record_of(full), record_of, source, list(selectors))
                    state.trial = trial if state.xpath is not None else 0
                except (ValueError, etree.LxmlError):  # markup no path can name: the whole walk it is
                    state.wait = RELEARN_EVERY
        return full

    def _learn_cut_later(self, state: _SiteState, root, region, build: Build, fast, record_of, source: bytes,
                         selectors) -> None:
        """A template learned on a page that could not be cut (another charset): its cut, from a later page."""
        if state.cut_wait > 0:
            state.cut_wait -= 1
            return
        state.cut = _learn_cut(state, source, root, region[0], region[1], list(selectors), build, record_of(fast),
                               record_of)
        if state.cut is None:
            state.cut_wait = RELEARN_EVERY
        else:  # a new cut is young: checked every VERIFY_EVERY-th page until it has passed SETTLED_AFTER checks
            state.passed = 0

    def _learn(self, state: _SiteState, root, build: Build, record: dict, record_of, source: bytes | None,
               selectors: list[str]) -> None:
        block = _story_block(root, record)
        for _ in range(_MAX_UP + 1):
            if block is None or block.tag in ("html", "body"):
                break
            path = _path(block)
            try:
                xpath = etree.XPath(path) if path else None
            except etree.XPathError:  # an odd tag or attribute value: no template from this block
                xpath = None
            region = _region(root, xpath) if xpath is not None else None
            if region is not None and region[0] is block:
                fast = build(root, *region)
                if fast is not None and record_of(fast) == record:
                    state.path, state.xpath, state.passed = path, xpath, 0
                    state.cut = _learn_cut(state, source, root, block, region[1], selectors, build, record,
                                           record_of)
                    return
            block = block.getparent()
        state.wait = RELEARN_EVERY


def _learn_cut(state: _SiteState, source, root, block, context, selectors, build: Build, record: dict,
               record_of) -> Cut | None:
    """The block's cut, kept only when parsing the cut bytes alone gives this page's full record.

    A start tag with a number in it is likely the article's own (WordPress's ``<article id="post-9"
    class="post-9 … category-sport">``) and would name no other page: the nearest ancestor (up to
    ``_MAX_UP``) whose start tag has none is tried first, then the block itself."""
    candidates = [block, *list(block.iterancestors())[:_MAX_UP]]
    learned = []
    for el in candidates:
        if el.tag in ("html", "body"):
            break
        el_context = context if el is block else region_context(el)
        cut = learn_cut(source, root, el, el_context, selectors) if el_context is not None else None
        if cut is not None:
            learned.append(cut)
    learned.sort(key=lambda cut: bool(_NUMBERED.search(cut.open_tag.decode("utf-8", "replace"))))
    for cut in learned[:2]:
        parts = cut.parse(source, state.parse_cut)
        state.parsed = cut
        fast = build(*parts) if parts is not None else None
        if fast is not None and record_of(fast) == record:
            return cut
    return None


def _verify(state: _SiteState) -> bool:
    """Whether this page (``state.pages``) is a check: a trial page, or every ``VERIFY_EVERY``-th page while the
    template is young (fewer than ``SETTLED_AFTER`` checks passed in a row since it or its cut was learned, or since
    a page it did not fit; a trial's checks, on the pages right after learning, do not count), else every
    ``VERIFY_SETTLED_EVERY``-th. E.g. a template learned at page 3 is checked at pages 20, 40, …, 200 (10 passed),
    then 240, 280, …; a page it misses at 250 brings 260 and 280, 300, … back to every 20th. The pages are counted
    per site from its first, so a settled site's check falls on a multiple of 40 (within 40 pages of its last).

    What the back-off changes: a page that was a check (a multiple of 20, not of 40) is now read by the template,
    so its record is the template's, not the full chain's; the two differ only where that check would have
    disagreed (and dropped the template). The mirror snapshot has one such page of 1,764: a host with no site
    file, page 220 (default markup, real weight, id 74), where the full chain also read a sidebar's 11 headlines
    and times as paragraphs and the template the story's 3; the check at 240 agreed."""
    if state.trial > 0:
        return True
    every = VERIFY_SETTLED_EVERY if state.passed >= SETTLED_AFTER else VERIFY_EVERY
    return state.pages % every == 0


def _drop(state: _SiteState) -> None:
    state.path, state.xpath, state.cut, state.wait, state.cut_wait, state.misses = "", None, None, 0, 0, 0
    state.passed = 0


def _region(root: etree._Element, xpath: etree.XPath) -> tuple[etree._Element, tuple[int, int, int, int]] | None:
    """The one block the path names, walkable alone, with no page metadata outside it; else None."""
    found = xpath(root)
    if len(found) != 1:
        return None
    block = found[0]
    context = region_context(block)
    if context is None:
        return None
    body = root.find("body")
    for el in body.iter(_METADATA_TAGS) if body is not None else ():
        if (el.tag != "script" or "json" in (el.get("type") or "")) and not _inside(el, block):
            return None
    return block, context


def _inside(el: etree._Element, block: etree._Element) -> bool:
    return any(ancestor is block for ancestor in el.iterancestors())


_TEXT_IN_BODY = etree.XPath("//body//text()[contains(., $needle)][not(ancestor::script)][not(ancestor::style)]"
                            "[not(ancestor::title)]")


def _story_block(root: etree._Element, record: dict) -> etree._Element | None:
    """The lowest common ancestor of the first text nodes holding the title, the printed time and the
    first and last paragraphs (their first 40 characters)."""
    needles = [record.get("title") or "", record.get("published_raw") or ""]
    paragraphs = record.get("paragraphs") or []
    if paragraphs:
        needles += [paragraphs[0][:40], paragraphs[-1][:40]]
    chains = []
    for needle in filter(None, needles):
        try:
            found = _TEXT_IN_BODY(root, needle=needle)
        except (ValueError, etree.XPathError):  # a control character in the text: no XPath string
            continue
        if not found:
            continue
        node = found[0]
        el = node.getparent()
        if getattr(node, "is_tail", False):
            el = el.getparent()
        if el is None:
            continue
        chain = [el, *el.iterancestors()]
        chain.reverse()
        chains.append(chain)
    if len(chains) < 2:
        return None
    common = None
    for level in zip(*chains):
        if all(el is level[0] for el in level):
            common = level[0]
        else:
            break
    return common


def _path(block: etree._Element) -> str:
    """An absolute path of stable steps to ``block``: tag, stable attributes, and a position among the
    siblings matching the same step only where the step alone is ambiguous."""
    steps = []
    el = block
    while el is not None:
        parent = el.getparent()
        if not isinstance(el.tag, str):
            return ""
        predicates = "".join(f"[@{name}={_quote(value)}]" for name in _STABLE_ATTRIBUTES
                             if (value := el.get(name)) is not None and len(value) <= 60
                             and not (name == "id" and _NUMBERED.search(value)))
        step = el.tag + predicates
        if parent is not None:
            same = parent.xpath(f"./{step}")
            if len(same) > 1:
                step += f"[{next(n for n, other in enumerate(same, 1) if other is el)}]"
        steps.append(step)
        el = parent
    steps.reverse()
    return "/" + "/".join(steps)


def _quote(value: str) -> str:
    if "'" not in value:
        return f"'{value}'"
    if '"' not in value:
        return f'"{value}"'
    return "concat(" + ", \"'\", ".join(f"'{part}'" for part in value.split("'")) + ")"
