"""USAJOBS: US federal postings through the official search API (the VA hires coders as series 0675).

Needs a free key: ``USAJOBS_API_KEY`` and the e-mail it was registered to,
``USAJOBS_EMAIL``. Without them the crawl is recorded as skipped.
"""

from __future__ import annotations

import html
import os
import re
from urllib.parse import urlencode, urlsplit

from crawlers.items import PostingItem
from crawlers.spiders.base import ApiSpider

# USAJOBS pay interval codes, as the clean pipeline's salary units.
RATE_INTERVALS = {"PA": "YEAR", "PH": "HOUR", "PD": "DAY", "PW": "WEEK", "PM": "MONTH"}
_TAG = re.compile(r"<[a-zA-Z/][^>]*>")


class UsajobsSpider(ApiSpider):
    """``scrapy crawl usajobs [-a series=0675] [-a terms="medical coder,coding"] [-a per_page=250] [-a max_pages=20]``.

    One search per occupational series (``JobCategoryCode``) and one per
    keyword; every page of each. The same announcement found by several
    searches is yielded once.
    """

    name = "usajobs"
    source_name = "USAJOBS"
    country = "US"
    default_api_base = "https://data.usajobs.gov"
    required_env = ("USAJOBS_API_KEY", "USAJOBS_EMAIL")

    # "terms", not "keywords": crawl_runs.args_json drops any argument whose name contains "key".
    def __init__(self, series: str = "0675", terms: str = "medical coder,coding", per_page: str = "250",
                 max_pages: str = "20", **kwargs):
        super().__init__(**kwargs)
        self.series = series
        self.terms = terms
        self.per_page = min(int(per_page), 500)  # the API's maximum
        self.max_pages = int(max_pages)
        self._seen: set[str] = set()

    def searches(self) -> list[dict[str, str]]:
        """The query parameters of each search: one per series, then one per keyword."""
        series = [{"JobCategoryCode": s.strip()} for s in self.series.split(",") if s.strip()]
        words = [{"Keyword": w.strip()} for w in self.terms.split(",") if w.strip()]
        return series + words

    def api_headers(self, key: str, email: str) -> dict[str, str]:
        """USAJOBS wants the registered e-mail as User-Agent (overriding ours for these requests) and the key."""
        headers = {"User-Agent": email, "Authorization-Key": key}
        # The documented Host header only makes sense against the real host; a mirror or test server gets its own.
        if urlsplit(self.api_base).hostname == urlsplit(self.default_api_base).hostname:
            headers["Host"] = "data.usajobs.gov"
        return headers

    def search_request(self, search: dict[str, str], page: int):
        params = {**search, "ResultsPerPage": self.per_page, "Fields": "Full", "Page": page}
        # Read at request time and never kept as attributes, so no key can reach crawl_runs.args_json.
        headers = self.api_headers(os.environ["USAJOBS_API_KEY"], os.environ["USAJOBS_EMAIL"])
        return self.api_request(f"{self.api_base}/api/search?{urlencode(params)}", self.parse_search,
                                headers=headers, cb_kwargs={"search": search, "page": page})

    async def start(self):
        self.check_credentials()
        for search in self.searches():
            yield self.search_request(search, 1)

    def parse_search(self, response, search: dict[str, str], page: int):
        data = self.json_of(response)
        if data is None:
            return
        result = data.get("SearchResult") if isinstance(data, dict) else None
        entries = result.get("SearchResultItems") if isinstance(result, dict) else None
        if not isinstance(entries, list):
            self.report_problem(response.url, "unexpected_shape", "no 'SearchResult.SearchResultItems' list in the response")
            return
        if page == 1:
            pages = _int((result.get("UserArea") or {}).get("NumberOfPages")) or 1
            if pages > self.max_pages:
                self.logger.info("%s has %s pages; reading the first %s (-a max_pages)", search, pages, self.max_pages)
                self.crawler.stats.inc_value("medcoder/max_pages_reached")
            for n in range(2, min(pages, self.max_pages) + 1):
                yield self.search_request(search, n)
        for entry in entries:
            job_id = str(entry.get("MatchedObjectId") or "") if isinstance(entry, dict) else ""
            if job_id and job_id in self._seen:
                # Searches overlap (series 0675 and "medical coder"); their URLs differ, so Scrapy cannot tell.
                self.crawler.stats.inc_value("medcoder/duplicates")
                continue
            item = self.item_from(entry)
            if item is None:
                self.report_problem(response.url, "incomplete_job", f"result without id or title: {str(entry)[:200]}")
                continue
            self._seen.add(job_id)
            yield item

    def item_from(self, entry: dict) -> PostingItem | None:
        """One ``SearchResultItems`` entry as the shared item; any field but the id and title may be missing."""
        if not isinstance(entry, dict):
            return None
        job = entry.get("MatchedObjectDescriptor")
        if not entry.get("MatchedObjectId") or not isinstance(job, dict) or not job.get("PositionTitle"):
            return None
        job_id = str(entry["MatchedObjectId"])
        details = _dict(_dict(job.get("UserArea")).get("Details"))
        locations = [_dict(p) for p in job.get("PositionLocation") or []]
        pay = _dict((job.get("PositionRemuneration") or [None])[0])
        org, dept = job.get("OrganizationName"), job.get("DepartmentName")
        remote = details.get("RemoteIndicator") is True

        extras = {
            "position_id": job.get("PositionID"),
            "grade": _grade(job, details),
            "low_grade": details.get("LowGrade"),
            "high_grade": details.get("HighGrade"),
            "telework_eligible": details.get("TeleworkEligible"),
            "job_category": [c.get("Code") for c in job.get("JobCategory") or [] if isinstance(c, dict)] or None,
        }
        if len(locations) > 1:
            extras["locations"] = [p.get("LocationName") for p in locations]
        code = pay.get("RateIntervalCode")
        if code and code not in RATE_INTERVALS:
            extras["rate_interval"] = code  # e.g. "BW" (biweekly): kept, but no period the pipeline knows
        schedule = _dict((job.get("PositionSchedule") or [None])[0])

        return PostingItem(
            source=self.source_id,
            url=job.get("PositionURI") or (job.get("ApplyURI") or [None])[0] or f"https://www.usajobs.gov/job/{job_id}",
            title=job["PositionTitle"],
            source_job_id=job_id,
            employer=f"{dept} - {org}" if dept and org and dept != org else (org or dept),
            location_text=locations[0].get("LocationName") if locations else None,
            region=locations[0].get("CountrySubDivisionCode") if locations else None,
            country="US",
            remote="remote" if remote else None,
            employment_type=schedule.get("Name"),
            salary_min=pay.get("MinimumRange"),
            salary_max=pay.get("MaximumRange"),
            salary_currency="USD" if pay else None,
            salary_unit=RATE_INTERVALS.get(code, code),
            posted_at=job.get("PublicationStartDate"),
            valid_through=job.get("ApplicationCloseDate"),
            description_html=_description(job, details),
            extras={k: v for k, v in extras.items() if v not in (None, "", [])},
        )


