"""The bundled demo job board (``medcoder demo``): paginated listings of JSON-LD career pages."""

from __future__ import annotations

from collections.abc import AsyncIterator

import scrapy
from scrapy.http import Response

from crawlers.spiders.base import JobPostingSpider


class DemoBoardSpider(JobPostingSpider):
    """Crawl the demo board: follow listing pages and every job link, read each job page's JSON-LD.

    ``scrapy crawl demo_board -a url=http://127.0.0.1:PORT/jobs/``
    """

    name = "demo_board"
    source_name = "medcoder demo job board"

    def __init__(self, url: str | None = None, **kwargs):
        super().__init__(**kwargs)
        if not url:
            raise ValueError("demo_board needs -a url=<listing URL of the demo board>")
        self.url = url

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield scrapy.Request(self.url, callback=self.parse_listing)

    def parse_listing(self, response: Response):
        for href in response.css("a.job-link::attr(href)").getall():
            yield response.follow(href, callback=self.parse_job_page)
        next_page = response.css("a[rel=next]::attr(href)").get()
        if next_page:
            yield response.follow(next_page, callback=self.parse_listing)
