"""The skills-gap matcher and report: literal needs and states, then one crafted database worked out by hand."""

from __future__ import annotations

import json
import random
import re
import sqlite3
from dataclasses import fields
from datetime import UTC, datetime

import pytest
import sqlite_utils

from analysis.extract import EDUCATION_LEVELS
from analysis.gap import (Need, PostingNeeds, State, action_id, blocking_groups, candidate_actions, gap_report, load_market,
                          match_score, met, missing_required, missing_steps, plan_steps_greedy, status_of, unlocks_by_step)
from analysis.profile import Profile
from analysis.report import render
from analysis.taxonomy import load_taxonomy
from medcoder.db import migrate

TAX = load_taxonomy()
NOW = datetime(2025, 4, 1, tzinfo=UTC)
XSS = "<script>alert(1)</script>"


def state(**kwargs) -> State:
    return State.from_profile(Profile(**kwargs), TAX)


def cred(*ids: str, level: str = "required", within: int | None = None) -> Need:
    return Need("credential", frozenset(ids), level, within)


def posting(*needs: Need, pid: str = "p1") -> PostingNeeds:
    values = {f.name: None for f in fields(PostingNeeds) if f.name != "needs"}
    values.update(id=pid, title="Coder", url=f"https://example.test/{pid}", country="US")
    return PostingNeeds(**values, needs=list(needs))


# --- credentials ----------------------------------------------------------------


def test_alternative_group_is_met_by_any_member():
    group = cred("CPC", "CCS", "CCS-P")
    assert met(group, state(credentials={"CCS-P": "active"})) is True
    assert met(group, state(credentials={"CCS": "active"})) is True
    assert met(group, state(credentials={"CIC": "active"})) is False
    assert met(group, state()) is False


def test_cpc_satisfies_cpc_a_but_cpc_a_does_not_satisfy_cpc():
    assert met(cred("CPC-A"), state(credentials={"CPC": "active"})) is True
    assert met(cred("CPC"), state(credentials={"CPC-A": "active"})) is False
    assert met(cred("CPC-A"), state(credentials={"CPC-A": "active"})) is True


@pytest.mark.parametrize("cid", sorted(s.id for s in TAX.by_category("credential") if s.issuer == "AAPC"))
def test_every_aapc_credential_satisfies_aapc_any(cid):
    assert met(cred("AAPC_ANY"), state(credentials={cid: "active"})) is True


def test_an_ahima_credential_satisfies_ahima_any_and_coding_any_but_not_aapc_any():
    ccs = state(credentials={"CCS": "active"})
    assert ccs.creds == frozenset({"CCS", "AHIMA_ANY", "CODING_CERT_ANY"})
    assert met(cred("AHIMA_ANY"), ccs) is True
    assert met(cred("CODING_CERT_ANY"), ccs) is True
    assert met(cred("AAPC_ANY"), ccs) is False


def test_a_billing_credential_is_aapc_but_not_a_coding_credential():
    cpb = state(credentials={"CPB": "active"})
    assert cpb.creds == frozenset({"CPB", "AAPC_ANY"})
    assert met(cred("CODING_CERT_ANY"), cpb) is False
    assert met(cred("AAPC_ANY"), cpb) is True


def test_apprentice_status_counts_as_the_apprentice_credential():
    apprentice = state(credentials={"CPC": "apprentice"})
    assert apprentice.creds == frozenset({"CPC-A", "AAPC_ANY", "CODING_CERT_ANY"})
    assert met(cred("CPC-A"), apprentice) is True
    assert met(cred("CPC"), apprentice) is False


def test_apprentice_crc_does_not_meet_a_crc_requirement():
    # The taxonomy has no CRC-A id (it is a spelling of CRC): an apprentice holds only the generic credentials.
    apprentice = state(credentials={"CRC": "apprentice"})
    assert apprentice.creds == frozenset({"AAPC_ANY", "CODING_CERT_ANY"})
    assert met(cred("CRC"), apprentice) is False


def test_in_progress_credentials_do_not_count():
    studying = state(credentials={"CRC": "in_progress"})
    assert studying.creds == frozenset()
    assert met(cred("CRC"), studying) is False
    assert met(cred("AAPC_ANY"), studying) is False


def test_a_credential_with_a_grace_period_is_attainable_not_missing():
    p = posting(cred("CRC", within=6), cred("CPC"))
    s = state(credentials={"CPC": "active"})
    assert met(p.needs[0], s) is False
    assert missing_required(p, s) == []
    assert status_of(p, s) == "qualified"
    assert match_score(p, s) == 1.0


