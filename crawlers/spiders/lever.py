"""Lever job sites: the public postings API, paged with ``skip``/``limit``, on the global or the EU host."""

from __future__ import annotations

import html

from crawlers.items import PostingItem
from crawlers.spiders.base import ApiSpider, positive_int_arg

# Lever runs two separate instances; a site lives on exactly one of them.
REGION_API_BASES = {"global": "https://api.lever.co", "eu": "https://api.eu.lever.co"}
REGION_JOB_HOSTS = {"global": "https://jobs.lever.co", "eu": "https://jobs.eu.lever.co"}
DEFAULT_LIMIT = 100
# Lever says "on-site"; the item says "onsite". "unspecified" says nothing, so it maps to None.
WORKPLACE_TYPES = {"remote": "remote", "hybrid": "hybrid", "on-site": "onsite", "onsite": "onsite"}


class LeverSpider(ApiSpider):
    """``scrapy crawl lever -a site=NAME`` (the NAME in jobs.lever.co/NAME).

    ``-a region=eu`` reads a site hosted on jobs.eu.lever.co; ``-a limit=N``
    sets the page size (100 by default); ``-a employer=NAME`` names the
    employer, since Lever postings do not carry a company name.
    """

    name = "lever"
    source_name = "Lever"
    default_api_base = REGION_API_BASES["global"]

    def __init__(self, site: str | None = None, region: str | None = None, limit: str | int | None = None,
                 employer: str | None = None, api_base: str | None = None, **kwargs):
        region = (region or "global").strip().lower()
        if region not in REGION_API_BASES:
            raise ValueError(f"lever: unknown region {region!r}; use one of {', '.join(REGION_API_BASES)}")
        super().__init__(api_base=api_base or REGION_API_BASES[region], **kwargs)
        if not site:
            raise ValueError("lever needs -a site=NAME")
        self.site = site
        self.region = region
        self.limit = positive_int_arg(limit, DEFAULT_LIMIT, "lever", "limit")
        self.employer = employer
        self._seen_ids: set[str] = set()

    def default_source_id(self) -> str:
        return f"lever:{self.site}"

    def page_url(self, skip: int) -> str:
        """The postings page starting at ``skip``."""
        return f"{self.api_base}/v0/postings/{self.site}?mode=json&skip={skip}&limit={self.limit}"

    async def start(self):
        # Only the first page is "the board": a 404 there means the site is gone, later it is an error.
        yield self.api_request(self.page_url(0), self.parse_page, board=True, cb_kwargs={"skip": 0})

    def parse_page(self, response, skip: int):
        """One page of postings: yield its items, then ask for the next page while pages come back full."""
        if self.board_gone(response):
            return
        data = self.json_of(response)
        if data is None:
            return
        if not isinstance(data, list):
            self.report_problem(response.url, "unexpected_shape", "expected a list of postings")
            return
        valid = new_ids = 0
        for job in data:
            item = self.item_from(job)
            if item is None:
                self.report_problem(response.url, "incomplete_job", f"posting without id or text: {str(job)[:200]}")
                continue
            valid += 1
            new_ids += item.source_job_id not in self._seen_ids
            self._seen_ids.add(item.source_job_id)
            yield item
        # A full page of postings already seen means the server ignores skip: paging on would never end.
        if valid and not new_ids and len(data) >= self.limit:
            self.report_problem(response.url, "pagination_stalled", "a full page repeated earlier postings; stopped paging")
            return
        # A short page is the last one; a full page may be followed by an empty one, which also ends it.
        if len(data) >= self.limit:
            next_skip = skip + len(data)
            yield self.api_request(self.page_url(next_skip), self.parse_page, cb_kwargs={"skip": next_skip})

    def item_from(self, job: dict) -> PostingItem | None:
        """One Lever posting as the shared item; the ``lists`` (requirement bullets) join the description."""
        if not isinstance(job, dict) or not job.get("id") or not job.get("text"):
            return None
        categories = job.get("categories") if isinstance(job.get("categories"), dict) else {}
        salary = job.get("salaryRange") if isinstance(job.get("salaryRange"), dict) else {}
        extras = {k: categories[k] for k in ("team", "department", "level") if categories.get(k)}
        if isinstance(categories.get("allLocations"), list) and categories["allLocations"]:
            extras["all_locations"] = categories["allLocations"]
        if job.get("applyUrl"):
            extras["apply_url"] = job["applyUrl"]
        created = job.get("createdAt")
        markup = description_html(job)
        return PostingItem(
            source=self.source_id,
            url=job.get("hostedUrl") or f"{REGION_JOB_HOSTS[self.region]}/{self.site}/{job['id']}",
            title=job["text"],
            source_job_id=str(job["id"]),
            employer=self.employer or self.site,
            location_text=categories.get("location"),
            country=job.get("country") or None,
            remote=WORKPLACE_TYPES.get(str(job.get("workplaceType") or "").strip().lower()),
            employment_type=categories.get("commitment"),
            salary_min=salary.get("min"),
            salary_max=salary.get("max"),
            salary_currency=salary.get("currency"),
            salary_unit=salary.get("interval"),
            salary_text=job.get("salaryDescriptionPlain") or None,
            # normalise_date reads epoch milliseconds only as a number, so keep Lever's int as it is.
            posted_at=created if isinstance(created, (int, float)) and not isinstance(created, bool) else None,
            description_html=markup or None,
            extras=extras,
        )


def description_html(job: dict) -> str:
    """The posting's HTML: ``description``, then each list as a heading and its bullets, then ``additional``."""
    plain = job.get("descriptionPlain")
    # Without the HTML, the plain text (escaped, lines kept) still leads the lists that follow it.
    lead = job.get("description") or (html.escape(plain).replace("\n", "<br>") if isinstance(plain, str) else "")
    parts = [lead]
    for block in job.get("lists") or []:
        if not isinstance(block, dict) or not (block.get("text") or block.get("content")):
            continue
        # List titles are plain text that may arrive entity-encoded: unescape first so "&amp;" is not doubled.
        heading = html.escape(html.unescape(block.get("text") or ""), quote=False)
        parts.append(f"<h3>{heading}</h3><ul>{block.get('content') or ''}</ul>")
    parts.append(job.get("additional") or "")
    return "".join(p for p in parts if isinstance(p, str))

