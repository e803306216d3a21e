"""Bylines of Arabic news pages: who wrote it, which agency, from which city.

The grammar of the site notes: ``<outlet>`` sep (city | agency | writer) [sep writer] [sep], with
sep ∈ {`` - ``, ``-``, `` – ``, ``: ``}; other outlets put the city first (``رام الله - الحدث``,
``رام الله 11-4-2025 وفا-``, ``رام الله (الضفة الغربية) (رويترز) -``). Agencies combine with ``و``, ``،``
and ``/`` (``وفا ومعا``, ``رويترز، ا ف ب``); labels (``خاص``, ``متابعات``) name no one; honorifics (``د.``,
``أ.``, ``م.``, ``الشيخ`` …) belong to the name they precede.

Position first, tables second: the tables (agencies, cities) cannot list every village of the West Bank, so
a segment nobody lists is read from where it stands —

- the first of two segments after the outlet is the city (``الحدث - عزون: أحمد سعيد -``);
- a segment right before the source is the city (``سلواد - وفا``, ``قصرة - الحدث``);
- a single segment after the outlet is the city unless something marks it as a person: an honorific, or
  a name's shape (two or more words, none of which marks a place: ``الحدث - ريم أبو لبن`` is a writer,
  ``الحدث - سلواد`` and ``الحدث - كفر قدوم`` are datelines);
- anything else of a name's shape is a writer.

The outlet's own name (``own_names``) is site knowledge: the site file declares it (``Site.own_names``) and
the caller passes it in; without it the generic parser cannot tell the outlet from a writer.
Opinion pieces carry the writer at the end of the title instead (``author_from_title``).
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

# Datelines seen on Palestinian and regional news pages (the city a story is filed from). Not a gazetteer:
# a town missing here is still read as a dateline from its position (see the module docstring).
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

# Words that say how a story was made, not who made it: "الحدث - خاص", "متابعات", "خاص بالحدث".
LABELS: tuple[str, ...] = ("خاص", "خاصة", "حصري", "متابعات", "متابعة", "ترجمة", "ترجمات", "تقرير", "تقارير",
                           "تحرير", "محليات", "رصد")
# Honorifics and titles printed before a name; they belong to it ("د. رولا سرحان" is one writer).
_HONORIFIC = re.compile(
    r"^(?:(?:[أا]\.\s?د|[دأام])\.\s*"
    r"|(?:الدكتور|الدكتورة|الأستاذ|الأستاذة|الاستاذ|الاستاذة|الشيخ|الشيخة|المهندس|المهندسة|المحامي|المحامية"
    r"|الصحفي|الصحفية|الكاتب|الكاتبة|الأب|المطران|الأسير|الأسيرة|النائب|السفير|اللواء|العميد|البروفيسور"
    r"|بروفيسور|الحاج|الحاجة)\s+)")
# First words of a place's name (folded): "كفر قدوم", "بيت أمر", "دير دبوان", "عين يبرود", "مخيم جنين",
# "شمال غزة". A writer's given name is none of these, nor does it start with ال ("المغير", "النبي صالح").
_PLACE_WORDS = frozenset(fold_arabic(w) for w in (
    "كفر", "بيت", "دير", "عين", "تل", "خربة", "مخيم", "قرية", "بلدة", "مدينة", "محافظة", "قطاع", "بني", "برج",
    "جبل", "وادي", "رأس", "راس", "أم", "بئر", "بير", "عرب", "سيلة", "ضواحي", "ريف", "شمال", "جنوب", "شرق",
    "غرب", "وسط", "شمالي", "جنوبي", "شرقي", "غربي", "مسافر", "ظهر", "خلة", "نزلة", "عزبة"))
# Words that follow a place's first word but no person's: "عصيرة القبلية", "قراوة بني حسان", "بيت عور الفوقا".
_PLACE_TAILS = frozenset(fold_arabic(w) for w in (
    "بني", "القبلية", "الشمالية", "الجنوبية", "الشرقية", "الغربية", "الفوقا", "التحتا", "الفوقى", "التحتى",
    "الجديدة", "القديمة", "الكبرى", "الصغرى", "البلد"))

# "بقلم: name", "كتب: name" … — a writer label in front of the name.
_WRITER_LABEL = re.compile(r"^(?:بقلم|كتب|كتبت|إعداد|اعداد|تقرير|حوار|ترجمة)\s*:?\s+")
# Separators of the byline grammar; a hyphen inside a numeric date is not one (dates go first).
_SEPARATORS = re.compile(r"\s*[-–—:|/]+\s*")
_NUMERIC_DATE = re.compile(r"\d{1,4}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{1,4}")
_PARENTHESES = re.compile(r"\(([^()]*)\)")
# Lists of names or agencies: "،", ",", "؛" and a free-standing "و" ("محمد و أحمد"). A "و" joined to the
# next word is not split here: it starts names too (وليد، وائل); agency lists handle it word by word.
_LIST_SEPARATORS = re.compile(r"\s*[،,؛;]\s*|\s+و\s+")
# A writer's name: a few words of letters (Arabic or Latin), no digits or sentence punctuation.
_WORD = r"(?:[^\W\d_]|[\u0610-\u061a\u064b-\u065f\u0670\u0640])+"  # letters, tashkeel and tatweel included
_NAME = re.compile(rf"^{_WORD}(?:[ .'’]{_WORD}){{0,4}}$")
_ACRONYM = re.compile(r"^[A-Z]{2,6}$")
_AGENCY_WORD = re.compile(r"^(?:ال)?وكال[ةه]\s+")  # also on folded text, where ة is ه
# Author in an opinion title: "…/ بقلم: رولا سرحان" or "… - رولا سرحان".
_TITLE_PEN = re.compile(r"/\s*بقلم\s*:?\s*([^/]+?)\s*$")
_TITLE_DASH = re.compile(r"\s[-–]\s*([^-–]+?)\s*$")

_AGENCY_CODES = {fold_arabic(name): code for name, code in AGENCIES.items()}
_MAX_AGENCY_WORDS = max(len(name.split()) for name in AGENCIES)
_CITY_KEYS = frozenset(fold_arabic(city) for city in CITIES)
_MAX_CITY_WORDS = max(len(city.split()) for city in CITIES)
_LABEL_KEYS = frozenset(fold_arabic(label) for label in LABELS)

# Kinds of segment; SOURCE = the outlet or an agency, what the position rules look at.
_OWN, _AGENCY, _LABEL, _CITY, _UNKNOWN = "own", "agency", "label", "city", "unknown"
_SOURCE = (_OWN, _AGENCY)


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


def agency_codes(text: str) -> list[str] | None:
    """Every agency of a combined credit (``وفا ومعا`` → WAFA, Maan; ``رويترز، ا ف ب``; ``رويترز/أ ف ب``),
    or None unless the whole text is agencies."""
    codes: list[str] = []
    for item in _LIST_SEPARATORS.split(text):
        words = item.split()
        position = 0
        while position < len(words):
            for size in range(min(_MAX_AGENCY_WORDS, len(words) - position), 0, -1):
                chunk = " ".join(words[position:position + size])
                # "ومعا": the "و" of a list joined to the agency; "وفا" itself is tried first.
                code = agency_code(chunk) or (agency_code(chunk[1:]) if chunk.startswith("و") else None)
                if code:
                    codes.append(code)
                    position += size
                    break
            else:
                return None
    return codes or None


def is_city(text: str) -> bool:
    return fold_cached(text) in _CITY_KEYS


def is_name(text: str) -> bool:
    """Shape of a person's name: one to five words of letters (after an honorific), not a city or an agency."""
    return person_name(text) is not None and not is_city(text) and agency_code(text) is None


