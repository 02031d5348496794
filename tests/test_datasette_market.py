"""The market in Datasette, in-process: canned queries, facets, search, pages, and inert hostile text.

``build_market_db`` writes a small crafted database (literal rows, dates
relative to now where "this week" matters) that the dashboard, browser and
publish tests share. Market figures count p1..p6 only: p1dup is a duplicate of
p1 on another source, p7 and p9 are closed, p8 is under review.
"""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlite_utils

from analysis.analytics import refresh_analytics
from analysis.pipeline import sync_skills
from medcoder.db import migrate
from medcoder.serve import SETTINGS, datasette_app, datasette_command, metadata_for

XSS_TITLE = "<script>alert(1)</script> Coder <b>bold</b>"
XSS_TEXT = ("Great job. <script>alert(1)</script> <img src=x onerror=alert(2)> "
            "' OR 1=1; DROP TABLE postings; -- CPC required. Remote work from anywhere.")
HOSTILE_FRAGMENTS = ("<script>alert(1)", "<img src=x", "<b>bold</b>", 'href="javascript:')


def _ts(now: datetime, **delta) -> str:
    return (now - timedelta(**delta)).replace(microsecond=0).isoformat()


def build_market_db(path: Path, now: datetime | None = None) -> Path:
    """Write the crafted market database at ``path`` (migrated, analysed, analytics refreshed)."""
    now = now or datetime.now(UTC)
    db = sqlite_utils.Database(path)
    migrate(db)
    sync_skills(db)
    db["sources"].insert_all([
        {"id": "greenhouse:acme", "name": "Acme Health careers", "spider": "greenhouse", "country": "US",
         "url": "https://boards.example/acme", "attribution": "Jobs via Acme's Greenhouse board"},
        {"id": "remotive", "name": "Remotive", "spider": "remotive", "country": "ANY",
         "url": "https://remotive.example", "attribution": "Source: Remotive (remotive.example)"},
        {"id": "demo_board", "name": "medcoder demo board", "spider": "demo_board", "country": "IN",
         "url": "https://demo.example/jobs", "attribution": None},
        {"id": "usajobs", "name": "USAJOBS", "spider": "usajobs", "country": "US", "url": "https://usajobs.example",
         "attribution": None},
    ])
    db["crawl_runs"].insert_all([
        {"id": 1, "source_id": "greenhouse:acme", "started_at": _ts(now, days=1, minutes=5), "finished_at": _ts(now, days=1),
         "status": "failed", "items_kept": 0, "errors": 1},
        {"id": 2, "source_id": "greenhouse:acme", "started_at": _ts(now, hours=2, minutes=5), "finished_at": _ts(now, hours=2),
         "status": "ok", "items_kept": 4, "errors": 0},
        {"id": 3, "source_id": "demo_board", "started_at": _ts(now, days=3, minutes=5), "finished_at": _ts(now, days=3),
         "status": "partial", "items_kept": 3, "errors": 2},
        {"id": 4, "source_id": "remotive", "started_at": _ts(now, days=10, minutes=5), "finished_at": _ts(now, days=10),
         "status": "ok", "items_kept": 3, "errors": 0},
        {"id": 5, "source_id": "remotive", "started_at": _ts(now, hours=1, minutes=5), "finished_at": _ts(now, hours=1),
         "status": "failed", "items_kept": 0, "errors": 3},
    ])

    def posting(pid, source, title, employer, city, region, country, remote, family, posted, first_seen, **extra):
        row = {"id": pid, "source_id": source, "source_job_id": pid.upper(), "url": f"https://jobs.example/{pid}",
               "title": title, "employer": employer, "city": city, "region": region, "country": country,
               "remote": remote, "role_family": family, "posted_at": posted, "first_seen": first_seen,
               "last_seen": _ts(now, hours=2), "scope": "in", "cluster_id": pid, "is_representative": 1,
               "salary_predicted": 0, "description": f"{title} at {employer}."}
        row.update(extra)
        return row

    db["postings"].insert_all([
        posting("p1", "greenhouse:acme", "Inpatient Coder II", "Acme Health", "Austin", "TX", "US", "remote", "inpatient",
                "2026-10-05", _ts(now, days=20), experience_years_min=2, salary_currency="USD", salary_period="year",
                salary_annual_min=60000, salary_annual_max=70000, salary_text="$60,000 - $70,000 a year",
                description="Inpatient coding with ICD-10-PCS and MS-DRG assignment. CCS required; RHIT preferred.",
                attribution="Posted on Acme Health careers"),
        posting("p1dup", "remotive", "Inpatient Coder II (Remote)", "Acme Health", "Austin", "TX", "US", "remote",
                "inpatient", "2026-10-06", _ts(now, days=15), cluster_id="p1", is_representative=0,
                description="Inpatient coding with ICD-10-PCS. CCS required."),
        posting("p2", "greenhouse:acme", "Outpatient Coder", "Bluebonnet Clinic", "Dallas", "TX", "US", "onsite",
                "outpatient", "2026-11-20", _ts(now, days=3), experience_years_min=1, salary_currency="USD",
                salary_period="hour", salary_annual_min=52000, salary_annual_max=62400, salary_text="$25 - $30 an hour",
                description="Outpatient surgery coding with CPT. CPC or COC required."),
        posting("p3", "remotive", "Risk Adjustment Coder", "Harbor Health", "Raleigh", "NC", "US", "hybrid",
                "risk-adjustment", "2026-10-15", _ts(now, days=40), salary_currency="USD", salary_period="year",
                salary_annual_min=45000, salary_annual_max=50000, salary_predicted=1,
                description="Hierarchical Condition Category (HCC) coding of outpatient charts. CRC required."),
        posting("p4", "demo_board", "Medical Coder - Multispecialty", "Kaveri Coding Pvt Ltd", "Chennai", "Tamil Nadu",
                "IN", "onsite", "pro-fee", "2026-11-02", _ts(now, days=10), experience_years_min=0,
                salary_currency="INR", salary_period="year", salary_annual_min=350000, salary_annual_max=500000,
                salary_text="3.5 - 5 LPA", description="Multispecialty E/M coding. CPC certified freshers welcome."),
        posting("p5", "demo_board", "Inpatient DRG Coder", "Kaveri Coding Pvt Ltd", "Hyderabad", "Telangana", "IN",
                "remote", "inpatient", "2026-11-18", _ts(now, days=2), experience_years_min=3, salary_currency="INR",
                salary_period="year", salary_annual_min=600000, salary_annual_max=800000, salary_text="6 - 8 LPA",
                description="IP DRG coding and APR-DRG validation. CCS required, CPC preferred."),
        posting("p6", "greenhouse:acme", XSS_TITLE, "Evil & Co \"'; DROP TABLE postings; --", "Houston", "TX", "US",
                "onsite", "general", "2026-11-25", _ts(now, days=1), experience_years_min=5,
                url="javascript:alert(3)", description=XSS_TEXT, attribution="<script>alert(1)</script>"),
        posting("p7", "greenhouse:acme", "Coding Auditor", "Summit Audit", "Denver", "CO", "US", "remote", "audit",
                "2026-09-10", _ts(now, days=60), closed_at=_ts(now, days=2), description="Audit coding. CPMA required."),
        posting("p8", "demo_board", "Clinical Data Abstractor", "Malabar Data", "Kochi", "Kerala", "IN", "onsite",
                "general", "2026-11-10", _ts(now, days=5), scope="review", description="Abstraction. CPC required."),
        posting("p9", "remotive", "Coding Specialist", "Old Clinic", "Tampa", "FL", "US", "onsite", "general",
                "2026-08-01", _ts(now, days=120), closed_at=_ts(now, days=30), description="Coding. CCS required."),
    ])

    def req(pid, skill, category, level, group=None, evidence=None):
        return {"posting_id": pid, "skill_id": skill, "category": category, "level": level, "alt_group": group,
                "evidence": evidence or f"{skill} {level}."}

    db["posting_requirements"].insert_all([
        req("p1", "CCS", "credential", "required", evidence="CCS required."),
        req("p1", "RHIT", "credential", "preferred", evidence="RHIT preferred."),
        req("p1", "ICD-10-CM", "code_set", "required"), req("p1", "ICD-10-PCS", "code_set", "required"),
        req("p1dup", "CCS", "credential", "required"),
        req("p2", "CPC", "credential", "required", 1, "CPC or COC required."),
        req("p2", "COC", "credential", "required", 1, "CPC or COC required."),
        req("p2", "CPT", "code_set", "required"), req("p2", "ICD-10-CM", "code_set", "required"),
        req("p3", "CRC", "credential", "required"), req("p3", "CPC", "credential", "preferred"),
        req("p3", "ICD-10-CM", "code_set", "required"), req("p3", "HCC", "code_set", "required"),
        req("p4", "CPC", "credential", "required"), req("p4", "CPC", "credential", "preferred"),
        req("p4", "CPT", "code_set", "required"), req("p4", "ICD-10-CM", "code_set", "required"),
        req("p5", "CCS", "credential", "required"), req("p5", "CPC", "credential", "preferred"),
        req("p5", "ICD-10-PCS", "code_set", "required"),
        req("p6", "CPC", "credential", "required", evidence="<script>alert(1)</script> CPC required."),
        req("p6", "ICD-10-CM", "code_set", "required"),
        req("p7", "CPMA", "credential", "required"),
        req("p8", "CPC", "credential", "required"),
        req("p9", "CCS", "credential", "required"),
    ])
    refresh_analytics(db)
    db.conn.close()
    return path