# --- education and experience ---------------------------------------------------


def test_education_levels_are_ordered():
    associate = state(education_level="associate")
    assert met(Need("education", edu="high_school"), associate) is True
    assert met(Need("education", edu="certificate"), associate) is True
    assert met(Need("education", edu="associate"), associate) is True
    assert met(Need("education", edu="bachelor"), associate) is False
    assert met(Need("education", edu="high_school"), state()) is False


def test_experience_compares_years():
    s = state(experience_years=1.5)
    assert met(Need("experience", years=1.5), s) is True
    assert met(Need("experience", years=2.0), s) is False
    assert met(Need("experience", years=0.0), state()) is True


def test_experience_per_setting_uses_the_setting_years_when_the_profile_gives_them():
    s = state(experience_years=3.0, experience_by_setting={"inpatient": 0.5})
    assert met(Need("experience", years=2.0, setting="inpatient"), s) is False
    assert met(Need("experience", years=0.5, setting="inpatient"), s) is True
    # No setting on the posting: overall years.
    assert met(Need("experience", years=2.0), s) is True
    # A setting the profile does not break out: overall years.
    assert met(Need("experience", years=2.0, setting="outpatient"), s) is True
    assert met(Need("experience", years=3.5, setting="outpatient"), s) is False


# --- statuses -------------------------------------------------------------------


def test_statuses():
    s = state(credentials={"CPC": "active"}, code_sets={"ICD-10-CM"}, experience_years=1.0, education_level="certificate")
    pcs = Need("code_set", frozenset({"ICD-10-PCS"}))
    two_years = Need("experience", years=2.0)
    assert status_of(posting(cred("CPC")), s) == "qualified"
    assert status_of(posting(cred("CPC"), cred("CRC", level="preferred")), s) == "qualified_gaps_preferred"
    assert status_of(posting(cred("CPC"), Need("code_set", frozenset({"HCPCS"}), "preferred")), s) == "qualified_gaps_preferred"
    assert status_of(posting(cred("CPC"), pcs), s) == "near_miss"
    assert missing_required(posting(cred("CPC"), pcs, two_years), s) == [pcs, two_years]
    assert status_of(posting(cred("CPC"), pcs, two_years), s) == "out_of_reach"
    # Tools and skills never block, required or preferred.
    assert status_of(posting(cred("CPC"), Need("tool", frozenset({"epic"}))), s) == "qualified"
    assert status_of(posting(Need("skill", frozenset({"hipaa"}), "preferred")), s) == "qualified"
    assert match_score(posting(cred("CPC"), Need("tool", frozenset({"epic"}))), s) == 0.5
    assert match_score(posting(), s) == 1.0


# --- a crafted database ---------------------------------------------------------
#
# Profile: CPC (active); ICD-10-CM, CPT; 2 years overall, 0.5 inpatient; associate.
# It satisfies CPC, CPC-A, AAPC_ANY, CODING_CERT_ANY.
#
# id   country remote  required (preferred)                          salary            status (missing)
# P01  US      remote  CPC, tool epic                                USD 50k-60k  55000 qualified (tools never block)
# P02  US      onsite  CPC|CCS (CRC)                                 USD 60k-70k  65000 qualified_gaps_preferred
# P03  US      remote  CCS, 1 year                                   USD 70k-     70000 near_miss (CCS)
# P04  US      hybrid  ICD-10-PCS, 2 years inpatient                 USD 80k-90k  85000 out_of_reach (both)
# P05  US      remote  CRC within 6 months, certificate              none               qualified (CRC attainable)
# P06  IN      onsite  CPC-A, bachelor                               INR 3L-4.5L 375000 near_miss (bachelor)
# P07  IN      remote  CODING_CERT_ANY, 3 years                      INR 4L-6L   500000 near_miss (3 years)
# P08  IN      onsite  CCS|CCS-P                                     INR 5L-5L   500000 near_miss (CCS or CCS-P)
# P09  IN      hybrid  AAPC_ANY (HCPCS)                              INR -3.5L   350000 qualified_gaps_preferred
# P10  US      onsite  CIC                                           USD 62k-64k  63000 near_miss (CIC)
# R01  US      remote  CIC, scope 'review', posted 2025-03-31                                ignored
#
# All ten: qualified 4 (P01 P02 P05 P09) -> 0.4; with preferred 2 (P01 P05) -> 0.2.
# Candidate steps and what each unlocks on its own:
#   CCS -> P03, P08 = 2; CCS-P -> P08 = 1; CIC -> P10 = 1; education:bachelor -> P06 = 1;
#   experience:any:3 -> P07 = 1; ICD-10-PCS and 2 years inpatient -> 0 each (P04 needs both): not listed.
# Greedy plan from 4/10, each step the one adding most postings, ties to the lowest step id:
# CCS 6 (0.6); then CIC, bachelor and 3 years each add one: CIC 7 (0.7), education:bachelor 8 (0.8),
# experience:any:3 9 (0.9); then nothing adds a posting (CCS-P's is unlocked, P04 needs two steps): 4 steps.
# Money: USD qualified [55000, 65000] -> 60000; near misses [70000 (P03), 63000 (P10)] -> 66500;
#   5 USD postings state pay. INR qualified [350000] -> 350000; near misses [375000, 500000, 500000]
#   -> 500000; 4 INR postings state pay.


