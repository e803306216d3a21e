"""`arshif probe`: a first-contact check of a site's markup (crawler.probe does the work)."""

from __future__ import annotations

import json

import click

from crawler.cli.base import cli
from crawler.errors import NoArticleError, UnreachableError, UsageError


@cli.command("probe")
@click.argument("site")
@click.option("--base-url", metavar="URL", help="Probe another host with the site's paths (e.g. the mirror).")
@click.option("--articles", type=click.IntRange(1, 20), default=5, show_default=True,
              help="Article pages to fetch.")
@click.option("--polite/--no-polite", default=None,
              help="One request a second (robots.txt is always honoured). Default: on, except for a loopback --base-url.")
@click.option("--json", "as_json", is_flag=True, help="The report as JSON.")
def probe_command(site: str, base_url: str | None, articles: int, polite: bool | None, as_json: bool) -> None:
    """Fetch SITE's home page, one listing and a few articles; report which URL patterns matched, which
    extraction stage read each field, whether the layout anchors were found and what to put in Site.selectors.

    Exits with code 3 when the core fields (title, date, body) cannot be read on every probed article, 4 when
    nothing could be fetched.

    \b
    Examples:
        arshif probe alhadath                                   # the real site, politely
        arshif probe alhadath --base-url http://127.0.0.1:8000 --articles 3
        arshif probe alhadath --base-url http://127.0.0.1:8000 --json
    """
    from crawler.probe import probe
    from crawler.sites import SiteFileError, get_site

    try:
        model = get_site(site)
    except (KeyError, SiteFileError) as exc:
        raise UsageError(str(exc)) from None
    report = probe(model, base_url, articles=articles, polite=polite)
    click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) if as_json else report.text())
    home = report.pages.get("home")
    if not report.articles and (home is None or home["status"] is None):
        raise UnreachableError(f"probe: nothing fetched from {report.base_url} ({report.robots if home is None else home['error']})")
    if not report.ok:
        raise NoArticleError("probe: " + "; ".join(report.problems()))
