"""Bylines: every form of the site notes and the conventions, table-driven."""

from __future__ import annotations

import pytest

from crawler.bylines import AGENCIES, CITIES, Byline, agency_code, author_from_title, is_city, parse_byline
from crawler.sites import get_site

SITE = get_site("alhadath")

OWN = SITE.own_names  # the outlet's name is site knowledge: the site file declares it

# (byline as printed, authors, agencies, dateline)
FORMS = [
    # the site notes' forms
    ("الحدث - ا ف ب", [], ["AFP"], ""),
    ("الحدث - رام الله – محمد غفري -", ["محمد غفري"], [], "رام الله"),
    ("الحدث - غزة: سامي أبو سالم -", ["سامي أبو سالم"], [], "غزة"),
    ("الحدث- وكالات", [], ["agencies"], ""),
    ("الحدث-تل أبيب", [], [], "تل أبيب"),
    ("رولا سرحان", ["رولا سرحان"], [], ""),
    (" رولا سرحان", ["رولا سرحان"], [], ""),
    ("رام الله - الحدث", [], [], "رام الله"),
    ("بقلم: رولا سرحان", ["رولا سرحان"], [], ""),
    # each separator of the grammar: " - ", "-", " – ", ": "
    ("الحدث-رام الله-محمد غفري-", ["محمد غفري"], [], "رام الله"),
    ("الحدث – نابلس – دعاء حمد –", ["دعاء حمد"], [], "نابلس"),
    ("الحدث: الخليل: يوسف الشايب -", ["يوسف الشايب"], [], "الخليل"),
    ("الحدث - ريم أبو لبن", ["ريم أبو لبن"], [], ""),
    # other Palestinian outlets' forms
    ("رام الله 11-4-2025 وفا-", [], ["WAFA"], "رام الله"),
    ("رام الله -PNN-", [], ["PNN"], "رام الله"),
    ("غزة - وكالة خبر", [], ["وكالة خبر"], "غزة"),
    ("رام الله (الضفة الغربية) (رويترز) -", [], ["Reuters"], "رام الله"),
    ("عواصم - أ ف ب:", [], ["AFP"], "عواصم"),
    # the outlet alone is a source, never an author or a dateline
    ("الحدث", [], [], ""),
    ("", [], [], ""),
]


@pytest.mark.parametrize(("printed", "authors", "agencies", "dateline"), FORMS)
def test_byline_forms(printed, authors, agencies, dateline):
    assert parse_byline(printed, own_names=OWN) == Byline(authors, agencies, dateline)


@pytest.mark.parametrize(("printed", "code"), sorted(AGENCIES.items()))
def test_every_agency_spelling_after_the_outlet(printed, code):
    for sep in (" - ", "-", " – ", "- "):
        assert parse_byline(f"الحدث{sep}{printed}", own_names=OWN) == Byline([], [code], "")


def test_agency_table_is_the_site_notes_table():
    assert set(AGENCIES.values()) == {"AFP", "Reuters", "AP", "Anadolu", "WAFA", "Maan", "Safa", "dpa", "Xinhua",
                                      "SANA", "SPA", "WAM", "QNA", "Petra", "MENA", "agencies"}
    assert agency_code("وكالة الأناضول") == "Anadolu"
    assert agency_code("أ.ف.ب") == "AFP"
    assert agency_code("رولا سرحان") is None


def test_own_names_are_configurable():
    assert parse_byline("معا - بيت لحم", own_names=("معا",)) == Byline([], [], "بيت لحم")
    assert parse_byline("معا - بيت لحم") == Byline([], ["Maan"], "بيت لحم")


@pytest.mark.parametrize(("title", "author"), [
    ("عن الذين ينتظرون على الحواجز - رولا سرحان", "رولا سرحان"),
    ("فتح المدرب «الشرقية على الجدار»/ بقلم: هاني المصري", "هاني المصري"),
    ("كلام في السياسة /بقلم: عبد الغني سلامة", "عبد الغني سلامة"),
    ("نتنياهو - غانتس: لا اتفاق", None),  # a news title with a dash is no signature
    ("مباحثات بين الوفدين - رام الله", None),  # a city, not a writer
    ("أعلن المجلس - الجلسة المقبلة في موعدها المحدد اليوم", None),  # too long for a name
    ("عنوان عادي بلا توقيع", None),
])
def test_author_from_title(title, author):
    assert author_from_title(title) == author


