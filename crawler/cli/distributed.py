"""`arshif worker` and `arshif store`: the distributed mode (crawler.distributed), and the seeding that
`arshif backfill/crawl --redis` do instead of crawling in this process."""

from __future__ import annotations

import logging
import sys

import click

from crawler.cli.base import cli, db_option, site_to_run, parse_settings, settings_options
from crawler.lock import ArchiveLock

# crawler.distributed (Scrapy, redis) is imported inside the commands: other commands stay light.

redis_option = click.option("--redis", "redis_url", required=True, envvar="ARSHIF_REDIS", metavar="URL",
                            help="The shared Redis, e.g. redis://10.0.0.5:6379/0, or TLS: "
                                 "rediss://10.0.0.5:6380/0?ssl_ca_certs=/etc/arshif/ca.crt (env ARSHIF_REDIS).")
log_level_option = click.option("--log-level", default="INFO", show_default=True,
                                type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False))


def _logging(level: str, log_file: str | None = None) -> None:
    target = {"filename": log_file, "encoding": "utf-8"} if log_file else {"stream": sys.stderr}
    logging.basicConfig(level=level.upper(), format="%(asctime)s [%(name)s] %(levelname)s: %(message)s", **target)


@cli.command()
@click.argument("site", callback=site_to_run)
@redis_option
@click.option("--base-url", metavar="URL",
              help="Fetch from another host with the site's paths (the same as the seeding command's).")
@click.option("--rate", type=click.FloatRange(min=0, min_open=True), metavar="REQ/S",
              help="Requests a second to the site, shared by all workers. Default: 1 (polite); none for a "
                   "loopback --base-url.")
@click.option("--polite/--no-polite", default=None,
              help="robots.txt, AutoThrottle, the shared rate. Default: on, except for a loopback --base-url.")
@click.option("--concurrency", type=click.IntRange(min=1), metavar="N",
              help="Requests this worker keeps in flight (default: 2 per site when polite, 32 otherwise).")
@click.option("--exit-when-idle", type=click.FloatRange(min=0), default=0, metavar="SECONDS",
              help="Stop once the shared queue stayed empty this long (default: wait for work until stopped).")
@click.option("--warc", "warc_dir", type=click.Path(file_okay=False), metavar="DIR",
              help="Keep every fetched response in WARC files under DIR on this machine, named "
                   "arshif-<host>-<time>-<pid>-<n>.warc.gz (default: none).")