@pytest.fixture(scope="module")
def market_db(tmp_path_factory) -> Path:
    return build_market_db(tmp_path_factory.mktemp("market") / "medcoder.db")


class Client:
    """A started in-process Datasette for one database, reused across requests."""

    def __init__(self, db_path: Path):
        self.loop = asyncio.new_event_loop()
        self.ds = datasette_app(db_path)
        self.loop.run_until_complete(self.ds.invoke_startup())

    def get(self, path: str, **params):
        return self.loop.run_until_complete(self.ds.client.get(path, params=params or None))

    def rows(self, path: str, **params) -> list[dict]:
        response = self.get(path, _shape="objects", **params)
        assert response.status_code == 200, response.text
        return response.json()["rows"]


@pytest.fixture(scope="module")
def client(market_db):
    c = Client(market_db)
    yield c
    c.loop.close()


def assert_inert(html: str) -> None:
    for fragment in HOSTILE_FRAGMENTS:
        assert fragment not in html, fragment


def pick(rows, *cols):
    return [tuple(r[c] for c in cols) for r in rows]


# --- canned queries: each answers 200 with the expected rows ---

def test_every_canned_query_is_documented_and_answers(client, market_db):
    queries = metadata_for(market_db)["databases"]["medcoder"]["queries"]
    assert len(queries) == 12
    for name, query in queries.items():
        assert query.get("title") and query.get("description"), name
        assert not query.get("write"), f"{name}: serving is read-only"
        response = client.get(f"/medcoder/{name}")
        assert response.status_code == 200, (name, response.text[:500])
        assert "query-error" not in response.text and "<p class=\"message-error\">" not in response.text, name
        assert_inert(response.text)


