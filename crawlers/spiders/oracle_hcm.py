"""Oracle Recruiting Cloud (Oracle Fusion HCM "Candidate Experience"): the public ``hcmRestApi`` JSON.

One paged list call per site, then one detail call per requisition for the
description, qualifications, responsibilities and skills. Oracle's ``finder``
parameter packs its own arguments after ``;`` and ``,``, which must reach
the server unencoded; URLs here are therefore built as strings, never run
through a query encoder, and the tests check what actually arrives.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from analysis.normalise.location import work_mode
from crawlers.items import PostingItem
from crawlers.spiders.base import ApiSpider

RESOURCES = "/hcmRestApi/resources/latest"
#: The most the list resource hands out in one page.
DEFAULT_LIMIT = 200


class OracleHcmSpider(ApiSpider):
    """``scrapy crawl oracle_hcm -a host=https://xxxx.fa.ocs.oraclecloud.com -a site_number=CX_1``.

    ``host`` is the career site's base (posting links are built on it);
    ``-a api_base`` sends the API calls elsewhere (a mirror or a test server).
    ``-a employer=`` names the employer (default: the host's first label) and
    ``-a limit=`` sets the page size (default 200).
    """

    name = "oracle_hcm"
    source_name = "Oracle Recruiting Cloud"

    def __init__(self, host: str | None = None, site_number: str | None = None, employer: str | None = None,
                 limit: str | int = DEFAULT_LIMIT, api_base: str | None = None, **kwargs):
        if not host or not site_number:
            raise ValueError("oracle_hcm needs -a host=https://xxxx.fa.ocs.oraclecloud.com -a site_number=CX_1")
        if "://" not in host:
            host = f"https://{host}"
        super().__init__(api_base=api_base or host, **kwargs)
        self.host = host.rstrip("/")
        self.site_number = site_number
        self.host_label = (urlsplit(self.host).hostname or "").split(".")[0]
        self.employer = employer or self.host_label
        self.limit = int(limit)
        if not 0 < self.limit <= DEFAULT_LIMIT:
            raise ValueError(f"oracle_hcm: limit must be between 1 and {DEFAULT_LIMIT}")

    def default_source_id(self) -> str:
        return f"oracle_hcm:{self.host_label}:{self.site_number}".lower()

    async def start(self):
        yield self.page_request(0)

    def list_url(self, offset: int) -> str:
        """The requisition search page at ``offset``, newest postings first."""
        finder = f"findReqs;siteNumber={self.site_number},limit={self.limit},offset={offset},sortBy=POSTING_DATES_DESC"
        return (f"{self.api_base}{RESOURCES}/recruitingCEJobRequisitions?onlyData=true"
                f"&expand=requisitionList.secondaryLocations,flexFieldsFacet.values&finder={finder}")

    def detail_url(self, req_id: str) -> str:
        """One requisition in full; the quotes go as %22 (as the Candidate Experience page sends them), ``;`` and ``,`` literally."""
        return (f"{self.api_base}{RESOURCES}/recruitingCEJobRequisitionDetails?expand=all&onlyData=true"
                f"&finder=ById;Id=%22{req_id}%22,siteNumber={self.site_number}")

    def posting_url(self, req_id: str) -> str:
        return f"{self.host}/hcmUI/CandidateExperience/en/sites/{self.site_number}/job/{req_id}"

    def page_request(self, offset: int):
        # Only the first page is the board itself: a 404 there means the site is gone.
        return self.api_request(self.list_url(offset), self.parse_page, board=offset == 0,
                                headers={"Accept": "application/json"}, cb_kwargs={"offset": offset})

    def parse_page(self, response, offset: int):
        if self.board_gone(response):
            return
        data = self.json_of(response)
        if data is None:
            return
        items = data.get("items") if isinstance(data, dict) else None
        if not isinstance(items, list):
            self.report_problem(response.url, "unexpected_shape", "no 'items' list in the requisition search")
            return
        search = items[0] if items and isinstance(items[0], dict) else {}
        reqs = search.get("requisitionList") or []
        if not isinstance(reqs, list):
            self.report_problem(response.url, "unexpected_shape", "'requisitionList' is not a list")
            return
        for req in reqs:
            req_id = req.get("Id") if isinstance(req, dict) else None
            if not req_id or not req.get("Title"):
                self.report_problem(response.url, "incomplete_job", f"requisition without Id or Title: {str(req)[:200]}")
                continue
            yield self.api_request(self.detail_url(str(req_id)), self.parse_detail,
                                   headers={"Accept": "application/json"}, cb_kwargs={"listed": req})
        total = search.get("TotalJobsCount")
        next_offset = offset + self.limit
        # A short page is the last one, whatever the count says; the count stops a full last page.
        if len(reqs) == self.limit and (not isinstance(total, int) or next_offset < total):
            yield self.page_request(next_offset)

    def parse_detail(self, response, listed: dict):
        data = self.json_of(response)
        if data is None:
            return
        items = data.get("items") if isinstance(data, dict) else None
        detail = items[0] if isinstance(items, list) and items and isinstance(items[0], dict) else None
        if detail is None:
            # Withdrawn between the list call and this one, or not published to this site.
            self.report_problem(response.url, "missing_detail", f"no details for requisition {listed.get('Id')}")
            return
        yield self.item_from(listed, detail)

    def item_from(self, listed: dict, detail: dict) -> PostingItem:
        """One requisition from its list entry and its detail; the detail wins where both say something."""
        req_id = str(detail.get("Id") or listed["Id"])
        sections = [detail.get("ExternalDescriptionStr")]
        # Responsibilities get their own heading too, so the extractor never reads duties as requirements.
        for heading, key in (("Qualifications", "ExternalQualificationsStr"), ("Responsibilities", "ExternalResponsibilitiesStr")):
            if detail.get(key):
                sections += [f"<h3>{heading}</h3>", detail[key]]
        skills = [_skill_name(s) for s in _list(detail.get("skills")) if _skill_name(s)]
        extras = {
            "skills": skills,
            "secondaryLocations": [loc.get("Name") for loc in _list(listed.get("secondaryLocations"))
                                   if isinstance(loc, dict) and loc.get("Name")],
            "JobFamily": detail.get("JobFamily") or listed.get("JobFamily"),
            "JobFunction": detail.get("JobFunction") or listed.get("JobFunction"),
            "WorkplaceType": detail.get("WorkplaceType") or listed.get("WorkplaceType"),
            "requisitionFlexFields": {f.get("Prompt"): f.get("Value") for f in _list(detail.get("requisitionFlexFields"))
                                      if isinstance(f, dict) and f.get("Prompt") and f.get("Value") is not None},
        }
        return PostingItem(
            source=self.source_id,
            url=self.posting_url(req_id),
            title=detail.get("Title") or listed.get("Title"),
            source_job_id=req_id,
            employer=self.employer,
            location_text=detail.get("PrimaryLocation") or listed.get("PrimaryLocation"),
            country=detail.get("PrimaryLocationCountry") or listed.get("PrimaryLocationCountry"),
            remote=work_mode(detail.get("WorkplaceType") or listed.get("WorkplaceType")),
            employment_type=detail.get("JobSchedule") or listed.get("JobSchedule"),
            posted_at=detail.get("ExternalPostedStartDate") or listed.get("PostedDate"),
            valid_through=detail.get("ExternalPostedEndDate"),
            description_html="\n".join(s for s in sections if s),
            extras={k: v for k, v in extras.items() if v},
        )


def _list(value: object) -> list:
    return value if isinstance(value, list) else []


def _skill_name(skill: object) -> str | None:
    # Entries are objects ({"Skill": "ICD-10-CM", ...}); the shape is undocumented, so bare strings and other keys are tolerated.
    if isinstance(skill, str):
        return skill.strip() or None
    if isinstance(skill, dict):
        name = skill.get("Skill") or skill.get("Name") or skill.get("Description")
        return name.strip() if isinstance(name, str) and name.strip() else None
    return None

