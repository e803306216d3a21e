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
- every ``VERIFY_EVERY``-th page of the site runs both and compares: a difference drops the template
  (the full record is the answer) and it is learned again from the next pages; so do
  ``MISSES_BEFORE_RELEARN`` article pages in a row that the template did not fit (a new layout).

One template per site name and process; unknown sites always take the full chain. Records do not change:
the path is only adopted when it reproduced the full record, and is checked again every Nth page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from crawler.extract.walk import region_context

VERIFY_EVERY = 20  # every Nth page of a site with a template: both walks, compared
RELEARN_EVERY = 25  # after a failed learning, pages before the next attempt
MISSES_BEFORE_RELEARN = 5  # article pages in a row the template did not fit: learn the new layout
_STABLE_ATTRIBUTES = ("id", "class", "role", "itemprop", "width", "align", "valign")
_MAX_UP = 4  # parents of the lowest common ancestor tried as the block
_METADATA_TAGS = ("meta", "link", "time", "base", "script")  # what the walk reads outside the text


@dataclass
class _SiteState:
    path: str = ""
    xpath: etree.XPath | None = None
    pages: int = 0
    wait: int = 0  # pages left before learning is tried again
    fast: int = 0  # pages served by the template (for tests and profiles)
    verified: int = 0
    dropped: int = 0
    misses: int = 0  # pages in a row the template did not serve: the layout changed, learn again


Build = Callable[[etree._Element | None, tuple[int, int, int, int] | None], object]


class Templates:
    """The template of each site seen in this process; ``extract`` runs one page through it."""

    def __init__(self) -> None:
        self.sites: dict[str, _SiteState] = {}

    def extract(self, site_name: str, root: etree._Element, build: Build, record_of: Callable[[object], dict]):
        """``build(region, context)`` extracts the page — the whole page when ``region`` is None."""
        state = self.sites.setdefault(site_name, _SiteState())
        state.pages += 1
        if state.xpath is not None:
            region = _region(root, state.xpath)
            fast = build(*region) if region is not None else None
            if fast is not None:
                state.misses = 0
                if state.pages % VERIFY_EVERY:
                    state.fast += 1
                    return fast
                full = build(None, None)
                if full is not None and record_of(fast) == record_of(full):
                    state.verified += 1
                else:
                    _drop(state)
                    state.dropped += 1
                return full
            full = build(None, None)
            if full is None:  # no article (a soft 404): says nothing of the template
                return full
            state.misses += 1
            if state.misses < MISSES_BEFORE_RELEARN:
                return full
            _drop(state)
        else:
            full = build(None, None)
        if full is not None:
            if state.wait > 0:
                state.wait -= 1
            else:
                try:
                    self._learn(state, root, build, record_of(full), record_of)
                except (ValueError, etree.LxmlError):  # markup no path can name: the whole walk it is
                    state.wait = RELEARN_EVERY
        return full

    def _learn(self, state: _SiteState, root, build: Build, record: dict, record_of) -> None:
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
                fast = build(*region)
                if fast is not None and record_of(fast) == record:
                    state.path, state.xpath = path, xpath
                    return
            block = block.getparent()
        state.wait = RELEARN_EVERY


def _drop(state: _SiteState) -> None:
    state.path, state.xpath, state.wait, state.misses = "", None, 0, 0


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
                             if (value := el.get(name)) is not None and len(value) <= 60)
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


TEMPLATES = Templates()
