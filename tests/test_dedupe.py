"""crawler.dedupe: folded content hashes, word shingles, MinHash LSH candidates."""

from __future__ import annotations

import random

from crawler.dedupe import (
    BANDS,
    NEAR_THRESHOLD,
    Fingerprint,
    band_hashes,
    content_hash,
    folded_body,
    is_original_of,
    jaccard,
    minhash,
    shingles,
)

WORDS = ("الحكومة الفلسطينية المجلس التشريعي رام الله غزة الاحتلال المستوطنين القدس الأسرى الاقتصاد "
         "الوزارة اللجنة المركزية الانتخابات البلدية التعليم الصحة المستشفى الجامعة الطلاب المزارعين").split()


def body(seed: int, words: int = 300) -> list[str]:
    rng = random.Random(seed)
    text = [rng.choice(WORDS) + str(rng.randrange(1000)) for _ in range(words)]
    return [" ".join(text[i : i + 30]) for i in range(0, words, 30)]


def test_content_hash_ignores_spelling_variants_and_tashkeel():
    plain = ["قالت الحكومة إن الأسرى في القدس", "عدد 2024"]
    varied = ["قالَت الحكومـة ان الاسرى في القدس", "عدد ٢٠٢٤"]  # tashkeel, tatweel, إ→ا, Arabic-Indic digits
    assert content_hash(plain) == content_hash(varied)
    assert content_hash(plain) != content_hash(["قالت الحكومة إن الأسرى في غزة", "عدد 2024"])


def test_shingles_are_word_trigrams_of_folded_text():
    assert shingles("a b c d") == {"a b c", "b c d"}
    assert shingles("a b") == {"a b"}
    assert shingles("") == set()
    assert jaccard({"x"}, {"x"}) == 1.0 and jaccard({"x"}, {"y"}) == 0.0


def test_light_edit_is_near_duplicate_and_shares_a_band():
    original = body(1)
    edited = list(original)
    words = edited[0].split()
    words[3], words[10] = "كلمة", "أخرى"  # two words replaced, as a republished story
    edited[0] = " ".join(words)
    a, b = Fingerprint(original), Fingerprint(edited)
    assert a.content_hash != b.content_hash
    assert a.similarity(folded_body(edited)) >= NEAR_THRESHOLD
    assert set(enumerate(a.band_hashes)) & set(enumerate(b.band_hashes))


def test_unrelated_bodies_share_no_band():
    fingerprints = [Fingerprint(body(seed)) for seed in range(40)]
    for i, a in enumerate(fingerprints):
        for b in fingerprints[i + 1 :]:
            assert not set(enumerate(a.band_hashes)) & set(enumerate(b.band_hashes))


def test_minhash_estimates_jaccard():
    a = shingles(" ".join(body(5, 600)))
    b = set(list(a)[: int(len(a) * 0.7)])  # J = 0.7
    sa, sb = minhash(a), minhash(b)
    estimate = sum(x == y for x, y in zip(sa, sb)) / len(sa)
    assert abs(estimate - jaccard(a, b)) < 0.15
    assert len(band_hashes(sa)) == BANDS


def test_original_is_the_lower_id():
    assert is_original_of(99, 109) and not is_original_of(109, 99)
