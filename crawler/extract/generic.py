"""The generic chains: title, date and authors of pages of sites we have no module for.

Ordered cheap first, each stage a fallback for the one before (htmldate's and trafilatura's way):

- dates:   metadata (JSON-LD, ``article:published_time`` and its kin) → a visible date near the title →
           a date in the URL → htmldate; never one after the fetch or before the plausible window, and
           an absolute date before a relative one ("قبل 5 ساعات", "vor 2 Stunden");
- titles:  ``<h1>``, ``og:title``, JSON-LD ``headline`` and ``<title>``, entities fully unescaped and the
           site name / section affixes removed (``… - Outlet``, ``Outlet | Section | …``);
- authors: JSON-LD ``author`` (persons, not the outlet), ``meta name=author``, ``rel=author``, a byline
           line ("By …", "Von …", "بقلم …", "كتب …").
"""

from __future__ import annotations

import dataclasses
import html
import re
from datetime import datetime, timedelta, timezone

from crawler.dates import ParsedDate, gregorian_to_hijri, parse_date
from crawler.extract.walk import Line, fold
from crawler.text import clean_text

# Eastern Arabic and Persian digits as ASCII: "٢٠٢٠-١٠-٠٧T12:09:00+03:00" is a machine date all the same.
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "0123456789" * 2)
# Before the first news sites went online a page's "date" is a misreading (a founding year, a birth date).
EARLIEST_YEAR = 1995
# A publication date a little after the fetch is a time zone slip; more is a misreading (an event date).
FUTURE_SLACK = timedelta(days=1)


def ascii_digits(text: str) -> str:
    return text.translate(_DIGITS)


def unescape(text: str) -> str:
    """Entities unescaped until stable: a doubly escaped ``&amp;quot;`` shows as ``&quot;`` otherwise."""
    for _ in range(3):
        if "&" not in text:
            break
        unescaped = html.unescape(text)
        if unescaped == text:
            break
        text = unescaped
    return text


def in_window(parsed: ParsedDate, now: datetime, earliest_year: int) -> bool:
    """Not after the fetch (``now``), not before the outlet (or the web) existed."""
    value = parsed.value
    return value.year >= earliest_year and value.astimezone(timezone.utc) <= now + FUTURE_SLACK


_OFFSET = re.compile(r"(?:[T\d]\d:\d\d(?::\d\d(?:\.\d+)?)?)\s*(Z|[+-]\d\d:?\d\d)$")


def keep_offset(parsed: ParsedDate, raw: str) -> ParsedDate:
    """The date in the offset the page wrote it with: "2022-05-03T21:36:00-03:00" is May 3rd where it was
    published, though May 4th in UTC (the day a reader of the page saw)."""
    match = _OFFSET.search(raw)
    if not match or not parsed.has_time:
        return parsed
    offset = match.group(1)
    if offset == "Z":
        tz = timezone.utc
    else:
        sign = -1 if offset[0] == "-" else 1
        digits = offset[1:].replace(":", "")
        tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    value = parsed.value.astimezone(tz)
    if value.utcoffset() == parsed.value.utcoffset():
        return parsed
    return dataclasses.replace(parsed, value=value, hijri=gregorian_to_hijri(value.date()))


class DateChain:
    """The first plausible absolute date of the stages tried; a relative one only when nothing else is."""

    def __init__(self, tz: str, now: datetime, earliest_year: int):
        self.tz, self.now, self.earliest_year = tz, now, earliest_year
        self.relative: tuple[str, ParsedDate] | None = None

    def read(self, raw) -> ParsedDate | None:
        if not raw or not isinstance(raw, str) or len(raw) > 200:
            return None
        raw = ascii_digits(raw.strip())
        parsed = parse_date(raw, tz=self.tz)
        if parsed is None or not in_window(parsed, self.now, self.earliest_year):
            return None
        return keep_offset(parsed, raw)

    def first(self, stages) -> tuple[str, ParsedDate] | None:
        for stage, raw in stages:
            parsed = self.read(raw() if callable(raw) else raw)
            if parsed is None:
                continue
            if parsed.calendar == "relative":
                self.relative = self.relative or (stage, parsed)
                continue
            return stage, parsed
        return None


