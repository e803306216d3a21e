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


# -- the same story only on evidence; near links independent of crawl order (issue 10) -------------------

import itertools  # noqa: E402
from types import SimpleNamespace  # noqa: E402

import pytest  # noqa: E402

from crawler.dedupe import EVIDENCE_WORDS, is_evidence  # noqa: E402
from crawler.sites import get_site  # noqa: E402
from crawler.storage import Archive  # noqa: E402
from pipelines.context import RunContext  # noqa: E402
from pipelines.dedupe import DedupePipeline  # noqa: E402
from pipelines.items import ArticleItem  # noqa: E402
from pipelines.store import StorePipeline  # noqa: E402
from tests.test_storage import record  # noqa: E402


class _Stats(dict):
    def inc_value(self, key, count=1, start=0):
        self[key] = self.get(key, 0) + count


def crawl(tmp_path, records: list[dict]) -> tuple[dict[int, tuple], dict[int, int]]:
    """Dedupe + store ``records`` in this order into a fresh archive: ({id: (near_duplicate_of,
    similarity)} of the articles, {alias id: article id})."""
    path = tmp_path / f"a{next(_archives)}.db"
    from scrapy.signalmanager import SignalManager

    crawler = SimpleNamespace(stats=_Stats(), settings={}, signals=SignalManager(), spider=None)
    with Archive(path) as archive:
        run_id = archive.start_run("alhadath", command="crawl", args={})
        crawler.arshif_context = RunContext(archive=archive, site=get_site("alhadath"), run_id=run_id,
                                            command="crawl")
        dedupe, store = DedupePipeline.from_crawler(crawler), StorePipeline.from_crawler(crawler)
        for rec in records:
            store.process_item(dedupe.process_item(ArticleItem(rec)))
        archive.commit()
        links = {row["article_id"]: (row["near_duplicate_of"], row["similarity"])
                 for row in archive.rows("select article_id, near_duplicate_of, similarity from articles")}
        aliases = {row["alias_id"]: row["article_id"] for row in archive.rows("select * from aliases")}
    return links, aliases


_archives = itertools.count()

# Boilerplate bodies of different stories on Arabic news sites: each pair has one body, two titles.
BOILERPLATE = [
    ("فيديو: اقتحام مخيم جنين", "فيديو: مسيرة في نابلس", ["شاهد الفيديو"]),
    ("بالصور: قطف الزيتون في سلفيت", "بالصور: معرض الكتاب في رام الله", ["بالصور"]),
    ("كاريكاتير اليوم: الانقسام", "كاريكاتير اليوم: الأسعار", ["كاريكاتير: محمد سباعنة"]),
    ("عاجل: إصابة شاب برصاص الاحتلال في قلقيلية", "عاجل: إغلاق حاجز قلنديا", ["التفاصيل تتبع"]),
    ("وفاة الأسير المحرر أحمد سعيد", "افتتاح مدرسة في طوباس",
     ["وقالت مصادر محلية للحدث إن الخبر صحيح وإن التفاصيل ستنشر لاحقا."]),
]
KINDS = ["video", "gallery", "caricature", "breaking", "one-line-brief"]


@pytest.mark.parametrize(("title_a", "title_b", "body"), BOILERPLATE, ids=KINDS)
def test_a_short_shared_body_under_different_titles_keeps_both_stories(tmp_path, title_a, title_b, body):
    assert not is_evidence(folded_body(body))
    for order in ((101, 102), (102, 101)):
        recs = {101: record(101, title=title_a, paragraphs=body), 102: record(102, title=title_b, paragraphs=body)}
        links, aliases = crawl(tmp_path, [recs[i] for i in order])
        assert links == {101: (None, None), 102: (None, None)} and aliases == {}


@pytest.mark.parametrize(("title_a", "_title_b", "body"), BOILERPLATE, ids=KINDS)
def test_a_short_body_under_the_same_title_is_one_story(tmp_path, title_a, _title_b, body):
    # the same video post republished under a new id: title (spelling aside) and body agree
    recs = [record(102, title=title_a.replace("إ", "ا"), paragraphs=body), record(101, title=title_a, paragraphs=body)]
    links, aliases = crawl(tmp_path, recs)
    assert links == {101: (None, None)} and aliases == {102: 101}


