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


# --- extractor version 2: headings, credential phrasing, education, conditions, the sentence classifier ---

def test_bold_paragraph_headings_open_their_section():
    html = "<p><b>What you need</b></p><p>CPC / COC mandatory<br>CIRCC preferred</p><p><b>Responsibilities</b></p><p>Code IR cases.</p>"
    assert creds(html) == [("CPC", "required", 1, None), ("COC", "required", 1, None), ("CIRCC", "preferred", None, None)]


@pytest.mark.parametrize("line,expected", [
    ("CPC mandatory (CPC-A not eligible for this role).", [("CPC", "required", None, None)]),
    ("CPC required, CPC-A welcome with ED experience.", [("CPC", "required", 1, None), ("CPC-A", "required", 1, None)]),
    ("Active coding certification required (CPC, CPC-A or CCS).",
     [("CPC", "required", 1, None), ("CPC-A", "required", 1, None), ("CCS", "required", 1, None)]),
    ("AAPC or AHIMA coding certification required.", [("AAPC_ANY", "required", 1, None), ("AHIMA_ANY", "required", 1, None)]),
    ("Certified Coding Specialist (CCS) or Certified Inpatient Coder (CIC), active.",
     [("CCS", "required", 1, None), ("CIC", "required", 1, None)]),
    ("Applicants must hold at least one of the following: CCA or RHIT (AHIMA), or CPC or COC (AAPC).",
     [("CCA", "required", 1, None), ("RHIT", "required", 1, None), ("CPC", "required", 1, None), ("COC", "required", 1, None)]),
    ("CCS required; an active CIC will be accepted in lieu of the CCS.", [("CCS", "required", 1, None), ("CIC", "required", 1, None)]),
    ("Bachelor's in HIM required (RHIA-eligible program).", []),
    ("Certification: CPC mandatory, CANPC preferred", [("CPC", "required", None, None), ("CANPC", "preferred", None, None)]),
    ("CRC or CPC with CRC within 6 months of joining.",
     [("CRC", "required", 1, None), ("CPC", "required", 1, None), ("CRC", "required", None, 6)]),
])
def test_credential_phrasings(line, expected):
    assert creds("## Requirements\n- " + line) == expected


def test_context_credentials_are_not_requirements():
    assert creds("## Preferred\n- CPC or CCS preferred in addition to CRC.") == [("CPC", "preferred", 1, None), ("CCS", "preferred", 1, None)]


def test_also_accepted_widens_a_preference_unless_a_credential_is_required():
    assert creds("## Requirements\n- Certification: CPC preferred; CPC-A welcome.") == [
        ("CPC", "preferred", 1, None), ("CPC-A", "preferred", 1, None)]
    assert creds("## Requirements\n- Coding credential required: CCS preferred but CPC considered.") == [
        ("CCS", "preferred", None, None), ("CCS", "required", 1, None), ("CPC", "required", 1, None)]


def test_a_restated_tag_line_adds_no_group():
    text = "## Requirements\n- CPC / CPC-A / COC certification is a must\n- Key Skills: Medical Coding, CPC, CPC-A, ICD-10-CM"
    assert creds(text) == [("CPC", "required", 1, None), ("CPC-A", "required", 1, None), ("COC", "required", 1, None)]


@pytest.mark.parametrize("line,level,fields", [
    ("Any graduate (life science graduates preferred)", "bachelor", ["life_sciences", "any"]),
    ("Graduation mandatory.", "bachelor", []),
    ("10+2 with coding certificate, or B.Sc / B.Pharm / BDS / BPT", "certificate",
     ["medical_coding", "life_sciences", "pharmacy", "dental", "physiotherapy"]),
    ("GNM / B.Sc Nursing / BAMS", "certificate", ["nursing", "ayush"]),
    ("High school diploma or equivalent.", "high_school", []),
])
def test_education_levels_and_fields(line, level, fields):
    ex = extract("## Requirements\n- " + line)
    assert (ex.education_min, ex.education_fields) == (level, fields)


