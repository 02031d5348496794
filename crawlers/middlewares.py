"""Downloader middlewares: rules every crawl follows whatever the spider."""

from __future__ import annotations

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler

from crawlers.redact import install_log_redaction, redact


class TdmReservationMiddleware:
    """Honour ``tdm-reservation: 1``: the publisher reserves text-and-data-mining rights, so the page is not used.

    The response is dropped (and counted) before any spider sees it.
    """

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request, response, spider=None):
        value = response.headers.get(b"tdm-reservation") or response.headers.get(b"TDM-Reservation")
        if value is not None and value.strip() == b"1":
            spider = spider or self.crawler.spider
            self.crawler.stats.inc_value("medcoder/tdm_reserved")
            spider.logger.info("tdm-reservation: 1 on %s: not used", redact(response.url))
            raise IgnoreRequest(f"tdm-reservation on {redact(response.url)}")
        return response


#: What a robots.txt that cannot be read amounts to (RFC 9309, 2.3.1.4): complete disallow.
DISALLOW_ALL = b"User-agent: *\nDisallow: /\n"


class StrictRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, except that a robots.txt nobody could read forbids the whole host.

    Scrapy allows everything when robots.txt cannot be fetched (a timeout or
    refused connection after the retries) and parses whatever a 5xx answer
    holds. RFC 9309 says the opposite: a site whose robots.txt is
    unreachable or answers 5xx is assumed to disallow everything; only a
    4xx ("there is none") allows all. A site's robots.txt that failed to load
    once must not open its disallowed pages for the rest of the run, least
    of all in a distributed crawl, where every worker fetches robots.txt for
    itself and one slow answer is enough. The host is reported
    (``robots_unreachable``) so the run shows why nothing came from it.
    """

    async def robot_parser(self, request):
        netloc = urlparse_cached(request).netloc
        await super().robot_parser(request)  # fetches the host's robots.txt once, or waits for that fetch
        # Not what it returned: Scrapy 2.19 gives the parser to the fetching request and the first one waiting, and
        # None ("no rules") to every other request waiting for the same robots.txt (each waiter's Future consumes the
        # Deferred's result; scrapy/scrapy#6802). What it stored, before waking them, is right for all of them.
        parser = self._parsers[netloc]
        if parser is None:  # the fetch failed
            self._unreadable(request, netloc, "could not be fetched")
            parser = self._parsers[netloc] = build_from_crawler(self._parserimpl, self.crawler, DISALLOW_ALL)
        return parser

    async def _parse_robots(self, response, netloc, request):
        # 429 is retried like a 5xx first; one that is still refusing after the retries is treated like one.
        if response.status >= 500 or response.status == 429:
            self._unreadable(request, netloc, f"answered HTTP {response.status}")
            response = response.replace(body=DISALLOW_ALL)
        await super()._parse_robots(response, netloc, request)

    def _unreadable(self, request, netloc: str, why: str) -> None:
        url = f"{urlparse_cached(request).scheme}://{netloc}/robots.txt"
        self.crawler.stats.inc_value("medcoder/robots_unreachable")
        message = f"robots.txt {why}: nothing is fetched from {netloc} this run (RFC 9309: unreachable means disallow all)"
        spider = self.crawler.spider
        if hasattr(spider, "report_problem"):
            spider.report_problem(url, "robots_unreachable", message)
        else:
            spider.logger.warning("%s (%s)", message, redact(url))


class RedactLogsExtension:
    """Installs the secret-redacting log filter for the crawl (an extension so it runs once, first)."""

    def __init__(self):
        install_log_redaction()

    @classmethod
    def from_crawler(cls, crawler):
        return cls()


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's bounded retries, plus a backoff: a 429 or 5xx slows the whole host down.

    The host's download slot delay rises to ``Retry-After`` (when the server
    sends one, capped at ``RETRY_BACKOFF_MAX``) or to
    ``RETRY_BACKOFF_BASE * 2**retries``, so the retry and every request after
    it wait; AutoThrottle may ease it again once responses are healthy.
    """

    def __init__(self, settings):
        super().__init__(settings)
        self.base = settings.getfloat("RETRY_BACKOFF_BASE", 2.0)
        self.cap = settings.getfloat("RETRY_BACKOFF_MAX", 60.0)

    def process_response(self, request, response, spider=None):
        if response.status in self.retry_http_codes and not request.meta.get("dont_retry", False):
            self._back_off(request, response)
        return super().process_response(request, response)

    def _back_off(self, request, response) -> None:
        retries = request.meta.get("retry_times", 0)
        wait = self.base * (2 ** retries)
        header = response.headers.get(b"Retry-After")
        if header and header.strip().isdigit():
            wait = float(header.strip())
        wait = min(wait, self.cap)
        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(request)
        slot = downloader.slots.get(key)
        if slot is not None and slot.delay < wait:
            slot.delay = wait
        self.crawler.stats.inc_value("medcoder/backoff")
        self.crawler.stats.max_value("medcoder/backoff_max_seconds", wait)
