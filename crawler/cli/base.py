"""The `arshif` group, its shared options and the one error boundary."""

from __future__ import annotations

import os
import sqlite3
import sys

import click

from crawler import __version__
from crawler.errors import EXIT_BAD_ARCHIVE, EXIT_BROKEN_PIPE, ArshifError, UsageError


class PipeClosed(Exception):
    """stdout's reader went away. Not an OSError: click turns a broken pipe into exit 1, the code for bugs."""


# Where each command is defined: its module (``crawler.cli.<module>``) registers it on ``cli`` when imported.
# A run imports only the module of the command it runs, so `arshif reparse` does not load Scrapy, Twisted,
# Datasette or redis (0.8 → 0.45 s of start-up, paid again by every `reparse --jobs N` before its workers
# fork); listing the commands (`arshif --help`, ``cli.commands.items()``) imports them all. A command missing
# here is still found: an unknown name imports every module before click calls it unknown.
COMMAND_MODULES = {
    "mirror": ("mirror",),
    "dates": ("date",),
    "crawl": ("crawl", "backfill"),
    "ops": ("export", "stats", "coverage", "migrate", "search", "reparse"),
    "extract": ("extract",),
    "serve": ("serve",),
    "probe": ("probe",),
    "distributed": ("worker", "store"),
    "admin": ("check", "backup"),
}
_MODULE_OF = {command: module for module, commands in COMMAND_MODULES.items() for command in commands}


class LazyCommands(dict):
    """The group's command table, filled as command modules are imported: asking for one name imports its
    module; anything that walks the table (items, keys, len, iteration) imports every module first."""

    def _import(self, modules) -> None:
        from importlib import import_module

        for module in modules:
            import_module(f"crawler.cli.{module}")

    def _complete(self) -> None:
        if not getattr(self, "_all_loaded", False):
            self._all_loaded = True
            self._import(COMMAND_MODULES)

    def _find(self, name: object) -> None:
        if not dict.__contains__(self, name):
            self._import([_MODULE_OF[name]] if name in _MODULE_OF else [])
            if not dict.__contains__(self, name):
                self._complete()

    def get(self, name, default=None):
        self._find(name)
        return dict.get(self, name, default)

    def __getitem__(self, name):
        self._find(name)
        return dict.__getitem__(self, name)

    def __contains__(self, name) -> bool:
        self._find(name)
        return dict.__contains__(self, name)

    def __iter__(self):
        self._complete()
        return dict.__iter__(self)

    def __len__(self) -> int:
        self._complete()
        return dict.__len__(self)

    def keys(self):
        self._complete()
        return dict.keys(self)

    def values(self):
        self._complete()
        return dict.values(self)

    def items(self):
        self._complete()
        return dict.items(self)


class ArshifGroup(click.Group):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.commands = LazyCommands(self.commands)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            raise PipeClosed from None


@click.group(cls=ArshifGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="arshif")
def cli() -> None:
    """Arshif (أرشيف): crawl an Arabic news site into a clean, deduplicated SQLite archive.

    \b
    Example:
        arshif mirror --articles 3000 &      # a local copy of the site to play with
        arshif crawl alhadath --base-url http://127.0.0.1:8000 --db arshif.db
    """


def db_option(func):
    return click.option(
        "--db",
        "db_path",
        envvar="ARSHIF_DB",
        default="arshif.db",
        show_default=True,
        type=click.Path(dir_okay=False),
        help="SQLite archive file (env ARSHIF_DB).",
    )(func)


def live_line(text: str, end: str = "") -> None:
    """A status line redrawn in place on a terminal (nothing when stderr is a file or a pipe)."""
    if sys.stderr.isatty():
        sys.stderr.write(f"\r\x1b[K{text}{end}")
        sys.stderr.flush()


def settings_options(func):
    """``-s NAME=VALUE`` (repeatable, as Scrapy's) and ``--log-file``: for the commands that run Scrapy."""
    func = click.option("--log-file", type=click.Path(dir_okay=False), metavar="PATH",
                        help="Write the log to PATH (appended) instead of stderr; the summary stays on stdout.")(func)
    return click.option("-s", "--set", "assignments", multiple=True, metavar="NAME=VALUE",
                        help="Set a Scrapy or ARSHIF_* setting for this run (repeatable), e.g. -s DOWNLOAD_DELAY=2;"
                             " it overrides the environment's ARSHIF_* variables.")(func)


def parse_settings(assignments: tuple[str, ...]) -> dict:
    """The ``-s`` options as settings, each value typed like its default (crawler.config)."""
    if not assignments:
        return {}
    from crawler.config import parse_assignment, project_defaults

    defaults = project_defaults()
    return dict(parse_assignment(text, defaults) for text in assignments)


def known_site(ctx: click.Context | None, param: click.Parameter | None, name: str | None) -> str | None:
    """Click callback for every SITE argument and --site option: an unknown name is a usage error (exit 2)
    that names the known sites, not an empty export or a run recorded for nothing."""
    if name is None:
        return None
    from crawler.sites import SiteFileError, get_site

    try:
        get_site(name)
    except (KeyError, SiteFileError) as exc:
        raise UsageError(str(exc.args[0]) if exc.args else f"unknown site {name!r}") from None
    return name


def main(argv: list[str] | None = None) -> None:
    """Entry point: every expected error becomes one line on stderr and its own exit code."""
    try:
        code = cli.main(args=argv, prog_name="arshif", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except ArshifError as exc:
        click.echo(f"arshif: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except (BrokenPipeError, PipeClosed):
        # `arshif export ... | head -1`: the reader has what it wanted. No traceback, and the shell's code
        # for a writer stopped by SIGPIPE; stdout goes to /dev/null so the exit flush does not fail again.
        _quiet_stdout()
        sys.exit(EXIT_BROKEN_PIPE)
    except sqlite3.DatabaseError as exc:
        from crawler.storage import is_damage

        if not is_damage(exc):
            raise
        # A page deep in a damaged file, read long after it was opened: still the file's fault, not a bug.
        click.echo(f"arshif: the archive is damaged ({exc}): run `arshif check`, or restore a backup", err=True)
        sys.exit(EXIT_BAD_ARCHIVE)
    sys.exit(code if isinstance(code, int) else 0)


def _quiet_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