def test_a_long_identical_body_is_one_story_whatever_the_titles(tmp_path):
    body = [" ".join(f"كلمة{i}" for i in range(EVIDENCE_WORDS))]
    assert is_evidence(folded_body(body))
    links, aliases = crawl(tmp_path, [record(102, title="عنوان معدل", paragraphs=body),
                                      record(101, title="العنوان الأول", paragraphs=body)])
    assert links == {101: (None, None)} and aliases == {102: 101}


def test_short_bodies_are_never_near_duplicates(tmp_path):
    short = ["وقالت مصادر محلية للحدث إن الاحتلال اقتحم البلدة صباح اليوم"]
    edited = ["وقالت مصادر محلية للحدث إن الاحتلال اقتحم البلدة صباح أمس"]
    links, aliases = crawl(tmp_path, [record(1, title="اقتحام سلواد", paragraphs=short),
                                      record(2, title="اقتحام عزون", paragraphs=edited)])
    assert links == {1: (None, None), 2: (None, None)} and aliases == {}


def words(start: int, stop: int) -> list[str]:
    return [f"ك{i}" for i in range(start, stop)]


def shingle_set(tokens: list[str]) -> set[str]:
    return shingles(" ".join(tokens))


def chain_bodies(count: int) -> list[list[str]]:
    """Windows of 200 distinct words sliding by 10: neighbours J = 188/208 = 0.904, two apart 178/218 = 0.817."""
    return [words(10 * k, 10 * k + 200) for k in range(count)]


def star_bodies(leaves: int) -> list[list[str]]:
    """A centre of 200 words and leaves that each replace their own 8-word block (far apart) with new words:
    centre–leaf J = 188/208 = 0.904, leaf–leaf J = 178/218 = 0.817."""
    centre = words(0, 200)
    bodies = [centre]
    for leaf in range(leaves):
        at = 20 + 60 * leaf
        bodies.append(centre[:at] + words(1000 + 8 * leaf, 1008 + 8 * leaf) + centre[at + 8 :])
    return bodies


def test_the_test_bodies_have_the_stated_jaccard():
    a, b, c = map(shingle_set, chain_bodies(3))
    assert round(jaccard(a, b), 3) == round(jaccard(b, c), 3) == 0.904 and round(jaccard(a, c), 3) == 0.817
    centre, *leaves = map(shingle_set, star_bodies(3))
    assert {round(jaccard(centre, leaf), 3) for leaf in leaves} == {0.904}
    assert {round(jaccard(x, y), 3) for x, y in itertools.combinations(leaves, 2)} == {0.817}


def all_orders(tmp_path, ids: list[int], bodies: list[list[str]]) -> dict[tuple, list[tuple[int, ...]]]:
    """Each distinct stored table → the crawl orders that produced it."""
    recs = {i: record(i, title=f"خبر {i}", paragraphs=[" ".join(body)]) for i, body in zip(ids, bodies)}
    tables: dict[tuple, list[tuple[int, ...]]] = {}
    for order in itertools.permutations(ids):
        links, aliases = crawl(tmp_path, [recs[i] for i in order])
        tables.setdefault((tuple(sorted(links.items())), tuple(sorted(aliases.items()))), []).append(order)
    return tables


def test_chain_links_are_the_same_in_every_crawl_order(tmp_path):
    # the case: A(10) ≈ B(20) ≈ C(30); before, 10,20,30 stored {20:10, 30:20} and 10,30,20 {20:10, 30:None}
    [(table, orders)] = all_orders(tmp_path, [10, 20, 30], chain_bodies(3)).items()
    assert len(orders) == 6
    assert dict(table[0]) == {10: (None, None), 20: (10, 0.9038), 30: (20, 0.9038)}


def test_chain_of_four_with_ids_out_of_chain_order(tmp_path):
    # chain order 20 ≈ 40 ≈ 10 ≈ 30: each names its most similar lower id, if it has one
    [(table, orders)] = all_orders(tmp_path, [20, 40, 10, 30], chain_bodies(4)).items()
    assert len(orders) == 24
    assert dict(table[0]) == {10: (None, None), 20: (None, None), 30: (10, 0.9038), 40: (10, 0.9038)}


