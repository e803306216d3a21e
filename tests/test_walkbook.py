"""The walk book's rules without Scrapy: the same tests on the local book and on the Redis book (a real
redis-server on a free loopback port, tests/redis_server.py)."""

from __future__ import annotations

import sys
import threading

import pytest

from crawler.walkbook import (
    Ending,
    GateState,
    LocalWalkBook,
    RedisWalkBook,
    after_gate,
    after_probe,
    until_probe,
    walk_complete,
)


@pytest.fixture(params=["local", "redis"])
def book(request):
    if request.param == "local":
        return LocalWalkBook()
    server = request.getfixturevalue("redis_server")
    return RedisWalkBook(server.client(), "arshif:test:")


def test_a_page_asks_only_ids_not_asked_before_in_the_round(book):
    assert book.ask([7, 8]) == [7, 8]
    assert book.ask([8, 9, 7, 9]) == [9]
    assert book.asked(8) and book.asked(9) and not book.asked(10)


def test_a_gate_opens_the_next_page_for_the_one_settle_that_empties_it(book):
    gate = book.open_gate([1, 2, 3])
    assert book.settle(gate, 1, inside=False) == GateState(False, False)
    assert book.settle(gate, 2, inside=True) == GateState(False, True)
    last = book.settle(gate, 3, inside=False)
    assert last == GateState(True, True)
    assert after_gate(last, has_next=True) == "next"
    assert after_gate(last, has_next=False) == "end"
    # An id settled twice (or an id of no gate) never reopens a done gate.
    assert book.settle(gate, 3, inside=False).done is False


def test_a_page_all_older_than_since_ends_the_walk(book):
    gate = book.open_gate([1, 2])
    book.settle(gate, 2, inside=False)
    last = book.settle(gate, 1, inside=False)
    assert last == GateState(True, False)
    assert after_gate(last, has_next=True) == "end"


def test_a_probed_page_already_in_the_window_opens_its_gate_in_the_window(book):
    gate = book.open_gate([4], in_window=True)
    assert after_gate(book.settle(gate, 4, inside=False), has_next=True) == "next"


def test_a_walk_ends_once_ended_and_nothing_outstanding_and_only_once(book):
    walk = "3:12"
    assert book.count(walk, +2) is None
    assert book.count(walk, -1) is None
    ending = Ending(complete=True, down_to="2026-01-01T00:00:00+02:00")
    assert book.count(walk, 0, ended=ending) is None  # one request still unanswered
    assert book.count(walk, -1) == ending
    assert book.count(walk, 0) is None  # fired once
    other = "3:13"
    assert book.count(other, 0, ended=Ending(complete=False)) == Ending(False, None)


def test_walks_keep_apart(book):
    book.count("1:5", +1)
    assert book.count("1:6", 0, ended=Ending(True)) == Ending(True, None)
    assert book.count("1:5", 0, ended=Ending(True)) is None


def test_parallel_settles_open_a_gate_exactly_once(book):
    """Workers settling a page's articles at once: exactly one of them sees the gate done."""
    ids = list(range(200))
    gate = book.open_gate(ids)
    done = []
    lock = threading.Lock()

    def settle_some(part):
        for article_id in part:
            state = book.settle(gate, article_id, inside=article_id == 150)
            if state.done:
                with lock:
                    done.append(state)

    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # interleave the threads as much as the interpreter allows
    try:
        threads = [threading.Thread(target=settle_some, args=(ids[n::4],)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(switch)
    assert done == [GateState(True, True)]


def test_complete_walk_rule():
    assert walk_complete(mode="crawl", max_pages=None, until_set=False, lost_pages=0, capped=False)
    assert not walk_complete(mode="backfill", max_pages=None, until_set=False, lost_pages=0, capped=False)
    assert not walk_complete(mode="crawl", max_pages=3, until_set=False, lost_pages=0, capped=False)
    assert not walk_complete(mode="crawl", max_pages=None, until_set=True, lost_pages=0, capped=False)
    assert not walk_complete(mode="crawl", max_pages=None, until_set=False, lost_pages=1, capped=False)
    assert not walk_complete(mode="crawl", max_pages=None, until_set=False, lost_pages=0, capped=True)


def test_until_probe_is_the_oldest_of_the_main_list():
    wanted = [(9, "/a/9"), (8, "/a/8"), (77, "/a/77"), (5, "/a/5"), (2, "/side/2")]
    assert until_probe(wanted, listed={9, 8, 5}) == (5, "/a/5")  # 2 is a sidebar link: any date
    assert until_probe(wanted, listed=set()) is None
    assert after_probe(newer_than_until=True) == "skip"
    assert after_probe(newer_than_until=False) == "fetch"


def test_a_walk_answered_before_its_end_is_noted_completes_at_the_end(book):
    walk = "0:4"
    book.count(walk, +2)
    assert book.count(walk, -1) is None and book.count(walk, -1) is None  # all answered, not yet ended
    assert book.count(walk, 0, ended=Ending(True)) == Ending(True, None)


def test_both_books_see_a_walk_end_complete_at_the_same_call(redis_server):
    """The local book and the Redis one answer the same calls the same way: a walk's end is learned by the
    same call in both (the spider then records it, at once in a worker, at the close of a finished run
    in one process)."""
    since = "2026-03-01T00:00:00+02:00"
    calls = [("0:1", +3, None), ("0:2", +1, None), ("0:1", -1, None), ("0:1", 0, Ending(True, since)),
             ("0:2", 0, Ending(False)), ("0:1", -1, None), ("0:2", -1, None), ("0:1", -1, None),
             ("0:1", -1, None), ("0:3", 0, Ending(True, since))]
    books = [LocalWalkBook(), RedisWalkBook(redis_server.client(), "arshif:same:")]
    answers = [[book.count(walk, change, ended=ended) for walk, change, ended in calls] for book in books]
    assert answers[0] == answers[1] == [None, None, None, None, None, None, Ending(False, None),
                                        Ending(True, since), None, Ending(True, since)]


def test_an_asked_id_is_asked_for_every_page_of_the_round(book):
    """``ask`` both answers and notes: of two pages listing the same ids, only the first asks for them."""
    first, second = book.ask([5, 6, 7]), book.ask([7, 6, 8])
    assert (first, second) == ([5, 6, 7], [8])
    assert [n for n in range(4, 10) if book.asked(n)] == [5, 6, 7, 8]
