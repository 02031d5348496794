"""The one posting item every spider yields.

Spiders fill what their source gives; the pipelines normalise, judge
relevance and store. Source quirks (grade, requisition flex fields, a
board's own skill tags) go into ``extras`` so the item never grows a field
per site.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class PostingItem:
    source: str  # sources.id, e.g. "demo_board" or "greenhouse:acme"
    url: str
    title: str | None = None
    source_job_id: str | None = None  # the source's own id, when it has one
    employer: str | None = None
    location_text: str | None = None
    city: str | None = None
    region: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2
    remote: str | None = None  # remote, hybrid, onsite
    employment_type: str | None = None
    salary_min: float | None = None
    salary_max: float | None = None
    salary_currency: str | None = None
    salary_unit: str | None = None  # as the source says it: HOUR, YEAR, per-hour-wage...
    salary_text: str | None = None
    salary_predicted: bool = False
    posted_at: str | None = None  # ISO date or datetime, or a relative phrase resolved by the clean pipeline
    valid_through: str | None = None
    description_html: str | None = None
    description: str | None = None  # plain text; the clean pipeline derives it from description_html
    attribution: str | None = None  # "via Remotive (https://remotive.com)" for boards that require credit
    extras: dict[str, Any] = field(default_factory=dict)