def _posting(pid, country, remote, day, *, title=None, lo=None, hi=None, currency=None, years=None, setting=None,
             edu=None, scope="in"):
    return {"id": pid, "source_id": f"demo_{country.lower()}", "url": f"https://example.test/{pid}", "title": title or f"Coder {pid}",
            "employer": f"Employer {pid}", "location_text": f"Town {pid}", "country": country, "remote": remote,
            "salary_annual_min": lo, "salary_annual_max": hi, "salary_currency": currency, "posted_at": f"2025-03-{day:02d}",
            "scope": scope, "role_family": "coder", "experience_years_min": years, "experience_setting": setting, "education_min": edu}


def _req(pid, skill, category="credential", level="required", group=None, within=None):
    return {"posting_id": pid, "skill_id": skill, "category": category, "level": level, "alt_group": group, "within_months": within}


def _db(postings, requirements) -> sqlite_utils.Database:
    db = sqlite_utils.Database(sqlite3.connect(":memory:"))
    migrate(db)
    db["sources"].insert_all([{"id": "demo_us", "name": "US", "country": "US"}, {"id": "demo_in", "name": "IN", "country": "IN"},
                              {"id": "demo_review", "name": "review", "country": "US"}], pk="id")
    db["postings"].insert_all(postings, pk="id")
    if requirements:
        db["posting_requirements"].insert_all(requirements, pk="id")
    return db


@pytest.fixture
def market_db() -> sqlite_utils.Database:
    postings = [
        _posting("P01", "US", "remote", 1, title=f"Coder {XSS}", lo=50000, hi=60000, currency="USD"),
        _posting("P02", "US", "onsite", 2, lo=60000, hi=70000, currency="USD"),
        _posting("P03", "US", "remote", 3, lo=70000, currency="USD", years=1),
        _posting("P04", "US", "hybrid", 4, lo=80000, hi=90000, currency="USD", years=2, setting="inpatient"),
        _posting("P05", "US", "remote", 5, edu="certificate"),
        _posting("P06", "IN", "onsite", 6, lo=300000, hi=450000, currency="INR", edu="bachelor"),
        _posting("P07", "IN", "remote", 7, lo=400000, hi=600000, currency="INR", years=3),
        _posting("P08", "IN", "onsite", 8, lo=500000, hi=500000, currency="INR"),
        _posting("P09", "IN", "hybrid", 9, hi=350000, currency="INR"),
        _posting("P10", "US", "onsite", 10, lo=62000, hi=64000, currency="USD"),
        dict(_posting("R01", "US", "remote", 31, scope="review"), source_id="demo_review", posted_at="2025-03-31"),
    ]
    requirements = [
        _req("P01", "CPC"), _req("P01", "epic", "tool"),
        _req("P02", "CPC", group=1), _req("P02", "CCS", group=1), _req("P02", "CRC", level="preferred"),
        _req("P03", "CCS"),
        _req("P04", "ICD-10-PCS", "code_set"),
        _req("P05", "CRC", within=6),
        _req("P06", "CPC-A"),
        _req("P07", "CODING_CERT_ANY"),
        _req("P08", "CCS", group=1), _req("P08", "CCS-P", group=1),
        _req("P09", "AAPC_ANY"), _req("P09", "HCPCS", "code_set", level="preferred"),
        _req("P10", "CIC"),
        _req("R01", "CIC"),
    ]
    return _db(postings, requirements)


PROFILE = Profile(name="Test coder", countries=["US", "IN"], credentials={"CPC": "active"}, code_sets={"ICD-10-CM", "CPT"},
                  experience_years=2.0, experience_by_setting={"inpatient": 0.5}, education_level="associate")


