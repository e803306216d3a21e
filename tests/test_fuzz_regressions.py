"""Replay the fuzzers' inputs (issue 12): every crash input `make fuzz` kept in tests/fuzz_regressions/
(named <target>-crash-<sha1>) and every seed of fuzz/corpus/<target>/ must now pass its target."""

from __future__ import annotations

from pathlib import Path

import pytest

from fuzz.targets import TARGETS

ROOT = Path(__file__).resolve().parents[1]
CASES = sorted(
    [path for path in (ROOT / "tests" / "fuzz_regressions").glob("*-*") if path.name.split("-", 1)[0] in TARGETS]
    + [path for name in TARGETS for path in (ROOT / "fuzz" / "corpus" / name).glob("*")]
)


def target_of(path: Path) -> str:
    return path.parent.name if path.parent.parent.name == "corpus" else path.name.split("-", 1)[0]


def test_every_target_has_inputs():
    assert {target_of(path) for path in CASES} == set(TARGETS)


@pytest.mark.parametrize("path", CASES, ids=lambda p: f"{target_of(p)}/{p.name}")
def test_replay(path):
    TARGETS[target_of(path)](path.read_bytes())
