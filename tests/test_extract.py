"""extract_article / extract_with_trace: decoding, the field chains, provenance, unknown sites, the CLI."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
import subprocess
import sys
from pathlib import Path

import pytest
from hijridate import Gregorian
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.extract import decode, extract_article, extract_with_trace
from crawler.mirror import MirrorConfig, article_ids, render
from crawler.sites import get_site

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "alhadath"
ARABIC = "قالت وزارة الصحة الفلسطينية إن الطواقم الطبية تعمل في ظروف صعبة، وإن المستشفيات تحتاج إلى الوقود والأدوية."
STAGES = {"selector", "jsonld", "meta", "time", "layout", "density", "trafilatura"}


# --- decoding ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("declared", "codec"), [("windows-1256", "cp1256"), ("cp1256", "cp1256"),
                                                 ("ISO-8859-6", "iso8859-6"), ("arabic", "iso8859-6")])
def test_http_charset_comes_first(declared, codec):
    body = f'<meta charset="utf-8"><p>{ARABIC}</p>'.encode(codec)
    assert decode(body, declared) == (body.decode(codec), codec)


def test_declared_utf8_that_is_not_utf8_is_detected():
    body = f"<p>{ARABIC}</p>".encode("cp1256")
    assert decode(body, "utf-8") == (f"<p>{ARABIC}</p>", "cp1256")


@pytest.mark.parametrize(("bom", "codec"), [(b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"),
                                            (b"\xfe\xff", "utf-16-be")])
def test_bom(bom, codec):
    text = f"<p>{ARABIC}</p>"
    assert decode(bom + text.encode(codec), None) == (text, codec)


@pytest.mark.parametrize("meta", ['<meta charset="windows-1256">', "<META CHARSET=windows-1256>",
                                  '<meta http-equiv="Content-Type" content="text/html; charset=windows-1256">'])
def test_meta_charset(meta):
    text = f"<html><head>{meta}</head><body><p>{ARABIC}</p></body></html>"
    assert decode(text.encode("cp1256"), None) == (text, "cp1256")


@pytest.mark.parametrize("codec", ["cp1256", "iso8859-6", "utf-8"])
def test_detection_without_any_declaration(codec):
    text = f"<p>{ARABIC}</p><p>{ARABIC}</p>"
    assert decode(text.encode(codec), None) == (text, codec)


@pytest.mark.parametrize("server_default", ["ISO-8859-1", "latin-1", "windows-1252", "us-ascii"])
def test_a_servers_default_charset_yields_to_the_page(server_default):
    with_meta = f'<meta charset="windows-1256"><p>{ARABIC}</p>'
    assert decode(with_meta.encode("cp1256"), server_default) == (with_meta, "cp1256")
    assert decode(ARABIC.encode("utf-8"), server_default) == (ARABIC, "utf-8")



@pytest.mark.parametrize(("declared", "codec"), [("ISO-8859-1", "iso8859-1"), ("windows-1252", "cp1252")])
def test_a_latin_page_keeps_its_latin_header(declared, codec):
    latin = "<p>Café crème</p>"
    assert decode(latin.encode(codec), declared) == (latin, codec)


def test_meta_charset_late_in_a_long_head():
    text = f"<html><head><script>{'x' * 6000}</script><meta charset=windows-1256></head><p>{ARABIC}</p></html>"
    assert decode(text.encode("cp1256"), None) == (text, "cp1256")


def test_unknown_declared_charset_falls_through():
    assert decode(ARABIC.encode("utf-8"), "no-such-charset") == (ARABIC, "utf-8")


# --- the site path on the mirror -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def default_pages():
    config = MirrorConfig(articles=400, seed=5, start_id=120000)
    return [(render(config, f"/article/{i}/x").body, f"https://www.alhadath.ps/article/{i}/x")
            for i in article_ids(config)[:80]]


def test_selectors_are_only_a_shortcut(default_pages):
    """Site.selectors are structural guesses: without them the mirror's pages give identical records."""
    bare = dataclasses.replace(get_site("alhadath"), selectors={})
    for body, url in default_pages:
        with_selectors = extract_article(body, url, site="alhadath")
        assert with_selectors is not None
        assert extract_article(body, url, site=bare) == with_selectors


def test_a_logo_heading_is_no_title(default_pages):
    body, url = next(page for page in default_pages if b'<meta charset="utf-8">' in page[0])
    expected = extract_article(body, url, site="alhadath")
    logo = '<h1><a href="/">الحدث</a></h1>'.encode()
    assert extract_article(body.replace(b"<body>", b"<body>" + logo, 1), url, site="alhadath") == expected


