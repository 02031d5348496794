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


def test_classifier_on_the_held_apart_postings_meets_the_bar():
    """The labelled demo and corpus postings are never trained on; their held-out part is never tuned on."""
    from analysis.evaluate import evaluate, labelled_postings

    scope = evaluate(labelled_postings(), "held_out").scores["scope"]
    assert scope.tp + scope.fn >= 40
    assert scope.recall >= 0.97 and scope.precision >= 0.93, (scope.precision, scope.recall)


def test_classifier_decides_neutral_titles_from_the_text():
    from analysis.relevance import coding_probability

    assert coding_probability("Associate", "Review inpatient charts and assign ICD-10-CM, ICD-10-PCS codes and MS-DRGs; CCS required.") > 0.65
    assert coding_probability("Associate", "Call insurance companies to follow up on unpaid claims; voice process, night shift.") < 0.35


@pytest.mark.parametrize("title,scope", [
    ("Medical Coding Instructor", "in"), ("React JS Coder", "out"), ("Survey Coder", "out"),
    ("Medical Coding Tele-Counsellor", "out"), ("Recruiter - Medical Coding & HIM Staffing", "out"),
])
def test_hard_title_rules(title, scope):
    assert judge(title, "Assign ICD-10-CM codes to charts.").scope == scope


def test_cached_weights_score_exactly_like_the_fitted_pipeline(tmp_path, monkeypatch):
    from analysis import relevance

    monkeypatch.setenv("MEDCODER_CACHE_DIR", str(tmp_path))
    relevance._weights.cache_clear()
    model = relevance.classifier()
    texts = [relevance._features(d["title"], d["text"]) for d in relevance.training_examples()[:60]]
    texts += [relevance._features("Associate", "Call payers about unpaid claims"), "", "x"]
    expected = model.predict_proba(texts)[:, 1]
    fresh = [relevance._score(t) for t in texts]  # fitted now, cache written
    assert list(tmp_path.glob("relevance-*.json"))
    relevance._weights.cache_clear()
    cached = [relevance._score(t) for t in texts]  # read back from the cache
    relevance._weights.cache_clear()
    for e, a, b in zip(expected, fresh, cached):
        assert abs(e - a) < 1e-9 and abs(e - b) < 1e-9
