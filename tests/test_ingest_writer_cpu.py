"""pipe8's cuts in the writer's CPU give what they gave: the clean of paragraphs a crawl's worker cleaned already
(``carried_text``), the images' JSON written directly (``encode_value``), and the band keys made once an article
(``band_keys_of``). The clean is held to main's (3bf1755, read from git) on random records."""

from __future__ import annotations

import functools
import importlib.util
import json
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crawler.ingest.batch
import crawler.ingest.dedupe
import crawler.storage.bands
import crawler.storage.batch
from crawler.dedupe import Fingerprint, carried_text
from crawler.ingest import ArticleItem, FetchInfo, Ingest
from crawler.ingest.batch import Batch
from crawler.ingest.clean import carried_fingerprint, clean_record
from crawler.sites import get_site
from crawler.storage import Archive
from crawler.storage.records import encode_value
from crawler.storage.keys import band_keys
from tests.test_dedupe import words
from tests.test_storage import record

REPO = Path(__file__).resolve().parents[1]
MAIN = "3bf1755"  # the clean before pipe8 (every paragraph cleaned, carried or not)


@functools.lru_cache(maxsize=None)
def _main_clean_record():
    """main's ``clean_record``, its module read from git into a file of its own and loaded from there."""
    path = Path(tempfile.mkdtemp(prefix="clean-main-")) / "clean_3bf1755.py"
    try:
        path.write_text(subprocess.check_output(["git", "show", f"{MAIN}:crawler/ingest/clean.py"], cwd=REPO,
                                                text=True, stderr=subprocess.DEVNULL), encoding="utf-8")
    except (OSError, subprocess.CalledProcessError):
        pytest.skip(f"no git history holding {MAIN} (the reference clean)")
    spec = importlib.util.spec_from_file_location("clean_3bf1755", path)
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded.clean_record


# Text with what the clean changes: spaces at the ends and in runs, line breaks, invisible marks, &nbsp;, an
# accent to compose (e + U+0301) or left bare after a removed mark, Arabic and its spelling variants.
_CHARS = list("خبر نصكلمة ab\u200f\u200b\u00a0\t\n  ١٢أإىةe\u0301\u0650\"\\")
_TEXT = st.text(alphabet=st.sampled_from(_CHARS), max_size=30)
_PARAGRAPHS = st.lists(st.one_of(_TEXT, st.none()), max_size=6)


@settings(max_examples=400, deadline=None)
@given(paragraphs=_PARAGRAPHS, other=_PARAGRAPHS, title=_TEXT, how=st.sampled_from(
    ["raw", "clean", "other", "merged", "split", "no-flag", "none"]))
def test_the_clean_is_mains_whatever_the_carried_fingerprint(paragraphs, other, title, how):
    # "clean": the paragraphs are clean already (the worker's clean left them as they were: the cut's case);
    # "merged"/"split": the same text as the carried entries' lines, in other entries (must be cleaned as main
    # cleans them); "other": another record's fingerprint; "no-flag": a fingerprint not marked as made of cleaned
    # paragraphs (a body's carried() alone).
    main_clean = _main_clean_record()
    cleaned = main_clean({"paragraphs": list(paragraphs)})["paragraphs"]
    given_paragraphs = {"clean": cleaned, "merged": ["\n".join(cleaned)] if cleaned else [],
                        "split": [line for entry in cleaned for line in entry.split(" ")]}.get(how, paragraphs)
    rec = {"article_id": 7, "title": title, "paragraphs": list(given_paragraphs), "extra": 1}
    if how == "other":
        carried = carried_fingerprint({"paragraphs": other})
    elif how == "no-flag":
        carried = Fingerprint(cleaned).carried(body=True)
    elif how == "none":
        carried = None
    else:
        carried = carried_fingerprint({"paragraphs": paragraphs})
    expected = main_clean(dict(rec))
    item = clean_record(ArticleItem(rec, carried=carried))
    assert dict(item) == expected
    # The fingerprint dedupe makes of the cleaned item: the one made of main's cleaned record.
    made, reference = Fingerprint(item["paragraphs"], carried), Fingerprint(expected["paragraphs"])
    assert (made.content_hash, made.band_hashes, made.evidence, made.search_form) == \
        (reference.content_hash, reference.band_hashes, reference.evidence, reference.search_form)


