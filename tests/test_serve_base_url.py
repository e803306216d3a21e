"""`arshif serve` prints a base URL its routes join cleanly (issue 20, item 7).

Main printed ``http://127.0.0.1:PORT/``, so ``$URL/.json`` was ``//.json``: no route matched and Datasette's
error page crashed (rich's print_exception outside an ``except``), a 500 with a traceback on the console.
The real server in a subprocess, on a small archive written through the storage API.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.ops_archive import synthetic_record

REPO = Path(__file__).resolve().parents[1]
pytest.importorskip("datasette", reason="the serve extra is not installed (pip install -e '.[serve]')")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def get(url: str, *, follow: bool = True) -> tuple[int, dict, str]:
    opener = urllib.request.build_opener() if follow else urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode("utf-8")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """(printed URL, server process) over a 3-article archive."""
    from crawler.storage import Archive, ArticleWrite

    db = tmp_path_factory.mktemp("serve") / "arshif.db"
    rng = random.Random(4)
    with Archive(db) as archive:
        archive.upsert_articles([ArticleWrite(record=synthetic_record(n, rng), content_hash=f"h{n}") for n in (1, 2, 3)])
    process = subprocess.Popen([sys.executable, "-m", "crawler", "serve", "--db", str(db), "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONPATH": str(REPO)})
    url = process.stdout.readline().strip()
    yield url, process
    process.terminate()
    process.wait(timeout=10)


def test_the_printed_url_has_no_trailing_slash_and_joins(served):
    url, _ = served
    assert url.startswith("http://127.0.0.1:") and not url.endswith("/"), url
    status, headers, body = get(f"{url}/.json")
    assert status == 200 and headers["content-type"].startswith("application/json")
    assert json.loads(body)["totals"]["articles"] == 3


@pytest.mark.parametrize("path, target", [("//.json", "/.json"), ("//search.json?q=x", "/search.json?q=x"),
                                          ("///runs.json", "/runs.json"),
                                          ("//article//alhadath/2.json", "/article/alhadath/2.json")])
def test_doubled_slashes_redirect_to_the_page(served, path, target):
    url, _ = served
    status, headers, _ = get(url + path, follow=False)
    assert status == 301 and headers["location"] == target, (status, headers)
    status, headers, body = get(url + path)
    assert status == 200 and headers["content-type"].startswith("application/json"), (status, body[:300])
    json.loads(body)


def test_a_path_no_page_has_is_a_404_not_a_500(served):
    url, process = served
    for path in ("/a/b/c/d/e/f/g", "/-/x/y/z"):
        status, _, _ = get(url + path)
        assert status == 404, (path, status)


def test_no_traceback_on_the_console(served):
    url, process = served
    get(url + "//.json")
    get(url + "/a/b/c/d/e/f/g")
    process.terminate()
    _, err = process.communicate(timeout=10)
    assert "Traceback" not in err and "Exception in ASGI application" not in err, err[-3000:]
