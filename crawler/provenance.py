"""What made a run: the software versions and the settings that change what a crawl stores.

Recorded on every ``crawl_runs`` row (``arshif_version``, ``git_commit``, ``scrapy_version``, ``settings``)
so a dataset card can say which code produced which rows, e.g. run 12: Arshif 0.1.0 (3f2a9c1e0b7d),
Scrapy 2.11.2, ``{"DOWNLOAD_MAXSIZE": 10485760, "RETRY_TIMES": 3, ...}``. Scrapy-free: its version is read
from the installed package's metadata, not by importing it.
"""

from __future__ import annotations

import functools
import subprocess
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

# Settings whose value changes which pages are fetched or what is stored from them (not how fast or how
# loudly): a different RETRY_TIMES can turn a failure into an article, a smaller DOWNLOAD_MAXSIZE drops
# long pages, ARSHIF_MAX_LISTING_PAGES bounds discovery.
RESULT_SETTINGS: tuple[str, ...] = (
    "USER_AGENT", "ROBOTSTXT_OBEY", "DOWNLOAD_TIMEOUT", "DOWNLOAD_MAXSIZE", "RETRY_ENABLED", "RETRY_TIMES",
    "RETRY_HTTP_CODES", "REDIRECT_ENABLED", "REDIRECT_MAX_TIMES", "HTTPERROR_ALLOWED_CODES", "DEPTH_LIMIT",
    "CLOSESPIDER_ITEMCOUNT", "CLOSESPIDER_PAGECOUNT", "CLOSESPIDER_TIMEOUT", "ARSHIF_MAX_LISTING_PAGES",
    "ARSHIF_XML_MAXSIZE", "ARSHIF_REDIRECT_MAX_HOPS", "ARSHIF_WARC_DIR",
)
REPO = Path(__file__).resolve().parents[1]


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


@functools.lru_cache(maxsize=1)
def git_commit() -> str | None:
    """The checkout's commit when Arshif runs from a git checkout (an editable install), else None."""
    if not (REPO / ".git").exists():
        return None
    try:
        done = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def software() -> dict[str, str | None]:
    from crawler import __version__

    return {"arshif_version": __version__, "git_commit": git_commit(), "scrapy_version": _version("scrapy")}


def result_settings(settings: Any) -> dict[str, Any]:
    """The ``RESULT_SETTINGS`` of a Scrapy ``Settings`` (or any mapping), JSON-ready."""
    getter = settings.get if hasattr(settings, "get") else dict(settings).get
    found = {}
    for name in RESULT_SETTINGS:
        value = getter(name)
        if value is not None:
            found[name] = value if isinstance(value, (str, int, float, bool)) else (
                dict(value) if isinstance(value, Mapping) else list(value) if isinstance(value, (list, tuple, set, frozenset)) else str(value))
    return found
