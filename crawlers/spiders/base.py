"""Base spiders: what every medcoder spider shares, and the schema.org JobPosting reader.

A site spider declares where its job pages are; reading them, reporting
broken pages and counting problems is done here, once.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.exceptions import CloseSpider, DownloadCancelledError, IgnoreRequest
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawlers.items import PostingItem
from crawlers.jsonld import find_job_postings, posting_from_jsonld
from crawlers.redact import redact

PROBLEMS_ATTR = "medcoder_problems"
BOARD_GONE_STAT = "medcoder/board_gone"
INCOMPLETE_STAT = "medcoder/incomplete"
MISSING_CREDENTIALS_REASON = "missing_credentials"


def positive_int_arg(value: str | int | None, default: int, spider: str, name: str) -> int:
    """A whole-number spider argument (``-a limit=``), ``default`` when omitted; a clear error when it is not."""
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"{spider}: -a {name}= must be a whole number, got {value!r}") from None
    if number < 1:
        raise ValueError(f"{spider}: -a {name}= must be at least 1, got {number}")
    return number


class MedcoderSpider(scrapy.Spider):
    """Common behaviour: a source id, credentials from the environment, problems reported with what and where.

    Every spider accepts ``-a source=ID`` to write under a registry entry's
    id instead of the one it derives.
    """

    #: shown in Datasette and reports; defaults to the spider name
    source_name: str | None = None
    #: attribution text stored with every posting, for boards that require credit
    attribution: str | None = None
    country: str | None = None
    #: environment variables the spider cannot run without (API keys)
    required_env: tuple[str, ...] = ()

    def __init__(self, *args, source: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._source_override = source

    @property
    def source_id(self) -> str:
        """The ``sources.id`` this crawl writes under: ``-a source=``, else :meth:`default_source_id`."""
        return self._source_override or self.default_source_id()

    def default_source_id(self) -> str:
        """Multi-board spiders add their board: ``greenhouse:acme``."""
        return self.name

    @classmethod
    def missing_env(cls) -> list[str]:
        """The required environment variables that are unset or empty."""
        return [name for name in cls.required_env if not os.environ.get(name)]

    def check_credentials(self) -> None:
        """Stop the crawl with a clear message (not a traceback) when an API key is missing."""
        missing = self.missing_env()
        if missing:
            self.logger.error("%s needs %s in the environment; skipping this source", self.name, ", ".join(missing))
            self.crawler.stats.set_value("medcoder/missing_env", ",".join(missing))
            raise CloseSpider(MISSING_CREDENTIALS_REASON)

    def source_record(self) -> dict:
        """The ``sources`` row for this crawl."""
        return {
            "id": self.source_id,
            "name": self.source_name or self.source_id,
            "spider": self.name,
            "url": getattr(self, "url", None) or getattr(self, "api_base", None),
            "country": self.country,
            "attribution": self.attribution,
        }

    def mark_incomplete(self, reason: str) -> None:
        """Say this crawl did not see the whole source (a page bound was hit), so it must close no posting."""
        self.logger.info("crawl incomplete: %s", reason)
        self.crawler.stats.set_value(INCOMPLETE_STAT, reason)

    def report_problem(self, url: str, kind: str, message: str) -> None:
        """Log a broken input with its URL, count it in the run's stats and keep it for ``crawl_errors``."""
        url, message = redact(url), redact(message)
        self.logger.warning("%s: %s (%s)", kind, message, url)
        self.crawler.stats.inc_value(f"medcoder/problems/{kind}")
        self.crawler.stats.inc_value("medcoder/problems")
        problems = getattr(self.crawler, PROBLEMS_ATTR, None)
        if problems is None:
            problems = []
            setattr(self.crawler, PROBLEMS_ATTR, problems)
        problems.append({"url": url, "kind": kind, "message": message[:2000]})

    def board_gone(self, response: Response) -> bool:
        """True (and recorded) when the board itself answers 404/410: the employer closed or moved it."""
        if response.meta.get("medcoder_board") and response.status in (404, 410):
            self.logger.warning("board gone: %s answered %s", redact(response.url), response.status)
            self.crawler.stats.set_value(BOARD_GONE_STAT, response.status)
            return True
        return False

    def request_failed(self, failure: Failure) -> None:
        """Errback for every request: what failed and where, reported and counted; the crawl goes on.

        Redirect loops and pages over DOWNLOAD_MAXSIZE are problems; robots.txt
        and tdm-reservation refusals are policy, counted by their middlewares.
        """
        request = failure.request
        # A whole-board API answer has its own bound (see ApiSpider.api_request); name the one that refused it.
        size_setting = "MEDCODER_BOARD_MAXSIZE" if request.meta.get("medcoder_whole_board") else "DOWNLOAD_MAXSIZE"
        if failure.check(IgnoreRequest) and not failure.check(HttpError):  # HttpError is an IgnoreRequest too
            if "max redirections" in str(failure.value):
                chain = [*request.meta.get("redirect_urls", []), request.url]
                self.report_problem(chain[0], "redirect_loop", f"gave up after {len(chain) - 1} redirects (now at {request.url})")
            elif "DOWNLOAD_MAXSIZE" in str(failure.value):
                # A body that only grew past the limit while being decompressed (a gzip bomb).
                self.report_problem(request.url, "too_large", f"decompressed body larger than {size_setting}: skipped")
            return
        if failure.check(DownloadCancelledError):
            # Over the limit, whether Content-Length said so or the body grew past it.
            limit = request.meta.get("download_maxsize", self.crawler.settings.getint("DOWNLOAD_MAXSIZE"))
            self.report_problem(request.url, "too_large", f"larger than {size_setting} ({limit} bytes): skipped")
            return
        if failure.check(HttpError):
            response = failure.value.response
            self.report_problem(response.url, "http_error", f"HTTP {response.status} after retries")
        else:
            self.report_problem(request.url, "network_error", f"{failure.type.__name__}: {failure.getErrorMessage()[:300]}")


