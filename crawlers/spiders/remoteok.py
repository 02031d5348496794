"""Remote OK: one public JSON call per tag, credited as its terms ask."""

from __future__ import annotations

from urllib.parse import quote

from crawlers.items import PostingItem
from crawlers.spiders.base import ApiSpider


class RemoteOkSpider(ApiSpider):
    """``scrapy crawl remoteok [-a tag=medical]``.

    The API answers a JSON array whose first element is a legal notice, not
    a job; Remote OK refuses requests without a User-Agent (the project's
    ``USER_AGENT`` is always sent). Its terms ask for credit and a link
    back: every posting carries :attr:`attribution` and its Remote OK URL.
    """

    name = "remoteok"
    source_name = "Remote OK"
    attribution = "Via Remote OK (https://remoteok.com)"
    default_api_base = "https://remoteok.com"
    default_tag = "medical"

    def __init__(self, tag: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.tag = tag or self.default_tag

    async def start(self):
        # board=True: a 404 on the API itself means it has moved or closed.
        yield self.api_request(f"{self.api_base}/api?tag={quote(self.tag)}", self.parse_jobs, board=True,
                               whole_board=True)

    def parse_jobs(self, response):
        if self.board_gone(response):
            return
        data = self.json_of(response)
        if data is None:
            return
        if not isinstance(data, list):
            self.report_problem(response.url, "unexpected_shape", "the API answered something other than a JSON array")
            return
        for job in data:
            # The legal notice is element 0 today; recognising it by shape keeps
            # a response without it (or with it elsewhere) from losing a job.
            if self.is_legal_notice(job):
                continue
            item = self.item_from(job)
            if item is None:
                self.report_problem(response.url, "incomplete_job", f"job without id or position: {str(job)[:200]}")
                continue
            yield item

    @staticmethod
    def is_legal_notice(element: object) -> bool:
        """True for the API's terms-of-use element: it has ``legal`` and is no job."""
        return isinstance(element, dict) and "legal" in element and not element.get("position")

    def item_from(self, job: dict) -> PostingItem | None:
        """One Remote OK job as the shared item; ``salary_min``/``salary_max`` are annual USD, 0 meaning unknown."""
        if not isinstance(job, dict) or not job.get("id") or not job.get("position"):
            return None
        # Remote OK writes 0 when the employer gave no pay; the clean pipeline reads whatever else comes.
        salary_min, salary_max = job.get("salary_min") or None, job.get("salary_max") or None
        known_salary = salary_min is not None or salary_max is not None
        extras = {"tags": job["tags"]} if job.get("tags") else {}
        return PostingItem(
            source=self.source_id,
            # The Remote OK posting page is the link back its terms require.
            url=job.get("url") or f"{self.api_base}/remote-jobs/{job.get('slug') or job['id']}",
            title=job["position"],
            source_job_id=str(job["id"]),
            employer=job.get("company"),
            location_text=job.get("location") or None,
            remote="remote",
            salary_min=salary_min,
            salary_max=salary_max,
            salary_currency="USD" if known_salary else None,
            salary_unit="YEAR" if known_salary else None,
            posted_at=job.get("date"),
            description_html=job.get("description") or None,
            attribution=self.attribution,
            extras=extras,
        )

