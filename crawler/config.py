"""Where a run's Scrapy settings come from, in one place: the project's defaults (``crawler.settings``),
then ``ARSHIF_*`` environment variables, then ``-s NAME=VALUE`` and the command's own options.

    settings = Settings(); settings.setmodule("crawler.settings", priority="project")
    apply_environment(settings, os.environ)          # ARSHIF_QUALITY_MIN_PAGES=3 in a cron line
    settings.setdict(dict(parse_assignment(a) for a in ["DOWNLOAD_DELAY=0.5"]), priority="cmdline")

and how much a run logs: at INFO a progress line and a summary, not Scrapy's ~160 lines of versions,
overridden settings, enabled middlewares and stats (``quiet_scrapy``); ``--log-level DEBUG`` shows all.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from crawler.errors import UsageError

ENV_PREFIX = "ARSHIF_"
# Above the project's defaults ("project", 20) and below a spider's custom_settings (30) and the command
# line (-s and options like --timeout, "cmdline", 40): a cron line's environment sets the site's defaults,
# a one-off command overrides them.
ENV_PRIORITY = 25

# Scrapy's start-up and shut-down chatter at INFO (versions, overridden settings, enabled components, the
# stats dump, "Spider opened"): DEBUG shows them again. Warnings and errors of these loggers still show.
QUIET_LOGGERS = ("scrapy.utils.log", "scrapy.crawler", "scrapy.middleware", "scrapy.addons",
                 "scrapy.core.engine", "scrapy.extensions.logstats", "scrapy.statscollectors",
                 "scrapy.extensions.telnet", "scrapy.core.scraper")


def typed(name: str, raw: str, defaults: Mapping[str, Any]) -> Any:
    """``raw`` (a string from the environment or ``-s``) as the type of the setting's default, e.g.
    ``ARSHIF_QUALITY_MIN_PAGES=3`` → 3, ``ROBOTSTXT_OBEY=false`` → False, ``ARSHIF_QUALITY_MIN_COVERAGE=
    '{"byline": 0.5}'`` → a dict. A string or unset default keeps the string (``ARSHIF_WARC_DIR=/data/warc``)."""
    default = defaults.get(name)
    if default is None or isinstance(default, str):
        return raw
    try:
        if isinstance(default, bool):
            lowered = raw.strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        if isinstance(default, (int, float)):
            value = json.loads(raw)
            if isinstance(value, bool) or not isinstance(value, (int, float, dict)):
                raise ValueError(raw)
            return value
        if isinstance(default, (dict, list, tuple)):
            value = json.loads(raw)
            if isinstance(default, dict) and not isinstance(value, dict):
                raise ValueError(raw)
            return value
    except ValueError:
        kind = type(default).__name__
        raise UsageError(f"setting {name}={raw!r}: expected {'JSON ' if kind in ('dict', 'list') else ''}{kind}"
                         f" like its default {default!r}") from None
    return raw


def parse_assignment(text: str, defaults: Mapping[str, Any]) -> tuple[str, Any]:
    """``-s NAME=VALUE`` as Scrapy's own ``-s``: a NAME of letters, digits and _, the value typed."""
    name, sep, raw = text.partition("=")
    name = name.strip()
    if not sep or not name or not name.replace("_", "").isalnum() or name != name.upper():
        raise UsageError(f"-s {text!r}: give NAME=VALUE, e.g. -s DOWNLOAD_DELAY=0.5")
    return name, typed(name, raw, defaults)


def environment_settings(environ: Mapping[str, str], defaults: Mapping[str, Any]) -> dict[str, Any]:
    """The ``ARSHIF_*`` settings the environment sets: every name ``crawler.settings`` defines (listed in
    the README). Other ``ARSHIF_*`` variables (``ARSHIF_REDIS``: an option's envvar) are not settings and are
    left to their options; ``ARSHIF_DB`` is both, and its option (``--db``, which reads it too) wins."""
    return {name: typed(name, environ[name], defaults) for name in defaults
            if name.startswith(ENV_PREFIX) and name in environ}


def apply_environment(settings, environ: Mapping[str, str]) -> None:
    """Put the environment's ``ARSHIF_*`` settings into Scrapy ``settings`` at ``ENV_PRIORITY``."""
    settings.setdict(environment_settings(environ, project_defaults()), priority=ENV_PRIORITY)


def project_defaults() -> dict[str, Any]:
    """Every setting's default: Scrapy's, then ours (``crawler.settings``) — what values are typed against."""
    import scrapy.settings.default_settings as scrapy_defaults

    import crawler.settings as ours

    values = {name: getattr(scrapy_defaults, name) for name in dir(scrapy_defaults) if name.isupper()}
    values.update({name: getattr(ours, name) for name in dir(ours) if name.isupper()})
    return values


def quiet_scrapy(level: str) -> dict[str, Any]:
    """The settings of a quiet run (at INFO or quieter): no stats dump at the end (the summary says what
    counts; the stats stay in crawl_runs), and no root log handler while Scrapy logs its versions
    (``crawler_process`` installs it right after)."""
    if logging.getLevelName(level.upper()) < logging.INFO:
        return {}
    return {"STATS_DUMP": False, "LOG_INSTALL_ROOT_HANDLER": False}


def crawler_process(settings):
    """Scrapy's ``CrawlerProcess`` for ``settings`` (from ``runner.project_settings``), logging quietly at
    INFO: Scrapy configures logging (and resets its loggers' levels) when the process is made, so the
    boilerplate loggers are raised to WARNING here, after it, with the root handler installed then."""
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.log import install_scrapy_root_handler

    process = CrawlerProcess(settings)
    if not settings.getbool("LOG_INSTALL_ROOT_HANDLER"):
        install_scrapy_root_handler(settings)
        for name in QUIET_LOGGERS:
            logging.getLogger(name).setLevel(logging.WARNING)
    return process