def test_equivalent_experience_makes_education_an_alternative():
    ex = extract("## Requirements\n- Associate degree in HIM or equivalent combination of education and experience.")
    assert (ex.education_min, ex.education_equivalent, ex.education_fields) == (None, "associate", ["him"])


def test_routes_of_one_of_the_following_are_not_minimums():
    text = ("## Basic requirements\nApplicants must meet one of the following:\n"
            "- Experience: one year of experience that shows knowledge of medical terminology and coding, OR\n"
            "- Education: an associate degree in health information technology, OR\n"
            "- Completion of an approved coding program.\n## Certification\n- CCS or CPC required.")
    ex = extract(text)
    assert (ex.experience_years_min, ex.experience_equivalent, ex.education_min, ex.education_equivalent) == (None, 1, None, "certificate")


@pytest.mark.parametrize("line,years", [
    ("5 years coding, 2 of them in QA / auditing", 5),
    ("Minimum of three (3) years of pediatric acute care nursing.", 3),
    ("CPMA must be obtained within 12 months of joining as auditor", None),
])
def test_experience_phrasings(line, years):
    assert extract("## Requirements\n- " + line).experience_years_min == years


@pytest.mark.parametrize("text,mode,shift", [
    ("Work mode: Work from office (WFO) - no hybrid option", "onsite", None),
    ("Night shift (US shift) with cab both ways", None, "night"),
    ("Must be open to US shift", None, "us"),
    ("Day shift, Monday to Friday, on site", "onsite", "day"),
    ("Rotational shifts; hybrid after training", "hybrid", "rotational"),
    ("No night shifts.", None, None),
])
def test_work_mode_and_shift(text, mode, shift):
    ex = extract(text)
    assert (ex.remote, ex.shift) == (mode, shift)


def test_languages_with_levels_and_only_as_languages():
    ex = extract("## Requirements\n- Excellent written English.\n- Bilingual English/Spanish is a plus.\nOffice in Spanish Fork, Utah.")
    assert [(r.id, r.level) for r in ex.languages] == [("english", "required"), ("spanish", "preferred")]
    assert all(r.category == "language" for r in ex.languages) and ex.languages[0].evidence == "Excellent written English."


def test_settings_tools_skills_and_code_sets():
    ex = extract("## Responsibilities\n- Code ED facility and observation charts, including infusions.\n## Requirements\n"
                 "- Epic experience preferred\n- Strong knowledge of medical terminology required\n"
                 "- Candidates with only E&M experience need not apply\n- ICD-10-CM/PCS coding")
    assert ex.settings == ["ed", "observation", "infusion"]
    assert [(r.id, r.level) for r in ex.tools] == [("epic", "preferred")]
    assert [(r.id, r.category, r.level) for r in ex.skills] == [("medical-terminology", "knowledge", "required")]
    assert [r.id for r in ex.code_sets] == ["ICD-10-CM", "ICD-10-PCS"]


def test_the_sentence_classifier_reads_a_posting_without_headings():
    text = ("Cardinal Health Plan serves 300,000 members.\nCRC, or CPC with CRC obtained within six (6) months of hire.\n"
            "2+ years of risk adjustment coding experience.")
    assert creds(text) == [("CRC", "required", 1, None), ("CPC", "required", 1, None), ("CRC", "required", None, 6)]
    assert extract(text, classify=False).certifications == []  # no heading, no cue word: rules alone read nothing


def test_the_sentence_classifier_vetoes_company_boasts_under_requirements():
    text = "## Requirements\n- Our 300 CPC-certified coders support hospitals in 20 states\n- 2+ years of coding"
    assert creds(text) == []
    assert [r.id for r in extract(text, classify=False).certifications] == ["CPC"]