def test_gap_report_on_the_crafted_market(market_db):
    r = gap_report(market_db, PROFILE, now=NOW)
    assert r["report_version"] == 1
    assert r["generated_at"] == "2025-04-01T00:00:00+00:00"
    assert r["filters"] == {"country": None, "countries": ["US", "IN"], "remote_only": False, "since_days": None, "role_family": None,
                           "as_of": None}
    assert r["postings_considered"] == 10
    assert r["sources"] == ["demo_in", "demo_us"]
    assert r["date_window"] == {"first": "2025-03-01", "last": "2025-03-10"}
    assert r["status_counts"] == {"qualified": 2, "qualified_gaps_preferred": 2, "near_miss": 5, "out_of_reach": 1}
    assert r["qualified"] == 4
    assert r["qualified_share"] == 0.4
    assert r["qualified_with_preferred"] == 2
    assert r["qualified_with_preferred_share"] == 0.2
    assert r["missing"] == [
        {"id": "CCS", "label": "get CCS", "kind": "credential", "unlocks": 2, "share_gain": 0.2},
        {"id": "CCS-P", "label": "get CCS-P", "kind": "credential", "unlocks": 1, "share_gain": 0.1},
        {"id": "CIC", "label": "get CIC", "kind": "credential", "unlocks": 1, "share_gain": 0.1},
        {"id": "education:bachelor", "label": "complete bachelor education", "kind": "education", "unlocks": 1, "share_gain": 0.1},
        {"id": "experience:any:3", "label": "reach 3 years of coding experience", "kind": "experience", "unlocks": 1, "share_gain": 0.1},
    ]
    assert r["plan"] == [
        {"id": "CCS", "label": "get CCS", "gain": 0.2, "cumulative_share": 0.6, "postings": 6},
        {"id": "CIC", "label": "get CIC", "gain": 0.1, "cumulative_share": 0.7, "postings": 7},
        {"id": "education:bachelor", "label": "complete bachelor education", "gain": 0.1, "cumulative_share": 0.8, "postings": 8},
        {"id": "experience:any:3", "label": "reach 3 years of coding experience", "gain": 0.1, "cumulative_share": 0.9, "postings": 9},
    ]
    assert r["money"] == {
        "INR": {"qualified_median_annual": 350000, "qualified_with_salary": 1, "near_miss_median_annual": 500000,
                "near_miss_with_salary": 3, "postings_with_salary": 4},
        "USD": {"qualified_median_annual": 60000, "qualified_with_salary": 2, "near_miss_median_annual": 66500,
                "near_miss_with_salary": 2, "postings_with_salary": 5},
    }
    # Every required credential/code-set label appears in exactly one posting; ties in label order.
    # "have" is whether the profile meets it: CPC meets CPC-A, AAPC_ANY, CODING_CERT_ANY and the CPC|CCS group.
    assert r["demand"] == [{"id": label, "postings": 1, "share": 0.1, "have": have} for label, have in [
        ("CCS", False), ("CCS or CCS-P", False), ("CCS or CPC", True), ("CIC", False), ("CPC", True), ("CPC-A", True),
        ("CRC", False), ("ICD-10-PCS", False), ("any AAPC credential", True), ("any coding credential", True)]]
    # CPC is asked by P01 and P02 (inside the CPC|CCS group); the profile's code sets by none.
    assert {s["id"]: (s["postings"], s["share"]) for s in r["strengths"]} == {"CPC": (2, 0.2), "ICD-10-CM": (0, 0.0), "CPT": (0, 0.0)}
    # Ranked by status, then score desc, then newest first: P05 scores 1.0 and P01 0.5 (epic unmet);
    # P02 and P09 score 2/3; P03 P06 P07 score 0.5, P08 and P10 0.0 (P0n is posted on day n).
    assert [(b["id"], b["status"], b["score"], b["missing"]) for b in r["best_matches"]] == [
        ("P05", "qualified", 1.0, []),
        ("P01", "qualified", 0.5, []),
        ("P09", "qualified_gaps_preferred", 0.667, []),
        ("P02", "qualified_gaps_preferred", 0.667, []),
        ("P07", "near_miss", 0.5, ["3 years experience"]),
        ("P06", "near_miss", 0.5, ["bachelor education"]),
        ("P03", "near_miss", 0.5, ["CCS"]),
        ("P10", "near_miss", 0.0, ["CIC"]),
        ("P08", "near_miss", 0.0, ["CCS or CCS-P"]),
        ("P04", "out_of_reach", 0.0, ["2 years of inpatient experience", "ICD-10-PCS"]),
    ]
    by_id = {b["id"]: b for b in r["best_matches"]}
    assert by_id["P05"]["attainable"] == ["CRC"]
    assert by_id["P05"]["salary"] is None
    assert by_id["P02"]["missing_preferred"] == ["CRC"]
    assert by_id["P09"]["missing_preferred"] == ["HCPCS"]
    assert by_id["P09"]["salary"] == {"annual_min": None, "annual_max": 350000.0, "currency": "INR"}
    assert by_id["P01"] | {"score": None, "missing_preferred": None} == {
        "id": "P01", "title": f"Coder {XSS}", "employer": "Employer P01", "location": "Town P01", "country": "US",
        "remote": "remote", "url": "https://example.test/P01", "status": "qualified", "score": None,
        "salary": {"annual_min": 50000.0, "annual_max": 60000.0, "currency": "USD"}, "missing": [],
        "missing_preferred": None, "attainable": []}
    assert len(gap_report(market_db, PROFILE, now=NOW, best=3)["best_matches"]) == 3
    assert [s["id"] for s in gap_report(market_db, PROFILE, now=NOW, plan_steps=2)["plan"]] == ["CCS", "CIC"]


