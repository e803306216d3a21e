"""The `arshif` group, its shared options and the one error boundary."""

from __future__ import annotations

import sys

import click

from crawler import __version__
from crawler.errors import ArshifError


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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
    sys.exit(code if isinstance(code, int) else 0)
