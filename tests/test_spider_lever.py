"""lever: real Scrapy crawls of a local Lever-format postings API, paged with skip/limit."""

import json

import pytest

from crawlers.spiders.lever import LeverSpider
from tests.fixture_server import FixtureServer, fixture, json_reply
from tests.spider_run import crawl, rows, run_stats

POSTINGS = "/v0/postings/northbridge"


def page(skip: int, limit: int = 2) -> str:
    return f"{POSTINGS}?mode=json&skip={skip}&limit={limit}"


def paged_routes() -> dict:
    """Three full pages of two, then an empty one: the crawl must stop there, not before."""
    return {
        page(0): json_reply(fixture("lever", "page1.json")),
        page(2): json_reply(fixture("lever", "page2.json")),
        page(4): json_reply(fixture("lever", "page3.json")),
        page(6): json_reply(fixture("lever", "empty.json")),
    }


def test_site_is_paged_and_stored(tmp_path):
    db = tmp_path / "lever.db"
    with FixtureServer(paged_routes()) as server:
        result = crawl("lever", db, site="northbridge", limit="2", employer="Northbridge Health", api_base=server.url)
    assert [p for p in server.paths() if p.startswith(POSTINGS)] == [page(0), page(2), page(4), page(6)]
    assert result.status == "partial"  # the posting without a title is reported
    kept = {r["source_job_id"]: r for r in rows(db, "select * from postings")}
    assert len(kept) == 3

    ip = kept["7c1e4a2b-0d3f-4e55-9a10-5b2f6c7d8e01"]
    assert ip["source_id"] == "lever:northbridge" and ip["employer"] == "Northbridge Health"
    assert ip["title"] == "Inpatient Coder II – DRG"
    assert ip["url"] == "https://jobs.lever.example/northbridge/7c1e4a2b-0d3f-4e55-9a10-5b2f6c7d8e01"
    assert (ip["remote"], ip["country"], ip["employment_type"]) == ("remote", "US", "Full-time")
    assert ip["posted_at"] == "2026-11-23"  # createdAt in epoch milliseconds
    assert (ip["salary_min"], ip["salary_max"], ip["salary_currency"], ip["salary_period"]) == (29.0, 36.5, "USD", "hour")
    # The lists carry the requirements: each becomes a heading with its bullets, between description and additional.
    assert "## What you'll do\n- Assign ICD-10-CM" in ip["description"]
    assert "## Requirements\n- CCS required; RHIT or RHIA preferred\n- 3+ years" in ip["description"]
    assert "HIM team & needs" in ip["description"] and ip["description"].rstrip().endswith("Benefits start on day one.")
    extras = json.loads(ip["extras"])
    assert extras["team"] == "Health Information Management" and extras["department"] == "Revenue Cycle"
    assert extras["all_locations"] == ["Remote - US", "Columbus, OH"] and extras["apply_url"].endswith("/apply")

    india = kept["0a9b8c7d-6e5f-4a3b-2c1d-0e9f8a7b6c02"]
    assert (india["city"], india["region"], india["country"], india["remote"]) == ("Chennai", "Tamil Nadu", "IN", "onsite")
    assert (india["salary_min"], india["salary_max"], india["salary_currency"], india["salary_period"]) == (320000.0, 480000.0, "INR", "year")
    assert "## Eligibility\n- Any life-science graduate" in india["description"] and "E&M visits" in india["description"]
    assert "##  " not in india["description"] and not india["description"].rstrip().endswith("##")  # the empty list adds nothing

    # Missing fields: no categories, lists, URLs, date or HTML; the plain description is used.
    bare = kept["9e8d7c6b-5a4f-4e3d-2c1b-0a9f8e7d6c04"]
    assert bare["url"] == "https://jobs.lever.co/northbridge/9e8d7c6b-5a4f-4e3d-2c1b-0a9f8e7d6c04"
    assert bare["posted_at"] is None and bare["location_text"] is None and bare["salary_min"] is None
    assert bare["description"].startswith("Audit outpatient and pro-fee charts")

    filtered = {r["title"]: r["reason"] for r in rows(db, "select title, reason from filtered_postings")}
    assert set(filtered) == {"AR Caller - US Healthcare (Voice Process)", "Senior Software Engineer, Claims Platform"}
    assert "accounts receivable" in filtered["AR Caller - US Healthcare (Voice Process)"]
    assert "software" in filtered["Senior Software Engineer, Claims Platform"]
    assert [e["kind"] for e in rows(db, "select kind from crawl_errors")] == ["incomplete_job"]