def person_name(text: str) -> str | None:
    """The name as stored (honorific kept, ``د.رولا`` spaced as ``د. رولا``) when ``text`` has a name's
    shape, else None."""
    text = text.strip(" -–:،,")
    honorific = _HONORIFIC.match(text)
    if honorific:
        rest = text[honorific.end():].strip()
        if not _NAME.match(rest):
            return None
        return f"{honorific.group(0).strip()} {rest}"
    return text if _NAME.match(text) else None


def parse_byline(text: str | None, *, own_names: tuple[str, ...] = ()) -> Byline:
    """Authors, agency codes and dateline of one byline line; an empty Byline when it holds none.
    ``own_names``: the outlet's names as its bylines print them (``Site.own_names``), a source, never a
    writer or a city."""
    authors, agencies, dateline = _parse_byline(clean_text(text), tuple(own_names))
    return Byline(list(authors), list(agencies), dateline)


@lru_cache(maxsize=8192)
def _parse_byline(text: str, own_names: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...], str]:
    own = frozenset(fold_cached(name) for name in own_names)
    authors: list[str] = []
    agencies: list[str] = []
    if not text:
        return (), (), ""
    label = _WRITER_LABEL.match(text)
    if label:
        # "بقلم: رولا سرحان" — everything after the label is names.
        for part in _LIST_SEPARATORS.split(text[label.end():]):
            name = person_name(part.strip(" -–:."))
            if name and fold_cached(name) not in own:
                authors.append(name)
        return tuple(dict.fromkeys(authors)), (), ""
    # Parenthesised parts qualify the segment before them ("رام الله (الضفة الغربية) (رويترز)"): they add
    # agencies and a city, never a writer, and take no place in the position rules. A numeric date is a
    # separator: "رام الله 11-4-2025 وفا-" reads as "رام الله - وفا".
    inner = _PARENTHESES.findall(text)
    text = _PARENTHESES.sub(" - ", _NUMERIC_DATE.sub(" - ", text))
    tokens = [token for part in _SEPARATORS.split(text) for token in _tokens(part.strip(" ."), own)]
    tokens = [(kind, segment, codes) for kind, segment, codes in tokens if kind != _LABEL]
    datelines = [segment for kind, segment, _ in tokens if kind == _CITY]
    for index, (kind, segment, codes) in enumerate(tokens):
        if kind == _AGENCY:
            agencies.extend(codes)
        elif kind == _UNKNOWN:
            previous = tokens[index - 1][0] if index else None
            following = tokens[index + 1][0] if index + 1 < len(tokens) else None
            if not datelines and _dateline_slot(segment, previous, following, index):
                datelines.append(segment)
                continue
            for part in _LIST_SEPARATORS.split(segment):
                name = person_name(part)
                if name:
                    authors.append(name)
    for part in inner:
        part = part.strip(" .-")
        codes = agency_codes(part)
        if codes:
            agencies.extend(codes)
        elif fold_cached(part) in _CITY_KEYS:
            datelines.append(part)
    return tuple(dict.fromkeys(authors)), tuple(dict.fromkeys(agencies)), datelines[0] if datelines else ""


