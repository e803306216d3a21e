"""`arshif mirror`: serve the offline alhadath.ps mirror (or a WordPress or slug-only outlet), or print its truth."""

from __future__ import annotations

import json
import sys

import click

from crawler.cli.base import cli
from crawler.mirror.model import CMS, MARKUPS, WEIGHTS, WP_JSON, MirrorConfig
from crawler.mirror.truth import truth


def content_options(func):
    """The options that decide what the mirror contains (shared by serving and truth)."""
    for option in reversed((
        click.option("--articles", default=3000, show_default=True, type=click.IntRange(min=1),
                     help="How many ids to serve, from --start-id up (some are 404 or soft-404)."),
        click.option("--seed", default=1, show_default=True, type=int, help="Same seed, same site, byte for byte."),
        click.option("--start-id", default=1, show_default=True, type=click.IntRange(min=0),
                     help="First id served; ids follow the real site's growth (16768 ≈ 2015-05, 195000 ≈ 2024-04)."),
        click.option("--day", default=0, show_default=True, type=click.IntRange(min=0),
                     help="Visit day: articles updated on or before this day read in their new version."),
        click.option("--cms", default="alhadath", show_default=True, type=click.Choice(CMS),
                     help="Whose URLs and pages: alhadath's, a WordPress news site's (/YYYY/MM/DD/slug/, wp-json, "
                          "Yoast sitemaps, RSS) or a slug-only CMS's (/news/slug, monthly sitemaps)."),
    )):
        func = option(func)
    return func


@cli.group(invoke_without_command=True)
@content_options
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind (loopback by default).")
@click.option("--port", default=0, show_default=True, type=click.IntRange(0, 65535), help="Port; 0 picks a free one.")
@click.option("--faults", default="", metavar="SPEC",
              help="Misbehave on demand, e.g. 'status5xx=0.05,429=0.02,slow=0.02,drop=0.01,truncate=0.01'.")
@click.option("--markup", default="default", show_default=True, type=click.Choice(MARKUPS),
              help="Page layout of the whole site: modern divs, an old table CMS, or a client-rendered page.")
@click.option("--weight", default="light", show_default=True, type=click.Choice(WEIGHTS),
              help="Page weight: light (~8 KiB, fast tests) or real (82-148 KB article pages: inline CSS/JS, "
                   "menus, JSON state, related and latest boxes, footer), same stories.")
@click.option("--hazards", default="", metavar="LIST",
              help="Hostile-web hazards (off by default), e.g. 'robots503,bomb,huge,hang,trickle,loop,"
                   "selfredirect-cookie,offsite,endless-pages,feed,sitemap-bomb,feed-xxe' (crawler/mirror/hazards.py).")
@click.option("--wp-json", "wp_json", default="on", show_default=True, type=click.Choice(WP_JSON),
              help="--cms wordpress: the REST API answers (on), 404s (off) or 403s (forbidden), as hardened sites do.")
@click.pass_context
def mirror(ctx, articles, seed, start_id, day, cms, host, port, faults, markup, weight, hazards, wp_json) -> None:
    """Serve a deterministic offline copy of alhadath.ps until Ctrl-C / SIGTERM.

    The first line on stdout is the base URL (http://127.0.0.1:PORT). `arshif mirror truth` prints what
    every page holds.

    \b
    Example:
        arshif mirror --articles 3000 --port 8000
        arshif mirror --articles 500 --faults 'status5xx=0.05,429=0.02,drop=0.01' --markup table
        arshif mirror --articles 3000 --weight real     # pages as heavy as a real news site's
        arshif mirror --articles 300 --hazards robots503,bomb,endless-pages,feed
        arshif mirror --articles 500 --cms wordpress --wp-json off   # a WordPress outlet, REST API closed
    """
    if ctx.invoked_subcommand is not None:
        return
    from crawler.mirror.server import serve

    config = MirrorConfig(articles=articles, seed=seed, start_id=start_id, day=day, faults=faults, markup=markup,
                          weight=weight, hazards=hazards, cms=cms, wp_json=wp_json)

    def announce(base_url: str) -> None:
        click.echo(base_url)
        sys.stdout.flush()
        click.echo(f"serving {config.articles} ids from {config.start_id} (seed {config.seed}, day {config.day}, "
                   f"markup {config.markup}, weight {config.weight}, faults {config.faults or 'none'}, "
                   f"hazards {config.hazards or 'none'}, cms {config.cms}); Ctrl-C stops", err=True)

    serve(config, host=host, port=port, announce=announce)


@mirror.command("truth")
@content_options
def truth_command(articles, seed, start_id, day, cms) -> None:
    """Print the truth of every served id as JSON lines (UTF-8, unescaped).

    Keys: id, status (article|soft404|missing), url, title, published_at, published_hijri, byline_raw,
    authors, agencies, dateline, paragraphs, caption, category, exact_duplicate_of, near_duplicate_of,
    updated_on_day, key (what the archive keys it by: the id, or for --cms wordpress|slug a key from the URL).

    \b
    Example:
        arshif mirror truth --articles 300 --seed 1 > truth.jsonl
        arshif mirror truth --articles 300 --cms slug > slug-truth.jsonl
    """
    config = MirrorConfig(articles=articles, seed=seed, start_id=start_id, day=day, cms=cms)
    out = click.get_text_stream("stdout", encoding="utf-8")
    for record in truth(config):
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    out.flush()
