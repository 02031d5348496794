"""The first extraction pass, on literal postings."""

import pytest

from analysis.extract import extract


def creds(text):
    return [(r.id, r.level, r.group, r.within_months) for r in extract(text).certifications]


def test_alternatives_levels_and_grace_period():
    text = ("## Requirements\n- CPC, CCS or CCS-P required\n- Must obtain CRC within 6 months of hire\n"
            "## Preferred\n- RHIT/RHIA")
    assert creds(text) == [("CPC", "required", 1, None), ("CCS", "required", 1, None), ("CCS-P", "required", 1, None),
                           ("CRC", "required", None, 6), ("RHIT", "preferred", 2, None), ("RHIA", "preferred", 2, None)]


def test_cue_words_override_the_section():
    assert creds("## Qualifications\n- CIC preferred\n- CPC is mandatory") == [("CIC", "preferred", None, None), ("CPC", "required", None, None)]


def test_and_keeps_requirements_apart():
    assert creds("## Requirements\n- CPC and CRC required") == [("CPC", "required", None, None), ("CRC", "required", None, None)]


def test_benefits_are_not_requirements():
    text = "## Requirements\n- CPC required\n## Benefits\n- We reimburse your CCS exam and AAPC membership"
    assert creds(text) == [("CPC", "required", None, None)]


def test_dotted_and_trademarked_spellings():
    assert [c[0] for c in creds("## Requirements\n- C.P.C. or CPC(R) or CCS® required")] == ["CPC", "CCS"]


def test_html_input():
    assert creds("<h3>Required</h3><ul><li>COC or CIC</li></ul>") == [("COC", "required", 1, None), ("CIC", "required", 1, None)]


@pytest.mark.parametrize("line,years", [
    ("Minimum of three (3) years of coding experience", 3),
    ("2+ years of experience in inpatient coding", 2),
    ("1-3 years experience", 1),
    ("At least 6 months of coding experience", 0.5),
    ("Freshers can apply", 0),
])
def test_experience(line, years):
    assert extract("## Requirements\n- " + line).experience_years_min == years


def test_experience_setting():
    ex = extract("## Requirements\n- 5 years of inpatient coding experience")
    assert (ex.experience_years_min, ex.experience_setting) == (5, "inpatient")


@pytest.mark.parametrize("line,level", [
    ("High school diploma or GED", "high_school"),
    ("Associate degree in Health Information Management", "associate"),
    ("Any life science graduate (B.Sc, B.Pharm, BDS)", "bachelor"),
    ("Bachelor's degree in HIM", "bachelor"),
])
def test_education(line, level):
    assert extract("## Requirements\n- " + line).education_min == level


def test_preferred_education_is_not_a_minimum():
    assert extract("## Preferred\n- Bachelor's degree").education_min is None


@pytest.mark.parametrize("text,mode", [
    ("This is a fully remote position.", "remote"),
    ("Hybrid - 2 days onsite each week.", "hybrid"),
    ("Work from office, Chennai.", "onsite"),
    ("Great team.", None),
])
def test_work_mode(text, mode):
    assert extract(text).remote == mode


def test_code_sets_with_detail():
    ex = extract("## Requirements\n- Working knowledge of ICD-10-CM, ICD-10-PCS and MS-DRG")
    assert [(r.id, r.level, r.detail) for r in ex.code_sets] == [
        ("ICD-10-CM", "required", None), ("ICD-10-PCS", "required", None), ("DRG", "required", "MS-DRG")]


def test_empty_and_foreign_text_give_empty_results():
    for text in ("", "   ", "Nous recherchons un comptable à Paris."):
        ex = extract(text)
        assert ex.requirements() == [] and ex.experience_years_min is None and ex.education_min is None
