"""Titles of pages of unknown sites: ``<h1>``, ``og:title``, JSON-LD ``headline`` and ``<title>``, entities
fully unescaped and the site name / section affixes removed (``… - Outlet``, ``Outlet | Section | …``)."""

from __future__ import annotations

import re

from crawler.extract.cleaning import unescape
from crawler.extract.walk import fold
from crawler.text import clean_text

_SEPARATORS = re.compile(r"\s+[|\-–—:·»/•]\s+|\s+::\s+")


def strip_affixes(title: str, names: list[str], anchors: list[str]) -> str:
    """``title`` without the site name / section segments around it.

    ``names``: the outlet's names (og:site_name, the host's label); ``anchors``: other readings of the title
    (<h1>, og:title): a segment equal to one of them is the title itself. E.g. "Outlet - PRESS RELEASES -
    Press release - Talks resume" with og:site_name "Outlet" and an <h1> "Talks resume" → "Talks resume".
    """
    parts = _SEPARATORS.split(title)
    if len(parts) < 2:
        return title
    folded_anchors = {fold(a).casefold() for a in anchors if a}
    for part in parts:
        if fold(part).casefold() in folded_anchors:
            return part.strip()
    folded_names = {fold(n).casefold() for n in names if n}
    if not folded_names:
        return title
    # Drop outer segments that name the outlet; keep the inner rest whole (a title may hold " - " itself).
    start, end = 0, len(parts)
    while start < end - 1 and _is_name(parts[start], folded_names):
        start += 1
    while end - 1 > start and _is_name(parts[end - 1], folded_names):
        end -= 1
    if (start, end) == (0, len(parts)):
        return title
    # Breadcrumb titles go on from the outlet to sections to the story: "Outlet - PRESS RELEASES - Press
    # release - Talks resume". Short segments (one or two words) next to the removed outlet are sections.
    if start > 0:
        while start < end - 1 and len(parts[start].split()) <= 2 and len(parts[end - 1].split()) >= 3:
            start += 1
    elif end < len(parts):
        while end - 1 > start and len(parts[end - 1].split()) <= 2 and len(parts[start].split()) >= 3:
            end -= 1
    # Rejoin the kept segments with their own separators.
    spans, pos = [], 0
    for match in _SEPARATORS.finditer(title):
        spans.append((pos, match.start()))
        pos = match.end()
    spans.append((pos, len(title)))
    return title[spans[start][0]: spans[end - 1][1]].strip()


def without_outer_affix(title: str) -> list[tuple[str, str]]:
    """(rest, affix): ``title`` less one short outer segment (a site name we could not know), longest rest first.

    <title> often prefixes or suffixes the outlet's name, and an unknown host's name need not be its domain's
    or in its metadata: "الحدث - رفض التقرير …" under news.example.invalid (no og:site_name). The caller keeps
    a reading only where the page prints it as a line of its own (the headline), so "Vanlife in Schweden -
    Skandinavien im Wohnmobil" stays whole on a page that prints it whole. A removed segment is a name: at
    most four words and shorter than the rest.
    """
    out = []
    for match in _SEPARATORS.finditer(title):
        head, tail = title[:match.start()].strip(), title[match.end():].strip()
        for affix, rest in ((head, tail), (tail, head)):
            if rest and affix and len(affix.split()) <= 4 and len(affix) < len(rest):
                out.append((rest, affix))
    return sorted(dict.fromkeys(out), key=lambda pair: len(pair[0]), reverse=True)


def _is_name(segment: str, folded_names: set[str]) -> bool:
    segment = fold(segment).casefold().strip()
    return any(segment == name or (len(name) >= 4 and name in segment and len(segment) <= len(name) + 12)
               or (len(name) >= 5 and segment.startswith(name) and len(segment.split()) <= 5)
               for name in folded_names)


def host_label(url: str) -> str:
    """``golem`` of ``https://www.golem.de/…``: outlets name themselves after their domain."""
    host = url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0].lower()
    labels = [label for label in host.split(".") if label not in ("www", "m", "amp", "news")]
    return labels[-2] if len(labels) >= 2 else (labels[0] if labels else "")


def choose_title(h1: str, ld_headline: str, og_title: str, title_tag: str, names: list[str]) -> tuple[str, str]:
    """(stage, title): the <h1> when the metadata agrees with it, else the cleanest metadata title.

    <h1> is what the reader sees, but a page may have several or a logo in one: trust it when og:title,
    the JSON-LD headline or <title> names it; otherwise og:title / headline without affixes, then <title>.
    """
    h1, ld_headline, og_title, title_tag = (clean_text(unescape(t or "")) for t in (h1, ld_headline, og_title,
                                                                                   title_tag))
    folded_names = {fold(n).casefold() for n in names if n}
    first_h1 = h1
    if h1 and folded_names and _is_name(h1, folded_names):
        h1 = ""  # a logo heading (<h1>Security Blog</h1>) names the outlet, not the story
    anchors = [t for t in (h1, ld_headline, og_title) if t]
    meta = [(stage, strip_affixes(text, names, [a for a in anchors if a != text]))
            for stage, text in (("jsonld", ld_headline), ("meta", og_title), ("title", title_tag)) if text]
    if h1 and len(h1) >= 4:
        folded = fold(h1).casefold()
        for _, text in meta:
            if fold(text).casefold() == folded or folded in fold(text).casefold():
                return "layout", h1
    for stage, text in meta:
        if text and (not names or not _is_name(text, {fold(n).casefold() for n in names if n})):
            return stage, text
    if first_h1:  # all the page offers (e.g. "15 Jahre rete-mirabile" on rete-mirabile.net)
        return "layout", first_h1
    return next(((stage, text) for stage, text in meta if text), ("", ""))
