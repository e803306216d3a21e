"""Scrapy settings for Arshif: polite defaults for the real site.

Crawls of our own loopback mirror switch politeness off per run (see the crawl command).
"""

from crawler import __version__

BOT_NAME = "arshif"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"
# A spider for every site file (crawler/sites/*.toml, ARSHIF_SITES), found by the site's name.
SPIDER_LOADER_CLASS = "spiders.loader.SiteSpiderLoader"

USER_AGENT = f"Arshif/{__version__} (+https://github.com/arshif/arshif; news archive crawler)"

# Politeness for the real site: robots.txt, about one request a second per host, adaptive.
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30  # seconds for a whole response (a hung or trickling server included); `--timeout`

# Hostile web (issue 12). Bodies: an article page over 16 MiB (after decompression: a gzip bomb stops
# there) is a "too large" failure; sitemaps and feeds get their own cap (crawler/feeds.py).
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
ARSHIF_XML_MAXSIZE = 50 * 1024 * 1024  # sitemaps and feeds, after gunzip (the sitemap protocol's limit)
# robots.txt per RFC 9309 (crawler/middlewares/robots.py): 5xx/unreachable = nothing from that host for this long.
ROBOTSTXT_COOLDOWN = 3600.0
# Redirects (crawler/middlewares/redirects.py): http(s) within the site's domains, at most this many hops.
REDIRECT_MAX_TIMES = 10
# Listings (spiders/walks.py): at most this many pages per category in one run (a backstop against endless
# pagination; alhadath's largest section had ~3,300 pages in 2024). A capped walk is not complete.
ARSHIF_MAX_LISTING_PAGES = 10000
ARSHIF_REDIRECT_MAX_HOPS = 10
# The listing walks' book (spiders/walks.py): None = one process's LocalWalkBook; `arshif worker` names
# "crawler.distributed.worker.redis_walk_book" (a factory called with the spider) and sets
# ARSHIF_SHARED_ROUND: seeding starts the round, walks complete as they end.
ARSHIF_WALK_BOOK = None
ARSHIF_SHARED_ROUND = False

# Items per response processed "in parallel": our pipelines are synchronous, so parallelism buys nothing,
# and Scrapy starts CONCURRENT_ITEMS asyncio tasks for every callback's output (100 by default: ~0.7 ms
# per response, a fifth of a bare spider's CPU). At 1, WholeCallbackMiddleware keeps each callback whole
# (see crawler/middlewares/whole.py).
CONCURRENT_ITEMS = 1
SPIDER_MIDDLEWARES = {"crawler.middlewares.whole.WholeCallbackMiddleware": 1}

RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
RETRY_AFTER_MAX = 120.0  # seconds: the longest Retry-After we wait for before retrying

# DOWNLOADER_MIDDLEWARES_BASE (``__getattr__`` below) is Scrapy's less its cookie middleware, replaced here by ours.
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.retry.RetryAfterMiddleware": 550,
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.middlewares.robots.Rfc9309RobotsMiddleware": 100,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "crawler.middlewares.redirects.SafeRedirectMiddleware": 600,
    # Scrapy's meta refresh without decoding pages whose bytes rule one out (crawler/middlewares/redirects.py).
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.middlewares.redirects.LeanMetaRefreshMiddleware": 580,
    "crawler.middlewares.cookies.OfflineCookiesMiddleware": 700,  # (Scrapy's, lazily: DOWNLOADER_MIDDLEWARES_BASE)
    "crawler.middlewares.limits.SizeCapMiddleware": 940,
    # WARC capture (on when ARSHIF_WARC_DIR is set): next to the downloader, so it sees raw responses.
    "crawler.warc.WarcCaptureMiddleware": 950,
    # Article pages extracted by worker processes (ARSHIF_EXTRACT_JOBS): outermost, it sees the final response.
    "crawler.middlewares.extractpool.ExtractPoolMiddleware": 10,
}
# Extraction worker processes in a crawl: 0 = in the crawl's process (the default: on the 2-core machine it was
# measured on, one worker's hand-over cost ~0.8 ms a page and the crawl was slower, bench/results.md "crawlpool"),
# N = N processes, -1 = one fewer than the cores (crawler/middlewares/extractpool.py; `arshif crawl --extract-jobs N`).
ARSHIF_EXTRACT_JOBS = 0

# Scrapy's in-memory stats without its per-access deprecation wrapper (crawler/stats.py: ~2 % of a crawl's CPU).
STATS_CLASS = "crawler.stats.PlainStatsCollector"

# clean → validate → date window → dedupe → store (pipelines/): articles; the spider's other items
# (misses, failures, aliases, …) pass through to the store, which hands every item to the archive's owner.
ITEM_PIPELINES = {
    "pipelines.clean.CleanPipeline": 100,
    "pipelines.validate.ValidatePipeline": 200,
    "pipelines.validate.DateWindowPipeline": 300,
    "pipelines.dedupe.DedupePipeline": 400,
    "pipelines.store.StorePipeline": 500,
}

