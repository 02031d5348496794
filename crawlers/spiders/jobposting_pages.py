"""Any career site that marks its job pages up with schema.org ``JobPosting`` JSON-LD.

Two ways in: the site's sitemap (``-a sitemap=URL``: a sitemap index, plain
or gzipped sitemaps, then the pages they list) or a listing page (``-a
url=URL``: job links on the same host and ``rel=next`` pagination). Every
page visited is read for JobPosting JSON-LD by
:meth:`~crawlers.spiders.base.JobPostingSpider.parse_job_page`.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from urllib.parse import urldefrag, urlsplit

import scrapy
from lxml.etree import XMLSyntaxError
from scrapy import signals
from scrapy.http import Response, TextResponse
from scrapy.utils.gz import gunzip, gzip_magic_number
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

from crawlers.items import PostingItem
from crawlers.jsonld import find_job_postings
from crawlers.redact import redact
from crawlers.spiders.base import JobPostingSpider

# Paths career sites give their job and listing pages; the dupe filter and
# the page bound keep the crawl small when the pattern also matches nav links.
DEFAULT_FOLLOW = r"/(?:jobs?|careers?|positions?|openings?|vacanc(?:y|ies)|requisitions?|opportunit(?:y|ies))\b"
DEFAULT_MAX_PAGES = 50
NO_JOBPOSTING_STAT = "medcoder/pages_without_jobposting"
# Meta keys: what the crawl expects a response to be.
SITEMAP_JOB = "medcoder_sitemap_job"  # listed in a sitemap: should be a job page
LISTING = "medcoder_listing"  # found by the listing crawl: a job page or another listing page


class JobPostingPagesSpider(JobPostingSpider):
    """``scrapy crawl jobposting_pages -a sitemap=URL [-a follow=REGEX]`` or ``-a url=LISTING [-a follow=REGEX] [-a max_pages=N]``.

    ``-a employer=NAME`` fills the employer when a page's JobPosting has no
    ``hiringOrganization``. robots.txt is obeyed (Scrapy's middleware); a
    sitemap page without JobPosting is counted in
    ``medcoder/pages_without_jobposting``, a listing page without it is just
    a listing page.
    """

    name = "jobposting_pages"
    source_name = "Career site (schema.org JobPosting)"

    def __init__(self, sitemap: str | None = None, url: str | None = None, follow: str | None = None,
                 max_pages: str | int = DEFAULT_MAX_PAGES, employer: str | None = None, **kwargs):
        super().__init__(**kwargs)
        if bool(sitemap) == bool(url):
            raise ValueError("jobposting_pages needs exactly one of -a sitemap=URL or -a url=LISTING_URL")
        self.sitemap = sitemap
        self.url = url or sitemap
        self.host = (urlsplit(self.url).hostname or "").lower()
        if not self.host:
            raise ValueError(f"jobposting_pages: not an absolute http(s) URL: {self.url!r}")
        # In sitemap mode no filter keeps every URL; in listing mode the default pattern finds job links.
        pattern = follow or (None if sitemap else DEFAULT_FOLLOW)
        try:
            self.follow_re = re.compile(pattern, re.IGNORECASE) if pattern else None
        except re.error as exc:
            raise ValueError(f"jobposting_pages: -a follow= is not a valid regular expression: {exc}") from exc
        self.follow = pattern
        self.max_pages = int(max_pages)
        self.employer = employer
        self.listing_pages = 0

    def default_source_id(self) -> str:
        return f"jobposting_pages:{self.host}"

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        # A redirect back to a URL already crawled is dropped by the dupe filter
        # without reaching any errback; this is the only place to see the loop.
        crawler.signals.connect(spider.request_dropped, signal=signals.request_dropped)
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        # 404/410 on the URL we were given means the site moved or closed it: the run is "gone".
        meta = {"handle_httpstatus_list": [404, 410], "medcoder_board": True}
        if self.sitemap:
            yield scrapy.Request(self.sitemap, callback=self.parse_sitemap, errback=self.request_failed, meta=meta)
        else:
            yield scrapy.Request(self.url, callback=self.parse_page, errback=self.request_failed, meta={**meta, LISTING: True})

    # --- sitemap mode ---------------------------------------------------

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        """A sitemap index (follow every sitemap), a urlset (request the pages that match ``follow``) or robots.txt."""
        if self.board_gone(response):
            return
        if urlsplit(response.url).path.endswith("/robots.txt"):
            for loc in sitemap_urls_from_robots(response.body, base_url=response.url):
                yield scrapy.Request(loc, callback=self.parse_sitemap, errback=self.request_failed)
            return
        sitemap = self.sitemap_of(response)
        if sitemap is None:
            return
        entries = [entry["loc"] for entry in sitemap if entry.get("loc")]
        if sitemap.type == "sitemapindex":
            for loc in entries:
                yield scrapy.Request(response.urljoin(loc), callback=self.parse_sitemap, errback=self.request_failed)
            return
        for loc in entries:
            url = response.urljoin(loc)
            if not self.wanted(url):
                self.crawler.stats.inc_value("medcoder/sitemap_urls_skipped")
                continue
            yield scrapy.Request(url, callback=self.parse_page, errback=self.request_failed, meta={SITEMAP_JOB: True})

    def sitemap_of(self, response: Response) -> Sitemap | None:
        """The parsed sitemap (gunzipped when it is a ``.xml.gz``), or None after reporting it."""
        body = response.body
        if gzip_magic_number(response):
            # Served as a file (no Content-Encoding), so the compression middleware left it alone.
            # The download size bound applies to what it unpacks to as well: no gzip bombs.
            try:
                body = gunzip(body, max_size=self.crawler.settings.getint("DOWNLOAD_MAXSIZE"))
            except (OSError, EOFError, ValueError) as exc:
                self.report_problem(response.url, "invalid_sitemap", f"gzip sitemap could not be unpacked ({str(exc)[:200]})")
                return None
        try:
            sitemap = Sitemap(body)
        except (XMLSyntaxError, StopIteration) as exc:
            self.report_problem(response.url, "invalid_sitemap", f"not XML ({str(exc)[:200] or 'empty'})")
            return None
        if sitemap.type not in ("sitemapindex", "urlset"):
            self.report_problem(response.url, "invalid_sitemap", f"root element is <{sitemap.type}>, not <urlset> or <sitemapindex>")
            return None
        return sitemap

    # --- every page -----------------------------------------------------

    def parse_page(self, response: Response) -> Iterator[PostingItem | scrapy.Request]:
        """Read a page's JobPosting JSON-LD; a listing page without any is expanded instead."""
        if self.board_gone(response):
            return
        if not isinstance(response, TextResponse):
            if response.meta.get(SITEMAP_JOB):
                yield from self.parse_job_page(response)  # reports it as not_html
            else:
                self.crawler.stats.inc_value("medcoder/pages_not_html")
            return
        # find_job_postings runs again inside parse_job_page; it is a regex and a
        # json.loads per block, cheap next to a download, and keeps one reader.
        found = find_job_postings(response.text)
        if found.postings or found.errors:
            yield from self.parse_job_page(response)
        if found.postings:
            return
        if response.meta.get(SITEMAP_JOB):
            if not found.errors:  # an invalid block was reported already
                self.logger.info("no JobPosting on %s (listed in the sitemap)", redact(response.url))
                self.crawler.stats.inc_value(NO_JOBPOSTING_STAT)
            return
        if response.meta.get(LISTING):
            yield from self.follow_listing(response)

    def adjust_item(self, item: PostingItem, job: dict, response: Response) -> PostingItem:
        """Fill the employer from ``-a employer=`` when the JobPosting names no hiringOrganization."""
        if not item.employer and self.employer:
            item.employer = self.employer
        return item

    # --- listing mode ---------------------------------------------------

    def follow_listing(self, response: TextResponse) -> Iterator[scrapy.Request]:
        """Job links on the same host that match ``follow``, and the ``rel=next`` page while under ``max_pages``."""
        if self.listing_pages >= self.max_pages:
            self.crawler.stats.inc_value("medcoder/max_pages_reached")
            return
        self.listing_pages += 1
        self.crawler.stats.set_value("medcoder/listing_pages", self.listing_pages)
        for href in response.css("a::attr(href)").getall():
            url = self.same_host_url(response, href)
            if url and self.wanted(url):
                yield scrapy.Request(url, callback=self.parse_page, errback=self.request_failed, meta={LISTING: True})
        next_href = response.css("a[rel~=next]::attr(href), link[rel~=next]::attr(href)").get()
        next_url = self.same_host_url(response, next_href) if next_href else None
        if next_url:
            if self.listing_pages < self.max_pages:
                yield scrapy.Request(next_url, callback=self.parse_page, errback=self.request_failed, meta={LISTING: True})
            else:
                self.logger.info("max_pages=%d reached: not following %s", self.max_pages, redact(next_url))
                self.crawler.stats.inc_value("medcoder/max_pages_reached")

    def same_host_url(self, response: Response, href: str) -> str | None:
        """``href`` made absolute and without fragment, or None when it leaves the site or is not http(s)."""
        href = href.strip()
        if not href or href.startswith(("#", "mailto:", "tel:", "javascript:")):
            return None
        url = urldefrag(response.urljoin(href))[0]
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or (parts.hostname or "").lower() != self.host:
            return None
        return url

    def wanted(self, url: str) -> bool:
        """True when the URL's path (and query) matches ``-a follow=``, or there is no filter."""
        if self.follow_re is None:
            return True
        parts = urlsplit(url)
        return bool(self.follow_re.search(parts.path + (f"?{parts.query}" if parts.query else "")))

    # --- failures -------------------------------------------------------

    def request_dropped(self, request: scrapy.Request, spider=None) -> None:
        """Signal handler: a redirect that leads back to a URL of its own chain is a loop."""
        chain = request.meta.get("redirect_urls") or []
        if request.url in chain:
            self.report_problem(chain[0], "redirect_loop", f"redirects back to {request.url} (via {' -> '.join(chain)})")
