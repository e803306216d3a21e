"""Authors of pages of unknown sites: JSON-LD ``author`` (persons, not the outlet), ``meta name=author``,
``rel=author`` and CMS byline elements, a byline line ("By …", "Von …", "بقلم …", "كتب …")."""

from __future__ import annotations

import re

from lxml import etree

from crawler.extract.cleaning import unescape
from crawler.extract.walk import Line, fold
from crawler.text import clean_text

# Words that sit next to a byline but name nobody (labels, buttons, teasers).
_NOT_NAMES = re.compile(
    r"^(?:trending|newsletter|anzeige|stand|updated?|aktualisiert|von|by|par|por|door|redaktion|editorial|"
    r"staff|admin|administrator|author|autor|autorin|foto|photo|quelle|source|mehr|more|share|teilen|"
    r"follow|folgen|kommentare?|comments?|home|news|startseite|\d.*)$", re.I)
_BYLINE = re.compile(
    r"^(?:by|von|par|por|door|di|av|af|autor(?:in)?:?|author:?|text:?|written by|بقلم|كتب[ت]?|إعداد|اعداد)\s*:?\s+(.{3,80})$",
    re.I)
_NAME_SPLIT = re.compile(r"\s*(?:,|;|&|،|/|\|)\s*|\s+(?:and|und|et|y|e|og|och|en|und|و)\s+")
_NAME_WORD = re.compile(r"^[^\W\d_][\w'’.\-]*$")


def _clean_name(name: str) -> str:
    name = clean_text(unescape(name)).strip(" -–—|:,;·•")
    name = re.sub(r"^(?:by|von|par|por|door|بقلم|كتب)\s*:?\s+", "", name, flags=re.I)
    # "Anne-Marie Slaughter, Washington" → the person; a trailing role or date in parentheses goes too.
    name = re.sub(r"\s*\(.*?\)\s*$", "", name).strip()
    return name


def person_names(raw: list[str], own: set[str]) -> list[str]:
    """Person names out of author strings: split on ``, ; & and``, stray words and the outlet dropped.

    Hyphenated names stay whole ("Anne-Marie Slaughter"): only separators that join people split.
    A site's pages repeat their bylines and outlet names ("صدى-فرانس برس" on every agency story): each
    (strings, outlet names) is read once (cached, bounded; a copy of the list is returned).
    """
    if not all(isinstance(text, str) for text in raw):
        return _person_names(raw, own)
    key = (tuple(raw), frozenset(own))
    found = _PERSON_NAMES.get(key)
    if found is None:
        if len(_PERSON_NAMES) >= 4096:
            _PERSON_NAMES.clear()
        found = _PERSON_NAMES[key] = _person_names(raw, own)
    return list(found)


_PERSON_NAMES: dict[tuple[tuple[str, ...], frozenset[str]], list[str]] = {}


def _person_names(raw: list[str], own: set[str]) -> list[str]:
    out: list[str] = []
    for text in raw:
        if "://" in text or "@" in text or text.startswith("www."):
            continue  # a profile link or an e-mail address, not a name
        for part in _NAME_SPLIT.split(clean_text(unescape(text))):
            name = _clean_name(part)
            words = name.split()
            if not words or len(words) > 5 or len(name) > 60 or "@" in name or "http" in name.lower():
                continue
            if _NOT_NAMES.match(name) or not all(_NAME_WORD.match(w) for w in words):
                continue
            if fold(name).casefold() in own or any(o and len(o) >= 4 and o in fold(name).casefold() for o in own):
                continue
            if name not in out:
                out.append(name)
    return out


