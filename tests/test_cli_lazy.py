"""The command line imports only the module of the command it runs (start-up of `reparse --jobs N`);
the map itself is checked in tests/test_readme.py."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("scrapy", "twisted", "datasette", "redis", "crawler.mirror", "crawler.distributed", "sqlite_utils", "numpy")


def loaded_after(args: list[str]) -> list[str]:
    """The heavy modules a fresh interpreter holds after running ``arshif ARGS``."""
    code = (
        "import json, sys\n"
        "from crawler.cli import cli\n"
        "try:\n"
        f"    cli.main({args!r}, prog_name='arshif', standalone_mode=False)\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.startswith({HEAVY!r}))))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_reparse_loads_no_scrapy_nor_the_other_command_families():
    assert loaded_after(["reparse", "--help"]) == []
    assert loaded_after(["export", "--help"]) == []


def test_listing_the_commands_loads_every_command_but_not_what_they_run():
    """`arshif --help` imports every command module (to list them) but no Scrapy, Twisted or storage: those are
    imported inside the commands (0.67 → 0.15 CPU-s, bench/results.md "reparse3")."""
    assert [name for name in loaded_after(["--help"]) if not name.startswith("crawler.mirror")] == []
    done = subprocess.run([sys.executable, "-m", "crawler", "--help"], capture_output=True, text=True, timeout=120,
                          check=True)
    from crawler.cli.base import COMMAND_MODULES

    listed = {line.split()[0] for line in done.stdout.split("Commands:")[1].splitlines() if line.strip()}
    assert set(COMMAND_MODULES) <= listed
    assert loaded_after(["crawl", "--help"]) == [] and loaded_after(["backfill", "--help"]) == []


def test_an_unknown_command_is_still_a_usage_error():
    done = subprocess.run([sys.executable, "-m", "crawler", "nosuch"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "No such command 'nosuch'" in done.stderr
