"""Drafting a profile from a resume: three fictional resumes in TXT, PDF and DOCX, literal lines, and the CLI.

The PDF and DOCX files are made from the TXT originals in each test run
(tests/fixtures/resumes/make.py), so the repository holds no binaries.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tomllib
from datetime import date
from pathlib import Path

import pytest

from analysis.extract import extract
from analysis.profile import Profile, load_profile
from analysis.resume import (
    DateRange,
    ResumeError,
    draft_profile,
    draft_toml,
    heading_kind,
    merged_months,
    parse_range,
    parse_resume,
    read_resume,
)
from medcoder.db import connect
from tests.fixtures.resumes.make import HERE, RESUMES, pdf_bytes, resume_lines, write_docx, write_pdf

TODAY = date(2025, 4, 15)
MEDCODER = Path(sys.executable).with_name("medcoder")  # the venv's real console script


def resume_file(tmp_path: Path, name: str, fmt: str) -> Path:
    """The fixture resume ``name`` in ``fmt``: the TXT as shipped, the PDF and DOCX built from it here."""
    if fmt == "txt":
        return HERE / f"{name}.txt"
    path = tmp_path / f"{name}.{fmt}"
    return (write_pdf if fmt == "pdf" else write_docx)(resume_lines(name), path)


# What each resume says, worked out by hand with today = 2025-04-15.
#
# us_cpc_outpatient: "JORDAN A. REYES, CPC" and "CPC, AAPC - 2020" -> CPC active; "CRC (in progress)" -> in_progress;
#   "helped two colleagues prepare for the CCS exam" is a job bullet about others -> no CCS.
#   Jobs: Outpatient Coder II, Jan 2021 - Present = Jan 2021..Apr 2025 = 52 months (outpatient);
#   Pro-Fee Coding Specialist, 06/2019 to 12/2020 = 19 months (pro-fee);
#   Patient Access Representative, 2016-2019 = 36 months, not a coding job.
#   Coding: 52 + 19 = 71 months = 5.92 years; outpatient 52/12 = 4.33; pro-fee 19/12 = 1.58.
#   Education: "Certificate in Medical Coding" beats "High School Diploma".
# in_bpharm_fresher_cpca: "CPC-A ..., AAPC, 2024" -> CPC apprentice; "preparing for the CCS exam" -> CCS in_progress.
#   Internship Jun 2024 - Aug 2024 = 3 months = 0.25 years, no setting in its title; B.Pharm 2020-2024 is education, not a job.
# us_rhit_inpatient_ccs: RHIT and CCS active (name line and certifications); "CDIP - pursuing" -> in_progress.
#   Inpatient Coding Specialist III, March 2017 - Present = Mar 2017..Apr 2025 = 98 months (inpatient);
#   HIM Coding Technician (Outpatient/ED), 08/2015 to 02/2017 = 19 months (outpatient, ed);
#   Certified Nursing Assistant 2012-2015: not a coding job. 117 months = 9.75 years; 98/12 = 8.17; 19/12 = 1.58.
EXPECTED = {
    "us_cpc_outpatient": Profile(
        name="Jordan A. Reyes", location="Columbus, OH", countries=["US"], work_modes=["remote", "hybrid", "onsite"], relocate=False,
        credentials={"CPC": "active", "CRC": "in_progress"},
        code_sets={"ICD-10-CM", "CPT", "HCPCS", "E/M"}, tools={"epic", "3m-encoder", "excel"},
        skills={"modifiers", "auditing", "provider-queries", "denials", "ncci", "hipaa", "medical-terminology", "anatomy-physiology",
                "outpatient", "pro-fee", "cardiology"},
        experience_years=5.92, experience_by_setting={"outpatient": 4.33, "pro-fee": 1.58},
        education_level="certificate", education_field="Certificate in Medical Coding"),
    "in_bpharm_fresher_cpca": Profile(
        name="Priya Nair", location="Kochi, Kerala, India", countries=["IN"], work_modes=["remote", "hybrid", "onsite"], relocate=True,
        credentials={"CPC": "apprentice", "CCS": "in_progress"},
        code_sets={"ICD-10-CM", "CPT", "HCPCS", "E/M"}, tools={"excel"},
        skills={"ncci", "modifiers", "medical-terminology", "anatomy-physiology", "pharmacology", "communication", "outpatient", "ed"},
        experience_years=0.25, experience_by_setting={},
        education_level="bachelor", education_field="Bachelor of Pharmacy (B.Pharm)"),
    "us_rhit_inpatient_ccs": Profile(
        name="Marcus T. Holloway", location="Tacoma, WA", countries=["US"], work_modes=["remote", "hybrid", "onsite"], relocate=True,
        credentials={"RHIT": "active", "CCS": "active", "CDIP": "in_progress"},
        code_sets={"ICD-10-CM", "ICD-10-PCS", "DRG"}, tools={"cerner", "3m-encoder"},
        skills={"provider-queries", "inpatient", "outpatient", "ed", "cdi"},
        experience_years=9.75, experience_by_setting={"inpatient": 8.17, "outpatient": 1.58, "ed": 1.58},
        education_level="associate", education_field="Associate of Applied Science in Health Information Technology"),
}


@pytest.mark.parametrize("fmt", ["txt", "pdf", "docx"])
@pytest.mark.parametrize("name", RESUMES)
def test_each_resume_in_each_format_drafts_the_profile_worked_out_by_hand(tmp_path, name, fmt):
    path = resume_file(tmp_path, name, fmt)
    draft = tmp_path / "draft.toml"
    draft.write_text(draft_profile(path, today=TODAY), encoding="utf-8")
    prof, expected = load_profile(draft), EXPECTED[name]
    # The taxonomy keeps growing (a new specialty matches "family medicine"): skills must include
    # those worked out here; every other field is exact.
    assert prof.skills >= expected.skills
    prof.skills = expected.skills
    assert prof == expected


@pytest.mark.parametrize("fmt", ["pdf", "docx"])
@pytest.mark.parametrize("name", RESUMES)
def test_pdf_and_docx_carry_the_text_word_for_word(tmp_path, name, fmt):
    # Line breaks aside (the PDF wraps long lines, pypdf drops blank ones, the DOCX puts the contact
    # lines in a table and Word's bullets are put back as "- "), the words are the TXT's.
    text = read_resume(resume_file(tmp_path, name, fmt))
    original = (HERE / f"{name}.txt").read_text(encoding="utf-8")
    if fmt == "docx":
        original = original.replace("\n• ", "\n- ")
        if name != "us_rhit_inpatient_ccs":  # two contact lines: one table row, its cells joined with " | "
            first, second, third, rest = original.split("\n", 3)
            original = "\n".join([first, f"{second} | {third}", rest])
    assert text.split() == original.split()


def test_the_draft_is_commented_toml_with_the_jobs_it_counted(tmp_path):
    text = draft_profile(resume_file(tmp_path, "us_cpc_outpatient", "txt"), today=TODAY)
    assert text.startswith("# medcoder candidate profile, drafted from us_cpc_outpatient.txt on 2025-04-15\n")
    assert '  { id = "CRC", status = "in_progress" },  # line 10\n' in text
    assert "#   line 14: Outpatient Coder II: Jan 2021 - Present = 2021-01 to 2025-04, 52 months; outpatient\n" in text
    assert ("#   line 23: Patient Access Representative, Grandview Hospital, …: 2016–2019 = 2016-01 to 2018-12, 36 months; "
            "not counted: no coding in its title or bullets\n") in text
    assert '# currency = "USD"' in text
    data = tomllib.loads(text)
    assert data["experience"] == {"years": 5.92, "settings": {"outpatient": 4.33, "pro-fee": 1.58}}
    # Contact details are dropped before anything reads the text; they never reach the draft.
    assert "example.com" not in text and "555" not in text and "linkedin" not in text


# --- held, not required ------------------------------------------------------------


def creds(text: str) -> dict[str, str]:
    return parse_resume(text, today=TODAY).credentials


def test_a_credential_listed_on_a_resume_is_held():
    assert creds("Certifications\nCPC, AAPC - 2023\n") == {"CPC": "active"}
    # The same words in a posting are a requirement, with no holder at all: the two readings differ.
    assert [(c.id, c.level) for c in extract("Requirements\n- CPC, AAPC - 2023 required\n").certifications] == [("CPC", "required")]


@pytest.mark.parametrize(("text", "expected"), [
    ("Certifications\nCRC (in progress)\n", {"CRC": "in_progress"}),
    ("Certifications\nCDIP — pursuing, expected 2025\n", {"CDIP": "in_progress"}),
    ("Summary\nCoder preparing for the CCS exam.\n", {"CCS": "in_progress"}),
    ("Certifications\nCPC-A\n", {"CPC": "apprentice"}),
    ("Certifications\nCertified Professional Coder - Apprentice (AAPC)\n", {"CPC": "apprentice"}),
    ("Certifications\nCRC-A, AAPC, 2024\n", {"CRC": "apprentice"}),  # CRC-A is a spelling of CRC in the taxonomy
    # Two on one line: each keeps its own status.
    ("Certifications\nCPC, CRC (in progress)\n", {"CPC": "active", "CRC": "in_progress"}),
    # The strongest status wins across lines.
    ("JANE ROE, CPC\nCertifications\nCPC (in progress)\n", {"CPC": "active"}),
    # A "Certifications:" lead-in states them anywhere, here under a job.
    ("Experience\nCertifications: CPC, CRC (in progress)\n", {"CPC": "active", "CRC": "in_progress"}),
    # Generic phrases are not credentials one can hold.
    ("Summary\nAAPC certified coder with a coding certification.\n", {}),
])
def test_credential_statuses(text, expected):
    assert creds(text) == expected


def test_a_credential_in_a_job_counts_only_with_its_issuer_or_year():
    text = ("Experience\nCoding Lead, Acme Health, 2019 - 2021\n- Trained new coders for the CPC exam\n"
            "- Earned Certified Coding Specialist (CCS), AHIMA\n")
    assert creds(text) == {"CCS": "active"}


def test_certified_as_an_adjective_is_not_a_second_credential():
    # "Certified Inpatient Coder" is CIC's long name; here "certified" belongs to the CCS before it.
    assert creds("Summary\nCCS-certified inpatient coder with 6 years of coding experience.\n") == {"CCS": "active"}
    assert creds("Certifications\nCertified Inpatient Coder (CIC), AAPC, 2022\n") == {"CIC": "active"}


def test_a_credential_in_an_email_address_is_not_a_credential():
    assert creds("Jane Roe\nccs.jane@example.com | Austin, TX\n") == {}


# --- dates -------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "months"), [
    ("Jan 2021 - Present", 52),  # Jan 2021 through Apr 2025
    ("2019–2022", 36),  # whole years between
    ("06/2020 to 03/2023", 34),  # Jun 2020 through Mar 2023
    ("March 2017 – Present", 98),
    ("Sept. 2018 to Feb 2019", 6),
    ("Jun 2024 – Till date", 11),
    ("05/2023 - Current", 24),
    ("2022 - Present", 40),  # January 2022 through April 2025
    ("Dec 2019 — Jan 2020", 2),
    ("2024 – 2024", 1),  # at least a month
    ("Jan 2024 - Dec 2030", 16),  # never past today
])
def test_date_ranges_count_months_against_a_fixed_today(text, months):
    assert parse_range(f"Coder, Acme | {text}", TODAY).months == months


@pytest.mark.parametrize("text", ["CPC, AAPC - 2020", "(614) 555-0142", "Graduated 2019", "ICD-10-CM"])
def test_text_without_a_date_range(text):
    assert parse_range(text, TODAY) is None


def test_overlapping_jobs_count_once():
    a = DateRange("Jan 2020 - Dec 2020", 2020 * 12, 2021 * 12)
    b = DateRange("Jun 2020 - Jun 2021", 2020 * 12 + 5, 2021 * 12 + 6)
    c = DateRange("2023 - 2024", 2023 * 12, 2024 * 12)
    assert merged_months([b, c, a]) == 18 + 12
    text = ("Experience\nMedical Coder, Acme, Jan 2020 - Dec 2020\n- Coded ED charts\n"
            "Part-time Coder, Beta, Jun 2020 - Jun 2021\n- ICD-10-CM coding\n")
    assert parse_resume(text, today=TODAY).experience_years == 1.5


def test_jobs_with_the_dates_above_the_title():
    text = ("Anita Sharma\nPune, Maharashtra\n\nWork Experience\nJune 2022 – Present\n"
            "Medical Coder (E/M, ED facility) - Deccan RCM Solutions\n• Coding ED facility charts\n"
            "Jan 2021 – May 2022\nTrainee HCC Coder, Malabar Medical Data\n• Risk adjustment coding\n")
    draft = parse_resume(text, today=TODAY)
    # Jun 2022..Apr 2025 = 35 months (ED, from "ED facility"); Jan 2021..May 2022 = 17 (risk adjustment, from "HCC").
    assert [(j.title, j.dates.months, j.settings) for j in draft.jobs] == [
        ("Medical Coder (E/M, ED facility) - Deccan RCM Solutions", 35, ["ed"]),
        ("Trainee HCC Coder, Malabar Medical Data", 17, ["risk-adjustment"])]
    assert (draft.experience_years, draft.experience_by_setting) == (4.33, {"ed": 2.92, "risk-adjustment": 1.42})
    assert (draft.name, draft.location, draft.countries) == ("Anita Sharma", "Pune, Maharashtra", ["IN"])


def test_years_come_from_the_summary_when_no_coding_job_is_dated():
    draft = parse_resume("Summary\nCPC with 3 years of coding experience in a physician practice.\n", today=TODAY)
    assert (draft.experience_years, draft.experience_from_summary) == (3.0, True)
    assert "years = 3  " in draft_toml(draft, "cv.txt")


def test_a_degree_still_in_progress_does_not_count():
    draft = parse_resume("Education\nB.Sc Nursing (expected 2026)\nDiploma in Medical Coding, 2023\n", today=TODAY)
    assert (draft.education_level, draft.education_field) == ("certificate", "Diploma in Medical Coding")


@pytest.mark.parametrize(("line", "kind"), [
    ("PROFESSIONAL SUMMARY", "summary"), ("PROFILE SUMMARY", "summary"), ("Licenses & Certifications", "certifications"), ("Work History:", "experience"),
    ("TRAINING", "experience"), ("Educational Qualification", "education"), ("Technical Skills", "skills"),
    ("DECLARATION", "other"), ("Outpatient Coder II", None), ("Medical Coding Trainee (Internship)", None),
])
def test_heading_kinds(line, kind):
    assert heading_kind(line) == kind


# --- unreadable files ------------------------------------------------------------------


def test_unreadable_resumes_are_clear_errors_that_quote_nothing(tmp_path):
    rtf = tmp_path / "cv.rtf"
    rtf.write_text("{\\rtf1 CPC}")
    with pytest.raises(ResumeError, match=r"cv\.rtf: unsupported resume type '\.rtf'; use PDF, DOCX or TXT"):
        read_resume(rtf)
    broken = tmp_path / "cv.pdf"
    broken.write_bytes(b"%PDF-1.4\nSECRET-CONTENT garbage")
    with pytest.raises(ResumeError, match=r"cv\.pdf: not a readable PDF \(\w+\)$") as info:
        read_resume(broken)
    assert "SECRET" not in str(info.value)
    not_word = tmp_path / "cv.docx"
    not_word.write_bytes(b"PK\x03\x04 SECRET-CONTENT, not a zip")
    with pytest.raises(ResumeError, match=r"cv\.docx: not a readable DOCX \(\w+\)$") as info:
        read_resume(not_word)
    assert "SECRET" not in str(info.value)
    blank = tmp_path / "scan.pdf"
    blank.write_bytes(pdf_bytes([]))
    with pytest.raises(ResumeError, match="no text found in the resume .a scanned image"):
        read_resume(blank)


# --- the command -------------------------------------------------------------------------


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_from_resume_writes_a_draft_that_checks_and_touches_no_database(tmp_path):
    db_dir = tmp_path / "db"
    db_path = db_dir / "medcoder.db"
    connect(db_path).conn.close()
    before = (digest(db_path), sorted(p.name for p in db_dir.iterdir()))
    work = tmp_path / "work"
    work.mkdir()
    pdf = resume_file(tmp_path, "in_bpharm_fresher_cpca", "pdf")
    env = dict(os.environ, MEDCODER_DB=str(db_path))
    proc = subprocess.run([str(MEDCODER), "profile", "from-resume", str(pdf), "-o", "draft.toml"], cwd=work, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "wrote draft.toml; review it, then run `medcoder profile check draft.toml`\n"
    # Nothing about the resume is logged: only the file names the person gave.
    assert proc.stderr == ""
    prof = load_profile(work / "draft.toml")
    assert (prof.credentials, prof.experience_years, prof.countries) == ({"CPC": "apprentice", "CCS": "in_progress"}, 0.25, ["IN"])
    # The database named by $MEDCODER_DB is byte-identical, no -wal/-shm appeared beside it,
    # and no default database (data/medcoder.db) was made.
    assert (digest(db_path), sorted(p.name for p in db_dir.iterdir())) == before
    assert sorted(p.name for p in work.iterdir()) == ["draft.toml"]

    check = subprocess.run([str(MEDCODER), "profile", "check", "draft.toml"], cwd=work, capture_output=True, text=True, timeout=120)
    assert check.returncode == 0 and check.stdout.startswith("draft.toml: ok (2 credentials, 4 code sets")


def test_from_resume_prints_to_standard_output_and_refuses_to_overwrite(tmp_path):
    docx = resume_file(tmp_path, "us_rhit_inpatient_ccs", "docx")
    proc = subprocess.run([str(MEDCODER), "profile", "from-resume", str(docx)], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stderr == ""
    data = tomllib.loads(proc.stdout)
    assert data["credentials"] == ["CCS", {"id": "CDIP", "status": "in_progress"}, "RHIT"]
    assert not (tmp_path / "data").exists()
    existing = tmp_path / "mine.toml"
    existing.write_text("name = 'keep me'\n")
    proc = subprocess.run([str(MEDCODER), "profile", "from-resume", str(docx), "-o", str(existing)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 1 and "exists; use --force" in proc.stderr
    assert existing.read_text() == "name = 'keep me'\n"
    proc = subprocess.run([str(MEDCODER), "profile", "from-resume", str(tmp_path / "cv.odt")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "cannot read the resume" in proc.stderr