def test_site_found_from_url_or_canonical_link(default_pages):
    body, url = default_pages[0]
    assert extract_article(body, url) == extract_article(body, url, site="alhadath")
    mirror_url = url.replace("https://www.alhadath.ps", "http://127.0.0.1:8000")
    on_mirror, real = extract_article(body, mirror_url, site="alhadath"), extract_article(body, url, site="alhadath")
    assert on_mirror["url"] == real["url"] == "https://www.alhadath.ps/article/" + url.split("/")[-2]
    # relative image links resolve against the URL the page was fetched from
    assert {**on_mirror, "images": []} == {**real, "images": []}


def test_sources_name_a_stage_per_field(default_pages):
    for body, url in default_pages[:10]:
        extraction = extract_with_trace(body, url, site="alhadath")
        assert set(extraction.sources.values()) <= STAGES
        assert extraction.sources["published_at"] == "layout"
        assert extraction.sources["paragraphs"] == "layout"
        assert extraction.record == extract_article(body, url, site="alhadath")


def test_sources_of_a_json_ld_page():
    spec = json.loads((FIXTURES / "hand_modern_jsonld.json").read_text(encoding="utf-8"))
    extraction = extract_with_trace((FIXTURES / "hand_modern_jsonld.html").read_bytes(), spec["request"]["url"])
    assert extraction.sources["published_at"] == "jsonld"
    assert extraction.sources["modified_at"] == "jsonld"
    assert extraction.sources["category"] == "jsonld"
    assert extraction.sources["byline_raw"] == "layout"


def test_a_truncated_json_ld_headline_yields_to_the_printed_title():
    spec = json.loads((FIXTURES / "hand_modern_jsonld.json").read_text(encoding="utf-8"))
    title = spec["record"]["title"]
    html = (FIXTURES / "hand_modern_jsonld.html").read_text(encoding="utf-8")
    html = html.replace(f'"headline": "{title}"', f'"headline": "{title[:20]}…"')
    bare = dataclasses.replace(get_site("alhadath"), selectors={})  # no <h1> shortcut: JSON-LD comes first
    extraction = extract_with_trace(html.encode("utf-8"), spec["request"]["url"], site=bare)
    assert extraction.record["title"] == title and extraction.sources["title"] == "layout"


def test_a_lazy_loaded_lead_image():
    spec = json.loads((FIXTURES / "hand_modern_jsonld.json").read_text(encoding="utf-8"))
    html = (FIXTURES / "hand_modern_jsonld.html").read_text(encoding="utf-8").replace(
        '<img src="/uploads/2024/04/silwan.jpg"', '<img src="data:image/gif;base64,R0lGOD" data-src="/uploads/2024/04/silwan.jpg"')
    assert extract_article(html.encode("utf-8"), spec["request"]["url"])["images"] == spec["record"]["images"]


def test_sidebar_time_elements_are_not_the_date():
    """With no JSON-LD, the <time> of the main block is read, not the sidebar's earlier ones."""
    html = (FIXTURES / "hand_modern_jsonld.html").read_text(encoding="utf-8")
    start, end = html.index('<script type="application/ld+json">'), html.index("</script>") + len("</script>")
    body = (html[:start] + html[end:]).encode("utf-8")
    extraction = extract_with_trace(body, "https://www.alhadath.ps/article/201234")
    assert extraction.sources["published_at"] == "time"
    assert extraction.record["published_at"] == "2024-04-28T14:05:09+03:00"


def test_iso_8859_6_and_windows_1256_read_the_same():
    body = (FIXTURES / "hand_cp1256_bytes.html").read_bytes()
    as_cp1256 = extract_article(body, "https://www.alhadath.ps/article/1", site="alhadath")
    no_meta = body.replace(b"; charset=windows-1256", b"")
    assert extract_article(no_meta, "https://www.alhadath.ps/article/1", site="alhadath") == as_cp1256


@pytest.mark.parametrize("body", [b"", b"   ", b"\x00\x00", b"<html></html>", b"<?xml version='1.0'?><a/>",
                                  "<h1>الصفحة غير موجودة</h1>".encode()])
def test_no_article(body):
    assert extract_article(body, "https://www.alhadath.ps/article/1", site="alhadath") is None


# --- unknown sites ----------------------------------------------------------------------------------------

