"""Clean and normalise: plain-text description, tidy fields, place, work mode, pay, dates."""

from __future__ import annotations

import logging

from itemadapter import ItemAdapter

from analysis.normalise.dates import normalise_date
from analysis.normalise.location import parse_location, work_mode
from analysis.normalise.salary import find_salary_in_text, parse_salary, salary_from_range
from analysis.text import clean_inline, html_to_text
from crawlers.items import PostingItem

logger = logging.getLogger(__name__)
COUNTRY_NAMES = {"united states": "US", "usa": "US", "us": "US", "u.s.": "US", "united states of america": "US", "india": "IN", "in": "IN", "ind": "IN"}


def normalise_item(item: PostingItem, *, crawled_at: str | None = None) -> PostingItem:
    """Return ``item`` with its fields cleaned and normalised (pure apart from logging)."""
    for name in ("title", "employer", "location_text", "city", "region", "country", "employment_type", "salary_text", "source_job_id"):
        setattr(item, name, clean_inline(getattr(item, name)))
    if item.description_html and not item.description:
        item.description = html_to_text(item.description_html)
    elif item.description:
        item.description = html_to_text(item.description)

    if item.country:
        item.country = COUNTRY_NAMES.get(item.country.casefold(), item.country if len(item.country) == 2 else None)
        item.country = item.country.upper() if item.country else None
    place = parse_location(item.location_text or ", ".join(p for p in (item.city, item.region, item.country) if p), country_hint=item.country)
    item.city = place.city or item.city
    item.region = place.region or item.region
    item.country = item.country or place.country
    item.remote = item.remote or place.remote or work_mode(item.title) or _mode_from_text(item.description)
    if not item.remote and (item.city or item.location_text):
        item.remote = "onsite"

    salary = None
    if item.salary_min is not None or item.salary_max is not None:
        salary = salary_from_range(item.salary_min, item.salary_max, item.salary_currency, item.salary_unit, predicted=item.salary_predicted)
    if salary is None and item.salary_text:
        salary = parse_salary(item.salary_text, country=item.country)
    if salary is None and item.description:
        salary = find_salary_in_text(item.description, country=item.country)
    if salary is not None:
        item.extras["salary"] = salary
    item.posted_at = normalise_date(item.posted_at, relative_to=crawled_at)
    item.valid_through = normalise_date(item.valid_through, relative_to=crawled_at)
    return item


def _mode_from_text(text: str | None) -> str | None:
    # Late import keeps the extractor's regexes off the import path of every spider.
    from analysis.extract import work_mode_of_text

    return work_mode_of_text(text or "")


class CleanPipeline:
    def process_item(self, item):
        if not isinstance(item, PostingItem):
            item = PostingItem(**ItemAdapter(item).asdict())
        return normalise_item(item)
