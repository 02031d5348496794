"""himalayas: real Scrapy crawls of a local Himalayas-format jobs API, paged by offset."""

import json

from tests.fixture_server import FixtureServer, fixture, json_reply
from tests.spider_run import crawl, rows, run_stats

ATTRIBUTION = "Via Himalayas (https://himalayas.app)"


def page(offset: int) -> str:
    return f"/jobs/api?limit=20&offset={offset}"


def pages(**replace_total: int) -> dict:
    """Routes for the three fixture pages (20 + 20 + 4 jobs, totalCount 44); ``total=N`` rewrites totalCount."""
    routes = {}
    for offset in (0, 20, 40):
        body = fixture("himalayas", f"page_{offset}.json")
        if replace_total:
            data = json.loads(body)
            data["totalCount"] = replace_total["total"]
            body = json.dumps(data).encode()
        routes[page(offset)] = json_reply(body)
    return routes


def test_pages_are_followed_until_a_short_page(tmp_path):
    db = tmp_path / "him.db"
    with FixtureServer(pages()) as server:
        result = crawl("himalayas", db, api_base=server.url)
    assert [p for p in server.paths() if p.startswith("/jobs/")] == [page(0), page(20), page(40)]
    assert result.status == "partial"  # the job without a title is reported
    stats = run_stats(result)
    # 44 jobs: 36 with no coding or health word in title or categories are skipped, not errors.
    assert stats["medcoder/skipped_off_topic"] == 36 and result.run["errors"] == 1
    kept = {r["title"]: r for r in rows(db, "select * from postings")}
    assert sorted(kept) == ["Clinical Documentation Integrity Specialist", "HIM Coding Analyst", "Inpatient Coder II",
                            "Medical Coder - Emergency Department", "Outpatient Coding Specialist"]
    ed = kept["Medical Coder - Emergency Department"]
    assert ed["url"] == "https://himalayas.app/companies/prairie-valley-health/jobs/medical-coder-emergency-department"
    assert (ed["employer"], ed["country"], ed["remote"], ed["employment_type"]) == ("Prairie Valley Health", "US", "remote", "Full Time")
    assert ed["posted_at"] == "2026-11-20"  # pubDate as epoch seconds
    assert (ed["salary_min"], ed["salary_max"], ed["salary_currency"], ed["salary_period"]) == (52000.0, 64000.0, "USD", "year")
    assert "Prairie Valley's coding team codes emergency department visits for 9 hospitals — facility and professional fee." in ed["description"]
    assert "## You will\n- Assign ICD-10-CM & CPT codes, E/M levels and modifiers" in ed["description"]
    assert json.loads(ed["extras"]) == {
        "application_link": "https://himalayas.app/companies/prairie-valley-health/jobs/medical-coder-emergency-department/apply",
        "categories": ["Medical-Coding", "Healthcare"], "location_restrictions": ["United States"], "seniority": ["Mid-level"]}
    cdi = kept["Clinical Documentation Integrity Specialist"]
    assert cdi["posted_at"] == "2026-11-19"  # pubDate as an ISO string
    assert (cdi["country"], cdi["salary_currency"], cdi["salary_min"]) == ("IN", "INR", 600000.0)
    assert "- CCDS or CDIP preferred" in cdi["description"]
    him = kept["HIM Coding Analyst"]
    assert (him["posted_at"], him["location_text"], him["country"]) == ("2026-11-18", "United States / Canada", "US")
    sparse = kept["Inpatient Coder II"]  # a title and a guid, nothing else
    assert (sparse["employer"], sparse["location_text"], sparse["posted_at"], sparse["salary_min"], sparse["description"]) == (None,) * 5
    no_guid = kept["Outpatient Coding Specialist"]
    assert no_guid["url"] == "https://himalayas.app/companies/harbor-point-medical-group/jobs/outpatient-coding-specialist"
    assert {r["attribution"] for r in kept.values()} == {ATTRIBUTION}
    assert rows(db, "select attribution from sources where id = 'himalayas'") == [{"attribution": ATTRIBUTION}]
    filtered = {r["title"]: r for r in rows(db, "select title, reason, item_json from filtered_postings")}
    assert sorted(filtered) == ["Digital Health Software Engineer", "Medical Biller (Part-Time)"]
    assert "software" in filtered["Digital Health Software Engineer"]["reason"]
    assert "billing" in filtered["Medical Biller (Part-Time)"]["reason"]
    assert {json.loads(r["item_json"])["attribution"] for r in filtered.values()} == {ATTRIBUTION}
    assert [e["kind"] for e in rows(db, "select kind from crawl_errors")] == ["incomplete_job"]


