"""Settings like Scrapy users expect (issue 20, item 6): ``ARSHIF_*`` environment variables that reach the
run, ``-s NAME=VALUE`` above them, ``--log-file``, and a quiet INFO log. Real crawls of the mirror."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.config import environment_settings, parse_assignment, project_defaults, typed
from crawler.errors import EXIT_USAGE, UsageError

REPO = Path(__file__).resolve().parent.parent


def crawl(tmp_path: Path, base_url: str, *args: str, env: dict | None = None, db: str = "a.db"):
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ARSHIF_")}
    environ.update({"PYTHONPATH": str(REPO), **(env or {})})
    return subprocess.run([sys.executable, "-m", "crawler", "crawl", "alhadath", "--base-url", base_url,
                           "--db", str(tmp_path / db), *args], cwd=tmp_path, env=environ, capture_output=True,
                          text=True, timeout=180)


def quality_status(db: Path) -> str:
    stats = sqlite3.connect(db).execute("select stats from crawl_runs order by id desc limit 1").fetchone()[0]
    return json.loads(stats)["arshif/quality/status"]


@pytest.fixture(scope="module")
def small_mirror():
    """5 articles: under the monitor's default of 10 article pages, so a run is judged only if a setting
    lowered ARSHIF_QUALITY_MIN_PAGES."""
    from crawler.mirror import MirrorConfig, MirrorProcess

    process = MirrorProcess.start(MirrorConfig(articles=5, seed=3))
    yield process
    process.stop()


def test_an_environment_setting_reaches_the_run_and_s_overrides_it(tmp_path, small_mirror):
    url = small_mirror.base_url
    plain = crawl(tmp_path, url, db="plain.db")
    assert plain.returncode == 0, plain.stderr
    assert quality_status(tmp_path / "plain.db") == "unjudged"  # 5 article pages < 10

    from_env = crawl(tmp_path, url, env={"ARSHIF_QUALITY_MIN_PAGES": "3"}, db="env.db")
    assert from_env.returncode == 0, from_env.stderr
    assert quality_status(tmp_path / "env.db") == "ok"  # judged: the environment was read

    overridden = crawl(tmp_path, url, "-s", "ARSHIF_QUALITY_MIN_PAGES=100", env={"ARSHIF_QUALITY_MIN_PAGES": "3"},
                       db="s.db")
    assert overridden.returncode == 0, overridden.stderr
    assert quality_status(tmp_path / "s.db") == "unjudged"  # -s beats the environment

    by_s = crawl(tmp_path, url, "-s", "ARSHIF_QUALITY_MIN_PAGES=2", "--set", "ARSHIF_PROGRESS=off", db="s2.db")
    assert quality_status(tmp_path / "s2.db") == "ok"
    assert "[crawler.progress]" not in by_s.stderr  # both -s applied


def test_info_is_quiet_and_debug_shows_everything(tmp_path, small_mirror):
    quiet = crawl(tmp_path, small_mirror.base_url, db="q.db")
    assert quiet.returncode == 0
    lines = quiet.stderr.strip().splitlines()
    assert len(lines) <= 6, quiet.stderr  # the monitor's verdict, the progress line, the owner's commit
    assert any("[crawler.progress] INFO: finished:" in line for line in lines)
    for noise in ("Versions", "Overridden settings", "Enabled extensions", "Dumping Scrapy stats", "Spider opened"):
        assert noise not in quiet.stderr
    assert quiet.stdout.startswith("run 1: ok")  # the summary

    loud = crawl(tmp_path, small_mirror.base_url, "--log-level", "DEBUG", db="d.db")
    assert loud.returncode == 0
    for shown in ("Versions", "Overridden settings", "Enabled extensions", "Dumping Scrapy stats", "Spider opened"):
        assert shown in loud.stderr, shown


def test_log_file_takes_the_log_and_the_summary_stays_on_stdout(tmp_path, small_mirror):
    log = tmp_path / "logs" / "crawl.log"
    log.parent.mkdir()
    result = crawl(tmp_path, small_mirror.base_url, "--log-file", str(log), "--log-level", "DEBUG")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    text = log.read_text(encoding="utf-8")
    assert "Enabled extensions" in text and "[crawler.progress]" in text
    assert result.stdout.startswith("run 1: ok")


@pytest.mark.parametrize("assignment", ["NOEQUALS", "=3", "lower_case=1", "ARSHIF_QUALITY_MIN_PAGES=many",
                                        "ROBOTSTXT_OBEY=perhaps"])
def test_a_bad_s_is_a_usage_error(tmp_path, assignment):
    result = crawl(tmp_path, "http://127.0.0.1:9", "-s", assignment)
    assert result.returncode == EXIT_USAGE, result.stderr
    assert result.stderr.startswith("arshif: ") and "Traceback" not in result.stderr
    assert not (tmp_path / "a.db").exists()


def test_values_are_typed_like_their_defaults():
    defaults = project_defaults()
    assert parse_assignment("ARSHIF_QUALITY_MIN_PAGES=3", defaults) == ("ARSHIF_QUALITY_MIN_PAGES", 3)
    assert parse_assignment("DOWNLOAD_DELAY=0.5", defaults) == ("DOWNLOAD_DELAY", 0.5)
    assert parse_assignment("ROBOTSTXT_OBEY=false", defaults) == ("ROBOTSTXT_OBEY", False)
    assert parse_assignment("USER_AGENT=a=b", defaults) == ("USER_AGENT", "a=b")
    assert parse_assignment("ARSHIF_WARC_DIR=/data/warc", defaults) == ("ARSHIF_WARC_DIR", "/data/warc")
    assert typed("ARSHIF_QUALITY_MIN_COVERAGE", '{"byline": 0.5}', defaults) == {"byline": 0.5}
    with pytest.raises(UsageError):
        typed("ARSHIF_COMMIT_EVERY", "[1]", defaults)
    env = {"ARSHIF_QUALITY_MAX_DROP": "0.4", "ARSHIF_REDIS": "redis://x", "ARSHIF_NOT_A_SETTING": "1", "HOME": "/"}
    assert environment_settings(env, defaults) == {"ARSHIF_QUALITY_MAX_DROP": 0.4}


def test_the_readme_lists_every_environment_setting():
    import crawler.settings as ours

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Settings and logs"):readme.index("## Backfilling")]
    missing = [name for name in dir(ours) if name.startswith("ARSHIF_") and f"`{name}`" not in section]
    assert missing == []
