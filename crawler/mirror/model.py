"""What the mirror's site contains: every id's status, dates, title, byline and body, derived on demand.

Nothing is stored per article. Each field is a pure function of ``(seed, id)`` (plus the visit day for
updated articles): cheap integer hashes decide an id's status, section, byline form and role (duplicate,
updated), and a ``random.Random`` seeded from the same pair writes its text. The section and tag indexes
that listing pages need are computed once, lazily, as compact arrays.
"""

from __future__ import annotations

import bisect
import random
import zlib
from array import array
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Iterator
from zoneinfo import ZoneInfo

from hijridate import Gregorian

from crawler.errors import UsageError
from crawler.mirror import words as W

SITE_BASE_URL = "https://www.alhadath.ps"
TIMEZONE = ZoneInfo("Asia/Hebron")
MARKUPS = ("default", "table", "broken")
# CMS families: the same stories under another site's URLs and markup (crawler.mirror.outlets).
CMS = ("alhadath", "wordpress", "slug")
WP_JSON = ("on", "off", "forbidden")  # the wordpress family's REST API: answers, 404s, or 403s (hardened sites)
WEIGHTS = ("light", "real")  # 8 KiB pages for fast tests; 82–148 KB with the chrome of a real page
HAZARDS = ("robots503", "robotsdrop", "robots404", "retry-after", "bomb", "huge", "hang", "trickle", "loop",
           "selfredirect-cookie", "offsite", "offsite-private", "endless-pages", "feed", "sitemap-bomb", "feed-xxe", "hostile-strings")
FAULT_KINDS = ("status5xx", "429", "slow", "drop", "truncate")
TRUTH_KEYS = ("id", "status", "url", "title", "published_at", "published_hijri", "byline_raw", "authors",
              "agencies", "dateline", "paragraphs", "caption", "category", "exact_duplicate_of",
              "near_duplicate_of", "updated_on_day", "key")

ARTICLE, SOFT404, MISSING = "article", "soft404", "missing"


@dataclass(frozen=True)
class Category:
    id: int
    name: str
    slugs: tuple[str, ...]  # the first is the menu's; others also appear (the site ignores the slug)
    weight: int  # per mille of articles
    news: bool


CATEGORIES = (
    Category(3, "محليات", ("محليات",), 330, True),
    Category(4, "عربي ودولي", ("عربي-ودولي",), 250, True),
    Category(5, "اقتصاد", ("اقتصاد",), 170, True),
    Category(9, "مقالات الحدث", ("مقالات-الحدث",), 130, False),
    Category(40, "كتبت رئيسة التحرير", ("كتبت-رئيسة-التحرير", "رئيسة-التحرير"), 40, False),
    Category(220, "أدب", ("أدب",), 80, False),
)
CATEGORY_BY_ID = {c.id: c for c in CATEGORIES}
_CATEGORY_CUTS = [sum(c.weight for c in CATEGORIES[: i + 1]) for i in range(len(CATEGORIES))]
TAGS = tuple((i + 1, name) for i, name in enumerate(W.TAG_NAMES))  # (tag id, name)


def _parse_faults(spec: str) -> tuple[tuple[str, float], ...]:
    rates: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        key, sep, value = part.partition("=")
        key = {"5xx": "status5xx", "status429": "429"}.get(key.strip(), key.strip())
        if not sep or key not in FAULT_KINDS:
            raise UsageError(f"bad fault {part!r}: expected KIND=RATE with KIND one of {', '.join(FAULT_KINDS)}")
        try:
            rate = float(value)
        except ValueError:
            raise UsageError(f"bad fault rate {value!r} in {part!r}: expected a number 0..1") from None
        if not 0 <= rate <= 1:
            raise UsageError(f"fault rate out of range in {part!r}: expected 0..1")
        rates[key] = rate
    if sum(rates.values()) > 1:
        raise UsageError(f"fault rates add up to more than 1 in {spec!r}")
    return tuple((kind, rates[kind]) for kind in FAULT_KINDS if rates.get(kind))