def test_gap_report_country_filter(market_db):
    # IN only: P06 P07 P08 near misses, P09 qualified with gaps -> 1 of 4.
    # Steps: CCS -> P08, CCS-P -> P08, bachelor -> P06, 3 years -> P07 (1 each, 0.25).
    # Plan: CCS 2 (0.5); CCS-P adds nothing, bachelor 3 (0.75); 3 years 4 (1.0).
    r = gap_report(market_db, PROFILE, country="IN", now=NOW)
    assert r["filters"]["country"] == "IN"
    assert r["filters"]["countries"] is None
    assert r["postings_considered"] == 4
    assert r["status_counts"] == {"near_miss": 3, "qualified_gaps_preferred": 1}
    assert r["qualified"] == 1
    assert r["qualified_share"] == 0.25
    assert r["qualified_with_preferred_share"] == 0.0
    assert [(m["id"], m["unlocks"], m["share_gain"]) for m in r["missing"]] == [
        ("CCS", 1, 0.25), ("CCS-P", 1, 0.25), ("education:bachelor", 1, 0.25), ("experience:any:3", 1, 0.25)]
    assert [(p["id"], p["cumulative_share"]) for p in r["plan"]] == [
        ("CCS", 0.5), ("education:bachelor", 0.75), ("experience:any:3", 1.0)]
    assert r["money"] == {"INR": {"qualified_median_annual": 350000, "qualified_with_salary": 1, "near_miss_median_annual": 500000,
                                  "near_miss_with_salary": 3, "postings_with_salary": 4}}
    assert r["date_window"] == {"first": "2025-03-06", "last": "2025-03-09"}
    # Lower case works too.
    assert gap_report(market_db, PROFILE, country="in", now=NOW)["postings_considered"] == 4


def test_gap_report_sources_follow_the_filters(market_db):
    assert gap_report(market_db, PROFILE, country="IN", now=NOW)["sources"] == ["demo_in"]


def test_gap_report_remote_only(market_db):
    # Remote: P01 (qualified), P03 (near miss: CCS), P05 (qualified), P07 (near miss: 3 years) -> 2 of 4.
    # Plan: CCS 3 (0.75), then 3 years 4 (1.0).
    # Money: USD qualified [55000] (P05 states none), near [70000]; INR near [500000].
    r = gap_report(market_db, PROFILE, remote_only=True, now=NOW)
    assert r["postings_considered"] == 4
    assert r["qualified_share"] == 0.5
    assert r["qualified_with_preferred_share"] == 0.5
    assert [(m["id"], m["unlocks"]) for m in r["missing"]] == [("CCS", 1), ("experience:any:3", 1)]
    assert [(p["id"], p["cumulative_share"]) for p in r["plan"]] == [("CCS", 0.75), ("experience:any:3", 1.0)]
    assert r["money"] == {
        "INR": {"qualified_median_annual": None, "qualified_with_salary": 0, "near_miss_median_annual": 500000,
                "near_miss_with_salary": 1, "postings_with_salary": 1},
        "USD": {"qualified_median_annual": 55000, "qualified_with_salary": 1, "near_miss_median_annual": 70000,
                "near_miss_with_salary": 1, "postings_with_salary": 2},
    }
    # Remote and India: P07 alone.
    r_in = gap_report(market_db, PROFILE, country="IN", remote_only=True, now=NOW)
    assert [b["id"] for b in r_in["best_matches"]] == ["P07"]


