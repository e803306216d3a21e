"""Tell a human when a site's runs go wrong and when they are right again — once per incident, not per run.

    from crawler.notify import notify_targets, after_run
    targets = notify_targets(["mailto://ops:pw@mail.example.org?to=ops@example.org"])  # + $ARSHIF_NOTIFY
    after_run("arshif.db", "alhadath", run_id=12, condition="alarm", what="3 of 3 article pages ...",
              targets=targets)

Targets are Apprise URLs (https://github.com/caronc/apprise/wiki: ``mailto://``, ``slack://``, ``matrix://``,
``tgram://``, ``json://`` webhooks, …), from ``--notify`` (repeatable) and ``ARSHIF_NOTIFY`` (space or comma
separated).

An *incident* (table ``incidents``, ``crawl_runs``' neighbour in the archive) opens at a run that ended in a
quality alarm (exit 5) or failed (4 unreachable, 7 disk full, 9 failed) and closes at the next healthy run:
status ok with article pages judged (an hour with nothing new proves nothing about a broken layout) or, for a
failure, any ok run. One message when it opens, none while later runs are still bad, one "recovered" when it
closes. An interrupted run (8) or a locked archive (6) changes nothing. A message that cannot be delivered is
logged (one warning) and never changes the run's exit code; the incident stays recorded as opened, so a
flapping notifier does not resend on every run.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

ENV = "ARSHIF_NOTIFY"
ALARM = "alarm"
FAILED = "failed"
OK = "ok"
FAILED_EXIT_CODES = (4, 7, 9)  # unreachable, disk full, failed
_KINDS = {ALARM: "a quality alarm", FAILED: "a failure"}


def notify_targets(urls: Iterable[str] = (), environ: Mapping[str, str] | None = None) -> list[str]:
    """The Apprise URLs to tell: ``urls`` (``--notify``), then ``ARSHIF_NOTIFY``; each once."""
    environ = os.environ if environ is None else environ
    from_env = [url for url in re.split(r"[\s,]+", environ.get(ENV, "")) if url]
    return list(dict.fromkeys([*urls, *from_env]))


def condition(status: str | None, exit_code: int | None) -> str | None:
    """What a run says about the site: "alarm", "failed", "ok", or None (interrupted, locked: nothing)."""
    if exit_code in FAILED_EXIT_CODES or status == "failed":
        return FAILED
    if status == "alarm" or exit_code == 5:
        return ALARM
    if status == "ok" and not exit_code:
        return OK
    return None


@dataclass(frozen=True)
class Message:
    kind: str  # "alarm" | "failed" | "recovered"
    title: str
    body: str


def incident_message(archive, site: str, run_id: int | None, state: str | None, what: str, db_path: str | Path,
                     proves_health: bool = True) -> Message | None:
    """Record the run in the site's incident and return the message to send, if any (see the module)."""
    if state is None or run_id is None:
        return None
    look = f"arshif stats --db {db_path}"
    incident = archive.open_incident(site)
    if state in (ALARM, FAILED):
        if incident is not None:
            archive.continue_incident(incident["id"], run_id)
            return None
        archive.start_incident(site, state, what, run_id)
        head = "quality alarm" if state == ALARM else "run failed"
        return Message(state, f"arshif: {site} {head} (run {run_id})",
                       f"Site: {site}\nRun: {run_id}\nWhat happened: {head}: {what}\nLook: {look}")
    if incident is None or not (proves_health or incident["kind"] == FAILED):
        return None
    archive.close_incident(incident["id"], run_id)
    runs = incident["runs"]
    return Message("recovered", f"arshif: {site} recovered (run {run_id})",
                   f"Site: {site}\nRun: {run_id}\nWhat happened: recovered: run {run_id} ended ok after"
                   f" {runs} run{'s' if runs != 1 else ''} with {_KINDS[incident['kind']]} since run"
                   f" {incident['opened_run_id']} ({incident['reason']})\nLook: {look}")


def send(targets: list[str], message: Message) -> bool:
    """Deliver to every target with Apprise; False (and one warning) when any could not be told."""
    import apprise

    notifier = apprise.Apprise()
    bad = [url for url in targets if not notifier.add(url)]
    delivered = False
    try:
        kind = apprise.NotifyType.SUCCESS if message.kind == "recovered" else apprise.NotifyType.FAILURE
        delivered = bool(len(notifier)) and bool(notifier.notify(title=message.title, body=message.body,
                                                                 notify_type=kind))
    except Exception as exc:  # a notifier's bug must not change the run's exit code
        logger.warning("notification not delivered: %s: %s", type(exc).__name__, exc)
        return False
    if bad:
        logger.warning("notification: %d target URL(s) not understood by Apprise (ignored)", len(bad))
    if not delivered:
        logger.warning("notification %r not delivered to every target (see Apprise's log above)", message.title)
    return delivered and not bad


def after_run(db_path: str | Path, site: str, run_id: int | None, state: str | None, what: str,
              targets: list[str], proves_health: bool = True) -> Message | None:
    """Keep the incident in the archive and notify ``targets`` when it opens or closes; never raises."""
    if not targets:
        return None
    from crawler.storage import Archive

    try:
        archive = Archive(db_path)
        try:
            message = incident_message(archive, site, run_id, state, what, db_path, proves_health)
        finally:
            archive.close()
    except Exception as exc:  # e.g. the disk is full: tell anyway, without the incident's memory
        logger.warning("notification: could not keep the incident in %s (%s): sending anyway", db_path, exc)
        message = None
        if state in (ALARM, FAILED):
            message = Message(state, f"arshif: {site} run {run_id} {state}",
                              f"Site: {site}\nRun: {run_id}\nWhat happened: {what}\nLook: arshif stats --db {db_path}")
    if message is not None:
        send(targets, message)
    return message
