"""Greenhouse job boards: one public JSON call per board, with full descriptions (``content=true``)."""

from __future__ import annotations

import html

from crawlers.items import PostingItem
from crawlers.spiders.base import ApiSpider


class GreenhouseSpider(ApiSpider):
    """``scrapy crawl greenhouse -a board=TOKEN`` (the token in boards.greenhouse.io/TOKEN)."""

    name = "greenhouse"
    source_name = "Greenhouse"
    default_api_base = "https://boards-api.greenhouse.io"

    def __init__(self, board: str | None = None, **kwargs):
        super().__init__(**kwargs)
        if not board:
            raise ValueError("greenhouse needs -a board=TOKEN")
        self.board = board

    def default_source_id(self) -> str:
        return f"greenhouse:{self.board}"

    async def start(self):
        yield self.api_request(f"{self.api_base}/v1/boards/{self.board}/jobs?content=true", self.parse_board, board=True,
                               whole_board=True)

    def parse_board(self, response):
        jobs = self.json_list(response, "jobs", "board response")
        if jobs is not None:
            yield from self.items_from(response, jobs)

    def item_from(self, job: dict) -> PostingItem | None:
        """One Greenhouse job as the shared item (``content`` arrives entity-escaped: unescape it)."""
        if not isinstance(job, dict) or not job.get("id") or not job.get("title"):
            return None
        location = (job.get("location") or {}).get("name") if isinstance(job.get("location"), dict) else None
        extras = {k: job[k] for k in ("internal_job_id", "requisition_id") if job.get(k)}
        if job.get("departments"):
            extras["departments"] = [d.get("name") for d in job["departments"] if isinstance(d, dict)]
        if job.get("offices"):
            extras["offices"] = [o.get("name") for o in job["offices"] if isinstance(o, dict)]
        if job.get("metadata"):
            extras["metadata"] = {m.get("name"): m.get("value") for m in job["metadata"] if isinstance(m, dict) and m.get("value") is not None}
        return PostingItem(
            source=self.source_id,
            url=job.get("absolute_url") or f"{self.api_base}/v1/boards/{self.board}/jobs/{job['id']}",
            title=job["title"],
            source_job_id=str(job["id"]),
            employer=job.get("company_name") or self.board,
            location_text=location,
            posted_at=job.get("first_published") or job.get("updated_at"),
            description_html=html.unescape(job.get("content") or ""),
            extras=extras,
        )
