"""What is not the page's text: entities left escaped, an archive's toolbar, related-article boxes."""

from __future__ import annotations

import html
import re

from crawler.extract.walk import fold

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
        if len(line) <= 200 and _RELATED_LABEL.match(fold(line).casefold()):  # (a paragraph is not folded)
            label_only = len(line) <= 60 and (line.rstrip().endswith(":") or len(line.split()) <= 6)
            skipping = 6 if label_only else 0
            continue
        if skipping and len(line) <= 150 and not _SENTENCE_END.search(line.rstrip()):
            skipping -= 1
            continue
        skipping = 0
        out.append(line)
    return out