def test_byline_results_are_fresh_lists():
    first = parse_byline("الحدث - ا ف ب", own_names=OWN)
    first.agencies.append("X")
    assert parse_byline("الحدث - ا ف ب", own_names=OWN).agencies == ["AFP"]


# ---------------------------------------------------------------------------------------------------------
# Inputs the mirror cannot make (issue 10): towns nobody's table lists, labels, combined agencies,
# honorifics. The mirror draws its cities from a ten-city list and its writers from a fixed roster.

def test_the_outlet_name_comes_from_the_site_not_from_generic_code():
    import inspect

    assert inspect.signature(parse_byline).parameters["own_names"].default == ()
    assert SITE.own_names == ("الحدث",)
    # passed in, the name is a source; another outlet's module passes its own
    assert parse_byline("الحدث - ا ف ب", own_names=OWN) == Byline([], ["AFP"], "")
    assert parse_byline("سما - نابلس", own_names=("سما",)) == Byline([], [], "نابلس")


# Palestinian towns, villages and camps (public gazetteer data, PCBS locality names), none of them in
# bylines.CITIES: one-word names, names with an article, and names whose first word marks a place.
LOCALITIES = (
    "سلواد", "عزون", "بيتا", "قصرة", "ترمسعيا", "المغير", "كفر قدوم", "بيت أمر", "دورا", "سعير", "عقابا",
    "طمون", "عرابة", "برقين", "بيت فوريك", "سنجل", "عابود", "نعلين", "بلعين", "بدرس", "قبية", "النبي صالح",
    "كوبر", "جيوس", "حوارة", "بورين", "عوريف", "تقوع", "الخضر", "العروب", "الظاهرية", "السموع", "بني نعيم",
    "إذنا", "ترقوميا", "صوريف", "نحالين", "العيزرية", "عناتا", "الرام", "بيرزيت", "دير جرير", "الطيبة",
    "العوجا", "الجفتلك", "تياسير", "يعبد", "الزبابدة", "اليامون", "عنبتا", "كفر اللبد", "شويكة", "عصيرة القبلية",
    "قراوة بني حسان", "سيلة الظهر", "أبو ديس", "مخيم الجلزون", "مسافر يطا", "عين يبرود", "بديا", "حجة",
)
# A writer's slot is filled by people of the site notes' shape, and by people with an honorific.
WRITERS = ("أحمد سعيد", "سامي أبو سالم", "لينا أبو الحلاوة", "يوسف الشايب", "د. رولا سرحان")


def test_localities_are_outside_every_table():
    assert not [town for town in LOCALITIES if is_city(town)]
    assert set(LOCALITIES).isdisjoint(CITIES)


@pytest.mark.parametrize("town", LOCALITIES)
def test_an_unlisted_town_is_read_from_its_position(town):
    # alone after the outlet: a dateline (nothing marks it as a person)
    assert parse_byline(f"الحدث - {town}", own_names=OWN) == Byline([], [], town)
    assert parse_byline(f"الحدث-{town}", own_names=OWN) == Byline([], [], town)
    # the first of two segments before a writer
    for writer in WRITERS:
        for sep in (": ", " – ", " - "):
            assert parse_byline(f"الحدث - {town}{sep}{writer} -", own_names=OWN) == Byline([writer], [], town)
    # city first, then the source (other outlets' form, a date between them)
    assert parse_byline(f"{town} - وفا", own_names=OWN) == Byline([], ["WAFA"], town)
    assert parse_byline(f"{town} 11-4-2025 وفا-", own_names=OWN) == Byline([], ["WAFA"], town)
    assert parse_byline(f"{town} - الحدث", own_names=OWN) == Byline([], [], town)
    # after an agency credit
    assert parse_byline(f"الحدث - وفا - {town}", own_names=OWN) == Byline([], ["WAFA"], town)


