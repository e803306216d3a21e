"""The mirror server's page cache (``MirrorFactory.render``): what it serves is what ``pages.render`` renders."""

from __future__ import annotations

import pytest

from crawler.mirror import MirrorConfig, render
from crawler.mirror import server
from crawler.mirror.server import MirrorFactory

PATHS = ["/", "/robots.txt", "/category/3/x", "/category/9/x/page/2", "/tag/3/x", "/sitemap.xml", "/article/7",
         "/article/2/%D8%A7", "/static/logo.png", "/no/such/page"] + [f"/article/{i}/x" for i in range(1, 60, 7)]


def factory(**config) -> MirrorFactory:
    return MirrorFactory(MirrorConfig(articles=60, seed=3, **config), call_later=None)


@pytest.mark.parametrize("config", [{}, {"weight": "real"}, {"markup": "table"}, {"cms": "wordpress"},
                                    {"cms": "slug"}, {"day": 40}])
def test_a_cached_page_is_the_page_rendered_afresh_on_every_request(config):
    served = factory(**config)
    for _ in range(3):
        for path in PATHS:
            for base_url in ("http://127.0.0.1:8000", "http://localhost:9"):
                page = served.render(path, served.count(path), base_url)
                assert page == render(served.config, path, 1, base_url), (path, base_url)
    assert len(served.pages) == len(PATHS) * 2
    assert served.cached_bytes == sum(len(page.body) for page in served.pages.values())


def test_with_faults_every_request_is_rendered_with_its_count():
    served = factory(faults="status5xx=0.3,429=0.2")
    answers = set()
    for _ in range(6):
        for path in PATHS:
            count = served.count(path)
            page = served.render(path, count, "http://127.0.0.1:8000")
            assert page == render(served.config, path, count, "http://127.0.0.1:8000")
            answers.add(page.status)
    assert served.pages == {} and {200, 429} <= answers and answers & {500, 503}


def test_pages_past_the_cache_size_are_rendered_every_time(monkeypatch):
    monkeypatch.setattr(server, "CACHE_BYTES", 3 * len(render(MirrorConfig(articles=60, seed=3), "/").body))
    served = factory()
    for _ in range(2):
        for path in PATHS:
            assert served.render(path, 0, "") == render(served.config, path, 1, "")
    assert 0 < served.cached_bytes <= server.CACHE_BYTES and 0 < len(served.pages) < len(PATHS)