# Publication dates under other names than article:published_time (Dublin Core, Parse.ly, Sailthru, …).
META_DATE_KEYS = ("article:published_time", "og:published_time", "article:published", "datepublished",
                  "publishdate", "publish-date", "pubdate", "date", "dc.date", "dc.date.issued", "dcterms.date",
                  "dcterms.created", "parsely-pub-date", "sailthru.date", "article.published", "published_time",
                  "created", "dc.date.created", "citation_publication_date", "originalpublicationdate")


def meta_date(meta: dict[str, str]) -> str:
    return next((meta[key] for key in META_DATE_KEYS if meta.get(key, "").strip()), "")


# Dates in URLs, most specific first:
#   /story/2020/8/24/slug, /2020/08/24/, /2020-08-24/   year, month, day as path parts
#   /2024/0424/c1001-…                                 year / month+day
#   /202003171044893040-slug, /20200824-slug.html       year+month+day glued to an id or a slug
_URL_DATES = (
    re.compile(r"/((?:19|20)\d\d)[/_.-](0?[1-9]|1[0-2])[/_.-](0?[1-9]|[12]\d|3[01])(?=[/_.-]|$)"),
    re.compile(r"/((?:19|20)\d\d)/(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?=/)"),
    re.compile(r"[/_-]((?:19|20)\d\d)(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?=\d{0,14}(?:[/_.-]|$))"),
)


# An archived copy's URL holds the archive's capture time first: the page's own URL follows it
# (https://web.archive.org/web/20110106023242/http://dzs-clan.de/… was captured in 2011, not written then).
_ARCHIVED = re.compile(r"^https?://(?:web\.)?archive\.org/web/\d+[a-z_]*/", re.I)


def url_date(url: str) -> str:
    """``YYYY-MM-DD`` of the first date pattern the URL's path holds, else ""."""
    url = _ARCHIVED.sub("", url)
    path = url.split("?", 1)[0].split("#", 1)[0]
    path = path.split("://", 1)[-1]
    path = path[path.find("/"):] if "/" in path else ""
    for pattern in _URL_DATES:
        match = pattern.search(path)
        if match:
            year, month, day = map(int, match.groups())
            try:
                return datetime(year, month, day).date().isoformat()
            except ValueError:
                continue
    return ""


def visible_dates(lines: list[Line], title_index: int, body_start: int) -> list[str]:
    """Short lines just above the title and between it and the body (where pages print the date)."""
    if title_index < 0:
        return []
    end = body_start if body_start > title_index else title_index + 8
    end = min(end, title_index + 12, len(lines))
    out = []
    for index in [*range(max(0, title_index - 3), title_index), *range(title_index + 1, end)]:
        text = lines[index].text
        if text and len(text) <= 80 and any(ch.isdigit() for ch in text) and not lines[index].chrome:
            out.append(text)
    return out


def htmldate_date(markup: str, url: str, now: datetime) -> str:
    """htmldate's reading (original date, extensive search): the last resort, a second parse of the page."""
    try:
        from htmldate import find_date

        return find_date(markup, url=url, original_date=True, extensive_search=True,
                         max_date=now.strftime("%Y-%m-%d")) or ""
    except Exception:  # htmldate on hostile markup: no date rather than a crash
        return ""


# ---------------------------------------------------------------------------------------------
# Titles

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


