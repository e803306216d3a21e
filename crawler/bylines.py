"""Bylines of Arabic news pages: who wrote it, which agency, from which city.

The grammar of the site notes: ``<outlet>`` sep (city | agency | writer) [sep writer] [sep], with
sep ∈ {`` - ``, ``-``, `` – ``, ``: ``}; other outlets put the city first (``رام الله - الحدث``,
``رام الله 11-4-2025 وفا-``, ``رام الله (الضفة الغربية) (رويترز) -``). A byline is cut into segments at
the separators and each segment is classified by table (outlet name, agency, city) or by shape (a
short name is a writer). Opinion pieces carry the writer at the end of the title instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from crawler.text import clean_text, fold_arabic

# Bylines, cities and titles repeat from page to page: fold each distinct text once.
fold_cached = lru_cache(maxsize=2048)(fold_arabic)

# As the site notes print them → the code stored in `agencies`.
AGENCIES: dict[str, str] = {
    "ا ف ب": "AFP", "أ ف ب": "AFP", "أ.ف.ب": "AFP", "فرانس برس": "AFP", "الفرنسية": "AFP",
    "رويترز": "Reuters",
    "أ ب": "AP", "اسوشيتد برس": "AP", "أسوشيتد برس": "AP",
    "الأناضول": "Anadolu",
    "وفا": "WAFA",
    "معا": "Maan", "معاً": "Maan",
    "صفا": "Safa",
    "د ب أ": "dpa",
    "شينخوا": "Xinhua",
    "سانا": "SANA",
    "واس": "SPA",
    "وام": "WAM",
    "قنا": "QNA",
    "بترا": "Petra",
    "أ ش أ": "MENA",
    "وكالات": "agencies",
}

# Datelines seen on Palestinian and regional news pages (the city a story is filed from).
CITIES: tuple[str, ...] = (
    "رام الله", "البيرة", "القدس", "القدس المحتلة", "غزة", "مدينة غزة", "خان يونس", "خانيونس", "رفح",
    "دير البلح", "جباليا", "بيت لاهيا", "بيت حانون", "النصيرات", "نابلس", "الخليل", "بيت لحم", "بيت جالا",
    "بيت ساحور", "جنين", "طولكرم", "قلقيلية", "أريحا", "اريحا", "سلفيت", "طوباس", "يطا", "حلحول", "قباطية",
    "الناصرة", "حيفا", "يافا", "عكا", "اللد", "الرملة", "بئر السبع", "أم الفحم", "تل أبيب", "تل ابيب",
    "الضفة الغربية", "الأراضي المحتلة", "عواصم", "عمان", "عمّان", "القاهرة", "الإسكندرية", "بيروت",
    "دمشق", "بغداد", "الرياض", "جدة", "مكة المكرمة", "الدوحة", "أبوظبي", "أبو ظبي", "دبي", "الكويت",
    "المنامة", "مسقط", "صنعاء", "عدن", "الخرطوم", "طرابلس", "تونس", "الجزائر", "الرباط", "نواكشوط",
    "أنقرة", "إسطنبول", "اسطنبول", "طهران", "واشنطن", "نيويورك", "لندن", "باريس", "موسكو", "برلين",
    "بروكسل", "جنيف", "روما", "مدريد", "فيينا", "بكين", "طوكيو", "نيودلهي", "كييف", "لاهاي", "الأمم المتحدة",
)

# "بقلم: name", "كتب: name" … — a writer label in front of the name.
_WRITER_LABEL = re.compile(r"^(?:بقلم|كتب|كتبت|إعداد|اعداد|تقرير|حوار|ترجمة)\s*:?\s+")
# Separators of the byline grammar; a hyphen inside a numeric date is not one (dates go first).
_SEPARATORS = re.compile(r"\s*[-–—:|/]+\s*")
_NUMERIC_DATE = re.compile(r"\d{1,4}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{1,4}")
_PARENTHESES = re.compile(r"\(([^()]*)\)")
_LIST_SEPARATORS = re.compile(r"\s*[،,؛;]\s*|\s+و(?=\s)")
# A writer's name: a few words of letters (Arabic or Latin), no digits or sentence punctuation.
_WORD = r"(?:[^\W\d_]|[\u0610-\u061a\u064b-\u065f\u0670\u0640])+"  # letters, tashkeel and tatweel included
_NAME = re.compile(rf"^{_WORD}(?:[ .'’]{_WORD}){{0,4}}$")
_ACRONYM = re.compile(r"^[A-Z]{2,6}$")
_AGENCY_WORD = re.compile(r"^(?:ال)?وكال[ةه]\s+")  # also on folded text, where ة is ه
# Author in an opinion title: "…/ بقلم: رولا سرحان" or "… - رولا سرحان".
_TITLE_PEN = re.compile(r"/\s*بقلم\s*:?\s*([^/]+?)\s*$")
_TITLE_DASH = re.compile(r"\s[-–]\s*([^-–]+?)\s*$")

_AGENCY_CODES = {fold_arabic(name): code for name, code in AGENCIES.items()}
_CITY_KEYS = frozenset(fold_arabic(city) for city in CITIES)
_MAX_CITY_WORDS = max(len(city.split()) for city in CITIES)


@dataclass(frozen=True)
class Byline:
    authors: list[str] = field(default_factory=list)
    agencies: list[str] = field(default_factory=list)
    dateline: str = ""

    def __bool__(self) -> bool:
        return bool(self.authors or self.agencies or self.dateline)


def agency_code(text: str) -> str | None:
    """The code of an agency as printed (``أ.ف.ب`` → AFP, ``وكالة الأناضول`` → Anadolu), else None."""
    folded = fold_cached(text)
    code = _AGENCY_CODES.get(folded)
    if code is None and _AGENCY_WORD.match(folded):
        code = _AGENCY_CODES.get(_AGENCY_WORD.sub("", folded))
    return code


def is_city(text: str) -> bool:
    return fold_cached(text) in _CITY_KEYS


def is_name(text: str) -> bool:
    """Shape of a person's name: one to five words of letters, not a city or an agency."""
    return bool(_NAME.match(text)) and not is_city(text) and agency_code(text) is None