GENERIC = f"""<html><head><meta charset="utf-8"><title>غد - خبر</title>
<meta property="og:type" content="article"><meta property="og:site_name" content="وكالة غد">
<meta property="og:title" content="انقطاع الكهرباء في مخيم جنين لليوم الثالث">
<meta property="article:published_time" content="2025-04-11T08:30:00+03:00">
<meta property="article:section" content="محليات">
<link rel="canonical" href="https://ghad.example/news/7413"></head><body>
<nav><a href="/">الرئيسية</a> <a href="/sport">رياضة</a></nav>
<article><h1>انقطاع الكهرباء في مخيم جنين لليوم الثالث</h1><div>الجمعة 11 نيسان 2025</div>
<div>جنين - وكالة غد</div>
<p>{ARABIC}</p><p>وأضاف مدير المستشفى أن المولدات الاحتياطية لا تكفي سوى لساعات قليلة، محذرا من كارثة إنسانية.</p>
<p>وطالبت البلدية الجهات المختصة بالتدخل العاجل لإعادة التيار الكهربائي إلى المخيم والأحياء المجاورة.</p>
</article><footer>جميع الحقوق محفوظة</footer></body></html>"""


def test_unknown_site_metadata_then_the_density_body():
    extraction = extract_with_trace(GENERIC.encode("utf-8"), "https://ghad.example/news/7413?ref=home")
    record = extraction.record
    assert record["site"] == "ghad.example" and record["article_id"] is None
    assert record["url"] == "https://ghad.example/news/7413"
    assert record["title"] == "انقطاع الكهرباء في مخيم جنين لليوم الثالث"
    assert datetime.fromisoformat(record["published_at"]) == datetime.fromisoformat("2025-04-11T08:30:00+03:00")
    assert record["published_hijri"] == Gregorian(2025, 4, 11).to_hijri().isoformat()
    assert record["category"] == "محليات"
    assert extraction.sources["paragraphs"] == "density"
    assert record["paragraphs"][0] == ARABIC and len(record["paragraphs"]) == 3


# --- never an exception ---------------------------------------------------------------------------------

_TAGS = st.sampled_from(["<p>", "</p>", "<br>", "<div>", "</div>", "<td>", "<tr>", "<table>", "<a href='/category/3/x'>",
                         "<a href='/tag/1/y'>", "</a>", "<img src='/i.jpg' alt='ع'>", "<h1>", "</h1>", "<time datetime='x'>",
                         "<script type='application/ld+json'>{\"@type\":\"NewsArticle\",\"headline\":[1]}</script>",
                         "<meta charset='windows-1256'>", "<figcaption>", "<nav>", "&nbsp;", "\n",
                         "2016-02-19 11:15:08 PM", "2016-13-45 99:99:99 PM", "الحدث - ا ف ب", "رولا سرحان",
                         "<meta property='article:published_time' content='2016'>", "<link rel=canonical href='//x'>"])
_HTMLISH = st.lists(st.one_of(_TAGS, st.text(max_size=40)), max_size=60).map("".join)


@settings(max_examples=300, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4000), st.sampled_from([None, "alhadath"]))
def test_any_bytes_give_a_record_or_none(body, site):
    _check(extract_article(body, "https://www.alhadath.ps/article/1/x", site=site))


@settings(max_examples=300, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(_HTMLISH, st.sampled_from(["utf-8", "cp1256", None]), st.sampled_from([None, "alhadath"]))
def test_any_html_gives_a_record_or_none(text, encoding, site):
    body = text.encode(encoding or "utf-8", "replace")
    _check(extract_article(body, "https://www.alhadath.ps/article/1/x", site=site, encoding=encoding))


def _check(record):
    if record is not None:
        assert record["title"] and record["paragraphs"]
        json.dumps(record, ensure_ascii=False)


# --- the CLI ----------------------------------------------------------------------------------------------

def _arshif(*args, stdin: bytes | None = None):
    return subprocess.run([sys.executable, "-m", "crawler", "extract", *args], input=stdin, capture_output=True,
                          cwd=REPO, timeout=120)


def test_cli_prints_the_record_as_utf8_json():
    spec = json.loads((FIXTURES / "hand_oldcms_table.json").read_text(encoding="utf-8"))
    done = _arshif(str(FIXTURES / "hand_oldcms_table.html"), "--url", spec["request"]["url"])
    assert done.returncode == 0, done.stderr
    assert "كيري" in done.stdout.decode("utf-8")  # not \u-escaped
    assert json.loads(done.stdout) == spec["record"]


def test_cli_reads_stdin_and_exits_3_without_article():
    page = (FIXTURES / "hand_bare_div_br.html").read_bytes()
    done = _arshif("-", "--site", "alhadath", stdin=page)
    assert done.returncode == 0 and json.loads(done.stdout)["title"].endswith("رولا سرحان")
    done = _arshif("-", "--site", "alhadath", stdin=(FIXTURES / "mirror_none_soft404.html").read_bytes())
    assert done.returncode == 3 and done.stdout == b""
    assert len(done.stderr.decode().strip().splitlines()) == 1 and "no article" in done.stderr.decode()