def test_short_first_page_ends_the_crawl_with_the_default_limit(tmp_path):
    db = tmp_path / "lever.db"
    with FixtureServer({page(0, 100): json_reply(fixture("lever", "page1.json"))}) as server:
        result = crawl("lever", db, site="northbridge", api_base=server.url)
    assert [p for p in server.paths() if p.startswith(POSTINGS)] == [page(0, 100)]
    assert (result.status, result.run["items_scraped"]) == ("ok", 2)
    assert {r["employer"] for r in rows(db, "select employer from postings")} == {"northbridge"}


def test_empty_site_is_ok(tmp_path):
    db = tmp_path / "lever.db"
    with FixtureServer({page(0, 100): json_reply(fixture("lever", "empty.json"))}) as server:
        result = crawl("lever", db, site="northbridge", api_base=server.url)
    assert (result.status, result.run["items_scraped"], result.run["errors"]) == ("ok", 0, 0)


def test_site_that_is_gone(tmp_path):
    db = tmp_path / "lever.db"
    with FixtureServer({POSTINGS: json_reply('{"ok": false, "error": "Document not found"}', 404)}) as server:
        result = crawl("lever", db, site="northbridge", api_base=server.url)
    assert result.status == "gone" and result.run["errors"] == 0
    assert run_stats(result)["medcoder/board_gone"] == 404


def test_429_then_success(tmp_path):
    db = tmp_path / "lever.db"
    replies = [json_reply('{"ok": false, "error": "Too many requests"}', 429, **{"Retry-After": "0"}),
               json_reply(fixture("lever", "page1.json"))]
    with FixtureServer({page(0, 100): replies}) as server:
        result = crawl("lever", db, site="northbridge", api_base=server.url)
    assert server.paths().count(page(0, 100)) == 2
    assert len(rows(db, "select id from postings")) == 2
    assert result.status == "ok" and run_stats(result)["medcoder/backoff"] == 1


def test_500_that_stays_failed(tmp_path):
    db = tmp_path / "lever.db"
    with FixtureServer({POSTINGS: json_reply("{}", 500)}) as server:
        result = crawl("lever", db, site="northbridge", api_base=server.url)
    assert server.paths().count(page(0, 100)) == 3  # the request and 2 retries
    assert result.status == "failed"
    assert rows(db, "select kind from crawl_errors") == [{"kind": "http_error"}]


def test_500_on_a_later_page_keeps_the_earlier_pages(tmp_path):
    db = tmp_path / "lever.db"
    routes = {page(0): json_reply(fixture("lever", "page1.json")), page(2): json_reply("{}", 500)}
    with FixtureServer(routes) as server:
        result = crawl("lever", db, site="northbridge", limit="2", api_base=server.url)
    assert result.status == "partial"
    assert len(rows(db, "select id from postings")) == 2
    assert rows(db, "select kind from crawl_errors") == [{"kind": "http_error"}]


def test_a_server_that_ignores_skip_does_not_loop(tmp_path):
    db = tmp_path / "lever.db"
    with FixtureServer({POSTINGS: json_reply(fixture("lever", "page1.json"))}) as server:
        result = crawl("lever", db, site="northbridge", limit="2", api_base=server.url)
    assert [p for p in server.paths() if p.startswith(POSTINGS)] == [page(0), page(2)]
    assert result.status == "partial" and len(rows(db, "select id from postings")) == 2
    assert rows(db, "select kind from crawl_errors") == [{"kind": "pagination_stalled"}]


def test_malformed_json_is_reported_and_nothing_stored(tmp_path):
    db = tmp_path / "lever.db"
    with FixtureServer({POSTINGS: json_reply('[{"id": "x1", "text": "Medical Coder"')}) as server:
        result = crawl("lever", db, site="northbridge", api_base=server.url)
    assert result.status == "failed"
    assert rows(db, "select kind from crawl_errors") == [{"kind": "invalid_json"}]
    assert rows(db, "select count(*) n from postings") == [{"n": 0}]
    assert rows(db, "select count(*) n from filtered_postings") == [{"n": 0}]


def test_region_picks_the_api_host():
    assert LeverSpider(site="northbridge").api_base == "https://api.lever.co"
    assert LeverSpider(site="northbridge", region="eu").api_base == "https://api.eu.lever.co"
    assert LeverSpider(site="northbridge", region="eu", api_base="http://127.0.0.1:1/").api_base == "http://127.0.0.1:1"
    with pytest.raises(ValueError, match="region"):
        LeverSpider(site="northbridge", region="apac")
    with pytest.raises(ValueError, match="limit"):
        LeverSpider(site="northbridge", limit="0")
    with pytest.raises(ValueError, match="site"):
        LeverSpider()


def test_eu_posting_without_a_hosted_url_links_to_the_eu_job_site():
    item = LeverSpider(site="northbridge", region="eu").item_from({"id": "p1", "text": "Medical Coder"})
    assert item.url == "https://jobs.eu.lever.co/northbridge/p1" and item.source == "lever:northbridge"
