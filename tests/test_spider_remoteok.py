"""remoteok: real Scrapy crawls of a local Remote OK-format API."""

import json

from tests.fixture_server import FixtureServer, fixture, json_reply
from tests.spider_run import crawl, rows, run_stats

API = "/api"
DEFAULT_QUERY = API + "?tag=medical"
ATTRIBUTION = "Via Remote OK (https://remoteok.com)"


def test_tag_is_crawled_legal_notice_skipped_and_attribution_stored(tmp_path):
    db = tmp_path / "rok.db"
    with FixtureServer({API: json_reply(fixture("remoteok", "medical.json"))}) as server:
        result = crawl("remoteok", db, api_base=server.url)
    (request,) = [r for r in server.requests if r.path == DEFAULT_QUERY]
    assert "medcoder" in request.headers.get("User-Agent", "")  # Remote OK refuses anonymous clients
    assert result.status == "partial"  # the job without a position is reported
    # 6 elements: the legal notice is neither an item nor a reported problem.
    assert result.run["items_scraped"] == 4
    kept = {r["source_job_id"]: r for r in rows(db, "select * from postings")}
    assert sorted(kept) == ["1129401", "1129402", "1129404"]
    us = kept["1129401"]
    assert us["url"] == "https://remoteok.com/remote-jobs/remote-hcc-coding-specialist-northgate-health-plan-1129401"
    assert (us["title"], us["employer"], us["country"], us["remote"]) == ("HCC Coding Specialist", "Northgate Health Plan", "US", "remote")
    assert us["posted_at"] == "2026-11-26"
    assert (us["salary_min"], us["salary_max"], us["salary_currency"], us["salary_period"]) == (58000.0, 72000.0, "USD", "year")
    assert us["description"].startswith("Northgate's risk adjustment team reviews member charts from primary care & specialty visits.")
    assert "## Qualifications\n- CRC or CPC required" in us["description"]
    assert json.loads(us["extras"]) == {"tags": ["medical", "healthcare", "coding", "non tech"]}
    india = kept["1129402"]  # salary_min/max 0: unknown, so the pay comes from the text, in rupees
    assert (india["country"], india["salary_currency"], india["salary_min"], india["salary_max"]) == ("IN", "INR", 240000.0, 300000.0)
    assert "- B.Sc / B.Pharm / BPT graduates (2024–2026 pass-outs)" in india["description"]
    sparse = kept["1129404"]  # only id, position and an empty tag list
    assert (sparse["employer"], sparse["location_text"], sparse["posted_at"], sparse["salary_min"], sparse["extras"]) == (None,) * 5
    assert {r["attribution"] for r in kept.values()} == {ATTRIBUTION}
    assert rows(db, "select attribution from sources where id = 'remoteok'") == [{"attribution": ATTRIBUTION}]
    (dev,) = rows(db, "select title, reason, item_json from filtered_postings")
    assert dev["title"] == "Senior Backend Engineer" and "software" in dev["reason"]
    assert json.loads(dev["item_json"])["attribution"] == ATTRIBUTION
    assert [e["kind"] for e in rows(db, "select kind from crawl_errors")] == ["incomplete_job"]


def test_response_without_the_legal_notice_keeps_every_job(tmp_path):
    db = tmp_path / "rok.db"
    with FixtureServer({API: json_reply(fixture("remoteok", "no_notice.json"))}) as server:
        result = crawl("remoteok", db, api_base=server.url, tag="coding")
    assert server.paths()[-1] == API + "?tag=coding"
    assert result.status == "ok"
    (auditor,) = rows(db, "select title, salary_min, salary_max, attribution from postings")
    assert auditor == {"title": "Coding Quality Auditor", "salary_min": None, "salary_max": 80000.0, "attribution": ATTRIBUTION}


def test_empty_answers_are_ok(tmp_path):
    db = tmp_path / "rok.db"
    for body in (fixture("remoteok", "legal_only.json"), b"[]"):
        with FixtureServer({API: json_reply(body)}) as server:
            result = crawl("remoteok", db, api_base=server.url)
        assert (result.status, result.run["items_scraped"], result.run["errors"]) == ("ok", 0, 0)


def test_api_that_is_gone(tmp_path):
    db = tmp_path / "rok.db"
    with FixtureServer({}) as server:
        result = crawl("remoteok", db, api_base=server.url)
    assert result.status == "gone" and result.run["errors"] == 0


def test_429_then_success(tmp_path):
    db = tmp_path / "rok.db"
    replies = [json_reply('{"error": "rate limited"}', 429, **{"Retry-After": "0"}), json_reply(fixture("remoteok", "medical.json"))]
    with FixtureServer({API: replies}) as server:
        result = crawl("remoteok", db, api_base=server.url)
    assert server.paths().count(DEFAULT_QUERY) == 2
    assert len(rows(db, "select id from postings")) == 3
    assert run_stats(result)["medcoder/backoff"] == 1


def test_500_that_stays_failed(tmp_path):
    db = tmp_path / "rok.db"
    with FixtureServer({API: json_reply("[]", 500)}) as server:
        result = crawl("remoteok", db, api_base=server.url)
    assert server.paths().count(DEFAULT_QUERY) == 3  # the request and 2 retries
    assert result.status == "failed"
    assert rows(db, "select kind from crawl_errors") == [{"kind": "http_error"}]


def test_malformed_json_is_reported_and_earlier_rows_survive(tmp_path):
    db = tmp_path / "rok.db"
    with FixtureServer({API: json_reply(fixture("remoteok", "medical.json"))}) as server:
        crawl("remoteok", db, api_base=server.url)
    before = rows(db, "select id, title, last_crawl_run_id from postings order by id")
    with FixtureServer({API: json_reply('[{"legal": "terms"}, {"id": "1", "position": "Medical Coder"')}) as server:
        result = crawl("remoteok", db, api_base=server.url)
    assert result.status == "failed"
    assert rows(db, "select kind from crawl_errors where crawl_run_id = ?", result.run["id"]) == [{"kind": "invalid_json"}]
    assert result.run["items_scraped"] == 0
    assert rows(db, "select id, title, last_crawl_run_id from postings order by id") == before


def test_an_object_instead_of_the_array_is_reported(tmp_path):
    db = tmp_path / "rok.db"
    with FixtureServer({API: json_reply('{"error": "Tag not found"}')}) as server:
        result = crawl("remoteok", db, api_base=server.url)
    assert result.status == "failed"
    assert rows(db, "select kind from crawl_errors") == [{"kind": "unexpected_shape"}]