def test_credentials_in_demand(client):
    rows = client.rows("/medcoder/credentials_in_demand.json")
    assert pick(rows, "country", "credential", "required", "preferred", "postings", "pct_of_open_jobs") == [
        ("IN", "CPC", 1, 1, 2, 100.0), ("IN", "CCS", 1, 0, 1, 50.0),
        ("US", "CPC", 2, 1, 3, 75.0), ("US", "CCS", 1, 0, 1, 25.0), ("US", "COC", 1, 0, 1, 25.0),
        ("US", "CRC", 1, 0, 1, 25.0), ("US", "RHIT", 0, 1, 1, 25.0),
    ]
    rows = client.rows("/medcoder/credentials_in_demand.json", country="US", role_family="inpatient")
    assert pick(rows, "credential", "required", "preferred", "pct_of_open_jobs") == [("CCS", 1, 0, 100.0), ("RHIT", 0, 1, 100.0)]


def test_code_sets_in_demand(client):
    rows = client.rows("/medcoder/code_sets_in_demand.json", country="US")
    assert pick(rows, "code_set", "required", "postings", "pct_of_open_jobs") == [
        ("ICD-10-CM", 4, 4, 100.0), ("CPT", 1, 1, 25.0), ("HCC", 1, 1, 25.0), ("ICD-10-PCS", 1, 1, 25.0)]