def test_gap_report_since_days(market_db):
    # 14 days before 2025-03-20 is 2025-03-06: P06..P10.
    r = gap_report(market_db, PROFILE, since_days=14, now=datetime(2025, 3, 20, tzinfo=UTC))
    assert sorted(b["id"] for b in r["best_matches"]) == ["P06", "P07", "P08", "P09", "P10"]
    assert r["qualified"] == 1


def test_gap_report_on_an_empty_market(fresh_db):
    r = gap_report(fresh_db, PROFILE, now=NOW)
    assert (r["postings_considered"], r["qualified_share"], r["missing"], r["plan"], r["money"], r["best_matches"]) == (
        0, 0.0, [], [], {}, [])
    assert "No single step unlocks more postings in this market." in render(r, "html")


def test_plan_offers_a_step_that_pays_off_after_an_earlier_one():
    # A needs CCS; B needs CCS and ICD-10-PCS. From nothing, CCS unlocks A (1 of 2); after it, ICD-10-PCS unlocks B.
    db = _db([_posting("A", "US", "remote", 1), _posting("B", "US", "remote", 2)],
             [_req("A", "CCS"), _req("B", "CCS"), _req("B", "ICD-10-PCS", "code_set")])
    r = gap_report(db, Profile(countries=["US"]), now=NOW)
    assert [(p["id"], p["cumulative_share"]) for p in r["plan"]] == [("CCS", 0.5), ("code_set:ICD-10-PCS", 1.0)]


def test_load_market_shares_one_object_per_distinct_need():
    # A market repeats about a hundred needs over all its postings: each is one object, however many postings name it.
    db = _db([_posting("A", "US", "remote", 1, years=2, edu="associate"), _posting("B", "US", "remote", 2, years=2, edu="associate")],
             [_req("A", "CCS"), _req("A", "CPC", group=1), _req("A", "CCS-P", group=1), _req("B", "CPC", group=1),
              _req("B", "CCS-P", group=1), _req("B", "CCS")])
    b, a = load_market(db, countries=["US"])
    assert [n.label for n in a.needs] == ["2 years experience", "associate education", "CCS", "CCS-P or CPC"]
    assert [n.label for n in b.needs] == ["2 years experience", "associate education", "CCS", "CCS-P or CPC"]
    assert all(x is y for x, y in zip(a.needs, b.needs, strict=True))


# --- the plan search against a per-posting reference -----------------------------
#
# The report counts postings in groups (those naming the same blocking needs) and tries a step only on the
# groups whose lacking needs are all of the step's kind. The reference below is the search it replaced:
# every candidate step, every posting re-checked.


def _reference_unlocks(postings: list[PostingNeeds], state: State) -> dict[tuple, int]:
    lacking = [n for p in postings for n in missing_required(p, state)]
    return {action: sum(1 for p in postings if missing_required(p, state) and not missing_required(p, state.with_action(action, TAX)))
            for action in candidate_actions(lacking)}


def _reference_plan(postings: list[PostingNeeds], state: State, steps: int) -> list[tuple[str, int]]:
    # Counts every posting qualified after a step, assuming nothing about the ones qualified before it.
    def qualified(s: State) -> int:
        return sum(1 for p in postings if not missing_required(p, s))

    plan, count = [], qualified(state)
    for _ in range(steps):
        best = None
        for action in sorted(candidate_actions([n for p in postings for n in missing_required(p, state)]), key=action_id):
            after = qualified(state.with_action(action, TAX))
            if after > count and (best is None or after > best[1]):
                best = (action, after)
        if best is None:
            break
        state, count = state.with_action(best[0], TAX), best[1]
        plan.append((action_id(best[0]), count))
    return plan


def _grouped(postings: list[PostingNeeds], state: State, steps: int = 5) -> tuple[dict, list[tuple[str, int]]]:
    groups = blocking_groups(postings)
    qualified = sum(1 for p in postings if not missing_required(p, state))
    plan = plan_steps_greedy(groups, state, qualified, len(postings), steps, TAX)
    return unlocks_by_step(groups, state, TAX), [(s["id"], s["postings"]) for s in plan]


