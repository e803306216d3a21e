"""Run one atheris (libFuzzer) harness: ``python fuzz/run.py NAME [libFuzzer args]``.

Seeds come from ``fuzz/corpus/<NAME>/`` (kept), new inputs go to a scratch corpus, crash inputs are
written to ``tests/fuzz_regressions/<NAME>-crash-<sha1>`` where ``make test`` replays them.
``make fuzz`` runs every harness for FUZZ_SECONDS each and prints executions and crashes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

with atheris.instrument_imports(include=["crawler"]):
    from fuzz.targets import TARGETS  # noqa: E402
    import crawler.bylines, crawler.dates, crawler.extract, crawler.feeds  # noqa: E401,E402,F401


def main() -> None:
    name = sys.argv[1]
    target = TARGETS[name]

    def one_input(data: bytes) -> None:
        target(data)

    atheris.Setup([sys.argv[0], *sys.argv[2:]], one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