def parse_hazards(spec: str) -> frozenset[str]:
    names = frozenset(filter(None, (p.strip() for p in (spec or "").split(","))))
    unknown = sorted(names - set(HAZARDS))
    if unknown:
        raise UsageError(f"unknown hazard {unknown[0]!r}: expected some of {', '.join(HAZARDS)}")
    return names


@dataclass(frozen=True)
class MirrorConfig:
    """One mirror instance: which ids it serves, how it writes them, how it misbehaves.

    ``faults`` is a spec like ``"status5xx=0.05,429=0.02,slow=0.02,drop=0.01,truncate=0.01"``.
    ``weight`` ``"real"`` wraps every page in the chrome of a real news page (``crawler.mirror.weight``):
    82–148 KB article pages instead of ~8 KiB, the same story and truth.
    """

    articles: int = 3000
    seed: int = 1
    start_id: int = 1
    day: int = 0
    faults: str = ""
    markup: str = "default"
    weight: str = "light"
    hazards: str = ""  # crawler.mirror.hazards: e.g. "robots503,bomb,endless-pages"; none by default
    cms: str = "alhadath"  # which family's URLs and pages: CMS
    wp_json: str = "on"  # the wordpress family's /wp-json/: WP_JSON
    fault_rates: tuple[tuple[str, float], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.articles < 1:
            raise UsageError(f"--articles must be at least 1, got {self.articles}")
        if self.start_id < 0:
            raise UsageError(f"--start-id must be 0 or more, got {self.start_id}")
        if self.day < 0:
            raise UsageError(f"--day must be 0 or more, got {self.day}")
        if self.markup not in MARKUPS:
            raise UsageError(f"unknown markup {self.markup!r}; one of {', '.join(MARKUPS)}")
        if self.weight not in WEIGHTS:
            raise UsageError(f"unknown page weight {self.weight!r}; one of {', '.join(WEIGHTS)}")
        object.__setattr__(self, "fault_rates", _parse_faults(self.faults or ""))
        if self.cms not in CMS:
            raise UsageError(f"unknown CMS family {self.cms!r}; one of {', '.join(CMS)}")
        if self.wp_json not in WP_JSON:
            raise UsageError(f"unknown --wp-json {self.wp_json!r}; one of {', '.join(WP_JSON)}")
        if self.cms != "alhadath" and (self.markup != "default" or self.weight != "light" or self.hazards):
            raise UsageError(f"--markup, --weight and --hazards belong to the alhadath family, not --cms {self.cms}")
        if self.hazards:
            parse_hazards(self.hazards)

    @property
    def end_id(self) -> int:
        """One past the last served id."""
        return self.start_id + self.articles

    def serves(self, article_id: int) -> bool:
        return self.start_id <= article_id < self.end_id


# --- cheap deterministic hashing -------------------------------------------------------------------------

_M64 = (1 << 64) - 1


def mix(a: int, b: int, c: int = 0) -> int:
    """A 64-bit hash of three integers (splitmix64 finalizer): stable across processes, ~1 µs."""
    x = (a * 0x9E3779B97F4A7C15 + b * 0xC2B2AE3D27D4EB4F + c * 0x165667B19E3779F9 + 0x27D4EB2F165667C5) & _M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _M64
    return x ^ (x >> 31)


def text_hash(text: str) -> int:
    return zlib.crc32(text.encode("utf-8", "surrogatepass"))


# Salts: one per independent decision.
_S_KIND, _S_SHAPE, _S_BODY, _S_TITLE, _S_TAGS, _S_EDIT, _S_LINK = range(1, 8)

# --- ids → time ------------------------------------------------------------------------------------------

# (local date, id) read off the site notes' id-growth table; beyond the last point ≈55 ids a day.
_ANCHORS = ((date(2014, 11, 1), 0), (date(2015, 5, 13), 16768), (date(2016, 9, 15), 44776),
            (date(2018, 4, 15), 75961), (date(2021, 12, 15), 149675), (date(2024, 4, 15), 195000))
_ANCHOR_IDS = [i for _, i in _ANCHORS]
_ANCHOR_TS = [datetime(d.year, d.month, d.day, tzinfo=TIMEZONE).timestamp() for d, _ in _ANCHORS]
_IDS_PER_DAY = 55
_VISIT_DAY_ZERO = date(2024, 4, 29)


def _id_timestamp(article_id: float) -> float:
    k = bisect.bisect_right(_ANCHOR_IDS, article_id) - 1
    if k >= len(_ANCHORS) - 1:
        return _ANCHOR_TS[-1] + (article_id - _ANCHOR_IDS[-1]) * 86400 / _IDS_PER_DAY
    k = max(k, 0)
    span = (article_id - _ANCHOR_IDS[k]) / (_ANCHOR_IDS[k + 1] - _ANCHOR_IDS[k])
    return _ANCHOR_TS[k] + span * (_ANCHOR_TS[k + 1] - _ANCHOR_TS[k])


def _published(seed: int, article_id: int, shape: int) -> datetime:
    # Within its own slot, so times rise with ids ...
    ts = _id_timestamp(article_id + (shape % 997) / 1000)
    # ... except ~2% published hours before their id's neighbours (ids are not strictly in date order).
    if (shape >> 10) % 100 < 2:
        ts -= 3600 * (1 + (shape >> 17) % 6)
    return _local(ts)


def _local(ts: float) -> datetime:
    local = datetime.fromtimestamp(int(ts), TIMEZONE)
    if local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset():
        # An hour that happens twice when DST ends: the printed time could not tell which. Avoid it.
        local = datetime.fromtimestamp(int(ts) + 7200, TIMEZONE)
    return local


def visit_date(config: MirrorConfig) -> date:
    """The day the mirror pretends to be visited on (the site header prints it)."""
    last = datetime.fromtimestamp(_id_timestamp(config.end_id), TIMEZONE).date() + timedelta(days=1)
    return max(_VISIT_DAY_ZERO, last) + timedelta(days=config.day)


def format_timestamp(moment: datetime) -> str:
    """The page's publication time: ``2016-02-19 11:15:08 PM`` (12-hour clock, Latin digits)."""
    hour = moment.hour % 12 or 12
    return f"{moment:%Y-%m-%d} {hour:02d}:{moment:%M:%S} {'PM' if moment.hour >= 12 else 'AM'}"


def format_visit_date(day: date) -> str:
    """The site header: ``الإثنين  29 نيسان 2024`` (weekday, day, Levantine month, year)."""
    return f"{W.WEEKDAYS[day.weekday()]}  {day.day} {W.LEVANTINE_MONTHS[day.month - 1]} {day.year}"


def hijri(day: date) -> str:
    return Gregorian(day.year, day.month, day.day).to_hijri().isoformat()


# --- per-id decisions (cheap) ----------------------------------------------------------------------------

# Byline forms. News sections: agency, city + writer, city alone, writer alone, other outlets' forms.
AGENCY, AGENCIES, CITY_WRITER, CITY, WRITER, OUTLET, OPINION_IMAGE, OPINION_PLAIN = (
    "agency", "agencies", "city_writer", "city", "writer", "outlet", "opinion_image", "opinion_plain")
_NEWS_FORMS = ((AGENCY, 36), (AGENCIES, 8), (CITY_WRITER, 22), (CITY, 10), (WRITER, 16), (OUTLET, 8))


def _weighted(roll: int, table) -> str:
    for value, weight in table:
        if roll < weight:
            return value
        roll -= weight
    return table[-1][0]


@dataclass(frozen=True)
class Kind:
    """The cheap facts about an id, decided by hashes alone (no text generated)."""

    id: int
    status: str
    category_id: int = 0
    form: str = ""
    n_paragraphs: int = 0
    role: str = ""  # "" | "exact" | "near"
    source_id: int | None = None
    updated_on_day: int | None = None
    shape: int = 0  # more random bits for the page's shape (image, encoding, layout)


@lru_cache(maxsize=8192)
def kind(seed: int, article_id: int, start_id: int, end_id: int) -> Kind:
    own = _own_kind(seed, article_id)
    if own.status != ARTICLE or not own.role:
        return own
    # A re-published agency story: copy an earlier plain agency story of the served range.
    roll = mix(seed, article_id, _S_EDIT)
    first = 1 + roll % 40
    for back in range(first, first + 12):
        source = _own_kind(seed, article_id - back)
        if (article_id - back >= start_id and _republishable(source)
                and (own.role == "exact" or source.n_paragraphs >= 8)):
            return Kind(article_id, ARTICLE, source.category_id, source.form, source.n_paragraphs, own.role,
                        source.id, None, own.shape)
    return Kind(article_id, ARTICLE, own.category_id, own.form, own.n_paragraphs, "", None,
                own.updated_on_day, own.shape)


def _republishable(k: Kind) -> bool:
    return k.status == ARTICLE and k.form in (AGENCY, AGENCIES) and not k.role and k.updated_on_day is None


def _own_kind(seed: int, article_id: int) -> Kind:
    h = mix(seed, article_id, _S_KIND)
    shape = mix(seed, article_id, _S_SHAPE)
    status_roll = h % 10000
    if status_roll < 300:
        return Kind(article_id, MISSING, shape=shape)
    if status_roll < 500:
        return Kind(article_id, SOFT404, shape=shape)
    category = CATEGORIES[bisect.bisect_right(_CATEGORY_CUTS, (h >> 14) % 1000)]
    form_roll = (h >> 24) % 100
    if category.news:
        form = _weighted(form_roll, _NEWS_FORMS)
    elif category.id == 220:
        form = OPINION_IMAGE if form_roll < 30 else WRITER
    else:
        form = OPINION_IMAGE if form_roll < 60 else OPINION_PLAIN
    role_roll = (h >> 34) % 1000
    role = ("exact" if role_roll < 15 else "near" if role_roll < 30 else "") if category.news else ""
    updated = 1 + (h >> 54) % 5 if (h >> 44) % 1000 < 25 and category.news and not role else None
    n_paragraphs = 3 + (h >> 4) % 13
    return Kind(article_id, ARTICLE, category.id, form, n_paragraphs, role, None, updated, shape)


def kind_of(config: MirrorConfig, article_id: int) -> Kind:
    return kind(config.seed, article_id, config.start_id, config.end_id)


def statuses(config: MirrorConfig) -> Iterator[tuple[int, str]]:
    """Every served id with its status (``article`` | ``soft404`` | ``missing``), ascending."""
    for article_id in range(config.start_id, config.end_id):
        yield article_id, _own_kind(config.seed, article_id).status


def article_ids(config: MirrorConfig) -> list[int]:
    """The served ids whose status is ``article``, ascending."""
    return [i for i, status in statuses(config) if status == ARTICLE]


# --- text ------------------------------------------------------------------------------------------------

def _sentence(rng: random.Random, words: int) -> str:
    r = rng.random
    out = [_VERBS[int(r() * _NV)], _NOUNS[int(r() * _NN)], _ADJS[int(r() * _NA)]]
    for _ in range(words - 3):
        roll = r()
        if roll < 0.45:
            out.append(_NOUNS[int(r() * _NN)])
        elif roll < 0.65:
            out.append(_ADJS[int(r() * _NA)])
        elif roll < 0.85:
            out.append(_LINKS[int(r() * _NL)])
        elif roll < 0.93:
            out.append(_VERBS[int(r() * _NV)])
        else:
            out.append(str(2 + int(r() * 979)))
    return " ".join(out)


_VERBS, _NOUNS, _ADJS, _LINKS = W.VERBS, W.NOUNS, W.ADJECTIVES, W.LINKS
_NV, _NN, _NA, _NL = len(_VERBS), len(_NOUNS), len(_ADJS), len(_LINKS)


def _paragraph(rng: random.Random) -> str:
    sentences = [_sentence(rng, rng.randint(8, 18)) for _ in range(rng.randint(1, 3))]
    if rng.random() < 0.4:
        sentences[0] = f"{rng.choice(W.CONNECTORS)} {sentences[0]}"
    return "، ".join(sentences) + "."


def _title(rng: random.Random) -> str:
    core = [rng.choice(W.NOUNS), rng.choice(W.ADJECTIVES), rng.choice(W.LINKS), rng.choice(W.NOUNS)]
    verb = rng.choice(W.VERBS)
    roll = rng.random()
    if roll < 0.12:
        return f"{rng.choice(W.CITIES)}: {verb} {' '.join(core)}"
    if roll < 0.22:
        return f"{verb} {core[0]} «{' '.join(core[1:])}»"
    if roll < 0.30:
        return f"{verb} {' '.join(core[:2])} - {' '.join(core[2:])}"
    if roll < 0.36:  # a vowelled word: slugs keep diacritics
        return f"{verb}َ {' '.join(core)}"
    return f"{verb} {' '.join(core)} {rng.choice(W.ADJECTIVES)}"


def slugify(title: str) -> str:
    """The site's slug: quotes, ``/`` and ``:`` dropped, each space → ``-`` (`` - `` → ``---``)."""
    return title.translate(_SLUG_DROP).replace(" ", "-")


_SLUG_DROP = dict.fromkeys(map(ord, "\"'«»“”/:?#%"), None)


@dataclass(frozen=True)
class Byline:
    printed: str  # as the page prints it (may carry a leading space)
    authors: tuple[str, ...] = ()
    agencies: tuple[str, ...] = ()
    dateline: str = ""

    @property
    def raw(self) -> str:
        return self.printed.strip()


def _news_byline(form: str, rng: random.Random, published: datetime) -> Byline:
    if form in (AGENCY, AGENCIES):
        spelling, code = ("وكالات", "agencies") if form == AGENCIES else rng.choice(W.AGENCY_SPELLINGS[:-1])
        return Byline(f"الحدث{rng.choice((' - ', '- ', '-', ' – '))}{spelling}", agencies=(code,))
    if form == CITY_WRITER:
        city, writer = rng.choice(W.CITIES[:3] + W.CITIES), rng.choice(W.WRITERS)
        s1, s2 = rng.choice((" - ", "-", " – ")), rng.choice((" – ", ": ", " - "))
        return Byline(f"الحدث{s1}{city}{s2}{writer} -", authors=(writer,), dateline=city)
    if form == CITY:
        city = rng.choice(W.CITIES)
        return Byline(f"الحدث{rng.choice(('-', ' - ', ' – '))}{city}", dateline=city)
    if form == WRITER:
        writer = rng.choice(W.WRITERS)
        return Byline(rng.choice(("", " ")) + writer, authors=(writer,))
    # Forms other Palestinian outlets use, which agency copy brings along.
    variant = rng.randrange(3)
    if variant == 0:
        return Byline(f"رام الله {published.day}-{published.month}-{published.year} وفا-",
                      agencies=("WAFA",), dateline="رام الله")
    if variant == 1:
        return Byline("رام الله (الضفة الغربية) (رويترز) -", agencies=("Reuters",), dateline="رام الله")
    return Byline("عواصم - أ ف ب:", agencies=("AFP",), dateline="عواصم")


@dataclass(frozen=True)
class Article:
    """One id as served on the configured visit day, with everything its page and truth need."""

    id: int
    status: str
    published: datetime | None = None
    category_id: int = 0
    title: str = ""
    byline: Byline | None = None
    byline_line: bool = True  # False: the opinion form, where the image caption is the byline
    image: str | None = None
    caption: str = ""
    paragraphs: tuple[str, ...] = ()
    tags: tuple[int, ...] = ()
    encoding: str = "utf-8"
    sidebar_first: bool = False
    exact_duplicate_of: int | None = None
    near_duplicate_of: int | None = None
    updated_on_day: int | None = None

    @property
    def slug(self) -> str:
        return slugify(self.title)

    @property
    def category(self) -> Category | None:
        return CATEGORY_BY_ID.get(self.category_id)

    @property
    def url(self) -> str:
        return f"{SITE_BASE_URL}/article/{self.id}"


def article(config: MirrorConfig, article_id: int) -> Article:
    """The article (or soft-404 / missing page) served under ``article_id``, with its paragraphs."""
    return _article(config.seed, article_id, config.start_id, config.end_id, config.day)


def headline(config: MirrorConfig, article_id: int) -> Article:
    """The same without paragraphs (cheap): what links, sidebars and listings need."""
    return _head(config.seed, article_id, config.start_id, config.end_id, config.day)


@lru_cache(maxsize=512)
def _article(seed: int, article_id: int, start_id: int, end_id: int, day: int) -> Article:
    head = _head(seed, article_id, start_id, end_id, day)
    if head.status != ARTICLE:
        return head
    k = kind(seed, article_id, start_id, end_id)
    if k.source_id is not None:
        paragraphs = _article(seed, k.source_id, start_id, end_id, day).paragraphs
        if k.role == "near":
            paragraphs = (_light_edit(paragraphs[0], random.Random(mix(seed, article_id, _S_EDIT))),
                          *paragraphs[1:])
        return replace(head, paragraphs=paragraphs)
    body_rng = random.Random(mix(seed, article_id, _S_BODY))
    paragraphs = [_paragraph(body_rng) for _ in range(k.n_paragraphs)]
    if k.updated_on_day is not None and day >= k.updated_on_day:
        edit = random.Random(mix(seed, article_id, _S_EDIT))
        if edit.random() >= 0.5:  # (below 0.5 the title changed instead: see _head)
            at = edit.randrange(len(paragraphs))
            paragraphs[at] = paragraphs[at][:-1] + "، " + _sentence(edit, 10) + "."
    return replace(head, paragraphs=tuple(paragraphs))


@lru_cache(maxsize=2048)
def _head(seed: int, article_id: int, start_id: int, end_id: int, day: int) -> Article:
    k = kind(seed, article_id, start_id, end_id)
    if k.status != ARTICLE:
        return Article(article_id, k.status)
    published = _published(seed, article_id, k.shape)
    tag_bits = mix(seed, article_id, _S_TAGS)
    tags = tuple(dict.fromkeys(1 + (tag_bits >> (8 * i)) % len(TAGS) for i in range(1 + tag_bits % 3)))
    shape = dict(tags=tags, encoding="cp1256" if (k.shape >> 25) % 100 < 5 else "utf-8",
                 sidebar_first=(k.shape >> 32) % 100 < 30)
    if k.source_id is not None:
        source = _head(seed, k.source_id, start_id, end_id, day)
        if published <= source.published:  # a re-publication comes after its original
            published = _local(source.published.timestamp() + 60 * (7 + k.shape % 90))
        return Article(article_id, ARTICLE, published, source.category_id, source.title, source.byline,
                       source.byline_line, source.image, source.caption,
                       exact_duplicate_of=k.source_id if k.role == "exact" else None,
                       near_duplicate_of=k.source_id if k.role == "near" else None, **shape)

    rng = random.Random(mix(seed, article_id, _S_TITLE))
    title = _title(rng)
    category = CATEGORY_BY_ID[k.category_id]
    image = caption = None
    byline_line = True
    if k.form in (OPINION_IMAGE, OPINION_PLAIN):
        author = W.EDITOR_IN_CHIEF if category.id == 40 else rng.choice(W.COLUMNISTS)
        if k.form == OPINION_IMAGE or rng.random() < 0.5:
            title += rng.choice((f" - {author}", f"/ بقلم: {author}"))
        byline = Byline(rng.choice(("", " ")) + author, authors=(author,))
        if k.form == OPINION_IMAGE:
            image, caption, byline_line = f"/images/authors/{text_hash(author)}.jpg", author, False
    elif k.form == WRITER and category.id == 220:
        poet = rng.choice(W.POETS)
        byline = Byline(rng.choice(("", " ")) + poet, authors=(poet,))
        if (k.shape >> 40) % 100 < 30:  # a literature piece with the author's photo: caption = byline
            title += f" - {poet}"
            image, caption, byline_line = f"/images/authors/{text_hash(poet)}.jpg", poet, False
    else:
        byline = _news_byline(k.form, rng, published)
        if (k.shape >> 40) % 100 < 60:
            image = f"/images/{published:%Y/%m}/{article_id}.jpg"
            caption = (rng.choice(W.CAPTIONS) if rng.random() < 0.5
                       else f"{rng.choice(W.NOUNS)} {rng.choice(W.ADJECTIVES)}")
    if k.updated_on_day is not None and day >= k.updated_on_day:
        edit = random.Random(mix(seed, article_id, _S_EDIT))
        if edit.random() < 0.5:
            title = f"{title} {edit.choice(W.ADJECTIVES)}"
    return Article(article_id, ARTICLE, published, category.id, title, byline, byline_line, image, caption or "",
                   updated_on_day=k.updated_on_day, **shape)


def _light_edit(paragraph: str, rng: random.Random) -> str:
    """A re-published story's light edit: two words of its first paragraph replaced."""
    tokens = paragraph.split(" ")
    for at in rng.sample(range(len(tokens) - 1), 2):
        tokens[at] = next(w for w in iter(lambda: rng.choice(W.NOUNS), None) if w != tokens[at])
    return " ".join(tokens)


# --- indexes for listing pages ---------------------------------------------------------------------------

@lru_cache(maxsize=8)
def _indexes(seed: int, start_id: int, end_id: int) -> tuple[dict[int, array], dict[int, array]]:
    """Article ids per section and per tag, newest (highest id) first, as 4-byte arrays."""
    by_category = {c.id: array("I") for c in CATEGORIES}
    by_tag = {t: array("I") for t, _ in TAGS}
    n_tags = len(TAGS)
    for article_id in range(end_id - 1, start_id - 1, -1):
        k = _own_kind(seed, article_id)
        if k.role:  # a re-publication takes its original's section
            k = kind(seed, article_id, start_id, end_id)
        if k.status != ARTICLE:
            continue
        by_category[k.category_id].append(article_id)
        bits = mix(seed, article_id, _S_TAGS)
        for tag in dict.fromkeys(1 + (bits >> (8 * i)) % n_tags for i in range(1 + bits % 3)):
            by_tag[tag].append(article_id)
    kind.cache_clear()  # the pass filled the cache with ids no page asked for
    return by_category, by_tag


def category_ids(config: MirrorConfig, category_id: int) -> array:
    return _indexes(config.seed, config.start_id, config.end_id)[0][category_id]


def tag_ids(config: MirrorConfig, tag_id: int) -> array:
    return _indexes(config.seed, config.start_id, config.end_id)[1][tag_id]


def newest_ids(config: MirrorConfig, count: int, below: int | None = None) -> list[int]:
    """The ``count`` highest article ids (below ``below`` if given), newest first."""
    out: list[int] = []
    article_id = (below if below is not None else config.end_id) - 1
    while len(out) < count and article_id >= config.start_id:
        if _own_kind(config.seed, article_id).status == ARTICLE:
            out.append(article_id)
        article_id -= 1
    return out