def _dateline_slot(segment: str, previous: str | None, following: str | None, index: int) -> bool:
    """Whether an unlisted segment stands where the grammar puts the city (no table city was found)."""
    if _HONORIFIC.match(segment) or not _NAME.match(segment):
        return False  # "الحدث - د. أحمد سعيد": a person, whatever the position
    if following in _SOURCE and index == 0:
        return True  # city first: "سلواد - وفا", "قصرة - الحدث"
    if following == _UNKNOWN and (previous in _SOURCE or (index == 0 and _place_shaped(segment))):
        return True  # the first of two: "الحدث - عزون: أحمد سعيد -", "سلواد: أحمد سعيد"
    # a single segment after the outlet: a dateline unless it is shaped like a person's name
    return previous in _SOURCE and (following is None or following in _SOURCE) and _place_shaped(segment)


def _place_shaped(segment: str) -> bool:
    """Nothing marks it as a person: one word ("سلواد", "المغير"), or a first word that names places
    ("كفر قدوم", "بيت أمر", "مسافر يطا"), an article ("النبي صالح"), ``أبو`` + one word ("أبو ديس"), a
    word only places carry after the first ("عصيرة القبلية", "قراوة بني حسان"), or a listed city as its last
    word ("شمال غزة"). A two-word town with none of these ("كفل حارس") reads as a person when it stands
    alone after the outlet; in the grammar's city positions (first of two, before the source) it is a city."""
    words = fold_cached(segment).split()
    if len(words) == 1:
        return True
    first = words[0]
    return (first in _PLACE_WORDS or first.startswith("ال") or (first == "ابو" and len(words) == 2)
            or words[-1] in _CITY_KEYS or any(word in _PLACE_TAILS for word in words[1:]))


def _tokens(segment: str, own: frozenset[str]):
    """(kind, segment, agency codes) for one segment between separators; a listed city in front of the rest
    (``رام الله محمد غفري``) is split off."""
    folded = fold_cached(segment)
    if not folded:
        return
    words = folded.split()
    if folded in own:
        yield _OWN, segment, ()
    elif all(word in _LABEL_KEYS or word in own or word[1:] in own for word in words):
        yield _LABEL, segment, ()  # "خاص", "متابعات", "خاص بالحدث", "ترجمة الحدث"
    elif codes := agency_codes(segment):
        yield _AGENCY, segment, tuple(codes)
    elif folded in _CITY_KEYS:
        yield _CITY, segment, ()
    elif _ACRONYM.match(segment) or _AGENCY_WORD.match(folded):
        # "-PNN-", "وكالة خبر": an agency missing from the table keeps the name it is printed with.
        yield _AGENCY, segment, (segment,)
    else:
        printed = segment.split()
        for size in range(min(_MAX_CITY_WORDS, len(printed) - 1), 0, -1):
            if fold_cached(" ".join(printed[:size])) in _CITY_KEYS:
                yield _CITY, " ".join(printed[:size]), ()
                yield from _tokens(" ".join(printed[size:]), own)
                return
        yield _UNKNOWN, segment, ()


def author_from_title(title: str | None) -> str | None:
    """The writer an opinion title ends with (``…/ بقلم: name`` or ``… - name``), else None."""
    title = clean_text(title)
    match = _TITLE_PEN.search(title)
    if match:
        name = person_name(match.group(1))
        if name:
            return name
    match = _TITLE_DASH.search(title)
    if match and is_name(match.group(1)) and 2 <= len(match.group(1).split()) <= 4:
        return match.group(1)
    return None