def test_clean_paragraphs_a_worker_carried_are_not_cleaned_again(monkeypatch):
    import crawler.ingest.clean as clean

    body = " ".join(words(0, 60))
    rec = {"article_id": 5, "title": "خبر", "paragraphs": [body, body + " ثانية"]}
    item = ArticleItem(dict(rec), carried=carried_fingerprint(rec))
    cleaned_lists = []
    real = clean.clean_list
    monkeypatch.setattr(clean, "clean_list", lambda key, values: cleaned_lists.append(key) or real(key, values))
    clean_record(item)
    assert "paragraphs" not in cleaned_lists and "tags" in cleaned_lists
    assert item["paragraphs"] == rec["paragraphs"] and item["paragraphs"] is not rec["paragraphs"]
    # Paragraphs that are not clean (an RLM mark, spaces at an end) are cleaned: their lines are not the carried.
    raw = {**rec, "paragraphs": [f" {body}\u200f", "", body + " ثانية"]}
    item = ArticleItem(dict(raw), carried=carried_fingerprint(raw))
    clean_record(item)
    assert "paragraphs" in cleaned_lists and item["paragraphs"] == rec["paragraphs"]


def test_carried_text_needs_the_same_entries_not_only_the_same_lines():
    carried = carried_fingerprint({"paragraphs": ["سطر أول", "سطر ثان"]})
    assert carried_text(["سطر أول", "سطر ثان"], carried)
    assert not carried_text(["سطر أول\nسطر ثان"], carried)  # the same text, one entry holding a line break
    assert not carried_text(("سطر أول", "سطر ثان"), carried)  # not a list: cleaned the usual way
    assert not carried_text(["سطر أول", None], carried)
    assert not carried_text(["سطر أول", "سطر ثان"], {**carried, "body": {**carried["body"], "clean": False}})
    assert not carried_text(["سطر أول", "سطر ثان"], {**carried, "body": {**carried["body"], "version": -1}})


_JSON_TEXT = st.text(alphabet=st.sampled_from(list('ab "\\\n\t\x01\u200fخ١/é')), max_size=12)


@settings(max_examples=400, deadline=None)
@given(value=st.lists(st.one_of(
    st.dictionaries(_JSON_TEXT, _JSON_TEXT, max_size=3),
    st.dictionaries(st.sampled_from(["url", "caption"]), st.one_of(_JSON_TEXT, st.none(), st.integers()),
                    max_size=2),
    _JSON_TEXT, st.none()), max_size=4))
def test_encode_value_is_json_dumps(value):
    assert encode_value(value) == json.dumps(value, ensure_ascii=False)


def _count_band_keys(monkeypatch) -> list:
    calls = []

    def counted(band_hashes):
        calls.append(len(band_hashes))
        return band_keys(band_hashes)

    for module in (crawler.ingest.dedupe, crawler.storage.bands, crawler.storage.batch):
        monkeypatch.setattr(module, "band_keys", counted)
    return calls


@pytest.mark.parametrize("batched", [False, True])
def test_band_keys_are_made_once_an_article(tmp_path, monkeypatch, batched):
    items = [ArticleItem(record(article_id, paragraphs=[" ".join(words(100 * article_id, 100 * article_id + 60))]),
                         fetch=FetchInfo(url=f"https://example.org/{article_id}"))
             for article_id in range(1, 8)]
    with Archive(tmp_path / "a.db", batch_size=3) as archive:
        ingest = Ingest(archive, get_site("alhadath"), archive.start_run("alhadath", command="test", args={}))
        calls = _count_band_keys(monkeypatch)
        writer = Batch(ingest, hold=2) if batched else ingest
        if batched:
            writer.prefetch(items)
        for item in items:
            writer.record(item)
        writer.commit()
        # One for each article's lookup, hold and insert (the content keys, a level of one key an article, are
        # keyed by the same rule: those calls are not the article's bands).
        assert [count for count in calls if count != 1] == [16] * len(items)
        for item in items:
            assert item.fingerprint.band_keys == band_keys(item.fingerprint.band_hashes)
            assert archive.bands.article_ids("alhadath", item.fingerprint.band_hashes) >= {item["article_id"]}
    assert crawler.ingest.batch.band_keys_of is crawler.ingest.dedupe.band_keys_of
