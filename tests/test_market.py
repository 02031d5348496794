"""The market view (`medcoder market`): one crafted database whose every figure is worked out by hand."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlite_utils
from typer.testing import CliRunner

from analysis.market import market_report, parse_day
from analysis.report import render_market
from medcoder.cli import app
from medcoder.db import migrate
from tests.browser import browser_page

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
MEDCODER = Path(sys.executable).with_name("medcoder")
NOW = datetime(2025, 4, 15, 12, 0, tzinfo=UTC)
XSS = "<img src=x onerror=alert(1)>"

# id   country remote  family            first seen  closed      exp  education    pay (annual)          employer
# M01  US      remote  outpatient        2025-01-10              2    high_school  USD 50-60k   55000   Acme Health
# M02  US      onsite  inpatient         2025-02-05              3ip  associate    USD 70-80k   75000   Acme Health
# M03  US      hybrid  pro-fee           2025-02-20              1    -            USD 60k predicted    Bay Clinic
# M04  US      remote  risk-adjustment   2025-03-01              0    high_school  -                    (none)
# M05  IN      onsite  general           2025-03-03              0    bachelor     INR 3-4L     350000  Kaveri Health
# M06  IN      remote  outpatient        2025-03-10              1.5  bachelor     INR -5L      500000  Kaveri Health
# M07  IN      hybrid  inpatient         2025-04-01              5    bachelor     INR 6-8L     700000  Deccan RCM <img ...>
# M08  US      -       outpatient        2025-04-10              -    certificate  USD 40-50k   45000   Bay Clinic
# C01  US      remote  outpatient        2025-01-05  2025-02-14  1    high_school  USD 48-52k   50000   Acme Health
# C02  IN      onsite  general           2024-12-20  2025-03-31  1    bachelor     -                    Kaveri Health
# D01  duplicate of M01 (not the representative); R01 out of scope ("review"): counted nowhere.
#
# Requirements (credential groups share a number):
# M01 CPC|CCS required; CPT, ICD-10-CM required     M05 CPC|CPC-A required; ICD-10-CM required
# M02 CCS required, CPC preferred; ICD-10-PCS, ICD-10-CM required
#                                                   M06 AAPC_ANY required; CPT preferred
# M03 CPC required and again preferred; CPT required, E/M preferred
#                                                   M07 CCS required, CIC preferred; ICD-10-PCS required
# M04 CRC required within 12 months; HCC required   M08 ICD-10-CM required
# C01 CPC required; C02 CPC required; D01 CIC required; R01 CIC required
POSTINGS = [
    ("M01", "US", "remote", "outpatient", "2025-01-10", None, 2, None, "high_school", 50000, 60000, "USD", 0, "Acme Health"),
    ("M02", "US", "onsite", "inpatient", "2025-02-05", None, 3, "inpatient", "associate", 70000, 80000, "USD", 0, "Acme Health"),
    ("M03", "US", "hybrid", "pro-fee", "2025-02-20", None, 1, None, None, 60000, 60000, "USD", 1, "Bay Clinic"),
    ("M04", "US", "remote", "risk-adjustment", "2025-03-01", None, 0, None, "high_school", None, None, None, 0, None),
    ("M05", "IN", "onsite", "general", "2025-03-03", None, 0, None, "bachelor", 300000, 400000, "INR", 0, "Kaveri Health"),
    ("M06", "IN", "remote", "outpatient", "2025-03-10", None, 1.5, None, "bachelor", None, 500000, "INR", 0, "Kaveri Health"),
    ("M07", "IN", "hybrid", "inpatient", "2025-04-01", None, 5, None, "bachelor", 600000, 800000, "INR", 0, f"Deccan RCM {XSS}"),
    ("M08", "US", None, "outpatient", "2025-04-10", None, None, None, "certificate", 40000, 50000, "USD", 0, "Bay Clinic"),
    ("C01", "US", "remote", "outpatient", "2025-01-05", "2025-02-14", 1, None, "high_school", 48000, 52000, "USD", 0, "Acme Health"),
    ("C02", "IN", "onsite", "general", "2024-12-20", "2025-03-31", 1, None, "bachelor", None, None, None, 0, "Kaveri Health"),
    ("D01", "US", "remote", "outpatient", "2025-01-11", None, 2, None, "high_school", 50000, 60000, "USD", 0, "Acme Health"),
    ("R01", "US", "remote", "outpatient", "2025-03-05", None, 2, None, None, None, None, None, 0, "Review Co"),
]
REQUIREMENTS = [
    ("M01", "CPC", "credential", "required", 1, None), ("M01", "CCS", "credential", "required", 1, None),
    ("M01", "CPT", "code_set", "required", None, None), ("M01", "ICD-10-CM", "code_set", "required", None, None),
    ("M02", "CCS", "credential", "required", None, None), ("M02", "CPC", "credential", "preferred", None, None),
    ("M02", "ICD-10-PCS", "code_set", "required", None, None), ("M02", "ICD-10-CM", "code_set", "required", None, None),
    ("M03", "CPC", "credential", "required", None, None), ("M03", "CPC", "credential", "preferred", None, None),
    ("M03", "CPT", "code_set", "required", None, None), ("M03", "E/M", "code_set", "preferred", None, None),
    ("M04", "CRC", "credential", "required", None, 12), ("M04", "HCC", "code_set", "required", None, None),
    ("M05", "CPC", "credential", "required", 1, None), ("M05", "CPC-A", "credential", "required", 1, None),
    ("M05", "ICD-10-CM", "code_set", "required", None, None),
    ("M06", "AAPC_ANY", "credential", "required", None, None), ("M06", "CPT", "code_set", "preferred", None, None),
    ("M07", "CCS", "credential", "required", None, None), ("M07", "CIC", "credential", "preferred", None, None),
    ("M07", "ICD-10-PCS", "code_set", "required", None, None),
    ("M08", "ICD-10-CM", "code_set", "required", None, None),
    ("C01", "CPC", "credential", "required", None, None), ("C02", "CPC", "credential", "required", None, None),
    ("D01", "CIC", "credential", "required", None, None), ("R01", "CIC", "credential", "required", None, None),
]


def build(db: sqlite_utils.Database) -> sqlite_utils.Database:
    migrate(db)
    db["sources"].insert_all([{"id": "board_us", "name": "US board", "country": "US"}, {"id": "board_in", "name": "IN board", "country": "IN"}],
                             pk="id")
    rows = []
    for (pid, country, remote, family, first, closed, years, setting, edu, lo, hi, cur, predicted, employer) in POSTINGS:
        rows.append({
            "id": pid, "source_id": f"board_{country.lower()}", "url": f"https://example.test/{pid}", "title": f"Coder {pid}",
            "employer": employer, "location_text": "Somewhere", "country": country, "remote": remote, "role_family": family,
            "posted_at": first, "first_seen": f"{first}T09:00:00+00:00", "last_seen": f"{first}T09:00:00+00:00",
            "closed_at": f"{closed}T06:00:00+00:00" if closed else None, "experience_years_min": years, "experience_setting": setting,
            "education_min": edu, "salary_annual_min": lo, "salary_annual_max": hi, "salary_currency": cur, "salary_predicted": predicted,
            "scope": "review" if pid == "R01" else "in", "cluster_id": "M01" if pid == "D01" else pid,
            "is_representative": 0 if pid == "D01" else 1,
        })
    db["postings"].insert_all(rows, pk="id")
    db["posting_requirements"].insert_all(
        [{"posting_id": p, "skill_id": s, "category": c, "level": lv, "alt_group": g, "within_months": w} for p, s, c, lv, g, w in REQUIREMENTS],
        pk="id")
    return db


@pytest.fixture
def market_db() -> sqlite_utils.Database:
    return build(sqlite_utils.Database(sqlite3.connect(":memory:")))


def test_market_report_on_the_crafted_database(market_db):
    r = market_report(market_db, now=NOW)
    assert r["report_version"] == 1
    assert r["generated_at"] == "2025-04-15T12:00:00+00:00"
    assert r["filters"] == {"country": None, "remote_only": False, "since_days": None, "role_family": None, "as_of": None}
    assert r["postings_considered"] == 8
    assert r["sources"] == ["board_in", "board_us"]
    assert r["date_window"] == {"first": "2025-01-10", "last": "2025-04-10"}

    c = r["credentials"]
    # M01..M07 require a credential; M08 names none.
    assert (c["postings"], c["requiring_any"], c["requiring_any_share"], c["naming_any"]) == (8, 7, 0.875, 7)
    # CPC: required by M01 (in a group), M03 (twice, counted once) and M05 (in a group), preferred by M02.
    # "Holder fits": a CPC meets M01 (CPC|CCS), M03, M05 (CPC|CPC-A), M06 (AAPC_ANY): 4; a CCS M01, M02, M07;
    # a CRC M04 (within 12 months) and M06; a CPC-A M05 and M06; a CIC only M06 (its M07 mention is preferred).
    assert [(i["id"], i["postings"], i["required"], i["preferred"], i["share"], i["required_share"], i["after_hire"], i["accepted_for"])
            for i in c["items"]] == [
        ("CPC", 4, 3, 1, 0.5, 0.375, 0, 4),
        ("CCS", 3, 3, 0, 0.375, 0.375, 0, 3),
        ("AAPC_ANY", 1, 1, 0, 0.125, 0.125, 0, None),
        ("CPC-A", 1, 1, 0, 0.125, 0.125, 0, 2),
        ("CRC", 1, 1, 0, 0.125, 0.125, 1, 2),
        ("CIC", 1, 0, 1, 0.125, 0.0, 0, 1),
    ]
    assert c["items"][0]["name"] == "Certified Professional Coder"
    # As written, alternatives once per posting: "CCS" alone in M02 and M07; "CPC" required in M03, preferred in M02.
    assert [(g["label"], g["postings"], g["required"], g["preferred"], g["share"]) for g in c["groups"]] == [
        ("CCS", 2, 2, 0, 0.25), ("CPC", 2, 1, 1, 0.25), ("AAPC_ANY", 1, 1, 0, 0.125), ("CCS or CPC", 1, 1, 0, 0.125),
        ("CPC or CPC-A", 1, 1, 0, 0.125), ("CRC", 1, 1, 0, 0.125), ("CIC", 1, 0, 1, 0.125)]
    assert c["groups"][3]["ids"] == ["CCS", "CPC"]

    assert r["code_sets"]["postings"] == 8
    assert [(i["id"], i["postings"], i["required"], i["preferred"], i["share"]) for i in r["code_sets"]["items"]] == [
        ("ICD-10-CM", 4, 4, 0, 0.5), ("CPT", 3, 2, 1, 0.375), ("ICD-10-PCS", 2, 2, 0, 0.25), ("HCC", 1, 1, 0, 0.125),
        ("E/M", 1, 0, 1, 0.125)]

    # Minimum years asked: 2, 3, 1, 0, 0, 1.5, 5 (M08 states none): median 1.5.
    e = r["experience"]
    assert (e["postings"], e["stating"], e["median_years"]) == (8, 7, 1.5)
    assert e["buckets"] == {"0": 2, "<1": 0, "1-2": 2, "2-3": 1, "3-5": 1, "5+": 1}
    assert e["by_role_family"] == [
        {"role_family": "outpatient", "postings": 3, "stating": 2, "median_years": 1.75,
         "buckets": {"0": 0, "<1": 0, "1-2": 1, "2-3": 1, "3-5": 0, "5+": 0}},
        {"role_family": "inpatient", "postings": 2, "stating": 2, "median_years": 4.0,
         "buckets": {"0": 0, "<1": 0, "1-2": 0, "2-3": 0, "3-5": 1, "5+": 1}},
        {"role_family": "general", "postings": 1, "stating": 1, "median_years": 0.0,
         "buckets": {"0": 1, "<1": 0, "1-2": 0, "2-3": 0, "3-5": 0, "5+": 0}},
        {"role_family": "pro-fee", "postings": 1, "stating": 1, "median_years": 1.0,
         "buckets": {"0": 0, "<1": 0, "1-2": 1, "2-3": 0, "3-5": 0, "5+": 0}},
        {"role_family": "risk-adjustment", "postings": 1, "stating": 1, "median_years": 0.0,
         "buckets": {"0": 1, "<1": 0, "1-2": 0, "2-3": 0, "3-5": 0, "5+": 0}},
    ]

    assert r["education"] == {"postings": 8, "stating": 7, "levels": [
        {"level": "high_school", "postings": 2, "share": 0.25}, {"level": "certificate", "postings": 1, "share": 0.125},
        {"level": "associate", "postings": 1, "share": 0.125}, {"level": "bachelor", "postings": 3, "share": 0.375},
        {"level": "master", "postings": 0, "share": 0.0}, {"level": None, "postings": 1, "share": 0.125}]}
    assert r["work_mode"] == {"postings": 8, "stating": 7, "modes": [
        {"mode": "remote", "postings": 3, "share": 0.375}, {"mode": "hybrid", "postings": 2, "share": 0.25},
        {"mode": "onsite", "postings": 2, "share": 0.25}, {"mode": None, "postings": 1, "share": 0.125}]}

    # Pay: USD 45000, 55000, 75000 (M03's 60000 was predicted by a board: left out); INR 350000, 500000, 700000.
    # Inclusive quartiles of three values: halfway between the first two and between the last two.
    s = r["salaries"]
    assert (s["postings"], s["stating"], s["predicted_excluded"]) == (8, 6, 1)
    assert s["by_currency"] == [
        {"currency": "INR", "postings": 3, "median_annual": 500000, "p25_annual": 425000, "p75_annual": 600000},
        {"currency": "USD", "postings": 3, "median_annual": 55000, "p25_annual": 50000, "p75_annual": 65000}]
    # Per credential named: USD CPC and CCS in M01 (55000) and M02 (75000); INR one posting each.
    assert [(x["id"], x["currency"], x["postings"], x["median_annual"]) for x in s["by_credential"]] == [
        ("AAPC_ANY", "INR", 1, 500000), ("CCS", "INR", 1, 700000), ("CIC", "INR", 1, 700000), ("CPC", "INR", 1, 350000),
        ("CPC-A", "INR", 1, 350000), ("CCS", "USD", 2, 65000), ("CPC", "USD", 2, 65000)]
    assert s["by_credential"][-1] == {"id": "CPC", "currency": "USD", "postings": 2, "median_annual": 65000, "p25_annual": 60000,
                                      "p75_annual": 70000}

    # Trend: M01..M08, C01, C02 (D01 is a duplicate, R01 out of scope). First seen: Dec C02; Jan C01 M01; Feb M02 M03;
    # Mar M04 M05 M06; Apr M07 M08. Open at month end: Dec C02; Jan C02 C01 M01; Feb C02 M01 M02 M03 (C01 closed 14 Feb);
    # Mar M01..M06 (C02 closed on 31 Mar itself); Apr, on the report's day, M01..M08.
    assert r["trend"] == {"postings": 10, "months": [
        {"month": "2024-12", "first_seen": 1, "open_at": "2024-12-31", "open": 1},
        {"month": "2025-01", "first_seen": 2, "open_at": "2025-01-31", "open": 3},
        {"month": "2025-02", "first_seen": 2, "open_at": "2025-02-28", "open": 4},
        {"month": "2025-03", "first_seen": 3, "open_at": "2025-03-31", "open": 6},
        {"month": "2025-04", "first_seen": 2, "open_at": "2025-04-15", "open": 8}]}

    assert r["employers"] == {"postings": 8, "stating": 7, "employers": 4, "top": [
        {"employer": "Acme Health", "postings": 2, "share": 0.25}, {"employer": "Bay Clinic", "postings": 2, "share": 0.25},
        {"employer": "Kaveri Health", "postings": 2, "share": 0.25}, {"employer": f"Deccan RCM {XSS}", "postings": 1, "share": 0.125}]}


def test_market_report_as_of_a_past_day(market_db):
    # Open on 2025-02-28: C02 (closed 31 Mar), M01, M02, M03; C01 closed on 14 Feb.
    r = market_report(market_db, as_of="2025-02-28", now=NOW)
    assert r["filters"]["as_of"] == "2025-02-28"
    assert r["postings_considered"] == 4
    assert r["date_window"] == {"first": "2024-12-20", "last": "2025-02-20"}
    assert [(i["id"], i["postings"], i["required"], i["preferred"]) for i in r["credentials"]["items"]] == [
        ("CPC", 4, 3, 1), ("CCS", 2, 2, 0)]
    assert [(m["month"], m["first_seen"], m["open"]) for m in r["trend"]["months"]] == [
        ("2024-12", 1, 1), ("2025-01", 2, 3), ("2025-02", 2, 4)]
    assert r["trend"]["postings"] == 5
    # --since counts back from the as-of day: 30 days before 2025-03-31 is 2025-03-01 -> M04, M05, M06.
    r = market_report(market_db, as_of="2025-03-31", since_days=30, now=NOW)
    assert sorted(e["employer"] for e in r["employers"]["top"]) == ["Kaveri Health"]
    assert (r["postings_considered"], r["employers"]["stating"], r["trend"]["postings"]) == (3, 2, 3)


def test_market_report_filters(market_db):
    india = market_report(market_db, country="in", now=NOW)
    assert (india["filters"]["country"], india["postings_considered"], india["sources"]) == ("IN", 3, ["board_in"])
    assert [(x["currency"], x["median_annual"]) for x in india["salaries"]["by_currency"]] == [("INR", 500000)]
    assert [(m["month"], m["first_seen"], m["open"]) for m in india["trend"]["months"]] == [
        ("2024-12", 1, 1), ("2025-01", 0, 1), ("2025-02", 0, 1), ("2025-03", 2, 2), ("2025-04", 1, 3)]
    remote = market_report(market_db, remote_only=True, now=NOW)
    assert [i["id"] for i in remote["credentials"]["items"]] == ["AAPC_ANY", "CCS", "CPC", "CRC"]
    assert remote["work_mode"]["modes"][0] == {"mode": "remote", "postings": 3, "share": 1.0}
    inpatient = market_report(market_db, role_family="inpatient", now=NOW)
    assert [r["role_family"] for r in inpatient["experience"]["by_role_family"]] == ["inpatient"]
    # 30 days before 2025-04-15 is 2025-03-16: M07 and M08.
    recent = market_report(market_db, since_days=30, now=NOW)
    assert (recent["postings_considered"], recent["filters"]["since_days"]) == (2, 30)
    assert [m["month"] for m in recent["trend"]["months"]] == ["2025-04"]


def test_market_report_on_an_empty_database(fresh_db):
    r = market_report(fresh_db, now=NOW)
    assert r["postings_considered"] == 0
    assert r["credentials"] == {"postings": 0, "requiring_any": 0, "requiring_any_share": 0.0, "naming_any": 0, "items": [], "groups": []}
    assert r["salaries"]["by_currency"] == [] and r["employers"]["top"] == []
    assert r["trend"]["postings"] == 0 and len(r["trend"]["months"]) == 24
    assert r["experience"]["median_years"] is None
    for fmt in ("html", "md", "json"):
        assert render_market(r, fmt)
    assert "No posting in this selection states pay." in render_market(r, "md")


def test_a_bad_as_of_day_is_refused():
    assert parse_day("2025-03-31") == "2025-03-31"
    for bad in ("31/03/2025", "2025-02-30", "yesterday", "2025-03-31' or 1=1 --"):
        with pytest.raises(ValueError, match="is not a date; write it as YYYY-MM-DD"):
            parse_day(bad)


# --- the documented JSON --------------------------------------------------------------


def documented_market_keys() -> set[str]:
    text = (ROOT / "docs" / "gap-report.md").read_text(encoding="utf-8")
    section = text.split("## `medcoder market`", 1)[1]
    return set(re.findall(r"`([a-z_0-9<>+\-]+)`", section))


def test_every_market_json_key_is_documented(market_db):
    r = json.loads(render_market(market_report(market_db, now=NOW), "json"))
    keys = set(r)
    for section in ("filters", "date_window", "credentials", "code_sets", "experience", "education", "work_mode", "salaries", "trend",
                    "employers"):
        keys |= set(r[section])
    for rows in (r["credentials"]["items"], r["credentials"]["groups"], r["code_sets"]["items"], r["experience"]["by_role_family"],
                 r["education"]["levels"], r["work_mode"]["modes"], r["salaries"]["by_currency"], r["salaries"]["by_credential"],
                 r["trend"]["months"], r["employers"]["top"]):
        keys |= set(rows[0])
    keys |= set(r["experience"]["buckets"])
    missing = keys - documented_market_keys()
    assert not missing, f"undocumented in docs/gap-report.md: {sorted(missing)}"


# --- rendering ------------------------------------------------------------------------


def test_render_market_markdown(market_db):
    md = render_market(market_report(market_db, now=NOW), "md")
    assert md.startswith("# Medical-coding job market\n\n8 open, in-scope postings (board_in, board_us; posted 2025-01-10 to 2025-04-10; "
                         "filters: none).")
    assert "7 of 8 postings (88%) require a credential; 7 name one." in md
    assert "| CPC | 4 | 3 | 1 | 50% | 0 | 4 |" in md
    assert "| AAPC_ANY | 1 | 1 | 0 | 12% | 0 |  |" in md
    assert "| outpatient | 3 | 2 | 1.75 | 0 | 0 | 1 | 1 | 0 | 0 |" in md
    assert "- USD: median $55,000 (middle half $50,000 to $65,000), 3 postings" in md
    assert "- INR: median ₹5.0 L (middle half ₹4.2 L to ₹6.0 L), 3 postings" in md
    assert "6 of 8 postings state pay (annualised midpoints; left out as predicted by a job board: 1)." in md
    assert "| 2025-03 | 3 | 6 (on 2025-03-31) |" in md
    assert "| Deccan RCM \\<img src=x onerror=alert(1)\\> | 1 | 12% |" in md
    as_of = render_market(market_report(market_db, as_of="2025-02-28", country="US", now=NOW), "md")
    assert "filters: open on 2025-02-28; country US)" in as_of


def test_render_market_html_escapes_and_has_the_charts(market_db):
    html = render_market(market_report(market_db, now=NOW), "html")
    assert html.startswith("<!doctype html>")
    assert XSS not in html and "Deccan RCM &lt;img src=x onerror=alert(1)&gt;" in html
    assert re.search(r'<span title="Certified Professional Coder">CPC</span><div class="track"><div class="fill required" '
                     r'style="width: 37.5%"></div><div class="fill preferred" style="width: 12.5%"></div></div><span class="n">4</span>', html)
    for chart in ("credential-chart", "code-set-chart", "education-chart", "work-mode-chart", "trend-chart"):
        assert f'id="{chart}"' in html
    assert "<script" not in html and "http://" not in html and "https://" not in html


def test_the_html_market_report_in_chromium(market_db, tmp_path):
    report = market_report(market_db, now=NOW)
    path = tmp_path / "market.html"
    path.write_text(render_market(report, "html"), encoding="utf-8")
    requests = []
    with browser_page() as page:
        page.on("request", lambda req: requests.append(req.url))
        page.set_viewport_size({"width": 390, "height": 844})  # a phone
        page.goto(path.as_uri())
        assert page.title() == "Medical-coding job market"
        assert page.locator("#postings-considered").inner_text() == "8"
        assert page.locator("#credential-chart .bar").count() == len(report["credentials"]["items"]) == 6
        assert page.locator("#code-set-chart .bar").count() == 5
        assert page.locator("#education-chart .bar").count() == 6
        assert page.locator("#work-mode-chart .bar").count() == 4
        assert page.locator("#trend-chart .bar").count() == 5
        assert page.locator("#employers tr").count() == 5
        # The CPC bar is drawn: its required part is 37.5% of the track.
        track = page.locator("#credential-chart .bar").first.locator(".track")
        fill = track.locator(".fill.required")
        assert abs(fill.bounding_box()["width"] / track.bounding_box()["width"] - 0.375) < 0.01
        # Readable on a phone: nothing wider than the screen but the scrollable tables.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "market-report-phone.png"), full_page=True)
    assert requests == [path.as_uri()]


# --- the command ------------------------------------------------------------------------


@pytest.fixture
def market_file(tmp_path) -> Path:
    path = tmp_path / "market.db"
    db = build(sqlite_utils.Database(path))
    db.conn.close()
    return path


def medcoder(*args, cwd=None):
    return subprocess.run([str(MEDCODER), *map(str, args)], capture_output=True, text=True, timeout=120, cwd=cwd)


def test_market_command_json_and_html(market_file, tmp_path):
    proc = medcoder("market", "--db", market_file, "--format", "json", "--as-of", "2025-02-28", "--country", "US")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    # Open on 2025-02-28 in the US: M01, M02, M03.
    assert (report["postings_considered"], report["filters"]["as_of"], report["filters"]["country"]) == (3, "2025-02-28", "US")
    assert report["trend"]["months"][-1] == {"month": "2025-02", "first_seen": 2, "open_at": "2025-02-28", "open": 3}
    out = tmp_path / "reports" / "market.html"
    proc = medcoder("market", "--db", market_file, "--format", "html", "-o", out)
    assert proc.returncode == 0 and f"market report written to {out}" in proc.stderr
    assert 'id="credential-chart"' in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(("args", "message"), [
    (["--as-of", "31/03/2025"], "--as-of '31/03/2025' is not a date; write it as YYYY-MM-DD"),
    (["--as-of", "2999-01-01"], "--as-of 2999-01-01 is in the future"),
    (["--country", "UK"], "--country 'UK': use IN or US"),
    (["--format", "pdf"], "--format 'pdf': use one of html, md, json"),
])
def test_market_command_refuses_bad_options(market_file, args, message):
    # In-process (the subprocess tests above cover the real command): only the option handling is at stake.
    result = CliRunner().invoke(app, ["market", "--db", str(market_file), *args])
    assert result.exit_code == 1
    assert message in " ".join(result.stderr.split())


def test_market_command_needs_an_existing_database(tmp_path):
    result = CliRunner().invoke(app, ["market", "--db", str(tmp_path / "nope.db")])
    assert result.exit_code == 1 and "no database at" in result.stderr and not (tmp_path / "nope.db").exists()


def _gap_has_as_of() -> bool:
    import typer.main

    gap = typer.main.get_command(app).commands["gap"]
    return any("--as-of" in p.opts for p in gap.params)


@pytest.mark.skipif(not _gap_has_as_of(), reason="`medcoder gap --as-of` needs the medcoder/cli.py change (see docs/gap-report.md)")
def test_gap_command_as_of(market_file, tmp_path):
    profile = tmp_path / "p.toml"
    profile.write_text('countries = ["US"]\ncredentials = ["CPC"]\ncode_sets = ["CPT", "ICD-10-CM"]\n[experience]\nyears = 2\n'
                       '[education]\nlevel = "high_school"\n')
    # Open on 2025-02-28 in the US: M01 (CPC|CCS, 2 years, high school: qualified), M02 (CCS: missing), M03 (CPC: qualified).
    proc = medcoder("gap", profile, "--db", market_file, "--format", "json", "--as-of", "2025-02-28")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert (report["filters"]["as_of"], report["postings_considered"], report["qualified"]) == ("2025-02-28", 3, 2)
    proc = medcoder("gap", profile, "--db", market_file, "--as-of", "2025-13-01")
    assert proc.returncode == 1 and "is not a date" in proc.stderr
