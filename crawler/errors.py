"""Errors the library raises on purpose, each with the exit code the CLI turns it into."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILURE = 1  # an unexpected error (a bug): traceback on stderr
EXIT_USAGE = 2  # bad arguments (click's own code for usage errors)
EXIT_NO_ARTICLE = 3  # `arshif extract`: the page holds no article
EXIT_NO_DATE = 3  # `arshif date`: the text holds no readable date (same meaning: nothing to read)
EXIT_UNREACHABLE = 4  # a crawl reached nothing at all (site down, wrong --base-url)
EXIT_ALARM = 5  # a crawl finished but the quality monitor raised an alarm
EXIT_LOCKED = 6  # another run holds the lock on this database
EXIT_DISK_FULL = 7  # the archive's disk filled up: the run stopped, committed work kept (crawler.storage.ArchiveFull)
EXIT_INTERRUPTED = 8  # a crawl stopped by SIGTERM/SIGINT: its committed work is kept, rerun to go on
EXIT_RUN_FAILED = 9  # a crawl that ended on an error (crawl_runs.status "failed") other than unreachable
EXIT_BAD_ARCHIVE = 10  # the --db file is damaged (truncated, malformed), not an archive, or fails `arshif check`
EXIT_BROKEN_PIPE = 141  # stdout closed early (`arshif export ... | head -1`): 128 + SIGPIPE, as a shell reports it
EXIT_OUTDATED_ARCHIVE = 11  # a reader met an archive with pending schema migrations: run `arshif migrate`


class ArshifError(Exception):
    """An expected failure with a one-line message for the user."""

    exit_code = EXIT_FAILURE


class UsageError(ArshifError):
    exit_code = EXIT_USAGE


class NoArticleError(ArshifError):
    exit_code = EXIT_NO_ARTICLE


class NoDateError(ArshifError):
    exit_code = EXIT_NO_DATE


class UnreachableError(ArshifError):
    exit_code = EXIT_UNREACHABLE


class AlarmError(ArshifError):
    exit_code = EXIT_ALARM


class LockedError(ArshifError):
    exit_code = EXIT_LOCKED


class InterruptedRunError(ArshifError):
    exit_code = EXIT_INTERRUPTED


class FailedRunError(ArshifError):
    exit_code = EXIT_RUN_FAILED


class BadArchiveError(ArshifError):
    """The archive file cannot be used: random bytes, a truncated copy, another program's SQLite file, or a
    file `arshif check` found inconsistent. Never exit 4: the site is fine, the file is not."""

    exit_code = EXIT_BAD_ARCHIVE
