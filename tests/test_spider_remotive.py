"""remotive: real Scrapy crawls of a local Remotive-format search API."""

import json

from tests.fixture_server import FixtureServer, fixture, json_reply
from tests.spider_run import crawl, rows, run_stats

API = "/api/remote-jobs"
DEFAULT_QUERY = API + "?search=medical%20coding&limit=100"
ATTRIBUTION = "Via Remotive (https://remotive.com)"


def test_search_is_crawled_and_stored_with_attribution(tmp_path):
    db = tmp_path / "rv.db"
    with FixtureServer({API: json_reply(fixture("remotive", "search.json"))}) as server:
        result = crawl("remotive", db, api_base=server.url)
    assert server.paths()[-1] == DEFAULT_QUERY
    assert result.status == "partial"  # the job without a title is reported
    kept = {r["source_job_id"]: r for r in rows(db, "select * from postings")}
    assert sorted(kept) == ["1850001", "1850002", "1850005"]
    us = kept["1850001"]
    assert us["title"] == "Outpatient Medical Coder – CPC Required"  # &ndash; unescaped
    assert us["url"] == "https://remotive.com/remote-jobs/medical/outpatient-medical-coder-1850001"
    assert (us["employer"], us["location_text"], us["remote"]) == ("Brightwater Health Partners", "USA Only", "remote")
    assert us["posted_at"] == "2026-11-18" and us["employment_type"] == "full_time"
    assert (us["salary_min"], us["salary_max"], us["salary_currency"], us["salary_period"]) == (48000.0, 58000.0, "USD", "year")
    assert "Midwest & South. Our coding team" in us["description"]  # &amp; and &nbsp;
    assert "## What you’ll do\n- Assign ICD-10-CM, CPT & HCPCS codes" in us["description"]
    assert json.loads(us["extras"]) == {"category": "Medical", "job_type": "full_time",
                                        "tags": ["medical coding", "CPC", "ICD-10-CM", "CPT"]}
    india = kept["1850002"]
    assert (india["country"], india["salary_currency"], india["salary_min"]) == ("IN", "INR", 360000.0)
    assert "- CPC or CRC certification mandatory" in india["description"]  # &bull; lines became bullets
    sparse = kept["1850005"]  # no company, location, salary, date, tags or description
    assert (sparse["title"], sparse["employer"], sparse["location_text"], sparse["posted_at"]) == ("Coding Auditor", None, None, None)
    assert (sparse["salary_min"], sparse["description"]) == (None, None)
    assert {r["attribution"] for r in kept.values()} == {ATTRIBUTION}
    assert rows(db, "select attribution from sources where id = 'remotive'") == [{"attribution": ATTRIBUTION}]
    filtered = {r["title"]: r for r in rows(db, "select title, reason, item_json from filtered_postings")}
    assert "accounts receivable" in filtered["Medical Billing Specialist (AR Follow-up)"]["reason"]
    assert "software" in filtered["Senior Python Engineer, Medical Coding Automation"]["reason"]
    assert {json.loads(r["item_json"])["attribution"] for r in filtered.values()} == {ATTRIBUTION}
    assert [e["kind"] for e in rows(db, "select kind from crawl_errors")] == ["incomplete_job"]


def test_search_argument_overrides_the_default(tmp_path):
    db = tmp_path / "rv.db"
    with FixtureServer({API: json_reply(fixture("remotive", "empty.json"))}) as server:
        crawl("remotive", db, api_base=server.url, search="CDI specialist", limit="25")
    assert server.paths()[-1] == API + "?search=CDI%20specialist&limit=25"


def test_empty_search_is_ok(tmp_path):
    db = tmp_path / "rv.db"
    with FixtureServer({API: json_reply(fixture("remotive", "empty.json"))}) as server:
        result = crawl("remotive", db, api_base=server.url)
    assert (result.status, result.run["items_scraped"], result.run["errors"]) == ("ok", 0, 0)


def test_api_that_is_gone(tmp_path):
    db = tmp_path / "rv.db"
    with FixtureServer({}) as server:
        result = crawl("remotive", db, api_base=server.url)
    assert result.status == "gone" and result.run["errors"] == 0


def test_429_then_success(tmp_path):
    db = tmp_path / "rv.db"
    replies = [json_reply('{"error": "slow down"}', 429, **{"Retry-After": "0"}), json_reply(fixture("remotive", "search.json"))]
    with FixtureServer({API: replies}) as server:
        result = crawl("remotive", db, api_base=server.url)
    assert server.paths().count(DEFAULT_QUERY) == 2
    assert len(rows(db, "select id from postings")) == 3
    assert run_stats(result)["medcoder/backoff"] == 1


def test_500_that_stays_failed(tmp_path):
    db = tmp_path / "rv.db"
    with FixtureServer({API: json_reply("{}", 500)}) as server:
        result = crawl("remotive", db, api_base=server.url)
    assert server.paths().count(DEFAULT_QUERY) == 3  # the request and 2 retries
    assert result.status == "failed"
    assert rows(db, "select kind from crawl_errors") == [{"kind": "http_error"}]


def test_malformed_json_is_reported_and_earlier_rows_survive(tmp_path):
    db = tmp_path / "rv.db"
    with FixtureServer({API: json_reply(fixture("remotive", "search.json"))}) as server:
        crawl("remotive", db, api_base=server.url)
    before = rows(db, "select id, title, last_crawl_run_id from postings order by id")
    with FixtureServer({API: json_reply('{"jobs": [{"id": 1, "title": "Medical Coder"')}) as server:
        result = crawl("remotive", db, api_base=server.url)
    assert result.status == "failed"
    assert rows(db, "select kind from crawl_errors where crawl_run_id = ?", result.run["id"]) == [{"kind": "invalid_json"}]
    assert result.run["items_scraped"] == 0
    assert rows(db, "select id, title, last_crawl_run_id from postings order by id") == before