def ld_persons(value, by_id=None) -> tuple[list[str], bool]:
    """Names of the JSON-LD ``author`` value's persons; (names, whether it named any author at all).

    ``by_id``: a callable giving the page's JSON-LD nodes by ``@id``, for authors given by reference only.
    """
    items = value if isinstance(value, list) else [value]
    names, any_author = [], False
    for item in items:
        if isinstance(item, dict) and set(item) <= {"@id", "@type"} and isinstance(item.get("@id"), str) and by_id:
            item = by_id().get(item["@id"], item)
        if isinstance(item, str):
            any_author = True
            names.append(item)
        elif isinstance(item, dict):
            any_author = True
            kind = item.get("@type")
            kinds = kind if isinstance(kind, list) else [kind]
            if "Person" not in kinds and any(k in ("Organization", "NewsMediaOrganization", "Corporation",
                                                   "WebSite") for k in kinds):
                continue
            name = item.get("name")
            if isinstance(name, list):
                name = " ".join(n for n in name if isinstance(n, str))
            if isinstance(name, str):
                names.append(name)
            elif isinstance(item.get("givenName"), str):
                names.append(f"{item.get('givenName')} {item.get('familyName') or ''}")
    return names, any_author


def byline_names(lines: list[Line], title_index: int, body_start: int) -> list[str]:
    """A "By …" / "Von …" / "بقلم …" line near the title."""
    if title_index < 0:
        return []
    end = min(len(lines), max(body_start, title_index + 1) + 3, title_index + 15)
    for index in range(max(0, title_index - 2), end):
        line = lines[index]
        if not line.text or line.chrome or len(line.text) > 100:
            continue
        match = _BYLINE.match(line.text)
        if match:
            return [match.group(1)]
    return []


# Where pages print the byline outside metadata: schema.org microdata and the class names the web's CMSes
# share (WordPress "author vcard", "byline", "autor", "auteur"); e.g. <span class="author vcard"><a>Andreas
# Kalt</a></span>. Comment authors are not the article's.


def markup_authors(root) -> list[str]:
    """Names in CMS byline elements: itemprop/rel "author", or a class or id naming the author or byline
    (outside asides, menus, footers and comments)."""
    out = []
    found = 0
    # The four attributes' values (in document order: an element's own before its descendants') by one XPath
    # in C, their elements only where one names an author: a Python pass over every element asking each for
    # four attributes cost ~1.5 µs an element (0.05 ms a cut wordpress page), an XPath with EXSLT's re:test
    # calls back into Python on every element anyway (4 ms a page), and one with many contains() as much.
    classes = _CLASSES
    last = None
    for value in _AUTHOR_ATTRIBUTES(root):
        name = value.attrname
        if name == "class":
            named = classes.get(value)
            if named is None:
                if len(classes) > 50_000:
                    classes.clear()
                named = classes[str(value)] = _AUTHOR_CLASS.search(value) is not None
        elif name == "id":
            named = _AUTHOR_ID.match(value) is not None
        else:
            named = value == "author"  # itemprop or rel
        if not named:
            continue
        el = value.getparent()
        if el is last:  # (its class and its id both name it)
            continue
        last = el
        if any(a.tag in ("aside", "nav", "footer") or _COMMENT.search(a.get("class") or "")
               for a in el.iterancestors()):
            continue
        # (What ``.//*[@itemprop='name']`` selects first: an XPath call costs ~9 µs even compiled, this loop ~1 µs.)
        named = next((d for d in el.iterdescendants("*") if d.get("itemprop") == "name"), None)
        text = clean_text(" ".join((el if named is None else named).itertext()))
        if text and len(text) <= 80:
            out.append(text)
        found += 1
        if found == 12:
            break
    return out


# (``descendant-or-self::*/@class`` selects what ``.//@class`` does — only elements have attributes — at ~3/4 of
# its cost: libxml2 steps through elements only, not every text node, for each of the four.)
_AUTHOR_ATTRIBUTES = etree.XPath("descendant-or-self::*/@class | descendant-or-self::*/@id"
                                 " | descendant-or-self::*/@itemprop | descendant-or-self::*/@rel")
_CLASSES: dict[str, bool] = {}  # class attribute → _AUTHOR_CLASS finds a word in it (a theme's few, on every page)
_AUTHOR_CLASS = re.compile(r"(^|[ _-])(author|byline|autor|auteur|autore|writer|reporter)([ _-]|s?$)", re.I)
_AUTHOR_ID = re.compile(r"^(author|byline)", re.I)
_COMMENT = re.compile("comment", re.I)

