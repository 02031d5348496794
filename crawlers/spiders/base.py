"""Base spiders: what every medcoder spider shares, and the schema.org JobPosting reader.

A site spider declares where its job pages are; reading them, reporting
broken pages and counting problems is done here, once.
"""

from __future__ import annotations

from collections.abc import Iterator

import scrapy
from scrapy.http import Response

from crawlers.items import PostingItem
from crawlers.jsonld import find_job_postings, posting_from_jsonld

PROBLEMS_ATTR = "medcoder_problems"


class MedcoderSpider(scrapy.Spider):
    """Common behaviour: a source id, and problems reported with what and where."""

    #: shown in Datasette and reports; defaults to the spider name
    source_name: str | None = None
    #: attribution text stored with every posting, for boards that require credit
    attribution: str | None = None
    country: str | None = None

    @property
    def source_id(self) -> str:
        """The ``sources.id`` this crawl writes under (multi-board spiders add their board)."""
        return self.name

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

    def report_problem(self, url: str, kind: str, message: str) -> None:
        """Log a broken input with its URL, count it in the run's stats and keep it for ``crawl_errors``."""
        self.logger.warning("%s: %s (%s)", kind, message, url)
        self.crawler.stats.inc_value(f"medcoder/problems/{kind}")
        self.crawler.stats.inc_value("medcoder/problems")
        problems = getattr(self.crawler, PROBLEMS_ATTR, None)
        if problems is None:
            problems = []
            setattr(self.crawler, PROBLEMS_ATTR, problems)
        problems.append({"url": url, "kind": kind, "message": message[:2000]})


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