def parse_byline(text: str | None, *, own_names: tuple[str, ...] = ("الحدث",)) -> Byline:
    """Authors, agency codes and dateline of one byline line; an empty Byline when it holds none."""
    authors, agencies, dateline = _parse_byline(clean_text(text), tuple(own_names))
    return Byline(list(authors), list(agencies), dateline)


@lru_cache(maxsize=8192)
def _parse_byline(text: str, own_names: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...], str]:
    own = {fold_cached(name) for name in own_names}
    authors: list[str] = []
    agencies: list[str] = []
    cities: list[str] = []
    for segment, labelled in _segments(text):
        _classify(segment, labelled, own, authors, agencies, cities)
    return tuple(dict.fromkeys(authors)), tuple(dict.fromkeys(agencies)), cities[0] if cities else ""


def author_from_title(title: str | None) -> str | None:
    """The writer an opinion title ends with (``…/ بقلم: name`` or ``… - name``), else None."""
    title = clean_text(title)
    match = _TITLE_PEN.search(title)
    if match and _NAME.match(match.group(1)):
        return match.group(1)
    match = _TITLE_DASH.search(title)
    if match and is_name(match.group(1)) and 2 <= len(match.group(1).split()) <= 4:
        return match.group(1)
    return None


def _segments(text: str):
    """(segment, labelled) pairs: parenthesised parts apart, dates out, split at the separators."""
    if not text:
        return
    label = _WRITER_LABEL.match(text)
    if label:
        # "بقلم: رولا سرحان" — everything after the label is names.
        for name in _LIST_SEPARATORS.split(text[label.end():]):
            yield name.strip(" -–:."), True
        return
    inner = _PARENTHESES.findall(text)
    text = _PARENTHESES.sub(" - ", _NUMERIC_DATE.sub(" ", text))
    for part in [*_SEPARATORS.split(text), *inner]:
        part = part.strip(" .")
        if part:
            yield part, False


def _classify(segment, labelled, own, authors, agencies, cities) -> None:
    folded = fold_cached(segment)
    if not folded or folded in own:
        return
    if labelled:
        if _NAME.match(segment):
            authors.append(segment)
        return
    code = agency_code(segment)
    if code:
        agencies.append(code)
    elif folded in _CITY_KEYS:
        cities.append(segment)
    elif _ACRONYM.match(segment) or _AGENCY_WORD.match(folded):
        # "-PNN-", "وكالة خبر": an agency missing from the table keeps the name it is printed with.
        agencies.append(segment)
    elif not _split_city_prefix(segment, own, authors, agencies, cities) and _NAME.match(segment):
        for name in _LIST_SEPARATORS.split(segment):
            if name:
                authors.append(name)


def _split_city_prefix(segment, own, authors, agencies, cities) -> bool:
    """``رام الله وفا`` (a date removed between them), ``غزة الحدث``: a city, then more of the byline."""
    words = segment.split()
    for size in range(min(_MAX_CITY_WORDS, len(words) - 1), 0, -1):
        head, rest = " ".join(words[:size]), " ".join(words[size:])
        if fold_cached(head) in _CITY_KEYS:
            cities.append(head)
            _classify(rest, False, own, authors, agencies, cities)
            return True
    return False

