"""The text layout: title, timestamp, [image, caption,] byline and paragraphs as the page's lines lay them out."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from crawler.bylines import parse_byline
from crawler.dates import parse_date
from crawler.extract.walk import Line, Page, fold
from crawler.sites import Site

# Page chrome announced by a label line; body paragraphs end there. Compared on fold_arabic()-ed text,
# e.g. "اقرأ أيضاً" → "اقرا ايضا", "الأكثر قراءة" → "الاكثر قراءه".
_CHROME_LABEL = re.compile(
    r"^(?:اقرا ايضا|اقرا المزيد|الاكثر (?:قراءه|مشاهده|تداولا)|(?:اخبار|مواضيع|مقالات) ذات صله|ذات صله"
    r"|الكلمات الداله|كلمات داله|كلمات مفتاحيه|الوسوم|وسوم|شارك(?: المقال| الخبر| عبر| على)?|مشاركه"
    r"|تابعونا|تابعنا|اشترك في|جميع الحقوق محفوظه|حقوق النشر|طباعه|ارسل لصديق|التعليقات|اضف تعليق)\b"
)
NOT_FOUND = re.compile(r"الصفحه (?:المطلوبه )?غير موجوده|page not found")
_SENTENCE_END = re.compile(r"[.!؟?]\s*$")
_BYLINE_MAX_CHARS = 100
_BYLINE_MAX_WORDS = 12
_LINKY = 0.5  # a line at least half link text is navigation, not body


@dataclass(slots=True)
class Layout:
    title: str = ""
    title_index: int = -1
    published_raw: str = ""
    repeated_title: bool = False
    image: tuple[str, str] | None = None
    caption: str = ""
    byline: str = ""
    paragraphs: list[str] = field(default_factory=list)
    body_start: int = -1
    body_end: int = -1


def _is_chrome_line(line: Line) -> bool:
    """Chrome: in nav/aside/footer, mostly links, or a short label line ("اقرأ أيضا", "الوسوم: …").

    A label must be short or carry links: "شارك المئات في المسيرة …" is a paragraph, not a share box.
    """
    if line.chrome or line.linked >= _LINKY:
        return True
    return (len(line.text) <= 40 or line.linked >= 0.3) and bool(_CHROME_LABEL.match(fold(line.text)))


def _bylineish(text: str, own_names: tuple[str, ...]) -> bool:
    """Short, no sentence end, and read as a byline (outlet, agency, city or a writer's name)."""
    if not text or len(text) > _BYLINE_MAX_CHARS or len(text.split()) > _BYLINE_MAX_WORDS:
        return False
    if _SENTENCE_END.search(text):
        return False
    return bool(parse_byline(text, own_names=own_names)) or any(text.startswith(n) for n in own_names)


def _timestamp_lines(page: Page, pattern: re.Pattern[str]) -> list[int]:
    """The lines that are a timestamp; only the walk's candidates when it searched the same pattern."""
    lines = page.lines
    maybe = page.maybe_stamps if pattern is page.stamp_pattern else range(len(lines))
    return [i for i in maybe if lines[i].text and pattern.fullmatch(lines[i].text)]


def _previous_text(lines: list[Line], index: int) -> int:
    index -= 1
    while index >= 0 and not lines[index].text:
        index -= 1
    return index


def _next_text(lines: list[Line], index: int) -> int:
    index += 1
    while index < len(lines) and not lines[index].text:
        index += 1
    return index if index < len(lines) else -1


class _Titles:
    """Title hints, as given or folded, as ``_names_title`` asks them: a text equal to one, or of 8 characters or
    more inside one. The hints are also kept joined by "\n": a text without "\n" stands inside one of them exactly
    when it stands inside the joined string (an occurrence holds no "\n", so it lies in one hint). A line's text
    holds none (``clean_text`` makes every whitespace a space): one search of the joined hints where each hint took
    its own (a page's ~7 hints, for ~15 lines of a cut page and ~30 of a whole one: e.g. each related story's
    title above its timestamp); a text holding "\n" is asked of each hint as before."""

    __slots__ = ("hints", "equal", "joined")

    def __init__(self, hints: list[str]):
        self.hints = hints
        self.equal = frozenset(hints)
        self.joined = "\n".join(hints)

    def name(self, text: str) -> bool:
        if len(text) < 8:
            return text in self.equal
        if "\n" not in text:
            return text in self.joined
        return any(text in hint for hint in self.hints)


# The title hints as given and folded (folded once per page: each timestamp candidate compares its lines).
_Hints = tuple[_Titles, _Titles]


def _choose_timestamp(lines: list[Line], candidates: list[int], title_hints: _Hints) -> int:
    """The main block's timestamp among all (sidebars print theirs too, sometimes earlier in the source).

    The main one is followed by the body — much non-link text before the next timestamp — and is
    preceded by the title that <title>/og:title/<h1> also name; a sidebar's sits between links.
    """
    best, best_score = -1, None
    for n, index in enumerate(candidates):
        end = candidates[n + 1] if n + 1 < len(candidates) else len(lines)
        body = sum(len(line.text) for line in lines[index + 1: end]
                   if line.text and not line.chrome and line.linked < _LINKY)
        score = min(body, 20_000)
        title_index = _previous_text(lines, index)
        named_above = title_index >= 0 and _names_title(lines[title_index].text, title_hints)
        if title_index >= 0:
            if named_above:
                score += 100_000
            if lines[title_index].linked >= _LINKY:
                score -= 5_000
        after = _next_text(lines, index)
        if after >= 0 and title_index >= 0 and not named_above and _names_title(lines[after].text, title_hints):
            score += 100_000  # a date printed above its title
        if lines[index].chrome:
            score -= 50_000
        if best_score is None or score > best_score:
            best, best_score = index, score
    return best


def _names_title(text: str, hints: _Hints) -> bool:
    """``text`` is the title that <title>, og:title or <h1> also give (exactly, or inside "… | الحدث"), as given
    or folded (``_Titles``)."""
    return hints[0].name(text) or hints[1].name(fold(text))



def read_layout(page: Page, site: Site | None, title_hints: list[str], anchor_title: str,
                own_names: tuple[str, ...]) -> Layout:
    """Title, timestamp, lead image, caption, byline and paragraphs as the page's text lays them out."""
    lines = page.lines
    layout = Layout()
    stamp = -1
    hints = None  # (folded only where a timestamp is searched: an unknown site's page has none to compare)
    if site is not None and site.timestamp_pattern is not None:
        candidates = _timestamp_lines(page, site.timestamp_pattern)
        if candidates:
            hints = (_Titles(title_hints), _Titles([fold(hint) for hint in title_hints]))
            stamp = _choose_timestamp(lines, candidates, hints)
    if stamp >= 0:
        layout.published_raw = lines[stamp].text
        layout.title_index = _previous_text(lines, stamp)
        after = _next_text(lines, stamp)
        if after >= 0 and title_hints and _names_title(lines[after].text, hints) \
                and (layout.title_index < 0 or not _names_title(lines[layout.title_index].text, hints)):
            layout.title_index = after  # the date printed above the title; the title line is skipped below
        if layout.title_index >= 0:
            layout.title = lines[layout.title_index].text
        position = stamp + 1
    else:
        # No printed timestamp: anchor on the title that metadata or <h1> gave, then skip a date line.
        position = _find_title_line(lines, anchor_title)
        if position < 0:
            return layout
        layout.title, layout.title_index = lines[position].text, position
        position += 1
        if position < len(lines) and len(lines[position].text) <= 60 and _is_date(lines[position].text):
            layout.published_raw = lines[position].text
            position += 1
    position = _read_head_lines(lines, position, layout, own_names)
    _read_paragraphs(lines, position, layout, site.timestamp_pattern if site else None)
    return layout


_DATE_LINES: dict[tuple[str, date], bool] = {}  # (line, today in UTC) → whether parse_date reads a date in it


def _is_date(text: str) -> bool:
    """``parse_date(text)`` reads a date. The line under a title is most often a byline, the same on many pages
    of a site ("مهند عبد الحميد"), which parse_date only gives up on after dateparser (~0.1 ms): asked once a
    day per line (the day: what a date without a year or a relative one is read against)."""
    key = (text, datetime.now(timezone.utc).date())
    found = _DATE_LINES.get(key)
    if found is None:
        if len(_DATE_LINES) >= 4096:
            _DATE_LINES.clear()
        found = _DATE_LINES[key] = parse_date(text) is not None
    return found


def _find_title_line(lines: list[Line], title: str) -> int:
    """The first line folding to ``title``'s fold. Only a line whose first word could start it is folded whole
    (``walk.folds_to``'s test, for one fold: no set to go through): most lines are paragraphs, each a ~10 µs
    fold, and a title that no line holds (a <title> with the outlet's affix, "الحدث - …") folded every line of
    the page (table pages under an unknown host: 108 → 29 µs a call, 49 lines)."""
    folded = fold(title)
    if not folded:
        return -1
    for index, line in enumerate(lines):
        text = line.text
        if text:
            # Its first word: the text up to its first space where that part holds no other whitespace (a
            # printable str holds none but the space) — a line's text is clean_text()-ed, so this is the rule —
            # else ``split``'s. (``split(None, 1)`` copies the rest of the line too: a paragraph of ~300
            # characters a line, each of the page's ~50 lines, for up to three titles a page.)
            at = text.find(" ")
            head = text if at < 0 else text[:at]
            head = fold(head if at != 0 and head.isprintable() else text.split(None, 1)[0])
            if head and head != folded and not folded.startswith(head + " "):
                continue
            if fold(text) == folded:
                return index
    return -1


def _read_head_lines(lines: list[Line], position: int, layout: Layout, own_names: tuple[str, ...]) -> int:
    """After the timestamp: [lead image, repeated title, caption,] byline. Returns the body's first line."""
    title = fold(layout.title)
    while position < len(lines):
        line = lines[position]
        if line.image is not None:
            if layout.image is None and line.image[0] and not line.chrome:
                layout.image = line.image
            position += 1
        elif line.text and fold(line.text) == title:
            layout.repeated_title = True
            position += 1
        else:
            break
    head = [i for i in range(position, min(position + 2, len(lines)))
            if lines[i].text and not _is_chrome_line(lines[i])]
    if not head or head[0] != position:
        return position
    first = lines[head[0]]
    second = lines[head[1]] if len(head) > 1 and head[1] == position + 1 else None
    second_is_byline = second is not None and _bylineish(second.text, own_names)
    if layout.image is None and not layout.repeated_title and not first.figcaption:
        if _bylineish(first.text, own_names):
            layout.byline = first.text
            return position + 1
        return position
    byline = parse_byline(first.text, own_names=own_names) if _bylineish(first.text, own_names) else None
    sourced = byline is not None and (byline.agencies or byline.dateline
                                      or any(first.text.startswith(name) for name in own_names))
    if sourced and not first.figcaption:
        layout.byline = first.text  # "الحدث - ا ف ب" right under the image: no caption
        return position + 1
    if first.figcaption or (second_is_byline and _caption_like(first.text)):
        layout.caption = first.text
        if second_is_byline:
            layout.byline = second.text
            return position + 2
        if byline is not None and byline.authors:
            layout.byline = first.text  # the author's photo, captioned with the name: the byline too
        return position + 1
    if byline is not None:
        # An opinion piece: the line under the author's photo is caption and byline at once.
        layout.caption = layout.byline = first.text
        return position + 1
    if _caption_like(first.text):
        layout.caption = first.text
        return position + 1
    return position


def _caption_like(text: str) -> bool:
    return len(text) <= 300 and not _SENTENCE_END.search(text)


def _same_text(text: str, others: list[str]) -> bool:
    """Equal to one of ``others``, up to letter variants (folding only when the lengths are close)."""
    for other in others:
        if text == other or (abs(len(text) - len(other)) <= 3 and fold(text) == fold(other)):
            return True
    return False


def _read_paragraphs(lines: list[Line], position: int, layout: Layout, stamp: re.Pattern[str] | None) -> None:
    """Body lines until the first chrome line (related links, share/tags line, footer, another timestamp)."""
    skip = [text for text in (layout.title, layout.caption, layout.byline) if text]
    layout.body_start = position
    index = position
    for index in range(position, len(lines)):
        line = lines[index]
        if not line.text:
            continue
        if _is_chrome_line(line) or (stamp is not None and stamp.fullmatch(line.text)) \
                or (line.heading and layout.paragraphs):
            break
        if not _same_text(line.text, skip):
            layout.paragraphs.append(line.text)
    else:
        index = len(lines)
    layout.body_end = index
