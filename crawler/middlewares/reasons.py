"""Why a request ended without a page: one short reason per failure, for the ``failures`` table.

Refusals of our own raise a ``Refused`` subclass (an ``IgnoreRequest``, so Scrapy hands it to the request's
errback); Scrapy's own give-ups (size caps, timeouts, ``max redirections reached``) are named here too, so
every failure row reads the same way: ``too large: …``, ``timeout: …``, ``redirect loop: …``,
``off-site redirect: …``, ``robots: …``.
"""

from __future__ import annotations

from scrapy.exceptions import IgnoreRequest
from twisted.python.failure import Failure

TOO_LARGE = "too large"
TIMEOUT = "timeout"
REDIRECT_LOOP = "redirect loop"
OFFSITE_REDIRECT = "off-site redirect"
ROBOTS = "robots"
BAD_XML = "bad xml"
ROBOTS_UNAVAILABLE = "arshif/robots_unavailable"  # stat: "<host>: <why>" of the last host robots.txt shut out


class Refused(IgnoreRequest):
    """A request the crawler refused or gave up on for a reason of its own (``reason``: the row's prefix)."""

    reason = "refused"

    def __init__(self, detail: str) -> None:
        super().__init__(f"{self.reason}: {detail}")
        self.detail = detail


class TooLarge(Refused):
    reason = TOO_LARGE


class RedirectLoop(Refused):
    reason = REDIRECT_LOOP


class OffsiteRedirect(Refused):
    reason = OFFSITE_REDIRECT


class RobotsUnavailable(Refused):
    """robots.txt answered 5xx or could not be fetched: RFC 9309 §2.3.1.4 says complete disallow."""

    reason = ROBOTS


class BadXml(Refused):
    """A sitemap or feed that is not safe, well-formed XML (a DTD, an entity, a parser error, too big)."""

    reason = BAD_XML


def failure_reason(failure: Failure) -> str:
    """A short reason for a failed request: ``too large: …``, ``timeout: …``, or the exception's name."""
    exc = failure.value
    if isinstance(exc, Refused):
        return str(exc)
    name = type(exc).__name__
    message = str(exc).strip()
    lowered = message.lower()
    if "max size" in lowered or "download_maxsize" in lowered:
        return f"{TOO_LARGE}: {message[:160]}"
    if isinstance(exc, IgnoreRequest):
        if "robots.txt" in lowered:
            return f"{ROBOTS}: {message}"
        if "max redirections" in lowered:
            return f"{REDIRECT_LOOP}: {message}"
    if "timeout" in name.lower() or "timed out" in lowered:
        return f"{TIMEOUT}: {name}: {message[:120]}" if message else f"{TIMEOUT}: {name}"
    reasons = getattr(exc, "reasons", None)  # twisted ResponseFailed wraps the real cause
    if reasons:
        inner = reasons[0].value if hasattr(reasons[0], "value") else reasons[0]
        return f"{name}: {type(inner).__name__}"
    return f"{name}: {message[:120]}" if message else name
