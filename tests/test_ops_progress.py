"""The progress line: counters from stats, rate, and an ETA for id-range backfills."""

from __future__ import annotations

import io
from types import SimpleNamespace

from crawler.progress import ProgressDisplay, format_duration, progress_line


def test_line_shows_counters_and_rate():
    stats = {"response_received_count": 200, "arshif/articles/stored": 150, "arshif/aliases": 5,
             "arshif/misses": 30, "arshif/failures": 2}
    assert progress_line(stats, 20.0) == (
        "200 pages · 150 new · 5 aliases · 30 misses · 2 failures · 10.0 pages/s"
    )


def test_backfill_line_has_an_eta_from_settled_ids():
    stats = {"response_received_count": 100, "arshif/articles/stored": 80, "arshif/misses": 20,
             "arshif/ids/total": 1000}
    line = progress_line(stats, 10.0)  # 100 ids settled in 10 s → 900 left at 10/s
    assert line.endswith("100/1,000 ids · ETA 1m30s")
    assert progress_line({**stats, "arshif/ids/done": 500}, 10.0).endswith("500/1,000 ids · ETA 10s")


def test_durations():
    assert [format_duration(s) for s in (4, 75, 3725)] == ["4s", "1m15s", "1h02m"]


def test_live_line_redraws_in_place_and_ends_with_a_newline():
    stream = io.StringIO()
    display = ProgressDisplay(SimpleNamespace(get_stats=lambda: {"response_received_count": 3}), True, 1.0, stream)
    display.tick()
    display.tick()
    display.spider_closed(None, "finished")
    out = stream.getvalue()
    assert out.count("\r\x1b[K") == 3 and out.endswith("\n") and out.count("\n") == 1
    assert "3 pages" in out



def test_a_log_line_on_the_terminal_first_erases_the_live_line():
    import logging

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        display = ProgressDisplay(SimpleNamespace(get_stats=lambda: {"response_received_count": 3}), True, 60.0, stream)
        display.share_terminal_with_log()
        display.tick()
        logging.getLogger("x").warning("hello")
        display.spider_closed(None, "finished")
        logging.getLogger("x").warning("after")
    finally:
        root.removeHandler(handler)
    first, second, third, _ = stream.getvalue().split("\n")
    assert first.startswith("\r\x1b[K3 pages") and first.endswith("pages/s\r\x1b[Khello")
    assert second.startswith("\r\x1b[K3 pages")  # the final line, kept
    assert third == "after"  # once closed, logs are left alone
