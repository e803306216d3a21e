"""Small pieces of the distributed rounds against a real redis-server: the round's settings
(``crawler.distributed.run``), the --since page gate and the walk counter (the walk book's Lua scripts, ``crawler.walkbook``),
the walks the writer mirrors (``crawler.distributed.state``)."""

from __future__ import annotations

import copyreg
from datetime import datetime

import pytest
from scrapy.http import Request
from scrapy.utils.request import request_from_dict

from crawler.dates import DateWindow
from crawler.distributed.keys import Keys
from crawler.distributed.run import RunSettings, publish
from crawler.distributed.state import RedisArchiveState, load_sets
from crawler.walkbook import EXPIRE, GATE, WALK
from crawler.errors import UsageError
from crawler.storage import Archive


def test_round_settings_carry_the_window_as_instants(redis_server):
    window = DateWindow.read("2024-04-01", "2024-04-30", tz="Asia/Hebron")
    settings = RunSettings.of(window, max_pages=3, refresh=True, since="2024-04-01", until="2024-04-30")
    client = redis_server.client()
    version = publish(client, "alhadath", settings, queued=0)
    loaded_version, loaded = RunSettings.load(client, "alhadath")
    assert loaded_version == version and loaded == settings
    assert loaded.window == window  # the same instants, read back without the date reader
    assert (loaded.max_pages, loaded.refresh) == (3, True)
    # More work for the same round keeps its version; a new round (empty queue) gets a new one.
    assert publish(client, "alhadath", settings, queued=5) == version
    assert publish(client, "alhadath", settings, queued=0) == version + 1
    other = RunSettings.of(DateWindow(), max_pages=None, refresh=False)
    with pytest.raises(UsageError, match="still wait"):
        publish(client, "alhadath", other, queued=5)
    assert RunSettings.load(client, "other")[0] == 0  # nothing published: the defaults


def run_gate(script, key: str, article_id: int, inside: bool) -> tuple[int, int]:
    done, in_window = script(keys=[key, key + ":state"], args=[article_id, "1" if inside else "0", EXPIRE])
    return int(done), int(in_window)


def test_the_gate_opens_once_for_the_last_reader_and_remembers_the_window(redis_server):
    client = redis_server.client()
    gate = client.register_script(GATE)
    key = Keys("alhadath").gate("t1")
    client.sadd(key, 1, 2, 3)
    assert run_gate(gate, key, 1, False) == (0, 0)
    assert run_gate(gate, key, 2, True) == (0, 1)  # one article inside: the page reaches the window
    assert run_gate(gate, key, 3, False) == (1, 1)  # the last one decides, knowing what the others found
    assert run_gate(gate, key, 3, False)[0] == 0  # answered twice: decided once only


def test_the_walk_completes_once_ended_with_nothing_outstanding(redis_server):
    client = redis_server.client()
    walk = client.register_script(WALK)
    key = Keys("alhadath").walk(1, 7)

    def update(change: int, ended: bool = False, complete: bool = True, down_to: str = ""):
        return walk(keys=[key], args=[change, "1" if ended else "0", "1" if complete else "0", down_to, EXPIRE])

    assert update(+3) == [0]
    assert update(0, ended=True, down_to="2024-04-01T00:00:00+03:00") == [0]  # 3 articles still unanswered
    assert update(-1) == update(-1) == [0]
    assert update(-1) == [1, b"1", b"2024-04-01T00:00:00+03:00"]
    assert update(0, ended=True) == [0]  # fired once
    assert 0 < client.ttl(key) <= EXPIRE


def test_walks_down_to_a_since_are_answered_as_sqlite_does(redis_server, tmp_path):
    with Archive(tmp_path / "a.db") as archive:
        run = archive.start_run("alhadath", command="crawl", args={})
        archive.mark_listing_walks_complete("alhadath", [1], run_id=run)
        archive.mark_listing_walks_complete("alhadath", [2], run_id=run,
                                            down_to=datetime.fromisoformat("2024-04-01T00:00:00+03:00"))
        archive.commit()
        load_sets(redis_server.client(), archive, "alhadath")
        state = RedisArchiveState(redis_server.client(), redis_server.url)
        for category in (1, 2, 3):
            for since in (None, "2024-03-01T00:00:00+03:00", "2024-05-01T00:00:00+03:00"):
                since = datetime.fromisoformat(since) if since else None
                assert state.listing_walk_complete("alhadath", category, since) == \
                    archive.listing_walk_complete("alhadath", category, since), (category, since)


def test_a_gated_article_request_pickles_as_plain_data_without_a_custom_pickler():
    """A --since page's article request carries its gate and the walk's next listing page as plain data
    (``NextPage``: URL and number), so the worker's queue pickles it as scrapy-redis does any request:
    by callback name, with no request nested inside it and nothing registered with copyreg."""
    from scrapy_redis import picklecompat

    from spiders.walks import NextPage, PendingPage, Walk

    class Spider:
        name = "s"

        def parse_article(self, response):
            pass

        def failed(self, failure):
            pass

    spider, walk = Spider(), Walk(7, previously_complete=False, round=3)
    page = PendingPage(walk, NextPage("http://127.0.0.1:9/category/7/page/2", 2), ids={5, 6}, gate="g1")
    request = Request("http://127.0.0.1:9/article/5", callback=spider.parse_article, errback=spider.failed,
                      cb_kwargs={"article_id": 5, "page": page}, meta={"article_id": 5, "arshif_walk": walk.key})
    assert Request not in copyreg.dispatch_table
    copy = request_from_dict(picklecompat.loads(picklecompat.dumps(request.to_dict(spider=spider))), spider=spider)
    assert copy.callback == spider.parse_article and copy.meta["arshif_walk"] == "3:7"
    assert copy.cb_kwargs["page"] == page and copy.cb_kwargs["page"].next_page.page == 2