def test_demand_by_role_family(client):
    rows = client.rows("/medcoder/demand_by_role_family.json")
    assert pick(rows, "role_family", "open_jobs", "remote", "onsite", "stating_salary", "avg_years_asked") == [
        ("inpatient", 2, 2, 0, 2, 2.5), ("general", 1, 0, 1, 0, 5.0), ("outpatient", 1, 0, 1, 1, 1.0),
        ("pro-fee", 1, 0, 1, 1, 0.0), ("risk-adjustment", 1, 0, 0, 0, None)]
    assert [r["role_family"] for r in client.rows("/medcoder/demand_by_role_family.json", country="IN")] == ["inpatient", "pro-fee"]


def test_salary_by_credential_and_country(client):
    rows = client.rows("/medcoder/salary_by_credential_and_country.json", country="IN")
    assert pick(rows, "credential", "currency", "postings", "p25", "median", "p75", "lowest", "highest") == [
        ("CPC", "INR", 2, 493750, 562500, 631250, 425000, 700000), ("CCS", "INR", 1, 700000, 700000, 700000, 700000, 700000)]
    # A board-predicted salary (p3, CPC preferred) is not a stated one.
    rows = client.rows("/medcoder/salary_by_credential_and_country.json", country="US", credential="cpc")
    assert pick(rows, "credential", "currency", "postings", "median") == [("CPC", "USD", 1, 57200)]
    assert client.rows("/medcoder/salary_by_credential_and_country.json", min_postings="2") == [
        {**client.rows("/medcoder/salary_by_credential_and_country.json", country="IN")[0]}]


def test_experience_by_role_family(client):
    rows = client.rows("/medcoder/experience_by_role_family.json")
    assert pick(rows, "role_family", "open_jobs", "stating_experience", "avg_years", "under 1 year", "1-2 years",
                "3-4 years", "5+ years") == [
        ("inpatient", 2, 2, 2.5, 0, 1, 1, 0), ("general", 1, 1, 5.0, 0, 0, 0, 1), ("outpatient", 1, 1, 1.0, 0, 1, 0, 0),
        ("pro-fee", 1, 1, 0.0, 1, 0, 0, 0), ("risk-adjustment", 1, 0, None, None, None, None, None)]


def test_employers_hiring_most(client):
    rows = client.rows("/medcoder/employers_hiring_most.json")
    assert pick(rows, "employer", "open_jobs")[0] == ("Kaveri Coding Pvt Ltd", 2)
    assert len(rows) == 5  # six open jobs, Kaveri has two
    assert pick(client.rows("/medcoder/employers_hiring_most.json", country="IN"), "employer", "open_jobs", "regions") == [
        ("Kaveri Coding Pvt Ltd", 2, 2)]


def test_postings_requiring_credential_in_region(client):
    rows = client.rows("/medcoder/postings_requiring_credential_in_region.json", credential="cpc", region="tx")
    assert pick(rows, "posting_id", "level", "alt_group") == [("p6", "required", None), ("p2", "required", 1)]
    rows = client.rows("/medcoder/postings_requiring_credential_in_region.json", credential="CPC", region="Tamil Nadu")
    assert pick(rows, "posting_id", "title", "level") == [("p4", "Medical Coder - Multispecialty", "required")]
    # Query results link each posting to its page.
    html = client.get("/medcoder/postings_requiring_credential_in_region", credential="CPC", region="Tamil Nadu").text
    assert '<a href="/medcoder/postings/p4">p4</a>' in html


def test_demand_trend_by_month(client):
    rows = client.rows("/medcoder/demand_trend_by_month.json")
    assert pick(rows, "month", "posted", "still_open", "asking_for_credential") == [
        ("2026-08", 1, 0, None), ("2026-09", 1, 0, None), ("2026-10", 2, 2, None), ("2026-11", 4, 4, None)]
    rows = client.rows("/medcoder/demand_trend_by_month.json", credential="ccs")
    assert pick(rows, "month", "asking_for_credential") == [("2026-08", 1), ("2026-09", 0), ("2026-10", 1), ("2026-11", 1)]


def test_requirements_together(client):
    rows = client.rows("/medcoder/requirements_together.json")
    assert pick(rows, "skill_a", "skill_b", "together", "pct_of_a_jobs", "pct_of_b_jobs") == [
        ("CPC", "ICD-10-CM", 4, 80.0, 80.0), ("CCS", "ICD-10-PCS", 2, 100.0, 100.0),
        ("CPC", "CPT", 2, 40.0, 100.0), ("CPT", "ICD-10-CM", 2, 100.0, 40.0)]
    rows = client.rows("/medcoder/requirements_together.json", skill="cpc", country="IN", min_together="1")
    assert pick(rows, "skill_a", "skill_b", "together", "pct_of_a_jobs", "pct_of_b_jobs") == [
        ("CCS", "CPC", 1, 100.0, 50.0), ("CPC", "CPT", 1, 50.0, 100.0), ("CPC", "ICD-10-CM", 1, 50.0, 100.0),
        ("CPC", "ICD-10-PCS", 1, 50.0, 100.0)]