@log_level_option
@settings_options
def worker(site, redis_url, base_url, rate, polite, concurrency, exit_when_idle, warc_dir, log_level, assignments,
           log_file) -> None:
    """Fetch and extract SITE's pages from the shared Redis queue; send the items to `arshif store`.

    Run any number, on any machine. Queue work with `arshif backfill/crawl ... --redis URL`.
    Stop with Ctrl-C or SIGTERM (requests in hand finish first).

    \b
    Examples:
        arshif worker alhadath --redis redis://10.0.0.5:6379/0
        arshif worker alhadath --redis redis://127.0.0.1:6379/0 --base-url http://127.0.0.1:8000 --exit-when-idle 30
        arshif worker alhadath --redis redis://10.0.0.5:6379/0 --warc /srv/arshif/warc   # keep WARC files here
        arshif worker alhadath --redis redis://10.0.0.5:6379/0 -s DOWNLOAD_TIMEOUT=60 --log-file worker.log
        arshif worker alhadath --redis 'rediss://10.0.0.5:6380/0?ssl_ca_certs=/etc/arshif/ca.crt'   # TLS
    """
    from crawler.distributed.connection import check_url
    from crawler.distributed.worker import run_worker
    from crawler.runner import check_base_url

    check_base_url(base_url)

    settings = {"CONCURRENT_REQUESTS": concurrency, "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency} \
        if concurrency else {}
    run_worker(site, check_url(redis_url), base_url=base_url, polite=polite, rate=rate,
               exit_when_idle=exit_when_idle, log_level=log_level.upper(), warc_dir=warc_dir,
               settings={**settings, **parse_settings(assignments)}, log_file=log_file)


@cli.command()
@redis_option
@db_option
@click.option("--site", default="alhadath", show_default=True, callback=site_to_run, help="Whose queue to write from.")
@click.option("--batch-size", type=click.IntRange(min=1), default=500, show_default=True,
              help="Items per SQLite commit (at most; fewer when the queue runs dry).")
@click.option("--exit-when-idle", type=click.FloatRange(min=0), default=0, metavar="SECONDS",
              help="Stop once nothing came for this long (default: run until stopped).")
@log_level_option
@click.option("--log-file", type=click.Path(dir_okay=False), metavar="PATH",
              help="Write the log to PATH (appended) instead of stderr; the summary stays on stdout.")
@click.option("--notify", "notify", multiple=True, metavar="URL",
              help="Tell this Apprise URL (mailto://, slack://, json://, …) when a store run fails (e.g. exit 7,"
                   " disk full) and when a later one is ok again; repeatable; also $ARSHIF_NOTIFY.")
def store(redis_url, db_path, site, batch_size, exit_when_idle, log_level, log_file, notify) -> None:
    """The distributed mode's only archive writer: take the workers' items from Redis into the archive.

    Exactly one per archive and per queue: it takes the archive's lock and a lease on the queue in Redis
    (exit code 6 if another run holds either; a killed writer's lease expires after 15 s). Runs
    dedupe and store as a single-process crawl does; stop it with Ctrl-C or SIGTERM (the current
    batch is committed first). A killed writer loses nothing: its next start applies its last batch again.

    \b
    Examples:
        arshif store --redis redis://127.0.0.1:6379/0 --db archive.db
        arshif store --redis redis://127.0.0.1:6379/0 --db archive.db --exit-when-idle 60
        arshif store --redis redis://127.0.0.1:6379/0 --db archive.db --notify 'json://127.0.0.1:9000/hook'
    """
    from crawler.distributed.connection import check_url
    from crawler.distributed.writer import StoreOptions, run_store
    from crawler.errors import EXIT_FAILURE
    from crawler.notify import after_run, condition, notify_targets

    _logging(log_level, log_file)
    options = StoreOptions(site=site, redis_url=check_url(redis_url), db_path=db_path, batch_size=batch_size,
                           exit_when_idle=exit_when_idle)
    targets = notify_targets(notify)
    try:
        with ArchiveLock(db_path):
            result = run_store(options)
    except Exception as exc:  # a store run that failed (its row says "failed"): one message per incident
        run_id = getattr(exc, "run_id", None)
        after_run(db_path, options.site, run_id, condition("failed", getattr(exc, "exit_code", EXIT_FAILURE)),
                  str(exc), targets)
        raise
    # Ok: closes an open incident. Only a run that applied items proves the writer healthy again.
    after_run(db_path, options.site, result.run_id, condition("ok", 0), "ok", targets, proves_health=result.items > 0)
    click.echo(f"store run {result.run_id}: {result.items:,} items written in {result.elapsed:.1f}s"
               f" ({result.counts.articles_new:,} new, {result.counts.articles_updated:,} updated,"
               f" {result.counts.aliases:,} aliases, {result.counts.misses:,} misses,"
               f" {result.counts.failures:,} failures); {result.recovered:,} re-applied from a stopped writer,"
               f" {result.dead:,} could not be applied")


def seed(mode: str, redis_url: str, site: str, db_path: str, base_url: str | None, *, ids: str | None = None,
         refresh: bool = False, retry_misses: bool = False, polite: bool | None = None, since: str | None = None,
         until: str | None = None, max_pages: int | None = None) -> None:
    """`arshif backfill/crawl --redis URL`: queue the work for the workers instead of doing it here. The
    window, --max-pages and --refresh travel to the workers with the seed (crawler.distributed.run)."""
    from crawler.distributed.connection import check_url, display_url
    from crawler.distributed.seed import seed_backfill, seed_crawl
    from crawler.runner import CrawlOptions, check_options

    _logging("WARNING")
    check_url(redis_url)
    check_options(CrawlOptions(site=site, mode=mode, ids=ids, db_path=db_path, base_url=base_url, polite=polite, since=since,
                               until=until, max_pages=max_pages))
    polite_arg = "auto" if polite is None else polite
    if mode == "backfill":
        result = seed_backfill(site, redis_url, ids=ids, db_path=db_path, base_url=base_url, refresh=refresh,
                               retry_misses=retry_misses, polite=polite_arg, since=since, until=until)
        what = "ids"
    else:
        result = seed_crawl(site, redis_url, db_path=db_path, base_url=base_url, refresh=refresh, polite=polite_arg,
                            since=since, until=until, max_pages=max_pages)
        what = "discovery requests"
    click.echo(f"queued {result.queued:,} {what} on {display_url(redis_url)} (recorded ids read from"
               f" {result.source}); {result.waiting:,} requests waiting for workers")
