"""What made a run: the software versions and the settings that change what a crawl stores.

Recorded on every ``crawl_runs`` row (``arshif_version``, ``git_commit``, ``scrapy_version``, ``settings``)
so a dataset card can say which code produced which rows, e.g. run 12: Arshif 0.1.0 (3f2a9c1e0b7d),
Scrapy 2.11.2, ``{"DOWNLOAD_MAXSIZE": 10485760, "RETRY_TIMES": 3, ...}``. Scrapy-free: its version is read
from the installed package's metadata, not by importing it.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping
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
    from importlib import metadata

    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


@functools.lru_cache(maxsize=1)
def git_commit() -> str | None:
    """The checkout's commit when Arshif runs from a git checkout (an editable install), else None."""
    if not (REPO / ".git").exists():
        return None
    commit = head_commit(REPO)
    if commit is not None:
        return commit
    import subprocess

    try:
        done = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


_OBJECT_NAME = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")  # SHA-1, or SHA-256 in a repository made so


def head_commit(checkout: Path) -> str | None:
    """What ``git rev-parse HEAD`` prints for ``checkout``, read from its git files where they are the plain
    kinds: a ``.git`` directory or a worktree's ``gitdir:`` file, HEAD naming a branch (or a detached commit),
    the branch as a loose ref or in ``packed-refs``. None for anything else (then git is asked).

    Why: every run records it (``crawl_runs.git_commit``), and running git cost ~3-5 ms of CPU (a fork and exec
    from a process holding the extractor, plus the subprocess module), ~0.3% of a 930-page reparse."""
    if "GIT_DIR" in os.environ or "GIT_COMMON_DIR" in os.environ:  # git would read those instead
        return None
    try:
        dot_git = checkout / ".git"
        if dot_git.is_file():  # a worktree: "gitdir: /repo/.git/worktrees/name"
            pointer = dot_git.read_text(encoding="utf-8").strip()
            if not pointer.startswith("gitdir: "):
                return None
            git_dir = checkout / pointer.removeprefix("gitdir: ")
        else:
            git_dir = dot_git
        common = git_dir / (git_dir / "commondir").read_text(encoding="utf-8").strip() \
            if (git_dir / "commondir").is_file() else git_dir
        head = (git_dir / "HEAD").read_text(encoding="utf-8").strip()
        if _OBJECT_NAME.fullmatch(head):
            return head
        ref = head.removeprefix("ref: ")
        if ref == head or not ref.startswith("refs/heads/") or ".." in ref:
            return None
        loose = common / ref
        if loose.is_file():
            value = loose.read_text(encoding="utf-8").strip()
            return value if _OBJECT_NAME.fullmatch(value) else None
        packed = common / "packed-refs"
        if packed.is_file():
            for line in packed.read_text(encoding="utf-8").splitlines():
                value, _, name = line.partition(" ")
                if name == ref and _OBJECT_NAME.fullmatch(value):
                    return value
    except (OSError, UnicodeDecodeError):
        pass
    return None


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
