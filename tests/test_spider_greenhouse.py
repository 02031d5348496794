"""greenhouse: real Scrapy crawls of a local Greenhouse-format board."""

from tests.fixture_server import FixtureServer, fixture, json_reply
from tests.spider_run import crawl, rows, run_stats

BOARD = "/v1/boards/lakeside/jobs"


def test_board_is_crawled_and_stored(tmp_path):
    db = tmp_path / "gh.db"
    with FixtureServer({BOARD: json_reply(fixture("greenhouse", "board.json"))}) as server:
        result = crawl("greenhouse", db, board="lakeside", api_base=server.url)
    assert server.paths()[-1] == BOARD + "?content=true"
    assert result.status == "partial"  # the job without a title is reported
    (coder,) = rows(db, "select * from postings")
    assert coder["source_id"] == "greenhouse:lakeside" and coder["source_job_id"] == "4011001"
    assert coder["title"] == "Professional Fee Coder – Orthopaedics"
    assert coder["employer"] == "Lakeside Specialty Partners"
    assert coder["posted_at"] == "2026-11-18" and coder["remote"] == "remote" and coder["country"] == "US"
    assert "## Requirements\n- CPC or CCS-P required" in coder["description"]
    assert (coder["salary_min"], coder["salary_max"], coder["salary_period"]) == (25.0, 31.0, "hour")
    assert '"requisition_id": "LSP-218"' in coder["extras"] and '"Grade"' not in coder["extras"]
    (ar,) = rows(db, "select title, reason from filtered_postings")
    assert ar["title"] == "AR Caller (US Healthcare)" and "accounts receivable" in ar["reason"]
    assert [e["kind"] for e in rows(db, "select kind from crawl_errors")] == ["incomplete_job"]


def test_empty_board_is_ok(tmp_path):
    db = tmp_path / "gh.db"
    with FixtureServer({BOARD: json_reply(fixture("greenhouse", "empty.json"))}) as server:
        result = crawl("greenhouse", db, board="lakeside", api_base=server.url)
    assert (result.status, result.run["items_scraped"]) == ("ok", 0)


def test_board_that_is_gone(tmp_path):
    db = tmp_path / "gh.db"
    with FixtureServer({}) as server:
        result = crawl("greenhouse", db, board="lakeside", api_base=server.url)
    assert result.status == "gone" and result.run["errors"] == 0


def test_429_then_success(tmp_path):
    db = tmp_path / "gh.db"
    replies = [json_reply('{"error": "rate limited"}', 429, **{"Retry-After": "0"}), json_reply(fixture("greenhouse", "board.json"))]
    with FixtureServer({BOARD: replies}) as server:
        result = crawl("greenhouse", db, board="lakeside", api_base=server.url)
    assert server.paths().count(BOARD + "?content=true") == 2
    assert len(rows(db, "select id from postings")) == 1
    assert run_stats(result)["medcoder/backoff"] == 1


def test_500_that_stays_failed(tmp_path):
    db = tmp_path / "gh.db"
    with FixtureServer({BOARD: json_reply("{}", 500)}) as server:
        result = crawl("greenhouse", db, board="lakeside", api_base=server.url)
    assert server.paths().count(BOARD + "?content=true") == 3  # the request and 2 retries
    assert result.status == "failed"
    assert rows(db, "select kind from crawl_errors") == [{"kind": "http_error"}]


def test_malformed_json_is_reported_and_nothing_stored(tmp_path):
    db = tmp_path / "gh.db"
    with FixtureServer({BOARD: json_reply('{"jobs": [{"id": 1, "title": "Coder"')}) as server:
        result = crawl("greenhouse", db, board="lakeside", api_base=server.url)
    assert result.status == "failed"
    assert rows(db, "select kind from crawl_errors") == [{"kind": "invalid_json"}]
    assert rows(db, "select count(*) n from postings") == [{"n": 0}]


def test_tdm_reservation_is_honoured(tmp_path):
    db = tmp_path / "gh.db"
    reply = json_reply(fixture("greenhouse", "board.json"), **{"tdm-reservation": "1"})
    with FixtureServer({BOARD: reply}) as server:
        result = crawl("greenhouse", db, board="lakeside", api_base=server.url)
    assert rows(db, "select count(*) n from postings") == [{"n": 0}]
    assert run_stats(result)["medcoder/tdm_reserved"] == 1
