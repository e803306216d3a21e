"""`arshif crawl` and `arshif backfill`: thin click commands over crawler.runner."""

from __future__ import annotations

import click

from crawler.cli.base import (ProcessCount, cli, db_option, parse_settings, settings_options, site_to_run,
                              warc_directory)
from crawler.errors import ArshifError, LockedError, UsageError
from crawler.lock import ArchiveLock

# crawler.runner (Scrapy), the monitor (Scrapy), notify and storage are imported inside the commands: `arshif
# --help` (which loads every command module) and `arshif export` & co. stay light.


# --extract-jobs: 0 (in the crawl's process), N, or auto (one fewer than the cores, the setting's -1).
JOBS = ProcessCount(0, -1, "worker processes")


def run_options(func):
    """Options shared by crawl and backfill."""
    for option in reversed((
        db_option,
        click.option("--base-url", metavar="URL",
                     help="Fetch from another host with the site's paths (e.g. the mirror); records keep real URLs."),
        click.option("--since", metavar="DATE", help="Store only articles published on/after DATE (any form: 2024-04-29, '29 نيسان 2024')."),
        click.option("--until", metavar="DATE", help="Store only articles published on/before DATE (a bare day includes the whole day)."),
        click.option("--refresh", is_flag=True, help="Refetch stored articles too; changes are kept as versions."),
        click.option("--polite/--no-polite", default=None,
                     help="robots.txt, AutoThrottle, ~1 request/s. Default: on, except for a loopback --base-url."),
        click.option("--log-level", default="INFO", show_default=True,
                     type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False)),
        click.option("--warc", "warc_dir", metavar="DIR",
                     help="Keep every fetched response in WARC files under DIR (backfill: on, in <db dir>/warc)."),
        click.option("--no-warc", is_flag=True, help="Keep no WARC files (backfill keeps them by default)."),
        click.option("--if-unlocked", is_flag=True,
                     help="When another run holds the archive's lock, say so in one line and exit 0 (for cron)."),
        click.option("--redis", "redis_url", metavar="URL",
                     help="Distributed mode: only queue the work in this Redis for `arshif worker`s (see worker);"
                          " --since/--until/--max-pages/--refresh travel with it to every worker."),
        click.option("--timeout", type=click.FloatRange(min=0.1), metavar="SECONDS",
                     help="Give up on a response after SECONDS (default 30; each retry gets as long again)."),
        click.option("--notify", "notify", multiple=True, metavar="URL",
                     help="Tell this Apprise URL (mailto://, slack://, json://, …) when an alarm or failure starts"
                          " and when it is over; repeatable; also $ARSHIF_NOTIFY (space/comma separated)."),
        click.option("--extract-jobs", type=JOBS, metavar="N|auto",
                     help="Extract article pages in N worker processes; auto: one fewer than the cores. Default 0: "
                          "in the crawl's process (setting ARSHIF_EXTRACT_JOBS; -1 = auto)."),
        settings_options,
    )):
        func = option(func)
    return func


def abandon_dead_runs_of(db_path) -> None:
    """Holding the lock, mark the runs whose process died "abandoned" (crawler.runstate)."""
    from pathlib import Path

    from crawler.runstate import abandon_dead_runs
    from crawler.storage import Archive

    if Path(db_path).exists():
        with Archive(db_path) as archive:
            abandon_dead_runs(archive, lock_free=True)


def finish(options, warc_dir: str | None = None, if_unlocked: bool = False,
           timeout: float | None = None, notify: tuple[str, ...] = (), extract_jobs: int | None = None) -> None:
    """Run under the archive's lock (a concurrent run exits with code 6, or 0 with ``if_unlocked``: an hourly
    cron run while a long walk holds the lock is no failure) and report the result.

    Exit codes (crawler.errors): 0 ok, 4 nothing reachable, 5 quality alarm, 6 locked, 7 disk full,
    8 interrupted (SIGTERM/SIGINT: the current batch is committed first), 9 failed.
    """
    from crawler.alarms import PageCounts
    from crawler.monitor import QUALITY_REASON
    from crawler.notify import after_run, condition, notify_targets
    from crawler.runner import check_options, format_summary, run_crawl, run_error  # loads Scrapy: only when crawling
    from crawler.storage import ArchiveFull

    check_options(options)  # before the lock: its file would land in a missing folder
    if warc_dir:
        options.settings["ARSHIF_WARC_DIR"] = warc_dir
    if timeout:
        options.settings["DOWNLOAD_TIMEOUT"] = timeout
    if extract_jobs is not None:
        options.settings["ARSHIF_EXTRACT_JOBS"] = extract_jobs
    lock = ArchiveLock(options.db_path)
    try:
        lock.acquire()
    except LockedError as exc:
        if not if_unlocked:
            raise
        click.echo(f"skipped: {exc}")
        return
    abandon_dead_runs_of(options.db_path)
    targets = notify_targets(notify)
    try:
        try:
            result = run_crawl(options)
        finally:
            lock.release()
    except ArshifError as exc:  # nothing reachable: no result, the run's row says "failed"
        after_run(options.db_path, options.site, getattr(exc, "run_id", None), condition(None, exc.exit_code),
                  str(exc), targets)
        raise
    click.echo(format_summary(result))
    error = (ArchiveFull(f"disk full: {options.db_path}: {result.disk_full}") if result.disk_full
             else run_error(result))
    what = str(result.stats.get(QUALITY_REASON) or error or result.status)
    after_run(options.db_path, options.site, result.run_id,
              condition(result.status, error.exit_code if error is not None else 0), what, targets,
              proves_health=PageCounts.from_stats(result.stats).pages > 0)
    if error is not None:
        raise error


