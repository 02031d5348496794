"""schema.org JobPosting JSON-LD: every page shape, on literal inputs."""

import json

from crawlers.jsonld import find_job_postings, posting_from_jsonld

JOB = {"@type": "JobPosting", "title": "Coder II", "description": "<p>CPC required</p>", "datePosted": "2026-10-01",
       "hiringOrganization": {"@type": "Organization", "name": "Acme Health"}}


def page(*blocks: str) -> str:
    scripts = "".join(f'<script type="application/ld+json">{b}</script>' for b in blocks)
    return f"<html><head>{scripts}</head><body>x</body></html>"


def test_plain_block():
    found = find_job_postings(page(json.dumps(JOB)))
    assert [j["title"] for j in found.postings] == ["Coder II"]
    assert found.errors == []


def test_graph_array_and_several_blocks():
    graph = json.dumps({"@context": "https://schema.org", "@graph": [{"@type": "Organization"}, dict(JOB, title="A")]})
    array = json.dumps([{"@type": "BreadcrumbList"}, dict(JOB, title="B")])
    org = json.dumps({"@type": "Organization", "name": "x"})
    found = find_job_postings(page(org, graph, array))
    assert [j["title"] for j in found.postings] == ["A", "B"]


def test_type_as_list_and_url_form():
    found = find_job_postings(page(json.dumps(dict(JOB, **{"@type": ["Thing", "http://schema.org/JobPosting"]}))))
    assert len(found.postings) == 1


def test_invalid_json_is_reported_and_other_blocks_still_read():
    found = find_job_postings(page('{"@type": "JobPosting", "title": "x",}', json.dumps(JOB)))
    assert [j["title"] for j in found.postings] == ["Coder II"]
    assert len(found.errors) == 1 and found.errors[0].startswith("JSON-LD block 1: invalid JSON")


def test_comment_wrapped_block_and_trailing_semicolon():
    found = find_job_postings(page("<!-- " + json.dumps(JOB) + "; -->"))
    assert len(found.postings) == 1


def test_page_without_jsonld():
    found = find_job_postings("<html><body><h1>Jobs</h1></body></html>")
    assert found.postings == [] and found.errors == []


def test_mapping_to_item():
    job = dict(JOB,
               identifier={"@type": "PropertyValue", "value": "REQ-7"},
               jobLocation={"@type": "Place", "address": {"addressLocality": "Austin", "addressRegion": "TX", "addressCountry": "US"}},
               baseSalary={"currency": "USD", "value": {"minValue": "22", "maxValue": 28.5, "unitText": "HOUR"}},
               employmentType=["FULL_TIME", "PART_TIME"])
    item = posting_from_jsonld(job, source="demo", url="http://x/jobs/1.html")
    assert (item.source_job_id, item.employer, item.city, item.region, item.country) == ("REQ-7", "Acme Health", "Austin", "TX", "US")
    assert (item.salary_min, item.salary_max, item.salary_currency, item.salary_unit) == (22.0, 28.5, "USD", "HOUR")
    assert item.employment_type == "FULL_TIME, PART_TIME"
    assert item.url == "http://x/jobs/1.html"


def test_telecommute_takes_applicant_country():
    job = dict(JOB, jobLocationType="TELECOMMUTE", applicantLocationRequirements={"@type": "Country", "name": "IN"})
    item = posting_from_jsonld(job, source="demo", url="u")
    assert (item.remote, item.country) == ("remote", "IN")


def test_wrong_types_do_not_crash():
    job = {"@type": "JobPosting", "title": ["Coder", "II"], "hiringOrganization": "Acme", "baseSalary": "45000",
           "jobLocation": [{"address": "Pune, India"}], "description": {"text": "x"}}
    item = posting_from_jsonld(job, source="demo", url="u")
    assert (item.title, item.employer, item.salary_text, item.location_text) == ("Coder, II", "Acme", "45000", "Pune, India")