# ArchiveOwner owns the archive (opens it, records every item, commits, records the run in crawl_runs at
# spider_closed): keep it last, after anything that judges the run (the quality monitor).
# Scrapy's extensions that a crawl runs without: left out of EXTENSIONS_BASE rather than set to None in
# EXTENSIONS, because Scrapy imports every key of EXTENSIONS to normalize it, None or not, and the remote
# control imports aiohttp: ~0.1–0.2 CPU-s of every run's start-up (bench/results.md "reparse3").
# EXTENSIONS_BASE is made on first read (``__getattr__`` below): importing Scrapy's defaults here would load Scrapy
# and Twisted into every module that reads a constant of this file (the probe, the argument checks: tests/test_layers).
scrapy_extensions_off = ("scrapy.extensions.remote_control.RemoteControl", "scrapy.extensions.telnet.TelnetConsole")
EXTENSIONS = {
    "crawler.monitor.QualityMonitor": 900,
    "crawler.progress.ProgressDisplay": 950,
    "pipelines.owner.ArchiveOwner": 1000,
}

# Quality monitor (crawler/monitor.py): below these, the run is marked "alarm" and the CLI exits with 5.
ARSHIF_QUALITY_MIN_PAGES = 10  # fewer article pages than this: not judged
ARSHIF_QUALITY_MIN_COVERAGE = 0.8  # title, date, byline, ≥1 paragraph (or a dict per field)
ARSHIF_QUALITY_MAX_NO_ARTICLE_SHARE = 0.3  # article-URL pages that held no article
ARSHIF_QUALITY_MAX_DROP = 0.2  # a rate more than 20 points under the previous runs' median
ARSHIF_QUALITY_BASELINE_RUNS = 5  # previous judged runs the median is taken over
# Progress (crawler/progress.py): "auto" = live line on a terminal, log lines otherwise; "tty" | "log" | "off".
ARSHIF_PROGRESS = "auto"
ARSHIF_PROGRESS_INTERVAL = 30.0
# WARC capture (crawler/warc.py): a directory turns it on (`--warc DIR`; backfills default to <db dir>/warc).
ARSHIF_WARC_DIR = None
ARSHIF_WARC_MAX_BYTES = 1_000_000_000
ARSHIF_WARC_GZIP_LEVEL = 6  # 1 (fastest) … 9 (smallest): see crawler/warc.py

FEED_EXPORT_ENCODING = "utf-8"
# A dropped item (outside --since/--until, invalid) is counted in stats (item_dropped_reasons_count/<Name>)
# and logged at DEBUG: Scrapy's WARNING default logs every dropped article whole (MBs on a --until run).
# Invalid pages also get a failures row and one short WARNING line (pipelines/validate.py).
DEFAULT_DROPITEM_LOG_LEVEL = "DEBUG"
REMOTE_CONTROL_ENABLED = False
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "INFO"

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"

# The SQLite archive: the source of truth for what is done.
ARSHIF_DB = "arshif.db"
# Items (and misses/failures) per committed batch. 500, not 100: each commit rewrites the pages its batch
# touched (index leaves, FTS5's new segment, band keys), 3.2 WAL pages an item at 100, 1.7 at 500
# (bench/results.md, ingest3); a kill -9 loses at most the open batch, or ARSHIF_COMMIT_INTERVAL's worth.
ARSHIF_COMMIT_EVERY = 500
ARSHIF_COMMIT_INTERVAL = 5.0  # seconds: a slow polite crawl still commits its work this often


# Scrapy's bases less what a crawl runs without, or runs as ours: the extensions above, and the cookie middleware,
# which ours (700 above) loads at the first cookie a crawl meets (crawler/middlewares/cookies.py: its module imports
# tldextract and requests, 6.7% of an hourly run that finds nothing new). Set to None in EXTENSIONS or
# DOWNLOADER_MIDDLEWARES they would still be imported: Scrapy loads every class a component setting names, to merge
# it with its base.
_LEFT_OUT_OF_BASE = {"EXTENSIONS_BASE": scrapy_extensions_off,
                     "DOWNLOADER_MIDDLEWARES_BASE": ("scrapy.downloadermiddlewares.cookies.CookiesMiddleware",)}


def __getattr__(name: str):
    # Scrapy's ``Settings.setmodule`` reads ``dir(module)`` and then each upper-case name: both see the bases.
    if name in _LEFT_OUT_OF_BASE:
        from scrapy.settings import default_settings as scrapy_defaults

        return {key: order for key, order in getattr(scrapy_defaults, name).items()
                if key not in _LEFT_OUT_OF_BASE[name]}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return [*globals(), *_LEFT_OUT_OF_BASE]
