"""schema.org JobPosting in JSON-LD: find it in a page, map it to a posting item.

Pure functions over page text, so they are tested on literal inputs and
shared by every spider that reads career pages. Pages hold several JSON-LD
blocks, ``@graph`` containers, arrays, nested objects and invalid JSON; each
shape is handled here once.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from typing import Any

from crawlers.items import PostingItem

SCRIPT_RE = re.compile(
    r"<script\b[^>]*type\s*=\s*[\"']?application/ld\+json[\"']?[^>]*>(.*?)</script\s*>",
    re.IGNORECASE | re.DOTALL,
)


@dataclass
class JsonLdResult:
    postings: list[dict] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # one message per block that would not parse


def _strip_wrappers(block: str) -> str:
    block = block.strip()
    # CMSs wrap blocks in HTML comments or CDATA, and some end them with a semicolon.
    block = re.sub(r"^(?:<!--|/\*\s*<!\[CDATA\[\s*\*/|<!\[CDATA\[)", "", block).strip()
    block = re.sub(r"(?:-->|/\*\s*\]\]>\s*\*/|\]\]>)$", "", block).strip()
    return block.rstrip(";").strip()


def _types(node: dict) -> set[str]:
    t = node.get("@type")
    types = t if isinstance(t, list) else [t]
    return {str(x).rsplit("/", 1)[-1] for x in types if x}


def iter_nodes(data: Any):
    """Every JSON object in a JSON-LD document: arrays, ``@graph`` and nesting walked."""
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(reversed(node))
        elif isinstance(node, dict):
            yield node
            for key in ("@graph", "mainEntity", "itemListElement", "item"):
                if key in node:
                    stack.append(node[key])


def find_job_postings(page: str) -> JsonLdResult:
    """All JobPosting objects in the JSON-LD blocks of an HTML page, plus a message per invalid block."""
    result = JsonLdResult()
    for i, m in enumerate(SCRIPT_RE.finditer(page or ""), start=1):
        block = _strip_wrappers(m.group(1))
        if not block:
            continue
        try:
            data = json.loads(block)
        except json.JSONDecodeError as exc:
            try:
                # Some pages HTML-escape the whole block; try once unescaped before giving up.
                data = json.loads(html.unescape(block))
            except json.JSONDecodeError:
                result.errors.append(f"JSON-LD block {i}: invalid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})")
                continue
        for node in iter_nodes(data):
            if "JobPosting" in _types(node):
                result.postings.append(node)
    return result


def _text(value: Any) -> str | None:
    """A display string from a JSON-LD value that may be a string, number, object or list."""
    if value is None:
        return None
    if isinstance(value, (str, int, float)):
        s = html.unescape(str(value)).strip()
        return s or None
    if isinstance(value, dict):
        return _text(value.get("name") or value.get("value") or value.get("@value"))
    if isinstance(value, list):
        parts = [t for t in (_text(v) for v in value) if t]
        return ", ".join(parts) or None
    return None


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        cleaned = re.sub(r"[^\d.]", "", value)
        try:
            return float(cleaned) if cleaned else None
        except ValueError:
            return None
    return None


def _place(job: dict) -> dict:
    loc = _first(job.get("jobLocation"))
    address = loc.get("address") if isinstance(loc, dict) else None
    if isinstance(address, str):
        return {"location_text": _text(address)}
    if not isinstance(address, dict):
        return {}
    city = _text(address.get("addressLocality"))
    region = _text(address.get("addressRegion"))
    country = address.get("addressCountry")
    country = _text(country.get("name") if isinstance(country, dict) else country)
    parts = [p for p in (city, region, country) if p]
    return {"city": city, "region": region, "country": country, "location_text": ", ".join(parts) or None}


def _salary(job: dict) -> dict:
    base = job.get("baseSalary") or job.get("estimatedSalary")
    base = _first(base)
    if isinstance(base, (int, float, str)):
        return {"salary_text": _text(base)}
    if not isinstance(base, dict):
        return {}
    value = base.get("value")
    unit = base.get("unitText")
    out: dict[str, Any] = {"salary_currency": _text(base.get("currency"))}
    if isinstance(value, dict):
        unit = value.get("unitText") or unit
        lo, hi = _number(value.get("minValue")), _number(value.get("maxValue"))
        single = _number(value.get("value"))
        out["salary_min"] = lo if lo is not None else single
        out["salary_max"] = hi if hi is not None else single
    else:
        out["salary_min"] = out["salary_max"] = _number(value)
    out["salary_unit"] = _text(unit)
    return out


def posting_from_jsonld(job: dict, *, source: str, url: str) -> PostingItem:
    """Map one schema.org JobPosting object to the shared item (no normalisation here)."""
    org = _first(job.get("hiringOrganization"))
    identifier = job.get("identifier")
    job_id = _text(identifier.get("value") if isinstance(identifier, dict) else identifier)
    remote = None
    if "TELECOMMUTE" in str(job.get("jobLocationType", "")).upper():
        remote = "remote"
    declared = _text(job.get("url"))
    item = PostingItem(
        source=source,
        # Only a web address may stand for the posting: "javascript:..." or "data:..." would become a live link.
        url=declared if declared and declared.lower().startswith(("http://", "https://")) else url,
        title=_text(job.get("title")),
        source_job_id=job_id,
        employer=_text(org),
        remote=remote,
        employment_type=_text(job.get("employmentType")),
        posted_at=_text(job.get("datePosted")),
        valid_through=_text(job.get("validThrough")),
        description_html=job.get("description") if isinstance(job.get("description"), str) else _text(job.get("description")),
        **_place(job),
        **_salary(job),
    )
    if remote and not item.country:
        req = _first(job.get("applicantLocationRequirements"))
        item.country = _text(req.get("name") if isinstance(req, dict) else req)
    for key in ("educationRequirements", "experienceRequirements", "qualifications", "skills",
                "occupationalCategory", "industry", "directApply"):
        if job.get(key) not in (None, "", [], {}):
            item.extras[key] = job[key]
    return item