def test_a_step_may_close_several_needs_of_its_kind_but_never_one_of_another_kind():
    # Profile: CPC, 1 year overall, no setting broken out. A: CCS and any AHIMA credential (CCS closes both);
    # B: 2 years and 3 years inpatient (3 inpatient closes both: overall rises too); C: CCS and ICD-10-PCS
    # (two kinds: no single step); D: 2 years inpatient, CRC within 6 months (attainable, not blocking).
    s = state(credentials={"CPC": "active"}, experience_years=1.0)
    postings = [posting(cred("CCS"), cred("AHIMA_ANY"), pid="A"),
                posting(Need("experience", years=2.0), Need("experience", years=3.0, setting="inpatient"), pid="B"),
                posting(cred("CCS"), Need("code_set", frozenset({"ICD-10-PCS"})), pid="C"),
                posting(Need("experience", years=2.0, setting="inpatient"), cred("CRC", within=6), pid="D")]
    unlocks, plan = _grouped(postings, s)
    assert unlocks == {("credential", "CCS"): 1, ("code_set", "ICD-10-PCS"): 0, ("experience", None, 2.0): 1,
                       ("experience", "inpatient", 3.0): 2, ("experience", "inpatient", 2.0): 1}
    assert unlocks == _reference_unlocks(postings, s)
    assert plan == [("experience:inpatient:3", 2), ("CCS", 3), ("code_set:ICD-10-PCS", 4)] == _reference_plan(postings, s, 5)
    # 2 years inpatient unlocks no more than 2 years overall: listed once, as the plain years.
    assert [(m["id"], m["unlocks"]) for m in missing_steps(blocking_groups(postings), s, 4, TAX)] == [
        ("experience:inpatient:3", 2), ("CCS", 1), ("experience:any:2", 1)]


CREDENTIAL_POOL = ["CPC", "CPC-A", "CCS", "CCS-P", "CRC", "CIC", "COC", "CPB", "RHIT", "AAPC_ANY", "AHIMA_ANY", "CODING_CERT_ANY"]
CODE_SET_POOL = ["ICD-10-CM", "ICD-10-PCS", "CPT", "HCPCS"]
SETTING_POOL = [None, "inpatient", "outpatient"]


def _random_need(rng: random.Random) -> Need:
    level = rng.choice(["required", "required", "preferred"])
    kind = rng.choice(["credential", "credential", "code_set", "experience", "education", "tool"])
    if kind == "credential":
        return cred(*rng.sample(CREDENTIAL_POOL, rng.randint(1, 3)), level=level, within=rng.choice([None, None, None, 6]))
    if kind == "code_set":
        return Need("code_set", frozenset({rng.choice(CODE_SET_POOL)}), level)
    if kind == "experience":
        return Need("experience", years=rng.choice([0.5, 1.0, 2.0, 3.0, 5.0]), setting=rng.choice(SETTING_POOL))
    if kind == "education":
        return Need("education", edu=rng.choice(EDUCATION_LEVELS))
    return Need("tool", frozenset({"epic"}), level)


def _random_state(rng: random.Random) -> State:
    held = rng.sample(["CPC", "CCS", "CRC", "CIC", "CPB"], rng.randint(0, 2))
    creds = {c: rng.choice(["active", "active", "apprentice", "in_progress"]) for c in held}
    by_setting = {k: rng.choice([0.5, 2.0, 4.0]) for k in rng.sample(["inpatient", "outpatient"], rng.randint(0, 1))}
    return state(credentials=creds, code_sets=set(rng.sample(CODE_SET_POOL, rng.randint(0, 2))),
                 experience_years=rng.choice([0.0, 1.0, 2.0, 4.0]), experience_by_setting=by_setting,
                 education_level=rng.choice([None, *EDUCATION_LEVELS]))


@pytest.mark.parametrize("seed", range(40))
def test_grouped_plan_search_equals_the_per_posting_reference(seed):
    rng = random.Random(seed)
    for _ in range(10):
        s = _random_state(rng)
        postings = [posting(*(_random_need(rng) for _ in range(rng.randint(0, 4))), pid=f"p{i}") for i in range(rng.randint(1, 30))]
        unlocks, plan = _grouped(postings, s, steps=6)
        assert unlocks == _reference_unlocks(postings, s)
        assert plan == _reference_plan(postings, s, 6)


# --- rendering ------------------------------------------------------------------


def test_render_html_has_the_charts(market_db):
    html = render(gap_report(market_db, PROFILE, now=NOW), "html", profile_name="Test coder")
    assert html.startswith("<!doctype html>")
    assert 'id="demand-chart"' in html
    assert 'id="plan-chart"' in html
    assert '<span>1. get CCS</span><div class="track"><div class="fill plan" style="width: 60.0%"></div></div><span class="n">60%</span>' in html
    assert '<div class="big" id="qualified-share">40%</div>' in html
    assert "<title>Skills-gap report for Test coder</title>" in html
    assert "filters: countries US, IN)" in html
    # Money as people read it.
    assert "<strong>$60,000</strong>" in html
    assert "<strong>₹3.5 L</strong>" in html


