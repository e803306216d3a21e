"""robots.txt as RFC 9309 reads it: 4xx = no rules (allow), 5xx or unreachable = complete disallow.

Scrapy's RobotsTxtMiddleware allows everything when robots.txt answers 503 or cannot be fetched. RFC 9309
§2.3.1.4: a server error means the crawler must assume complete disallow. Here such a host gets nothing
else fetched for ``ROBOTSTXT_COOLDOWN`` seconds (then robots.txt is asked again); every request to it fails
with ``RobotsUnavailable`` (a failure row, reason ``robots: …``), and the stat ``arshif/robots_unavailable``
names the host and why, which the runner turns into exit 4 with that reason.
"""

from __future__ import annotations

import logging
import time

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.http import Request
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

from crawler.middlewares.reasons import ROBOTS_UNAVAILABLE, RobotsUnavailable

logger = logging.getLogger(__name__)

DEFAULT_COOLDOWN = 3600.0


class Disallowed:
    """The parser of a host whose robots.txt failed: nothing is allowed until ``until``."""

    def __init__(self, why: str, until: float) -> None:
        self.why, self.until = why, until

    def allowed(self, url, user_agent) -> bool:
        return False


class Rfc9309RobotsMiddleware(RobotsTxtMiddleware):
    def __init__(self, crawler) -> None:
        super().__init__(crawler)
        self.cooldown = crawler.settings.getfloat("ROBOTSTXT_COOLDOWN", DEFAULT_COOLDOWN)
        self.retry_times = crawler.settings.getint("ROBOTSTXT_RETRY_TIMES", 1)

    async def robot_parser(self, request: Request):
        netloc = urlparse_cached(request).netloc
        parser = self._parsers.get(netloc)
        if isinstance(parser, Disallowed) and time.monotonic() >= parser.until:
            del self._parsers[netloc]  # the cool-down is over: ask robots.txt again
        if netloc not in self._parsers:
            self._parsers[netloc] = Deferred()
            url = urlparse_cached(request)
            robots = Request(f"{url.scheme}://{netloc}/robots.txt", priority=self.DOWNLOAD_PRIORITY,
                             callback=NO_CALLBACK,
                             # Ask a failing robots.txt twice, not RETRY_TIMES with Retry-After waits.
                             meta={"dont_obey_robotstxt": True, "max_retry_times": self.retry_times,
                                   })
            try:
                response = await self.crawler.engine.download_async(robots)
            except Exception as exc:  # unreachable: DNS, refused, reset, timeout
                self._shut_out(netloc, f"robots.txt unreachable ({type(exc).__name__}: {str(exc)[:80]})")
            else:
                if response.status >= 500:
                    self._shut_out(netloc, f"robots.txt answered {response.status}")
                elif response.status >= 400:  # 4xx: no robots.txt, no rules (RFC 9309 §2.3.1.3)
                    await self._parse_robots(response.replace(body=b""), netloc, request)
                else:
                    await self._parse_robots(response, netloc, request)
            self._stats.inc_value("robotstxt/request_count")
        return await super().robot_parser(request)

    def _shut_out(self, netloc: str, why: str) -> None:
        waiting = self._parsers[netloc]
        parser = Disallowed(why, time.monotonic() + self.cooldown)
        self._parsers[netloc] = parser
        self._stats.set_value(ROBOTS_UNAVAILABLE, f"{netloc}: {why}")
        self._stats.inc_value("robotstxt/unavailable")
        logger.warning("%s: %s — nothing fetched from %s for %ds (RFC 9309 §2.3.1.4)", netloc, why, netloc,
                       self.cooldown)
        if isinstance(waiting, Deferred):
            waiting.callback(parser)

    def process_request_2(self, rp, request: Request) -> None:
        if isinstance(rp, Disallowed):
            self._stats.inc_value("robotstxt/forbidden")
            raise RobotsUnavailable(f"{rp.why}: nothing fetched from this host for now")
        super().process_request_2(rp, request)
