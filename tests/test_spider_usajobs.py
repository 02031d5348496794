"""usajobs: real Scrapy crawls of a local server speaking the USAJOBS search API."""

import json

import pytest

from crawlers.spiders.usajobs import UsajobsSpider
from tests.fixture_server import FixtureServer, fixture, json_reply
from tests.spider_run import crawl, rows, run_stats

KEY = "testkey-SECRET-123"
EMAIL = "coder-radar@example.org"
PAGE = "ResultsPerPage=2&Fields=Full&Page="
SERIES = "/api/search?JobCategoryCode=0675&" + PAGE
MEDICAL_CODER = "/api/search?Keyword=medical+coder&" + PAGE
CODING = "/api/search?Keyword=coding&" + PAGE


@pytest.fixture(autouse=True)
def credentials(monkeypatch):
    """The crawl subprocess inherits os.environ, so the key reaches the spider the way it does in production."""
    monkeypatch.setenv("USAJOBS_API_KEY", KEY)
    monkeypatch.setenv("USAJOBS_EMAIL", EMAIL)


def all_searches() -> dict:
    routes = {f"{SERIES}{n}": json_reply(fixture("usajobs", f"series_p{n}.json")) for n in (1, 2, 3)}
    routes[MEDICAL_CODER + "1"] = json_reply(fixture("usajobs", "medical_coder.json"))
    routes[CODING + "1"] = json_reply(fixture("usajobs", "coding.json"))
    return routes


def test_all_pages_of_every_search_stored_once(tmp_path):
    db = tmp_path / "usajobs.db"
    with FixtureServer(all_searches()) as server:
        result = crawl("usajobs", db, api_base=server.url, per_page="2")
    api = sorted(p for p in server.paths() if p.startswith("/api/"))
    assert api == sorted([SERIES + "1", SERIES + "2", SERIES + "3", MEDICAL_CODER + "1", CODING + "1"])
    assert result.status == "partial"  # the result without a title is reported
    # 812000101 and 812000105 come back from two searches each: yielded once.
    assert result.run["items_scraped"] == 7 and run_stats(result)["medcoder/duplicates"] == 2
    kept = {r["source_job_id"]: r for r in rows(db, "select * from postings")}
    assert sorted(kept) == ["812000101", "812000102", "812000103", "812000104", "812000105"]

    tampa = kept["812000101"]
    assert tampa["url"] == "https://www.usajobs.gov:443/job/812000101" and tampa["source_id"] == "usajobs"
    assert tampa["employer"] == "Department of Veterans Affairs - Veterans Health Administration"
    assert (tampa["city"], tampa["region"], tampa["country"]) == ("Tampa", "FL", "US")
    assert (tampa["salary_min"], tampa["salary_max"], tampa["salary_period"]) == (46475.0, 66733.0, "year")
    assert (tampa["posted_at"], tampa["valid_through"]) == ("2026-11-16", "2026-11-30")
    # Headings built from the Details fields; "&amp;" in plain text is one ampersand, not "&amp;amp;".
    assert "## Summary\nThis position is in the Health Information Management Service & reports" in tampa["description"]
    assert "## Major duties\n- Assigns ICD-10-CM diagnosis codes" in tampa["description"]
    assert "## Qualifications\nTo qualify" in tampa["description"]
    assert "## Requirements\n- U.S. citizenship required" in tampa["description"]
    extras = json.loads(tampa["extras"])
    assert extras["grade"] == "GS-0675-05/07" and (extras["low_grade"], extras["high_grade"]) == ("5", "7")
    assert extras["telework_eligible"] is False

    assert kept["812000102"]["remote"] == "remote"  # RemoteIndicator
    assert json.loads(kept["812000102"]["extras"])["grade"] == "GS-0675-09"
    hourly = kept["812000103"]
    assert (hourly["salary_min"], hourly["salary_period"]) == (24.08, "hour")  # "PH"
    assert hourly["employer"] == "Department of Health and Human Services - Indian Health Service"
    assert json.loads(hourly["extras"])["locations"] == ["Gallup, New Mexico", "Shiprock, New Mexico"]
    sparse = kept["812000104"]  # no details, pay, grade or department
    assert (sparse["employer"], sparse["salary_min"], sparse["description"]) == ("Veterans Health Administration", None, None)

    filtered = {r["title"] for r in rows(db, "select title from filtered_postings")}
    assert filtered == {"Medical Support Assistant (Advanced)", "IT Specialist (APPSW)"}
    assert rows(db, "select kind from crawl_errors") == [{"kind": "incomplete_job"}]


def test_requests_carry_the_key_and_email_but_no_host_override_for_a_test_server(tmp_path):
    db = tmp_path / "usajobs.db"
    with FixtureServer({SERIES + "1": json_reply(fixture("usajobs", "empty.json"))}) as server:
        crawl("usajobs", db, api_base=server.url, per_page="2", terms="")
    (seen,) = [r for r in server.requests if r.path.startswith("/api/")]
    assert seen.headers["Authorization-Key"] == KEY
    assert seen.headers["User-Agent"] == EMAIL  # not Scrapy's USER_AGENT
    assert seen.headers["Host"] == server.url.removeprefix("http://")
    robots = [r for r in server.requests if r.path == "/robots.txt"]
    assert robots and robots[0].headers["User-Agent"].startswith("medcoder/")  # our own UA everywhere else


