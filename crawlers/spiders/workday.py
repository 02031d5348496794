"""Workday career sites: the public "cxs" JSON behind ``{tenant}.wd{N}.myworkdayjobs.com``.

One POSTed search, paged 20 at a time, then one GET per posting for its
full description. Workday answers 400 to a page size above 20 and reports a
trustworthy ``total`` only on the first page, so paging stops at that total
or at the first empty page, whichever comes first.
"""

from __future__ import annotations

import json

from analysis.normalise.location import work_mode
from crawlers.items import PostingItem
from crawlers.spiders.base import ApiSpider

#: Workday rejects a larger ``limit`` with HTTP 400.
PAGE_SIZE = 20


class WorkdaySpider(ApiSpider):
    """``scrapy crawl workday -a tenant=T -a site=S -a wd=N [-a search="medical coder"]``.

    ``tenant``, ``site`` and ``wd`` come from the career site's address,
    ``https://{tenant}.wd{N}.myworkdayjobs.com/{site}``; ``wd`` may be given
    as ``5`` or ``wd5``. ``search`` (default "coder") is sent as Workday's own
    keyword search so a large RCM board yields its coding postings, not all
    of its AR-calling ones.
    """

    name = "workday"
    source_name = "Workday"

    def __init__(self, tenant: str | None = None, site: str | None = None, wd: str | None = None,
                 search: str = "coder", api_base: str | None = None, **kwargs):
        if not tenant or not site:
            raise ValueError("workday needs -a tenant=T -a site=S -a wd=N (from https://T.wdN.myworkdayjobs.com/S)")
        wd = str(wd or "").strip().lower().removeprefix("wd")
        if not api_base and not wd.isdigit():
            raise ValueError("workday needs -a wd=N (the N in T.wdN.myworkdayjobs.com) unless -a api_base is given")
        super().__init__(api_base=api_base or f"https://{tenant}.wd{wd}.myworkdayjobs.com", **kwargs)
        self.tenant, self.site, self.wd, self.search = tenant, site, wd, search
        self.total: int | None = None

    def default_source_id(self) -> str:
        # Registry ids are lower case; Workday site names often are not (R1RCM, CorroHealthIndia).
        return f"workday:{self.tenant}:{self.site}".lower()

    @property
    def cxs_base(self) -> str:
        return f"{self.api_base}/wday/cxs/{self.tenant}/{self.site}"

    async def start(self):
        yield self.page_request(0)

    def page_request(self, offset: int):
        """One POSTed search page; the first page is the board itself, where 404 means gone."""
        body = {"appliedFacets": {}, "limit": PAGE_SIZE, "offset": offset, "searchText": self.search}
        return self.api_request(
            f"{self.cxs_base}/jobs", self.parse_page, board=offset == 0, method="POST", body=json.dumps(body),
            headers={"Content-Type": "application/json", "Accept": "application/json"},
            # Every page POSTs to the same URL and differs only in its body: Scrapy's default fingerprint
            # hashes the body, but a URL-only fingerprinter (scrapy-redis, cache setups) would drop pages 2+.
            dont_filter=True, cb_kwargs={"offset": offset},
        )

    def parse_page(self, response, offset: int):
        if self.board_gone(response):
            return
        data = self.json_of(response)
        if data is None:
            return
        postings = data.get("jobPostings") if isinstance(data, dict) else None
        if not isinstance(postings, list):
            self.report_problem(response.url, "unexpected_shape", f"no 'jobPostings' list in the page at offset {offset}")
            return
        if offset == 0:
            # Later pages often say total 0: only the first page's count is real.
            total = data.get("total")
            self.total = total if isinstance(total, int) else None
        for listed in postings:
            path = listed.get("externalPath") if isinstance(listed, dict) else None
            if not isinstance(path, str) or not path.startswith("/"):
                self.report_problem(response.url, "incomplete_job", f"posting without externalPath: {str(listed)[:200]}")
                continue
            yield self.api_request(f"{self.cxs_base}{path}", self.parse_detail, headers={"Accept": "application/json"},
                                   cb_kwargs={"listed": listed})
        next_offset = offset + PAGE_SIZE
        if postings and (self.total is None or next_offset < self.total):
            yield self.page_request(next_offset)

    def parse_detail(self, response, listed: dict):
        data = self.json_of(response)
        if data is None:
            return
        if not isinstance(data, dict) or not isinstance(data.get("jobPostingInfo"), dict):
            self.report_problem(response.url, "unexpected_shape", "no 'jobPostingInfo' in the posting's detail")
            return
        item = self.item_from(listed, data)
        if item is None:
            self.report_problem(response.url, "incomplete_job", "posting without a title")
            return
        yield item

    def item_from(self, listed: dict, detail: dict) -> PostingItem | None:
        """One posting from its list entry and its detail JSON; the detail wins where both say something."""
        info = detail.get("jobPostingInfo") if isinstance(detail, dict) else None
        info = info if isinstance(info, dict) else {}
        title = info.get("title") or listed.get("title")
        path = listed.get("externalPath") or info.get("externalPath")
        if not title or not path:
            return None
        org = detail.get("hiringOrganization") if isinstance(detail, dict) else None
        country = info.get("country") if isinstance(info.get("country"), dict) else {}
        bullets = listed.get("bulletFields") if isinstance(listed.get("bulletFields"), list) else []
        req_id = info.get("jobReqId") or (bullets[0] if bullets else None)
        extras = {"jobReqId": req_id, "timeType": info.get("timeType"), "bulletFields": bullets or None,
                  "remoteType": info.get("remoteType"),
                  "additionalLocations": info.get("additionalLocations") or None}
        return PostingItem(
            source=self.source_id,
            url=info.get("externalUrl") or f"{self.api_base}/{self.site}{path}",
            title=title,
            source_job_id=str(req_id or path),
            employer=(org.get("name") if isinstance(org, dict) else None) or self.tenant,
            # "2 Locations" in the list; the detail names the primary one.
            location_text=info.get("location") or listed.get("locationsText"),
            country=country.get("alpha2Code"),
            remote=work_mode(info.get("remoteType")),
            employment_type=info.get("timeType"),
            # startDate is an ISO date; postedOn ("Posted 3 Days Ago") is resolved by the clean pipeline.
            posted_at=info.get("startDate") or listed.get("postedOn") or info.get("postedOn"),
            description_html=info.get("jobDescription") or "",
            extras={k: v for k, v in extras.items() if v},
        )

