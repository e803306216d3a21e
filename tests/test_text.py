from crawler.text import clean_text, fold_arabic, to_ascii_digits


def test_clean_text_removes_invisibles_and_collapses_space():
    assert clean_text("\u200f الحدث\u00a0-\u200b  ا ف ب \n") == "الحدث - ا ف ب"


def test_clean_text_keeps_arabic_letters_unchanged():
    text = "إسرائيل تُعلن مدينةً"
    assert clean_text(text) == text


def test_fold_arabic_unifies_spelling_variants():
    assert fold_arabic("إسرائيـــل تُعلن مدينةً ٢٠٢٤ أو آذار على") == "اسرائيل تعلن مدينه 2024 او اذار علي"


def test_to_ascii_digits_reads_arabic_indic_and_persian():
    assert to_ascii_digits("١٤/٧/۲۰۲۵") == "14/7/2025"