def test_host_header_only_against_the_real_api():
    assert UsajobsSpider().api_headers("k", "e@example.org")["Host"] == "data.usajobs.gov"
    assert "Host" not in UsajobsSpider(api_base="http://127.0.0.1:8000").api_headers("k", "e@example.org")


def test_empty_search_is_ok(tmp_path):
    db = tmp_path / "usajobs.db"
    with FixtureServer({"/api/search": json_reply(fixture("usajobs", "empty.json"))}) as server:
        result = crawl("usajobs", db, api_base=server.url, per_page="2")
    assert len([p for p in server.paths() if p.startswith("/api/")]) == 3  # page 1 of each search, nothing more
    assert (result.status, result.run["items_scraped"], result.run["errors"]) == ("ok", 0, 0)


def test_missing_key_skips_without_a_request(tmp_path, monkeypatch):
    monkeypatch.delenv("USAJOBS_API_KEY")
    db = tmp_path / "usajobs.db"
    with FixtureServer(all_searches()) as server:
        result = crawl("usajobs", db, api_base=server.url, per_page="2")
    assert server.requests == []
    assert (result.status, result.run["finish_reason"], result.run["items_scraped"]) == ("skipped", "missing_credentials", 0)
    log = result.log_path.read_text()
    assert "usajobs needs USAJOBS_API_KEY in the environment; skipping this source" in log
    assert "Traceback" not in log


def test_429_then_success(tmp_path):
    db = tmp_path / "usajobs.db"
    routes = {SERIES + "1": [json_reply('{"error": "rate limited"}', 429, **{"Retry-After": "0"}),
                             json_reply(fixture("usajobs", "series_p3.json"))]}
    with FixtureServer(routes) as server:
        result = crawl("usajobs", db, api_base=server.url, per_page="2", terms="", max_pages="1")
    assert server.paths().count(SERIES + "1") == 2
    assert [r["source_job_id"] for r in rows(db, "select source_job_id from postings")] == ["812000105"]
    assert run_stats(result)["medcoder/backoff"] == 1 and result.status == "ok"


def test_500_that_stays_failed(tmp_path):
    db = tmp_path / "usajobs.db"
    with FixtureServer({SERIES + "1": json_reply("{}", 500)}) as server:
        result = crawl("usajobs", db, api_base=server.url, per_page="2", terms="")
    assert server.paths().count(SERIES + "1") == 3  # the request and 2 retries
    assert result.status == "failed"
    assert rows(db, "select kind, url from crawl_errors") == [{"kind": "http_error", "url": server.url + SERIES + "1"}]


def test_one_search_503_keeps_the_others(tmp_path):
    # USAJOBS can answer 503 to a broad query: that search fails after its retries, the rest are kept.
    db = tmp_path / "usajobs.db"
    routes = {**all_searches(), CODING + "1": json_reply('{"error": "Service Unavailable"}', 503)}
    with FixtureServer(routes) as server:
        result = crawl("usajobs", db, api_base=server.url, per_page="2")
    assert result.status == "partial"
    assert rows(db, "select kind, url from crawl_errors") == [{"kind": "http_error", "url": server.url + CODING + "1"}]
    assert len(rows(db, "select id from postings")) == 5


def test_404_is_a_failure_not_a_gone_board(tmp_path):
    # A search API has no board that can close: a 404 means a wrong api_base or a retired API version.
    db = tmp_path / "usajobs.db"
    with FixtureServer({}) as server:
        result = crawl("usajobs", db, api_base=server.url, per_page="2", terms="")
    assert result.status == "failed"
    assert rows(db, "select kind from crawl_errors") == [{"kind": "http_error"}]


def test_malformed_json_is_reported_and_nothing_stored(tmp_path):
    db = tmp_path / "usajobs.db"
    routes = {SERIES + "1": json_reply('{"SearchResult": {"SearchResultItems": [{"MatchedObjectId": "1"')}
    with FixtureServer(routes) as server:
        result = crawl("usajobs", db, api_base=server.url, per_page="2", terms="")
    assert result.status == "failed"
    assert rows(db, "select kind from crawl_errors") == [{"kind": "invalid_json"}]
    assert rows(db, "select count(*) n from postings") == [{"n": 0}]


def test_the_key_is_stored_and_logged_nowhere(tmp_path):
    db = tmp_path / "usajobs.db"
    routes = {**all_searches(), MEDICAL_CODER + "1": json_reply("{}", 500)}  # a failure, so URLs reach crawl_errors
    with FixtureServer(routes) as server:
        result = crawl("usajobs", db, api_base=server.url, per_page="2")
    sent = [r.headers.get("Authorization-Key") for r in server.requests if r.path.startswith("/api/")]
    assert sent == [KEY] * 7  # the server did receive it: 5 pages, plus 2 retries of the failing search
    assert rows(db, "select kind from crawl_errors where kind = 'http_error'")  # something was reported
    secret = KEY.encode()
    for path in [db, *tmp_path.glob("usajobs.db-*")]:  # the database and its -wal/-shm files
        assert secret not in path.read_bytes(), path
    assert result.log_path.exists() and secret not in result.log_path.read_bytes()
    for run in rows(db, "select args_json, stats_json from crawl_runs"):
        assert KEY not in run["args_json"] and KEY not in run["stats_json"]