def test_read_sentences_and_record_fields():
    from analysis.extract import read_sentences, record_fields

    reads = read_sentences("## Requirements\n- CPC required\n- We pay for your CRC exam\n## About us\nOur coders rock.")
    assert [(r.text, r.kind, r.level) for r in reads] == [
        ("CPC required", "ask", "required"), ("We pay for your CRC exam", "benefit", None), ("Our coders rock.", "company", None)]
    rec = record_fields(extract("## Requirements\n- Epic preferred\n- Fluent English\nNight shift."))
    assert rec == {"experience_equivalent": None, "education_equivalent": None, "education_fields": [], "settings": [],
                   "shift": "night", "languages": [{"id": "english", "level": "required"}],
                   "tool_requirements": [{"id": "epic", "level": "preferred"}]}


def test_reimbursement_as_a_perk_and_as_a_payment_method():
    text = ("## Responsibilities\n- APR-DRG drives reimbursement for most of our payers; you will assign working APR-DRGs.\n"
            "## Requirements\n- Reimbursement of CPC exam fees after probation.\n- Knowledge of reimbursement methodologies required.")
    ex = extract(text)
    assert [r.id for r in ex.code_sets] == ["DRG"] and ex.certifications == []
    assert [(r.id, r.level) for r in ex.skills] == [("reimbursement", "required")]


def test_memoised_sentence_readings_change_no_result(monkeypatch):
    """Each distinct sentence is read once and remembered; what is remembered must never change an answer."""
    from analysis import extract as ex
    from analysis.evaluate import labelled_postings
    from analysis.taxonomy import load_taxonomy

    texts = [p.data["description_html"] for p in labelled_postings()][:60]
    ex.clear_caches()
    fresh = []
    for text in texts:
        ex.clear_caches()  # every sentence new to the extractor
        fresh.append(ex.extract(text).to_dict())
    # A small bound, so the memo is cut while the same texts are read twice over: still the same answers.
    monkeypatch.setattr(ex, "FACTS_CACHE_SIZE", 50)
    ex.clear_caches()
    for _ in range(2):
        assert [ex.extract(text).to_dict() for text in texts] == fresh
        assert len(load_taxonomy().memo) <= 50


def test_the_word_spotter_changes_no_result(monkeypatch):
    """Skipping a rule whose words are absent from the sentence must give what running it gives."""
    from hypothesis import given, settings, strategies as st

    from analysis import extract as ex
    from analysis.evaluate import labelled_postings
    from analysis.taxonomy import load_taxonomy

    class EveryRule:
        every = ex.SPOTTER.every

        def spot(self, text, low):
            return self.every

    tax = load_taxonomy()
    sentences = sorted({(r.text, r.section) for p in labelled_postings()[:80] for r in ex.read_sentences(p.data["description_html"])})
    gate_words = sorted({w for words in ex.SPOTTER.lists.values() for w in words})

    def both(s, section):
        spotted = ex._read_facts(tax, s, section, True)
        monkeypatch.setattr(ex, "SPOTTER", EveryRule())
        try:
            return spotted, ex._read_facts(tax, s, section, True)
        finally:
            monkeypatch.undo()

    for s, section in sentences:
        spotted, every = both(s, section)
        assert spotted == every, s

    @settings(max_examples=200, deadline=None)
    @given(st.lists(st.one_of(st.sampled_from(gate_words), st.sampled_from([s for s, _ in sentences]),
                              st.sampled_from([" ", ", ", "; ", " or ", " 2 years ", "CPC", "(", ")", "not "])), max_size=8),
           st.sampled_from(["required", "preferred", "duties", "benefits", "other", "about"]))
    def same(parts, section):
        s = "".join(parts)
        spotted, every = both(s, section)
        assert spotted == every

    same()


def test_a_key_skills_line_after_the_requirements_only_adds_what_is_new():
    # The memoised reading of the tag line is the same in both postings; what it adds depends on the posting.
    first = creds("## Requirements\n- CPC required\nKey Skills: CPC, CCS, ICD-10")
    second = creds("## Requirements\n- Coding experience required\nKey Skills: CPC, CCS, ICD-10")
    assert first == [("CPC", "required", None, None), ("CCS", "required", None, None)]
    assert second == [("CPC", "required", 1, None), ("CCS", "required", 1, None)]
