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
