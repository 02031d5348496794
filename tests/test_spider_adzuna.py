"""adzuna: real Scrapy crawls of a local server speaking Adzuna's job search API."""

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from crawlers.spiders.adzuna import without_app_id
from tests.fixture_server import FixtureServer, fixture, json_reply
from tests.spider_run import crawl, rows, run_stats

# The fixtures' redirect_urls carry utm_source=testid-SECRET-456, as Adzuna echoes the caller's app_id there.
APP_ID = "testid-SECRET-456"
APP_KEY = "testkey-SECRET-789"
IN = "/v1/api/jobs/in/search/"
US = "/v1/api/jobs/us/search/"


@pytest.fixture(autouse=True)
def credentials(monkeypatch):
    """The crawl subprocess inherits os.environ, so the keys reach the spider the way they do in production."""
    monkeypatch.setenv("ADZUNA_APP_ID", APP_ID)
    monkeypatch.setenv("ADZUNA_APP_KEY", APP_KEY)


def both_countries() -> dict:
    routes = {f"{IN}{n}": json_reply(fixture("adzuna", f"in_p{n}.json")) for n in (1, 2, 3)}
    routes.update({f"{US}{n}": json_reply(fixture("adzuna", f"us_p{n}.json")) for n in (1, 2)})
    return routes


def api_paths(server) -> list[str]:
    return sorted(urlsplit(p).path for p in server.paths() if p.startswith("/v1/"))


def assert_no_secrets_stored(db, tmp_path):
    """Neither credential in the database files (with -wal/-shm), crawl_runs or crawl_errors."""
    for secret in (APP_ID, APP_KEY):
        for path in [db, *tmp_path.glob(db.name + "-*")]:
            assert secret.encode() not in path.read_bytes(), (secret, path)
        for row in rows(db, "select args_json, stats_json from crawl_runs") + rows(db, "select url, message from crawl_errors"):
            assert all(secret not in (v or "") for v in row.values()), (secret, row)


def assert_no_secrets_logged(result):
    for secret in (APP_ID, APP_KEY):
        assert secret.encode() not in result.log_path.read_bytes(), secret


def test_both_countries_every_page_until_exhausted(tmp_path):
    db = tmp_path / "adzuna.db"
    with FixtureServer(both_countries()) as server:
        result = crawl("adzuna", db, api_base=server.url, per_page="2")
    # India: count 5 at 2 a page is 3 pages; the US: count 3, but page 2 is empty, so no page 3.
    assert api_paths(server) == [IN + "1", IN + "2", IN + "3", US + "1", US + "2"]
    query = parse_qs(urlsplit(server.paths()[-1]).query)
    assert query == {"app_id": [APP_ID], "app_key": [APP_KEY], "what": ["medical coder"], "results_per_page": ["2"],
                     "max_days_old": ["30"], "sort_by": ["date"]}
    assert result.status == "ok" and run_stats(result)["medcoder/duplicates"] == 1  # 4870012001 on pages 1 and 3
    kept = {r["source_job_id"]: r for r in rows(db, "select * from postings")}
    assert sorted(kept) == ["4870012001", "4870012003", "4870012004", "5123098801", "5123098802"]
    assert {r["source_id"] for r in kept.values()} == {"adzuna"}

    fresher = kept["4870012001"]
    assert fresher["title"] == "Medical Coder - Freshers (B.Sc Life Sciences)"  # Adzuna's <strong> highlights gone
    # The redirect_url as Adzuna sent it, minus the utm_source=<app_id> it appends.
    assert fresher["url"] == ("https://www.adzuna.in/land/ad/4870012001"
                              "?se=q3Xw9LmT0kR2vB7yZ1aP4g&utm_medium=api&v=7C1E5A0B93D24F6E8A1B")
    assert (fresher["employer"], fresher["city"], fresher["country"]) == ("Sundaram Health Info Services", "Chennai", "IN")
    pay = (fresher["salary_min"], fresher["salary_max"], fresher["salary_currency"], fresher["salary_period"])
    assert pay == (250000, 350000, "INR", "year")
    assert fresher["salary_predicted"] == 0 and fresher["posted_at"] == "2026-11-20"
    assert fresher["attribution"] == "Jobs by Adzuna (https://www.adzuna.com)"
    assert "medical coding (E/M & surgery)" in fresher["description"] and "<strong>" not in fresher["description"]
    extras = json.loads(fresher["extras"])
    assert extras["category"] == "Healthcare & Nursing Jobs" and extras["area"] == ["India", "Tamil Nadu", "Chennai"]
    assert (extras["contract_type"], extras["contract_time"]) == ("permanent", "full_time")
    assert extras["description_is_snippet"] is True

    senior = kept["4870012003"]
    assert senior["title"] == "Senior Medical Coder – E&M / HCC" and senior["salary_predicted"] == 1
    trainee = kept["4870012004"]  # no company, location, salary or category
    assert (trainee["employer"], trainee["salary_min"], trainee["country"]) == (None, None, "IN")
    assert "category" not in json.loads(trainee["extras"])
    us = kept["5123098802"]
    assert (us["salary_currency"], us["salary_period"], us["salary_predicted"], us["country"]) == ("USD", "year", 1, "US")

    filtered = {r["title"] for r in rows(db, "select title from filtered_postings")}
    assert filtered == {"AR Caller - US Healthcare (Voice Process)", "Java Developer - Healthcare Claims Platform"}
    assert_no_secrets_stored(db, tmp_path)
    assert_no_secrets_logged(result)


