"""ashby: real Scrapy crawls of a local Ashby-format job board."""

import json
import re

from tests.fixture_server import FixtureServer, fixture, json_reply
from tests.spider_run import crawl, rows, run_stats

BOARD = "/posting-api/job-board/cedarpoint"
BOARD_URL = BOARD + "?includeCompensation=true"


def test_board_is_crawled_and_stored(tmp_path):
    db = tmp_path / "ashby.db"
    with FixtureServer({BOARD: json_reply(fixture("ashby", "board.json"))}) as server:
        result = crawl("ashby", db, board="cedarpoint", employer="Cedar Point Health", api_base=server.url)
    assert server.paths()[-1] == BOARD_URL
    assert result.status == "partial"  # the job without a title is reported
    kept = {r["source_job_id"][-2:]: r for r in rows(db, "select * from postings")}
    assert sorted(kept) == ["01", "02", "05"]  # 03 is unlisted, 04 is a biller, 06 has no title

    ra = kept["01"]
    assert ra["source_id"] == "ashby:cedarpoint" and ra["employer"] == "Cedar Point Health"
    assert ra["url"] == "https://jobs.ashby.example/cedarpoint/4f6a1c2e-8b3d-4e7f-9a0b-1c2d3e4f5a01"
    assert (ra["remote"], ra["country"], ra["employment_type"], ra["posted_at"]) == ("remote", "US", "FullTime", "2026-11-21")
    # The Salary component gives the numbers (the Bonus component before it is ignored); the summary stays as text.
    assert (ra["salary_min"], ra["salary_max"], ra["salary_currency"], ra["salary_period"]) == (58000.0, 72000.0, "USD", "year")
    assert ra["salary_text"] == "$58K – $72K • Offers Bonus"
    assert "HCC — and nothing more" in ra["description"]
    # Ashby wraps each bullet in <li><p>: the "- " must survive the paragraph inside the list item.
    assert re.search(r"## What we need\n- CRC required \(or CPC with CRC within 6 months of hire\)\n- 2\+ years",
                     ra["description"])
    extras = json.loads(ra["extras"])
    assert extras["department"] == "Clinical Operations" and extras["team"] == "Risk Adjustment"
    assert extras["secondary_locations"] == ["Denver, CO"] and extras["apply_url"].endswith("/application")

    india = kept["02"]
    assert india["title"] == "Medical Coder – Outpatient Surgery"
    assert (india["city"], india["region"], india["country"], india["remote"]) == ("Bengaluru", "Karnataka", "IN", "hybrid")
    assert (india["salary_min"], india["salary_max"], india["salary_currency"], india["salary_period"]) == (450000.0, 600000.0, "INR", "year")
    assert "- COC or CPC certification" in india["description"] and "2–4 yrs" in india["description"]

    # Missing fields: no location, compensation, URL, date or HTML; the plain text is used.
    bare = kept["05"]
    assert bare["url"] == "https://jobs.ashbyhq.com/cedarpoint/4f6a1c2e-8b3d-4e7f-9a0b-1c2d3e4f5a05"
    assert bare["location_text"] is None and bare["posted_at"] is None and bare["remote"] is None
    assert bare["description"].startswith("Code ED and observation visits.")

    (biller,) = rows(db, "select title, reason from filtered_postings")
    assert biller["title"] == "Medical Biller" and "billing" in biller["reason"]
    assert run_stats(result)["medcoder/ashby/unlisted_skipped"] == 1
    assert [e["kind"] for e in rows(db, "select kind from crawl_errors")] == ["incomplete_job"]


def test_empty_board_is_ok(tmp_path):
    db = tmp_path / "ashby.db"
    with FixtureServer({BOARD: json_reply(fixture("ashby", "empty.json"))}) as server:
        result = crawl("ashby", db, board="cedarpoint", api_base=server.url)
    assert (result.status, result.run["items_scraped"], result.run["errors"]) == ("ok", 0, 0)


def test_board_that_is_gone(tmp_path):
    db = tmp_path / "ashby.db"
    with FixtureServer({}) as server:
        result = crawl("ashby", db, board="cedarpoint", api_base=server.url)
    assert server.paths()[-1] == BOARD_URL
    assert result.status == "gone" and result.run["errors"] == 0


def test_429_then_success(tmp_path):
    db = tmp_path / "ashby.db"
    replies = [json_reply('{"error": "rate limited"}', 429, **{"Retry-After": "0"}), json_reply(fixture("ashby", "board.json"))]
    with FixtureServer({BOARD: replies}) as server:
        result = crawl("ashby", db, board="cedarpoint", api_base=server.url)
    assert server.paths().count(BOARD_URL) == 2
    assert len(rows(db, "select id from postings")) == 3
    assert run_stats(result)["medcoder/backoff"] == 1


def test_500_that_stays_failed(tmp_path):
    db = tmp_path / "ashby.db"
    with FixtureServer({BOARD: json_reply("{}", 500)}) as server:
        result = crawl("ashby", db, board="cedarpoint", api_base=server.url)
    assert server.paths().count(BOARD_URL) == 3  # the request and 2 retries
    assert result.status == "failed"
    assert rows(db, "select kind from crawl_errors") == [{"kind": "http_error"}]


def test_malformed_json_is_reported_and_nothing_stored(tmp_path):
    db = tmp_path / "ashby.db"
    with FixtureServer({BOARD: json_reply('{"apiVersion": "1", "jobs": [{"id": "x", "title": "Coder"')}) as server:
        result = crawl("ashby", db, board="cedarpoint", api_base=server.url)
    assert result.status == "failed"
    assert rows(db, "select kind from crawl_errors") == [{"kind": "invalid_json"}]
    assert rows(db, "select count(*) n from postings") == [{"n": 0}]


def test_unexpected_shape_is_reported(tmp_path):
    db = tmp_path / "ashby.db"
    with FixtureServer({BOARD: json_reply('{"apiVersion": "1", "jobPostings": []}')}) as server:
        result = crawl("ashby", db, board="cedarpoint", api_base=server.url)
    assert result.status == "failed"
    assert rows(db, "select kind from crawl_errors") == [{"kind": "unexpected_shape"}]
