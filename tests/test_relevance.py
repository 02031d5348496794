"""Relevance rules on literal titles and texts."""

import pytest

from analysis.relevance import judge


@pytest.mark.parametrize("title", [
    "Inpatient Coder II", "Medical Coder - Nursing Candidates (GNM / B.Sc Nursing)", "Risk Adjustment Coder (CRC)",
    "Coding Quality Auditor", "Clinical Documentation Integrity Specialist", "Medical Records Technician (Coder)",
    "Denials Coding Specialist", "Medical Billing and Coding Specialist", "CPC Certified Freshers",
])
def test_coding_titles_are_in(title):
    assert judge(title, "Assign ICD-10-CM and CPT codes to charts.").scope == "in"


@pytest.mark.parametrize("title,why", [
    ("AR Caller - Voice Process", "accounts receivable"),
    ("Python Coder for Health-Tech Platform", "software"),
    ("Coding Bootcamp Instructor", "teaches programming"),
    ("Front Desk Receptionist", "front desk"),
    ("Medical Scribe", "scribe"),
    ("Registered Nurse - Med/Surg", "nursing"),
    ("Payment Posting Executive", "payment posting"),
    ("Medical Billing Specialist", "billing only"),
])
def test_neighbouring_jobs_are_out_with_a_reason(title, why):
    verdict = judge(title, "Uses CPT and ICD-10 codes on claims.")
    assert verdict.scope == "out" and why in verdict.reason


def test_neutral_title_decided_by_text():
    assert judge("Specialist II", "Abstract and assign ICD-10-CM codes; CPC or CCS required; MS-DRG assignment.").scope == "in"
    assert judge("Associate", "Answer phones and schedule appointments; check-in patients.").scope == "out"


def test_nothing_to_judge_goes_to_review():
    assert judge("", "").scope == "review"