def test_new_and_closed_this_week(client):
    rows = client.rows("/medcoder/new_and_closed_this_week.json")
    assert pick(rows, "change", "posting_id") == [("new", "p6"), ("new", "p5"), ("closed", "p7"), ("new", "p2")]
    assert pick(client.rows("/medcoder/new_and_closed_this_week.json", change="closed"), "posting_id") == [("p7",)]
    since = (datetime.now(UTC) - timedelta(days=12)).date().isoformat()
    assert [r["posting_id"] for r in client.rows("/medcoder/new_and_closed_this_week.json", since=since, country="IN")] == ["p5", "p4"]


def test_crawl_health(client):
    rows = client.rows("/medcoder/crawl_health.json")
    assert pick(rows, "source_id", "last_status", "runs_30d", "failed_30d", "partial_30d", "open_jobs") == [
        ("usajobs", None, 0, 0, 0, 0), ("remotive", "failed", 2, 1, 0, 1), ("demo_board", "partial", 1, 0, 1, 2),
        ("greenhouse:acme", "ok", 2, 1, 0, 3)]
    assert rows[-1]["hours_since_success"] == pytest.approx(2.0, abs=0.1)


def test_search_postings_highlights_and_escapes(client):
    rows = client.rows("/medcoder/search_postings.json", q="hierarchical")
    assert [r["posting_id"] for r in rows] == ["p3"]
    html = client.get("/medcoder/search_postings", q="hierarchical condition").text
    assert "<mark>Hierarchical</mark> <mark>Condition</mark>" in html
    html = client.get("/medcoder/search_postings", q="DROP TABLE").text
    assert '<a href="/medcoder/postings/p6">p6</a>' in html and "<mark>DROP</mark>" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert_inert(html)
    # An empty search, or one full of FTS syntax, answers with no rows rather than an error.
    assert client.rows("/medcoder/search_postings.json", q="") == []
    assert client.rows("/medcoder/search_postings.json", q='"unbalanced AND (') == []


# --- tables: facets, search, sort, labels ---

def facet_counts(client, path, facet, **params):
    response = client.get(path, _size="0", **params)
    assert response.status_code == 200
    data = response.json()
    assert not data.get("facets_timed_out")
    return {r["value"]: r["count"] for r in data["facet_results"][facet]["results"]}


def test_market_postings_facets(client):
    path = "/medcoder/market_postings.json"
    assert facet_counts(client, path, "country") == {"US": 4, "IN": 2}
    assert facet_counts(client, path, "remote") == {"onsite": 3, "remote": 2, "hybrid": 1}
    assert facet_counts(client, path, "salary_band") == {
        "not stated": 2, "INR 4-6 LPA": 1, "INR 6-10 LPA": 1, "USD 50-60k": 1, "USD 60-75k": 1}
    assert facet_counts(client, path, "region", country="IN") == {"Tamil Nadu": 1, "Telangana": 1}
    assert facet_counts(client, path, "employer") == {
        "Kaveri Coding Pvt Ltd": 2, "Acme Health": 1, "Bluebonnet Clinic": 1, "Evil & Co \"'; DROP TABLE postings; --": 1,
        "Harbor Health": 1}
    assert facet_counts(client, path, "source_id")["greenhouse:acme"] == 3
    assert set(facet_counts(client, path, "role_family")) == {"inpatient", "outpatient", "risk-adjustment", "pro-fee", "general"}


def test_market_requirements_credential_and_level_facets(client):
    path = "/medcoder/market_requirements.json"
    assert facet_counts(client, path, "skill_id", category="credential") == {"CPC": 5, "CCS": 2, "COC": 1, "CRC": 1, "RHIT": 1}
    # p4 lists CPC as required and again as preferred: it counts once, as required.
    assert facet_counts(client, path, "level", skill_id="CPC") == {"required": 3, "preferred": 2}