def test_a_two_word_town_without_a_place_word_is_a_city_where_the_grammar_puts_one():
    # "كفل حارس" has nothing that marks a place: alone after the outlet it has a person's shape (a writer),
    # but in the city positions of the grammar it is the city.
    assert parse_byline("الحدث - كفل حارس: أحمد سعيد -", own_names=OWN) == Byline(["أحمد سعيد"], [], "كفل حارس")
    assert parse_byline("كفل حارس - وفا", own_names=OWN) == Byline([], ["WAFA"], "كفل حارس")


@pytest.mark.parametrize(("printed", "authors", "agencies", "dateline"), [
    # the reproductions
    ("الحدث - سلواد", [], [], "سلواد"),
    ("الحدث - عزون: أحمد سعيد -", ["أحمد سعيد"], [], "عزون"),
    ("الحدث - خاص", [], [], ""),
    ("الحدث - وفا ومعا", [], ["WAFA", "Maan"], ""),
    ("الحدث - رويترز، ا ف ب", [], ["Reuters", "AFP"], ""),
    ("د. رولا سرحان", ["د. رولا سرحان"], [], ""),
    ("محمد و أحمد", ["محمد", "أحمد"], [], ""),
    # labels say how, not who
    ("الحدث - متابعات", [], [], ""),
    ("خاص بالحدث", [], [], ""),
    ("الحدث - خاص - بيتا", [], [], "بيتا"),
    ("الحدث - رام الله - خاص", [], [], "رام الله"),
    ("الحدث - وكالات", [], ["agencies"], ""),
    # agencies combine with و، ، and /
    ("الحدث - رويترز/أ ف ب", [], ["Reuters", "AFP"], ""),
    ("الحدث - وفا، معا، الأناضول", [], ["WAFA", "Maan", "Anadolu"], ""),
    ("الحدث - وفا و معا", [], ["WAFA", "Maan"], ""),
    ("الحدث - الأناضول ورويترز", [], ["Anadolu", "Reuters"], ""),
    ("غزة - أ ف ب ورويترز:", [], ["AFP", "Reuters"], "غزة"),
    # honorifics belong to names, wherever the name stands
    ("الحدث - د. رولا سرحان", ["د. رولا سرحان"], [], ""),
    ("الحدث - د.مصطفى البرغوثي", ["د. مصطفى البرغوثي"], [], ""),
    ("أ. محمد غفري", ["أ. محمد غفري"], [], ""),
    ("الحدث - بيتا: م. خالد عودة -", ["م. خالد عودة"], [], "بيتا"),
    ("الحدث - رام الله - الشيخ عكرمة صبري", ["الشيخ عكرمة صبري"], [], "رام الله"),
    ("الحدث - الدكتور جمال زقوت", ["الدكتور جمال زقوت"], [], ""),
    ("بقلم: د. أحمد جميل عزم", ["د. أحمد جميل عزم"], [], ""),
    # lists of writers
    ("الحدث - نابلس: دعاء حمد، هبة دراغمة -", ["دعاء حمد", "هبة دراغمة"], [], "نابلس"),
    ("كتب: محمد غفري و ريم أبو لبن", ["محمد غفري", "ريم أبو لبن"], [], ""),
    # a writer's name after the outlet stays a writer
    ("الحدث - ريم أبو لبن", ["ريم أبو لبن"], [], ""),
    ("الحدث - وليد عبد الرحيم", ["وليد عبد الرحيم"], [], ""),
])
def test_byline_grammar_beyond_the_tables(printed, authors, agencies, dateline):
    assert parse_byline(printed, own_names=OWN) == Byline(authors, agencies, dateline)


@pytest.mark.parametrize(("title", "author"), [
    ("عن الذين ينتظرون على الحواجز/ بقلم: د. رولا سرحان", "د. رولا سرحان"),
])
def test_author_from_title_keeps_the_honorific(title, author):
    assert author_from_title(title) == author