def test_one_country_and_max_pages(tmp_path):
    db = tmp_path / "adzuna.db"
    with FixtureServer(both_countries()) as server:
        result = crawl("adzuna", db, api_base=server.url, per_page="2", country="in", max_pages="2")
    assert api_paths(server) == [IN + "1", IN + "2"]
    assert run_stats(result)["medcoder/max_pages_reached"] == 1
    assert {r["source_id"] for r in rows(db, "select source_id from postings")} == {"adzuna:in"}
    assert rows(db, "select country from sources") == [{"country": "IN"}]


def test_empty_search_is_ok(tmp_path):
    db = tmp_path / "adzuna.db"
    with FixtureServer({f"{IN}1": json_reply(fixture("adzuna", "empty.json"))}) as server:
        result = crawl("adzuna", db, api_base=server.url, country="in")
    assert api_paths(server) == [IN + "1"]
    assert (result.status, result.run["items_scraped"], result.run["errors"]) == ("ok", 0, 0)


def test_missing_key_skips_without_a_request(tmp_path, monkeypatch):
    monkeypatch.delenv("ADZUNA_APP_KEY")
    db = tmp_path / "adzuna.db"
    with FixtureServer(both_countries()) as server:
        result = crawl("adzuna", db, api_base=server.url)
    assert server.requests == []
    assert (result.status, result.run["finish_reason"], result.run["items_scraped"]) == ("skipped", "missing_credentials", 0)
    log = result.log_path.read_text()
    assert "adzuna needs ADZUNA_APP_KEY in the environment; skipping this source" in log and "Traceback" not in log


def test_429_then_success(tmp_path):
    db = tmp_path / "adzuna.db"
    replies = [json_reply('{"exception": "RATE_LIMITED"}', 429, **{"Retry-After": "0"}),
               json_reply(fixture("adzuna", "us_p1.json"))]
    with FixtureServer({f"{US}1": replies, f"{US}2": json_reply(fixture("adzuna", "us_p2.json"))}) as server:
        result = crawl("adzuna", db, api_base=server.url, per_page="2", country="us")
    assert api_paths(server) == [US + "1", US + "1", US + "2"]
    assert len(rows(db, "select id from postings")) == 2
    assert run_stats(result)["medcoder/backoff"] == 1 and result.status == "ok"


def crawl_with_failing_page(tmp_path):
    db = tmp_path / "adzuna.db"
    routes = {**both_countries(), f"{IN}2": json_reply('{"exception": "INTERNAL_ERROR"}', 500)}
    with FixtureServer(routes) as server:
        result = crawl("adzuna", db, api_base=server.url, per_page="2")
    return db, server, result


def test_a_page_that_stays_500_is_reported_with_its_url_redacted(tmp_path):
    db, server, result = crawl_with_failing_page(tmp_path)
    assert [urlsplit(p).path for p in server.paths()].count(IN + "2") == 3  # the request and 2 retries
    assert IN + "3" not in api_paths(server)  # pages are read in turn: the failed page ends India's search
    assert result.status == "partial" and len(rows(db, "select id from postings")) == 3
    (error,) = rows(db, "select kind, url from crawl_errors")
    assert error["kind"] == "http_error"
    assert error["url"].startswith(f"{server.url}{IN}2?app_id=***&app_key=***&what=medical+coder")
    assert_no_secrets_stored(db, tmp_path)


def test_the_gave_up_retrying_log_line_is_redacted(tmp_path):
    _, _, result = crawl_with_failing_page(tmp_path)
    assert "Gave up retrying" in result.log_path.read_text()
    assert_no_secrets_logged(result)


def test_every_page_500_is_a_failed_run(tmp_path):
    db = tmp_path / "adzuna.db"
    with FixtureServer({f"{US}1": json_reply("{}", 500)}) as server:
        result = crawl("adzuna", db, api_base=server.url, country="us")
    assert result.status == "failed"
    assert rows(db, "select kind from crawl_errors") == [{"kind": "http_error"}]


def test_404_is_a_failure_not_a_gone_board(tmp_path):
    # A search API has no board that can close: a 404 means a wrong api_base or an unsupported country path.
    db = tmp_path / "adzuna.db"
    with FixtureServer({}) as server:
        result = crawl("adzuna", db, api_base=server.url, country="us")
    assert result.status == "failed"
    assert rows(db, "select kind from crawl_errors") == [{"kind": "http_error"}]


def test_malformed_json_is_reported_and_nothing_stored(tmp_path):
    db = tmp_path / "adzuna.db"
    with FixtureServer({f"{US}1": json_reply('{"count": 2, "results": [{"id": "1", "title": "Coder"')}) as server:
        result = crawl("adzuna", db, api_base=server.url, country="us")
    assert result.status == "failed"
    (error,) = rows(db, "select kind, url from crawl_errors")
    assert error["kind"] == "invalid_json" and "app_key=***" in error["url"]
    assert rows(db, "select count(*) n from postings") == [{"n": 0}]
    assert_no_secrets_stored(db, tmp_path)
    assert_no_secrets_logged(result)


def test_unknown_country_is_refused():
    from crawlers.spiders.adzuna import AdzunaSpider

    with pytest.raises(ValueError, match="in or us"):
        AdzunaSpider(country="gb")


def test_without_app_id_keeps_everything_else():
    url = "https://www.adzuna.com/land/ad/1?se=a%3Db&utm_medium=api&utm_source=abc123&v=F0#top"
    assert without_app_id(url, "abc123") == "https://www.adzuna.com/land/ad/1?se=a%3Db&utm_medium=api&v=F0#top"
    assert without_app_id(url, None) == url
    assert without_app_id("https://www.adzuna.com/details/1?utm_source=abc123", "abc123") == "https://www.adzuna.com/details/1"
