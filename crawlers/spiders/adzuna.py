"""Adzuna: an aggregator's search API covering India (``in``) and the US (``us``).

Needs ``ADZUNA_APP_ID`` and ``ADZUNA_APP_KEY``. Both travel in the query
string, so every URL that is logged or stored goes through
:func:`crawlers.redact.redact`. Descriptions are snippets (a few hundred
characters); the posting's full text lives behind ``redirect_url``.
"""

from __future__ import annotations

import os
import re
from urllib.parse import unquote, urlencode

from crawlers.items import PostingItem
from crawlers.spiders.base import ApiSpider

# Adzuna states pay in the searched country's currency.
CURRENCIES = {"in": "INR", "us": "USD"}
SITES = {"in": "https://www.adzuna.in", "us": "https://www.adzuna.com"}
# Adzuna wraps the words that matched the search in <strong>; a title is plain text.
_TAG = re.compile(r"<[^>]+>")


class AdzunaSpider(ApiSpider):
    """``scrapy crawl adzuna [-a country=in|us] [-a what="medical coder"] [-a max_days_old=30] [-a max_pages=20]``.

    Without ``country`` both India and the US are searched, one search each.
    Pages are read one after the other until ``count`` is reached, a page
    comes back empty or ``max_pages`` is hit (free keys allow a few hundred
    calls a day).
    """

    name = "adzuna"
    source_name = "Adzuna"
    default_api_base = "https://api.adzuna.com"
    attribution = "Jobs by Adzuna (https://www.adzuna.com)"  # Adzuna's terms ask for it
    required_env = ("ADZUNA_APP_ID", "ADZUNA_APP_KEY")

    def __init__(self, country: str | None = None, what: str = "medical coder", max_days_old: str = "30",
                 per_page: str = "50", max_pages: str = "20", **kwargs):
        super().__init__(**kwargs)
        self.countries = ",".join(c.strip().lower() for c in (country or "in,us").split(",") if c.strip())
        unknown = [c for c in self.countries.split(",") if c not in CURRENCIES]
        if unknown or not self.countries:
            raise ValueError(f"adzuna: -a country= takes {' or '.join(CURRENCIES)}, not {country!r}")
        # The sources row's country: set only when the crawl covers one.
        self.country = self.countries.upper() if "," not in self.countries else None
        self.what = what
        self.max_days_old = int(max_days_old)
        self.per_page = int(per_page)
        self.max_pages = int(max_pages)
        self._seen: set[tuple[str, str]] = set()

    def default_source_id(self) -> str:
        return f"adzuna:{self.countries}" if "," not in self.countries else "adzuna"

    def page_request(self, country: str, page: int):
        params = {
            # Read at request time and never kept as attributes, so neither reaches crawl_runs.args_json.
            "app_id": os.environ["ADZUNA_APP_ID"],
            "app_key": os.environ["ADZUNA_APP_KEY"],
            "what": self.what,
            "results_per_page": self.per_page,
            "max_days_old": self.max_days_old,
            "sort_by": "date",
        }
        return self.api_request(f"{self.api_base}/v1/api/jobs/{country}/search/{page}?{urlencode(params)}",
                                self.parse_page, cb_kwargs={"country": country, "page": page})

    async def start(self):
        self.check_credentials()
        for country in self.countries.split(","):
            yield self.page_request(country, 1)

    def parse_page(self, response, country: str, page: int):
        data = self.json_of(response)
        if data is None:
            return
        results = data.get("results") if isinstance(data, dict) else None
        if not isinstance(results, list):
            self.report_problem(response.url, "unexpected_shape", "no 'results' list in the response")
            return
        for job in results:
            key = (country, str(job.get("id") if isinstance(job, dict) else ""))
            if key[1] and key in self._seen:
                # Sorted by date, a posting that arrives mid-crawl pushes others onto the next page.
                self.crawler.stats.inc_value("medcoder/duplicates")
                continue
            item = self.item_from(job, country)
            if item is None:
                self.report_problem(response.url, "incomplete_job", f"result without id or title: {str(job)[:200]}")
                continue
            self._seen.add(key)
            yield item
        count = data.get("count")
        more = bool(results) and (not isinstance(count, int) or page * self.per_page < count)
        if more and page >= self.max_pages:
            self.logger.info("adzuna %s: stopping at page %s of %s results (-a max_pages)", country, page, count)
            self.crawler.stats.inc_value("medcoder/max_pages_reached")
        elif more:
            yield self.page_request(country, page + 1)

    def item_from(self, job: dict, country: str) -> PostingItem | None:
        """One Adzuna result as the shared item; any field but the id and title may be missing."""
        if not isinstance(job, dict) or not job.get("id") or not job.get("title"):
            return None
        location = _dict(job.get("location"))
        category = _dict(job.get("category"))
        extras = {
            "category": category.get("label"),
            "category_tag": category.get("tag"),
            "contract_type": job.get("contract_type"),
            "contract_time": job.get("contract_time"),
            "area": location.get("area"),
            "latitude": job.get("latitude"),
            "longitude": job.get("longitude"),
        }
        has_pay = job.get("salary_min") is not None or job.get("salary_max") is not None
        return PostingItem(
            source=self.source_id,
            url=without_app_id(job.get("redirect_url"), os.environ.get("ADZUNA_APP_ID"))
            or f"{SITES[country]}/details/{job['id']}",
            title=_TAG.sub("", str(job["title"])),
            source_job_id=str(job["id"]),
            employer=_dict(job.get("company")).get("display_name"),
            location_text=location.get("display_name"),
            country=country.upper(),
            employment_type=job.get("contract_time"),
            salary_min=job.get("salary_min"),
            salary_max=job.get("salary_max"),
            # Adzuna's figures are annual, in the country's currency.
            salary_currency=CURRENCIES[country] if has_pay else None,
            salary_unit="YEAR" if has_pay else None,
            salary_predicted=str(job.get("salary_is_predicted")) == "1",
            posted_at=job.get("created"),
            description=job.get("description"),  # a plain-text snippet; the clean pipeline tidies it
            attribution=self.attribution,
            extras={**{k: v for k, v in extras.items() if v not in (None, "", [])}, "description_is_snippet": True},
        )


def without_app_id(url: str | None, app_id: str | None) -> str | None:
    """``url`` without the query parameters whose value is ``app_id``.

    Adzuna appends ``utm_source=<app_id>`` to every ``redirect_url``; the id
    is one of our credentials, so it is not stored. The link still lands on
    Adzuna (``se`` and ``v`` are what it needs). Other parameters keep their
    exact bytes.
    """
    if not url or not app_id or "?" not in url:
        return url
    base, _, rest = url.partition("?")
    query, hash_, fragment = rest.partition("#")
    kept = [p for p in query.split("&") if unquote(p.partition("=")[2]) != app_id]
    return base + ("?" + "&".join(kept) if kept else "") + hash_ + fragment


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}
