"""The README documents every `arshif` command, and every command's help shows an example."""

from __future__ import annotations

from pathlib import Path

import click

from crawler.cli import cli

README = Path(__file__).resolve().parents[1] / "README.md"


def command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    found = []
    with click.Context(group) as ctx:
        commands = [(name, group.get_command(ctx, name)) for name in group.list_commands(ctx)]
    for name, command in sorted(commands):
        path = (*prefix, name)
        found.append((path, command))
        if isinstance(command, click.Group):
            found += command_paths(command, path)
    return found


COMMANDS = command_paths(cli)


def test_the_cli_has_the_operations_commands():
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"export", "stats", "search", "reparse", "crawl", "backfill"} <= names


def test_every_command_is_in_the_readme():
    text = README.read_text(encoding="utf-8")
    missing = [" ".join(path) for path, _ in COMMANDS if f"arshif {' '.join(path)}" not in text]
    assert not missing, f"README.md does not show: {', '.join('arshif ' + m for m in missing)}"


def test_every_command_help_has_an_example():
    without = []
    for path, command in COMMANDS:
        with click.Context(command, info_name=" ".join(path)) as ctx:
            help_text = command.get_help(ctx)
        if "Example" not in help_text:
            without.append(" ".join(path))
    assert not without, f"no example in the help of: {', '.join(without)}"


def test_each_command_is_loaded_from_its_own_module_only():
    """`arshif mirror` imports its own module, not Scrapy or the archive (whose sqlite_utils imports pandas)."""
    import subprocess
    import sys

    from crawler.cli.base import COMMAND_MODULES

    top = {path[0]: command for path, command in COMMANDS if len(path) == 1}
    assert set(COMMAND_MODULES) == set(top)
    assert all(command.callback.__module__ == COMMAND_MODULES[name] for name, command in top.items())
    probe = ("import sys; from crawler.cli import main; sys.argv = ['arshif', 'mirror', 'truth', '--articles', '3'];\n"
             "try: main()\nexcept SystemExit: pass\n"
             "print(sorted(m for m in ('scrapy', 'sqlite_utils', 'crawler.storage', 'pandas') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[-1] == "[]", done.stdout[-500:]
    assert len(done.stdout.splitlines()) > 1  # the truth lines were printed: the command ran
