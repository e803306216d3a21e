"""`arshif extract`: one saved page → its article record as JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from crawler.cli.base import cli
from crawler.errors import NoArticleError, UsageError


@cli.command()
@click.argument("path", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--url", default=None, metavar="URL",
              help="The page's URL (gives the site and the article id). Default: the file's file:// URL.")
@click.option("--site", default=None, metavar="NAME",
              help="Read the page with this site's model. Default: the site owning --url (or the page's "
                   "canonical link); any other page is read generically (metadata, then the body by text "
                   "density, trafilatura only where that finds none).")
@click.option("--encoding", default=None, metavar="CHARSET",
              help="The charset the HTTP response declared (e.g. windows-1256). Default: BOM, <meta>, detection.")
@click.option("--sources", is_flag=True, help="Also print, on stderr, which stage gave each field.")
def extract(path: str, url: str | None, site: str | None, encoding: str | None, sources: bool) -> None:
    """Print the article record of the HTML page at PATH ('-' for stdin) as JSON.

    Exits with status 3 and one line on stderr when the page holds no article (soft-404, listing,
    error page).

    \b
    Example:
        curl -s http://127.0.0.1:8000/article/16768/x > page.html
        arshif extract page.html --url https://www.alhadath.ps/article/16768
        arshif extract - --site alhadath < page.html
    """
    from crawler.extract import extract_with_trace

    if path == "-":
        body = sys.stdin.buffer.read()
        url = url or "file:///dev/stdin"
    else:
        file = Path(path)
        if not file.is_file():
            raise UsageError(f"no such file: {path}")
        body = file.read_bytes()
        url = url or file.resolve().as_uri()
    if site is not None:
        from crawler.sites import SiteFileError, get_site

        try:
            site = get_site(site)
        except (KeyError, SiteFileError) as exc:
            raise UsageError(str(exc)) from None
    if encoding is not None and not _known_codec(encoding):
        raise UsageError(f"unknown encoding {encoding!r}")
    extraction = extract_with_trace(body, url, site=site, encoding=encoding)
    if extraction is None:
        raise NoArticleError(f"no article in {path if path != '-' else 'stdin'} ({len(body)} bytes)")
    click.echo(json.dumps(extraction.record, ensure_ascii=False, indent=2))
    if sources:
        click.echo(json.dumps(extraction.sources, ensure_ascii=False), err=True)


def _known_codec(name: str) -> bool:
    import codecs

    try:
        codecs.lookup(name)
    except LookupError:
        return False
    return True