def test_total_count_stops_paging(tmp_path):
    db = tmp_path / "him.db"
    with FixtureServer(pages(total=40)) as server:
        result = crawl("himalayas", db, api_base=server.url)
    assert page(40) not in server.paths() and page(20) in server.paths()
    assert (result.status, result.run["items_kept"], result.run["items_filtered"]) == ("ok", 3, 2)


def test_max_pages_bounds_paging(tmp_path):
    db = tmp_path / "him.db"
    with FixtureServer(pages()) as server:
        result = crawl("himalayas", db, api_base=server.url, max_pages="1")
    assert [p for p in server.paths() if p.startswith("/jobs/")] == [page(0)]
    assert run_stats(result)["medcoder/max_pages_reached"] == 1
    assert result.status == "ok" and result.run["items_kept"] == 2


def test_empty_board_is_ok(tmp_path):
    db = tmp_path / "him.db"
    with FixtureServer({page(0): json_reply(fixture("himalayas", "empty.json"))}) as server:
        result = crawl("himalayas", db, api_base=server.url)
    assert [p for p in server.paths() if p.startswith("/jobs/")] == [page(0)]
    assert (result.status, result.run["items_scraped"], result.run["errors"]) == ("ok", 0, 0)


def test_api_that_is_gone(tmp_path):
    db = tmp_path / "him.db"
    with FixtureServer({}) as server:
        result = crawl("himalayas", db, api_base=server.url)
    assert result.status == "gone" and result.run["errors"] == 0


def test_429_then_success(tmp_path):
    db = tmp_path / "him.db"
    routes = pages()
    routes[page(20)] = [json_reply('{"error": "Too many requests"}', 429, **{"Retry-After": "0"}), routes[page(20)]]
    with FixtureServer(routes) as server:
        result = crawl("himalayas", db, api_base=server.url)
    assert server.paths().count(page(20)) == 2 and page(40) in server.paths()
    assert len(rows(db, "select id from postings")) == 5
    assert run_stats(result)["medcoder/backoff"] == 1


def test_500_that_stays_failed(tmp_path):
    db = tmp_path / "him.db"
    with FixtureServer({page(0): json_reply("{}", 500)}) as server:
        result = crawl("himalayas", db, api_base=server.url)
    assert server.paths().count(page(0)) == 3  # the request and 2 retries
    assert result.status == "failed"
    assert rows(db, "select kind from crawl_errors") == [{"kind": "http_error"}]


def test_malformed_page_is_reported_and_earlier_rows_survive(tmp_path):
    db = tmp_path / "him.db"
    with FixtureServer(pages()) as server:
        crawl("himalayas", db, api_base=server.url)
    before = rows(db, "select id, title, last_crawl_run_id from postings order by id")
    with FixtureServer({page(0): json_reply('{"totalCount": 44, "jobs": [{"title": "Medical Coder"')}) as server:
        result = crawl("himalayas", db, api_base=server.url)
    assert page(20) not in server.paths()  # nothing to page on from a broken page
    assert result.status == "failed"
    assert rows(db, "select kind from crawl_errors where crawl_run_id = ?", result.run["id"]) == [{"kind": "invalid_json"}]
    assert result.run["items_scraped"] == 0
    assert rows(db, "select id, title, last_crawl_run_id from postings order by id") == before
