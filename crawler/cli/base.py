"""The `arshif` group, its shared options and the one error boundary."""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from crawler import __version__
from crawler.errors import EXIT_BAD_ARCHIVE, EXIT_BROKEN_PIPE, ArshifError, UsageError

if TYPE_CHECKING:  # crawler.storage (sqlite_utils) is imported by the commands that read or write an archive
    from crawler.storage import ArticleQuery


class PipeClosed(Exception):
    """stdout's reader went away. Not an OSError: click turns a broken pipe into exit 1, the code for bugs."""


# Which module defines each command, so that `arshif mirror` imports the mirror's module only. Why: the
# other modules import crawler.storage → sqlite_utils, which imports pandas whenever it is installed (pandas
# is in the test extra for the README's examples); that took the 200,000-id mirror from 76 to 189 MB RSS. A
# command missing here is still found (every module is then imported), only not lazily; tests/test_readme.py
# checks the table is complete.
COMMAND_MODULES = {
    "mirror": "crawler.cli.mirror",
    "date": "crawler.cli.dates",
    "crawl": "crawler.cli.crawl",
    "backfill": "crawler.cli.crawl",
    "export": "crawler.cli.ops",
    "stats": "crawler.cli.ops",
    "coverage": "crawler.cli.ops",
    "migrate": "crawler.cli.ops",
    "search": "crawler.cli.ops",
    "reparse": "crawler.cli.reparse",
    "extract": "crawler.cli.extract",
    "serve": "crawler.cli.serve",
    "probe": "crawler.cli.probe",
    "worker": "crawler.cli.distributed",
    "store": "crawler.cli.distributed",
    "check": "crawler.cli.admin",
    "backup": "crawler.cli.admin",
}


def load_all_commands() -> None:
    """Import every module of crawler.cli: each registers its commands on ``cli`` when imported."""
    import importlib
    import pkgutil
    from pathlib import Path

    package = __name__.rpartition(".")[0]
    for module in pkgutil.iter_modules([str(Path(__file__).parent)]):
        importlib.import_module(f"{package}.{module.name}")


class ArshifGroup(click.Group):
    """The `arshif` group: commands load on first use (COMMAND_MODULES); one error boundary for pipes."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            import importlib

            module = COMMAND_MODULES.get(cmd_name)
            if module is not None:
                importlib.import_module(module)
            if cmd_name not in self.commands:
                load_all_commands()
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        load_all_commands()
        return super().list_commands(ctx)

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
        is_eager=True,  # read before SITE / --site: a `crawl --url` outlet is known by the archive's rows
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


def _site_of(ctx: click.Context | None, name: str):
    """The ``Site`` a SITE argument or --site option names: a site file's name or path, a URL, or the host
    under which the archive (--db) stores an outlet crawled with `crawl --url` (``ArchiveReader.site``).
    An unknown name is a usage error (exit 2) that names the known sites, not an empty export or a run
    recorded for nothing."""
    from crawler.sites import SiteFileError, get_site

    try:
        return get_site(name)
    except SiteFileError as exc:
        raise UsageError(str(exc.args[0])) from None
    except KeyError as exc:
        unknown = str(exc.args[0]) if exc.args else f"unknown site {name!r}"
    db_path = ctx.params.get("db_path") if ctx is not None else None
    if db_path and Path(db_path).is_file():
        from crawler.storage import open_archive

        with open_archive(db_path) as reader:
            try:
                return reader.site(name)
            except KeyError:
                pass
    raise UsageError(unknown)


def known_site(ctx: click.Context | None, param: click.Parameter | None, name: str | None) -> str | None:
    """Click callback for a --site filter (export, search, coverage, reparse): the name as the archive
    stores it, once checked (``_site_of``)."""
    if name is None:
        return None
    _site_of(ctx, name)
    return name


def site_to_run(ctx: click.Context | None, param: click.Parameter | None, name: str | None) -> str | None:
    """Click callback for the site a command crawls or stores (crawl, backfill, worker, store): as
    ``known_site``, but a `crawl --url` outlet named by its stored host (e.g. ``arshif crawl 127.0.0.1 --db
    outlet.db``) becomes its URL (http://127.0.0.1:8000/), which every later ``get_site`` reads back."""
    if name is None:
        return None
    site = _site_of(ctx, name)
    return name if site.source is not None or name.startswith(("http://", "https://")) else site.base_url + "/"


class ProcessCount(click.ParamType):
    """A count of processes from ``minimum`` on, or ``auto`` (converted to ``auto``): ``crawl --extract-jobs``
    (0 on, auto → -1, the setting's value) and ``reparse --jobs`` (1 on, auto → "auto")."""

    name = "N|auto"

    def __init__(self, minimum: int, auto: int | str, what: str = "processes") -> None:
        self.minimum, self.auto, self.what = minimum, auto, what

    def convert(self, value, param, ctx):
        if isinstance(value, int) and (value >= self.minimum or value == self.auto):
            return value
        if str(value).strip().lower() == "auto":
            return self.auto
        try:
            count = int(value)
        except ValueError:
            count = None
        if count is None or count < self.minimum:
            counts = ", ".join(str(self.minimum + step) for step in range(3))
            self.fail(f"{value!r} is neither a count of {self.what} ({counts}, …) nor 'auto'", param, ctx)
        return count


def window_query(since: str | None, until: str | None, **query) -> "ArticleQuery":
    """The articles of a --since/--until window (``crawler.dates.DateWindow``: since inclusive, until
    inclusive of the day or second written) as an archive query; ``query``: ArticleQuery's other fields."""
    from crawler.dates import DateWindow
    from crawler.storage import ArticleQuery

    try:
        start, end = DateWindow.read(since, until).local_bounds()
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return ArticleQuery(since=start, until=end, **query)


def window_options(func):
    func = click.option("--until", help="Published on or before this date (e.g. 2016-12-31).")(func)
    func = click.option("--since", help="Published on or after this date (e.g. 2016-01-01).")(func)
    return func


def site_option(func):
    return click.option("--site", callback=known_site, help="Only this site (e.g. alhadath).")(func)


def default_warc_dir(db_path: str) -> Path:
    """Where crawls keep WARC files unless told otherwise: ``<db dir>/warc``."""
    return Path(db_path).resolve().parent / "warc"


def warc_directory(db_path: str, warc_dir: str | None, no_warc: bool, *, default_on: bool) -> str | None:
    """The --warc/--no-warc choice of a crawl command: a directory, or None for no capture."""
    if no_warc:
        if warc_dir:
            raise UsageError("--warc and --no-warc contradict each other")
        return None
    if warc_dir:
        return warc_dir
    return str(default_warc_dir(db_path)) if default_on else None


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
