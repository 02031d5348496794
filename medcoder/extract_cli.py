"""``medcoder extract``: the public per-posting JSON record (its keys are a stable interface, see docs/extract-format.md)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TextIO

from analysis.extract import extract, record_fields
from analysis.normalise.salary import find_salary_in_text
from analysis.relevance import judge
from analysis.roles import role_family
from analysis.text import html_to_text, looks_like_html


def extraction_record(text: str, input_name: str) -> dict:
    """The JSON record for one posting text (plain or HTML)."""
    plain = html_to_text(text) if looks_like_html(text) else text
    title = next((line.lstrip("# ").strip() for line in plain.splitlines() if line.strip()), "")
    result = extract(plain)
    salary = find_salary_in_text(plain)
    return {
        "input": input_name,
        "certifications": [{"id": r.id, "level": r.level, "group": r.group, "within_months": r.within_months, "evidence": r.evidence}
                           for r in result.certifications],
        "code_sets": [{"id": r.id, "level": r.level, "detail": r.detail} for r in result.code_sets],
        "experience_years_min": result.experience_years_min,
        "experience_setting": result.experience_setting,
        "education_min": result.education_min,
        "remote": result.remote,
        "tools": [r.id for r in result.tools],
        "skills": [{"id": r.id, "category": r.category, "level": r.level} for r in result.skills],
        "salary": {k: v for k, v in asdict(salary).items() if k in ("min", "max", "currency", "period", "annual_min", "annual_max")} if salary else None,
        "scope": judge(title, plain).scope,
        "role_family": role_family(title, plain),
        **record_fields(result),
    }


def extract_records(paths: list[str], *, stdin: TextIO) -> list[dict]:
    """One record per input, in input order; an unreadable file gives a record with an ``error``."""
    records = []
    for name in paths:
        try:
            text = stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            records.append({"input": name, "error": f"cannot read: {exc.strerror}"})
            continue
        records.append(extraction_record(text, name))
    return records
