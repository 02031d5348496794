"""Downloader middlewares: rules every crawl follows whatever the spider."""

from __future__ import annotations

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest

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
