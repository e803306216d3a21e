"""crawler.provenance.head_commit: the commit `git rev-parse HEAD` prints, read from the git files."""

from __future__ import annotations

import subprocess

from crawler.provenance import REPO, git_commit, head_commit


def git(cwd, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True, check=True,
                          env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
                               "GIT_COMMITTER_EMAIL": "t@t", "HOME": str(cwd), "PATH": "/usr/bin:/bin"})
    return done.stdout.strip()


def test_the_head_commit_is_what_git_says_for_every_plain_kind_of_checkout(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    assert head_commit(repo) is None  # no commit yet: git is asked (and fails)
    (repo / "a").write_text("1")
    git(repo, "add", "a")
    git(repo, "commit", "-q", "-m", "one")
    assert head_commit(repo) == git(repo, "rev-parse", "HEAD")  # a loose branch ref
    first = git(repo, "rev-parse", "HEAD")
    (repo / "a").write_text("2")
    git(repo, "commit", "-q", "-am", "two")
    git(repo, "pack-refs", "--all")
    assert not (repo / ".git" / "refs" / "heads" / "main").exists()
    assert head_commit(repo) == git(repo, "rev-parse", "HEAD") != first  # packed
    git(repo, "checkout", "-q", first)
    assert head_commit(repo) == first == git(repo, "rev-parse", "HEAD")  # detached
    git(repo, "checkout", "-q", "main")
    git(repo, "worktree", "add", "-q", "-b", "side", str(tmp_path / "side"), first)
    side = tmp_path / "side"
    assert (side / ".git").is_file()
    assert head_commit(side) == git(side, "rev-parse", "HEAD") == first  # a worktree on its own branch
    (side / "a").write_text("3")
    git(side, "commit", "-q", "-am", "three")
    assert head_commit(side) == git(side, "rev-parse", "HEAD") != first
    assert head_commit(repo) == git(repo, "rev-parse", "HEAD")
    assert head_commit(tmp_path) is None  # not a checkout


def test_the_project_checkout_records_the_commit_git_names():
    done = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True)
    assert git_commit() == (done.stdout.strip() if done.returncode == 0 else None)


# -- the installed version of a package (crawl_runs.scrapy_version), read without importlib.metadata --------


def _importlib_version(name: str):
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def test_every_installed_distribution_has_the_version_importlib_gives():
    from importlib import metadata

    from crawler.provenance import _ASK_IMPORTLIB, _plain_version, _version

    names = {dist.metadata["Name"] for dist in metadata.distributions()}
    assert "scrapy" in {name.lower() for name in names}
    plain = 0
    for name in sorted(names):
        for spelling in (name, name.upper(), name.replace("-", "_"), name.replace("_", ".")):
            assert _version(spelling) == _importlib_version(spelling), spelling
            found = _plain_version(spelling)
            if found is not _ASK_IMPORTLIB:
                plain += 1
                assert found == _importlib_version(spelling), spelling
    assert plain >= len(names) * 3  # most answered without importlib.metadata
    assert _version("no-such-distribution-here") is None


import itertools  # noqa: E402

from hypothesis import given, settings, strategies as st  # noqa: E402

_COUNTER = itertools.count()
_FIELD = st.sampled_from(["Name", "Version", "version", "VERSION", "Summary", "Metadata-Version", "Version",
                          "X y"])
_VALUE = st.text(st.sampled_from([" ", "\t", "1", ".", "0", "a", "-", ":", "é"]), max_size=5)
# Mostly plain "Field: value" lines; now and then a continuation line or a line without a colon.
_LINE = st.builds(lambda kind, field, separator, value: f"{field}{separator}{value}" if kind < 8
                  else " " + value if kind == 8 else "no colon",
                  st.integers(0, 9), _FIELD, st.sampled_from([":", ": ", ":\t", ": "]), _VALUE)
_METADATA = st.tuples(st.lists(_LINE, max_size=5), st.sampled_from(["\n"] * 5 + ["\r\n"]),
                      st.sampled_from(["", "\n", "\nbody text\nVersion: 9\n"])).map(
    lambda parts: parts[1].join(parts[0]) + parts[1] * bool(parts[0]) + parts[2])


@settings(max_examples=300, deadline=None)
@given(entries=st.lists(st.tuples(
           st.sampled_from(["Pkg_Name", "pkg-name", "PKG.NAME", "pkg__name", "pkgname", "other"]),
           st.sampled_from(["-1.0", "-2.0b1", ""]),
           st.sampled_from([".dist-info", ".egg-info", ".DIST-INFO"]),
           st.sampled_from(["METADATA", "PKG-INFO"]),
           _METADATA), min_size=1, max_size=3),
       path_shape=st.lists(st.sampled_from(["dir", "dir", "absent", "empty"]), min_size=1, max_size=3),
       asked=st.sampled_from(["pkg-name", "Pkg.Name", "pkg_name", "PKG_NAME", "pkgname", "missing"]))
def test_the_plain_lookup_answers_as_importlib_metadata(tmp_path_factory, entries, path_shape, asked):
    import sys

    from crawler.provenance import _ASK_IMPORTLIB, _plain_version, _version

    base = tmp_path_factory.getbasetemp() / f"dists-{next(_COUNTER)}"  # fresh paths: importlib caches by path
    paths = []
    for index, shape in enumerate(path_shape):
        path = base / f"p{index}"
        if shape != "absent":
            path.mkdir(parents=True)
        if shape == "dir":
            for name, version, suffix, filename, text in entries:
                info = path / f"{name}{version}{suffix}"
                info.mkdir(exist_ok=True)
                (info / filename).write_bytes(text.encode("utf-8"))
        paths.append(str(path))
    saved, sys.path = sys.path, paths
    try:
        assert _version(asked) == _importlib_version(asked)
        found = _plain_version(asked)
        assert found is _ASK_IMPORTLIB or found == _importlib_version(asked)
    finally:
        sys.path = saved


def test_the_plain_lookup_answers_a_plain_dist_info_itself(tmp_path):
    """The property's domain includes answers of the plain lookup itself, not only its hand-overs to
    importlib.metadata (a count of answered random examples, 10 of 300 asked, once came out 9)."""
    import sys

    from crawler.provenance import _plain_version

    info = tmp_path / "pkg_name-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: pkg-name\nVersion: 1.0\n\nbody\n")
    saved, sys.path = sys.path, [str(tmp_path)]
    try:
        assert _plain_version("Pkg.Name") == "1.0" == _importlib_version("Pkg.Name")
    finally:
        sys.path = saved
