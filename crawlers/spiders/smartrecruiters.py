"""SmartRecruiters companies: the public postings list (paged by offset), then one detail call per posting.

The list carries title, place and date only; the description sections are in
each posting's detail, so every listed posting costs one more request. A
detail that fails or does not parse is reported and skipped; the others land.
"""

from __future__ import annotations

import html
from urllib.parse import quote

from crawlers.items import PostingItem
from crawlers.spiders.base import ApiSpider, positive_int_arg

DEFAULT_LIMIT = 100  # the API's maximum page size
# Our own headings, not the section titles employers may rename: the extractor
# finds requirements under "Qualifications", whatever the employer called it.
SECTIONS = (
    ("companyDescription", "Company description"),
    ("jobDescription", "Job description"),
    ("qualifications", "Qualifications"),
    ("additionalInformation", "Additional information"),
)


class SmartRecruitersSpider(ApiSpider):
    """``scrapy crawl smartrecruiters -a company=ID`` (the ID in jobs.smartrecruiters.com/ID).

    ``-a q=WORDS`` narrows the list with SmartRecruiters' own keyword search
    (e.g. ``q=coder`` on a large health system); ``-a limit=N`` sets the page
    size (100 by default).
    """

    name = "smartrecruiters"
    source_name = "SmartRecruiters"
    default_api_base = "https://api.smartrecruiters.com"

    def __init__(self, company: str | None = None, q: str | None = None, limit: str | int | None = None, **kwargs):
        super().__init__(**kwargs)
        if not company:
            raise ValueError("smartrecruiters needs -a company=ID")
        self.company = company
        self.q = q or None
        self.limit = positive_int_arg(limit, DEFAULT_LIMIT, "smartrecruiters", "limit")

    def default_source_id(self) -> str:
        return f"smartrecruiters:{self.company}"

    def list_url(self, offset: int) -> str:
        """The postings list page starting at ``offset``."""
        query = f"&q={quote(self.q)}" if self.q else ""
        return f"{self.api_base}/v1/companies/{self.company}/postings?limit={self.limit}&offset={offset}{query}"

    def detail_url(self, posting_id: str) -> str:
        """One posting's detail, where the description sections are."""
        return f"{self.api_base}/v1/companies/{self.company}/postings/{quote(str(posting_id), safe='')}"

    async def start(self):
        yield self.api_request(self.list_url(0), self.parse_list, board=True, cb_kwargs={"offset": 0})

    def parse_list(self, response, offset: int):
        """One list page: request each posting's detail, then the next page until ``totalFound``."""
        if self.board_gone(response):
            return
        data = self.json_of(response)
        if data is None:
            return
        content = data.get("content") if isinstance(data, dict) else None
        if not isinstance(content, list):
            self.report_problem(response.url, "unexpected_shape", "no 'content' list in the postings response")
            return
        for summary in content:
            if not isinstance(summary, dict) or not summary.get("id"):
                self.report_problem(response.url, "incomplete_job", f"listed posting without an id: {str(summary)[:200]}")
                continue
            yield self.api_request(self.detail_url(summary["id"]), self.parse_detail, cb_kwargs={"summary": summary})
        # totalFound says when to stop; an empty page stops too, in case the total shrank mid-crawl.
        total = data.get("totalFound")
        next_offset = offset + len(content)
        if content and isinstance(total, int) and next_offset < total:
            yield self.api_request(self.list_url(next_offset), self.parse_list, cb_kwargs={"offset": next_offset})

    def parse_detail(self, response, summary: dict):
        """One posting's detail, merged over its list entry (the detail wins where both have a field)."""
        data = self.json_of(response)
        if data is None:
            return
        if not isinstance(data, dict):
            self.report_problem(response.url, "unexpected_shape", "posting detail is not a JSON object")
            return
        item = self.item_from({**summary, **data})
        if item is None:
            self.report_problem(response.url, "incomplete_job", "posting without id or name")
            return
        yield item

    def item_from(self, posting: dict) -> PostingItem | None:
        """One posting (list entry merged with its detail) as the shared item."""
        if not isinstance(posting, dict) or not posting.get("id") or not posting.get("name"):
            return None
        location = posting.get("location") if isinstance(posting.get("location"), dict) else {}
        company = posting.get("company") if isinstance(posting.get("company"), dict) else {}
        extras = {}
        if posting.get("refNumber"):
            extras["ref_number"] = posting["refNumber"]
        for key, name in (("typeOfEmployment", "type_of_employment"), ("experienceLevel", "experience_level"),
                          ("department", "department"), ("function", "function"), ("industry", "industry")):
            if _label(posting.get(key)):
                extras[name] = _label(posting.get(key))
        if posting.get("applyUrl"):
            extras["apply_url"] = posting["applyUrl"]
        remote = "remote" if location.get("remote") is True else "hybrid" if location.get("hybrid") is True else None
        return PostingItem(
            source=self.source_id,
            url=(posting.get("postingUrl") or posting.get("applyUrl")
                 or f"https://jobs.smartrecruiters.com/{self.company}/{posting['id']}"),
            title=posting["name"],
            source_job_id=str(posting["id"]),
            employer=company.get("name") or self.company,
            location_text=location.get("fullLocation") or ", ".join(
                p for p in (location.get("city"), location.get("region")) if isinstance(p, str) and p.strip()) or None,
            city=location.get("city"),
            region=location.get("region"),
            country=location.get("country"),
            remote=remote,
            employment_type=_label(posting.get("typeOfEmployment")),
            posted_at=posting.get("releasedDate"),
            description_html=description_html(posting.get("jobAd")) or None,
            extras=extras,
        )


def description_html(job_ad: object) -> str:
    """The detail's ``jobAd.sections`` as one HTML document, each section under its own heading."""
    sections = job_ad.get("sections") if isinstance(job_ad, dict) else None
    if not isinstance(sections, dict):
        return ""
    parts = []
    for key, heading in SECTIONS:
        section = sections.get(key)
        text = section.get("text") if isinstance(section, dict) else None
        if isinstance(text, str) and text.strip():
            parts.append(f"<h2>{html.escape(heading)}</h2>{text}")
    return "".join(parts)


def _label(value: object) -> str | None:
    # SmartRecruiters wraps its enumerations as {"id": ..., "label": ...}.
    if isinstance(value, dict):
        return value.get("label") or value.get("id") or None
    return None
