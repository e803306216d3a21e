"""Shared test fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.redis_server import redis_factory, redis_server  # noqa: F401  (a real redis-server: tests/redis_server.py)

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def reference_data() -> Path:
    """The reference data the tests use, shipped in tests/data (sources and licences: tests/data/README.md).
    Tests never read the shared folder beside the checkout: a bare clone must pass on its own."""
    return DATA


# --- the mirror (crawler/mirror) -------------------------------------------------------------------------
# Live mirror servers for tests, each `python -m crawler mirror --port 0 ...` in its own subprocess.
#
#   def test_x(mirror):                 # session-wide default mirror: MirrorConfig(articles=300, seed=1)
#       mirror.base_url                 # "http://127.0.0.1:PORT"
#       mirror.config                   # its crawler.mirror.MirrorConfig
#       mirror.truth()                  # list of truth dicts (crawler.mirror.TRUTH_KEYS), one per id
#
#   def test_y(mirror_factory):         # your own mirrors, stopped at the end of the test
#       m = mirror_factory(articles=300, seed=1, start_id=1, day=0, faults="429=0.1", markup="table",
#                          hazards="bomb,hang")   # crawler/mirror/hazards.py
#       m.base_url; m.stop()            # stop() early is fine (e.g. to test an unreachable site)


@pytest.fixture
def mirror_factory():
    """Start mirror servers: ``mirror_factory(articles=300, seed=1, start_id=1, day=0, faults="",
    markup="default", weight="light")`` → a ``crawler.mirror.MirrorProcess`` (.base_url, .config, .truth(), .stop());
    every one still running is stopped at teardown."""
    from crawler.mirror import MirrorConfig, MirrorProcess

    started = []

    def start(articles=300, seed=1, start_id=1, day=0, faults="", markup="default", weight="light", hazards="",
              **options):
        process = MirrorProcess.start(MirrorConfig(articles=articles, seed=seed, start_id=start_id, day=day,
                                                   faults=faults or "", markup=markup, weight=weight,
                                                   hazards=hazards), **options)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


@pytest.fixture(scope="session")
def mirror():
    """One default mirror for the whole session: 300 ids from id 1, seed 1, no faults, default markup."""
    from crawler.mirror import MirrorConfig, MirrorProcess

    process = MirrorProcess.start(MirrorConfig(articles=300, seed=1))
    yield process
    process.stop()