@pytest.mark.parametrize("centre", [5, 25, 45])  # the centre is the lowest, a middle or the highest id
def test_star_links_are_the_same_in_every_crawl_order(tmp_path, centre):
    ids = [centre, 10, 30, 40]
    [(table, orders)] = all_orders(tmp_path, ids, star_bodies(3)).items()
    assert len(orders) == 24
    links = dict(table[0])
    for leaf in (10, 30, 40):  # a leaf names the centre if it is lower, nothing else (leaves J = 0.817)
        assert links[leaf] == ((centre, 0.9038) if centre < leaf else (None, None))
    lower_leaves = [leaf for leaf in (10, 30, 40) if leaf < centre]
    assert links[centre] == ((min(lower_leaves), 0.9038) if lower_leaves else (None, None))  # tie: lowest id


def test_exact_copy_inside_a_chain_in_every_crawl_order(tmp_path):
    a, b, c = chain_bodies(3)
    tables = all_orders(tmp_path, [10, 20, 25, 30], [a, b, b, c])  # 25: an exact copy of 20 (alias)
    [(table, orders)] = tables.items()
    assert len(orders) == 24
    assert dict(table[0]) == {10: (None, None), 20: (10, 0.9038), 30: (20, 0.9038)} and dict(table[1]) == {25: 20}


def test_migration_drops_bands_and_links_of_short_bodies(tmp_path):
    from tests.legacy_archive import add_legacy_article, legacy_archive

    short = ["شاهد الفيديو"]
    long_body = [" ".join(words(0, 200))]
    db = legacy_archive(tmp_path / "old.db", "m102_short_bodies_are_not_near_duplicates")  # as it stored them
    for article_id, body, link in ((1, short, None), (2, short, 1), (3, long_body, None), (4, long_body, 3)):
        fp = Fingerprint(body)
        add_legacy_article(db, record(article_id, paragraphs=body), content_hash=fp.content_hash,
                           band_hashes=fp.band_hashes or [article_id] * BANDS,
                           near_duplicate_of=link, similarity=1.0 if link else None)
    db.close()
    with Archive(tmp_path / "old.db") as reopened:
        assert {r["article_id"] for r in reopened.rows("select distinct article_id from band_keys")} == {3, 4}
        links = {r["article_id"]: r["near_duplicate_of"] for r in reopened.rows("select * from articles")}
        assert links == {1: None, 2: None, 3: None, 4: 3}


def test_a_changed_body_relinks_the_copies_that_named_it(tmp_path):
    a, b, c = chain_bodies(3)
    other = words(5000, 5200)  # B's new body matches nothing
    recs = [record(i, title=f"خبر {i}", paragraphs=[" ".join(body)]) for i, body in ((10, a), (20, b), (30, c))]
    changed = record(20, title="خبر 20", paragraphs=[" ".join(other)])
    links, _ = crawl(tmp_path, [*recs, changed])
    assert links == {10: (None, None), 20: (None, None), 30: (None, None)}  # C named B; B moved away
    # B comes back to its old body: the same table as a crawl that never saw the change
    links, _ = crawl(tmp_path, [*recs, changed, recs[1]])
    assert links == {10: (None, None), 20: (10, 0.9038), 30: (20, 0.9038)}


# -- the numpy signature is the reference one (issue 15: vectorised MinHash) ------------------------------

def test_numpy_signature_equals_the_plain_python_definition():
    import random
    import zlib

    import numpy as np

    from crawler.dedupe import SLOTS, _reference_signature, _signature

    rng = random.Random(11)
    cases = [[], [0], [2**32 - 1], list(range(SLOTS)), [rng.getrandbits(32) for _ in range(5000)]]
    cases += [[rng.getrandbits(32) for _ in range(size)] for size in (1, 2, 3, 7, 50, 127, 128, 129, 250, 600)]
    cases += [[value * SLOTS + 5 for value in range(40)]]  # every hash in one bin: 127 borrowed
    cases += [[zlib.crc32(shingle.encode()) for shingle in shingles(" ".join(body(seed, words)))]
              for seed, words in ((1, 20), (2, 240), (3, 900))]
    for hashes in cases:
        assert _signature(iter(hashes)).tolist() == _reference_signature(hashes)
        assert _signature(np.array(hashes, dtype=np.int64)).tolist() == _reference_signature(hashes)  # Fingerprint's
        assert band_hashes(_signature(hashes)) == band_hashes(_reference_signature(hashes))