def test_render_html_escapes_titles(market_db):
    html = render(gap_report(market_db, PROFILE, now=NOW), "html")
    assert XSS not in html
    assert "Coder &lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_render_html_without_a_plan_has_no_plan_chart():
    # One posting needing two things the profile lacks: no single step unlocks it, so no plan.
    db = _db([_posting("A", "US", "remote", 1)], [_req("A", "CCS"), _req("A", "ICD-10-PCS", "code_set")])
    r = gap_report(db, Profile(countries=["US"]), now=NOW)
    assert (r["status_counts"], r["missing"], r["plan"]) == ({"out_of_reach": 1}, [], [])
    html = render(r, "html")
    assert 'id="plan-chart"' not in html
    assert 'id="demand-chart"' in html
    assert "No single step unlocks more postings in this market." in html


def test_render_html_demand_chart_marks_requirements_the_profile_meets(market_db):
    html = render(gap_report(market_db, PROFILE, now=NOW), "html")
    for label in ("CPC-A", "any AAPC credential", "any coding credential"):
        assert re.search(rf'<span>{label}</span><div class="track"><div class="fill have"', html), label
    for label in ("CCS", "CIC", "ICD-10-PCS"):
        assert re.search(rf'<span>{label}</span><div class="track"><div class="fill missing"', html), label


def test_render_markdown(market_db):
    md = render(gap_report(market_db, PROFILE, now=NOW), "md", profile_name="Test coder")
    assert md.startswith("# Skills-gap report for Test coder\n")
    assert "- You qualify now for **40%** of postings (4 of 10)." in md
    assert "- Meeting the preferred requirements too: **20%** (2 of 10)." in md
    assert "- One requirement away (near miss): 5; further: 1." in md
    assert "| get CCS | 2 | 20% |" in md
    assert "- USD: median annual pay of postings you qualify for $60,000 (2 postings with pay); of near misses $66,500 (2)." in md
    assert "4. Reach 3 years of coding experience: +10% of postings (then 90%, 9 postings)" in md


def test_render_markdown_plan_keeps_credential_ids(market_db):
    md = render(gap_report(market_db, PROFILE, now=NOW), "md")
    assert "1. Get CCS: +20% of postings (then 60%, 6 postings)" in md


def test_render_markdown_puts_each_list_item_on_its_own_line(market_db):
    md = render(gap_report(market_db, PROFILE, now=NOW), "md")
    assert "- CPC: asked by 2 postings (20%)\n" in md
    assert "\n## Best-matching open postings\n" in md
    assert len([line for line in md.splitlines() if line.startswith("- [Coder ")]) == 10


def test_render_json_round_trips(market_db):
    report = gap_report(market_db, PROFILE, now=NOW)
    data = json.loads(render(report, "json"))
    assert data == report
    assert data["postings_considered"] == 10
    assert data["qualified_share"] == 0.4
    assert data["qualified_with_preferred_share"] == 0.2
    assert [{k: m[k] for k in ("id", "unlocks", "share_gain")} for m in data["missing"]] == [
        {"id": "CCS", "unlocks": 2, "share_gain": 0.2}, {"id": "CCS-P", "unlocks": 1, "share_gain": 0.1},
        {"id": "CIC", "unlocks": 1, "share_gain": 0.1}, {"id": "education:bachelor", "unlocks": 1, "share_gain": 0.1},
        {"id": "experience:any:3", "unlocks": 1, "share_gain": 0.1}]
    assert [{k: p[k] for k in ("id", "cumulative_share")} for p in data["plan"]] == [
        {"id": "CCS", "cumulative_share": 0.6}, {"id": "CIC", "cumulative_share": 0.7},
        {"id": "education:bachelor", "cumulative_share": 0.8}, {"id": "experience:any:3", "cumulative_share": 0.9}]
    assert all(isinstance(b["missing"], list) for b in data["best_matches"])
    assert data["best_matches"][-1]["missing"] == ["2 years of inpatient experience", "ICD-10-PCS"]
    # The title is data in JSON, kept as written.
    assert data["best_matches"][1]["title"] == f"Coder {XSS}"


def test_render_rejects_an_unknown_format(market_db):
    with pytest.raises(ValueError, match="unknown format 'pdf'; use one of html, md, json"):
        render(gap_report(market_db, PROFILE, now=NOW), "pdf")