@cli.command()
@click.argument("site", required=False, callback=site_to_run)
@run_options
@click.option("--max-pages", type=click.IntRange(min=1), help="Listing pages to walk per category at most.")
@click.option("--url", "site_url", metavar="URL",
              help="An outlet with no site file: its home page URL (articles keyed by URL, generic extraction).")
def crawl(site, db_path, base_url, since, until, refresh, polite, log_level, warc_dir, no_warc, if_unlocked,
          redis_url, timeout, extract_jobs, assignments, log_file, max_pages, site_url, notify) -> None:
    """Crawl SITE's listings for new articles into the archive (incremental: stops at known pages).

    SITE is a site's name (alhadath, wpnews, slugnews, a file in ARSHIF_SITES) or a site file's path; with
    --url instead, any outlet: found from its home page, feeds and sitemaps.

    \b
    Examples:
        arshif crawl alhadath                                   # the real site, politely
        arshif crawl alhadath --base-url http://127.0.0.1:8000 --db demo.db
        arshif crawl alhadath --since 2024-04-01 --max-pages 5
        arshif crawl alhadath --extract-jobs 2                  # extract in 2 worker processes
        arshif crawl alhadath --if-unlocked                     # hourly cron: exit 0 while a backfill runs
        arshif crawl alhadath --notify 'mailto://ops:pw@mail.example.org?to=ops@example.org'   # alarms by mail
        arshif crawl alhadath -s DOWNLOAD_DELAY=3 -s ARSHIF_QUALITY_MIN_PAGES=3 --log-file crawl.log
        arshif crawl alhadath --redis redis://127.0.0.1:6379/0   # queue a round for `arshif worker`s
        arshif crawl alhadath --redis redis://127.0.0.1:6379/0 --since 2024-04-01 --max-pages 5   # the workers apply them
        arshif crawl --url https://outlet.example/ --db outlet.db  # no site file
    """
    from crawler.runner import CrawlOptions

    if bool(site) == bool(site_url):
        raise UsageError("give a SITE or --url URL (one of them)")
    site = site or site_url

    if redis_url:
        from crawler.cli.distributed import seed

        return seed("crawl", redis_url, site, db_path, base_url, since=since, until=until, max_pages=max_pages,
                    refresh=refresh, polite=polite)

    finish(CrawlOptions(site=site, db_path=db_path, mode="crawl", base_url=base_url, since=since, until=until,
                        max_pages=max_pages, refresh=refresh, polite=polite, log_level=log_level.upper(),
                        log_file=log_file, settings=parse_settings(assignments)),
           warc_directory(db_path, warc_dir, no_warc, default_on=False), if_unlocked, timeout, notify, extract_jobs)


@cli.command()
@click.argument("site", callback=site_to_run)
@click.option("--ids", metavar="RANGES", help="Article ids: A-B, or a list like 1-5,9 (required for a site keyed by "
                                              "id; a site keyed by URL backfills through wp-json or its sitemaps).")
@click.option("--retry-misses", is_flag=True, help="Ask again for ids recorded as misses (404, soft-404).")
@run_options
def backfill(site, ids, retry_misses, db_path, base_url, since, until, refresh, polite, log_level, warc_dir,
             no_warc, if_unlocked, redis_url, timeout, extract_jobs, assignments, log_file, notify) -> None:
    """Fetch SITE's articles by id, skipping ids already recorded. Rerun the same command to resume.

    \b
    Examples:
        arshif backfill alhadath --ids 30000-35000
        arshif backfill alhadath --ids 1-5,9 --base-url http://127.0.0.1:8000 --db demo.db
        arshif backfill alhadath --ids 30000-35000 --retry-misses
        arshif backfill alhadath --ids 1-500 -s CONCURRENT_REQUESTS_PER_DOMAIN=4 --log-level DEBUG --log-file bf.log
        arshif backfill alhadath --ids 1-100000 --redis redis://127.0.0.1:6379/0   # queue for `arshif worker`s
        arshif backfill alhadath --ids 1-100000 --redis redis://127.0.0.1:6379/0 --since 2020-01-01
        arshif backfill wpnews --base-url http://127.0.0.1:8000       # every post: wp-json, else sitemaps
    """
    from crawler.runner import CrawlOptions

    if redis_url:
        from crawler.cli.distributed import seed

        return seed("backfill", redis_url, site, db_path, base_url, ids=ids, since=since, until=until,
                    refresh=refresh, retry_misses=retry_misses, polite=polite)

    finish(CrawlOptions(site=site, db_path=db_path, mode="backfill", ids=ids, base_url=base_url, since=since,
                        until=until, refresh=refresh, retry_misses=retry_misses, polite=polite,
                        log_level=log_level.upper(), log_file=log_file, settings=parse_settings(assignments)),
           warc_directory(db_path, warc_dir, no_warc, default_on=True), if_unlocked, timeout, notify, extract_jobs)