def _description(job: dict, details: dict) -> str:
    sections = [
        ("Summary", _block(details.get("JobSummary"))),
        ("Major duties", _list(details.get("MajorDuties"))),
        ("Qualifications", _block(job.get("QualificationSummary"))),
        ("Education", _block(details.get("Education"))),
        ("Requirements", _block(details.get("Requirements"))),
        ("How you will be evaluated", _block(details.get("Evaluations"))),
    ]
    return "\n".join(f"<h2>{title}</h2>\n{body}" for title, body in sections if body)


def _block(text) -> str:
    """A USAJOBS text field as HTML: fragments with tags pass through, plain text becomes escaped paragraphs."""
    if not isinstance(text, str) or not text.strip():
        return ""
    if _TAG.search(text):
        return text
    # Unescape first: plain-text fields sometimes carry entities ("&amp;"), which must not be escaped twice.
    lines = [line.strip() for line in html.unescape(text).splitlines() if line.strip()]
    return "".join(f"<p>{html.escape(line)}</p>" for line in lines)


def _list(duties) -> str:
    if isinstance(duties, str):
        duties = [duties]
    if not isinstance(duties, list):
        return ""
    items = [d if _TAG.search(d) else html.escape(html.unescape(d)) for d in duties if isinstance(d, str) and d.strip()]
    return "<ul>" + "".join(f"<li>{d}</li>" for d in items) + "</ul>" if items else ""


def _grade(job: dict, details: dict) -> str | None:
    """The federal grade as announced: pay plan, series, grade range, e.g. ``GS-0675-05/07``."""
    plan = _dict((job.get("JobGrade") or [None])[0]).get("Code")
    if not plan:
        return None
    series = _dict((job.get("JobCategory") or [None])[0]).get("Code")
    low, high = (_grade_number(details.get(k)) for k in ("LowGrade", "HighGrade"))
    grades = "/".join(dict.fromkeys(g for g in (low, high) if g))  # "05/07", or "09" when both are 9
    return "-".join(p for p in (plan, series, grades) if p)


def _grade_number(value) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text.zfill(2) if text.isdigit() else (text or None)


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
