"""workday: real Scrapy crawls of a local Workday "cxs" board (POSTed search pages, one GET per posting)."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from crawlers.spiders.workday import WorkdaySpider
from tests.fixture_server import FixtureServer, fixture, json_reply
from tests.spider_run import crawl, rows, run_stats

CXS = "/wday/cxs/meridianrcm/Careers"
LIST = f"POST {CXS}/jobs"
ARGS = {"tenant": "meridianrcm", "site": "Careers", "wd": "5"}
FAILING = "/job/Noida/Medical-Coder-II---E-M_R0012031"  # its detail answers 500 every time


def detail_routes(*pages: str) -> dict:
    """GET routes for the detail of every posting listed on ``pages``, keyed by the path the spider must build."""
    routes = {}
    for page in pages:
        for posting in json.loads(fixture("workday", page))["jobPostings"]:
            path = posting["externalPath"]
            routes[f"GET {CXS}{path}"] = json_reply(fixture("workday", "detail", path.rsplit("/", 1)[1] + ".json"))
    return routes


def list_bodies(server) -> list[dict]:
    return [json.loads(r.body) for r in server.requests if r.method == "POST"]


def days_ago(n: int) -> set[str]:
    # Either side of midnight UTC: the crawl resolves "N Days Ago" against its own clock.
    now = datetime.now(UTC)
    return {(now - timedelta(days=n)).date().isoformat(), (now - timedelta(days=n, minutes=10)).date().isoformat()}


def test_board_is_paged_and_stored(tmp_path):
    db = tmp_path / "wd.db"
    routes = detail_routes("jobs_page1.json", "jobs_page2.json", "jobs_page3.json")
    routes[f"GET {CXS}{FAILING}"] = json_reply('{"errorCode": "S500"}', 500)
    routes[LIST] = [json_reply(fixture("workday", f"jobs_page{n}.json")) for n in (1, 2, 3)]
    with FixtureServer(routes) as server:
        result = crawl("workday", db, api_base=server.url, **ARGS)
        bodies = list_bodies(server)
        posts = [r for r in server.requests if r.method == "POST"]
        failing_hits = server.paths().count(CXS + FAILING)

    # Three pages, 20 at a time, stopping at the first page's total although later pages say total 0.
    assert [b["offset"] for b in bodies] == [0, 20, 40]
    assert all(b["limit"] <= 20 for b in bodies), "Workday answers 400 to a page size above 20"
    assert {(b["searchText"], json.dumps(b["appliedFacets"])) for b in bodies} == {("coder", "{}")}
    assert {p.headers.get("Content-Type") for p in posts} == {"application/json"}
    assert failing_hits == 3  # the request and 2 retries

    # 45 listed, one detail failed: 44 stored, the AR caller and the payment poster kept apart.
    assert result.status == "partial"
    assert rows(db, "select kind, url from crawl_errors") == [{"kind": "http_error", "url": server.url + CXS + FAILING}]
    assert rows(db, "select count(*) n from postings") == [{"n": 42}]
    filtered = rows(db, "select title, reason from filtered_postings order by title")
    assert [f["title"] for f in filtered] == ["AR Caller - US Healthcare", "Payment Posting Executive"]
    assert "accounts receivable" in filtered[0]["reason"] and "payment posting" in filtered[1]["reason"]
    assert not rows(db, "select id from postings where source_job_id = 'R0012031'")

    by_req = {r["source_job_id"]: r for r in rows(db, "select * from postings")}
    noida = by_req["R0012001"]
    assert noida["source_id"] == "workday:meridianrcm:careers" and noida["title"] == "Medical Coder - E/M"
    assert noida["url"] == "https://meridianrcm.wd5.myworkdayjobs.com/Careers/job/Noida/Medical-Coder---E-M_R0012001"
    assert noida["employer"] == "Meridian Revenue Partners"
    assert (noida["city"], noida["country"], noida["remote"]) == ("Noida", "IN", "onsite")
    assert noida["posted_at"] == "2026-11-20"  # startDate wins over "Posted Today"
    assert noida["employment_type"] == "Part time"
    assert "ICD-10-CM, CPT & HCPCS" in noida["description"] and "&amp;" not in noida["description"]
    assert "- 1–3 years of E/M coding experience" in noida["description"]
    assert json.loads(noida["extras"]) == {"jobReqId": "R0012001", "timeType": "Part time",
                                           "bulletFields": ["R0012001"], "remoteType": "On-site"}

    # No startDate: the list's relative date is resolved by the clean pipeline.
    remote_us = by_req["R0012004"]
    assert remote_us["posted_at"] in days_ago(30)
    assert (remote_us["country"], remote_us["remote"]) == ("US", "remote")
    assert (remote_us["salary_min"], remote_us["salary_max"], remote_us["salary_period"]) == (52000.0, 64000.0, "year")
    assert by_req["R0012008"]["posted_at"] in days_ago(3)
    assert by_req["R0012016"]["remote"] == "hybrid" and by_req["R0012016"]["city"] == "Murray"
    assert {by_req[r]["city"] for r in ("R0012002", "R0012003")} == {"Gurugram", "Chennai"}

    # "2 Locations" in the list: the detail's primary location, the others in extras.
    multi = by_req["R0012010"]
    assert multi["location_text"] == "Gurugram, Haryana, India" and multi["city"] == "Gurugram"
    assert json.loads(multi["extras"])["additionalLocations"] == ["Noida, India"]

    # The sparsest posting: no hiring organisation (the tenant stands in), no dates, no country, no time type.
    sparse = by_req["R0012013"]
    assert sparse["employer"] == "meridianrcm" and sparse["posted_at"] is None
    assert sparse["country"] == "IN"  # from "Chennai, Tamil Nadu, India"
    assert json.loads(sparse["extras"]) == {"jobReqId": "R0012013"}


def test_empty_page_ends_paging_before_the_total(tmp_path):
    db = tmp_path / "wd.db"
    routes = detail_routes("jobs_page1.json")
    routes[LIST] = [json_reply(fixture("workday", "jobs_page1.json")), json_reply(fixture("workday", "empty.json"))]
    with FixtureServer(routes) as server:
        result = crawl("workday", db, api_base=server.url, search="medical coder", **ARGS)
        bodies = list_bodies(server)
    assert [(b["offset"], b["searchText"]) for b in bodies] == [(0, "medical coder"), (20, "medical coder")]
    assert result.status == "ok"
    assert rows(db, "select (select count(*) from postings) + (select count(*) from filtered_postings) n") == [{"n": 20}]


def test_empty_board_is_ok(tmp_path):
    db = tmp_path / "wd.db"
    with FixtureServer({LIST: json_reply(fixture("workday", "empty.json"))}) as server:
        result = crawl("workday", db, api_base=server.url, **ARGS)
        assert len(list_bodies(server)) == 1
    assert (result.status, result.run["items_scraped"]) == ("ok", 0)


def test_board_that_is_gone(tmp_path):
    db = tmp_path / "wd.db"
    with FixtureServer({}) as server:
        result = crawl("workday", db, api_base=server.url, **ARGS)
    assert result.status == "gone" and result.run["errors"] == 0


def test_429_then_success(tmp_path):
    db = tmp_path / "wd.db"
    routes = detail_routes("jobs_small.json")
    routes[LIST] = [json_reply('{"error": "rate limited"}', 429, **{"Retry-After": "0"}), json_reply(fixture("workday", "jobs_small.json"))]
    with FixtureServer(routes) as server:
        result = crawl("workday", db, api_base=server.url, **ARGS)
        bodies = list_bodies(server)
    assert [b["offset"] for b in bodies] == [0, 0]  # the retry resent the same body
    assert result.status == "ok" and len(rows(db, "select id from postings")) == 3
    assert run_stats(result)["medcoder/backoff"] == 1


def test_500_that_stays_failed(tmp_path):
    db = tmp_path / "wd.db"
    with FixtureServer({LIST: json_reply("{}", 500)}) as server:
        result = crawl("workday", db, api_base=server.url, **ARGS)
        assert len(list_bodies(server)) == 3  # the request and 2 retries
    assert result.status == "failed"
    assert rows(db, "select kind from crawl_errors") == [{"kind": "http_error"}]


def test_malformed_json_is_reported_and_nothing_corrupted(tmp_path):
    db = tmp_path / "wd.db"
    routes = detail_routes("jobs_small.json")
    routes[LIST] = [json_reply(fixture("workday", "jobs_small.json")), json_reply('{"total": 3, "jobPostings": [{"title": "Coder"')]
    with FixtureServer(routes) as server:
        assert crawl("workday", db, api_base=server.url, **ARGS).status == "ok"
        before = rows(db, "select * from postings order by id")
        result = crawl("workday", db, api_base=server.url, **ARGS)
    assert result.status == "failed"
    assert rows(db, "select kind from crawl_errors") == [{"kind": "invalid_json"}]
    assert len(before) == 3 and rows(db, "select * from postings order by id") == before


def test_api_base_is_built_from_the_tenant():
    assert WorkdaySpider(**ARGS).api_base == "https://meridianrcm.wd5.myworkdayjobs.com"
    assert WorkdaySpider(tenant="r1rcm", site="R1RCM", wd="wd1").api_base == "https://r1rcm.wd1.myworkdayjobs.com"
    assert WorkdaySpider(tenant="t", site="S", api_base="http://127.0.0.1:9/").api_base == "http://127.0.0.1:9"
    with pytest.raises(ValueError, match="-a wd=N"):
        WorkdaySpider(tenant="t", site="S")
    with pytest.raises(ValueError, match="tenant"):
        WorkdaySpider(site="S", wd="5")