class JobPostingSpider(MedcoderSpider):
    """Reads schema.org ``JobPosting`` JSON-LD from career pages.

    Subclasses decide which pages to visit and send job pages to
    :meth:`parse_job_page`. Several blocks per page, ``@graph``, arrays and
    invalid JSON are handled by :func:`crawlers.jsonld.find_job_postings`.
    """

    def parse_job_page(self, response: Response) -> Iterator[PostingItem]:
        text = getattr(response, "text", None)
        if text is None:
            self.report_problem(response.url, "not_html", f"expected an HTML page, got {response.headers.get('Content-Type')!r}")
            return
        found = find_job_postings(text)
        for message in found.errors:
            self.report_problem(response.url, "invalid_jsonld", message)
        if not found.postings and not found.errors:
            self.report_problem(response.url, "no_jobposting", "page has no schema.org JobPosting")
        for job in found.postings:
            item = posting_from_jsonld(job, source=self.source_id, url=response.url)
            if not item.title:
                self.report_problem(response.url, "incomplete_jobposting", "JobPosting without a title")
                continue
            item.attribution = item.attribution or self.attribution
            yield self.adjust_item(item, job, response)

    def adjust_item(self, item: PostingItem, job: dict, response: Response) -> PostingItem:
        """Hook for site spiders to fix one site's quirks; the default keeps the item as is."""
        return item


class ApiSpider(MedcoderSpider):
    """A spider over a JSON API or ATS endpoint.

    ``-a api_base=URL`` points it at a mirror, a proxy or a test server; the
    default is the real public endpoint (``default_api_base``). JSON that
    does not parse, a board that is gone (404 on the board itself) and
    requests that fail after their retries are reported, counted and skipped.
    """

    default_api_base: str = ""

    def __init__(self, *args, api_base: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.api_base = (api_base or self.default_api_base).rstrip("/")

    def api_request(self, url: str, callback, *, board: bool = False, whole_board: bool = False, **kwargs) -> scrapy.Request:
        """A request whose failures are reported; ``board=True`` marks the board's own URL, where 404 means gone.

        ``whole_board=True`` marks an answer that holds the whole board at
        once, descriptions included (Greenhouse: about 6 KB a posting): it is
        bounded by ``MEDCODER_BOARD_MAXSIZE``, not by the ``DOWNLOAD_MAXSIZE``
        meant for one page, which a board of about 1,700 postings outgrows.
        """
        meta = kwargs.pop("meta", {})
        if board:
            meta["handle_httpstatus_list"] = [404, 410]
            meta["medcoder_board"] = True
        if whole_board:
            settings = self.crawler.settings
            meta["medcoder_whole_board"] = True
            meta.setdefault("download_maxsize", settings.getint("MEDCODER_BOARD_MAXSIZE"))
            meta.setdefault("download_warnsize", settings.getint("MEDCODER_BOARD_WARNSIZE"))
        return scrapy.Request(url, callback=callback, errback=self.request_failed, meta=meta, **kwargs)

    def json_list(self, response: Response, key: str, what: str) -> list | None:
        """The list under ``key`` in a board's JSON answer; None (reported) when gone, malformed or shaped otherwise."""
        if self.board_gone(response):
            return None
        data = self.json_of(response)
        if data is None:
            return None
        found = data.get(key) if isinstance(data, dict) else None
        if not isinstance(found, list):
            self.report_problem(response.url, "unexpected_shape", f"no '{key}' list in the {what}")
            return None
        return found

    def items_from(self, response: Response, jobs: list) -> Iterator[PostingItem]:
        """Each job through the spider's ``item_from``; a malformed or incomplete job is reported and skipped, the rest kept."""
        for job in jobs:
            try:
                item = self.item_from(job)
            except (TypeError, AttributeError, ValueError) as exc:  # wrong types in one job must not end the board
                job_id = job.get("id") if isinstance(job, dict) else job
                self.report_problem(response.url, "malformed_job", f"job {str(job_id)[:40]}: {exc}")
                continue
            if item is None:
                self.report_problem(response.url, "incomplete_job", f"job without id or title: {str(job)[:200]}")
                continue
            yield item

    def json_of(self, response: Response) -> Any | None:
        """The response's JSON, or None after reporting it as malformed."""
        try:
            return json.loads(response.text)
        except (ValueError, AttributeError) as exc:
            self.report_problem(response.url, "invalid_json", f"response is not valid JSON ({str(exc)[:200]})")
            return None