def test_market_postings_sorted_newest_first_with_labels(client):
    rows = client.rows("/medcoder/market_postings.json", _labels="on")
    assert [r["posting"]["value"] for r in rows] == ["p6", "p2", "p5", "p4", "p3", "p1"]
    assert rows[-1]["posting"]["label"] == "Inpatient Coder II"
    assert rows[0]["source_id"] == {"value": "greenhouse:acme", "label": "Acme Health careers"}
    assert rows[-1]["credentials_required"] == '["CCS"]' and rows[-1]["code_sets"] == '["ICD-10-CM","ICD-10-PCS"]'


def test_full_text_search_on_market_and_postings(client):
    assert [r["posting"] for r in client.rows("/medcoder/market_postings.json", _search="hierarchical")] == ["p3"]
    # Duplicates and closed postings are searchable in the raw table, not in the market.
    assert sorted(r["id"] for r in client.rows("/medcoder/postings.json", _search="ICD-10-PCS")) == ["p1", "p1dup"]
    assert [r["posting"] for r in client.rows("/medcoder/market_postings.json", _search="ICD-10-PCS")] == ["p1"]
    assert [r["posting"] for r in client.rows("/medcoder/market_postings.json", _search="drop table",
                                              credentials_required__arraycontains="CPC")] == ["p6"]


# --- pages ---

def test_home_page_says_what_how_fresh_and_where_to_start(client, market_db):
    html = client.get("/").text
    assert "job market for medical coders" in html
    assert '<strong>6</strong> open jobs' in html
    freshness = html.split('id="medcoder-freshness"', 1)[1].split("</table>", 1)[0]
    names = [part.split("</a>", 1)[0].rsplit(">", 1)[1] for part in freshness.split('<td><a href="')[1:]]
    assert names == ["Acme Health careers", "medcoder demo board", "Remotive", "USAJOBS"]
    assert "2 hours ago" in freshness and "3 days ago" in freshness and "10 days ago" in freshness and "never" in freshness
    meta = metadata_for(market_db)
    for name in meta["databases"]["medcoder"]["queries"]:
        assert f'href="/medcoder/{name}"' in html
    for slug in meta["plugins"]["datasette-dashboards"]:
        assert f'href="/-/dashboards/{slug}"' in html
    assert 'action="/medcoder/search_postings"' in html and 'href="/medcoder/market_postings"' in html
    assert_inert(html)


def test_posting_page_shows_requirements_duplicates_and_attribution(client):
    html = client.get("/medcoder/postings/p1").text
    requirements = html.split('id="medcoder-requirements"', 1)[1].split("</table>", 1)[0]
    assert requirements.index(">CCS<") < requirements.index(">ICD-10-CM<") < requirements.index(">RHIT<")
    assert "CCS required." in requirements and "RHIT preferred." in requirements
    assert 'class="medcoder-level-preferred">preferred' in requirements
    duplicates = html.split('id="medcoder-duplicates"', 1)[1].split("</table>", 1)[0]
    assert 'href="/medcoder/postings/p1dup"' in duplicates and "Remotive" in duplicates
    attribution = html.split('id="medcoder-attribution"', 1)[1].split("</p>", 1)[0]
    assert "Posted on Acme Health careers" in attribution and "Jobs via Acme&#39;s Greenhouse board" in attribution
    assert 'href="https://jobs.example/p1"' in attribution
    # The duplicate's page points back to the listing the market counts.
    html = client.get("/medcoder/postings/p1dup").text
    assert 'href="/medcoder/postings/p1">another listing of it' in html
    html = client.get("/medcoder/postings/p2").text
    assert "any one of group 1" in html and "No other source lists this job." in html


def test_hostile_posting_text_is_inert_everywhere(client):
    pages = ["/", "/medcoder", "/medcoder/postings", "/medcoder/postings/p6", "/medcoder/market_postings",
             "/medcoder/market_requirements", "/medcoder/posting_requirements", "/medcoder/postings?_search=drop",
             "/medcoder/market_postings?_search=script", "/-/dashboards"]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        assert_inert(response.text)
    html = client.get("/medcoder/postings/p6").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Coder &lt;b&gt;bold&lt;/b&gt;" in html
    assert "Original address: javascript:alert(3)" in html  # shown, never a link
    # The SQL-looking text was data, never executed.
    assert client.rows("/medcoder.json", sql="select count(*) as n from postings") == [{"n": 10}]


