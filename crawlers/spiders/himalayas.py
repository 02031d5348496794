"""Himalayas: every remote job on the board, 20 per request, kept small by a topic pre-filter."""

from __future__ import annotations

import re

from crawlers.items import PostingItem
from crawlers.spiders.base import ApiSpider

PAGE_SIZE = 20  # the API's maximum per request
SKIPPED_STAT = "medcoder/skipped_off_topic"

# The API has no search, so a crawl walks the whole board. Storing thousands
# of engineering and sales jobs only for the relevance stage to file them
# away would bloat filtered_postings and the crawl for nothing, so postings
# whose title and categories share no word with coding or health information
# are skipped here and counted (not reported as errors). The net is wide on
# purpose ("health", "billing", "cod..."): anything it lets through is still
# judged by the relevance stage, which makes the real call.
TOPIC_RE = re.compile(r"\b(?:cod|medical|health|clinical|billing)", re.I)
HIM_RE = re.compile(r"\bHIM\b")  # case-sensitive: "him" in prose is not Health Information Management


class HimalayasSpider(ApiSpider):
    """``scrapy crawl himalayas [-a max_pages=50]``.

    Pages by ``offset`` until a page holds fewer than 20 jobs, ``totalCount``
    is reached or ``max_pages`` requests were made. Himalayas asks for
    attribution: every posting carries :attr:`attribution` and its
    Himalayas URL.
    """

    name = "himalayas"
    source_name = "Himalayas"
    attribution = "Via Himalayas (https://himalayas.app)"
    default_api_base = "https://himalayas.app"
    default_max_pages = 50

    def __init__(self, max_pages: str | int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.max_pages = int(max_pages) if max_pages else self.default_max_pages

    def page_url(self, offset: int) -> str:
        """The API URL of the page starting at ``offset``."""
        return f"{self.api_base}/jobs/api?limit={PAGE_SIZE}&offset={offset}"

    async def start(self):
        # board=True on the first page only: a 404 there means the API has moved
        # or closed; a 404 deeper in is a failed page, reported as such.
        yield self.api_request(self.page_url(0), self.parse_page, board=True, cb_kwargs={"page": 1, "offset": 0})

    def parse_page(self, response, page: int, offset: int):
        if self.board_gone(response):
            return
        data = self.json_of(response)
        if data is None:
            return
        jobs = data.get("jobs") if isinstance(data, dict) else None
        if not isinstance(jobs, list):
            self.report_problem(response.url, "unexpected_shape", "no 'jobs' list in the page")
            return
        for job in jobs:
            if isinstance(job, dict) and job.get("title") and not self.on_topic(job):
                self.crawler.stats.inc_value(SKIPPED_STAT)
                continue
            item = self.item_from(job)
            if item is None:
                self.report_problem(response.url, "incomplete_job", f"job without title or link: {str(job)[:200]}")
                continue
            yield item

        next_offset = offset + len(jobs)
        total = data.get("totalCount")
        if len(jobs) < PAGE_SIZE or (isinstance(total, int) and next_offset >= total):
            return
        if page >= self.max_pages:
            self.logger.info("stopping at max_pages=%s (offset %s of %s)", self.max_pages, next_offset, total)
            self.crawler.stats.inc_value("medcoder/max_pages_reached")
            return
        yield self.api_request(self.page_url(next_offset), self.parse_page, cb_kwargs={"page": page + 1, "offset": next_offset})

    @staticmethod
    def on_topic(job: dict) -> bool:
        """True when the title or a category could be coding or health information work (see ``TOPIC_RE``)."""
        categories = job.get("categories") if isinstance(job.get("categories"), list) else []
        words = " ".join([str(job.get("title") or ""), *(str(c) for c in categories)])
        # Categories arrive as slugs ("Medical-Coding"); hyphens already break words.
        return bool(TOPIC_RE.search(words) or HIM_RE.search(words))

    def item_from(self, job: dict) -> PostingItem | None:
        """One Himalayas job as the shared item; ``pubDate`` may be epoch seconds or an ISO string."""
        if not isinstance(job, dict) or not job.get("title"):
            return None
        # guid is the posting's page on Himalayas (the link back it asks for); applicationLink is the fallback.
        url = next((u for u in (job.get("guid"), job.get("applicationLink")) if isinstance(u, str) and u.startswith("http")), None)
        if url is None:
            return None
        countries = [c for c in job.get("locationRestrictions") or [] if isinstance(c, str) and c.strip()]
        extras = {k: job[k] for k in ("categories", "seniority") if job.get(k)}
        if countries:
            extras["location_restrictions"] = countries
        if job.get("applicationLink") and job["applicationLink"] != url:
            extras["application_link"] = job["applicationLink"]
        posted = job.get("pubDate")
        if isinstance(posted, str) and posted.strip().isdigit():
            posted = int(posted)  # epoch seconds sent as a string
        return PostingItem(
            source=self.source_id,
            url=url,
            title=job["title"],
            source_job_id=str(job["id"]) if job.get("id") else None,
            employer=job.get("companyName"),
            # "United States / Canada": the clean pipeline keeps the first of alternatives; all are in extras.
            location_text=" / ".join(countries) or None,
            remote="remote",
            employment_type=job.get("employmentType"),
            salary_min=job.get("minSalary"),
            salary_max=job.get("maxSalary"),
            salary_currency=job.get("currency") or job.get("salaryCurrency"),
            posted_at=posted,
            description_html=job.get("description") or None,
            attribution=self.attribution,
            extras=extras,
        )
