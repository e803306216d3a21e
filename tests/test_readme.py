"""The README documents every `arshif` command, and every command's help shows an example."""

from __future__ import annotations

from pathlib import Path

import click

from crawler.cli import cli

README = Path(__file__).resolve().parents[1] / "README.md"


def command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    found = []
    for name, command in sorted(group.commands.items()):
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