# --- serving: read-only, robots blocked, SQL box bounded ---

READ_ONLY_PLUGINS = {"datasette-dashboards", "datasette-block-robots", "datasette-leaflet", "datasette-render-markdown",
                     "medcoder_pages.py"}


def test_serving_is_read_only_with_robots_blocked(client):
    plugins = {p["name"] for p in client.get("/-/plugins.json").json()}
    assert plugins <= READ_ONLY_PLUGINS and {"datasette-dashboards", "datasette-block-robots", "medcoder_pages.py"} <= plugins
    assert client.get("/robots.txt").text.splitlines() == ["User-agent: *", "Disallow: /"]
    response = client.get("/medcoder.json", sql="delete from postings")
    assert response.status_code == 400 and "Statement must be a SELECT" in response.text
    assert client.rows("/medcoder.json", sql="select count(*) as n from postings") == [{"n": 10}]
    settings = client.get("/-/settings.json").json()
    assert settings["sql_time_limit_ms"] == SETTINGS["sql_time_limit_ms"] == 3000
    # The SQL box is still there for power users.
    assert '<textarea id="sql-editor" name="sql"' in client.get("/medcoder").text


def test_metadata_follows_a_renamed_database(market_db, tmp_path):
    other = tmp_path / "market-2026.db"
    with sqlite3.connect(market_db) as src, sqlite3.connect(other) as dst:
        src.backup(dst)
    c = Client(other)
    try:
        assert c.get("/market-2026/credentials_in_demand").status_code == 200
        assert c.rows("/market-2026/market_postings.json", country="IN") != []
        meta = c.get("/-/metadata.json").json()
        charts = [ch for d in meta["plugins"]["datasette-dashboards"].values() for ch in d["charts"].values()]
        assert {ch["db"] for ch in charts} == {"market-2026"}
        assert 'href="/market-2026/market_postings"' in c.get("/").text
    finally:
        c.loop.close()


def test_home_page_before_the_first_analysis(tmp_path):
    path = tmp_path / "medcoder.db"
    db = sqlite_utils.Database(path)
    migrate(db)
    db.conn.close()
    c = Client(path)
    try:
        response = c.get("/")
        assert response.status_code == 200
        assert "Market figures have not been built yet" in response.text
        assert "No source has been crawled yet." in response.text
    finally:
        c.loop.close()


def test_serve_command_is_loopback_read_only_and_configured(market_db):
    cmd = datasette_command(market_db)
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1"
    assert Path(cmd[cmd.index("--plugins-dir") + 1]).joinpath("medcoder_pages.py").is_file()
    assert Path(cmd[cmd.index("--template-dir") + 1]).joinpath("row.html").is_file()
    settings = {cmd[i + 1]: cmd[i + 2] for i, word in enumerate(cmd) if word == "--setting"}
    assert settings == {"sql_time_limit_ms": "3000", "facet_time_limit_ms": "1000", "suggest_facets": "off"}
    assert "-i" not in cmd and "--immutable" not in cmd  # the crawler keeps writing while Datasette reads


def test_every_question_and_chart_answers_on_a_real_crawl(demo_crawl, tmp_path):
    from datasette_dashboards import replace_opts_in_query

    path = tmp_path / "medcoder.db"
    with sqlite3.connect(demo_crawl.db_path) as src, sqlite3.connect(path) as dst:
        src.backup(dst)
    with sqlite3.connect(path) as conn:
        counts = refresh_analytics(sqlite_utils.Database(conn))
    assert counts["market_postings"] == 64 and counts["market_requirements"] > 64 * 3
    c = Client(path)
    try:
        meta = metadata_for(path)
        for name in meta["databases"]["medcoder"]["queries"]:
            response = c.get(f"/medcoder/{name}.json", _shape="objects")
            assert response.status_code == 200 and response.json()["ok"], name
        for slug, dashboard in meta["plugins"]["datasette-dashboards"].items():
            for chart_slug, chart in dashboard["charts"].items():
                rows = c.rows("/medcoder.json", sql=replace_opts_in_query(chart["query"], {}))
                assert rows, (slug, chart_slug)
        assert "<strong>64</strong> open jobs" in c.get("/").text
    finally:
        c.loop.close()