# ---------------------------------------------------------------------------------------------
# Authors

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
    """
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
_AUTHOR_ELEMENTS = None


def markup_authors(root) -> list[str]:
    global _AUTHOR_ELEMENTS
    if _AUTHOR_ELEMENTS is None:
        from lxml import etree

        _AUTHOR_ELEMENTS = etree.XPath(
            "//*[@itemprop='author' or @rel='author' or re:test(@class, '(^|[ _-])(author|byline|autor|auteur|"
            "autore|writer|reporter)([ _-]|s?$)', 'i') or re:test(@id, '^(author|byline)', 'i')]"
            "[not(ancestor::*[self::aside or self::nav or self::footer or re:test(@class, 'comment', 'i')])]",
            namespaces={"re": "http://exslt.org/regular-expressions"})
    out = []
    for el in _AUTHOR_ELEMENTS(root)[:12]:
        named = el.xpath(".//*[@itemprop='name']")
        text = clean_text(" ".join(named[0].itertext()) if named else " ".join(el.itertext()))
        if text and len(text) <= 80:
            out.append(text)
    return out


# An archived copy (the Wayback Machine) carries the archive's toolbar inside <body>: its capture dates
# ("24 captures 14 Mar 2011 - 02 Jun 2015") and links are not the page's.
_ARCHIVE_TOOLBAR = None


def drop_archive_toolbar(root) -> None:
    global _ARCHIVE_TOOLBAR
    if _ARCHIVE_TOOLBAR is None:
        from lxml import etree

        _ARCHIVE_TOOLBAR = etree.XPath("//*[@id='wm-ipp-base' or @id='wm-ipp' or @id='donato' or @id='wm-ipp-print']")
    for el in _ARCHIVE_TOOLBAR(root):
        parent = el.getparent()
        if parent is None:
            continue
        if el.tail and el.tail.strip():
            previous = el.getprevious()
            if previous is not None:
                previous.tail = (previous.tail or "") + el.tail
            else:
                parent.text = (parent.text or "") + el.tail
        parent.remove(el)


def page_language(root, title: str) -> str:
    """The page's language subtag (<html lang="de-AT"> → "de"); "ar" for Arabic script, else ""."""
    lang = (root.get("lang") or root.get("xml:lang") or "").strip().lower()
    if lang:
        return lang.replace("_", "-").split("-", 1)[0][:8]
    return "ar" if re.search("[\u0600-\u06ff]", title) else ""


# ---------------------------------------------------------------------------------------------
# Bodies: related-article boxes wherever they sit

# Labels that open a box of links to other stories, in the languages of the pages we meet. The box is
# skipped and the body goes on after it (a box between paragraphs does not end the article).
_RELATED_LABEL = re.compile(
    r"^(?:read (?:more|also|next)|also read|related(?: articles| stories| content| posts)?|more on this|recommended|"
    r"(?:you )?may also like|lesen sie (?:auch|mehr)|auch lesen|mehr (?:zum thema|themen|dazu)|weitere (?:themen|artikel|"
    r"nachrichten|aktuelle themen)|zum weiterlesen|das könnte sie auch interessieren|top-themen|"
    r"(?:à )?lire aussi|à lire également|sur le même sujet|"
    r"le puede interesar|te puede interesar|puede interesarte|puedes ver|lee también|lea también|más sobre|"
    r"leia (?:também|mais)|veja também|leggi anche|"
    r"اقرا ايضا|اقرا المزيد|(?:اخبار|مواضيع|مقالات) ذات صله|ذات صله|شاهد ايضا)\b", re.I)
_SENTENCE_END = re.compile(r"[.!?؟…\"”»]$")


def drop_related_boxes(lines: list[str]) -> list[str]:
    """Body lines without related-article boxes: a label line ("Lesen Sie auch:", "اقرأ أيضا") and the
    teaser titles under it (short, no sentence end), or a label with its teaser on one line ("PUEDES VER:
    ¿Qué es la Sunedu…?"). E.g. two paragraphs, "اقرأ أيضا", three headlines, two more paragraphs → the
    four paragraphs."""
    out: list[str] = []
    skipping = 0
    for line in lines:
        folded = fold(line).casefold()
        if len(line) <= 200 and _RELATED_LABEL.match(folded):
            label_only = len(line) <= 60 and (line.rstrip().endswith(":") or len(line.split()) <= 6)
            skipping = 6 if label_only else 0
            continue
        if skipping and len(line) <= 150 and not _SENTENCE_END.search(line.rstrip()):
            skipping -= 1
            continue
        skipping = 0
        out.append(line)
    return out
