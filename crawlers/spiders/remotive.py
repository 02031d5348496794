"""Remotive: one public JSON search over its remote jobs, credited as its terms ask."""

from __future__ import annotations

from urllib.parse import quote

from crawlers.items import PostingItem
from crawlers.spiders.base import ApiSpider


class RemotiveSpider(ApiSpider):
    """``scrapy crawl remotive [-a search="medical coding"] [-a limit=100]``.

    Remotive's API answers one search with every match (``limit`` caps it),
    so one request is the whole crawl. Its terms ask for credit and a link
    back: every posting carries :attr:`attribution` and its Remotive URL.
    """

    name = "remotive"
    source_name = "Remotive"
    attribution = "Via Remotive (https://remotive.com)"
    default_api_base = "https://remotive.com"
    default_search = "medical coding"
    default_limit = 100

    def __init__(self, search: str | None = None, limit: str | int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.search = search or self.default_search
        self.limit = int(limit) if limit else self.default_limit

    async def start(self):
        url = f"{self.api_base}/api/remote-jobs?search={quote(self.search)}&limit={self.limit}"
        # board=True: a 404 on the search endpoint itself means the API has moved or closed.
        yield self.api_request(url, self.parse_jobs, board=True, whole_board=True)

    def parse_jobs(self, response):
        jobs = self.json_list(response, "jobs", "search response")
        if jobs is not None:
            yield from self.items_from(response, jobs)

    def item_from(self, job: dict) -> PostingItem | None:
        """One Remotive job as the shared item; ``salary`` is free text, ``description`` is HTML."""
        if not isinstance(job, dict) or not job.get("id") or not job.get("title"):
            return None
        extras = {k: job[k] for k in ("category", "tags", "job_type") if job.get(k)}
        return PostingItem(
            source=self.source_id,
            # The Remotive posting page is the link back its terms require.
            url=job.get("url") or f"{self.api_base}/remote-jobs/{job['id']}",
            title=job["title"],
            source_job_id=str(job["id"]),
            employer=job.get("company_name"),
            # "USA Only", "India", "Worldwide": where the candidate must live, the job itself is remote.
            location_text=job.get("candidate_required_location"),
            remote="remote",
            employment_type=job.get("job_type"),
            salary_text=job.get("salary") or None,
            posted_at=job.get("publication_date"),
            description_html=job.get("description") or None,
            attribution=self.attribution,
            extras=extras,
        )
