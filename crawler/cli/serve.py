"""`arshif serve`: browse the archive in Datasette (read-only) with Arshif's own pages."""

from __future__ import annotations

import sys

import click

from crawler.cli.base import cli, db_option


@cli.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to bind: loopback by default; 0.0.0.0 shows the archive to your network.")
@click.option("--port", default=8001, show_default=True, type=click.IntRange(0, 65535),
              help="Port; 0 picks a free one.")
def serve(db_path, host, port):
    """Browse the archive in a web browser: totals and coverage charts, Arabic search with facets,
    articles right to left with their versions diffed word by word, and the crawl runs.

    The archive is opened read-only (a running crawl can go on writing to it). Every page is also
    JSON (add .json), and Datasette's own table views and SQL are at /<database>. The first line on
    stdout is the base URL, without a trailing slash: "$URL/search.json" joins cleanly. Needs the
    `serve` extra (Datasette).

    \b
    Examples:
        arshif serve --db demo.db                    # then open http://127.0.0.1:8001
        arshif serve --db arshif.db --port 0         # any free port, printed first
        curl 'http://127.0.0.1:8001/search.json?q=اسرائيل&year=2016'
    """
    from crawler.serve import bind, build_datasette, require_datasette, serve as run

    require_datasette()
    datasette = build_datasette(db_path)  # a missing archive fails here, before binding
    sock = bind(host, port)
    bound_host, bound_port = sock.getsockname()[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    click.echo(f"http://{shown}:{bound_port}")  # no trailing slash: "$URL/.json" must not be "//.json"
    sys.stdout.flush()
    click.echo(f"serving {db_path} read-only; Ctrl-C stops", err=True)
    run(datasette, sock)
