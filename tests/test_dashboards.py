"""The dashboards (datasette-dashboards), in-process: every page and chart answers with the expected rows."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from datasette_dashboards import replace_opts_in_query

from medcoder.serve import metadata_for
from tests.test_datasette_market import Client, assert_inert, market_db  # noqa: F401 - market_db is a fixture

EXPECTED_DASHBOARDS = {"market-overview", "credentials", "salaries", "trends", "crawl-health"}


@pytest.fixture(scope="module")
def client(market_db):  # noqa: F811 - the imported fixture
    c = Client(market_db)
    yield c
    c.loop.close()


@pytest.fixture(scope="module")
def dashboards(market_db):  # noqa: F811
    return metadata_for(market_db)["plugins"]["datasette-dashboards"]


def chart_rows(client, dashboards, slug, chart, **filters) -> list[dict]:
    """A chart's data fetched as dashboards.js fetches it: optional [[ ]] parts resolved, filters as parameters."""
    spec = dashboards[slug]["charts"][chart]
    sql = replace_opts_in_query(spec["query"], filters)
    response = client.get(f"/{spec['db']}.json?" + urlencode({"sql": sql, **filters, "_shape": "objects"}))
    assert response.status_code == 200, (slug, chart, response.text[:300])
    return response.json()["rows"]


def test_every_dashboard_page_renders_its_charts_and_filters(client, dashboards):
    assert set(dashboards) == EXPECTED_DASHBOARDS
    listing = client.get("/-/dashboards").text
    for slug, dashboard in dashboards.items():
        assert f'href="/-/dashboards/{slug}"' in listing
        response = client.get(f"/-/dashboards/{slug}")
        assert response.status_code == 200, slug
        assert dashboard.get("description") and dashboard.get("filters"), f"{slug}: documented and filterable"
        for chart_slug in dashboard["charts"]:
            assert f'id="chart-{chart_slug}"' in response.text
            assert f"renderChart('{chart_slug}'" in response.text
        assert_inert(response.text)
    overview = client.get("/-/dashboards/market-overview").text
    assert '<option value="IN" >IN</option>' in overview and '<option value="US" >US</option>' in overview


def test_every_chart_answers_with_and_without_filters(client, dashboards):
    samples = {"country": "IN", "role_family": "inpatient", "currency": "INR", "credential": "CPC", "source": "remotive"}
    for slug, dashboard in dashboards.items():
        for chart in dashboard["charts"]:
            assert chart_rows(client, dashboards, slug, chart), (slug, chart)
            for name in dashboard["filters"]:
                chart_rows(client, dashboards, slug, chart, **{name: samples[name]})


def test_charts_never_insert_data_as_html(dashboards, client):
    # The plugin's `table` and `map` renderers (and a metric's value) go through innerHTML:
    # only vega-lite (labels drawn as SVG text) and numeric metrics may show posting data.
    for slug, dashboard in dashboards.items():
        for chart_slug, chart in dashboard["charts"].items():
            assert chart["library"] in ("vega-lite", "metric"), (slug, chart_slug)
            if chart["library"] == "metric":
                value = chart_rows(client, dashboards, slug, chart_slug)[0][chart["display"]["field"]]
                assert isinstance(value, int | float), (slug, chart_slug)


def test_market_overview_figures(client, dashboards):
    assert chart_rows(client, dashboards, "market-overview", "open-jobs") == [{"jobs": 6}]
    assert chart_rows(client, dashboards, "market-overview", "open-jobs", country="IN") == [{"jobs": 2}]
    assert chart_rows(client, dashboards, "market-overview", "with-salary") == [{"pct": 67}]
    assert chart_rows(client, dashboards, "market-overview", "by-country") == [{"country": "US", "jobs": 4}, {"country": "IN", "jobs": 2}]
    assert chart_rows(client, dashboards, "market-overview", "top-employers")[0] == {"employer": "Kaveri Coding Pvt Ltd", "jobs": 2}
    assert chart_rows(client, dashboards, "market-overview", "work-mode", role_family="inpatient") == [{"mode": "remote", "jobs": 2}]


def test_credentials_figures(client, dashboards):
    rows = chart_rows(client, dashboards, "credentials", "credential-demand", country="US")
    assert {(r["credential"], r["level"]): r["jobs"] for r in rows if r["credential"] == "CPC"} == {
        ("CPC", "required"): 2, ("CPC", "preferred"): 1}
    assert chart_rows(client, dashboards, "credentials", "pairs")[0] == {"pair": "CPC + ICD-10-CM", "jobs": 4}


def test_salaries_follow_the_country_currency(client, dashboards):
    assert chart_rows(client, dashboards, "salaries", "by-credential", country="IN") == [
        {"credential": "CPC", "currency": "INR", "jobs": 2, "median": 562500, "p25": 493750, "p75": 631250},
        {"credential": "CCS", "currency": "INR", "jobs": 1, "median": 700000, "p25": 700000, "p75": 700000}]
    assert {r["currency"] for r in chart_rows(client, dashboards, "salaries", "by-credential", country="US")} == {"USD"}
    assert {r["currency"] for r in chart_rows(client, dashboards, "salaries", "by-role-family", currency="USD")} == {"USD"}
    bands = chart_rows(client, dashboards, "salaries", "bands", country="US")
    assert [(r["band"], r["jobs"]) for r in bands] == [("USD 50-60k", 1), ("USD 60-75k", 1), ("not stated", 2)]


def test_trends_and_crawl_health(client, dashboards):
    rows = chart_rows(client, dashboards, "trends", "jobs-by-month")
    assert [(r["month"], r["series"], r["jobs"]) for r in rows if r["month"] == "2026-11"] == [
        ("2026-11", "posted", 4), ("2026-11", "still open", 4)]
    rows = chart_rows(client, dashboards, "trends", "credentials-by-month", credential="CCS")
    assert {r["credential"] for r in rows} == {"CCS"}
    changes = chart_rows(client, dashboards, "trends", "new-and-closed")
    assert sum(r["jobs"] for r in changes if r["change"] == "closed") == 2  # p7 this week, p9 a month ago
    assert chart_rows(client, dashboards, "crawl-health", "failed-runs") == [{"runs": 2}]
    assert chart_rows(client, dashboards, "crawl-health", "stale-sources") == [{"sources": 3}]
    assert [r["source_id"] for r in chart_rows(client, dashboards, "crawl-health", "hours-since-success")] == [
        "remotive", "demo_board", "greenhouse:acme"]


def test_hostile_filter_values_are_inert(client):
    response = client.get("/-/dashboards/market-overview?" + urlencode({"country": "<script>alert(1)</script>"}))
    assert response.status_code == 200
    assert_inert(response.text)
