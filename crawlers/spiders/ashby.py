"""Ashby job boards: one public call per board returns every job, with pay when ``includeCompensation=true``."""

from __future__ import annotations

from crawlers.items import PostingItem
from crawlers.spiders.base import ApiSpider

WORKPLACE_TYPES = {"remote": "remote", "hybrid": "hybrid", "onsite": "onsite", "on-site": "onsite"}


class AshbySpider(ApiSpider):
    """``scrapy crawl ashby -a board=NAME`` (the NAME in jobs.ashbyhq.com/NAME).

    ``-a employer=NAME`` names the employer, since the board response does
    not carry the company's name.
    """

    name = "ashby"
    source_name = "Ashby"
    default_api_base = "https://api.ashbyhq.com"

    def __init__(self, board: str | None = None, employer: str | None = None, **kwargs):
        super().__init__(**kwargs)
        if not board:
            raise ValueError("ashby needs -a board=NAME")
        self.board = board
        self.employer = employer

    def default_source_id(self) -> str:
        return f"ashby:{self.board}"

    async def start(self):
        yield self.api_request(f"{self.api_base}/posting-api/job-board/{self.board}?includeCompensation=true",
                               self.parse_board, board=True, whole_board=True)

    def parse_board(self, response):
        """The whole board in one response: yield every listed job."""
        jobs = self.json_list(response, "jobs", "board response")
        if jobs is None:
            return
        # Unlisted jobs are reachable by link only: the employer chose not to advertise them.
        listed = [job for job in jobs if not (isinstance(job, dict) and job.get("isListed") is False)]
        self.crawler.stats.inc_value("medcoder/ashby/unlisted_skipped", len(jobs) - len(listed))
        yield from self.items_from(response, listed)

    def item_from(self, job: dict) -> PostingItem | None:
        """One Ashby job as the shared item; pay from the Salary component, the tier summary kept as text."""
        if not isinstance(job, dict) or not job.get("id") or not job.get("title"):
            return None
        address = _postal_address(job.get("address"))
        salary = _salary_component(job.get("compensation"))
        compensation = job.get("compensation") if isinstance(job.get("compensation"), dict) else {}
        extras = {k: job[k] for k in ("department", "team") if job.get(k)}
        secondary = [s.get("location") for s in job.get("secondaryLocations") or [] if isinstance(s, dict) and s.get("location")]
        if secondary:
            extras["secondary_locations"] = secondary
        if job.get("applyUrl"):
            extras["apply_url"] = job["applyUrl"]
        remote = WORKPLACE_TYPES.get(str(job.get("workplaceType") or "").strip().lower())
        if remote is None and job.get("isRemote") is True:
            remote = "remote"
        return PostingItem(
            source=self.source_id,
            url=job.get("jobUrl") or f"https://jobs.ashbyhq.com/{self.board}/{job['id']}",
            title=job["title"],
            source_job_id=str(job["id"]),
            employer=self.employer or self.board,
            location_text=job.get("location") if isinstance(job.get("location"), str) else None,
            city=address.get("addressLocality"),
            region=address.get("addressRegion"),
            country=address.get("addressCountry"),
            remote=remote,
            employment_type=job.get("employmentType"),
            salary_min=salary.get("minValue"),
            salary_max=salary.get("maxValue"),
            salary_currency=salary.get("currencyCode"),
            salary_unit=salary.get("interval"),
            salary_text=compensation.get("compensationTierSummary") or compensation.get("scrapeableCompensationSalarySummary"),
            posted_at=job.get("publishedAt"),
            description_html=job.get("descriptionHtml") or None,
            description=None if job.get("descriptionHtml") else job.get("descriptionPlain"),
            extras=extras,
        )


def _postal_address(address: object) -> dict:
    postal = address.get("postalAddress") if isinstance(address, dict) else None
    return {k: v for k, v in postal.items() if isinstance(v, str) and v.strip()} if isinstance(postal, dict) else {}


def _salary_component(compensation: object) -> dict:
    # Equity, bonus and commission components share the list; only the salary band is pay.
    components = compensation.get("summaryComponents") if isinstance(compensation, dict) else None
    for component in components or []:
        if isinstance(component, dict) and component.get("compensationType") == "Salary":
            return component
    return {}
