"""Shared test fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The project's reference data (../shared/data beside the checkout); its absence is a failure."""
    path = SHARED / "data"
    if not path.is_dir():
        pytest.fail(f"reference data missing: {path} (CI lays shared/ beside the checkout)")
    return path