def test_fingerprint_search_form_is_that_of_its_folded_body():
    """The store indexes ``Fingerprint.search_form`` (made from the folded words at hand) in place of
    ``stem_folded(folded)``: the same text, clitics, hamza seats and presentation forms included."""
    from crawler.text import stem_folded

    bodies = [["والحكومة الفلسطينية تجتمع اليوم،", "مسؤول: «لا تعليق»."], ["ﻻ ﷺ ﺍلقدس", ""], [], ["COVID-19 ١٢٣"]]
    for paragraphs in bodies:
        fingerprint = Fingerprint(paragraphs)
        assert fingerprint.folded == folded_body(paragraphs)
        assert fingerprint.search_form == stem_folded(fingerprint.folded)


def test_fingerprint_bands_are_those_of_the_shingle_set():
    import zlib

    from crawler.dedupe import _reference_signature, folded_band_hashes

    for seed in range(20):
        paragraphs = body(seed, 40 + seed * 25)
        fingerprint = Fingerprint(paragraphs)
        folded = folded_body(paragraphs)
        reference = band_hashes(_reference_signature(map(zlib.crc32, (s.encode() for s in shingles(folded)))))
        assert fingerprint.band_hashes == reference == folded_band_hashes(folded)
        assert fingerprint.shingles == {s.encode() for s in shingles(folded)}


# -- a worker's fingerprint travels with the item; the writer checks it (issue 13) ------------------------

def test_a_carried_fingerprint_is_taken_only_for_the_same_body_and_scheme():
    import json

    from crawler.dedupe import SIGNATURE_VERSION
    from pipelines.items import ArticleItem, FetchInfo, from_message, to_message

    paragraphs = body(21, 120)
    sent = ArticleItem({"site": "alhadath", "article_id": 5, "paragraphs": paragraphs}, fetch=FetchInfo(url="u"))
    message = json.loads(json.dumps(to_message(sent), ensure_ascii=False))
    assert message["fingerprint"] == {"version": SIGNATURE_VERSION, "content_hash": content_hash(paragraphs),
                                      "band_hashes": Fingerprint(paragraphs).band_hashes}
    assert from_message(message).fingerprint.band_hashes == Fingerprint(paragraphs).band_hashes

    forged = [1] * BANDS  # bands that are not this body's: seen only when the message is taken as it is
    assert Fingerprint(paragraphs, {**message["fingerprint"], "band_hashes": forged}).band_hashes == forged
    for bad in ({"version": SIGNATURE_VERSION + 1}, {"content_hash": content_hash(body(22, 120))},
                {"band_hashes": forged[:-1]}, {"band_hashes": [*forged[:-1], "1"]}, {"band_hashes": None}):
        carried = {**message["fingerprint"], "band_hashes": forged, **bad}
        assert Fingerprint(paragraphs, carried).band_hashes == Fingerprint(paragraphs).band_hashes, bad
    older = {key: value for key, value in message.items() if key != "fingerprint"}  # an older worker's message
    assert from_message(older).fingerprint is None  # dedupe computes it
    short = ["شاهد الفيديو"]  # not evidence: no bands, carried or not
    assert Fingerprint(short, Fingerprint(short).carried()).band_hashes == []


def test_a_fingerprints_evidence_is_is_evidence_of_its_folded_body():
    """``Fingerprint.evidence`` counts the folded words it has instead of splitting the body again: the same
    answer around the line (29, 30, 31 words), for words that folding splits or removes, and for no words."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from crawler.dedupe import EVIDENCE_WORDS, is_evidence

    pieces = st.sampled_from(["كلمة", "الحكومة", "٢٠٢٤", "-", "،", "ـ", "َ", " ", "\u200f", "a.b", "x_y", "«ق»", "\n"])

    @given(st.lists(st.lists(pieces, max_size=8).map("".join), max_size=45))
    @settings(max_examples=300, deadline=None)
    def holds(words):
        for cut in (EVIDENCE_WORDS - 1, EVIDENCE_WORDS, EVIDENCE_WORDS + 1, len(words)):
            paragraphs = [" ".join(words[:cut])]
            assert Fingerprint(paragraphs).evidence == is_evidence(folded_body(paragraphs))

    holds()
