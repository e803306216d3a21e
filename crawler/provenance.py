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
    """``importlib.metadata.version(package)``, None if it is not installed. Read from the installed
    distribution's metadata file directly where the lookup is the plain one (``_plain_version``)."""
    found = _plain_version(package)
    if found is not _ASK_IMPORTLIB:
        return found
    from importlib import metadata

    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


_ASK_IMPORTLIB = object()
_HEADER_NAME = re.compile(r"[!-9;-~]+")  # an RFC 5322 field name: printable ASCII less the colon


def _plain_version(package: str) -> str | None | object:
    """What ``importlib.metadata.version`` answers, found its way — the first ``NAME-….dist-info`` or
    ``.egg-info`` whose normalized name is the package's, in ``sys.path`` order — where that way is the plain
    one: only the path finder looks for distributions, every ``sys.path`` entry is a directory or absent, the
    metadata file's headers are plain ``Name: value`` lines. Anything else: ``_ASK_IMPORTLIB``.

    Why: every run records Scrapy's version (``crawl_runs.scrapy_version``), and ``import importlib.metadata``
    (email, zipfile, csv …) with its distribution search cost ~0.34 G instructions measured alone (~3% of a
    930-page reparse, which never imports Scrapy); here it is a directory listing per path entry and one small
    file read.
    E.g. ``scrapy`` → ``…/site-packages/scrapy-2.19.0.dist-info/METADATA`` → "Version: 2.19.0" → "2.19.0"."""
    import sys

    if any(hasattr(finder, "find_distributions") and getattr(finder, "__name__", "") != "PathFinder"
           for finder in sys.meta_path):
        return _ASK_IMPORTLIB
    wanted = re.sub(r"[-_.]+", "-", package).lower().replace("-", "_")  # importlib.metadata.Prepared.normalize
    legacy = package.lower().replace("-", "_")  # Prepared.legacy_normalize, for eggs
    for entry in sys.path:
        if not isinstance(entry, str):
            return _ASK_IMPORTLIB
        root = entry or "."
        try:
            children = os.listdir(root)
        except OSError:
            if os.path.exists(root):  # a zip file, or a directory it may not list: importlib's own way
                return _ASK_IMPORTLIB
            continue  # e.g. python311.zip absent, an editable install's path hook name: no distributions
        base = os.path.basename(entry).lower()
        for child in children:  # importlib.metadata.Lookup: dist-info and egg-info first, in listing order
            low = child.lower()
            if low.endswith((".dist-info", ".egg-info")) and \
                    re.sub(r"[-_.]+", "-", low.rpartition(".")[0].partition("-")[0]).replace("-", "_") == wanted:
                return _metadata_version(os.path.join(entry, child))
        if base.endswith(".egg") and "egg-info" in {child.lower() for child in children} \
                and base.rpartition(".")[0].partition("-")[0].replace("-", "_") == legacy:
            return _ASK_IMPORTLIB  # an egg directory: rare, left to importlib
    return None


def _metadata_version(path: str) -> str | None | object:
    """The ``Version`` header of a distribution's METADATA (or PKG-INFO) where its header lines are plain."""
    for name in ("METADATA", "PKG-INFO"):
        try:
            with open(os.path.join(path, name), encoding="utf-8") as file:
                text = file.read()
        except OSError:  # importlib skips a missing file; any other error is left to it
            continue
        except ValueError:
            return _ASK_IMPORTLIB
        if not text:
            continue
        if "\r" in text:
            return _ASK_IMPORTLIB
        version = None
        for line in text.split("\n"):
            if not line:
                break
            field, colon, value = line.partition(":")
            if not colon or not _HEADER_NAME.fullmatch(field):
                return _ASK_IMPORTLIB  # a folded or malformed header: the email parser's reading
            if field.lower() == "version" and version is None:
                version = value.lstrip(" \t")  # as email's compat32 parser keeps it (the first one)
        return _ASK_IMPORTLIB if version is None else version
    return _ASK_IMPORTLIB


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
